// stream, download, getCoverArt: bytes, through the beats module's rules (the tagged preview
// unless the caller bought the beat or made it), with Range as the web's audio has it.
#include "modules/subsonic/api.hpp"

#include "http/file_response.hpp"
#include "modules/beats/beats.hpp"
#include "modules/subsonic/cover_art.hpp"

namespace bb::subsonic {
namespace {

constexpr int kDefaultCoverSize = 600;

Fault
fault_of(const core::Error& e)
{
    switch (e.code) {
    case core::Code::kNotFound: return not_found("Song");
    case core::Code::kForbidden: return not_allowed(e.message);
    default: return Fault{0, e.message};
    }
}

Outcome
file_answer(const http::Request& req, const beats::MediaFile& file, const std::string& cache, bool attachment)
{
    auto reply = http::serve_file(req, file.path,
                                  {.mime = file.mime, .cache_control = cache,
                                   .download_name = attachment ? file.download_name : ""});
    if (!reply) {
        return Answer::file(http::Response::error(reply.error()));  // 416 for a range past the end
    }
    return Answer::file(std::move(*reply));
}

}  // namespace

Outcome
Api::stream(Call& call)
{
    auto id = required(call.params, "id");
    auto max_kbps = integer(call.params, "maxBitRate", 0, 0, 100000);
    auto offset_s = integer(call.params, "timeOffset", 0, 0, 24 * 3600);
    if (!id) {
        return id.error();
    }
    if (!max_kbps) {
        return max_kbps.error();
    }
    if (!offset_s) {
        return offset_s.error();
    }
    // Only MP3 is encoded here: any other format asked for gets MP3, and says so in Content-Type.
    beats::StreamRequest request;
    request.raw = call.params.get("format") == "raw";
    request.max_kbps = static_cast<int>(*max_kbps);
    request.offset_ms = *offset_s * 1000;
    auto file = beats.stream(call.caller.user_id, *id, request);
    if (!file) {
        return fault_of(file.error());
    }
    return file_answer(call.req, *file, "private, max-age=3600", false);
}

Outcome
Api::download(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    auto file = beats.download(call.caller.user_id, *id);
    if (!file) {
        if (file.error().code == core::Code::kForbidden) {
            return not_allowed("Downloads are for the producer and for buyers whose license covers them");
        }
        return fault_of(file.error());
    }
    return file_answer(call.req, *file, "private, no-store", true);
}

Outcome
Api::get_cover_art(Call& call)
{
    auto id = required(call.params, "id");
    auto size = integer(call.params, "size", kDefaultCoverSize, 1, 10000);
    if (!id) {
        return id.error();
    }
    if (!size) {
        return size.error();
    }
    std::vector<double> peaks;
    if (auto producer = producer_of(*id)) {
        if (!catalog.artist(*producer)) {
            return not_found("Cover art");
        }
    } else if (auto key = album_key(*id)) {
        auto songs = catalog.songs(*key);
        if (songs.empty()) {
            return not_found("Cover art");
        }
        peaks = beats.waveform(songs.front().beat_id);
    } else {
        if (beats.tracks_by_id({*id}, call.caller.user_id).empty()) {
            return not_found("Cover art");
        }
        peaks = beats.waveform(*id);
    }
    auto response = http::Response::text(200, cover_png(*id, peaks, static_cast<int>(*size)), "image/png");
    response.with_header("Cache-Control", "private, max-age=86400");
    return Answer::file(std::move(response));
}

}  // namespace bb::subsonic
