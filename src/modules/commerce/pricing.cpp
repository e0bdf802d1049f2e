#include "modules/commerce/pricing.hpp"

#include "core/money.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace bb::commerce {
namespace {

const DealRule*
deal_for(const PriceLine& line, const std::vector<DealRule>& deals)
{
    const DealRule* any_tier = nullptr;
    for (const auto& d : deals) {
        if (d.producer_id != line.producer_id) {
            continue;
        }
        if (d.tier == line.tier) {
            return &d;
        }
        if (d.tier.empty()) {
            any_tier = &d;
        }
    }
    return any_tier;
}

bool
contains(const std::vector<std::string>& list, const std::string& value)
{
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::int64_t
percent_of(std::int64_t value, std::int64_t percent)
{
    return core::money::share_of(value, percent * 100);
}

Priced
price_cart(const std::vector<PriceLine>& lines, const std::vector<DealRule>& deals,
           const std::optional<CouponRule>& coupon)
{
    Priced out;
    for (const auto& l : lines) {
        out.lines.push_back({l, std::nullopt, 0, 0, std::max<std::int64_t>(0, l.base_cents)});
        out.subtotal_cents += std::max<std::int64_t>(0, l.base_cents);
    }

    // Deals: group each deal's lines, dearest first, in full groups of N; the cheapest N-M of each are free.
    std::map<std::string, std::vector<std::size_t>> by_deal;
    std::map<std::string, const DealRule*> rules;
    for (std::size_t i = 0; i < out.lines.size(); ++i) {
        if (out.lines[i].line.negotiated) {
            continue;
        }
        if (const auto* d = deal_for(out.lines[i].line, deals); d != nullptr && d->quantity > d->pay_for && d->pay_for >= 1) {
            by_deal[d->deal_id].push_back(i);
            rules[d->deal_id] = d;
        }
    }
    for (auto& [deal_id, members] : by_deal) {
        const auto& rule = *rules[deal_id];
        std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
            return out.lines[a].price_cents > out.lines[b].price_cents;
        });
        const std::size_t n = static_cast<std::size_t>(rule.quantity);
        const std::size_t free_per_group = n - static_cast<std::size_t>(rule.pay_for);
        for (std::size_t start = 0; start + n <= members.size(); start += n) {
            for (std::size_t k = start + n - free_per_group; k < start + n; ++k) {
                auto& line = out.lines[members[k]];
                line.deal_id = deal_id;
                line.deal_discount_cents = line.price_cents;
                line.price_cents = 0;
            }
            for (std::size_t k = start; k < start + n - free_per_group; ++k) {
                out.lines[members[k]].deal_id = deal_id;  // paid, but part of the deal
            }
        }
    }

    // One coupon, on what its producer's eligible items cost after deals.
    if (coupon) {
        std::vector<std::size_t> eligible;
        std::vector<std::int64_t> amounts;
        for (std::size_t i = 0; i < out.lines.size(); ++i) {
            const auto& l = out.lines[i].line;
            if (!l.negotiated && l.producer_id == coupon->producer_id && contains(coupon->beat_ids, l.beat_id) &&
                contains(coupon->tiers, l.tier)) {
                eligible.push_back(i);
                amounts.push_back(out.lines[i].price_cents);
            }
        }
        const std::int64_t base = std::accumulate(amounts.begin(), amounts.end(), std::int64_t{0});
        if (eligible.empty()) {
            out.coupon_problem = "this coupon does not apply to anything in the cart";
        } else if (base < coupon->min_total_cents) {
            out.coupon_problem = "the items this coupon applies to must come to at least the coupon's minimum";
        } else {
            const std::int64_t wanted = coupon->percent ? percent_of(base, std::clamp<std::int64_t>(coupon->amount, 0, 100))
                                                        : std::max<std::int64_t>(0, coupon->amount);
            const auto parts = core::money::spread(std::min(wanted, base), amounts);
            for (std::size_t k = 0; k < eligible.size(); ++k) {
                auto& line = out.lines[eligible[k]];
                line.coupon_discount_cents = parts[k];
                line.price_cents -= parts[k];
            }
        }
    }

    for (const auto& l : out.lines) {
        out.deal_discount_cents += l.deal_discount_cents;
        out.coupon_discount_cents += l.coupon_discount_cents;
        out.total_cents += l.price_cents;
    }
    return out;
}

}  // namespace bb::commerce
