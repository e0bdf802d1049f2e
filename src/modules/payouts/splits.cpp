#include "modules/payouts/splits.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/beats.hpp"
#include "modules/mail/mail.hpp"
#include "modules/users/users.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

namespace bb::payouts {
namespace {

constexpr std::size_t kMaxCollaborators = 10;

}  // namespace

std::string
percent_text(std::int64_t bp)
{
    return bp % 100 == 0 ? std::to_string(bp / 100) : fmt::format("{}.{:02}", bp / 100, bp % 100);
}

std::optional<std::int64_t>
percent_to_bp(const boost::json::value& v)
{
    if (v.is_int64()) {
        return v.as_int64() * 100;
    }
    if (v.is_double()) {
        const double bp = v.as_double() * 100;
        if (std::abs(bp - std::round(bp)) > 1e-6) {
            return std::nullopt;  // more than two decimals
        }
        return static_cast<std::int64_t>(std::llround(bp));
    }
    return std::nullopt;
}

Splits::Splits(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
               std::string public_url)
    : db_(db), users_(users), beats_(beats), mail_(mail), public_url_(std::move(public_url))
{
    while (!public_url_.empty() && public_url_.back() == '/') {
        public_url_.pop_back();
    }
}

template <class Source>
boost::json::object
Splits::split_json(Source& src, const std::string& split_id) const
{
    auto q = src.query("SELECT beat_id, producer_id, status, created_ms, activated_ms FROM payouts_splits WHERE id = ?");
    q.bind(split_id);
    q.step();
    boost::json::object out{{"split_id", split_id},
                            {"beat_id", q.text(0)},
                            {"producer_id", q.text(1)},
                            {"status", q.text(2)},
                            {"created_at", core::clock::rfc3339(q.int64(3))},
                            {"activated_at", q.is_null(4) ? boost::json::value(nullptr)
                                                          : boost::json::value(core::clock::rfc3339(q.int64(4)))}};
    boost::json::array shares;
    auto s = src.query("SELECT user_id, share_bp, accepted_ms, declined_ms FROM payouts_split_shares WHERE split_id = ? "
                       "ORDER BY share_bp DESC, user_id");
    s.bind(split_id);
    while (s.step()) {
        shares.push_back({{"user_id", s.text(0)},
                          {"share_bp", s.int64(1)},
                          {"percent", percent_text(s.int64(1))},
                          {"accepted", !s.is_null(2)},
                          {"declined", !s.is_null(3)}});
    }
    out["shares"] = std::move(shares);
    return out;
}

// Usernames go in after the read or write that built the splits: a user lookup is a read of its
// own, and reads inside reads may wait on each other for the few read connections.
core::Result<boost::json::object>
Splits::named(core::Result<boost::json::object> splits) const
{
    if (!splits) {
        return splits;
    }
    auto name = [&](boost::json::value& split) {
        if (!split.is_object() || !split.as_object().contains("shares")) {
            return;
        }
        for (auto& share : split.as_object().at("shares").as_array()) {
            auto user = users_.find(std::string(share.as_object().at("user_id").as_string()));
            share.as_object()["username"] = user ? user->username : "(deleted account)";
        }
    };
    boost::json::value all = std::move(*splits);
    name(all);
    for (const char* key : {"active", "proposed"}) {
        if (auto* v = all.as_object().if_contains(key)) {
            name(*v);
        }
    }
    if (auto* list = all.as_object().if_contains("splits")) {
        for (auto& split : list->as_array()) {
            name(split);
        }
    }
    return std::move(all.as_object());
}

core::Result<boost::json::object>
Splits::propose(const http::Principal& who, const std::string& beat_id, const boost::json::array& given)
{
    auto beat = beats_.find(beat_id);
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    if (beat->producer_id != who.user_id) {
        return core::forbidden("only the beat's producer splits its sales");
    }
    if (given.empty() || given.size() > kMaxCollaborators) {
        return core::invalid_field("shares", "must list 1 to 10 people, each {user, percent}");
    }
    std::vector<Share> shares;
    std::map<std::string, std::string> names;  // user id -> username, for the invitations
    std::set<std::string> seen;
    std::int64_t total = 0;
    boost::json::object problems;
    for (std::size_t i = 0; i < given.size(); ++i) {
        const std::string where = "shares[" + std::to_string(i) + "]";
        if (!given[i].is_object()) {
            problems[where] = "must be {user, percent}";
            continue;
        }
        const auto& o = given[i].as_object();
        const auto* user = o.if_contains("user");
        const auto* percent = o.if_contains("percent");
        auto found = user != nullptr && user->is_string() ? users_.find(std::string(user->as_string())) : std::nullopt;
        const std::int64_t bp = percent != nullptr ? percent_to_bp(*percent).value_or(0) : 0;
        if (!found) {
            problems[where + ".user"] = "is not a user (give a user id or username)";
        } else if (!seen.insert(found->user_id).second) {
            problems[where + ".user"] = "is listed twice";
        }
        if (bp <= 0 || bp > 10000) {
            problems[where + ".percent"] = "must be more than 0 and at most 100, with at most two decimals";
        } else if (found) {
            shares.push_back({found->user_id, bp});
            names[found->user_id] = found->username;
            total += bp;
        }
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    if (total != 10000) {
        core::Error e = core::invalid_field("shares", "the shares must add up to exactly 100 %; they add up to " +
                                                          percent_text(total) + " %");
        e.slug = "shares_must_total_100";
        e.details["total_percent"] = percent_text(total);
        return e;
    }
    // Looked up before the write: mail addresses and the producer's name.
    std::map<std::string, std::string> emails;
    for (const auto& share : shares) {
        if (auto email = users_.email_of(share.user_id)) {
            emails[share.user_id] = *email;
        }
    }
    const auto producer = users_.find(who.user_id);
    const std::string id = core::new_id();
    return named(db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        const auto now = core::clock::now_ms();
        // A proposal not yet accepted gives way to this one.
        tx.query("UPDATE payouts_splits SET status = 'withdrawn' WHERE beat_id = ? AND status = 'proposed'").bind(beat_id).exec();
        tx.query("INSERT INTO payouts_splits (id, beat_id, producer_id, status, created_ms) VALUES (?, ?, ?, 'proposed', ?)")
            .bind(id, beat_id, who.user_id, now)
            .exec();
        bool waiting = false;
        for (const auto& s : shares) {
            const bool mine = s.user_id == who.user_id;
            tx.query("INSERT INTO payouts_split_shares (split_id, user_id, share_bp, accepted_ms) VALUES (?, ?, ?, ?)")
                .bind(id, s.user_id, s.share_bp, mine ? std::optional<std::int64_t>(now) : std::nullopt)
                .exec();
            if (mine) {
                continue;
            }
            waiting = true;
            if (auto email = emails.find(s.user_id); email != emails.end()) {
                (void)mail_.queue(tx, {.to = email->second,
                                       .template_name = "split",
                                       .vars = {{"username", names[s.user_id]},
                                                {"producer", producer ? producer->username : ""},
                                                {"title", beat->title},
                                                {"percent", percent_text(s.share_bp)},
                                                {"link", public_url_ + "/studio"}}});
            }
        }
        if (!waiting) {  // the producer alone: nothing to wait for
            tx.query("UPDATE payouts_splits SET status = 'replaced' WHERE beat_id = ? AND status = 'active'").bind(beat_id).exec();
            tx.query("UPDATE payouts_splits SET status = 'active', activated_ms = ? WHERE id = ?").bind(now, id).exec();
        }
        return split_json(tx, id);
    }));
}

