#pragma once
// The agreements module's tables: producers' terms per tier and the agreements made at sales.
#include "core/db.hpp"
#include "modules/agreements/document.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bb::agreements {

struct Stored {
    Document document;
    std::string fingerprint;
};

class Store {
public:
    explicit Store(core::Db& db) : db_(db) {}

    // The producer's terms for a tier (the defaults until they set them).
    Terms terms(core::Tx& tx, const std::string& producer_id, const std::string& tier) const;
    std::vector<Terms> all_terms(const std::string& producer_id) const;
    void save_terms(const std::string& producer_id, const Terms& terms);
    void reset_terms(const std::string& producer_id, const std::string& tier);

    // Records an agreement once (a redelivered event changes nothing).
    void record(core::Tx& tx, const Document& document);
    void revoke(core::Tx& tx, const std::string& purchase_id, std::int64_t when_ms);
    std::vector<Stored> for_purchase(const std::string& purchase_id) const;
    // True the first time for a purchase: its mail goes out once even if the job runs again.
    bool first_mailing(core::Tx& tx, const std::string& purchase_id);

private:
    core::Db& db_;
};

}  // namespace bb::agreements
