#pragma once
// Where the beats module keeps files under the data dir. Originals, stems and voice tags are
// stored by content (SHA-256), so the same upload twice is one file; previews are per beat. Every file is
// fsynced and renamed into place, so a crash never leaves a partial file under a real name.
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace bb::beats {

class Storage {
public:
    // Below min_free_bytes of free disk, low_on_space() says so: uploads are refused (507) and
    // processing waits for room rather than fail.
    explicit Storage(std::filesystem::path data_dir, std::int64_t min_free_bytes = 0);

    std::string original(const std::string& sha256, const std::string& ext) const;
    std::string voice_tag(const std::string& sha256, const std::string& ext) const;
    std::string stems(const std::string& sha256) const;  // a ZIP archive
    std::string cover(const std::string& name) const;    // "<sha256>.<ext>": an image
    std::string preview(const std::string& beat_id) const;
    std::string download(const std::string& sha256, int bitrate) const;  // cached transcodes
    std::string transcode(const std::string& source_key, int kbps) const;  // players' bit rates
    std::string seek(const std::string& name) const;  // a player's transcode from an offset
    // Removes seek transcodes made more than `age` ago (each is asked for once, by one player).
    void sweep_seeks(std::chrono::seconds age) const;
    std::string scratch(const std::string& name) const;                  // work files

    // Moves a finished temporary file to `target` (fsync, rename, fsync of the folder). If the
    // target already exists (same content), the temporary file is dropped. Returns whether the
    // target was created by this call.
    core::Result<bool> adopt(const std::string& temp_path, const std::string& target) const;
    bool low_on_space() const;
    // Relative to the data dir, for the database.
    std::string relative(const std::string& path) const;
    std::string absolute(const std::string& relative_path) const;

private:
    std::filesystem::path data_dir_;
    std::int64_t min_free_bytes_;
};

}  // namespace bb::beats
