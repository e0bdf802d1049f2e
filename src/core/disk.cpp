#include "core/disk.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace bb::core {

bool
is_storage_full(const std::exception& e)
{
    if (dynamic_cast<const StorageFull*>(&e) != nullptr) {
        return true;
    }
    if (const auto* sql = dynamic_cast<const SQLite::Exception*>(&e)) {
        return (sql->getErrorCode() & 0xff) == SQLITE_FULL;
    }
    if (const auto* sys = dynamic_cast<const std::system_error*>(&e)) {
        return sys->code() == std::errc::no_space_on_device || sys->code().value() == EDQUOT;
    }
    return false;
}

bool
says_storage_full(std::string_view message)
{
    for (const char* sign : {"No space left on device", "Disk quota exceeded", "database or disk is full"}) {
        if (message.find(sign) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

std::optional<std::int64_t>
free_bytes(const std::string& path)
{
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
}

}  // namespace bb::core
