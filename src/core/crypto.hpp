#pragma once
// Small cryptographic helpers over libsodium and OpenSSL.
#include <string>
#include <string_view>

namespace bb::core::crypto {

// Must run once before any other call (libsodium's sodium_init).
void init();

std::string random_bytes(std::size_t n);
std::string hex(std::string_view bytes);
std::string base64url(std::string_view bytes);  // no padding
bool base64url_decode(std::string_view text, std::string& out);
std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::string& path);  // streamed; "" when unreadable
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace bb::core::crypto
