#include "core/migrations.hpp"

#include "core/clock.hpp"
#include "core/db.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace bb::core {

Result<std::vector<Migration>>
parse_migrations(std::span<const embedded::EmbeddedFile> files)
{
    std::vector<Migration> out;
    std::set<int> seen;
    for (const auto& file : files) {
        const auto underscore = file.path.find('_');
        int version = 0;
        const auto* end = file.path.data() + (underscore == std::string_view::npos ? 0 : underscore);
        auto [ptr, ec] = std::from_chars(file.path.data(), end, version);
        if (underscore == std::string_view::npos || ec != std::errc() || ptr != end || version <= 0) {
            return internal("migration file name must start with a number and '_': " + std::string(file.path));
        }
        if (!seen.insert(version).second) {
            return internal("two migrations share the number " + std::to_string(version));
        }
        out.push_back({version, std::string(file.path), file.bytes});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
    return out;
}

Result<int>
migrate(Db& db, const std::vector<Migration>& migrations)
{
    const int newest_known = migrations.empty() ? 0 : migrations.back().version;
    const auto done = db.write([](Tx& tx) {
        tx.exec("CREATE TABLE IF NOT EXISTS core_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_ms INTEGER NOT NULL)");
        std::set<int> versions;
        auto q = tx.query("SELECT version FROM core_migrations");
        while (q.step()) {
            versions.insert(static_cast<int>(q.int64(0)));
        }
        return versions;
    });
    if (!done.empty() && *done.rbegin() > newest_known) {
        return Error{Code::kInternal, "schema_too_new",
                     "the database schema is version " + std::to_string(*done.rbegin()) +
                         " but this backbeat knows only up to " + std::to_string(newest_known) + "; run a newer backbeat",
                     {}};
    }
    int applied = 0;
    for (const auto& m : migrations) {
        if (done.contains(m.version)) {
            continue;  // every missing one is applied, even below the newest (a merged branch)
        }
        db.write([&](Tx& tx) {
            tx.exec(std::string(m.sql));
            tx.query("INSERT INTO core_migrations (version, name, applied_ms) VALUES (?, ?, ?)")
                .bind(m.version, m.name, clock::now_ms())
                .exec();
        });
        log::info("db", "migration applied", {{"version", m.version}, {"name", m.name}});
        ++applied;
    }
    return applied;
}

}  // namespace bb::core
