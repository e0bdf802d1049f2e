#pragma once
// The commerce module's HTTP adapters, one file per area: parse, call, serialise.
#include "modules/commerce/cart.hpp"
#include "modules/commerce/checkout.hpp"
#include "modules/commerce/offers.hpp"
#include "modules/commerce/promotions.hpp"

#include <functional>

namespace bb::http {
class Router;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::commerce {

// The cart as the caller sees it now (priced with a read connection).
using CartReader = std::function<CartView(const std::string& user_id)>;

void register_cart_routes(http::Router& router, Cart& cart, beats::BeatsModule& beats, Promotions& promotions,
                          CartReader read);
void register_checkout_route(http::Router& router, Checkouts& checkouts);
void register_promotion_routes(http::Router& router, Promotions& promotions);
void register_offer_routes(http::Router& router, Offers& offers);

}  // namespace bb::commerce
