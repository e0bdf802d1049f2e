#include "modules/payouts/runs.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/payouts/ledger.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/users/users.hpp"

#include <boost/json/parse.hpp>

namespace bb::payouts {
namespace {

std::string
status_of(const ConnectAccount& a)
{
    return a.transfers_active ? "active" : a.details_submitted ? "restricted" : "onboarding";
}

core::Error
not_configured()
{
    return core::Error{core::Code::kUnavailable, "payouts_not_configured",
                       "payouts need Stripe: set stripe_secret_key on this server", {}};
}

}  // namespace

Payouts::Payouts(core::Db& db, StripeConnect& connect, users::UsersModule& users, std::string public_url,
                 std::string webhook_secret, const std::string& secret)
    : db_(db),
      connect_(connect),
      users_(users),
      public_url_(std::move(public_url)),
      webhook_secret_(std::move(webhook_secret)),
      secret_(secret)
{
    while (!public_url_.empty() && public_url_.back() == '/') {
        public_url_.pop_back();
    }
}

boost::json::object
Payouts::account(const std::string& user_id) const
{
    boost::json::object out{{"user_id", user_id}, {"account_id", nullptr}, {"status", "none"}, {"can_receive", false}};
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT stripe_account_id, status FROM payouts_accounts WHERE user_id = ?");
        q.bind(user_id);
        if (q.step()) {
            out["account_id"] = q.text(0);
            out["status"] = q.text(1);
            out["can_receive"] = q.text(1) == "active";
        }
    });
    return out;
}

void
Payouts::set_status(const std::string& account_id, const ConnectAccount& account)
{
    db_.write([&](core::Tx& tx) {
        tx.query("UPDATE payouts_accounts SET status = ?, updated_ms = ? WHERE stripe_account_id = ?")
            .bind(status_of(account), core::clock::now_ms(), account_id)
            .exec();
    });
}

core::Result<boost::json::object>
Payouts::onboard(const http::Principal& who)
{
    if (!connect_.configured()) {
        return not_configured();
    }
    auto current = account(who.user_id);
    std::string account_id = current.at("account_id").is_string() ? std::string(current.at("account_id").as_string()) : "";
    if (account_id.empty()) {
        auto email = users_.email_of(who.user_id);
        auto made = connect_.create_account(who.user_id, email.value_or(""));
        if (!made) {
            return made.error();
        }
        account_id = made->id;
        const auto now = core::clock::now_ms();
        db_.write([&](core::Tx& tx) {
            tx.query("INSERT INTO payouts_accounts (user_id, stripe_account_id, status, created_ms, updated_ms) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING")
                .bind(who.user_id, account_id, status_of(*made), now, now)
                .exec();
        });
    }
    auto link = connect_.onboarding_link(account_id, public_url_ + "/studio?payouts=refresh",
                                         public_url_ + "/studio?payouts=return");
    if (!link) {
        return link.error();
    }
    auto out = account(who.user_id);
    out["onboarding_url"] = *link;
    return out;
}

core::Result<boost::json::object>
Payouts::refresh(const http::Principal& who)
{
    auto current = account(who.user_id);
    if (!current.at("account_id").is_string()) {
        return core::not_found("payout account");
    }
    if (!connect_.configured()) {
        return not_configured();
    }
    const std::string account_id(current.at("account_id").as_string());
    auto fetched = connect_.account(account_id);
    if (!fetched) {
        return fetched.error();
    }
    set_status(account_id, *fetched);
    return account(who.user_id);
}

