#include "core/wal_sync.hpp"

#include "core/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace bb::core {
namespace {

[[noreturn]] void
fatal(const char* what, const std::string& path)
{
    log::error("db", what, {{"path", path}, {"error", std::strerror(errno)}});
    std::abort();
}

// A new file's name is durable only once its directory is synced.
void
sync_directory(const std::string& file)
{
    auto dir = std::filesystem::path(file).parent_path();
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        fatal("cannot sync the database directory", dir.string());
    }
    ::close(fd);
}

}  // namespace

WalSync::WalSync(const std::string& db_path) : wal_path_(db_path + "-wal")
{
    open_wal();
    thread_ = std::thread([this] { run(); });
}

WalSync::~WalSync()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    ::close(fd_);
}

void
WalSync::open_wal()
{
    const int fd = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        throw std::runtime_error("cannot open " + wal_path_ + ": " + std::strerror(errno));
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
    sync_directory(wal_path_);
}

void
WalSync::after_sync(std::function<void()> acknowledge)
{
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(acknowledge));
    }
    cv_.notify_one();
}

std::int64_t
WalSync::syncs() const
{
    return syncs_.load(std::memory_order_relaxed);
}

void
WalSync::sync()
{
    // SQLite never replaces the WAL while a connection holds it open; this guards the promise
    // against that changing under us (a WAL deleted and made anew would leave us syncing the old one).
    struct stat ours {};
    struct stat named {};
    if (::fstat(fd_, &ours) != 0 || ::stat(wal_path_.c_str(), &named) != 0 || ours.st_ino != named.st_ino ||
        ours.st_dev != named.st_dev) {
        log::warn("db", "the WAL file was replaced; reopening it", {{"path", wal_path_}});
        open_wal();
    }
    if (::fdatasync(fd_) != 0) {
        fatal("fdatasync of the WAL failed; stopping so that nothing unsynced is acknowledged", wal_path_);
    }
}

void
WalSync::run()
{
    std::vector<std::function<void()>> ready;
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;  // stopping and drained
        }
        // Everything queued so far committed before this sync starts: one fsync covers it all.
        ready.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.clear();
        lock.unlock();
        sync();
        syncs_.fetch_add(1, std::memory_order_relaxed);
        for (auto& acknowledge : ready) {
            acknowledge();
        }
        ready.clear();
        lock.lock();
    }
}

}  // namespace bb::core
