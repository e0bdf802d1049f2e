// `backbeat media-worker MODE ...`: parses the worker's arguments, runs one mode and prints its
// one JSON line (see media.hpp for the contract).
#include "modules/beats/media.hpp"

#include "modules/beats/media_decode.hpp"
#include "modules/beats/media_encode.hpp"
#include "modules/beats/media_error.hpp"
#include "modules/beats/media_loudness.hpp"
#include "modules/beats/media_output.hpp"
#include "modules/beats/media_peaks.hpp"
#include "modules/beats/media_synth.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <set>

extern "C" {
#include <libavutil/log.h>
}

namespace bb::beats::media {

namespace {

// Flushes the encoder and moves the finished file into place; the file's size in bytes.
core::Result<std::int64_t>
finish_mp3(Mp3Writer& writer, AtomicOutput& output)
{
    if (auto finished = writer.finish(); !finished) {
        return finished.error();
    }
    return output.commit();
}

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUnsupported = 3;

constexpr int kPreviewRate = 44100;
constexpr int kProbeFrames = 3;
constexpr double kMaxTagSeconds = 30;

using Options = std::map<std::string, std::string, std::less<>>;

struct Mode {
    const char* name;
    std::set<std::string_view> flags;
};

const Mode kModes[] = {
    {"probe", {"input"}},
    {"preview", {"input", "output", "bitrate", "peaks", "voice-tag", "tag-every-s", "max-ms"}},
    {"transcode", {"input", "output", "bitrate", "start-ms", "max-ms"}},
    {"synth", {"output", "seed", "bpm", "seconds", "key"}},
};

core::Result<Options>
parse_options(const Mode& mode, const std::vector<std::string>& args)
{
    Options options;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg.substr(0, 2) != "--") {
            return failed("unexpected argument '" + std::string(arg) + "'");
        }
        arg.remove_prefix(2);
        std::string key(arg.substr(0, arg.find('=')));
        std::string value;
        if (key.size() < arg.size()) {
            value = std::string(arg.substr(key.size() + 1));
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return failed("--" + key + " needs a value");
        }
        if (mode.flags.count(key) == 0) {
            return failed(fmt::format("{} does not take --{}", mode.name, key));
        }
        options[key] = std::move(value);
    }
    return options;
}

core::Result<std::string>
required(const Options& options, const char* key)
{
    auto it = options.find(key);
    if (it == options.end() || it->second.empty()) {
        return failed(fmt::format("--{} is required", key));
    }
    return it->second;
}

template <class T>
core::Result<T>
number(const Options& options, const char* key, T fallback, T min, T max)
{
    auto it = options.find(key);
    if (it == options.end()) {
        return fallback;
    }
    const std::string& text = it->second;
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= min && value <= max)) {
        return failed(fmt::format("--{} must be a number from {} to {}, got '{}'", key, min, max, text));
    }
    return value;
}

std::string
quoted(std::string_view s)
{
    return boost::json::serialize(boost::json::string(s));
}

// Just the success or the error of a parsed option, so a mode can check them all in one loop.
template <class T>
core::Result<void>
as_check(const core::Result<T>& r)
{
    if (!r) {
        return r.error();
    }
    return {};
}

