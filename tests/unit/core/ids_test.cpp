#include "core/ids.hpp"

#include "core/clock.hpp"
#include "core/crypto.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

TEST_SUITE("core/ids") {

TEST_CASE("10,000 ids: unique, UUIDv7 shaped, strictly increasing") {
    bb::core::crypto::init();
    constexpr int kCount = 10000;
    std::vector<std::string> ids;
    ids.reserve(kCount);
    for (int i = 0; i < kCount; ++i) {
        ids.push_back(bb::core::new_id());
    }
    std::set<std::string> unique(ids.begin(), ids.end());
    CHECK(unique.size() == kCount);

    std::string first_bad;
    int not_increasing = 0;
    for (int i = 0; i < kCount; ++i) {
        const auto& id = ids[i];
        bool ok = id.size() == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' &&
                  id[14] == '7' && std::string("89ab").find(id[19]) != std::string::npos;
        for (std::size_t c = 0; ok && c < id.size(); ++c) {
            if (c != 8 && c != 13 && c != 18 && c != 23) {
                ok = std::isxdigit(static_cast<unsigned char>(id[c])) && !std::isupper(static_cast<unsigned char>(id[c]));
            }
        }
        if (!ok && first_bad.empty()) {
            first_bad = id;
        }
        if (i > 0 && !(ids[i - 1] < id)) {
            ++not_increasing;
        }
    }
    CHECK(first_bad == "");
    CHECK(not_increasing == 0);
    CHECK(ids.front().size() == 36);
    CHECK(ids.front()[14] == '7');
}

TEST_CASE("the id starts with the current time in milliseconds") {
    const auto before = bb::core::clock::now_ms();
    const auto id = bb::core::new_id();
    const auto after = bb::core::clock::now_ms();
    const std::string hex = id.substr(0, 8) + id.substr(9, 4);
    const auto ms = static_cast<std::int64_t>(std::stoull(hex, nullptr, 16));
    CHECK(ms >= before);
    CHECK(ms <= after);
}

TEST_CASE("ids from several threads are unique and each thread's are increasing") {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2000;
    std::vector<std::vector<std::string>> per_thread(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                per_thread[t].push_back(bb::core::new_id());
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    std::set<std::string> all;
    for (const auto& ids : per_thread) {
        CHECK(std::is_sorted(ids.begin(), ids.end()));
        all.insert(ids.begin(), ids.end());
    }
    CHECK(all.size() == kThreads * kPerThread);
}

}  // TEST_SUITE
