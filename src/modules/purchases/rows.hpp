#pragma once
// Reading a purchase back as the API shows it, and the error envelope an idempotent answer keeps.
// Private to the purchases module (service.cpp and checkout.cpp share them).
#include "core/clock.hpp"
#include "core/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <string>

namespace bb::purchases {

inline core::Error
refused(core::Code code, std::string slug, std::string message, const std::string& beat_id = "")
{
    boost::json::object details;
    if (!beat_id.empty()) {
        details["beat_id"] = beat_id;
    }
    return core::Error{code, std::move(slug), std::move(message), std::move(details)};
}

inline std::string
envelope(const core::Error& e)
{
    return boost::json::serialize(
        boost::json::object{{"error", {{"code", e.slug}, {"message", e.message}, {"details", e.details}}}});
}

// Reads a purchase with its items through a connection or a transaction (both have query()).
template <class Source>
std::optional<boost::json::object>
load_purchase(Source& src, const std::string& id)
{
    auto q = src.query("SELECT id, buyer_id, status, total_cents, currency, provider, checkout_url, failure, created_ms, "
                       "completed_ms, refunded_ms, expires_ms FROM purchases_purchases WHERE id = ?");
    q.bind(id);
    if (!q.step()) {
        return std::nullopt;
    }
    auto time = [&](int i) -> boost::json::value {
        return q.is_null(i) ? boost::json::value(nullptr) : boost::json::value(core::clock::rfc3339(q.int64(i)));
    };
    boost::json::object p{{"purchase_id", q.text(0)},
                          {"buyer_id", q.text(1)},
                          {"status", q.text(2)},
                          {"total_cents", q.int64(3)},
                          {"total", static_cast<double>(q.int64(3)) / 100.0},
                          {"currency", q.text(4)},
                          {"provider", q.text(5)},
                          {"created_at", time(8)},
                          {"completed_at", time(9)}};
    if (!q.is_null(6)) {
        p["checkout_url"] = q.text(6);
    }
    if (!q.is_null(7)) {
        p["failure_reason"] = q.text(7);
    }
    if (!q.is_null(10)) {
        p["refunded_at"] = time(10);
    }
    if (q.text(2) == "pending" && !q.is_null(11)) {
        p["expires_at"] = time(11);  // pay by then; an exclusive is held until then
    }
    boost::json::array items;
    auto i = src.query("SELECT beat_id, seller_id, title, license, files, price_cents FROM purchases_items "
                       "WHERE purchase_id = ? ORDER BY beat_id");
    i.bind(id);
    while (i.step()) {
        items.push_back({{"beat_id", i.text(0)},
                         {"seller_id", i.text(1)},
                         {"title", i.text(2)},
                         {"license", i.text(3)},
                         {"files", boost::json::parse(i.text(4))},
                         {"price_cents", i.int64(5)}});
    }
    p["items"] = std::move(items);
    return p;
}

}  // namespace bb::purchases
