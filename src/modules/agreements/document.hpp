#pragma once
// One license agreement: everything it says, fixed at the sale (later edits to the producer's
// terms or the beat do not change an agreement already made), kept as JSON, and printed as a PDF.
#include "modules/agreements/terms.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::agreements {

struct Document {
    std::string purchase_id;
    std::string beat_id;
    std::string buyer_id;
    std::string seller_id;
    std::string licensee;           // the buyer's username
    std::string licensor;           // the producer's artist name, as on the beat
    std::string licensor_username;
    std::string title;
    std::string tier;
    std::vector<std::string> files;
    std::int64_t price_cents = 0;
    std::string currency = "USD";
    std::int64_t sold_ms = 0;
    std::string content_sha256;     // of the licensed audio
    std::string beat_terms;         // the note the beat's license carries, if any
    Terms terms;
    std::optional<std::int64_t> revoked_ms;  // set when the purchase is refunded
};

boost::json::object document_json(const Document& d);  // without revoked_ms
Document document_from_json(const boost::json::object& o);
// SHA-256 of the document's JSON (serialised with sorted keys): printed on the PDF, so a copy can
// be checked against the record.
std::string fingerprint(const Document& d);
std::string tier_name(std::string_view tier);  // "Premium lease"
std::string money_text(std::int64_t cents, const std::string& currency);  // "$29.99 USD"
std::string date_text(std::int64_t unix_ms);  // "4 December 2025"

// The agreement as PDF bytes (Cairo's PDF surface, text laid out by Pango, so every script
// DejaVu covers renders and can be extracted). Blocking CPU work: jobs and the blocking pool only.
std::string render_pdf(const Document& d);

}  // namespace bb::agreements
