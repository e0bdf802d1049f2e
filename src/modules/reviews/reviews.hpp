#pragma once
// The reviews module's public face: its event and the module for main.cpp.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::reviews {

// Payload: {review_id, beat_id, producer_id, user_id, username, rating}
inline constexpr core::Topic kReviewCreated{"review.created"};

class ReviewsModule : public core::Module {
public:
    ReviewsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats);
    ~ReviewsModule() override;

    std::string_view name() const override { return "reviews"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::reviews
