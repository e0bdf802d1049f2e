#pragma once
// A multipart/form-data body as the server received it: small fields in memory, file parts
// already on disk (streamed while parsing, hashed on the way). Temporary files are removed when
// the Upload dies unless the handler kept them (UploadedFile::keep after moving the file away).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bb::http {

struct UploadedFile {
    std::string field;         // the form field name ("file")
    std::string filename;      // as the client named it; never used as a path
    std::string content_type;  // as the client claimed; never trusted
    std::string path;          // the temporary file
    std::uint64_t size = 0;
    std::string sha256;        // hex

    UploadedFile() = default;
    UploadedFile(UploadedFile&&) noexcept;
    UploadedFile& operator=(UploadedFile&&) noexcept;
    ~UploadedFile();
    void keep() { path.clear(); }  // the handler moved the file; do not remove it
};

struct Upload {
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<UploadedFile> files;

    std::optional<std::string> field(std::string_view name) const;
    UploadedFile* file(std::string_view name);
};

}  // namespace bb::http
