#include "modules/free_downloads/service.hpp"

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/beats.hpp"
#include "modules/mail/mail.hpp"
#include "modules/users/users.hpp"

#include <algorithm>

namespace bb::free_downloads {
namespace {

constexpr std::int64_t kLinkTtlMs = 48LL * 3600 * 1000;

std::string
lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

Service::Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
                 std::string public_url, const std::string& secret)
    : db_(db),
      users_(users),
      beats_(beats),
      mail_(mail),
      public_url_(std::move(public_url)),
      secret_(secret),
      per_address_(3, std::chrono::hours(1))
{
    while (!public_url_.empty() && public_url_.back() == '/') {
        public_url_.pop_back();
    }
}

std::optional<Offer>
Service::offer(const std::string& beat_id) const
{
    std::optional<Offer> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT beat_id, producer_id, gate, delivery FROM free_downloads_offers WHERE beat_id = ?");
        q.bind(beat_id);
        if (q.step()) {
            out = Offer{q.text(0), q.text(1), q.text(2), q.text(3)};
        }
    });
    return out;
}

core::Result<Offer>
Service::set_offer(const http::Principal& who, const std::string& beat_id, const std::string& gate,
                   const std::string& delivery)
{
    boost::json::object problems;
    if (gate != "email" && gate != "follow") {
        problems["gate"] = "must be email or follow";
    }
    if (delivery != "email" && delivery != "instant") {
        problems["delivery"] = "must be email or instant";
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    auto beat = beats_.find(beat_id);
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    if (beat->producer_id != who.user_id) {
        return core::forbidden("only the beat's producer may give it away");
    }
    const auto now = core::clock::now_ms();
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO free_downloads_offers (beat_id, producer_id, gate, delivery, created_ms, updated_ms) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (beat_id) DO UPDATE SET gate = excluded.gate, "
                 "delivery = excluded.delivery, updated_ms = excluded.updated_ms")
            .bind(beat_id, who.user_id, gate, delivery, now, now)
            .exec();
    });
    return Offer{beat_id, who.user_id, gate, delivery};
}

core::Result<void>
Service::remove_offer(const http::Principal& who, const std::string& beat_id)
{
    auto current = offer(beat_id);
    if (!current) {
        return core::not_found("free download");
    }
    if (current->producer_id != who.user_id) {
        return core::forbidden("only the beat's producer may change its free download");
    }
    db_.write([&](core::Tx& tx) {
        tx.query("DELETE FROM free_downloads_offers WHERE beat_id = ?").bind(beat_id).exec();
    });
    return {};
}

