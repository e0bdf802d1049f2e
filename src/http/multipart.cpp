#include "http/multipart.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

namespace bb::http {
namespace {

core::Error
malformed(std::string why)
{
    return core::bad_request("malformed_multipart", "the multipart body is malformed: " + std::move(why));
}

// Value of a parameter in a header like: form-data; name="file"; filename="a b.wav"
std::optional<std::string>
header_param(std::string_view header, std::string_view name)
{
    std::size_t pos = 0;
    while ((pos = header.find(';', pos)) != std::string_view::npos) {
        ++pos;
        while (pos < header.size() && header[pos] == ' ') {
            ++pos;
        }
        if (!boost::algorithm::istarts_with(header.substr(pos), name) || header.substr(pos + name.size(), 1) != "=") {
            continue;
        }
        pos += name.size() + 1;
        std::string value;
        if (pos < header.size() && header[pos] == '"') {
            for (++pos; pos < header.size() && header[pos] != '"'; ++pos) {
                if (header[pos] == '\\' && pos + 1 < header.size()) {
                    ++pos;
                }
                value.push_back(header[pos]);
            }
        } else {
            while (pos < header.size() && header[pos] != ';' && header[pos] != ' ') {
                value.push_back(header[pos++]);
            }
        }
        return value;
    }
    return std::nullopt;
}

}  // namespace

UploadedFile::UploadedFile(UploadedFile&& o) noexcept
    : field(std::move(o.field)),
      filename(std::move(o.filename)),
      content_type(std::move(o.content_type)),
      path(std::exchange(o.path, {})),
      size(o.size),
      sha256(std::move(o.sha256))
{
}

UploadedFile&
UploadedFile::operator=(UploadedFile&& o) noexcept
{
    if (this != &o) {
        if (!path.empty()) {
            ::unlink(path.c_str());
        }
        field = std::move(o.field);
        filename = std::move(o.filename);
        content_type = std::move(o.content_type);
        path = std::exchange(o.path, {});
        size = o.size;
        sha256 = std::move(o.sha256);
    }
    return *this;
}

UploadedFile::~UploadedFile()
{
    if (!path.empty()) {
        ::unlink(path.c_str());
    }
}

std::optional<std::string>
Upload::field(std::string_view name) const
{
    for (const auto& [key, value] : fields) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

UploadedFile*
Upload::file(std::string_view name)
{
    for (auto& f : files) {
        if (f.field == name) {
            return &f;
        }
    }
    return nullptr;
}

struct MultipartParser::State {
    enum class Phase { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone };
    Phase phase = Phase::kPreamble;
    std::string first_delimiter;  // "--" + boundary
    std::string delimiter;        // "\r\n--" + boundary
    Options options;
    std::string pending;
    Upload upload;
    std::size_t parts = 0;
    // The part being read.
    bool is_file = false;
    std::string field_name;
    std::string field_value;
    int fd = -1;
    EVP_MD_CTX* sha = nullptr;

    ~State()
    {
        if (fd >= 0) {
            ::close(fd);
        }
        if (sha != nullptr) {
            EVP_MD_CTX_free(sha);
        }
    }

    core::Result<void> start_part(std::string_view headers)
    {
        if (++parts > options.max_parts) {
            return malformed("too many parts");
        }
        std::string disposition;
        std::string content_type;
        std::size_t pos = 0;
        while (pos < headers.size()) {
            auto end = headers.find("\r\n", pos);
            if (end == std::string_view::npos) {
                end = headers.size();
            }
            auto line = headers.substr(pos, end - pos);
            pos = end + 2;
            auto colon = line.find(':');
            if (colon == std::string_view::npos) {
                continue;
            }
            auto name = line.substr(0, colon);
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') {
                value.remove_prefix(1);
            }
            if (boost::algorithm::iequals(name, "Content-Disposition")) {
                disposition = value;
            } else if (boost::algorithm::iequals(name, "Content-Type")) {
                content_type = value;
            }
        }
        auto name = header_param(disposition, "name");
        if (!boost::algorithm::istarts_with(disposition, "form-data") || !name) {
            return malformed("a part has no Content-Disposition: form-data; name=...");
        }
        field_name = *name;
        field_value.clear();
        auto filename = header_param(disposition, "filename");
        is_file = filename.has_value();
        if (!is_file) {
            return {};
        }
        UploadedFile file;
        file.field = field_name;
        file.filename = *filename;
        file.content_type = content_type;
        std::string pattern = (std::filesystem::path(options.temp_dir) / "upload-XXXXXX").string();
        fd = ::mkostemp(pattern.data(), O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOSPC || errno == EDQUOT) {
                return core::insufficient_storage();
            }
            return core::internal("cannot create a temporary file for the upload");
        }
        file.path = pattern;
        upload.files.push_back(std::move(file));
        sha = EVP_MD_CTX_new();
        EVP_DigestInit_ex(sha, EVP_sha256(), nullptr);
        return {};
    }

