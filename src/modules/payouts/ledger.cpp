#include "modules/payouts/ledger.hpp"

#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/money.hpp"

namespace bb::payouts {
namespace {

std::string
text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Division
divide(std::int64_t amount_cents, std::int64_t fee_bp, const std::vector<Share>& shares)
{
    Division d;
    const std::int64_t amount = std::max<std::int64_t>(0, amount_cents);
    d.fee_cents = std::min(amount, core::money::share_of(amount, fee_bp));
    std::vector<std::int64_t> weights;
    for (const auto& s : shares) {
        weights.push_back(s.share_bp);
    }
    d.parts = core::money::spread(amount - d.fee_cents, weights);
    return d;
}

Ledger::Ledger(core::Db& db, Splits& splits, std::int64_t fee_bp, const std::string& secret)
    : db_(db), splits_(splits), fee_bp_(fee_bp), secret_(secret)
{
}

void
Ledger::add(core::Tx& tx, const std::string& user_id, const std::string& kind, std::int64_t cents,
            const std::string& currency, const std::optional<std::string>& purchase_id,
            const std::optional<std::string>& beat_id, std::optional<std::int64_t> share_bp)
{
    tx.query("INSERT INTO payouts_ledger (id, user_id, kind, amount_cents, currency, purchase_id, beat_id, share_bp, "
             "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(core::new_id(), user_id, kind, cents, currency, purchase_id, beat_id, share_bp, core::clock::now_ms())
        .exec();
}

core::Result<void>
Ledger::on_sale(const core::Event& e, core::Tx& tx)
{
    const auto purchase_id = text(e.payload, "purchase_id");
    const auto currency = text(e.payload, "currency").empty() ? std::string("USD") : text(e.payload, "currency");
    const auto* items = e.payload.if_contains("items");
    if (purchase_id.empty() || items == nullptr || !items->is_array()) {
        return {};
    }
    for (const auto& v : items->as_array()) {
        if (!v.is_object()) {
            continue;
        }
        const auto& item = v.as_object();
        const auto beat_id = text(item, "beat_id");
        const auto* price = item.if_contains("price_cents");
        const std::int64_t amount = price != nullptr && price->is_int64() ? price->as_int64() : 0;
        const auto shares = splits_.active(tx, beat_id, text(item, "seller_id"));
        const auto d = divide(amount, fee_bp_, shares);
        if (d.fee_cents > 0) {
            add(tx, kPlatform, "fee", d.fee_cents, currency, purchase_id, beat_id, std::nullopt);
        }
        for (std::size_t i = 0; i < shares.size(); ++i) {
            if (d.parts[i] > 0) {
                add(tx, shares[i].user_id, "sale", d.parts[i], currency, purchase_id, beat_id, shares[i].share_bp);
            }
        }
    }
    return {};
}

core::Result<void>
Ledger::on_refund(const core::Event& e, core::Tx& tx)
{
    // Exactly the opposite of what the sale wrote (split and fee as they were then); a refund seen
    // twice, or of a sale never recorded, finds nothing left to reverse.
    const auto purchase_id = text(e.payload, "purchase_id");
    struct Entry {
        std::string user_id, kind, currency, beat_id;
        std::int64_t cents;
        std::optional<std::int64_t> share_bp;
    };
    std::vector<Entry> sale;
    {
        auto q = tx.query("SELECT user_id, kind, amount_cents, currency, beat_id, share_bp FROM payouts_ledger "
                          "WHERE purchase_id = ? AND kind IN ('sale', 'fee')");
        q.bind(purchase_id);
        while (q.step()) {
            sale.push_back({q.text(0), q.text(1), q.text(3), q.text(4), q.int64(2),
                            q.is_null(5) ? std::nullopt : std::optional<std::int64_t>(q.int64(5))});
        }
    }
    auto reversed = tx.query("SELECT 1 FROM payouts_ledger WHERE purchase_id = ? AND kind IN ('refund', 'fee_refund')");
    reversed.bind(purchase_id);
    if (reversed.step()) {
        return {};
    }
    for (const auto& s : sale) {
        add(tx, s.user_id, s.kind == "fee" ? "fee_refund" : "refund", -s.cents, s.currency, purchase_id, s.beat_id,
            s.share_bp);
    }
    return {};
}

boost::json::object
Ledger::summary(const std::string& user_id) const
{
    boost::json::object out{{"user_id", user_id}, {"currency", "USD"}};
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'sale' THEN amount_cents ELSE 0 END), 0) AS INTEGER), "
                            "CAST(COALESCE(SUM(CASE WHEN kind = 'refund' THEN amount_cents ELSE 0 END), 0) AS INTEGER), "
                            "CAST(COALESCE(SUM(amount_cents), 0) AS INTEGER) FROM payouts_ledger WHERE user_id = ?");
        q.bind(user_id);
        q.step();
        out["earned_cents"] = q.int64(0);
        out["refunded_cents"] = -q.int64(1);
        out["balance_cents"] = q.int64(2);
        auto p = conn.query("SELECT CAST(COALESCE(SUM(CASE WHEN status = 'pending' THEN amount_cents ELSE 0 END), 0) AS INTEGER), "
                            "CAST(COALESCE(SUM(CASE WHEN status = 'paid' THEN amount_cents ELSE 0 END), 0) AS INTEGER) "
                            "FROM payouts_payouts WHERE user_id = ?");
        p.bind(user_id);
        p.step();
        out["in_transit_cents"] = p.int64(0);
        out["paid_cents"] = p.int64(1);
    });
    // What is owed and not yet on its way: the balance (a refund after a payout can make it negative,
    // to be made up by later sales).
    out["pending_cents"] = out.at("balance_cents");
    return out;
}

core::Result<boost::json::object>
Ledger::entries(const std::string& user_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    boost::json::array entries;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, kind, amount_cents, currency, purchase_id, beat_id, payout_id, share_bp, created_ms "
                            "FROM payouts_ledger WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
        q.bind(user_id, *before, limit + 1);
        auto opt = [&](int i) { return q.is_null(i) ? boost::json::value(nullptr) : boost::json::value(q.text(i)); };
        while (q.step()) {
            entries.push_back({{"entry_id", q.text(0)},
                               {"kind", q.text(1)},
                               {"amount_cents", q.int64(2)},
                               {"currency", q.text(3)},
                               {"purchase_id", opt(4)},
                               {"beat_id", opt(5)},
                               {"payout_id", opt(6)},
                               {"share_bp", q.is_null(7) ? boost::json::value(nullptr) : boost::json::value(q.int64(7))},
                               {"created_at", core::clock::rfc3339(q.int64(8))}});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(entries.size()) > limit) {
        entries.pop_back();
        next = core::next_page_before(std::string(entries.back().as_object().at("entry_id").as_string()), secret_);
    }
    return boost::json::object{{"entries", std::move(entries)}, {"next_cursor", next}};
}

}  // namespace bb::payouts
