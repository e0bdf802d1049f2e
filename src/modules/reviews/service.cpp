#include "modules/reviews/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "modules/beats/beats.hpp"
#include "modules/reviews/reviews.hpp"
#include "modules/users/users.hpp"

#include <cmath>
#include <vector>

namespace bb::reviews {
namespace {

constexpr const char* kSelectReview =
    "SELECT id, beat_id, user_id, rating, review_text, created_ms, updated_ms FROM reviews_reviews WHERE id = ?";
constexpr const char* kSelectMine = "SELECT 1 FROM reviews_reviews WHERE beat_id = ? AND user_id = ?";
constexpr const char* kInsertReview =
    "INSERT INTO reviews_reviews (id, beat_id, user_id, rating, review_text, created_ms, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdateReview =
    "UPDATE reviews_reviews SET rating = ?, review_text = ?, updated_ms = ? WHERE id = ?";
constexpr const char* kDeleteReview = "DELETE FROM reviews_reviews WHERE id = ?";
constexpr const char* kPageForBeat =
    "SELECT id, beat_id, user_id, rating, review_text, created_ms, updated_ms FROM reviews_reviews "
    "WHERE beat_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
constexpr const char* kBeatTotals = "SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM reviews_reviews WHERE beat_id = ?";

Review
read_review(core::Query& q)
{
    return {q.text(0), q.text(1), q.text(2), q.int64(3), q.text(4), q.int64(5), q.int64(6)};
}

// A beat one can review: it exists and was not deleted.
bool
reviewable(const std::optional<beats::BeatInfo>& beat)
{
    return beat && beat->status != "deleted";
}

}  // namespace

Service::Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, const std::string& secret)
    : db_(db), users_(users), beats_(beats), secret_(secret)
{
}

boost::json::object
Service::to_json(const Review& r) const
{
    auto author = users_.find(r.user_id);
    return {{"review_id", r.id},
            {"beat_id", r.beat_id},
            {"user_id", r.user_id},
            {"username", author ? boost::json::value(author->username) : boost::json::value(nullptr)},
            {"rating", r.rating},
            {"review_text", r.text},
            {"created_at", core::clock::rfc3339(r.created_ms)},
            {"updated_at", core::clock::rfc3339(r.updated_ms)}};
}

std::optional<Review>
Service::find(core::Tx& tx, const std::string& review_id) const
{
    auto q = tx.query(kSelectReview);
    q.bind(review_id);
    return q.step() ? std::optional(read_review(q)) : std::nullopt;
}

core::Result<boost::json::object>
Service::create(const http::Principal& who, const NewReview& in)
{
    auto author = users_.find(who.user_id);
    if (!author) {
        return core::unauthorized();
    }
    const auto now = core::clock::now_ms();
    Review r{core::new_id(), in.beat_id, who.user_id, in.rating, in.text, now, now};
    auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto beat = beats_.find(tx, in.beat_id);
        if (!reviewable(beat)) {
            return core::not_found("beat");
        }
        if (beat->producer_id == who.user_id) {
            return core::invalid_field("beat_id", "you cannot review your own beat");
        }
        auto mine = tx.query(kSelectMine);
        mine.bind(in.beat_id, who.user_id);
        if (mine.step()) {
            return core::conflict("already_reviewed", "you have already reviewed this beat; edit your review instead");
        }
        tx.query(kInsertReview).bind(r.id, r.beat_id, r.user_id, r.rating, r.text, now, now).exec();
        if (auto rated = beats_.rate(tx, r.beat_id, static_cast<int>(r.rating), 1); !rated) {
            return rated.error();
        }
        tx.publish(kReviewCreated, {{"review_id", r.id},
                                    {"beat_id", r.beat_id},
                                    {"producer_id", beat->producer_id},
                                    {"user_id", r.user_id},
                                    {"username", author->username},
                                    {"rating", r.rating}});
        return {};
    });
    if (!done) {
        return done.error();
    }
    return to_json(r);
}

core::Result<boost::json::object>
Service::update(const http::Principal& who, const std::string& review_id, const ReviewChange& change)
{
    auto updated = db_.write([&](core::Tx& tx) -> core::Result<Review> {
        auto r = find(tx, review_id);
        if (!r) {
            return core::not_found("review");
        }
        if (r->user_id != who.user_id) {
            return core::forbidden("only the review's author may edit it");
        }
        const auto old_rating = r->rating;
        r->rating = change.rating.value_or(r->rating);
        r->text = change.text.value_or(r->text);
        r->updated_ms = core::clock::now_ms();
        tx.query(kUpdateReview).bind(r->rating, r->text, r->updated_ms, r->id).exec();
        if (r->rating != old_rating) {
            if (auto rated = beats_.rate(tx, r->beat_id, static_cast<int>(r->rating - old_rating), 0); !rated) {
                return rated.error();
            }
        }
        return *r;
    });
    if (!updated) {
        return updated.error();
    }
    return to_json(*updated);
}

core::Result<boost::json::object>
Service::remove(const http::Principal& who, const std::string& review_id)
{
    auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto r = find(tx, review_id);
        if (!r) {
            return core::not_found("review");
        }
        if (r->user_id != who.user_id && !who.is_admin()) {
            return core::forbidden("only the review's author or an admin may delete it");
        }
        if (r->user_id != who.user_id) {
            core::record_audit(tx, {.actor_id = who.user_id, .action = "review.delete", .target_type = "review",
                                    .target_id = review_id, .details = {{"author_id", r->user_id}, {"beat_id", r->beat_id}}});
        }
        tx.query(kDeleteReview).bind(review_id).exec();
        // The beat may be gone meanwhile (deleted beats keep their row); a missing one has no rating to fix.
        if (auto rated = beats_.rate(tx, r->beat_id, -static_cast<int>(r->rating), -1);
            !rated && rated.error().code != core::Code::kNotFound) {
            return rated.error();
        }
        return {};
    });
    if (!done) {
        return done.error();
    }
    return boost::json::object{{"review_id", review_id}, {"deleted", true}};
}

core::Result<boost::json::object>
Service::list_for_beat(const std::string& beat_id, int limit, const std::optional<std::string>& cursor) const
{
    auto after_cursor = core::page_before(cursor, secret_);
    if (!after_cursor) {
        return after_cursor.error();
    }
    const std::string before = *after_cursor;
    if (!reviewable(beats_.find(beat_id))) {
        return core::not_found("beat");
    }
    std::vector<Review> found;
    std::int64_t count = 0;
    std::int64_t sum = 0;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kPageForBeat);
        q.bind(beat_id, before, limit + 1);
        while (q.step()) {
            found.push_back(read_review(q));
        }
        auto totals = conn.query(kBeatTotals);
        totals.bind(beat_id);
        if (totals.step()) {
            count = totals.int64(0);
            sum = totals.int64(1);
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(found.size()) > limit) {
        found.pop_back();
        next = core::encode_cursor({{"before", found.back().id}}, secret_);
    }
    boost::json::array items;
    for (const auto& r : found) {
        items.push_back(to_json(r));
    }
    boost::json::value avg = nullptr;
    if (count > 0) {
        avg = std::round(static_cast<double>(sum) * 100.0 / static_cast<double>(count)) / 100.0;
    }
    return boost::json::object{{"reviews", std::move(items)},
                               {"next_cursor", next},
                               {"rating_avg", avg},
                               {"rating_count", count}};
}

}  // namespace bb::reviews
