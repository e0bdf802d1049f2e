// Agreements: made from the purchases module's events (one per beat sold), mailed with the
// receipt, downloaded as PDFs, and revoked by a refund. Producers edit each tier's terms.
#include "modules/agreements/agreements.hpp"

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "http/json_input.hpp"
#include "http/router.hpp"
#include "modules/agreements/store.hpp"
#include "modules/beats/beats.hpp"
#include "modules/mail/mail.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/users/users.hpp"

#include <algorithm>

namespace bb::agreements {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

constexpr const char* kMailJob = "agreements.mail";

std::string
text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string
pdf_name(const Document& d)
{
    std::string safe;
    for (unsigned char c : d.title) {
        safe += std::isalnum(c) ? static_cast<char>(c) : '-';
    }
    return "agreement-" + safe.substr(0, 40) + "-" + d.tier + ".pdf";
}

}  // namespace

struct AgreementsModule::Impl {
    core::Services& services;
    users::UsersModule& users;
    beats::BeatsModule& beats;
    mail::MailModule& mail;
    Store store;
    std::string public_url;

    Impl(core::Services& s, users::UsersModule& u, beats::BeatsModule& b, mail::MailModule& m)
        : services(s), users(u), beats(b), mail(m), store(s.db), public_url(s.config.public_url)
    {
        while (!public_url.empty() && public_url.back() == '/') {
            public_url.pop_back();
        }
    }

    std::string username(const std::string& user_id) const
    {
        auto user = users.find(user_id);
        return user ? user->username : "(deleted account)";
    }

    // A sale: one agreement per beat, with the terms as they are now; then the mail job.
    core::Result<void> on_purchase(const core::Event& e, core::Tx& tx)
    {
        const auto purchase_id = text(e.payload, "purchase_id");
        const auto buyer_id = text(e.payload, "buyer_id");
        const auto* items = e.payload.if_contains("items");
        if (purchase_id.empty() || items == nullptr || !items->is_array()) {
            return {};
        }
        const std::string licensee = username(buyer_id);
        for (const auto& v : items->as_array()) {
            if (!v.is_object()) {
                continue;
            }
            const auto& item = v.as_object();
            Document d{.purchase_id = purchase_id,
                       .beat_id = text(item, "beat_id"),
                       .buyer_id = buyer_id,
                       .seller_id = text(item, "seller_id"),
                       .licensee = licensee,
                       .licensor_username = username(text(item, "seller_id")),
                       .title = text(item, "title"),
                       .tier = text(item, "license"),
                       .currency = text(e.payload, "currency"),
                       .sold_ms = e.created_ms};
            if (const auto* price = item.if_contains("price_cents"); price != nullptr && price->is_int64()) {
                d.price_cents = price->as_int64();
            }
            if (const auto* files = item.if_contains("files"); files != nullptr && files->is_array()) {
                for (const auto& f : files->as_array()) {
                    if (f.is_string()) {
                        d.files.emplace_back(f.as_string());
                    }
                }
            }
            d.licensor = d.licensor_username;
            if (auto beat = beats.find(tx, d.beat_id)) {
                d.licensor = beat->artist.empty() ? d.licensor_username : beat->artist;
                d.content_sha256 = beat->content_sha256;
                for (const auto& license : beat->licenses) {
                    if (license.type == d.tier) {
                        d.beat_terms = license.terms;
                    }
                }
            }
            d.terms = store.terms(tx, d.seller_id, d.tier);
            store.record(tx, d);
        }
        tx.enqueue(kMailJob, {{"purchase_id", purchase_id}});
        return {};
    }

    core::Result<void> on_refund(const core::Event& e, core::Tx& tx)
    {
        store.revoke(tx, text(e.payload, "purchase_id"), e.created_ms);
        return {};
    }