core::Result<boost::json::object>
Splits::answer(const http::Principal& who, const std::string& split_id, bool accept)
{
    return named(db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        auto q = tx.query("SELECT s.beat_id, s.status, sh.accepted_ms, sh.declined_ms FROM payouts_splits s "
                          "JOIN payouts_split_shares sh ON sh.split_id = s.id WHERE s.id = ? AND sh.user_id = ?");
        q.bind(split_id, who.user_id);
        if (!q.step()) {
            return core::not_found("split");
        }
        const std::string beat_id = q.text(0);
        if (q.text(1) != "proposed") {
            return core::conflict("split_not_proposed", "this split is " + q.text(1) + "; there is nothing to answer");
        }
        const auto now = core::clock::now_ms();
        if (!accept) {
            tx.query("UPDATE payouts_split_shares SET declined_ms = ? WHERE split_id = ? AND user_id = ?")
                .bind(now, split_id, who.user_id)
                .exec();
            tx.query("UPDATE payouts_splits SET status = 'declined' WHERE id = ?").bind(split_id).exec();
            return split_json(tx, split_id);
        }
        tx.query("UPDATE payouts_split_shares SET accepted_ms = COALESCE(accepted_ms, ?) WHERE split_id = ? AND user_id = ?")
            .bind(now, split_id, who.user_id)
            .exec();
        auto open = tx.query("SELECT CAST(COUNT(*) AS INTEGER) FROM payouts_split_shares WHERE split_id = ? AND accepted_ms IS NULL");
        open.bind(split_id);
        open.step();
        if (open.int64(0) == 0) {
            tx.query("UPDATE payouts_splits SET status = 'replaced' WHERE beat_id = ? AND status = 'active'").bind(beat_id).exec();
            tx.query("UPDATE payouts_splits SET status = 'active', activated_ms = ? WHERE id = ?").bind(now, split_id).exec();
            core::log::info("payouts", "split active", {{"split_id", split_id}, {"beat_id", beat_id}});
        }
        return split_json(tx, split_id);
    }));
}

