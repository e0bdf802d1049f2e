// The media worker, run in-process through media::run_worker (its stdout captured), on audio made
// at test time with the ffmpeg tool.
#include "modules/beats/media.hpp"
#include "modules/beats/media_loudness.hpp"
#include "modules/beats/media_peaks.hpp"
#include "modules/beats/media_synth.hpp"

#include "../../support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace media = bb::beats::media;

struct WorkerRun {
    int exit_code = -1;
    std::string out;
    boost::json::object json;

    bool ok() const { return exit_code == 0 && json.contains("ok") && json.at("ok").as_bool(); }
    std::string error() const { return json.contains("error") ? std::string(json.at("error").as_string()) : ""; }
    std::int64_t integer(const char* key) const { return json.at(key).to_number<std::int64_t>(); }
    double real(const char* key) const { return json.at(key).to_number<double>(); }
};

// Runs the worker with fd 1 pointed at a file, as the child's stdout would be a pipe.
WorkerRun
run_worker(const bb::test::TempDir& dir, std::vector<std::string> args)
{
    const std::string capture = dir.file("stdout.txt");
    std::fflush(stdout);
    int saved = ::dup(1);
    int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(saved >= 0);
    REQUIRE(fd >= 0);
    ::dup2(fd, 1);
    ::close(fd);
    WorkerRun run;
    run.exit_code = media::run_worker(std::move(args));
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);

    std::ifstream in(capture);
    run.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    INFO("worker stdout: " << run.out);
    REQUIRE(!run.out.empty());
    CHECK(run.out.back() == '\n');
    CHECK(run.out.find('\n') == run.out.size() - 1);  // exactly one line
    boost::system::error_code ec;
    auto value = boost::json::parse(run.out, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(value.is_object());
    run.json = value.as_object();
    return run;
}

void
ffmpeg(const std::string& args)
{
    const std::string command = "ffmpeg -nostdin -y -hide_banner -loglevel error " + args;
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
}

// `seconds` of a sine wave at `peak` amplitude, mono or stereo, 16-bit WAV.
std::string
sine_wav(const bb::test::TempDir& dir,
         const std::string& name,
         double seconds,
         int channels = 1,
         double hz = 1000,
         double peak = 1.0,
         int rate = 44100)
{
    const std::string path = dir.file(name);
    std::string expr = fmt::format("{}*sin(2*PI*{}*t)", peak, hz);
    if (channels == 2) {
        expr += "|" + expr;
    }
    ffmpeg(fmt::format("-f lavfi -i \"aevalsrc={}:s={}:d={}\" -c:a pcm_s16le \"{}\"", expr, rate, seconds, path));
    return path;
}

