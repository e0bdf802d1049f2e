#include "modules/purchases/sweep.hpp"

#include "modules/purchases/service.hpp"

namespace bb::purchases {
namespace {

template <class Source>
Unfinished
find(Source& src, std::int64_t now_ms, int limit)
{
    Unfinished out;
    auto interrupted = src.query("SELECT id FROM purchases_purchases WHERE lease_ms IS NOT NULL AND lease_ms < ? "
                                "AND status = 'pending' ORDER BY lease_ms LIMIT ?");
    interrupted.bind(now_ms, limit);
    while (interrupted.step()) {
        out.interrupted.push_back(interrupted.text(0));
    }
    auto expired = src.query("SELECT id FROM purchases_purchases WHERE status = 'pending' AND lease_ms IS NULL "
                            "AND expires_ms < ? ORDER BY expires_ms LIMIT ?");
    expired.bind(now_ms - kExpiredGraceMs, limit);
    while (expired.step()) {
        out.expired.push_back(expired.text(0));
    }
    return out;
}

}  // namespace

Unfinished
find_unfinished(core::Conn& conn, std::int64_t now_ms, int limit)
{
    return find(conn, now_ms, limit);
}

Unfinished
find_unfinished(core::Tx& tx, std::int64_t now_ms, int limit)
{
    return find(tx, now_ms, limit);
}

}  // namespace bb::purchases