    core::Result<void> part_data(std::string_view data)
    {
        if (data.empty()) {
            return {};
        }
        if (!is_file) {
            if (field_value.size() + data.size() > options.max_field_bytes) {
                return core::Error{core::Code::kTooLarge, "field_too_large",
                                   "the form field " + field_name + " is too large", {}};
            }
            field_value.append(data);
            return {};
        }
        EVP_DigestUpdate(sha, data.data(), data.size());
        upload.files.back().size += data.size();
        while (!data.empty()) {
            const ssize_t n = ::write(fd, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == ENOSPC || errno == EDQUOT) {
                    return core::insufficient_storage();
                }
                return core::internal("cannot write the upload to disk");
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return {};
    }

    void end_part()
    {
        if (!is_file) {
            upload.fields.emplace_back(std::move(field_name), std::move(field_value));
            return;
        }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(sha, digest, &len);
        EVP_MD_CTX_free(sha);
        sha = nullptr;
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex;
        for (unsigned int i = 0; i < len; ++i) {
            hex.push_back(kHex[digest[i] >> 4]);
            hex.push_back(kHex[digest[i] & 0xf]);
        }
        upload.files.back().sha256 = std::move(hex);
        ::close(fd);
        fd = -1;
    }

    core::Result<void> run()
    {
        for (;;) {
            switch (phase) {
                case Phase::kPreamble: {
                    auto at = pending.find(first_delimiter);
                    if (at == std::string::npos) {
                        // Keep only what could be the start of the delimiter.
                        if (pending.size() > first_delimiter.size()) {
                            pending.erase(0, pending.size() - first_delimiter.size());
                        }
                        return {};
                    }
                    pending.erase(0, at + first_delimiter.size());
                    phase = Phase::kAfterDelimiter;
                    break;
                }
                case Phase::kAfterDelimiter: {
                    if (pending.size() < 2) {
                        return {};
                    }
                    if (pending.starts_with("--")) {
                        phase = Phase::kDone;
                        pending.clear();
                        return {};
                    }
                    // Transport padding (spaces, tabs) may follow a delimiter.
                    auto eol = pending.find("\r\n");
                    if (eol == std::string::npos) {
                        if (pending.size() > 64) {
                            return malformed("no line break after a boundary");
                        }
                        return {};
                    }
                    if (pending.find_first_not_of(" \t", 0) < eol) {
                        return malformed("unexpected text after a boundary");
                    }
                    pending.erase(0, eol + 2);
                    phase = Phase::kHeaders;
                    break;
                }
                case Phase::kHeaders: {
                    auto end = pending.find("\r\n\r\n");
                    std::size_t skip = 4;
                    if (pending.starts_with("\r\n")) {  // a part with no headers at all
                        end = 0;
                        skip = 2;
                    }
                    if (end == std::string::npos) {
                        if (pending.size() > options.max_part_header_bytes) {
                            return malformed("a part's headers are too long");
                        }
                        return {};
                    }
                    if (auto r = start_part(std::string_view(pending).substr(0, end)); !r) {
                        return r;
                    }
                    pending.erase(0, end + skip);
                    phase = Phase::kBody;
                    break;
                }
                case Phase::kBody: {
                    auto at = pending.find(delimiter);
                    if (at == std::string::npos) {
                        // Everything but a possible partial delimiter at the end is data.
                        if (pending.size() > delimiter.size()) {
                            const auto n = pending.size() - delimiter.size();
                            if (auto r = part_data(std::string_view(pending).substr(0, n)); !r) {
                                return r;
                            }
                            pending.erase(0, n);
                        }
                        return {};
                    }
                    if (auto r = part_data(std::string_view(pending).substr(0, at)); !r) {
                        return r;
                    }
                    end_part();
                    pending.erase(0, at + delimiter.size());
                    phase = Phase::kAfterDelimiter;
                    break;
                }
                case Phase::kDone:
                    pending.clear();  // the epilogue is ignored
                    return {};
            }
        }
    }
};

core::Result<std::string>
MultipartParser::boundary_of(std::string_view content_type)
{
    if (!boost::algorithm::istarts_with(content_type, "multipart/form-data")) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media_type",
                           "send the audio as multipart/form-data with the file in the field 'file'", {}};
    }
    auto boundary = header_param(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70) {
        return malformed("the Content-Type has no valid boundary");
    }
    return *boundary;
}

MultipartParser::MultipartParser(std::string boundary, Options options) : state_(std::make_unique<State>())
{
    state_->first_delimiter = "--" + boundary;
    state_->delimiter = "\r\n--" + boundary;
    state_->options = std::move(options);
}

MultipartParser::~MultipartParser() = default;

core::Result<void>
MultipartParser::feed(std::string_view data)
{
    state_->pending.append(data);
    return state_->run();
}

core::Result<void>
MultipartParser::finish()
{
    if (state_->phase != State::Phase::kDone) {
        return malformed("it ended before its closing boundary");
    }
    return {};
}

Upload&
MultipartParser::upload()
{
    return state_->upload;
}

}  // namespace bb::http