std::string
write_text(const bb::test::TempDir& dir, const std::string& name, const std::string& text)
{
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string
read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::int64_t
probed_duration_ms(const bb::test::TempDir& dir, const std::string& path)
{
    auto probe = run_worker(dir, {"probe", "--input", path});
    REQUIRE(probe.ok());
    return probe.integer("duration_ms");
}

bool
no_temp_files(const bb::test::TempDir& dir)
{
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        if (entry.path().extension() == ".tmp") {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("media probe: a WAV and an MP3 are described")
{
    bb::test::TempDir dir;
    auto wav = sine_wav(dir, "sine.wav", 5);
    auto probe = run_worker(dir, {"probe", "--input", wav});
    REQUIRE(probe.ok());
    CHECK(probe.json.at("format").as_string() == "wav");
    CHECK(probe.json.at("codec").as_string() == "pcm_s16le");
    CHECK(probe.integer("duration_ms") == 5000);
    CHECK(probe.integer("sample_rate") == 44100);
    CHECK(probe.integer("channels") == 1);

    const std::string mp3 = dir.file("sine.mp3");
    ffmpeg(fmt::format("-i \"{}\" -ac 2 -ar 48000 -b:a 192k \"{}\"", wav, mp3));
    auto probe_mp3 = run_worker(dir, {"probe", "--input", mp3});
    REQUIRE(probe_mp3.ok());
    CHECK(probe_mp3.json.at("format").as_string() == "mp3");
    CHECK(probe_mp3.json.at("codec").as_string() == "mp3");
    CHECK(std::abs(probe_mp3.integer("duration_ms") - 5000) <= 100);
    CHECK(probe_mp3.integer("sample_rate") == 48000);
    CHECK(probe_mp3.integer("channels") == 2);
}

TEST_CASE("media probe: files that are not audio, or could reach other files, are unsupported_media")
{
    bb::test::TempDir dir;
    auto wav = sine_wav(dir, "real.wav", 1);
    struct Case {
        const char* what;
        std::string path;
    };
    std::vector<Case> cases = {
        {"text named .mp3", write_text(dir, "x.mp3", "this is not an mp3, just some text\nand another line\n")},
        {"empty file", write_text(dir, "empty.wav", "")},
        {"HLS playlist", write_text(dir, "list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n" + wav +
                                                          "\n#EXT-X-ENDLIST\n")},
        {"ffconcat script", write_text(dir, "list.ffconcat", "ffconcat version 1.0\nfile '" + wav + "'\n")},
        {"ffconcat named .mp3", write_text(dir, "concat.mp3", "ffconcat version 1.0\nfile '" + wav + "'\n")},
        {"binary junk", write_text(dir, "junk.wav", std::string(4096, '\x7f'))},
        {"a directory", dir.path().string()},
        {"a device", "/dev/zero"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        for (const char* mode : {"probe", "preview", "transcode"}) {
            CAPTURE(mode);
            std::vector<std::string> args = {mode, "--input", c.path};
            if (std::string(mode) != "probe") {
                args.insert(args.end(), {"--output", dir.file("out.mp3")});
            }
            auto run = run_worker(dir, args);
            CHECK(run.exit_code == 3);
            CHECK(run.json.at("ok").as_bool() == false);
            CHECK(run.error() == "unsupported_media");
            CHECK_FALSE(run.json.at("message").as_string().empty());
            CHECK_FALSE(fs::exists(dir.file("out.mp3")));
        }
    }
    CHECK(no_temp_files(dir));
}

TEST_CASE("media preview: an MP3 of the same length at ~128 kb/s, with peaks and loudness of the original")
{
    bb::test::TempDir dir;
    auto wav = sine_wav(dir, "sine.wav", 5);  // full-scale 1 kHz, mono
    const std::string out = dir.file("preview.mp3");
    auto run = run_worker(dir, {"preview", "--input", wav, "--output", out, "--peaks", "50"});
    REQUIRE(run.ok());
    CHECK(run.integer("duration_ms") == 5000);
    REQUIRE(fs::exists(out));
    CHECK(no_temp_files(dir));

    const auto bytes = static_cast<std::int64_t>(fs::file_size(out));
    CHECK(run.integer("bytes") == bytes);
    const auto duration_ms = probed_duration_ms(dir, out);
    CHECK(std::abs(duration_ms - 5000) <= 100);
    CHECK(bytes == doctest::Approx(duration_ms * 16.0).epsilon(0.10));  // 128 kb/s = 16000 B/s

    const auto& peaks = run.json.at("peaks").as_array();
    CHECK(peaks.size() == 50);
    for (const auto& p : peaks) {
        CHECK(p.to_number<double>() == doctest::Approx(1.0).epsilon(0.01));  // the mono source, not -3 dB
    }
    // BS.1770: a full-scale sine in one channel is -3.01 LUFS (-0.691 + 10 log10(0.5) + K-weighting at 1 kHz).
    CHECK(std::abs(run.real("lufs") - (-3.01)) <= 0.2);

    auto probe = run_worker(dir, {"probe", "--input", out});
    CHECK(probe.integer("channels") == 2);
    CHECK(probe.integer("sample_rate") == 44100);
}

TEST_CASE("media preview: loudness of stereo and quieter signals, other rates, silence")
{
    bb::test::TempDir dir;
    struct Case {
        const char* what;
        std::string input;
        double lufs;
    };
    std::vector<Case> cases = {
        // The same sine in both channels counts twice: 3 LU louder than mono.
        {"stereo full scale", sine_wav(dir, "st.wav", 4, 2), 0.0},
        {"mono -20 dBFS", sine_wav(dir, "quiet.wav", 4, 1, 1000, 0.1), -23.0},
        {"48 kHz stereo -6 dBFS", sine_wav(dir, "r48.wav", 4, 2, 1000, 0.5, 48000), -6.0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        auto run = run_worker(dir, {"preview", "--input", c.input, "--output", dir.file("p.mp3")});
        REQUIRE(run.ok());
        CHECK(std::abs(run.real("lufs") - c.lufs) <= 0.3);
        CHECK(std::abs(run.integer("duration_ms") - 4000) <= 5);
        CHECK(run.json.at("peaks").as_array().size() == 800);
    }

    const std::string silence = dir.file("silence.wav");
    ffmpeg("-f lavfi -i \"anullsrc=r=44100:cl=stereo\" -t 2 \"" + silence + "\"");
    auto quiet = run_worker(dir, {"preview", "--input", silence, "--output", dir.file("s.mp3"), "--peaks", "7"});
    REQUIRE(quiet.ok());
    CHECK(quiet.real("lufs") == doctest::Approx(media::LoudnessMeter::kFloorLufs));
    CHECK(quiet.json.at("peaks").as_array().size() == 7);
    CHECK(quiet.json.at("peaks").as_array()[0].to_number<double>() == 0.0);

    // Shorter than one 400 ms block, and shorter than the number of peaks in samples.
    auto tiny = sine_wav(dir, "tiny.wav", 0.01);
    auto t = run_worker(dir, {"preview", "--input", tiny, "--output", dir.file("t.mp3"), "--peaks", "1000"});
    REQUIRE(t.ok());
    CHECK(t.json.at("peaks").as_array().size() == 1000);
    CHECK(t.real("lufs") == doctest::Approx(media::LoudnessMeter::kFloorLufs));
    CHECK(no_temp_files(dir));
}

TEST_CASE("media preview: the voice tag is mixed into the preview only")
{
    bb::test::TempDir dir;
    auto beat = sine_wav(dir, "beat.wav", 6, 2, 220, 0.3);
    auto tag = sine_wav(dir, "tag.wav", 0.5, 1, 880, 0.5);
    const std::string plain = dir.file("plain.mp3");
    const std::string tagged = dir.file("tagged.mp3");
    auto a = run_worker(dir, {"preview", "--input", beat, "--output", plain, "--peaks", "60"});
    auto b = run_worker(dir,
                        {"preview", "--input", beat, "--output", tagged, "--peaks", "60", "--voice-tag", tag,
                         "--tag-every-s", "2"});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(read_file(plain) != read_file(tagged));
    // Peaks and loudness describe the beat itself, with or without the tag.
    CHECK(a.json.at("peaks") == b.json.at("peaks"));
    CHECK(a.real("lufs") == b.real("lufs"));
    CHECK(a.integer("duration_ms") == b.integer("duration_ms"));

    // The tag is audible where it is placed (0 s, 2 s, 4 s) and nowhere else: compare loudness
    // of windows of the decoded previews.
    auto window_lufs = [&](const std::string& mp3, double from) {
        const std::string cut = dir.file("cut.wav");
        ffmpeg(fmt::format("-ss {} -t 0.45 -i \"{}\" \"{}\"", from, mp3, cut));
        auto r = run_worker(dir, {"preview", "--input", cut, "--output", dir.file("cut.mp3")});
        REQUIRE(r.ok());
        return r.real("lufs");
    };
    CHECK(window_lufs(tagged, 2.02) > window_lufs(plain, 2.02) + 3);
    CHECK(std::abs(window_lufs(tagged, 1.0) - window_lufs(plain, 1.0)) < 0.5);

    // A tag that cannot be decoded is the tag's problem, not the beat's.
    auto bad = write_text(dir, "bad_tag.mp3", "not audio");
    auto c = run_worker(dir, {"preview", "--input", beat, "--output", dir.file("c.mp3"), "--voice-tag", bad});
    CHECK(c.exit_code == 1);
    CHECK(c.error() == "failed");
    CHECK_FALSE(fs::exists(dir.file("c.mp3")));
    CHECK(no_temp_files(dir));
}

TEST_CASE("media transcode: MP3 at the requested bitrate, default 320 kb/s")
{
    bb::test::TempDir dir;
    auto wav = sine_wav(dir, "in.wav", 5, 2, 440, 0.5);
    const std::string out = dir.file("download.mp3");
    auto run = run_worker(dir, {"transcode", "--input", wav, "--output", out});
    REQUIRE(run.ok());
    CHECK(run.integer("duration_ms") == 5000);
    CHECK(run.integer("bytes") == static_cast<std::int64_t>(fs::file_size(out)));
    CHECK(static_cast<double>(run.integer("bytes")) == doctest::Approx(5000 * 40.0).epsilon(0.10));
    CHECK(std::abs(probed_duration_ms(dir, out) - 5000) <= 100);

    auto low = run_worker(dir, {"transcode", "--input", wav, "--output", out, "--bitrate", "96000"});
    REQUIRE(low.ok());
    CHECK(static_cast<double>(low.integer("bytes")) == doctest::Approx(5000 * 12.0).epsilon(0.10));
    CHECK(no_temp_files(dir));
}

TEST_CASE("media synth: a WAV of the requested length; seeds differ, the same seed repeats")
{
    bb::test::TempDir dir;
    auto synth = [&](const std::string& name, const std::string& seed, const std::string& seconds,
                     const std::string& key = "A minor") {
        return run_worker(dir, {"synth", "--output", dir.file(name), "--seed", seed, "--seconds", seconds, "--bpm",
                                "120", "--key", key});
    };
    auto a = synth("a.wav", "1", "3");
    REQUIRE(a.ok());
    CHECK(a.integer("duration_ms") == 3000);
    CHECK(a.integer("bytes") == 44 + 3 * 44100 * 4);
    CHECK(static_cast<std::int64_t>(fs::file_size(dir.file("a.wav"))) == a.integer("bytes"));

    auto probe = run_worker(dir, {"probe", "--input", dir.file("a.wav")});
    REQUIRE(probe.ok());
    CHECK(probe.json.at("codec").as_string() == "pcm_s16le");
    CHECK(probe.integer("duration_ms") == 3000);
    CHECK(probe.integer("channels") == 2);
    CHECK(probe.integer("sample_rate") == 44100);

    // Not silent, not clipping.
    auto preview = run_worker(dir, {"preview", "--input", dir.file("a.wav"), "--output", dir.file("a.mp3")});
    REQUIRE(preview.ok());
    CHECK(preview.real("lufs") > -30);
    CHECK(preview.real("lufs") < -6);

    REQUIRE(synth("b.wav", "2", "3").ok());
    REQUIRE(synth("a2.wav", "1", "3").ok());
    CHECK(read_file(dir.file("a.wav")) != read_file(dir.file("b.wav")));
    CHECK(read_file(dir.file("a.wav")) == read_file(dir.file("a2.wav")));
    REQUIRE(synth("c.wav", "1", "3", "C# major").ok());
    CHECK(read_file(dir.file("a.wav")) != read_file(dir.file("c.wav")));

    auto odd = synth("odd.wav", "7", "1.5");
    REQUIRE(odd.ok());
    CHECK(odd.integer("bytes") == 44 + 66150 * 4);
    CHECK(no_temp_files(dir));
}

TEST_CASE("synth patterns: every seed plays kick, snare, hats and bass; keys parse")
{
    std::set<std::string> distinct;
    for (std::int64_t seed = 0; seed < 200; ++seed) {
        CAPTURE(seed);
        media::SynthParams params;
        params.seed = seed;
        const auto expr = media::demo_beat_expression(params);
        CHECK(expr.find("bitand(0,ld(2)),st(") == std::string::npos);  // every voice plays somewhere
        CHECK(expr.find('|') == std::string::npos);          // aevalsrc separates channels with '|'
        distinct.insert(expr);
    }
    CHECK(distinct.size() == 200);

    struct KeyCase {
        const char* text;
        int semitone;
        bool minor;
    };
    for (const auto& k : {KeyCase{"A minor", 9, true}, KeyCase{"C# major", 1, false}, KeyCase{"Bbm", 10, true},
                          KeyCase{"b minor", 11, true}, KeyCase{"e", 4, false}, KeyCase{"F#MIN", 6, true},
                          KeyCase{"Gb maj", 6, false}}) {
        CAPTURE(k.text);
        auto key = media::parse_key(k.text);
        REQUIRE(key.has_value());
        CHECK(key->semitone == k.semitone);
        CHECK(key->minor == k.minor);
        CHECK(key->bass_root_hz >= 41.0);
        CHECK(key->bass_root_hz < 78.0);
    }
    CHECK(media::parse_key("A minor")->bass_root_hz == doctest::Approx(55.0));
    for (const char* bad : {"", "H minor", "A dorian", "C##"}) {
        CAPTURE(bad);
        CHECK_FALSE(media::parse_key(bad).has_value());
    }
}

TEST_CASE("media worker: bad arguments fail with exit 1 and write nothing")
{
    bb::test::TempDir dir;
    auto wav = sine_wav(dir, "in.wav", 1);
    std::vector<std::vector<std::string>> cases = {
        {},
        {"explode"},
        {"probe"},
        {"probe", "--input"},
        {"probe", "--input", wav, "--output", "x"},
        {"preview", "--input", wav},
        {"preview", "--input", wav, "--output", dir.file("o.mp3"), "--bitrate", "lots"},
        {"preview", "--input", wav, "--output", dir.file("o.mp3"), "--peaks", "0"},
        {"preview", "--input", wav, "--output", dir.file("o.mp3"), "--tag-every-s", "0"},
        {"preview", "--input", wav, "--output", dir.file("no/such/dir/o.mp3")},
        {"synth", "--output", dir.file("o.wav")},
        {"synth", "--output", dir.file("o.wav"), "--seed", "1", "--key", "H minor"},
        {"synth", "--output", dir.file("o.wav"), "--seed", "1", "--bpm", "1000"},
        {"transcode", "--input", dir.file("missing.wav"), "--output", dir.file("o.mp3")},
    };
    for (const auto& args : cases) {
        CAPTURE(args.size());
        CAPTURE(args.empty() ? std::string() : args.back());
        auto run = run_worker(dir, args);
        CHECK(run.exit_code == 1);
        CHECK(run.error() == "failed");
        CHECK_FALSE(run.json.at("message").as_string().empty());
    }
    CHECK_FALSE(fs::exists(dir.file("o.mp3")));
    CHECK_FALSE(fs::exists(dir.file("o.wav")));
    CHECK(no_temp_files(dir));
}

TEST_CASE("peak envelope: exactly the requested buckets, whatever the length")
{
    media::PeakEnvelope short_env;
    float samples[3] = {0.1f, -0.5f, 0.25f};
    const float* planes[2] = {samples, samples};
    short_env.add(planes, 2, 3);
    auto few = short_env.buckets(800);
    CHECK(few.size() == 800);
    CHECK(few.front() == doctest::Approx(0.5f));

    // Long enough to force the block size to double several times.
    media::PeakEnvelope long_env;
    std::vector<float> chunk(44100, 0.1f);
    const float* mono[1] = {chunk.data()};
    for (int second = 0; second < 120; ++second) {
        chunk[22050] = second == 60 ? -0.9f : 0.1f;  // mid-second: bucket edges fall between blocks
        long_env.add(mono, 1, static_cast<int>(chunk.size()));
    }
    auto peaks = long_env.buckets(120);
    CHECK(peaks.size() == 120);
    CHECK(peaks[60] == doctest::Approx(0.9f));
    CHECK(peaks[59] == doctest::Approx(0.1f));
    CHECK(peaks[61] == doctest::Approx(0.1f));
    CHECK(media::PeakEnvelope().buckets(5) == std::vector<float>(5, 0.0f));
}

TEST_CASE("loudness meter: EBU Tech 3341 style sines at 44.1 and 48 kHz")
{
    for (int rate : {44100, 48000}) {
        CAPTURE(rate);
        // -23 dBFS 1 kHz stereo reads -23 LUFS; 20 s of it.
        media::LoudnessMeter meter(rate, 2);
        const double amp = std::pow(10.0, -23.0 / 20.0);
        std::vector<float> buf(static_cast<std::size_t>(rate));
        const float* planes[2] = {buf.data(), buf.data()};
        for (int second = 0; second < 20; ++second) {
            for (int i = 0; i < rate; ++i) {
                const double t = static_cast<double>(second * rate + i) / rate;
                buf[static_cast<std::size_t>(i)] = static_cast<float>(amp * std::sin(2 * std::numbers::pi * 1000 * t));
            }
            meter.add(planes, rate);
        }
        CHECK(meter.integrated_lufs() == doctest::Approx(-23.0).epsilon(0.005));
    }
}