core::Result<boost::json::object>
Payouts::webhook(std::string_view signature, std::string_view payload)
{
    if (webhook_secret_.empty()) {
        return core::unavailable("Stripe Connect webhooks are not configured on this server");
    }
    if (auto ok = purchases::verify_stripe_webhook(signature, payload, webhook_secret_, core::clock::now_ms() / 1000); !ok) {
        return ok.error();
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(payload, ec);
    if (ec || !parsed.is_object() || !parsed.as_object().contains("id") || !parsed.as_object().at("id").is_string()) {
        return core::bad_request("invalid_event", "the body is not a Stripe event");
    }
    const auto& event = parsed.as_object();
    const std::string id(event.at("id").as_string());
    const auto* type = event.if_contains("type");
    const std::string kind = type != nullptr && type->is_string() ? std::string(type->as_string()) : "";
    const auto* data = event.if_contains("data");
    bool duplicate = false;
    db_.write([&](core::Tx& tx) {
        duplicate = tx.query("INSERT INTO payouts_webhook_events (event_id, type, received_ms) VALUES (?, ?, ?) "
                             "ON CONFLICT (event_id) DO NOTHING")
                        .bind(id, kind, core::clock::now_ms())
                        .exec() == 0;
        if (duplicate || kind != "account.updated" || data == nullptr || !data->is_object() ||
            !data->as_object().contains("object") || !data->as_object().at("object").is_object()) {
            return;
        }
        const auto& object = data->as_object().at("object").as_object();
        const auto* account_id = object.if_contains("id");
        if (account_id == nullptr || !account_id->is_string()) {
            return;
        }
        ConnectAccount a{std::string(account_id->as_string())};
        if (const auto* caps = object.if_contains("capabilities"); caps != nullptr && caps->is_object()) {
            const auto* transfers = caps->as_object().if_contains("transfers");
            a.transfers_active = transfers != nullptr && transfers->is_string() && transfers->as_string() == "active";
        }
        if (const auto* submitted = object.if_contains("details_submitted"); submitted != nullptr && submitted->is_bool()) {
            a.details_submitted = submitted->as_bool();
        }
        tx.query("UPDATE payouts_accounts SET status = ?, updated_ms = ? WHERE stripe_account_id = ?")
            .bind(status_of(a), core::clock::now_ms(), a.id)
            .exec();
    });
    core::log::info("payouts", "stripe connect event", {{"event_id", id}, {"type", kind}, {"duplicate", duplicate}});
    return boost::json::object{{"received", true}, {"duplicate", duplicate}};
}

boost::json::object
Payouts::run_json(core::Conn& conn, const std::string& run_id) const
{
    auto r = conn.query("SELECT created_by, created_ms FROM payouts_runs WHERE id = ?");
    r.bind(run_id);
    r.step();
    boost::json::object out{{"run_id", run_id}, {"created_by", r.text(0)}, {"created_at", core::clock::rfc3339(r.int64(1))}};
    boost::json::array payouts;
    std::int64_t total = 0;
    auto q = conn.query("SELECT id, user_id, amount_cents, currency, status, transfer_id, failure FROM payouts_payouts "
                        "WHERE run_id = ? ORDER BY id");
    q.bind(run_id);
    while (q.step()) {
        total += q.int64(2);
        payouts.push_back({{"payout_id", q.text(0)},
                           {"user_id", q.text(1)},
                           {"amount_cents", q.int64(2)},
                           {"currency", q.text(3)},
                           {"status", q.text(4)},
                           {"transfer_id", q.is_null(5) ? boost::json::value(nullptr) : boost::json::value(q.text(5))},
                           {"failure", q.is_null(6) ? boost::json::value(nullptr) : boost::json::value(q.text(6))}});
    }
    out["payouts"] = std::move(payouts);
    out["total_cents"] = total;
    return out;
}

core::Result<boost::json::object>
Payouts::run(const http::Principal& admin, const std::optional<std::string>& key)
{
    if (!connect_.configured()) {
        return not_configured();
    }
    std::string run_id;
    boost::json::array skipped;
    try {
        auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
            if (key) {
                auto earlier = tx.query("SELECT id FROM payouts_runs WHERE idempotency_key = ?");
                earlier.bind(*key);
                if (earlier.step()) {
                    run_id = earlier.text(0);  // the same run again: its answer, nothing paid twice
                    return {};
                }
            }
            run_id = core::new_id();
            const auto now = core::clock::now_ms();
            tx.query("INSERT INTO payouts_runs (id, idempotency_key, created_by, created_ms) VALUES (?, ?, ?, ?)")
                .bind(run_id, key, admin.user_id, now)
                .exec();
            struct Owed {
                std::string user_id, currency;
                std::int64_t cents;
                std::optional<std::string> account;
                std::string status;
            };
            std::vector<Owed> owed;
            {
                auto q = tx.query("SELECT l.user_id, l.currency, CAST(SUM(l.amount_cents) AS INTEGER) FROM payouts_ledger l "
                                  "WHERE l.user_id != ? GROUP BY l.user_id, l.currency "
                                  "HAVING SUM(l.amount_cents) >= ? ORDER BY l.user_id");
                q.bind(kPlatform, kMinimumPayoutCents);
                while (q.step()) {
                    owed.push_back({q.text(0), q.text(1), q.int64(2), std::nullopt, "none"});
                }
            }
            for (auto& o : owed) {
                auto a = tx.query("SELECT stripe_account_id, status FROM payouts_accounts WHERE user_id = ?");
                a.bind(o.user_id);
                if (a.step()) {
                    o.account = a.text(0);
                    o.status = a.text(1);
                }
                if (!o.account || o.status != "active") {
                    skipped.push_back({{"user_id", o.user_id},
                                       {"balance_cents", o.cents},
                                       {"reason", o.account ? "the payout account is not ready for transfers"
                                                            : "no payout account yet"}});
                    continue;
                }
                const std::string payout_id = core::new_id();
                tx.query("INSERT INTO payouts_payouts (id, run_id, user_id, stripe_account_id, amount_cents, currency, "
                         "status, created_ms) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)")
                    .bind(payout_id, run_id, o.user_id, *o.account, o.cents, o.currency, now)
                    .exec();
                tx.query("INSERT INTO payouts_ledger (id, user_id, kind, amount_cents, currency, payout_id, created_ms) "
                         "VALUES (?, ?, 'payout', ?, ?, ?, ?)")
                    .bind(core::new_id(), o.user_id, -o.cents, o.currency, payout_id, now)
                    .exec();
                tx.enqueue(kTransferJob, {{"payout_id", payout_id}});
            }
            core::record_audit(tx, {.actor_id = admin.user_id, .action = "payouts.run", .target_type = "payout_run",
                                    .target_id = run_id, .details = {{"skipped", skipped.size()}}});
            return {};
        });
        if (!done) {
            return done.error();
        }
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {  // the same key in two requests at once: the other one made the run
            return core::conflict("payout_run_in_progress", "a run with this Idempotency-Key is being made; retry");
        }
        throw;
    }
    auto out = db_.read([&](core::Conn& conn) { return run_json(conn, run_id); });
    out["skipped"] = std::move(skipped);
    return out;
}