core::Result<boost::json::object>
Splits::of_beat(const http::Principal& who, const std::string& beat_id) const
{
    auto beat = beats_.find(beat_id);
    if (!beat) {
        return core::not_found("beat");
    }
    return named(db_.read([&](core::Conn& conn) -> core::Result<boost::json::object> {
        boost::json::object out{{"beat_id", beat_id}, {"active", nullptr}, {"proposed", nullptr}};
        bool party = who.user_id == beat->producer_id || who.is_admin();
        for (const char* status : {"active", "proposed"}) {
            auto q = conn.query("SELECT id FROM payouts_splits WHERE beat_id = ? AND status = ?");
            q.bind(beat_id, std::string(status));
            if (q.step()) {
                auto split = split_json(conn, q.text(0));
                for (const auto& s : split.at("shares").as_array()) {
                    party = party || s.as_object().at("user_id").as_string() == who.user_id;
                }
                out[status] = std::move(split);
            }
        }
        if (!party) {
            return core::not_found("split");  // who shares in a beat is theirs to know
        }
        return out;
    }));
}

core::Result<boost::json::object>
Splits::mine(const http::Principal& who) const
{
    auto found = db_.read([&](core::Conn& conn) -> core::Result<boost::json::object> {
        std::vector<std::string> ids;
        auto q = conn.query("SELECT s.id FROM payouts_splits s JOIN payouts_split_shares sh ON sh.split_id = s.id "
                            "WHERE sh.user_id = ? AND s.status IN ('proposed', 'active') ORDER BY s.id DESC LIMIT 200");
        q.bind(who.user_id);
        while (q.step()) {
            ids.push_back(q.text(0));
        }
        boost::json::array splits;
        for (const auto& id : ids) {
            splits.push_back(split_json(conn, id));
        }
        return boost::json::object{{"splits", std::move(splits)}};
    });
    if (found) {
        for (auto& split : found->at("splits").as_array()) {
            if (auto beat = beats_.find(std::string(split.as_object().at("beat_id").as_string()))) {
                split.as_object()["title"] = beat->title;
            }
        }
    }
    return named(std::move(found));
}

std::vector<Share>
Splits::active(core::Tx& tx, const std::string& beat_id, const std::string& producer_id) const
{
    std::vector<Share> out;
    auto q = tx.query("SELECT sh.user_id, sh.share_bp FROM payouts_splits s JOIN payouts_split_shares sh "
                      "ON sh.split_id = s.id WHERE s.beat_id = ? AND s.status = 'active' ORDER BY sh.share_bp DESC, sh.user_id");
    q.bind(beat_id);
    while (q.step()) {
        out.push_back({q.text(0), q.int64(1)});
    }
    if (out.empty()) {
        out.push_back({producer_id, 10000});
    }
    return out;
}

}  // namespace bb::payouts
