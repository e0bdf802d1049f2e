#pragma once
// An incremental multipart/form-data parser (RFC 7578). Bytes arrive in pieces of any size; file
// parts are written to temporary files as they come, so a large upload never sits in memory.
#include "core/error.hpp"
#include "http/upload.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace bb::http {

class MultipartParser {
public:
    struct Options {
        std::string temp_dir;
        std::size_t max_field_bytes = 64 * 1024;  // a non-file field
        std::size_t max_parts = 64;
        std::size_t max_part_header_bytes = 8 * 1024;
    };

    // The boundary from the Content-Type header, or an error when there is none.
    static core::Result<std::string> boundary_of(std::string_view content_type);

    MultipartParser(std::string boundary, Options options);
    ~MultipartParser();

    core::Result<void> feed(std::string_view data);
    // The body ended: it must have ended with the closing boundary.
    core::Result<void> finish();
    Upload& upload();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace bb::http
