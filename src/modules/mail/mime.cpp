#include "modules/mail/mime.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <ctime>

namespace bb::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";

bool
printable_ascii(std::string_view s)
{
    for (unsigned char c : s) {
        if (c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

std::string
base64(std::string_view bytes)
{
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

// Cuts UTF-8 text into pieces of at most `max` bytes without splitting a character.
std::vector<std::string_view>
utf8_chunks(std::string_view text, std::size_t max)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        std::size_t n = std::min(max, text.size());
        while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) {
            --n;  // text[n] continues a character: end the piece before that character starts
        }
        out.push_back(text.substr(0, n));
        text.remove_prefix(n);
    }
    return out;
}

// A header field, folded before encoded words so no line passes 78 characters.
std::string
header(std::string_view name, std::string_view value)
{
    return fmt::format("{}: {}{}", name, value, kCrlf);
}

std::string
text_part(std::string_view content_type, std::string_view body)
{
    return fmt::format("Content-Type: {}; charset=UTF-8{}Content-Transfer-Encoding: quoted-printable{}{}{}{}",
                       content_type, kCrlf, kCrlf, kCrlf, quoted_printable(body), kCrlf);
}

// A file name for Content-Disposition: printable ASCII without quotes, or RFC 2231's UTF-8 form.
std::string
disposition(std::string_view filename)
{
    if (printable_ascii(filename) && filename.find('"') == std::string_view::npos &&
        filename.find('\\') == std::string_view::npos) {
        return fmt::format("attachment; filename=\"{}\"", filename);
    }
    std::string encoded;
    for (unsigned char c : filename) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            encoded += static_cast<char>(c);
        } else {
            encoded += fmt::format("%{:02X}", c);
        }
    }
    return "attachment; filename*=UTF-8''" + encoded;
}

}  // namespace

std::string
quoted_printable(std::string_view text)
{
    // Line breaks become CRLF; every other byte outside printable ASCII (and '=') is =XX; a space or
    // tab before a line break is encoded (trailing white space may be stripped in transit); lines
    // longer than 76 get a soft break ("=" at the end).
    std::string out;
    std::size_t line = 0;
    auto put = [&](std::string_view piece) {
        if (line + piece.size() > 75) {
            out += "=";
            out += kCrlf;
            line = 0;
        }
        out += piece;
        line += piece.size();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;  // the \n that follows writes the break
        }
        if (c == '\n') {
            out += kCrlf;
            line = 0;
            continue;
        }
        const bool before_break = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
        const bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !before_break);
        // A dot opening a line is left to the SMTP client's dot-stuffing, which handles it.
        put(plain ? std::string(1, static_cast<char>(c)) : fmt::format("={:02X}", c));
    }
    return out;
}

std::string
base64_lines(std::string_view bytes)
{
    const std::string all = base64(bytes);
    std::string out;
    out.reserve(all.size() + all.size() / 76 * 2 + 2);
    for (std::size_t i = 0; i < all.size(); i += 76) {
        out.append(all, i, 76).append(kCrlf);
    }
    return out;
}

std::string
encode_header_text(std::string_view text)
{
    if (printable_ascii(text)) {
        return std::string(text);
    }
    // Each encoded word stays within 75 characters: 45 bytes of UTF-8 make 60 of base64.
    std::string out;
    for (auto piece : utf8_chunks(text, 45)) {
        if (!out.empty()) {
            out += "\r\n ";  // folded: the white space between encoded words is not part of the text
        }
        out += "=?UTF-8?B?" + base64(piece) + "?=";
    }
    return out;
}

std::string
rfc5322_date(std::int64_t unix_ms)
{
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string
address_of(std::string_view mailbox)
{
    const auto open = mailbox.rfind('<');
    const auto close = mailbox.rfind('>');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
        return std::string(mailbox.substr(open + 1, close - open - 1));
    }
    return std::string(mailbox);
}

std::string
compose(const MimeMessage& m)
{
    // The display name of From may carry UTF-8 too.
    std::string from = m.from;
    if (const auto open = from.rfind('<'); open != std::string::npos && open > 0) {
        std::string name = from.substr(0, open);
        while (!name.empty() && name.back() == ' ') {
            name.pop_back();
        }
        from = encode_header_text(name) + " <" + address_of(m.from) + ">";
    }
    // Boundaries may not hold '@': they take the id's local part ("=_" never occurs in
    // quoted-printable or base64 text, so no body line can look like one).
    const std::string local = m.message_id.substr(0, m.message_id.find('@'));
    const std::string alt_boundary = "=_alt_" + local;
    const std::string mixed_boundary = "=_mixed_" + local;

    std::string out;
    out += header("From", from);
    out += header("To", m.to);
    out += header("Subject", encode_header_text(m.subject));
    out += header("Date", rfc5322_date(m.date_ms));
    out += header("Message-ID", "<" + m.message_id + ">");
    out += header("MIME-Version", "1.0");

    std::string alternative;
    alternative += fmt::format("--{}{}{}", alt_boundary, kCrlf, text_part("text/plain", m.text));
    alternative += fmt::format("--{}{}{}", alt_boundary, kCrlf, text_part("text/html", m.html));
    alternative += fmt::format("--{}--{}", alt_boundary, kCrlf);
    const std::string alt_type = fmt::format("multipart/alternative; boundary=\"{}\"", alt_boundary);

    if (m.attachments.empty()) {
        out += header("Content-Type", alt_type);
        out += kCrlf;
        out += alternative;
        return out;
    }
    out += header("Content-Type", fmt::format("multipart/mixed; boundary=\"{}\"", mixed_boundary));
    out += kCrlf;
    out += fmt::format("--{}{}Content-Type: {}{}{}{}", mixed_boundary, kCrlf, alt_type, kCrlf, kCrlf, alternative);
    for (const auto& a : m.attachments) {
        out += fmt::format("--{}{}", mixed_boundary, kCrlf);
        out += header("Content-Type", a.content_type);
        out += header("Content-Transfer-Encoding", "base64");
        out += header("Content-Disposition", disposition(a.filename));
        out += kCrlf;
        out += base64_lines(a.bytes);
    }
    out += fmt::format("--{}--{}", mixed_boundary, kCrlf);
    return out;
}

}  // namespace bb::mail
