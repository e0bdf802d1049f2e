#pragma once
// Private to the media worker: CBR MP3 through libavcodec's libmp3lame encoder and the mp3
// muxer (which writes the Xing/Info frame with the encoder delay, so players and probes get the
// exact duration). Audio arrives as planar float in any chunk size; frames are cut at LAME's
// 1152 samples into one reused AVFrame.
#include "core/error.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace bb::beats::media {

class Mp3Writer {
public:
    ~Mp3Writer();
    Mp3Writer(const Mp3Writer&) = delete;
    Mp3Writer& operator=(const Mp3Writer&) = delete;

    // sample_rate 32000, 44100 or 48000; channels 1 or 2; bit_rate in bits/s (LAME rounds it to
    // the nearest MPEG bitrate). Creates or truncates `path`.
    static core::Result<std::unique_ptr<Mp3Writer>> open(const std::string& path,
                                                         int sample_rate,
                                                         int channels,
                                                         std::int64_t bit_rate);

    core::Result<void> write(const float* const* planes, int samples);

    // Flushes the encoder, writes the trailer and closes the file (not fsynced: AtomicOutput does).
    core::Result<void> finish();

private:
    struct Impl;
    explicit Mp3Writer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::beats::media
