#include "http/static_files.hpp"

#include "core/crypto.hpp"
#include "core/embedded.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace bb::http {
namespace {

struct Asset {
    std::string_view bytes;
    std::string etag;
};

// Embedded files never change while the binary runs: hash them once.
const std::map<std::string, Asset, std::less<>>&
embedded_index()
{
    static const auto index = [] {
        std::map<std::string, Asset, std::less<>> out;
        for (const auto& file : embedded::assets()) {
            out.emplace(std::string(file.path), Asset{file.bytes, "\"" + core::crypto::sha256_hex(file.bytes).substr(0, 16) + "\""});
        }
        return out;
    }();
    return index;
}

bool
safe_relative(std::string_view path)
{
    return path.find("..") == std::string_view::npos && path.find('\\') == std::string_view::npos &&
           path.find('\0') == std::string_view::npos;
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
        std::string body;
        std::string etag;
        auto load = [&](const std::string& name) -> bool {
            if (!assets_dir.empty()) {
                std::ifstream in(std::filesystem::path(assets_dir) / name, std::ios::binary);
                if (!in || std::filesystem::is_directory(std::filesystem::path(assets_dir) / name)) {
                    return false;
                }
                std::stringstream buffer;
                buffer << in.rdbuf();
                body = buffer.str();
                etag = "\"" + core::crypto::sha256_hex(body).substr(0, 16) + "\"";
                return true;
            }
            const auto& index = embedded_index();
            auto it = index.find(name);
            if (it == index.end()) {
                return false;
            }
            body = it->second.bytes;
            etag = it->second.etag;
            return true;
        };
        if (!load(rel)) {
            // Unknown paths without an extension belong to the UI's client-side routes.
            if (rel.find('.') != std::string::npos || !load("index.html")) {
                return core::not_found("file");
            }
            rel = "index.html";
        }
        if (req.header("If-None-Match") == etag) {
            Response r = Response::text(304, "");
            r.content_type.clear();
            return r.with_header("ETag", etag);
        }
        Response r = Response::text(200, std::move(body), std::string(mime_type(rel)));
        r.with_header("ETag", etag);
        r.with_header("Cache-Control", "no-cache");
        return r;
    };
}

}  // namespace bb::http