    // The buyer's receipt with every agreement attached, and a sale notice to each producer.
    core::Result<void> mail_purchase(const core::Job& job)
    {
        const auto purchase_id = text(job.payload, "purchase_id");
        const auto stored = store.for_purchase(purchase_id);
        if (stored.empty()) {
            return {};
        }
        const Document& first = stored.front().document;
        std::vector<mail::Attachment> pdfs;  // drawn when the mail is sent (see the source below)
        boost::json::array items;
        std::int64_t total = 0;
        for (const auto& s : stored) {
            pdfs.push_back({pdf_name(s.document), "application/pdf",
                            "agreement:" + s.document.purchase_id + "/" + s.document.beat_id});
            items.push_back({{"title", s.document.title},
                             {"artist", s.document.licensor},
                             {"license", tier_name(s.document.tier)},
                             {"price", money_text(s.document.price_cents, s.document.currency)}});
            total += s.document.price_cents;
        }
        const auto buyer_email = users.email_of(first.buyer_id);
        services.db.write([&](core::Tx& tx) {
            if (!store.first_mailing(tx, purchase_id)) {
                return;  // mailed by an earlier run of this job
            }
            auto report = [&](const core::Result<std::string>& queued) {
                if (!queued) {
                    core::log::warn("agreements", "a sale's mail could not be queued",
                                    {{"purchase_id", purchase_id}, {"error", queued.error().message}});
                }
            };
            if (buyer_email) {
                report(mail.queue(tx, {.to = *buyer_email,
                                       .template_name = "receipt",
                                       .vars = {{"username", first.licensee},
                                                {"purchase_id", purchase_id},
                                                {"date", date_text(first.sold_ms)},
                                                {"items", items},
                                                {"discount", ""},
                                                {"total", money_text(total, first.currency)},
                                                {"link", public_url + "/library"}},
                                       .attachments = std::move(pdfs)}));
            }
            for (const auto& s : stored) {
                const auto& d = s.document;
                if (auto seller_email = users.email_of(d.seller_id)) {
                    report(mail.queue(tx, {.to = *seller_email,
                                           .template_name = "sale",
                                           .vars = {{"username", d.licensor_username},
                                                    {"buyer", d.licensee},
                                                    {"title", d.title},
                                                    {"license", tier_name(d.tier)},
                                                    {"price", money_text(d.price_cents, d.currency)},
                                                    {"share", ""},
                                                    {"link", public_url + "/studio"}}}));
                }
            }
        });
        return {};
    }

    // The PDF for a mail: "<purchase_id>/<beat_id>".
    core::Result<std::string> pdf_for_mail(const std::string& key) const
    {
        const auto slash = key.find('/');
        for (const auto& s : store.for_purchase(key.substr(0, slash))) {
            if (slash != std::string::npos && s.document.beat_id == key.substr(slash + 1)) {
                return render_pdf(s.document);
            }
        }
        return core::not_found("agreement " + key);
    }

    // The agreements of a purchase the caller may see: the buyer and admins all, a seller theirs.
    core::Result<std::vector<Stored>> visible(const http::Principal& who, const std::string& purchase_id) const
    {
        auto stored = store.for_purchase(purchase_id);
        std::erase_if(stored, [&](const Stored& s) {
            return !who.is_admin() && s.document.buyer_id != who.user_id && s.document.seller_id != who.user_id;
        });
        if (stored.empty()) {
            return core::not_found("agreement");
        }
        return stored;
    }

    Reply list(const Request& req) const
    {
        const std::string purchase_id(req.param("purchase_id"));
        auto stored = visible(req.user(), purchase_id);
        if (!stored) {
            return stored.error();
        }
        boost::json::array out;
        for (const auto& s : *stored) {
            const auto& d = s.document;
            out.push_back({{"purchase_id", d.purchase_id},
                           {"beat_id", d.beat_id},
                           {"title", d.title},
                           {"license", d.tier},
                           {"licensor", d.licensor},
                           {"licensee", d.licensee},
                           {"price_cents", d.price_cents},
                           {"currency", d.currency},
                           {"date", core::clock::rfc3339(d.sold_ms)},
                           {"terms", terms_json(d.terms)},
                           {"content_sha256", d.content_sha256},
                           {"fingerprint", s.fingerprint},
                           {"revoked", d.revoked_ms.has_value()},
                           {"pdf_url", "/api/agreements/" + d.purchase_id + "/" + d.beat_id}});
        }
        return Response::json(200, {{"purchase_id", purchase_id}, {"agreements", std::move(out)}});
    }

    Reply pdf(const Request& req) const
    {
        auto stored = visible(req.user(), std::string(req.param("purchase_id")));
        if (!stored) {
            return stored.error();
        }
        const std::string beat_id(req.param("beat_id"));
        for (const auto& s : *stored) {
            if (s.document.beat_id == beat_id) {
                return Response::text(200, render_pdf(s.document), "application/pdf")
                    .with_header("Content-Disposition", "attachment; filename=\"" + pdf_name(s.document) + "\"");
            }
        }
        return core::not_found("agreement");
    }

    Reply terms(const Request& req) const
    {
        boost::json::array out;
        for (const auto& t : store.all_terms(req.user().user_id)) {
            out.push_back(terms_json(t));
        }
        return Response::json(200, {{"terms", std::move(out)}});
    }

