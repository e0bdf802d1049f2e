#include "modules/beats/media_synth.hpp"

#include "modules/beats/media_error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
}

namespace bb::beats::media {

namespace {

constexpr int kSteps = 16;  // sixteenth notes per bar
constexpr double kMasterGain = 0.75;

// splitmix64: tiny, and the same on every platform (std distributions are not).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next()
    {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform(double lo, double hi) { return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53; }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
    bool chance(double p) { return uniform(0, 1) < p; }

private:
    std::uint64_t state_;
};

std::uint32_t
mask_of(std::initializer_list<int> steps)
{
    std::uint32_t mask = 0;
    for (int s : steps) {
        mask |= 1u << s;
    }
    return mask;
}

// The shortest distance (in steps, around the bar) between two hits: every note is cut just
// before the next one can start, so a retrigger never clicks.
int
min_gap(std::uint32_t mask)
{
    std::vector<int> steps;
    for (int s = 0; s < kSteps; ++s) {
        if ((mask & (1u << s)) != 0) {
            steps.push_back(s);
        }
    }
    if (steps.size() <= 1) {
        return kSteps;
    }
    int gap = kSteps - steps.back() + steps.front();
    for (std::size_t i = 1; i < steps.size(); ++i) {
        gap = std::min(gap, steps[i] - steps[i - 1]);
    }
    return gap;
}

struct Pattern {
    std::uint32_t kick, snare, hat, open_hat, bass, bass_octave;
    std::array<int, 4> progression;  // semitones above the root, one chord per bar
};

Pattern
choose_pattern(Rng& rng, bool minor)
{
    static const std::uint32_t kKicks[] = {
        mask_of({0, 4, 8, 12}), mask_of({0, 7, 10}), mask_of({0, 6, 10}),
        mask_of({0, 3, 8, 11}), mask_of({0, 10}),    mask_of({0, 2, 7, 10}),
    };
    static const std::uint32_t kHats[] = {
        mask_of({0, 2, 4, 6, 8, 10, 12, 14}),
        0xFFFFu,
        mask_of({2, 6, 10, 14}),
        mask_of({0, 2, 3, 4, 6, 8, 10, 11, 12, 14}),
    };
    static const std::array<int, 4> kMinor[] = {{0, 8, 3, 10}, {0, 5, 8, 7}, {0, 10, 8, 7}, {0, 3, 10, 5}, {0, 8, 10, 0}};
    static const std::array<int, 4> kMajor[] = {{0, 7, 9, 5}, {0, 5, 7, 5}, {0, 9, 5, 7}, {0, 4, 5, 7}};

    Pattern p{};
    p.kick = kKicks[rng.below(std::size(kKicks))];
    if (rng.chance(0.4)) {
        p.kick |= 1u << (1 + 2 * rng.below(8));  // a syncopated extra kick on an off-step
    }
    p.snare = rng.chance(0.7) ? mask_of({4, 12}) : mask_of({8});
    if (rng.chance(0.35)) {
        p.snare |= 1u << (rng.chance(0.5) ? 15 : 7);  // ghost note
    }
    p.hat = kHats[rng.below(std::size(kHats))];
    if (rng.chance(0.5)) {
        const int open = rng.chance(0.5) ? 14 : 6;
        p.hat |= 1u << open;
        p.open_hat = 1u << open;
    }
    p.bass = p.kick;
    for (int extra = rng.below(3); extra > 0; --extra) {
        p.bass |= 1u << rng.below(kSteps);
    }
    for (int s = 1; s < kSteps; ++s) {
        if ((p.bass & (1u << s)) != 0 && rng.chance(0.25)) {
            p.bass_octave |= 1u << s;
        }
    }
    p.progression = minor ? kMinor[rng.below(std::size(kMinor))] : kMajor[rng.below(std::size(kMajor))];
    return p;
}

std::string
num(double v)
{
    return fmt::format("{:.6g}", v);
}

class Graph {
public:
    Graph() : graph_(avfilter_graph_alloc())
    {
        if (graph_ != nullptr) {
            graph_->nb_threads = 1;  // audio filters do not slice-thread; no idle pool per core
        }
    }
    ~Graph() { avfilter_graph_free(&graph_); }
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    AVFilterGraph* get() { return graph_; }

