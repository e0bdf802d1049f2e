#pragma once
// Private to the media worker: the two ways a media operation fails. unsupported() is media we
// refuse (the worker exits 3, the server answers 415); failed() is anything else (exit 1).
#include "core/error.hpp"

#include <string>

namespace bb::beats::media {

core::Error unsupported(std::string message);
core::Error failed(std::string message);
bool is_unsupported(const core::Error& error);

// FFmpeg's text for an AVERROR code, e.g. "Invalid data found when processing input".
std::string av_error_text(int code);

}  // namespace bb::beats::media