    Reply set_terms(const Request& req)
    {
        const std::string tier(req.param("tier"));
        if (!is_tier(tier)) {
            return core::not_found("license tier");
        }
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        Terms current = default_terms(tier);
        for (const auto& t : store.all_terms(req.user().user_id)) {
            if (t.tier == tier) {
                current = t;
            }
        }
        auto updated = terms_from_json(in->object(), current);
        if (!updated) {
            return updated.error();
        }
        store.save_terms(req.user().user_id, *updated);
        return Response::json(200, terms_json(*updated));
    }

    Reply reset_terms(const Request& req)
    {
        const std::string tier(req.param("tier"));
        if (!is_tier(tier)) {
            return core::not_found("license tier");
        }
        store.reset_terms(req.user().user_id, tier);
        return Response::json(200, terms_json(default_terms(tier)));
    }
};

AgreementsModule::AgreementsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                                   mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(services, users, beats, mail))
{
    mail.attach_from("agreement:", [this](const std::string& key) { return impl_->pdf_for_mail(key); });
}

AgreementsModule::~AgreementsModule() = default;

void
AgreementsModule::subscribe(core::EventBus& bus)
{
    bus.subscribe(purchases::kPurchaseCompleted, "agreements.on_purchase",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->on_purchase(e, tx); });
    bus.subscribe(purchases::kPurchaseRefunded, "agreements.on_refund",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->on_refund(e, tx); });
}

void
AgreementsModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(kMailJob, [this](const core::Job& job) { return impl_->mail_purchase(job); }, 5);
}

void
AgreementsModule::register_routes(http::Router& router)
{
    router.schema("TierTerms", R"({"type": "object", "required": ["tier", "credit_line"], "properties": {
        "tier": {"enum": ["basic", "premium", "unlimited", "exclusive"]},
        "distribution_copies": {"type": ["integer", "null"], "minimum": 0, "description": "null: unlimited"},
        "audio_streams": {"type": ["integer", "null"], "minimum": 0}, "music_videos": {"type": ["integer", "null"], "minimum": 0},
        "paid_performances": {"type": ["integer", "null"], "minimum": 0},
        "credit_line": {"type": "string", "maxLength": 200, "description": "{producer} becomes the artist name"},
        "extra_terms": {"type": "string", "maxLength": 4000}, "custom": {"type": "boolean", "readOnly": true}}})");
    router.schema("TierTermsList", R"({"type": "object", "required": ["terms"], "properties": {
        "terms": {"type": "array", "items": {"$ref": "#/components/schemas/TierTerms"}}}})");
    router.schema("Agreement", R"({"type": "object", "required": ["purchase_id", "beat_id", "license", "fingerprint",
        "pdf_url"], "properties": {"purchase_id": {"type": "string"}, "beat_id": {"type": "string"},
        "title": {"type": "string"}, "license": {"type": "string"}, "licensor": {"type": "string"},
        "licensee": {"type": "string"}, "price_cents": {"type": "integer"}, "currency": {"type": "string"},
        "date": {"type": "string", "format": "date-time"}, "terms": {"$ref": "#/components/schemas/TierTerms"},
        "content_sha256": {"type": "string"}, "fingerprint": {"type": "string"}, "revoked": {"type": "boolean"},
        "pdf_url": {"type": "string"}}})");
    router.schema("AgreementList", R"({"type": "object", "required": ["purchase_id", "agreements"], "properties": {
        "purchase_id": {"type": "string"},
        "agreements": {"type": "array", "items": {"$ref": "#/components/schemas/Agreement"}}}})");

    Impl& m = *impl_;
    router.add({.method = "GET", .path = "/api/agreements/terms", .auth = Auth::kRequired,
                .doc = {.summary = "My terms for each license tier (the defaults until I change them)",
                        .tag = "agreements", .responses = {{200, "TierTermsList"}}},
                .handler = [&m](const Request& req) { return m.terms(req); }});
    router.add({.method = "PUT", .path = "/api/agreements/terms/{tier}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Change my terms for a tier; agreements already made keep theirs",
                        .tag = "agreements", .request = "TierTerms",
                        .responses = {{200, "TierTerms"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) { return m.set_terms(req); }});
    router.add({.method = "DELETE", .path = "/api/agreements/terms/{tier}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Back to the default terms for a tier", .tag = "agreements",
                        .responses = {{200, "TierTerms"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.reset_terms(req); }});
    router.add({.method = "GET", .path = "/api/agreements/{purchase_id}", .auth = Auth::kRequired,
                .doc = {.summary = "The license agreements of a purchase (its buyer, its sellers, admins)",
                        .tag = "agreements", .responses = {{200, "AgreementList"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.list(req); }});
    router.add({.method = "GET", .path = "/api/agreements/{purchase_id}/{beat_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "A license agreement as PDF", .tag = "agreements",
                        .responses = {{200, "pdf"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.pdf(req); }});
}

}  // namespace bb::agreements
