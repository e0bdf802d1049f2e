#include "core/error.hpp"

namespace bb::core {

int
http_status(Code code)
{
    switch (code) {
        case Code::kBadRequest: return 400;
        case Code::kUnauthorized: return 401;
        case Code::kPaymentRequired: return 402;
        case Code::kForbidden: return 403;
        case Code::kNotFound: return 404;
        case Code::kMethodNotAllowed: return 405;
        case Code::kConflict: return 409;
        case Code::kGone: return 410;
        case Code::kTooLarge: return 413;
        case Code::kUnsupportedMedia: return 415;
        case Code::kRangeNotSatisfiable: return 416;
        case Code::kInvalidInput: return 422;
        case Code::kRateLimited: return 429;
        case Code::kHeaderTooLarge: return 431;
        case Code::kInternal: return 500;
        case Code::kUnavailable: return 503;
        case Code::kInsufficientStorage: return 507;
    }
    return 500;
}

void
throw_exception_from_error(const Error& e, const boost::source_location&)
{
    throw ErrorException(e);
}

Error
bad_request(std::string slug, std::string message)
{
    return {Code::kBadRequest, std::move(slug), std::move(message), {}};
}

Error
unauthorized(std::string message)
{
    return {Code::kUnauthorized, "unauthorized", std::move(message), {}};
}

Error
forbidden(std::string message)
{
    return {Code::kForbidden, "forbidden", std::move(message), {}};
}

Error
not_found(std::string what)
{
    return {Code::kNotFound, "not_found", what + " not found", {}};
}

Error
conflict(std::string slug, std::string message)
{
    return {Code::kConflict, std::move(slug), std::move(message), {}};
}

Error
invalid_field(std::string field, std::string problem)
{
    boost::json::object fields;
    fields[field] = problem;
    return invalid_fields(std::move(fields));
}

Error
invalid_fields(boost::json::object fields)
{
    std::string message = "invalid input:";
    bool first = true;
    for (const auto& [name, problem] : fields) {
        message += first ? " " : "; ";
        message += std::string(name) + " " + std::string(problem.as_string());
        first = false;
    }
    boost::json::object details;
    details["fields"] = std::move(fields);
    return {Code::kInvalidInput, "validation_failed", std::move(message), std::move(details)};
}

Error
rate_limited(int retry_after_s)
{
    boost::json::object details;
    details["retry_after_s"] = retry_after_s;
    return {Code::kRateLimited, "rate_limited", "too many requests; try again later", std::move(details)};
}

Error
unavailable(std::string message, int retry_after_s)
{
    boost::json::object details;
    details["retry_after_s"] = retry_after_s;
    return {Code::kUnavailable, "unavailable", std::move(message), std::move(details)};
}

Error
internal(std::string message)
{
    return {Code::kInternal, "internal", std::move(message), {}};
}

Error
insufficient_storage(int retry_after_s)
{
    boost::json::object details;
    details["retry_after_s"] = retry_after_s;
    return {Code::kInsufficientStorage, "insufficient_storage",
            "the server is out of disk space; nothing was saved, try again later", std::move(details)};
}

}  // namespace bb::core
