#include "modules/beats/storage.hpp"

#include "core/disk.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace bb::beats {
namespace fs = std::filesystem;

namespace {

bool
fsync_path(const std::string& path, int flags)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

Storage::Storage(fs::path data_dir, std::int64_t min_free_bytes)
    : data_dir_(std::move(data_dir)), min_free_bytes_(min_free_bytes)
{
    for (const char* dir : {"media/originals", "media/stems", "media/voicetags", "media/previews", "media/downloads", "media/scratch",
                            "media/transcodes", "media/seeks", "media/covers"}) {
        fs::create_directories(data_dir_ / dir);
    }
}

std::string
Storage::original(const std::string& sha256, const std::string& ext) const
{
    return (data_dir_ / "media/originals" / sha256.substr(0, 2) / (sha256 + "." + ext)).string();
}

std::string
Storage::voice_tag(const std::string& sha256, const std::string& ext) const
{
    return (data_dir_ / "media/voicetags" / (sha256 + "." + ext)).string();
}

std::string
Storage::stems(const std::string& sha256) const
{
    return (data_dir_ / "media/stems" / (sha256 + ".zip")).string();
}

std::string
Storage::cover(const std::string& name) const
{
    return (data_dir_ / "media/covers" / name).string();
}

std::string
Storage::preview(const std::string& beat_id) const
{
    return (data_dir_ / "media/previews" / (beat_id + ".mp3")).string();
}

std::string
Storage::transcode(const std::string& source_key, int kbps) const
{
    return (data_dir_ / "media/transcodes" / (source_key + "-" + std::to_string(kbps) + "k.mp3")).string();
}

std::string
Storage::seek(const std::string& name) const
{
    return (data_dir_ / "media/seeks" / name).string();
}

void
Storage::sweep_seeks(std::chrono::seconds age) const
{
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - age;
    for (const auto& entry : fs::directory_iterator(data_dir_ / "media/seeks", ec)) {
        std::error_code stat_ec;
        if (entry.last_write_time(stat_ec) < cutoff && !stat_ec) {
            fs::remove(entry.path(), stat_ec);
        }
    }
}

std::string
Storage::download(const std::string& sha256, int bitrate) const
{
    return (data_dir_ / "media/downloads" / (sha256 + "-" + std::to_string(bitrate / 1000) + "k.mp3")).string();
}

std::string
Storage::scratch(const std::string& name) const
{
    return (data_dir_ / "media/scratch" / name).string();
}

core::Result<bool>
Storage::adopt(const std::string& temp_path, const std::string& target) const
{
    std::error_code ec;
    fs::create_directories(fs::path(target).parent_path(), ec);
    if (fs::exists(target, ec)) {
        fs::remove(temp_path, ec);
        return false;
    }
    if (!fsync_path(temp_path, O_RDONLY)) {
        return core::internal("cannot sync " + temp_path);
    }
    fs::rename(temp_path, target, ec);
    if (ec == std::errc::no_space_on_device) {
        return core::insufficient_storage();
    }
    if (ec) {
        return core::internal("cannot store " + target + ": " + ec.message());
    }
    fsync_path(fs::path(target).parent_path().string(), O_RDONLY | O_DIRECTORY);
    return true;
}

bool
Storage::low_on_space() const
{
    const auto free = core::free_bytes(data_dir_.string());
    return free && *free < min_free_bytes_;
}

std::string
Storage::relative(const std::string& path) const
{
    return fs::path(path).lexically_relative(data_dir_).string();
}

std::string
Storage::absolute(const std::string& relative_path) const
{
    return (data_dir_ / relative_path).string();
}

}  // namespace bb::beats
