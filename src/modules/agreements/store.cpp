#include "modules/agreements/store.hpp"

#include "core/clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::agreements {
namespace {

constexpr const char* kSelectTerms =
    "SELECT tier, distribution_copies, audio_streams, music_videos, paid_performances, credit_line, extra_terms "
    "FROM agreements_terms WHERE producer_id = ?";

std::optional<std::int64_t>
amount(core::Query& q, int index)
{
    return q.is_null(index) ? std::nullopt : std::optional<std::int64_t>(q.int64(index));
}

Terms
read_terms(core::Query& q)
{
    return Terms{.tier = q.text(0),
                 .distribution_copies = amount(q, 1),
                 .audio_streams = amount(q, 2),
                 .music_videos = amount(q, 3),
                 .paid_performances = amount(q, 4),
                 .credit_line = q.text(5),
                 .extra_terms = q.text(6),
                 .custom = true};
}

}  // namespace

Terms
Store::terms(core::Tx& tx, const std::string& producer_id, const std::string& tier) const
{
    auto q = tx.query("SELECT tier, distribution_copies, audio_streams, music_videos, paid_performances, credit_line, "
                      "extra_terms FROM agreements_terms WHERE producer_id = ? AND tier = ?");
    q.bind(producer_id, tier);
    return q.step() ? read_terms(q) : default_terms(tier);
}

std::vector<Terms>
Store::all_terms(const std::string& producer_id) const
{
    std::vector<Terms> out;
    for (const char* tier : {"basic", "premium", "unlimited", "exclusive"}) {
        out.push_back(default_terms(tier));
    }
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kSelectTerms);
        q.bind(producer_id);
        while (q.step()) {
            auto custom = read_terms(q);
            for (auto& t : out) {
                if (t.tier == custom.tier) {
                    t = custom;
                }
            }
        }
    });
    return out;
}

void
Store::save_terms(const std::string& producer_id, const Terms& t)
{
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO agreements_terms (producer_id, tier, distribution_copies, audio_streams, music_videos, "
                 "paid_performances, credit_line, extra_terms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (producer_id, tier) DO UPDATE SET distribution_copies = excluded.distribution_copies, "
                 "audio_streams = excluded.audio_streams, music_videos = excluded.music_videos, "
                 "paid_performances = excluded.paid_performances, credit_line = excluded.credit_line, "
                 "extra_terms = excluded.extra_terms, updated_ms = excluded.updated_ms")
            .bind(producer_id, t.tier, t.distribution_copies, t.audio_streams, t.music_videos, t.paid_performances,
                  t.credit_line, t.extra_terms, core::clock::now_ms())
            .exec();
    });
}

void
Store::reset_terms(const std::string& producer_id, const std::string& tier)
{
    db_.write([&](core::Tx& tx) {
        tx.query("DELETE FROM agreements_terms WHERE producer_id = ? AND tier = ?").bind(producer_id, tier).exec();
    });
}

void
Store::record(core::Tx& tx, const Document& d)
{
    tx.query("INSERT INTO agreements_documents (purchase_id, beat_id, buyer_id, seller_id, document, fingerprint, "
             "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (purchase_id, beat_id) DO NOTHING")
        .bind(d.purchase_id, d.beat_id, d.buyer_id, d.seller_id, boost::json::serialize(document_json(d)),
              fingerprint(d), core::clock::now_ms())
        .exec();
}

void
Store::revoke(core::Tx& tx, const std::string& purchase_id, std::int64_t when_ms)
{
    tx.query("UPDATE agreements_documents SET revoked_ms = ? WHERE purchase_id = ? AND revoked_ms IS NULL")
        .bind(when_ms, purchase_id)
        .exec();
}

std::vector<Stored>
Store::for_purchase(const std::string& purchase_id) const
{
    std::vector<Stored> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT document, fingerprint, revoked_ms FROM agreements_documents WHERE purchase_id = ? "
                            "ORDER BY beat_id");
        q.bind(purchase_id);
        while (q.step()) {
            Stored s{document_from_json(boost::json::parse(q.text(0)).as_object()), q.text(1)};
            if (!q.is_null(2)) {
                s.document.revoked_ms = q.int64(2);
            }
            out.push_back(std::move(s));
        }
    });
    return out;
}

bool
Store::first_mailing(core::Tx& tx, const std::string& purchase_id)
{
    return tx.query("INSERT INTO agreements_receipts (purchase_id, mailed_ms) VALUES (?, ?) "
                    "ON CONFLICT (purchase_id) DO NOTHING")
               .bind(purchase_id, core::clock::now_ms())
               .exec() > 0;
}

}  // namespace bb::agreements
