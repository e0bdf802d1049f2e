#pragma once
// Reviews of beats: one per user per beat. Every change moves the beat's running rating (beats.rate)
// in the same transaction, so rating_avg / rating_count on the beat never drift from the reviews.
#include "core/db.hpp"
#include "core/error.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::reviews {

struct Review {
    std::string id;
    std::string beat_id;
    std::string user_id;
    std::int64_t rating = 0;
    std::string text;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
};

struct NewReview {
    std::string beat_id;
    std::int64_t rating = 0;
    std::string text;
};

struct ReviewChange {
    std::optional<std::int64_t> rating;
    std::optional<std::string> text;
};

class Service {
public:
    Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, const std::string& secret);

    core::Result<boost::json::object> create(const http::Principal& who, const NewReview& review);
    core::Result<boost::json::object> update(const http::Principal& who, const std::string& review_id,
                                             const ReviewChange& change);
    core::Result<boost::json::object> remove(const http::Principal& who, const std::string& review_id);
    core::Result<boost::json::object> list_for_beat(const std::string& beat_id, int limit,
                                                    const std::optional<std::string>& cursor) const;

private:
    boost::json::object to_json(const Review& r) const;
    std::optional<Review> find(core::Tx& tx, const std::string& review_id) const;

    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    const std::string& secret_;
};

}  // namespace bb::reviews
