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

// A checkout waiting on a provider (Stripe) lasts kCheckoutMs: an exclusive is held that long and
// Stripe's session expires with it (Stripe takes 30 min to 24 h). Creating the checkout is owned by
// the process that started it for kCheckoutLeaseMs (the Stripe call times out after 10 s); past
// that, a retry with the same Idempotency-Key resumes it, or the sweep ends it. A checkout paid but
// still settling (a bank debit) holds its exclusive for kSettlingMs. A pending purchase still
// unsettled kExpiredGraceMs after its end (Stripe's expired event never came) is ended by the sweep.
inline constexpr std::int64_t kCheckoutMs = 60 * 60 * 1000;
inline constexpr std::int64_t kCheckoutLeaseMs = 20 * 1000;
inline constexpr std::int64_t kSettlingMs = 7 * 24 * 60 * 60 * 1000LL;
inline constexpr std::int64_t kExpiredGraceMs = 60 * 60 * 1000;
inline constexpr const char* kLateRefundJob = "purchases.late_refund";

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
    core::Result<boost::json::object> list_mine(const std::string& buyer_id, const std::optional<std::string>& beat_id,
                                                int limit, const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> sales(const std::string& seller_id, int limit,
                                            const std::optional<std::string>& cursor) const;
    core::Result<std::string> agreement(const http::Principal& who, const std::string& purchase_id) const;
    core::Result<boost::json::object> refund(const http::Principal& who, const std::string& purchase_id);
    // Stripe's webhook: the raw body and its Stripe-Signature header.
    core::Result<boost::json::object> webhook(std::string_view signature, std::string_view payload);
    // Ends what nobody will finish: pending checkouts whose owner's lease ran out before the
    // provider's answer was recorded, and checkouts long past their end. Returns how many ended.
    int sweep(std::int64_t now_ms);
    // The late-refund job: pays back a payment that arrived for what could no longer be sold.
    core::Result<void> pay_late_refund(const std::string& purchase_id);

    std::vector<std::string> formats_for(const std::string& user_id, const std::string& beat_id) const;
    std::vector<std::string> purchased_beats(const std::string& user_id) const;
    bool stripe_enabled() const;
    bool test_enabled() const { return providers_.contains("test"); }

private:
    core::Error unknown_provider(const std::string& name) const;
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
    // What an Idempotency-Key already says: an answer to replay, or a purchase whose owner died
    // (its lease ran out) to resume; neither when the key is new.
    struct Earlier {
        std::optional<Answer> answer;
        std::optional<std::string> resume;
    };
    core::Result<Earlier> replay(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request);
    // The provider's request for a recorded purchase (a resumed one is charged exactly as before).
    ChargeRequest charge_for(core::Tx& tx, const std::string& purchase_id, const std::string& token);
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
    // Paid, but an exclusive in it went to someone else meanwhile: refunded, never a second owner.
    bool exclusive_lost(core::Tx& tx, const std::string& purchase_id, const boost::json::array& items);
    void refund_late(core::Tx& tx, const boost::json::object& purchase, const std::string& payment_ref);
    core::Result<void> await_payment(core::Tx& tx, const std::string& purchase_id, const std::string& payment_ref);
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
