// Commerce: the cart, producers' deals and coupons, and offers. Checkout goes through the purchases
// module, which asks the cart for its prices inside the purchase's own transaction.
#include "modules/commerce/commerce.hpp"

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "modules/commerce/checkout.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/commerce/routes.hpp"

namespace bb::commerce {

struct CommerceModule::Impl {
    core::Services& services;
    beats::BeatsModule& beats;
    Promotions promotions;
    Cart cart;
    Offers offers;
    Checkouts checkouts;

    Impl(core::Services& s, users::UsersModule& u, beats::BeatsModule& b, purchases::PurchasesModule& p,
         mail::MailModule& m)
        : services(s),
          beats(b),
          promotions(s.db),
          cart(s.db, promotions),
          offers(s.db, u, b, m, s.config.public_url, std::int64_t{s.config.offer_window_s} * 1000, s.secret),
          checkouts(s.db, p, b, cart, promotions, offers)
    {
    }

    // Reads one after another, never one inside another (see CartSources).
    CartView read_cart(const std::string& user_id)
    {
        const auto now = core::clock::now_ms();
        const auto items = services.db.read([&](core::Conn& conn) { return cart.items(conn, user_id); });
        const auto found = beats_of(beats, items);
        return services.db.read([&](core::Conn& conn) {
            CartSources sources{
                .beat = [&](const std::string& beat_id) { return found.at(beat_id); },
                .offer = [&](const std::string& beat_id, const std::string& license) {
                    return offers.accepted(conn, user_id, beat_id, license, now);
                }};
            return cart.view(conn, user_id, items, sources, now);
        });
    }
};

CommerceModule::CommerceModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                               purchases::PurchasesModule& purchases, mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(services, users, beats, purchases, mail))
{
}

void
CommerceModule::subscribe(core::EventBus& bus)
{
    bus.subscribe(purchases::kPurchaseCompleted, "commerce.on_purchase_completed",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->checkouts.on_completed(e, tx); });
    bus.subscribe(purchases::kPurchaseDeclined, "commerce.on_purchase_declined",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->checkouts.on_declined(e, tx); });
}

CommerceModule::~CommerceModule() = default;

void
CommerceModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(kOfferExpiryJob, [this](const core::Job& job) { return impl_->offers.expire(job); }, 10);
}

void
CommerceModule::register_routes(http::Router& router)
{
    register_cart_routes(router, impl_->cart, impl_->beats, impl_->promotions,
                         [this](const std::string& user_id) { return impl_->read_cart(user_id); });
    register_checkout_route(router, impl_->checkouts);
    register_promotion_routes(router, impl_->promotions);
    register_offer_routes(router, impl_->offers);
}

}  // namespace bb::commerce
