#pragma once
// Private to the media worker: demo beats for seeding a fresh install. One libavfilter aevalsrc
// expression plays kick, snare, hats, a bass line and a soft power-chord pad over a 4-bar
// progression in the requested key. The seed picks the patterns (kick/snare/hat/bass masks on a
// 16-step grid, open hats, octave jumps), the progression and the timbres (pitch sweeps, decays,
// bass harmonics), so different seeds sound different; the same seed always renders the same file.
#include "core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::beats::media {

struct MusicalKey {
    int semitone = 9;  // C = 0 ... B = 11
    bool minor = true;
    double bass_root_hz = 55.0;  // the root between E1 and D#2
};

// "A minor", "C# major", "Bb min", "F#m", "e" (no mode: major). Case-insensitive.
core::Result<MusicalKey> parse_key(std::string_view text);

struct SynthParams {
    std::int64_t seed = 0;
    double bpm = 90;
    double seconds = 30;
    MusicalKey key;
};

inline constexpr int kSynthSampleRate = 44100;

// The aevalsrc expression (mono) for these parameters. Exposed for tests and debugging.
std::string demo_beat_expression(const SynthParams& params);

// Renders a 16-bit stereo 44.1 kHz WAV of exactly round(seconds * 44100) samples to `path`
// (created or truncated; not fsynced). Returns the number of samples per channel.
core::Result<std::int64_t> render_demo_beat(const SynthParams& params, const std::string& path);

}  // namespace bb::beats::media
