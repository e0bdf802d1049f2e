#include "modules/mail/smtp.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace bb::mail {
namespace {

struct Upload {
    const std::string& data;
    std::size_t sent = 0;
};

std::size_t
read_message(char* buffer, std::size_t size, std::size_t count, void* userdata)
{
    auto* upload = static_cast<Upload*>(userdata);
    const std::size_t n = std::min(size * count, upload->data.size() - upload->sent);
    std::memcpy(buffer, upload->data.data() + upload->sent, n);
    upload->sent += n;
    return n;
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

void
smtp_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

SmtpOutcome
smtp_send(const SmtpSettings& settings, const std::string& from, const std::string& to, const std::string& message)
{
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
        return {SmtpOutcome::Kind::kTransient, "libcurl could not start a transfer"};
    }
    CURL* c = curl.get();
    // The path of an SMTP URL is the domain we greet with (EHLO).
    std::string url = settings.url;
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    url += "/" + settings.helo_domain;
    std::unique_ptr<curl_slist, SlistDeleter> recipients(curl_slist_append(nullptr, ("<" + to + ">").c_str()));
    const std::string mail_from = "<" + from + ">";
    Upload upload{message};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we run on many threads
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.timeout.count()));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_USE_SSL, settings.starttls || settings.url.starts_with("smtps://")
                                             ? static_cast<long>(CURLUSESSL_ALL)
                                             : static_cast<long>(CURLUSESSL_NONE));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings.ca_file.empty()) {
        curl_easy_setopt(c, CURLOPT_CAINFO, settings.ca_file.c_str());
    }
    if (!settings.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, settings.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, settings.password.c_str());
    }

    const CURLcode code = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    if (code == CURLE_OK) {
        return {SmtpOutcome::Kind::kSent, fmt::format("accepted ({})", reply)};
    }
    const std::string why = fmt::format("{} (SMTP reply {}): {}", curl_easy_strerror(code), reply,
                                        error_buffer[0] != '\0' ? error_buffer : "no detail");
    // libcurl answers a 5xx to MAIL FROM, RCPT TO or DATA with CURLE_SEND_ERROR: the server's final
    // word on this mail. Anything else (no connection, a timeout, TLS, a refused login, a 4xx, a
    // server that greets with a refusal) may pass once things are mended, so it is tried again.
    if (code == CURLE_SEND_ERROR && reply >= 500 && reply < 600) {
        return {SmtpOutcome::Kind::kPermanent, why};
    }
    return {SmtpOutcome::Kind::kTransient, why};
}

}  // namespace bb::mail