core::Result<Claimed>
Service::claim(const std::string& beat_id, const std::optional<std::string>& email,
               const std::optional<http::Principal>& who)
{
    auto current = offer(beat_id);
    auto beat = beats_.find(beat_id);
    // Only while the beat is in the store: once sold exclusively it is its buyer's alone.
    if (!current || !beat || beat->status != "ready") {
        return core::not_found("free download");
    }
    std::optional<std::string> address;
    std::optional<std::string> user_id;
    if (current->gate == "email") {
        if (!email || !mail::MailModule::is_address(*email)) {
            return core::invalid_field("email", "an email address is what this download costs");
        }
        address = *email;
    } else {
        if (!who) {
            return core::unauthorized("log in: this download costs a follow");
        }
        if (who->user_id == current->producer_id) {
            return core::invalid_field("beat_id", "this is your own beat");
        }
        if (auto followed = users_.follow(who->user_id, current->producer_id); !followed) {
            return followed.error();
        }
        user_id = who->user_id;
        address = users_.email_of(who->user_id);
    }
    if (current->delivery == "email") {
        // Each address gets a few mails an hour at most, whoever asks: no mail bombing through us.
        if (!address) {
            return core::invalid_field("email", "your account has no email address to send the link to");
        }
        if (const int wait = per_address_.take(lower(*address)); wait > 0) {
            return core::rate_limited(wait);
        }
    }
    const std::string token = core::crypto::base64url(core::crypto::random_bytes(32));
    const std::string link = public_url_ + "/api/free-downloads/" + token;
    auto producer = users_.find(current->producer_id);
    auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
        const auto now = core::clock::now_ms();
        const std::string claim_id = core::new_id();
        tx.query("INSERT INTO free_downloads_claims (id, beat_id, producer_id, email, user_id, created_ms) "
                 "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(claim_id, beat_id, current->producer_id, current->gate == "email" ? address : std::nullopt, user_id, now)
            .exec();
        tx.query("INSERT INTO free_downloads_links (token_hash, beat_id, claim_id, expires_ms) VALUES (?, ?, ?, ?)")
            .bind(core::crypto::sha256_hex(token), beat_id, claim_id, now + kLinkTtlMs)
            .exec();
        if (current->delivery == "email") {
            auto queued = mail_.queue(tx, {.to = *address,
                                           .template_name = "free_download",
                                           .vars = {{"producer", producer ? producer->username : beat->artist},
                                                    {"title", beat->title},
                                                    {"link", link},
                                                    {"hours", kLinkTtlMs / 3600000}}});
            if (!queued) {
                return queued.error();
            }
        }
        return {};
    });
    if (!done) {
        return done.error();
    }
    core::log::info("free_downloads", "claimed", {{"beat_id", beat_id}, {"gate", current->gate}});
    if (current->delivery == "email") {
        return Claimed{"email", std::nullopt};
    }
    return Claimed{"instant", "/api/free-downloads/" + token};
}

core::Result<std::string>
Service::redeem(const std::string& token)
{
    std::optional<std::string> beat_id;
    const std::string hash = core::crypto::sha256_hex(token);
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT l.beat_id FROM free_downloads_links l JOIN free_downloads_offers o "
                            "ON o.beat_id = l.beat_id WHERE l.token_hash = ? AND l.expires_ms > ?");
        q.bind(hash, core::clock::now_ms());
        if (q.step()) {
            beat_id = q.text(0);
        }
    });
    auto beat = beat_id ? beats_.find(*beat_id) : std::nullopt;
    if (!beat_id || !beat || beat->status != "ready") {
        return core::not_found("download link (it may have expired, or the beat is no longer given away)");
    }
    db_.write([&](core::Tx& tx) {
        tx.query("UPDATE free_downloads_links SET downloads = downloads + 1 WHERE token_hash = ?").bind(hash).exec();
    });
    return *beat_id;
}

core::Result<boost::json::object>
Service::leads(const std::string& producer_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    boost::json::array leads;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, beat_id, email, user_id, created_ms FROM free_downloads_claims "
                            "WHERE producer_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
        q.bind(producer_id, *before, limit + 1);
        while (q.step()) {
            leads.push_back({{"claim_id", q.text(0)},
                             {"beat_id", q.text(1)},
                             {"email", q.is_null(2) ? boost::json::value(nullptr) : boost::json::value(q.text(2))},
                             {"user_id", q.is_null(3) ? boost::json::value(nullptr) : boost::json::value(q.text(3))},
                             {"created_at", core::clock::rfc3339(q.int64(4))}});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(leads.size()) > limit) {
        leads.pop_back();
        next = core::next_page_before(std::string(leads.back().as_object().at("claim_id").as_string()), secret_);
    }
    for (auto& v : leads) {
        auto& lead = v.as_object();
        if (lead.at("user_id").is_string()) {
            if (auto user = users_.find(std::string(lead.at("user_id").as_string()))) {
                lead["username"] = user->username;
            }
        }
        if (auto beat = beats_.find(std::string(lead.at("beat_id").as_string()))) {
            lead["title"] = beat->title;
        }
    }
    return boost::json::object{{"leads", std::move(leads)}, {"next_cursor", next}};
}

}  // namespace bb::free_downloads
