#pragma once
// Files under media/ (originals, stems) are stored by content and counted in beats_files by the
// beats that use them: the same upload twice is one file, removed when its last beat lets go.
#include "core/db.hpp"

#include <cstdint>
#include <string>

namespace bb::beats {

void hold_file(core::Tx& tx, const std::string& sha256, const std::string& ext, std::int64_t size);
// True when no beat uses the file any more: its row is gone and the caller removes the file
// after the commit.
bool release_file(core::Tx& tx, const std::string& sha256);

}  // namespace bb::beats