    // Options are set one by one with av_opt_set, so no value ever needs filtergraph escaping.
    core::Result<AVFilterContext*> add(const char* filter,
                                       const char* name,
                                       std::initializer_list<std::pair<const char*, std::string>> options)
    {
        if (graph_ == nullptr) {
            return failed("out of memory");
        }
        const AVFilter* f = avfilter_get_by_name(filter);
        if (f == nullptr) {
            return failed(std::string("this FFmpeg has no '") + filter + "' filter");
        }
        AVFilterContext* ctx = avfilter_graph_alloc_filter(graph_, f, name);
        if (ctx == nullptr) {
            return failed("out of memory");
        }
        for (const auto& [key, value] : options) {
            int ret = av_opt_set(ctx, key, value.c_str(), AV_OPT_SEARCH_CHILDREN);
            if (ret < 0) {
                return failed(fmt::format("{} option {}: {}", filter, key, av_error_text(ret)));
            }
        }
        int ret = avfilter_init_str(ctx, nullptr);
        if (ret < 0) {
            return failed(fmt::format("{} init: {}", filter, av_error_text(ret)));
        }
        return ctx;
    }

private:
    AVFilterGraph* graph_;
};

void
put_le(std::uint8_t* p, std::uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i) {
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

std::array<std::uint8_t, 44>
wav_header(std::int64_t samples, int rate, int channels)
{
    const auto data = static_cast<std::uint32_t>(samples * channels * 2);
    std::array<std::uint8_t, 44> h{};
    std::memcpy(h.data(), "RIFF", 4);
    put_le(h.data() + 4, 36 + data, 4);
    std::memcpy(h.data() + 8, "WAVEfmt ", 8);
    put_le(h.data() + 16, 16, 4);  // fmt chunk size
    put_le(h.data() + 20, 1, 2);   // PCM
    put_le(h.data() + 22, static_cast<std::uint32_t>(channels), 2);
    put_le(h.data() + 24, static_cast<std::uint32_t>(rate), 4);
    put_le(h.data() + 28, static_cast<std::uint32_t>(rate * channels * 2), 4);
    put_le(h.data() + 32, static_cast<std::uint32_t>(channels * 2), 2);
    put_le(h.data() + 34, 16, 2);
    std::memcpy(h.data() + 36, "data", 4);
    put_le(h.data() + 40, data, 4);
    return h;
}

bool
write_all(int fd, const std::uint8_t* p, std::size_t n, off_t at = -1)
{
    while (n > 0) {
        ssize_t w = at >= 0 ? ::pwrite(fd, p, n, at) : ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        if (at >= 0) {
            at += w;
        }
    }
    return true;
}

}  // namespace

core::Result<MusicalKey>
parse_key(std::string_view text)
{
    std::string s;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    static constexpr int kLetters[] = {9, 11, 0, 2, 4, 5, 7};  // a b c d e f g
    if (s.empty() || s[0] < 'a' || s[0] > 'g') {
        return failed("unknown key '" + std::string(text) + "' (expected e.g. \"A minor\" or \"F# major\")");
    }
    MusicalKey key;
    key.semitone = kLetters[s[0] - 'a'];
    std::string_view rest = std::string_view(s).substr(1);
    if (!rest.empty() && (rest[0] == '#' || rest[0] == 'b')) {
        // "b" alone after the letter is a flat ("bb" = B flat), never the start of a mode word.
        key.semitone = (key.semitone + (rest[0] == '#' ? 1 : 11)) % 12;
        rest.remove_prefix(1);
    }
    if (rest == "" || rest == "maj" || rest == "major") {
        key.minor = false;
    } else if (rest == "m" || rest == "min" || rest == "minor") {
        key.minor = true;
    } else {
        return failed("unknown key '" + std::string(text) + "' (expected e.g. \"A minor\" or \"F# major\")");
    }
    const int midi = 28 + (key.semitone - 4 + 12) % 12;  // E1 (MIDI 28) .. D#2
    key.bass_root_hz = 440.0 * std::pow(2.0, (midi - 69) / 12.0);
    return key;
}

std::string
demo_beat_expression(const SynthParams& params)
{
    Rng rng(static_cast<std::uint64_t>(params.seed) * 0x2545F4914F6CDD1DULL + 0x1234567ULL);
    const Pattern p = choose_pattern(rng, params.key.minor);
    const double step = 60.0 / (params.bpm * 4.0);
    const double bar = step * kSteps;
    const double root = params.key.bass_root_hz;

    // Timbre.
    const double kick_amp = rng.uniform(0.6, 0.75), kick_end = rng.uniform(40, 58), kick_start = rng.uniform(110, 190);
    const double kick_sweep = rng.uniform(20, 45), kick_decay = rng.uniform(5, 11);
    const double snare_amp = rng.uniform(0.28, 0.36), snare_decay = rng.uniform(14, 28);
    const double snare_tone = rng.uniform(170, 260), snare_tone_decay = rng.uniform(25, 40);
    const double hat_amp = rng.uniform(0.07, 0.13), hat_closed = rng.uniform(45, 110), hat_open = rng.uniform(9, 16);
    const double bass_amp = rng.uniform(0.28, 0.36), bass_decay = rng.uniform(1.5, 6), bass_fm = rng.uniform(0, 1.4);
    const double pad_amp = rng.uniform(0.03, 0.06);
    const auto noise_seed = rng.next() % 1000003;

    auto gate = [&](const char* tau, std::uint32_t mask) {
        return fmt::format("clip(({}-{})*200,0,1)", num(min_gap(mask) * step - 0.004), tau);
    };
    const std::string bar_index = "mod(floor(ld(0)/16),4)";
    std::string chord = num(std::pow(2.0, p.progression[3] / 12.0));
    for (int i = 2; i >= 0; --i) {
        chord = fmt::format("if(eq({},{}),{},{})", bar_index, i, num(std::pow(2.0, p.progression[i] / 12.0)), chord);
    }

    // Registers: 0 step index, 1 previous step, 2 step bit (then the hat decay), 3..6 the last
    // kick/snare/hat/bass trigger time, 7 bass frequency, 8 pad frequency, 9 noise state.
    std::string e;
    e += fmt::format("if(eq(n,0),st(1,-1);st(3,-99);st(4,-99);st(5,-99);st(6,-99);st(7,{});st(8,{});st(9,{}));",
                     num(root),
                     num(root * 4),
                     noise_seed);
    e += fmt::format("st(0,floor(t*{}));", num(1.0 / step));
    e += "if(gt(ld(0),ld(1)),st(1,ld(0));st(2,pow(2,mod(ld(0),16)));";
    e += fmt::format("st(8,{}*{});", num(root * 4), chord);
    e += fmt::format("if(bitand({},ld(2)),st(3,t));", p.kick);
    e += fmt::format("if(bitand({},ld(2)),st(4,t));", p.snare);
    e += fmt::format("if(bitand({},ld(2)),st(5,t));", p.hat);
    e += fmt::format("if(bitand({},ld(2)),st(6,t);st(7,ld(8)*0.25*if(bitand({},ld(2)),2,1)));", p.bass, p.bass_octave);
    e += fmt::format("st(2,if(bitand({},ld(2)),{},{})));", p.open_hat, num(hat_open), num(hat_closed));

    // Each voice is evaluated only while it sounds: until its gate closes or its envelope has
    // decayed below -60 dB (exp(-7)); the expression is evaluated per sample, so this halves the cost.
    auto voice = [&](const char* tau, std::uint32_t mask, double decay, const std::string& body) {
        const double active = std::min(min_gap(mask) * step - 0.004, 7.0 / decay);
        return fmt::format("if(lt({},{}),{}*{})", tau, num(active), body, gate(tau, mask));
    };
    const char* tk = "(t-ld(3))";
    const char* ts = "(t-ld(4))";
    const char* th = "(t-ld(5))";
    const char* tb = "(t-ld(6))";
    e += fmt::format("{}*(", num(kMasterGain));
    e += voice(tk, p.kick, kick_decay,
               fmt::format("{}*sin(2*PI*({}*{}+{}*(1-exp(-{}*{}))))*exp(-{}*{})", num(kick_amp), num(kick_end), tk,
                           num((kick_start - kick_end) / kick_sweep), num(kick_sweep), tk, num(kick_decay), tk));
    e += "+";
    e += voice(ts, p.snare, std::min(snare_decay, snare_tone_decay),
               fmt::format("{}*((2*random(9)-1)*exp(-{}*{})+0.6*sin(2*PI*{}*{})*exp(-{}*{}))", num(snare_amp),
                           num(snare_decay), ts, num(snare_tone), ts, num(snare_tone_decay), ts));
    e += "+";
    e += voice(th, p.hat, p.open_hat != 0 ? hat_open : hat_closed,
               fmt::format("{}*(2*random(9)-1)*exp(-ld(2)*{})", num(hat_amp), th));
    e += "+";
    e += voice(tb, p.bass, bass_decay,
               fmt::format("{}*sin(2*PI*ld(7)*{}+{}*sin(2*PI*ld(7)*{}))*exp(-{}*{})*min(1,{}*300)", num(bass_amp), tb,
                           num(bass_fm), tb, num(bass_decay), tb, tb));
    e += fmt::format("+{}*(sin(2*PI*ld(8)*t)+0.6*sin(2*PI*ld(8)*1.4983*t)+0.4*sin(4*PI*ld(8)*t))"
                     "*(0.5-0.5*cos(2*PI*mod(t,{})/{}))",
                     num(pad_amp), num(bar), num(bar));
    e += ")";
    return e;
}

core::Result<std::int64_t>
render_demo_beat(const SynthParams& params, const std::string& path)
{
    const auto wanted = static_cast<std::int64_t>(std::llround(params.seconds * kSynthSampleRate));
    const double fade = std::min(1.0, params.seconds / 4);

    Graph graph;
    auto source = graph.add("aevalsrc",
                            "beat",
                            {{"exprs", demo_beat_expression(params)},
                             {"channel_layout", "mono"},
                             {"sample_rate", std::to_string(kSynthSampleRate)},
                             {"nb_samples", "4096"},
                             {"duration", num(static_cast<double>(wanted) / kSynthSampleRate)}});
    if (!source) {
        return source.error();
    }
    auto fade_in = graph.add("afade", "fade_in", {{"type", "in"}, {"duration", "0.005"}});
    if (!fade_in) {
        return fade_in.error();
    }
    auto fade_out = graph.add(
        "afade", "fade_out", {{"type", "out"}, {"start_time", num(params.seconds - fade)}, {"duration", num(fade)}});
    if (!fade_out) {
        return fade_out.error();
    }
    auto pan = graph.add("pan", "stereo", {{"args", "stereo|c0=c0|c1=c0"}});
    if (!pan) {
        return pan.error();
    }
    auto format = graph.add("aformat",
                            "format",
                            {{"sample_fmts", "s16"},
                             {"sample_rates", std::to_string(kSynthSampleRate)},
                             {"channel_layouts", "stereo"}});
    if (!format) {
        return format.error();
    }
    auto sink = graph.add("abuffersink", "out", {});
    if (!sink) {
        return sink.error();
    }
    AVFilterContext* chain[] = {*source, *fade_in, *fade_out, *pan, *format, *sink};
    for (std::size_t i = 0; i + 1 < std::size(chain); ++i) {
        int ret = avfilter_link(chain[i], 0, chain[i + 1], 0);
        if (ret < 0) {
            return failed("linking the synth graph failed (" + av_error_text(ret) + ")");
        }
    }
    int ret = avfilter_graph_config(graph.get(), nullptr);
    if (ret < 0) {
        return failed("configuring the synth graph failed (" + av_error_text(ret) + ")");
    }

    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return failed("cannot create " + path + ": " + std::strerror(errno));
    }
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};

