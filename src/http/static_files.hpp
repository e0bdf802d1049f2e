#pragma once
// Serves the web UI: files embedded into the binary, or from a folder during development.
#include "http/router.hpp"

#include <string>

namespace bb::http {

// "/" serves index.html; a path with no file and no extension also gets index.html, so the UI's
// own routes work on reload.
Handler static_files(std::string assets_dir);

std::string_view mime_type(std::string_view path);

}  // namespace bb::http
