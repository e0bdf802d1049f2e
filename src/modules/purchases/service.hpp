#pragma once
// Selling licenses. Every state change that moves money or rights is one transaction on the
// single writer: validating the cart, charging (the test provider settles inside it), granting the
// licenses, taking an exclusive beat out of the store and the outbox event. Concurrent buyers are
// therefore serialised: of 20 racing for one exclusive, exactly one gets it.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "http/request.hpp"
#include "modules/beats/beats.hpp"
#include "modules/purchases/payments.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/purchases/retention.hpp"
#include "modules/users/users.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bb::purchases {

struct CartItem {
    std::string beat_id;
    std::string license;
};

struct PurchaseRequest {
    std::vector<CartItem> items;
    std::string provider;  // "test" or "stripe"
    std::string token;
    std::optional<std::string> idempotency_key;
    std::string body_hash;  // of the raw request, to tell a replay from a reuse of the key
    Pricing pricing;        // a cart checkout's prices; none: each license's price
};

// An answer ready to send, so an idempotent replay returns it byte for byte.
struct Answer {
    int status = 0;
    std::string body;
};

class Service {
public:
    Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, core::Metrics& metrics,
            const std::string& secret,
            std::map<std::string, std::unique_ptr<PaymentProvider>> providers, std::string webhook_secret);

    core::Result<Answer> buy(const http::Principal& who, const PurchaseRequest& request);
    // True when buy() settles the request in one write, with no provider round trip (the test
    // provider); buy_queued() then does the same without holding the caller's thread.
    bool settles_at_once(const PurchaseRequest& request) const;
    // Queues the sale on the writer and returns at once; done(answer) runs on the writer thread
    // after the commit. Only for requests that settle at once.
    void buy_queued(const http::Principal& who, PurchaseRequest request,
                    std::function<void(core::Result<Answer>)> done);
    core::Result<boost::json::object> get(const http::Principal& who, const std::string& purchase_id) const;
    core::Result<boost::json::object> list_mine(const std::string& buyer_id, int limit,
                                                const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> sales(const std::string& seller_id, int limit,
                                            const std::optional<std::string>& cursor) const;
    core::Result<std::string> agreement(const http::Principal& who, const std::string& purchase_id) const;
    core::Result<boost::json::object> refund(const http::Principal& who, const std::string& purchase_id);
    // Stripe's webhook: the raw body and its Stripe-Signature header.
    core::Result<boost::json::object> webhook(std::string_view signature, std::string_view payload);

    std::vector<std::string> formats_for(const std::string& user_id, const std::string& beat_id) const;
    std::vector<std::string> purchased_beats(const std::string& user_id) const;
    bool stripe_enabled() const;

private:
    struct Priced {
        beats::BeatInfo beat;
        beats::License license;
        std::string files;  // license.files as the JSON the item and license rows keep
    };
    // How a purchase is recorded: pending, or settled at once (completed or declined).
    struct Settled {
        std::string status;
        std::optional<std::string> provider_ref = std::nullopt;
        std::optional<std::int64_t> completed_ms = std::nullopt;
    };
    core::Result<std::optional<Answer>> replay(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request);
    core::Result<std::vector<Priced>> price(core::Tx& tx, const http::Principal& who, const std::vector<CartItem>& items);
    // A cart checkout's own prices in place of the licenses' (in the purchase's transaction).
    core::Result<void> apply_pricing(core::Tx& tx, const PurchaseRequest& request, const std::string& purchase_id,
                                     std::vector<Priced>& priced);
    void insert(core::Tx& tx, const std::string& id, const http::Principal& who, const std::vector<Priced>& items,
                const std::string& provider, const Settled& settled);
    void remember(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request, const Answer& answer,
                  const std::string& purchase_id);
    core::Result<Answer> settle_now(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request,
                                    PaymentProvider& provider);
    core::Result<Answer> settle_later(const http::Principal& who, const PurchaseRequest& request,
                                      PaymentProvider& provider);
    core::Result<void> complete(core::Tx& tx, const std::string& purchase_id, const std::string& payment_ref);
    core::Result<void> decline(core::Tx& tx, const std::string& purchase_id, const std::string& reason);
    core::Result<void> revoke(core::Tx& tx, const std::string& purchase_id);
    core::Result<void> pay_back(const std::string& purchase_id, const std::string& provider_name);

    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    core::Counter& completed_;
    core::Counter& declined_;
    core::Counter& refunded_;
    const std::string& secret_;
    std::map<std::string, std::unique_ptr<PaymentProvider>> providers_;
    std::string webhook_secret_;
    Retention retention_;  // used on the writer thread only
};

}  // namespace bb::purchases