// Three decimals are plenty for a waveform and keep 800 peaks short. Dividing (not multiplying
// by 0.001) gives the double nearest to the decimal, so it prints as "0.072", not "0.07200000000000001".
double
milli_rounded(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

// A voice tag decoded like the main input, mixed in every `period` samples starting at 0. A tag
// longer than the period (or than kMaxTagSeconds) is cut short, so tags never overlap.
class VoiceTag {
public:
    static core::Result<VoiceTag> load(const std::string& path, double every_s)
    {
        VoiceTag tag;
        tag.period_ = std::max<std::int64_t>(1, std::llround(every_s * kPreviewRate));
        const auto cap = std::min<std::int64_t>(tag.period_, static_cast<std::int64_t>(kMaxTagSeconds * kPreviewRate));
        auto input = AudioInput::open(path);
        if (!input) {
            return input.error();
        }
        auto decoded = (*input)->decode_all({kPreviewRate, 2}, [&](float* const* planes, int n) -> core::Result<void> {
            const auto take = std::min<std::int64_t>(n, cap - static_cast<std::int64_t>(tag.left_.size()));
            if (take > 0) {
                tag.left_.insert(tag.left_.end(), planes[0], planes[0] + take);
                tag.right_.insert(tag.right_.end(), planes[1], planes[1] + take);
            }
            return {};
        });
        if (!decoded) {
            return decoded.error();
        }
        return tag;
    }

    // Adds the tag to samples [position, position + count) of the stream.
    void mix(float* const* planes, int count, std::int64_t position) const
    {
        const auto length = static_cast<std::int64_t>(left_.size());
        std::int64_t i = 0;
        while (i < count) {
            const std::int64_t offset = (position + i) % period_;
            if (offset >= length) {
                i += std::min<std::int64_t>(count - i, period_ - offset);
                continue;
            }
            const auto run = std::min<std::int64_t>(count - i, length - offset);
            float* l = planes[0] + i;
            float* r = planes[1] + i;
            const float* tl = left_.data() + offset;
            const float* tr = right_.data() + offset;
            for (std::int64_t k = 0; k < run; ++k) {
                l[k] = std::clamp(l[k] + tl[k], -1.0f, 1.0f);
                r[k] = std::clamp(r[k] + tr[k], -1.0f, 1.0f);
            }
            i += run;
        }
    }

private:
    std::int64_t period_ = 1;
    std::vector<float> left_;
    std::vector<float> right_;
};

std::int64_t
to_ms(std::int64_t samples, int rate)
{
    return samples * 1000 / rate;
}

// A sink's way to stop decoding once it has what it needs (not a failure).
constexpr const char* kEnough = "enough";

core::Error
enough()
{
    return core::Error{core::Code::kInternal, kEnough, "enough audio", {}};
}

bool
is_enough(const core::Error& e)
{
    return e.slug == kEnough;
}

// --max-ms as a sample count at `rate` (none: no limit).
core::Result<std::int64_t>
max_samples(const Options& options, int rate)
{
    auto ms = number<std::int64_t>(options, "max-ms", INT64_MAX / rate, 1000, INT64_MAX / rate);
    if (!ms) {
        return ms.error();
    }
    return *ms * rate / 1000;
}

core::Result<std::string>
run_probe(const Options& options)
{
    auto input_path = required(options, "input");
    if (!input_path) {
        return input_path.error();
    }
    auto input = AudioInput::open(*input_path);
    if (!input) {
        return input.error();
    }
    auto decoded = (*input)->decode_first(kProbeFrames);
    if (!decoded) {
        return decoded.error();
    }
    const SourceInfo& info = (*input)->info();
    return fmt::format(R"({{"ok":true,"format":{},"codec":{},"duration_ms":{},"sample_rate":{},"channels":{}}})",
                       quoted(info.format),
                       quoted(info.codec),
                       info.duration_ms,
                       info.sample_rate,
                       info.channels);
}

core::Result<std::string>
run_preview(const Options& options)
{
    auto input_path = required(options, "input");
    auto output_path = required(options, "output");
    auto bitrate = number<std::int64_t>(options, "bitrate", 128000, 32000, 320000);
    auto peak_count = number<int>(options, "peaks", 800, 1, 20000);
    auto tag_every = number<double>(options, "tag-every-s", 30.0, 1.0, 3600.0);
    auto cap = max_samples(options, kPreviewRate);
    for (const core::Result<void>& check : {as_check(input_path), as_check(output_path), as_check(bitrate),
                                            as_check(peak_count), as_check(tag_every), as_check(cap)}) {
        if (!check) {
            return check.error();
        }
    }

    auto input = AudioInput::open(*input_path);
    if (!input) {
        return input.error();
    }
    std::optional<VoiceTag> tag;
    if (auto it = options.find("voice-tag"); it != options.end() && !it->second.empty()) {
        auto loaded = VoiceTag::load(it->second, *tag_every);
        if (!loaded) {
            // The tag is the producer's own asset, checked at its upload: not the beat's fault.
            return failed("voice tag: " + loaded.error().message);
        }
        tag = std::move(*loaded);
    }
    AtomicOutput output(*output_path);
    auto writer = Mp3Writer::open(output.temp_path(), kPreviewRate, 2, *bitrate);
    if (!writer) {
        return writer.error();
    }
    // Loudness of the original: a mono source is measured as one channel (the preview's L = R
    // copy of it would read 3 LU louder).
    const int measured = (*input)->info().channels == 1 ? 1 : 2;
    LoudnessMeter meter(kPreviewRate, measured);
    PeakEnvelope peaks;
    std::int64_t position = 0;
    bool capped = false;
    auto decoded = (*input)->decode_all({kPreviewRate, 2}, [&](float* const* planes, int n) -> core::Result<void> {
        // A preview stops at the cap: long (or endless silent) audio costs no more than that.
        if (position + n > *cap) {
            capped = true;
            n = static_cast<int>(*cap - position);
        }
        peaks.add(planes, 2, n);
        meter.add(planes, n);
        if (tag) {
            tag->mix(planes, n, position);
        }
        position += n;
        if (auto written = (*writer)->write(planes, n); !written) {
            return written;
        }
        if (capped) {
            return enough();
        }
        return {};
    });
    if (!decoded && !(capped && is_enough(decoded.error()))) {
        return decoded.error();
    }
    auto bytes = finish_mp3(**writer, output);
    if (!bytes) {
        return bytes.error();
    }

    std::string out = fmt::format(R"({{"ok":true,"duration_ms":{},"peaks":[)", to_ms(position, kPreviewRate));
    const auto values = peaks.buckets(*peak_count);
    for (std::size_t i = 0; i < values.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{}{}", i == 0 ? "" : ",", milli_rounded(values[i]));
    }
    double lufs = meter.integrated_lufs();
    if (!std::isfinite(lufs)) {
        lufs = LoudnessMeter::kFloorLufs;
    }
    fmt::format_to(std::back_inserter(out), R"(],"lufs":{:.2f},"bytes":{},"capped":{}}})", lufs, *bytes, capped);
    return out;
}

core::Result<std::string>
run_transcode(const Options& options)
{
    auto input_path = required(options, "input");
    if (!input_path) {
        return input_path.error();
    }
    auto output_path = required(options, "output");
    if (!output_path) {
        return output_path.error();
    }
    auto bitrate = number<std::int64_t>(options, "bitrate", 320000, 32000, 320000);
    if (!bitrate) {
        return bitrate.error();
    }
    auto start_ms = number<std::int64_t>(options, "start-ms", 0, 0, 24LL * 3600 * 1000);
    if (!start_ms) {
        return start_ms.error();
    }
    auto input = AudioInput::open(*input_path);
    if (!input) {
        return input.error();
    }
    // Downloads keep the source's rate when MP3 has it, and mono stays mono.
    const SourceInfo& info = (*input)->info();
    PcmTarget target;
    target.sample_rate = (info.sample_rate == 32000 || info.sample_rate == 48000) ? info.sample_rate : 44100;
    target.channels = info.channels == 1 ? 1 : 2;

    auto cap = max_samples(options, target.sample_rate);
    if (!cap) {
        return cap.error();
    }

    AtomicOutput output(*output_path);
    auto writer = Mp3Writer::open(output.temp_path(), target.sample_rate, target.channels, *bitrate);
    if (!writer) {
        return writer.error();
    }
    // A player that seeks asks for the rest from a point (transcodeOffset): decoded samples before
    // it are dropped, which for a beat's few minutes costs less than a seek would save.
    std::int64_t skip = *start_ms * target.sample_rate / 1000;
    const std::int64_t skipped_total = skip;
    std::int64_t position = 0;
    auto decoded = (*input)->decode_all(target, [&](float* const* planes, int n) -> core::Result<void> {
        position += n;
        if (position > *cap) {  // the header said less than there is: no download of endless audio
            return failed("the audio is longer than the longest accepted");
        }
        if (skip >= n) {
            skip -= n;
            return {};
        }
        float* rest[2] = {planes[0] + skip, target.channels > 1 ? planes[1] + skip : nullptr};
        const int count = n - static_cast<int>(skip);
        skip = 0;
        return (*writer)->write(rest, count);
    });
    if (!decoded) {
        return decoded.error();
    }
    auto bytes = finish_mp3(**writer, output);
    if (!bytes) {
        return bytes.error();
    }
    const std::int64_t written = std::max<std::int64_t>(0, *decoded - skipped_total);
    return fmt::format(
        R"({{"ok":true,"duration_ms":{},"bytes":{}}})", to_ms(written, target.sample_rate), *bytes);
}

core::Result<std::string>
run_synth(const Options& options)
{
    auto output_path = required(options, "output");
    if (!output_path) {
        return output_path.error();
    }
    auto seed_text = required(options, "seed");
    if (!seed_text) {
        return seed_text.error();
    }
    SynthParams params;
    auto seed = number<std::int64_t>(options, "seed", 0, INT64_MIN, INT64_MAX);
    auto bpm = number<double>(options, "bpm", 90.0, 40.0, 240.0);
    auto seconds = number<double>(options, "seconds", 30.0, 1.0, 600.0);
    if (!seed) {
        return seed.error();
    }
    if (!bpm) {
        return bpm.error();
    }
    if (!seconds) {
        return seconds.error();
    }
    auto key_it = options.find("key");
    auto key = parse_key(key_it == options.end() ? "A minor" : key_it->second);
    if (!key) {
        return key.error();
    }
    params.seed = *seed;
    params.bpm = *bpm;
    params.seconds = *seconds;
    params.key = *key;

    AtomicOutput output(*output_path);
    auto samples = render_demo_beat(params, output.temp_path());
    if (!samples) {
        return samples.error();
    }
    auto bytes = output.commit();
    if (!bytes) {
        return bytes.error();
    }
    return fmt::format(
        R"({{"ok":true,"duration_ms":{},"bytes":{}}})", to_ms(*samples, kSynthSampleRate), *bytes);
}

core::Result<std::string>
run_mode(const std::vector<std::string>& args)
{
    if (args.empty()) {
        return failed("usage: media-worker probe|preview|transcode|synth --option value ...");
    }
    const Mode* mode = nullptr;
    for (const Mode& m : kModes) {
        if (args[0] == m.name) {
            mode = &m;
        }
    }
    if (mode == nullptr) {
        return failed("unknown media-worker mode '" + args[0] + "'");
    }
    auto options = parse_options(*mode, args);
    if (!options) {
        return options.error();
    }
    const std::string_view name = mode->name;
    if (name == "probe") {
        return run_probe(*options);
    }
    if (name == "preview") {
        return run_preview(*options);
    }
    if (name == "transcode") {
        return run_transcode(*options);
    }
    return run_synth(*options);
}

void
print_line(const std::string& line)
{
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace

int
run_worker(std::vector<std::string> args)
{
    // FFmpeg logs go to stderr (the parent keeps its tail); stdout carries only our JSON line.
    av_log_set_level(AV_LOG_ERROR);
    core::Result<std::string> result = failed("internal error");
    try {
        result = run_mode(args);
    } catch (const std::bad_alloc&) {
        result = failed("out of memory");
    } catch (const std::exception& e) {
        result = failed(e.what());
    }
    if (result) {
        print_line(*result);
        return kExitOk;
    }
    const core::Error& error = result.error();
    print_line(fmt::format(R"({{"ok":false,"error":{},"message":{}}})", quoted(error.slug), quoted(error.message)));
    return is_unsupported(error) ? kExitUnsupported : kExitFailed;
}

}  // namespace bb::beats::media
