// A beat's stems: the producer uploads its track-outs as one ZIP archive; buyers whose license
// includes "stems" download it. The archive is only checked to be a ZIP: it is never opened on the
// server, and it is served as an attachment (nosniff, sandboxed) to license holders only.
#include "modules/beats/service.hpp"

#include "core/clock.hpp"
#include "modules/beats/file_refs.hpp"

#include <array>
#include <filesystem>
#include <fstream>

namespace bb::beats {
namespace {

// A ZIP archive with files in it starts with a local file header (an empty one has no stems).
bool
looks_like_zip(const std::string& path)
{
    std::array<char, 4> magic{};
    std::ifstream in(path, std::ios::binary);
    in.read(magic.data(), magic.size());
    return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

}  // namespace

void
Service::replace_stems(core::Tx& tx, Beat& beat, const std::optional<std::string>& stems_sha256)
{
    if (beat.stems_sha256 == stems_sha256) {
        return;
    }
    if (beat.stems_sha256 && release_file(tx, *beat.stems_sha256)) {
        tx.after_commit([path = storage_.stems(*beat.stems_sha256)] {
            std::error_code ec;
            std::filesystem::remove(path, ec);
        });
    }
    beat.stems_sha256 = stems_sha256;
    beat.updated_ms = core::clock::now_ms();
    tx.query("UPDATE beats_beats SET stems_sha256 = ?, updated_ms = ? WHERE id = ?")
        .bind(beat.stems_sha256, beat.updated_ms, beat.id)
        .exec();
    tx.after_commit([this, id = beat.id] { forget(id); });
}

core::Result<Beat>
Service::set_stems(const http::Principal& who, const std::string& beat_id, http::Upload& form)
{
    if (auto allowed = may_change(who, beat_id); !allowed) {
        return allowed.error();  // before the file is kept anywhere
    }
    http::UploadedFile* file = form.file("file");
    if (file == nullptr) {
        return core::invalid_field("file", "is required: send the stems as one ZIP archive in the field 'file'");
    }
    if (!looks_like_zip(file->path)) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media",
                           "stems must be one ZIP archive of the beat's track-outs"};
    }
    const std::string target = storage_.stems(file->sha256);
    auto created = storage_.adopt(file->path, target);
    if (!created) {
        return created.error();
    }
    file->keep();
    const auto size = static_cast<std::int64_t>(file->size);
    auto changed = db_.write([&](core::Tx& tx) -> core::Result<Beat> {
        auto beat = changeable(tx, who, beat_id);
        if (!beat) {
            return beat.error();
        }
        if (beat->stems_sha256 != file->sha256) {
            hold_file(tx, file->sha256, "zip", size);
            replace_stems(tx, *beat, file->sha256);
        }
        return beat;
    });
    if (!changed && *created) {
        std::error_code ec;  // the beat went meanwhile: the file we just placed is nobody's
        std::filesystem::remove(target, ec);
    }
    return changed;
}

core::Result<Beat>
Service::remove_stems(const http::Principal& who, const std::string& beat_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<Beat> {
        auto beat = changeable(tx, who, beat_id);
        if (!beat) {
            return beat.error();
        }
        replace_stems(tx, *beat, std::nullopt);
        return beat;
    });
}

}  // namespace bb::beats
