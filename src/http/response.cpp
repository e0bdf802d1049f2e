#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace bb::http {

Response
Response::json(int status, const boost::json::value& value)
{
    Response r;
    r.status = status;
    r.body = boost::json::serialize(value);
    return r;
}

Response
Response::text(int status, std::string body, std::string content_type)
{
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

Response
Response::error(const core::Error& error)
{
    boost::json::object inner;
    inner["code"] = error.slug.empty() ? "error" : error.slug;
    inner["message"] = error.message;
    inner["details"] = error.details;
    boost::json::object envelope;
    envelope["error"] = std::move(inner);
    Response r = json(core::http_status(error.code), envelope);
    // Any answer that says when to try again (a checkout still in flight: 409) says it in the header too.
    const auto* retry = error.details.if_contains("retry_after_s");
    if (retry != nullptr && retry->is_int64()) {
        r.with_header("Retry-After", std::to_string(retry->as_int64()));
    } else if (error.code == core::Code::kRateLimited || error.code == core::Code::kUnavailable) {
        r.with_header("Retry-After", "1");
    }
    return r;
}

Response&
Response::with_header(std::string name, std::string value)
{
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

Reply
json_reply(int status, core::Result<boost::json::object> answer)
{
    if (!answer) {
        return answer.error();
    }
    return Response::json(status, *answer);
}

}  // namespace bb::http
