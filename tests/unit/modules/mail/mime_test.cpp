#include "modules/mail/mime.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using namespace bb::mail;

namespace {

bool
lines_fit(const std::string& message, std::size_t max)
{
    std::size_t start = 0;
    while (start < message.size()) {
        const auto end = message.find("\r\n", start);
        const auto len = (end == std::string::npos ? message.size() : end) - start;
        if (len > max) {
            return false;
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 2;
    }
    return true;
}

}  // namespace

TEST_SUITE("modules/mail/mime") {

TEST_CASE("quoted-printable: ASCII stays, UTF-8 and '=' are escaped, long lines get soft breaks") {
    CHECK(quoted_printable("Hello, world") == "Hello, world");
    CHECK(quoted_printable("a=b") == "a=3Db");
    CHECK(quoted_printable("Zo\xC3\xAB") == "Zo=C3=AB");
    CHECK(quoted_printable("line one\nline two") == "line one\r\nline two");
    CHECK(quoted_printable("crlf\r\nkept") == "crlf\r\nkept");
    CHECK(quoted_printable("trailing space \nx") == "trailing space=20\r\nx");
    CHECK(quoted_printable("end with tab\t") == "end with tab=09");
    const std::string long_line(200, 'x');
    const auto encoded = quoted_printable(long_line);
    CHECK(lines_fit(encoded, 76));
    std::string decoded;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded.compare(i, 3, "=\r\n") == 0) {
            i += 2;
            continue;
        }
        decoded += encoded[i];
    }
    CHECK(decoded == long_line);
}

TEST_CASE("headers: ASCII as is, UTF-8 as encoded words of at most 75 characters, never a split character") {
    CHECK(encode_header_text("Your receipt") == "Your receipt");
    CHECK(encode_header_text("Zo\xC3\xAB") == "=?UTF-8?B?Wm/Dqw==?=");
    std::string long_utf8;
    for (int i = 0; i < 40; ++i) {
        long_utf8 += "\xC3\xAB";  // 80 bytes of two-byte characters
    }
    const auto words = encode_header_text(long_utf8);
    CHECK(words.find("\r\n ") != std::string::npos);
    CHECK(lines_fit(words, 76));
    CHECK(encode_header_text("line\nbreak").starts_with("=?UTF-8?B?"));  // a control character is never raw
}

TEST_CASE("dates and addresses") {
    CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    CHECK(rfc5322_date(1764860400123) == "Thu, 04 Dec 2025 15:00:00 +0000");
    CHECK(address_of("Backbeat <no-reply@example.com>") == "no-reply@example.com");
    CHECK(address_of("plain@example.com") == "plain@example.com");
}

TEST_CASE("a message: headers, alternative parts, attachments in base64, CRLF lines under 78") {
    MimeMessage m{.from = "Backbeat St\xC3\xB6re <no-reply@example.com>",
                  .to = "buyer@example.com",
                  .subject = "Receipt for Zo\xC3\xAB",
                  .text = "Thanks!\n",
                  .html = "<p>Thanks!</p>",
                  .message_id = "0190-abc@example.com",
                  .date_ms = 0,
                  .attachments = {{"agreement.pdf", "application/pdf", std::string(300, '\x01')}}};
    const auto out = compose(m);
    CHECK(out.find("From: =?UTF-8?B?") == 0);
    CHECK(out.find(" <no-reply@example.com>\r\n") != std::string::npos);
    CHECK(out.find("To: buyer@example.com\r\n") != std::string::npos);
    CHECK(out.find("Subject: =?UTF-8?B?") != std::string::npos);
    CHECK(out.find("Message-ID: <0190-abc@example.com>\r\n") != std::string::npos);
    CHECK(out.find("Content-Type: multipart/mixed; boundary=\"=_mixed_0190-abc\"") != std::string::npos);
    CHECK(out.find("Content-Type: multipart/alternative; boundary=\"=_alt_0190-abc\"") != std::string::npos);
    CHECK(out.find("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable") !=
          std::string::npos);
    CHECK(out.find("Content-Type: text/html; charset=UTF-8") != std::string::npos);
    CHECK(out.find("Content-Disposition: attachment; filename=\"agreement.pdf\"") != std::string::npos);
    CHECK(out.find("AQEBAQEBAQEB") != std::string::npos);
    CHECK(out.find("--=_mixed_0190-abc--\r\n") != std::string::npos);
    CHECK(out.find("\n") == out.find("\r\n") + 1);  // every line ends in CRLF
    std::size_t bare = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) {
            ++bare;
        }
    }
    CHECK(bare == 0);
    CHECK(lines_fit(out, 78));

    m.attachments.clear();
    const auto plain = compose(m);
    CHECK(plain.find("multipart/mixed") == std::string::npos);
    CHECK(plain.find("Content-Type: multipart/alternative") != std::string::npos);
}

TEST_CASE("base64 lines are 76 characters") {
    const auto b = base64_lines(std::string(100, 'a'));
    CHECK(b.substr(0, 76).find("\r") == std::string::npos);
    CHECK(b.substr(76, 2) == "\r\n");
    CHECK(b.ends_with("\r\n"));
}

}
