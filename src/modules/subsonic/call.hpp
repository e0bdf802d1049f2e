#pragma once
// One Subsonic call as the handlers see it: its parameters (query string and, for OpenSubsonic's
// formPost, the form body), who is calling, and what a handler answers.
#include "http/request.hpp"
#include "http/response.hpp"
#include "modules/subsonic/response.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb::subsonic {

class Params {
public:
    static Params of(const http::Request& req);

    std::optional<std::string> get(std::string_view name) const;  // the first value
    std::vector<std::string> all(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }

private:
    std::vector<std::pair<std::string, std::string>> values_;
};

struct Caller {
    std::string user_id;
    std::string username;
    std::string role;
    std::string player;  // the client's name (c)
    bool admin() const { return role == "admin"; }
};

// A call's answer: what goes inside the subsonic-response (nothing: an empty ok), or bytes
// (audio, images).
struct Answer {
    Element root{"subsonic-response"};
    std::optional<http::Response> media;

    static Answer ok() { return {}; }
    static Answer of(Element body)
    {
        Answer a;
        a.root.child(std::move(body));
        return a;
    }
    static Answer file(http::Response response) { return {Element("subsonic-response"), std::move(response)}; }
};

using Outcome = boost::system::result<Answer, Fault>;
template <class T>
using Checked = boost::system::result<T, Fault>;

[[noreturn]] void throw_exception_from_error(const Fault& fault, const boost::source_location& loc);

// The specification's error codes.
Fault missing(std::string_view parameter);          // 10
Fault invalid(std::string_view parameter, std::string_view problem);  // 0, naming the parameter
Fault not_found(std::string_view what);             // 70
Fault not_allowed(std::string message);             // 50

// Typed parameters: absent gives the fallback; present but wrong is a fault naming it.
Checked<std::string> required(const Params& params, std::string_view name);
Checked<std::int64_t> integer(const Params& params, std::string_view name, std::int64_t fallback, std::int64_t min,
                              std::int64_t max);
Checked<std::optional<std::int64_t>> optional_integer(const Params& params, std::string_view name, std::int64_t min,
                                                      std::int64_t max);
Checked<std::optional<bool>> boolean(const Params& params, std::string_view name);

}  // namespace bb::subsonic
