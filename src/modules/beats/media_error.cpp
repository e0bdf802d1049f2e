#include "modules/beats/media_error.hpp"

extern "C" {
#include <libavutil/error.h>
}

namespace bb::beats::media {

core::Error
unsupported(std::string message)
{
    return core::Error{core::Code::kUnsupportedMedia, "unsupported_media", std::move(message), {}};
}

core::Error
failed(std::string message)
{
    return core::Error{core::Code::kInternal, "failed", std::move(message), {}};
}

bool
is_unsupported(const core::Error& error)
{
    return error.code == core::Code::kUnsupportedMedia;
}

std::string
av_error_text(int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    if (av_strerror(code, buf, sizeof buf) < 0) {
        return "FFmpeg error " + std::to_string(code);
    }
    return buf;
}

}  // namespace bb::beats::media
