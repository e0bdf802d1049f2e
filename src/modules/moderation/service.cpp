#include "modules/moderation/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/beats.hpp"
#include "modules/mail/mail.hpp"
#include "modules/users/users.hpp"

namespace bb::moderation {
namespace {

constexpr const char* kReportColumns =
    "SELECT id, reporter_id, target_type, target_id, reason, details, status, resolution, resolved_by, created_ms, "
    "resolved_ms FROM moderation_reports ";

bool
one_of(const std::string& v, std::initializer_list<const char*> allowed)
{
    for (const char* a : allowed) {
        if (v == a) {
            return true;
        }
    }
    return false;
}

boost::json::value
nullable(core::Query& q, int index)
{
    return q.is_null(index) ? boost::json::value(nullptr) : boost::json::value(q.text(index));
}

}  // namespace

Service::Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
                 const std::string& secret)
    : db_(db), users_(users), beats_(beats), mail_(mail), secret_(secret)
{
}

boost::json::object
Service::report_json(core::Query& q) const
{
    boost::json::object r{{"report_id", q.text(0)},
                          {"reporter_id", q.text(1)},
                          {"target_type", q.text(2)},
                          {"target_id", q.text(3)},
                          {"reason", q.text(4)},
                          {"details", q.text(5)},
                          {"status", q.text(6)},
                          {"resolution", nullable(q, 7)},
                          {"resolved_by", nullable(q, 8)},
                          {"created_at", core::clock::rfc3339(q.int64(9))},
                          {"resolved_at", q.is_null(10) ? boost::json::value(nullptr)
                                                        : boost::json::value(core::clock::rfc3339(q.int64(10)))}};
    return r;
}

core::Result<boost::json::object>
Service::report(const http::Principal& who, const NewReport& in)
{
    boost::json::object problems;
    if (!one_of(in.target_type, {"beat", "user"})) {
        problems["target_type"] = "must be beat or user";
    }
    if (!one_of(in.reason, {"copyright", "offensive", "spam", "scam", "other"})) {
        problems["reason"] = "must be copyright, offensive, spam, scam or other";
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    if (in.target_type == "beat") {
        auto beat = beats_.find(in.target_id);
        if (!beat || beat->status == "deleted") {
            return core::not_found("beat");
        }
        if (beat->producer_id == who.user_id) {
            return core::invalid_field("target_id", "you cannot report your own beat");
        }
    } else {
        if (!users_.find(in.target_id)) {
            return core::not_found("user");
        }
        if (in.target_id == who.user_id) {
            return core::invalid_field("target_id", "you cannot report yourself");
        }
    }
    const std::string id = core::new_id();
    try {
        return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
            auto open = tx.query("SELECT 1 FROM moderation_reports WHERE reporter_id = ? AND target_type = ? AND "
                                 "target_id = ? AND status = 'open'");
            open.bind(who.user_id, in.target_type, in.target_id);
            if (open.step()) {
                return core::conflict("already_reported", "you reported this already; an admin will look at it");
            }
            tx.query("INSERT INTO moderation_reports (id, reporter_id, target_type, target_id, reason, details, status, "
                     "created_ms) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)")
                .bind(id, who.user_id, in.target_type, in.target_id, in.reason, in.details, core::clock::now_ms())
                .exec();
            auto q = tx.query(std::string(kReportColumns) + "WHERE id = ?");
            q.bind(id);
            q.step();
            return report_json(q);
        });
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {  // the same report twice at once
            return core::conflict("already_reported", "you reported this already; an admin will look at it");
        }
        throw;
    }
}

core::Result<boost::json::object>
Service::reports(const std::optional<std::string>& status, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    boost::json::array reports;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, reporter_id, target_type, target_id, reason, details, status, resolution, "
                            "resolved_by, created_ms, resolved_ms FROM moderation_reports WHERE id < ?1 AND "
                            "(?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3");
        q.bind(*before, status, limit + 1);
        while (q.step()) {
            reports.push_back(report_json(q));
        }
        for (auto& v : reports) {
            auto& r = v.as_object();
            auto count = conn.query("SELECT CAST(COUNT(*) AS INTEGER) FROM moderation_reports WHERE target_type = ? AND target_id = ? "
                                    "AND status = 'open'");
            count.bind(std::string(r.at("target_type").as_string()), std::string(r.at("target_id").as_string()));
            count.step();
            r["open_reports_on_target"] = count.int64(0);
        }
    });
    // What the admin needs to judge: the beat's title and producer, or the user's name.
    for (auto& v : reports) {
        auto& r = v.as_object();
        const std::string target_id(r.at("target_id").as_string());
        boost::json::object target{{"id", target_id}};
        if (r.at("target_type") == "beat") {
            if (auto beat = beats_.find(target_id)) {
                target["title"] = beat->title;
                target["producer_id"] = beat->producer_id;
                target["status"] = beat->status;
            }
        } else if (auto user = users_.find(target_id)) {
            target["username"] = user->username;
        }
        if (auto reporter = users_.find(std::string(r.at("reporter_id").as_string()))) {
            r["reporter"] = reporter->username;
        }
        r["target"] = std::move(target);
    }
    boost::json::value next = nullptr;
    if (static_cast<int>(reports.size()) > limit) {
        reports.pop_back();
        next = core::next_page_before(std::string(reports.back().as_object().at("report_id").as_string()), secret_);
    }
    return boost::json::object{{"reports", std::move(reports)}, {"next_cursor", next}};
}

