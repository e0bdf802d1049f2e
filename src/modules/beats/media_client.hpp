#pragma once
// The server's side of the media worker: runs `backbeat media-worker ...` as a limited child
// and turns its one-line JSON answer into a Result.
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::beats {

struct ProbeInfo {
    std::string format;
    std::string codec;
    std::int64_t duration_ms = 0;
};

struct PreviewInfo {
    std::int64_t duration_ms = 0;
    std::vector<double> peaks;
    std::optional<double> lufs;
};

class MediaClient {
public:
    // 415 unsupported_media when the worker refuses the file; 422/500 for other failures.
    core::Result<ProbeInfo> probe(const std::string& path) const;
    core::Result<PreviewInfo> preview(const std::string& input, const std::string& output,
                                      const std::optional<std::string>& voice_tag) const;
    core::Result<void> transcode(const std::string& input, const std::string& output, int bitrate,
                                 std::int64_t start_ms = 0) const;
    core::Result<void> synth(const std::string& output, int seed, int bpm, int seconds, const std::string& key) const;
};

}  // namespace bb::beats
