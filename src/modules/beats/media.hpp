#pragma once
// Media work with FFmpeg's libraries. Everything here runs inside the media worker child
// (`backbeat media-worker ...`), never in the server: the server talks to it through
// core::run_child and reads one JSON line from its stdout.
//
//   backbeat media-worker probe --input F
//       {"ok":true,"format":"wav","codec":"pcm_s16le","duration_ms":N,"sample_rate":N,"channels":N}
//   backbeat media-worker preview --input F --output OUT.mp3 [--bitrate 128000] [--peaks 800]
//                                 [--voice-tag T] [--tag-every-s 30] [--max-ms N]
//       {"ok":true,"duration_ms":N,"peaks":[0..1 floats],"lufs":-14.2,"bytes":N,"capped":false}
//   backbeat media-worker transcode --input F --output OUT.mp3 [--bitrate 320000] [--start-ms 0] [--max-ms N]
//       {"ok":true,"duration_ms":N,"bytes":N}   (duration: what was written, after --start-ms)
//   backbeat media-worker synth --output OUT.wav --seed N [--bpm 90] [--seconds 30] [--key "A minor"]
//       {"ok":true,"duration_ms":N,"bytes":N}
// On failure: {"ok":false,"error":"unsupported_media"|"failed","message":"..."} and exit code 3
// for media we refuse (415 to the uploader), 1 for anything else. Outputs are written to
// OUT.tmp, fsynced, then renamed, so a crash never leaves a partial file under the real name.
//
// Details (media_*.cpp):
//   - Accepted inputs: regular, non-empty files in WAV, W64, AIFF, CAF, FLAC, MP3, Ogg
//     (Vorbis/Opus) or MP4/M4A (AAC/ALAC) with an audio stream that really decodes. Playlists,
//     concat scripts, image sequences, other containers, devices and FIFOs are unsupported_media;
//     nothing in a file can make the worker open another file or a URL. probe's "format" is the
//     demuxer ("mov" for MP4/M4A); its duration is the container's (MP3: with encoder padding).
//   - preview/transcode "duration_ms" count the samples actually decoded. A preview stops at
//     --max-ms (1000..; "capped" says it did: peaks and lufs cover what it kept), so long or
//     endless silent audio costs no more than that; transcode fails past --max-ms.
//   - preview: "peaks" has exactly --peaks (1..20000) values, 3 decimals, the loudest |sample|
//     of each bucket over both channels. "lufs" is BS.1770 integrated loudness of the untagged
//     audio (a mono source measured as mono, so a full-scale 1 kHz sine is -3.01), 2 decimals,
//     -70 when nothing passes the gates (silence, < 400 ms). A mono source plays as L = R.
//     Float sources are clipped to full scale. The voice tag (at most 30 s, and cut to the tag
//     period) is added every --tag-every-s (1..3600) seconds from 0; a tag that cannot be read
//     fails the preview with "failed", not "unsupported_media".
//   - --bitrate is 32000..320000 (LAME picks the nearest MPEG bitrate). transcode keeps a 32 or
//     48 kHz rate (others become 44.1 kHz) and keeps mono as mono.
//   - synth: 16-bit stereo 44.1 kHz, exactly round(seconds * 44100) samples; --seconds 1..600,
//     --bpm 40..240, --key like "A minor", "C# major", "Bbm"; the same seed gives the same file.
#include <string>
#include <vector>

namespace bb::beats::media {

// The worker's entry point; args start after "media-worker". Returns the process exit code.
int run_worker(std::vector<std::string> args);

}  // namespace bb::beats::media
