// Moderation over HTTP: reports from anyone signed in; the rest for admins only.
#include "modules/moderation/moderation.hpp"

#include "core/audit.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/moderation/service.hpp"

namespace bb::moderation {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;

core::Result<void>
admin_only(const Request& req)
{
    if (!req.user().is_admin()) {
        return core::forbidden("only admins may do this");
    }
    return {};
}

// An admin's POST on /.../{param}/...: the body's {field} (the reason, kept in the audit log), then
// act(admin, the path's id, reason).
using Action = core::Result<boost::json::object> (Service::*)(const http::Principal&, const std::string&,
                                                               const std::string&);
http::Handler
admin_action(Service& service, Action act, const char* param, const char* field, bool required)
{
    return [&service, act, param, field, required](const Request& req) -> Reply {
        if (auto ok = admin_only(req); !ok) {
            return ok.error();
        }
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto reason = in->string(field, required, required ? 1 : 0, 1000);
        if (auto e = in->error()) {
            return *e;
        }
        return http::json_reply(200, (service.*act)(req.user(), std::string(req.param(param)), reason.value_or("")));
    };
}

}  // namespace

struct ModerationModule::Impl {
    core::Services& services;
    Service service;
};

ModerationModule::ModerationModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                                   mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(Impl{services, Service(services.db, users, beats, mail, services.secret)}))
{
}

ModerationModule::~ModerationModule() = default;

void
ModerationModule::register_routes(http::Router& router)
{
    router.schema("NewReport", R"({"type": "object", "required": ["target_type", "target_id", "reason"], "properties": {
        "target_type": {"enum": ["beat", "user"]}, "target_id": {"type": "string"},
        "reason": {"enum": ["copyright", "offensive", "spam", "scam", "other"]},
        "details": {"type": "string", "maxLength": 2000}}})");
    router.schema("Report", R"({"type": "object", "required": ["report_id", "target_type", "target_id", "reason", "status"],
        "properties": {"report_id": {"type": "string"}, "reporter_id": {"type": "string"}, "reporter": {"type": "string"},
        "target_type": {"enum": ["beat", "user"]}, "target_id": {"type": "string"}, "target": {"type": "object"},
        "reason": {"type": "string"}, "details": {"type": "string"},
        "status": {"enum": ["open", "actioned", "dismissed"]}, "resolution": {"type": ["string", "null"]},
        "resolved_by": {"type": ["string", "null"]}, "open_reports_on_target": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}, "resolved_at": {"type": ["string", "null"]}}})");
    router.schema("ReportList", R"({"type": "object", "required": ["reports", "next_cursor"], "properties": {
        "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("AdminReason", R"({"type": "object", "properties": {"reason": {"type": "string", "maxLength": 1000}}})");
    router.schema("DismissReport", R"({"type": "object", "properties": {"note": {"type": "string", "maxLength": 1000}}})");
    router.schema("TakenDown", R"({"type": "object", "properties": {"beat_id": {"type": "string"},
        "taken_down": {"const": true}, "reports_closed": {"type": "integer"}}})");
    router.schema("Suspension", R"({"type": "object", "properties": {"user_id": {"type": "string"},
        "suspended": {"type": "boolean"}, "reports_closed": {"type": "integer"}}})");
    router.schema("AuditLog", R"({"type": "object", "required": ["entries", "next_cursor"], "properties": {
        "entries": {"type": "array", "items": {"type": "object", "required": ["audit_id", "actor_id", "action",
            "target_type", "target_id", "created_at"], "properties": {"audit_id": {"type": "string"},
            "actor_id": {"type": "string"}, "action": {"type": "string"}, "target_type": {"type": "string"},
            "target_id": {"type": "string"}, "reason": {"type": "string"}, "details": {"type": "object"},
            "created_at": {"type": "string", "format": "date-time"}}}},
        "next_cursor": {"type": ["string", "null"]}}})");

    Service& service = impl_->service;
    core::Db& db = impl_->services.db;
    const std::string& secret = impl_->services.secret;

    router.add({.method = "POST", .path = "/api/reports", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Report a beat or a user to the admins", .tag = "moderation", .request = "NewReport",
                        .responses = {{201, "Report"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto type = in->string("target_type", true, 1, 10);
                    auto id = in->string("target_id", true, 1, 64);
                    auto reason = in->string("reason", true, 1, 20);
                    auto details = in->string("details", false, 0, 2000);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    return http::json_reply(201, service.report(req.user(), {*type, *id, *reason, details.value_or("")}));
                }});
    router.add({.method = "GET", .path = "/api/admin/reports", .auth = Auth::kRequired,
                .doc = {.summary = "Admin: reports, newest first, with what they are about", .tag = "admin",
                        .responses = {{200, "ReportList"}, {403, "Error"}}, .query = {"status", "limit", "cursor"}},
                .handler = [&service](const Request& req) -> Reply {
                    if (auto ok = admin_only(req); !ok) {
                        return ok.error();
                    }
                    http::QueryInput in(req);
                    auto status = in.one_of("status", {"open", "actioned", "dismissed"});
                    if (auto e = in.error()) {
                        return *e;
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return service.reports(status, limit, cursor);
                    });
                }});
    router.add({.method = "POST", .path = "/api/admin/reports/{report_id}/dismiss", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: close a report without action", .tag = "admin", .request = "DismissReport",
                        .responses = {{200, "Report"}, {403, "Error"}, {404, "Error"}, {409, "Error"}}},
                .handler = admin_action(service, &Service::dismiss, "report_id", "note", false)});
    router.add({.method = "POST", .path = "/api/admin/beats/{beat_id}/takedown", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: take a beat out of the store (buyers keep their licenses and downloads); "
                                   "its open reports close",
                        .tag = "admin", .request = "AdminReason",
                        .responses = {{200, "TakenDown"}, {403, "Error"}, {404, "Error"}, {422, "Error"}}},
                .handler = admin_action(service, &Service::take_down, "beat_id", "reason", true)});
    router.add({.method = "POST", .path = "/api/admin/users/{user_id}/suspend", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: suspend an account (its sessions end, it cannot log in; purchases stay)",
                        .tag = "admin", .request = "AdminReason",
                        .responses = {{200, "Suspension"}, {403, "Error"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                .handler = admin_action(service, &Service::suspend, "user_id", "reason", true)});
    router.add({.method = "POST", .path = "/api/admin/users/{user_id}/reinstate", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: lift a suspension", .tag = "admin", .request = "AdminReason",
                        .responses = {{200, "Suspension"}, {403, "Error"}, {404, "Error"}, {409, "Error"}}},
                .handler = admin_action(service, &Service::reinstate, "user_id", "reason", false)});
    router.add({.method = "GET", .path = "/api/admin/audit", .auth = Auth::kRequired,
                .doc = {.summary = "Admin: every admin action, newest first", .tag = "admin",
                        .responses = {{200, "AuditLog"}, {403, "Error"}}, .query = {"action", "limit", "cursor"}},
                .handler = [&db, &secret](const Request& req) -> Reply {
                    if (auto ok = admin_only(req); !ok) {
                        return ok.error();
                    }
                    http::QueryInput in(req);
                    auto action = in.text("action", 64);
                    if (auto e = in.error()) {
                        return *e;
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return core::audit_page(db, secret, limit, cursor, action);
                    });
                }});
}

}  // namespace bb::moderation
