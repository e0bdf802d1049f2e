#include "http/static_files.hpp"

#include "core/crypto.hpp"
#include "core/embedded.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace bb::http {
namespace {

// Nothing a user typed can run as script: only our own files execute, no inline script or style,
// no plugins, no framing. WebSockets to the same host are covered by 'self'.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// index.html names its CSS and JavaScript as /assets/<version>/..., so those URLs change whenever
// any file changes and may be cached for a year; index.html itself is revalidated every time.
constexpr std::string_view kVersionMark = "@ASSET_VERSION@";
constexpr std::string_view kVersionedPrefix = "assets/";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";

struct Asset {
    std::string bytes;
    std::string etag;
};

std::string
etag_of(std::string_view bytes)
{
    std::string tag(1, '"');
    tag.append(core::crypto::sha256_hex(bytes), 0, 16).push_back('"');
    return tag;
}

std::string
with_version(std::string_view html, std::string_view version)
{
    std::string out;
    std::size_t from = 0;
    for (auto at = html.find(kVersionMark); at != std::string_view::npos; at = html.find(kVersionMark, from)) {
        out.append(html.substr(from, at - from)).append(version);
        from = at + kVersionMark.size();
    }
    return out.append(html.substr(from));
}

// Embedded files never change while the binary runs: hash them once, and render index.html once.
struct EmbeddedAssets {
    std::map<std::string, Asset, std::less<>> files;
    std::string version;

    EmbeddedAssets()
    {
        std::string all_etags;
        for (const auto& file : embedded::assets()) {
            Asset asset{std::string(file.bytes), etag_of(file.bytes)};
            all_etags += std::string(file.path) + asset.etag;
            files.emplace(std::string(file.path), std::move(asset));
        }
        version = core::crypto::sha256_hex(all_etags).substr(0, 12);
        if (auto it = files.find("index.html"); it != files.end()) {
            it->second.bytes = with_version(it->second.bytes, version);
            it->second.etag = etag_of(it->second.bytes);
        }
    }
};

const EmbeddedAssets&
embedded_assets()
{
    static const EmbeddedAssets assets;
    return assets;
}

bool
safe_relative(std::string_view path)
{
    return path.find("..") == std::string_view::npos && path.find('\\') == std::string_view::npos &&
           path.find('\0') == std::string_view::npos;
}

// During development files are read on every request, so an edit shows on reload.
std::optional<Asset>
load_from_disk(const std::filesystem::path& dir, const std::string& name)
{
    auto file = dir / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string bytes = buffer.str();
    if (name == "index.html") {
        bytes = with_version(bytes, "dev");
    }
    auto etag = etag_of(bytes);
    return Asset{std::move(bytes), std::move(etag)};
}

bool
is_client_route(std::string_view rel)
{
    auto last_segment = rel.substr(rel.rfind('/') + 1);
    return last_segment.find('.') == std::string_view::npos;
}

}  // namespace

std::string_view
mime_type(std::string_view path)
{
    static const std::map<std::string_view, std::string_view> types = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"}};
    auto dot = path.rfind('.');
    if (dot != std::string_view::npos) {
        if (auto it = types.find(path.substr(dot)); it != types.end()) {
            return it->second;
        }
    }
    return "application/octet-stream";
}

Handler
static_files(std::string assets_dir)
{
    return [assets_dir = std::move(assets_dir)](const Request& req) -> Reply {
        std::string rel = req.path.size() > 1 ? req.path.substr(1) : "index.html";
        if (!rel.empty() && rel.back() == '/') {
            rel += "index.html";
        }
        if (!safe_relative(rel)) {
            return core::not_found("file");
        }
        bool immutable = false;
        if (rel.starts_with(kVersionedPrefix)) {
            auto slash = rel.find('/', kVersionedPrefix.size());
            if (slash == std::string::npos) {
                return core::not_found("file");
            }
            auto version = std::string_view(rel).substr(kVersionedPrefix.size(), slash - kVersionedPrefix.size());
            // A page from before an upgrade may ask for an old version: it gets today's file, uncached.
            immutable = assets_dir.empty() && version == embedded_assets().version;
            rel.erase(0, slash + 1);
        } else if (is_client_route(rel)) {
            rel = "index.html";
        }

        std::optional<Asset> disk;
        const Asset* asset = nullptr;
        if (!assets_dir.empty()) {
            disk = load_from_disk(assets_dir, rel);
            asset = disk ? &*disk : nullptr;
        } else if (auto it = embedded_assets().files.find(rel); it != embedded_assets().files.end()) {
            asset = &it->second;
        }
        if (asset == nullptr) {
            return core::not_found("file");
        }

        Response r = req.header("If-None-Match") == asset->etag
                         ? Response::text(304, "", "")
                         : Response::text(200, asset->bytes, std::string(mime_type(rel)));
        if (r.status == 304) {
            r.content_type.clear();
        }
        r.with_header("ETag", asset->etag);
        r.with_header("Cache-Control", immutable ? kImmutable : "no-cache");
        r.with_header("Content-Security-Policy", kContentSecurityPolicy);
        return r;
    };
}

}  // namespace bb::http