core::Result<boost::json::object>
Payouts::runs(int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    boost::json::array runs;
    db_.read([&](core::Conn& conn) {
        std::vector<std::string> ids;
        auto q = conn.query("SELECT id FROM payouts_runs WHERE id < ? ORDER BY id DESC LIMIT ?");
        q.bind(*before, limit + 1);
        while (q.step()) {
            ids.push_back(q.text(0));
        }
        for (const auto& id : ids) {
            runs.push_back(run_json(conn, id));
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(runs.size()) > limit) {
        runs.pop_back();
        next = core::next_page_before(std::string(runs.back().as_object().at("run_id").as_string()), secret_);
    }
    return boost::json::object{{"runs", std::move(runs)}, {"next_cursor", next}};
}

core::Result<boost::json::object>
Payouts::payouts_of(const std::string& user_id) const
{
    boost::json::array payouts;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, amount_cents, currency, status, transfer_id, failure, created_ms, paid_ms "
                            "FROM payouts_payouts WHERE user_id = ? ORDER BY id DESC LIMIT 100");
        q.bind(user_id);
        while (q.step()) {
            payouts.push_back({{"payout_id", q.text(0)},
                               {"amount_cents", q.int64(1)},
                               {"currency", q.text(2)},
                               {"status", q.text(3)},
                               {"transfer_id", q.is_null(4) ? boost::json::value(nullptr) : boost::json::value(q.text(4))},
                               {"failure", q.is_null(5) ? boost::json::value(nullptr) : boost::json::value(q.text(5))},
                               {"created_at", core::clock::rfc3339(q.int64(6))},
                               {"paid_at", q.is_null(7) ? boost::json::value(nullptr)
                                                        : boost::json::value(core::clock::rfc3339(q.int64(7)))}});
        }
    });
    return boost::json::object{{"payouts", std::move(payouts)}};
}

core::Result<void>
Payouts::transfer(const core::Job& job)
{
    const auto* field = job.payload.if_contains("payout_id");
    if (field == nullptr || !field->is_string()) {
        return {};
    }
    const std::string payout_id(field->as_string());
    struct Pending {
        std::string user_id, account, currency;
        std::int64_t cents;
    };
    std::optional<Pending> p;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT user_id, stripe_account_id, currency, amount_cents FROM payouts_payouts "
                            "WHERE id = ? AND status = 'pending'");
        q.bind(payout_id);
        if (q.step()) {
            p = Pending{q.text(0), q.text(1), q.text(2), q.int64(3)};
        }
    });
    if (!p) {
        return {};  // paid or failed already
    }
    const auto outcome = connect_.transfer(payout_id, p->account, p->cents, p->currency);
    if (outcome.kind == TransferOutcome::Kind::kUnavailable) {
        return core::unavailable("transfer not made yet: " + outcome.message);  // retried with the same key
    }
    db_.write([&](core::Tx& tx) {
        const auto now = core::clock::now_ms();
        if (outcome.kind == TransferOutcome::Kind::kDone) {
            tx.query("UPDATE payouts_payouts SET status = 'paid', transfer_id = ?, paid_ms = ? WHERE id = ? AND status = 'pending'")
                .bind(outcome.transfer_id, now, payout_id)
                .exec();
            return;
        }
        if (tx.query("UPDATE payouts_payouts SET status = 'failed', failure = ? WHERE id = ? AND status = 'pending'")
                .bind(outcome.message, payout_id)
                .exec() > 0) {
            tx.query("INSERT INTO payouts_ledger (id, user_id, kind, amount_cents, currency, payout_id, created_ms) "
                     "VALUES (?, ?, 'payout_reversal', ?, ?, ?, ?)")
                .bind(core::new_id(), p->user_id, p->cents, p->currency, payout_id, now)
                .exec();
        }
    });
    core::log::info("payouts", outcome.kind == TransferOutcome::Kind::kDone ? "payout paid" : "payout refused",
                    {{"payout_id", payout_id}, {"transfer_id", outcome.transfer_id}, {"error", outcome.message}});
    return {};
}

}  // namespace bb::payouts
