#pragma once
// Builds an RFC 5322 / MIME message: multipart/alternative (plain text and HTML, UTF-8,
// quoted-printable) inside multipart/mixed when there are attachments (base64). Lines end in
// CRLF and stay under 78 characters; non-ASCII header text is an RFC 2047 encoded word.
// The whole message is built once, when the mail is queued, so every retry sends the same bytes.
#include "modules/mail/mail.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bb::mail {

struct MimeAttachment {
    std::string filename;
    std::string content_type;
    std::string bytes;
};

struct MimeMessage {
    std::string from;          // "Backbeat <no-reply@example.com>" or a bare address
    std::string to;
    std::string subject;
    std::string text;
    std::string html;
    std::string message_id;    // without <>: "<id>@backbeat"
    std::int64_t date_ms = 0;
    std::vector<MimeAttachment> attachments;
};

std::string compose(const MimeMessage& message);

// Pieces, exposed for the tests.
std::string quoted_printable(std::string_view text);
std::string base64_lines(std::string_view bytes);      // 76-character lines, CRLF
std::string encode_header_text(std::string_view text);  // as is when printable ASCII, else =?UTF-8?B?...?=
std::string rfc5322_date(std::int64_t unix_ms);         // "Thu, 04 Dec 2025 15:00:00 +0000"
// The address inside "Name <addr>", or the whole text when it has no angle brackets.
std::string address_of(std::string_view mailbox);

}  // namespace bb::mail
