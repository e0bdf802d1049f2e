// Reviews (seed: rating and discussion): the HTTP surface. The rules live in service.cpp.
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/reviews/reviews.hpp"
#include "modules/reviews/service.hpp"

namespace bb::reviews {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

constexpr std::size_t kMaxReviewText = 5000;

}  // namespace

struct ReviewsModule::Impl {
    Service service;

    Reply create(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto beat_id = in->string("beat_id", true, 1, 64);
        auto rating = in->integer("rating", true, 1, 5);
        auto text = in->string("review_text", false, 0, kMaxReviewText);
        if (auto e = in->error()) {
            return *e;
        }
        return http::json_reply(201, service.create(req.user(), {*beat_id, *rating, text.value_or("")}));
    }

    Reply update(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto rating = in->integer("rating", false, 1, 5);
        auto text = in->string("review_text", false, 0, kMaxReviewText);
        if (auto e = in->error()) {
            return *e;
        }
        return http::json_reply(200, service.update(req.user(), std::string(req.param("review_id")), {rating, text}));
    }

    Reply remove(const Request& req)
    {
        return http::json_reply(200, service.remove(req.user(), std::string(req.param("review_id"))));
    }

    Reply list(const Request& req)
    {
        return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
            return service.list_for_beat(std::string(req.param("beat_id")), limit, cursor);
        });
    }
};

ReviewsModule::ReviewsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats)
    : impl_(std::make_unique<Impl>(Impl{Service(services.db, users, beats, services.secret)}))
{
}

ReviewsModule::~ReviewsModule() = default;

void
ReviewsModule::register_routes(http::Router& router)
{
    router.schema("Review", R"({"type": "object",
        "required": ["review_id", "beat_id", "user_id", "username", "rating", "review_text", "created_at",
            "updated_at"],
        "properties": {"review_id": {"type": "string"}, "beat_id": {"type": "string"}, "user_id": {"type": "string"},
        "username": {"type": ["string", "null"]}, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "review_text": {"type": "string", "maxLength": 5000},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}}})");
    router.schema("ReviewInput", R"({"type": "object", "required": ["beat_id", "rating"],
        "properties": {"beat_id": {"type": "string"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "review_text": {"type": "string", "maxLength": 5000}}})");
    router.schema("ReviewChange", R"({"type": "object",
        "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "review_text": {"type": "string", "maxLength": 5000}}})");
    router.schema("ReviewList", R"({"type": "object",
        "required": ["reviews", "next_cursor", "rating_avg", "rating_count"],
        "properties": {"reviews": {"type": "array", "items": {"$ref": "#/components/schemas/Review"}},
        "next_cursor": {"type": ["string", "null"]}, "rating_avg": {"type": ["number", "null"]},
        "rating_count": {"type": "integer"}}})");
    router.schema("ReviewDeleted", R"({"type": "object", "required": ["review_id", "deleted"],
        "properties": {"review_id": {"type": "string"}, "deleted": {"const": true}}})");

    Impl& m = *impl_;
    router.add({.method = "POST", .path = "/api/reviews", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Review a beat (one review per user per beat)", .tag = "reviews",
                        .request = "ReviewInput",
                        .responses = {{201, "Review"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) { return m.create(req); }});
    router.add({.method = "GET", .path = "/api/reviews/beat/{beat_id}", .exec = Exec::kBlocking,
                .doc = {.summary = "A beat's reviews, newest first, with its rating", .tag = "reviews",
                        .responses = {{200, "ReviewList"}, {404, "Error"}}, .query = {"limit", "cursor"}},
                .handler = [&m](const Request& req) { return m.list(req); }});
    router.add({.method = "PUT", .path = "/api/reviews/{review_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Edit my review", .tag = "reviews", .request = "ReviewChange",
                        .responses = {{200, "Review"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.update(req); }});
    router.add({.method = "DELETE", .path = "/api/reviews/{review_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Delete my review (admins: any review)", .tag = "reviews",
                        .responses = {{200, "ReviewDeleted"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.remove(req); }});
}

}  // namespace bb::reviews
