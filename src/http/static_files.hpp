#pragma once
// Serves the web UI: files embedded into the binary, or from a folder during development.
#include "http/router.hpp"

#include <string>

namespace bb::http {

// "/" serves index.html; a path whose last segment has no extension also gets index.html, so the
// UI's own routes work on reload. /assets/<version>/<file> serves <file> with a year-long cache
// when <version> is the current one. Every answer carries the UI's Content-Security-Policy.
Handler static_files(std::string assets_dir);

std::string_view mime_type(std::string_view path);

}  // namespace bb::http
