#include "modules/beats/media_client.hpp"

#include "core/child_process.hpp"
#include "core/log.hpp"

#include <boost/json/parse.hpp>

namespace bb::beats {
namespace {

constexpr int kExitUnsupported = 3;

constexpr int kBusyRetryS = 5;

core::Result<boost::json::object>
run(std::vector<std::string> args, std::chrono::milliseconds wall,
    std::optional<std::chrono::milliseconds> slot_wait = std::nullopt)
{
    args.insert(args.begin(), "media-worker");
    core::ChildLimits limits;
    limits.wall = wall;
    limits.slot_wait = slot_wait;
    auto child = core::run_child(args, limits);
    if (child.busy) {
        return core::Error{core::Code::kUnavailable, "media_busy",
                           "every media worker is busy; try the upload again in a few seconds",
                           {{"retry_after_s", kBusyRetryS}}};
    }
    boost::system::error_code ec;
    auto answer = boost::json::parse(child.out, ec);
    if (!ec && answer.is_object() && child.ok()) {
        return std::move(answer.as_object());
    }
    std::string message = "the media worker failed";
    if (!ec && answer.is_object()) {
        if (const auto* m = answer.as_object().if_contains("message"); m != nullptr && m->is_string()) {
            message = std::string(m->as_string());
        }
    }
    if (child.timed_out) {
        message = "processing took too long";
    } else if (child.signal != 0) {
        message = "the decoder crashed on this file";
    }
    core::log::warn("media", "worker failed", {{"op", args.size() > 1 ? args[1] : ""}, {"exit", child.exit_code},
                                               {"signal", child.signal}, {"timed_out", child.timed_out},
                                               {"stderr", child.err_tail}});
    if (child.exit_code == kExitUnsupported || child.signal != 0 || child.timed_out) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media", message, {}};
    }
    return core::internal(message);
}

}  // namespace

core::Result<ProbeInfo>
MediaClient::probe(const std::string& path) const
{
    // A request waits for this one: it may use the worker kept for requests, and not for long.
    auto answer = run({"probe", "--input", path}, std::chrono::seconds(30), settings_.probe_wait);
    if (!answer) {
        return answer.error();
    }
    ProbeInfo info;
    if (const auto* f = answer->if_contains("format"); f != nullptr && f->is_string()) {
        info.format = f->as_string();
    }
    if (const auto* c = answer->if_contains("codec"); c != nullptr && c->is_string()) {
        info.codec = c->as_string();
    }
    if (const auto* d = answer->if_contains("duration_ms"); d != nullptr && d->is_number()) {
        info.duration_ms = d->to_number<std::int64_t>();
    }
    if (info.duration_ms > settings_.max_duration_ms) {
        return core::Error{core::Code::kInvalidInput, "too_long",
                           "the audio is " + std::to_string(info.duration_ms / 1000) + " s long; at most " +
                               std::to_string(settings_.max_duration_ms / 1000) + " s is accepted",
                           {{"duration_ms", info.duration_ms}, {"max_duration_ms", settings_.max_duration_ms}}};
    }
    return info;
}

core::Result<PreviewInfo>
MediaClient::preview(const std::string& input, const std::string& output,
                     const std::optional<std::string>& voice_tag) const
{
    std::vector<std::string> args = {"preview", "--input", input, "--output", output, "--bitrate", "128000", "--peaks", "800",
                                     "--max-ms", std::to_string(settings_.preview_max_ms)};
    if (voice_tag) {
        args.insert(args.end(), {"--voice-tag", *voice_tag, "--tag-every-s", "30"});
    }
    auto answer = run(args, std::chrono::minutes(10));
    if (!answer) {
        return answer.error();
    }
    PreviewInfo info;
    if (const auto* d = answer->if_contains("duration_ms"); d != nullptr && d->is_number()) {
        info.duration_ms = d->to_number<std::int64_t>();
    }
    if (const auto* p = answer->if_contains("peaks"); p != nullptr && p->is_array()) {
        for (const auto& v : p->as_array()) {
            info.peaks.push_back(v.is_number() ? v.to_number<double>() : 0.0);
        }
    }
    if (const auto* l = answer->if_contains("lufs"); l != nullptr && l->is_number()) {
        info.lufs = l->to_number<double>();
    }
    if (const auto* c = answer->if_contains("capped"); c != nullptr && c->is_bool()) {
        info.capped = c->as_bool();
    }
    return info;
}

core::Result<void>
MediaClient::transcode(const std::string& input, const std::string& output, int bitrate, std::int64_t start_ms) const
{
    auto answer = run({"transcode", "--input", input, "--output", output, "--bitrate", std::to_string(bitrate),
                       "--start-ms", std::to_string(start_ms), "--max-ms", std::to_string(settings_.max_duration_ms)},
                      std::chrono::minutes(10));
    if (!answer) {
        return answer.error();
    }
    return {};
}

core::Result<void>
MediaClient::synth(const std::string& output, int seed, int bpm, int seconds, const std::string& key) const
{
    auto answer = run({"synth", "--output", output, "--seed", std::to_string(seed), "--bpm", std::to_string(bpm),
                       "--seconds", std::to_string(seconds), "--key", key},
                      std::chrono::minutes(2));
    if (!answer) {
        return answer.error();
    }
    return {};
}

}  // namespace bb::beats
