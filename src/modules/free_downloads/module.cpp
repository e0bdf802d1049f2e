// Free downloads over HTTP: the producer's offer on a beat, claiming it, the link, the leads.
#include "modules/free_downloads/free_downloads.hpp"

#include "core/config.hpp"
#include "core/rate_limiter.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/free_downloads/service.hpp"

namespace bb::free_downloads {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

boost::json::object
offer_json(const Offer& o)
{
    return {{"beat_id", o.beat_id}, {"offered", true}, {"gate", o.gate}, {"delivery", o.delivery}};
}

}  // namespace

struct FreeDownloadsModule::Impl {
    beats::BeatsModule& beats;
    core::RateLimiter claims_per_address{30, std::chrono::minutes(1)};
    Service service;

    Impl(core::Services& s, users::UsersModule& u, beats::BeatsModule& b, mail::MailModule& m)
        : beats(b), service(s.db, u, b, m, s.config.public_url, s.secret)
    {
    }
};

FreeDownloadsModule::FreeDownloadsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                                         mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(services, users, beats, mail))
{
}

FreeDownloadsModule::~FreeDownloadsModule() = default;

void
FreeDownloadsModule::register_routes(http::Router& router)
{
    router.schema("FreeDownloadOffer", R"({"type": "object", "required": ["gate", "delivery"], "properties": {
        "beat_id": {"type": "string", "readOnly": true}, "offered": {"type": "boolean", "readOnly": true},
        "gate": {"enum": ["email", "follow", null], "description": "what the download costs; null when not offered"},
        "delivery": {"enum": ["email", "instant", null], "description": "the link is mailed, or given at once"}}})");
    router.schema("FreeDownloadClaim", R"({"type": "object", "properties": {
        "email": {"type": "string", "format": "email", "description": "for an offer whose gate is email"}},
        "description": "an offer whose gate is follow needs a bearer token: claiming follows the producer"})");
    router.schema("FreeDownloadClaimed", R"({"type": "object", "required": ["delivery"], "properties": {
        "delivery": {"enum": ["email", "instant"]}, "download_url": {"type": "string"},
        "message": {"type": "string"}}})");
    router.schema("FreeDownloadLeads", R"({"type": "object", "required": ["leads", "next_cursor"], "properties": {
        "leads": {"type": "array", "items": {"type": "object", "properties": {"claim_id": {"type": "string"},
            "beat_id": {"type": "string"}, "title": {"type": "string"}, "email": {"type": ["string", "null"]},
            "user_id": {"type": ["string", "null"]}, "username": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}}}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("FreeDownloadRemoved", R"({"type": "object", "properties": {"beat_id": {"type": "string"},
        "deleted": {"const": true}}})");

    Impl& m = *impl_;
    router.add({.method = "GET", .path = "/api/beats/{beat_id}/free-download",
                .doc = {.summary = "Whether a beat's tagged MP3 is given away, and for what (offered: false when not)",
                        .tag = "free downloads", .responses = {{200, "FreeDownloadOffer"}}},
                .handler = [&m](const Request& req) -> Reply {
                    const std::string beat_id(req.param("beat_id"));
                    auto offer = m.service.offer(beat_id);
                    if (!offer) {
                        return Response::json(200, {{"beat_id", beat_id}, {"offered", false}, {"gate", nullptr},
                                                    {"delivery", nullptr}});
                    }
                    return Response::json(200, offer_json(*offer));
                }});
    router.add({.method = "PUT", .path = "/api/beats/{beat_id}/free-download", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Give my beat's tagged MP3 away for an email address or a follow",
                        .tag = "free downloads", .request = "FreeDownloadOffer",
                        .responses = {{200, "FreeDownloadOffer"}, {403, "Error"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto gate = in->string("gate", true, 1, 20);
                    auto delivery = in->string("delivery", true, 1, 20);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto offer = m.service.set_offer(req.user(), std::string(req.param("beat_id")), *gate, *delivery);
                    if (!offer) {
                        return offer.error();
                    }
                    return Response::json(200, offer_json(*offer));
                }});
    router.add({.method = "DELETE", .path = "/api/beats/{beat_id}/free-download", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Stop giving the beat away (links already sent stop working)", .tag = "free downloads",
                        .responses = {{200, "FreeDownloadRemoved"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    const std::string beat_id(req.param("beat_id"));
                    if (auto done = m.service.remove_offer(req.user(), beat_id); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"beat_id", beat_id}, {"deleted", true}});
                }});
    router.add({.method = "POST", .path = "/api/beats/{beat_id}/free-download/claim", .exec = Exec::kBlocking,
                .limiter = &m.claims_per_address,
                .doc = {.summary = "Claim the free download: give the email address, or follow the producer (signed "
                                   "in); the link comes by mail (202) or at once (200)",
                        .tag = "free downloads", .request = "FreeDownloadClaim",
                        .responses = {{200, "FreeDownloadClaimed"}, {202, "FreeDownloadClaimed"}, {401, "Error"},
                                      {404, "Error"}, {422, "Error"}, {429, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto email = in->string("email", false, 1, 254);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto claimed = m.service.claim(std::string(req.param("beat_id")), email, req.principal);
                    if (!claimed) {
                        return claimed.error();
                    }
                    if (claimed->download_url) {
                        return Response::json(200, {{"delivery", "instant"}, {"download_url", *claimed->download_url}});
                    }
                    return Response::json(202, {{"delivery", "email"},
                                                {"message", "The download link is on its way by mail; it works for 48 hours."}});
                }});
    router.add({.method = "GET", .path = "/api/free-downloads/leads", .auth = Auth::kRequired,
                .doc = {.summary = "Who claimed my free downloads (addresses and followers), newest first",
                        .tag = "free downloads", .responses = {{200, "FreeDownloadLeads"}}, .query = {"limit", "cursor"}},
                .handler = [&m](const Request& req) -> Reply {
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return m.service.leads(req.user().user_id, limit, cursor);
                    });
                }});
    router.add({.method = "GET", .path = "/api/free-downloads/{token}", .exec = Exec::kBlocking,
                .doc = {.summary = "A free download link: the tagged MP3, while the link and the offer last",
                        .tag = "free downloads", .responses = {{200, ""}, {206, ""}, {404, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    auto beat_id = m.service.redeem(std::string(req.param("token")));
                    if (!beat_id) {
                        return beat_id.error();
                    }
                    return m.beats.tagged_mp3(req, *beat_id);
                }});
}

}  // namespace bb::free_downloads
