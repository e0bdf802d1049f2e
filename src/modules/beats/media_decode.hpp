#pragma once
// Private to the media worker: opening an untrusted audio file and decoding it to planar float.
//
// What may be opened is deliberately narrow. The file is read through our own AVIOContext on a
// descriptor we opened (a regular, non-empty file), and the format context's io_open refuses
// everything, so no demuxer can reach another file or a URL whatever the input says. On top,
// protocol_whitelist=file, a format whitelist of audio containers (kFormatWhitelist: no
// playlists, no concat scripts, no image sequences), a decoder whitelist of audio codecs, and
// bounded probesize/analyzeduration.
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bb::beats::media {

inline constexpr const char* kFormatWhitelist = "wav,w64,mp3,flac,ogg,aiff,mov,caf";

struct SourceInfo {
    std::string format;  // the demuxer, e.g. "wav", "mp3", "mov" (mp4/m4a)
    std::string codec;   // e.g. "pcm_s16le", "mp3"
    std::int64_t duration_ms = 0;
    int sample_rate = 0;
    int channels = 0;
};

struct PcmTarget {
    int sample_rate = 44100;
    int channels = 2;  // 1 or 2; a mono source becomes L = R = source (not the -3 dB pan law)
};
// Samples from float decoders (MP3, AAC, Vorbis, Opus, float PCM) are clipped to [-1, 1] and
// NaN becomes 0, so what comes out is what a player would play.

class AudioInput {
public:
    // Receives resampled audio: `channels` planes of `samples` floats. The buffers are reused
    // after the call returns; the sink may modify them.
    using Sink = std::function<core::Result<void>(float* const* planes, int samples)>;

    ~AudioInput();
    AudioInput(const AudioInput&) = delete;
    AudioInput& operator=(const AudioInput&) = delete;

    // An unsupported() error for anything we refuse or cannot parse.
    static core::Result<std::unique_ptr<AudioInput>> open(const std::string& path);

    const SourceInfo& info() const;

    // Decodes from the start until `frames` frames came out (or the input ended). Proves the
    // audio decodes, and fills in sample_rate/channels from real frames. unsupported() if none did.
    core::Result<void> decode_first(int frames);

    // Decodes everything from the current position, converted to `target`. Returns the number
    // of samples (per channel) delivered. unsupported() if nothing decoded at all.
    core::Result<std::int64_t> decode_all(const PcmTarget& target, const Sink& sink);

private:
    struct Impl;
    explicit AudioInput(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::beats::media
