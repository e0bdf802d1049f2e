#pragma once
// One error type for the whole program. Expected failures travel as Result<T>; one place in the
// HTTP layer turns an Error into the API's envelope {"error": {code, message, details}}.
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>

namespace bb::core {

enum class Code {
    kBadRequest,        // 400 malformed
    kUnauthorized,      // 401
    kPaymentRequired,   // 402
    kForbidden,         // 403
    kNotFound,          // 404
    kMethodNotAllowed,  // 405
    kConflict,          // 409
    kGone,              // 410 (a share link that expired or was revoked)
    kTooLarge,          // 413
    kUnsupportedMedia,  // 415
    kRangeNotSatisfiable,  // 416
    kInvalidInput,      // 422
    kRateLimited,       // 429
    kHeaderTooLarge,    // 431
    kInternal,          // 500
    kUnavailable,       // 503
    kInsufficientStorage,  // 507: the disk is full
};

struct Error {
    Code code = Code::kInternal;
    std::string slug;     // the API's snake_case code, e.g. "username_taken"
    std::string message;  // a human sentence
    boost::json::object details;
};

int http_status(Code code);

template <class T>
using Result = boost::system::result<T, Error>;

// A failed Result's value() is a bug at the call site; it surfaces as this exception.
struct ErrorException : std::exception {
    Error error;
    explicit ErrorException(Error e) : error(std::move(e)) {}
    const char* what() const noexcept override { return error.message.c_str(); }
};
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

// Constructors for the common cases, so call sites read as what went wrong.
Error bad_request(std::string slug, std::string message);
Error unauthorized(std::string message = "a valid bearer token is required");
Error forbidden(std::string message = "you are not allowed to do this");
Error not_found(std::string what);
Error conflict(std::string slug, std::string message);
Error invalid_field(std::string field, std::string problem);
Error invalid_fields(boost::json::object fields);
Error rate_limited(int retry_after_s);
Error unavailable(std::string message, int retry_after_s = 1);
Error internal(std::string message = "internal error");
Error insufficient_storage(int retry_after_s = 60);

}  // namespace bb::core