    auto header = wav_header(wanted, kSynthSampleRate, 2);
    if (!write_all(fd, header.data(), header.size())) {
        return failed("writing " + path + ": " + std::strerror(errno));
    }
    AVFrame* frame = av_frame_alloc();
    if (frame == nullptr) {
        return failed("out of memory");
    }
    struct FrameFree {
        AVFrame* f;
        ~FrameFree() { av_frame_free(&f); }
    } frame_free{frame};

    std::int64_t written = 0;
    while (written < wanted) {
        ret = av_buffersink_get_frame(*sink, frame);
        if (ret == AVERROR_EOF) {
            break;
        }
        if (ret < 0) {
            return failed("synthesis failed (" + av_error_text(ret) + ")");
        }
        const auto take = std::min<std::int64_t>(frame->nb_samples, wanted - written);
        bool ok = write_all(fd, frame->data[0], static_cast<std::size_t>(take) * 4);
        av_frame_unref(frame);
        if (!ok) {
            return failed("writing " + path + ": " + std::strerror(errno));
        }
        written += take;
    }
    if (written != wanted) {
        header = wav_header(written, kSynthSampleRate, 2);
        if (!write_all(fd, header.data(), header.size(), 0)) {
            return failed("writing " + path + ": " + std::strerror(errno));
        }
    }
    return written;
}

}  // namespace bb::beats::media
