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
    std::int64_t duration_ms = 0;  // of the preview
    bool capped = false;           // the audio went on past MediaSettings::preview_max_ms
    std::vector<double> peaks;
    std::optional<double> lufs;
};

struct MediaSettings {
    std::int64_t max_duration_ms = 20 * 60 * 1000;  // longer audio is refused (422 too_long)
    std::int64_t preview_max_ms = 5 * 60 * 1000;    // a preview (and its waveform) stops there
    std::chrono::milliseconds probe_wait{20000};    // for a worker, before an upload is told 503
};

class MediaClient {
public:
    explicit MediaClient(MediaSettings settings = {}) : settings_(settings) {}
    const MediaSettings& settings() const { return settings_; }

    // 415 unsupported_media when the worker refuses the file; 422 too_long past max_duration_ms;
    // 503 media_busy (retry_after_s) when no worker is free soon; 500 for other failures.
    core::Result<ProbeInfo> probe(const std::string& path) const;
    core::Result<PreviewInfo> preview(const std::string& input, const std::string& output,
                                      const std::optional<std::string>& voice_tag) const;
    core::Result<void> transcode(const std::string& input, const std::string& output, int bitrate,
                                 std::int64_t start_ms = 0) const;
    core::Result<void> synth(const std::string& output, int seed, int bpm, int seconds, const std::string& key) const;

private:
    MediaSettings settings_;
};

}  // namespace bb::beats
