// A beat's cover art: an image its producer gives with the upload (the multipart field "cover") or
// later. The server only checks that it starts like a PNG, JPEG or WebP and is at most 5 MiB; it
// never decodes it (browsers do), stores it by content like the audio, and serves it with its own
// type under a URL that changes with it, so it is cached for good.
#include "modules/beats/service.hpp"

#include "core/clock.hpp"
#include "modules/beats/file_refs.hpp"

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace bb::beats {
namespace {

constexpr std::uint64_t kMaxCoverBytes = 5 << 20;

std::optional<std::string>
image_ext(const std::string& path)
{
    std::array<unsigned char, 12> head{};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(head.data()), head.size());
    if (in.gcount() < static_cast<std::streamsize>(head.size())) {
        return std::nullopt;
    }
    if (std::memcmp(head.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
        return "png";
    }
    if (head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) {
        return "jpg";
    }
    if (std::memcmp(head.data(), "RIFF", 4) == 0 && std::memcmp(head.data() + 8, "WEBP", 4) == 0) {
        return "webp";
    }
    return std::nullopt;
}

}  // namespace

core::Result<std::string>
Service::check_cover(const http::UploadedFile& file) const
{
    if (file.size > kMaxCoverBytes) {
        return core::invalid_field("cover", "must be at most 5 MiB");
    }
    auto ext = image_ext(file.path);
    if (!ext) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media",
                           "the cover must be a PNG, JPEG or WebP image", {{"field", "cover"}}};
    }
    return file.sha256 + "." + *ext;
}

core::Result<bool>
Service::store_cover(http::UploadedFile& file, const std::string& cover)
{
    auto created = storage_.adopt(file.path, storage_.cover(cover));
    if (created) {
        file.keep();
    }
    return created;
}

void
Service::hold_cover(core::Tx& tx, Beat& beat, const std::optional<std::string>& cover, std::int64_t size)
{
    if (beat.cover == cover) {
        return;
    }
    if (cover) {
        hold_file(tx, cover->substr(0, cover->find('.')), cover->substr(cover->find('.') + 1), size);
    }
    if (beat.cover && release_file(tx, beat.cover->substr(0, beat.cover->find('.')))) {
        tx.after_commit([path = storage_.cover(*beat.cover)] {
            std::error_code ec;
            std::filesystem::remove(path, ec);
        });
    }
    beat.cover = cover;
    beat.updated_ms = core::clock::now_ms();
    tx.query("UPDATE beats_beats SET cover = ?, updated_ms = ? WHERE id = ?").bind(beat.cover, beat.updated_ms, beat.id).exec();
    tx.after_commit([this, id = beat.id] { forget(id); });
}

core::Result<Beat>
Service::set_cover(const http::Principal& who, const std::string& beat_id, http::Upload& form)
{
    if (auto allowed = may_change(who, beat_id); !allowed) {
        return allowed.error();  // before the file is kept anywhere
    }
    http::UploadedFile* file = form.file("file");
    if (file == nullptr) {
        return core::invalid_field("file", "is required: send the image in the field 'file'");
    }
    auto cover = check_cover(*file);
    if (!cover) {
        return cover.error();
    }
    auto created = store_cover(*file, *cover);
    if (!created) {
        return created.error();
    }
    const auto size = static_cast<std::int64_t>(file->size);
    auto changed = db_.write([&](core::Tx& tx) -> core::Result<Beat> {
        auto beat = changeable(tx, who, beat_id);
        if (!beat) {
            return beat.error();
        }
        hold_cover(tx, *beat, *cover, size);
        return beat;
    });
    if (!changed && *created) {
        std::error_code ec;  // the beat went meanwhile: the image we just placed is nobody's
        std::filesystem::remove(storage_.cover(*cover), ec);
    }
    return changed;
}

core::Result<FileToSend>
Service::cover(const std::string& beat_id) const
{
    auto beat = get(beat_id);
    if (!beat) {
        return beat.error();
    }
    if (!beat->cover) {
        return core::not_found("cover");
    }
    const auto ext = beat->cover->substr(beat->cover->find('.') + 1);
    const std::string mime = ext == "png" ? "image/png" : ext == "webp" ? "image/webp" : "image/jpeg";
    return FileToSend{storage_.cover(*beat->cover), mime, beat->title + " (cover)." + ext};
}

}  // namespace bb::beats
