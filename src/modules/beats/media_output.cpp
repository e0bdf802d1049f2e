#include "modules/beats/media_output.hpp"

#include "modules/beats/media_error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bb::beats::media {

namespace {

std::string
errno_text(const std::string& what, int err)
{
    return what + ": " + std::strerror(err);
}

std::string
parent_dir(const std::string& path)
{
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

int
close_checked(int fd)
{
    // Linux releases the descriptor even when close fails with EINTR, so it is never retried.
    return ::close(fd) == 0 || errno == EINTR ? 0 : errno;
}

}  // namespace

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)), temp_path_(path_ + ".tmp")
{
    ::unlink(temp_path_.c_str());  // a leftover of a killed earlier run
}

AtomicOutput::~AtomicOutput()
{
    if (!committed_) {
        ::unlink(temp_path_.c_str());
    }
}

core::Result<std::int64_t>
AtomicOutput::commit()
{
    int fd = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return failed(errno_text("open " + temp_path_, errno));
    }
    struct stat st {};
    int err = 0;
    if (::fstat(fd, &st) != 0) {
        err = errno;
    }
    while (err == 0 && ::fsync(fd) != 0) {
        if (errno != EINTR) {
            err = errno;
        }
    }
    int close_err = close_checked(fd);
    if (err != 0 || close_err != 0) {
        return failed(errno_text("fsync " + temp_path_, err != 0 ? err : close_err));
    }
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        return failed(errno_text("rename " + temp_path_, errno));
    }
    committed_ = true;
    // Makes the rename itself durable. Failing here leaves a complete file in place, so it is not
    // reported as an error.
    int dir = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        while (::fsync(dir) != 0 && errno == EINTR) {
        }
        close_checked(dir);
    }
    return static_cast<std::int64_t>(st.st_size);
}

}  // namespace bb::beats::media
