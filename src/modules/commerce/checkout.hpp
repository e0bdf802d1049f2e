#pragma once
// Paying for a cart: one purchase for everything that can be bought, through the purchases
// module, which calls back into the cart's pricing inside the purchase's own transaction. There the
// cart is priced again as it is at that moment (a beat sold meanwhile refuses the checkout), the
// coupon is taken within its limits (the single writer serialises concurrent buyers, so a limit
// holds however many race for it), and each line is charged its price after offers, deals and the
// coupon. When the purchase completes, the coupon counts as used, accepted offers as paid and the
// beats leave the cart; when it is declined, the coupon is given back.
#include "core/error.hpp"
#include "core/event_bus.hpp"
#include "http/request.hpp"
#include "modules/commerce/cart.hpp"
#include "modules/commerce/offers.hpp"
#include "modules/commerce/promotions.hpp"
#include "modules/purchases/purchases.hpp"

#include <optional>
#include <string>

namespace bb::beats {
class BeatsModule;
}

namespace bb::commerce {

// Stripe takes no less than $0.50 for a payment.
inline constexpr std::int64_t kStripeMinimumCents = 50;

class Checkouts {
public:
    Checkouts(core::Db& db, purchases::PurchasesModule& purchases, beats::BeatsModule& beats, Cart& cart,
              Promotions& promotions, Offers& offers);

    core::Result<purchases::CheckoutAnswer> checkout(const http::Principal& who, const std::string& provider,
                                                     const std::string& token,
                                                     const std::optional<std::string>& idempotency_key,
                                                     const std::string& body_hash);

    core::Result<void> on_completed(const core::Event& e, core::Tx& tx);
    core::Result<void> on_declined(const core::Event& e, core::Tx& tx);

private:
    CartView view(core::Tx& tx, const std::string& user_id) const;

    core::Db& db_;
    purchases::PurchasesModule& purchases_;
    beats::BeatsModule& beats_;
    Cart& cart_;
    Promotions& promotions_;
    Offers& offers_;
};

}  // namespace bb::commerce
