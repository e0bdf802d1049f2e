// The webhook signature check, offered to modules with Stripe endpoints of their own.
#include "modules/purchases/payments.hpp"
#include "modules/purchases/purchases.hpp"

namespace bb::purchases {

core::Result<void>
verify_stripe_webhook(std::string_view header, std::string_view payload, std::string_view secret, std::int64_t now_s)
{
    return verify_stripe_signature(header, payload, secret, now_s);
}

}  // namespace bb::purchases
