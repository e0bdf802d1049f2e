#pragma once
// Files compiled into the binary by cmake/embed.cmake (migrations, web assets).
#include <span>
#include <string_view>

namespace bb::embedded {

struct EmbeddedFile {
    std::string_view path;
    std::string_view bytes;
};

std::span<const EmbeddedFile> migrations();
std::span<const EmbeddedFile> assets();

}  // namespace bb::embedded
