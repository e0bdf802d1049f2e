#pragma once
// Serialised answers by id (a public profile, a beat), served from memory until what they show
// changes: what the seeds used Redis for. Owners drop entries from after-commit hooks, so a
// reader never sees a stale value after a write it was told about. Bounded: when full it is
// cleared and refilled on demand.
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <type_traits>
#include <unordered_map>

namespace bb::core {

class StringCache {
public:
    explicit StringCache(std::size_t max_entries = 100000) : max_entries_(max_entries) {}

    // The cached value for id, or make()'s (a Result holding the value), kept for next time.
    // Before make() reads, the id gets a marked empty entry; a drop meanwhile removes it, and then
    // the value is returned but not kept: it may have been read before the write that dropped it.
    // Drops of other ids do not matter.
    template <class Make>
    auto get_or_make(const std::string& id, Make&& make) -> std::invoke_result_t<Make&>
    {
        if (auto hit = get(id)) {
            return hit;
        }
        const std::uint64_t mark = reserve(id);
        auto made = make();
        std::unique_lock lock(mutex_);
        auto it = entries_.find(id);
        if (it != entries_.end() && !it->second.value && it->second.mark == mark) {
            if (made) {
                it->second.value = *made;
            } else {
                entries_.erase(it);  // errors are not kept, nor is the mark
            }
        }
        return made;
    }
    void drop(const std::string& id)
    {
        std::unique_lock lock(mutex_);
        entries_.erase(id);
    }

private:
    struct Entry {
        std::shared_ptr<const std::string> value;  // null while being made
        std::uint64_t mark = 0;
    };

    std::shared_ptr<const std::string> get(const std::string& id) const
    {
        std::shared_lock lock(mutex_);
        auto it = entries_.find(id);
        return it == entries_.end() ? nullptr : it->second.value;
    }
    // Marks id as being made (or joins a mark already there: its makers read after it too).
    std::uint64_t reserve(const std::string& id)
    {
        std::unique_lock lock(mutex_);
        if (auto it = entries_.find(id); it != entries_.end()) {
            return it->second.mark;
        }
        if (entries_.size() >= max_entries_) {
            entries_.clear();
        }
        const auto mark = ++marks_;
        entries_.emplace(id, Entry{nullptr, mark});
        return mark;
    }

    std::size_t max_entries_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t marks_ = 0;  // under mutex_
};

}  // namespace bb::core