std::int64_t
Service::close_reports(core::Tx& tx, const std::string& type, const std::string& id, const std::string& admin_id,
                       const std::string& resolution)
{
    return tx.query("UPDATE moderation_reports SET status = 'actioned', resolution = ?, resolved_by = ?, resolved_ms = ? "
                    "WHERE target_type = ? AND target_id = ? AND status = 'open'")
        .bind(resolution, admin_id, core::clock::now_ms(), type, id)
        .exec();
}

core::Result<boost::json::object>
Service::dismiss(const http::Principal& admin, const std::string& report_id, const std::string& note)
{
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        const auto changed = tx.query("UPDATE moderation_reports SET status = 'dismissed', resolution = ?, resolved_by = ?, "
                                      "resolved_ms = ? WHERE id = ? AND status = 'open'")
                                 .bind(note, admin.user_id, core::clock::now_ms(), report_id)
                                 .exec();
        auto q = tx.query(std::string(kReportColumns) + "WHERE id = ?");
        q.bind(report_id);
        if (!q.step()) {
            return core::not_found("report");
        }
        if (changed == 0) {
            return core::conflict("report_closed", "this report was already dealt with");
        }
        auto report = report_json(q);
        core::record_audit(tx, {.actor_id = admin.user_id, .action = "report.dismiss", .target_type = "report",
                                .target_id = report_id, .reason = note,
                                .details = {{"target_type", report.at("target_type")}, {"target_id", report.at("target_id")}}});
        return report;
    });
}

core::Result<boost::json::object>
Service::take_down(const http::Principal& admin, const std::string& beat_id, const std::string& reason)
{
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        auto beat = beats_.find(tx, beat_id);
        if (!beat || beat->status == "deleted") {
            return core::not_found("beat");
        }
        if (auto done = beats_.take_down(tx, beat_id); !done) {
            return done.error();
        }
        const auto closed = close_reports(tx, "beat", beat_id, admin.user_id, "taken down: " + reason);
        core::record_audit(tx, {.actor_id = admin.user_id, .action = "beat.takedown", .target_type = "beat",
                                .target_id = beat_id, .reason = reason,
                                .details = {{"producer_id", beat->producer_id}, {"title", beat->title},
                                            {"reports_closed", closed}}});
        if (auto email = users_.email_of(beat->producer_id)) {
            auto producer = users_.find(beat->producer_id);
            (void)mail_.queue(tx, {.to = *email,
                                   .template_name = "beat_taken_down",
                                   .vars = {{"username", producer ? producer->username : ""},
                                            {"title", beat->title},
                                            {"reason", reason}}});
        }
        core::log::info("moderation", "beat taken down", {{"beat_id", beat_id}, {"by", admin.user_id}});
        return boost::json::object{{"beat_id", beat_id}, {"taken_down", true}, {"reports_closed", closed}};
    });
}

core::Result<boost::json::object>
Service::suspend(const http::Principal& admin, const std::string& user_id, const std::string& reason)
{
    if (user_id == admin.user_id) {
        return core::invalid_field("user_id", "you cannot suspend yourself");
    }
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        if (auto done = users_.suspend(tx, user_id, reason); !done) {
            return done.error();
        }
        const auto closed = close_reports(tx, "user", user_id, admin.user_id, "suspended: " + reason);
        core::record_audit(tx, {.actor_id = admin.user_id, .action = "user.suspend", .target_type = "user",
                                .target_id = user_id, .reason = reason, .details = {{"reports_closed", closed}}});
        if (auto email = users_.email_of(user_id)) {
            auto user = users_.find(user_id);
            (void)mail_.queue(tx, {.to = *email,
                                   .template_name = "account_suspended",
                                   .vars = {{"username", user ? user->username : ""}, {"reason", reason}}});
        }
        core::log::info("moderation", "user suspended", {{"user_id", user_id}, {"by", admin.user_id}});
        return boost::json::object{{"user_id", user_id}, {"suspended", true}, {"reports_closed", closed}};
    });
}

core::Result<boost::json::object>
Service::reinstate(const http::Principal& admin, const std::string& user_id, const std::string& reason)
{
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        if (auto done = users_.unsuspend(tx, user_id); !done) {
            return done.error();
        }
        core::record_audit(tx, {.actor_id = admin.user_id, .action = "user.reinstate", .target_type = "user",
                                .target_id = user_id, .reason = reason});
        return boost::json::object{{"user_id", user_id}, {"suspended", false}};
    });
}

}  // namespace bb::moderation
