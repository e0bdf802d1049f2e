#include "http/router.hpp"

#include <boost/json/parse.hpp>

#include <map>
#include <stdexcept>

namespace bb::http {
namespace {

std::vector<std::string_view>
split_path(std::string_view path)
{
    std::vector<std::string_view> out;
    std::size_t start = 1;  // paths start with '/'
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool
is_param(std::string_view segment)
{
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

struct Router::Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
    std::unique_ptr<Node> param;
    std::string param_name;
    std::map<std::string, const Route*> methods;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void
Router::add(Route route)
{
    if (route.path.empty() || route.path.front() != '/') {
        throw std::logic_error("route path must start with '/': " + route.path);
    }
    Node* node = root_.get();
    for (auto segment : split_path(route.path)) {
        if (is_param(segment)) {
            std::string name(segment.substr(1, segment.size() - 2));
            if (!node->param) {
                node->param = std::make_unique<Node>();
                node->param_name = name;
            } else if (node->param_name != name) {
                throw std::logic_error("conflicting parameter names at " + route.path);
            }
            node = node->param.get();
        } else {
            auto& child = node->literals[std::string(segment)];
            if (!child) {
                child = std::make_unique<Node>();
            }
            node = child.get();
        }
    }
    if (node->methods.contains(route.method)) {
        throw std::logic_error("route registered twice: " + route.method + " " + route.path);
    }
    routes_.push_back(std::make_unique<Route>(std::move(route)));
    node->methods[routes_.back()->method] = routes_.back().get();
}

void
Router::schema(const std::string& name, std::string_view json)
{
    schemas_[name] = boost::json::parse(json);
}

Router::Match
Router::match(std::string_view method, std::string_view path) const
{
    Match out;
    if (path.empty() || path.front() != '/') {
        return out;
    }
    const auto segments = split_path(path);
    std::vector<std::pair<std::string, std::string>> params;
    // Depth-first: a literal segment is tried before a parameter, so /users/profile beats /users/{id}.
    const Node* found = nullptr;
    auto walk = [&](auto& self, const Node* node, std::size_t i) -> bool {
        if (i == segments.size()) {
            if (node->methods.empty()) {
                return false;
            }
            found = node;
            return true;
        }
        if (auto it = node->literals.find(segments[i]); it != node->literals.end()) {
            if (self(self, it->second.get(), i + 1)) {
                return true;
            }
        }
        if (node->param && !segments[i].empty()) {
            params.emplace_back(node->param_name, std::string(segments[i]));
            if (self(self, node->param.get(), i + 1)) {
                return true;
            }
            params.pop_back();
        }
        return false;
    };
    if (!walk(walk, root_.get(), 0)) {
        return out;
    }
    auto it = found->methods.find(std::string(method));
    if (it == found->methods.end() && method == "HEAD") {
        it = found->methods.find("GET");
    }
    if (it != found->methods.end()) {
        out.route = it->second;
        out.params = std::move(params);
        return out;
    }
    for (const auto& [m, route] : found->methods) {
        out.allow += (out.allow.empty() ? "" : ", ") + m;
    }
    return out;
}

boost::json::object
Router::openapi(std::string_view version) const
{
    boost::json::object paths;
    for (const auto& route : routes_) {
        if (route->doc.summary.empty()) {
            continue;  // undocumented on purpose (assets, docs page)
        }
        boost::json::object op;
        op["summary"] = route->doc.summary;
        if (!route->doc.tag.empty()) {
            op["tags"] = boost::json::array{boost::json::value(route->doc.tag)};
        }
        std::string operation_id = route->method;
        for (char c : route->path) {
            const bool word = std::isalnum(static_cast<unsigned char>(c)) != 0;
            if (word) {
                operation_id.push_back(c);
            } else if (operation_id.back() != '_') {
                operation_id.push_back('_');
            }
        }
        while (operation_id.back() == '_') {
            operation_id.pop_back();
        }
        op["operationId"] = operation_id;  // e.g. GET_api_users_user_id
        boost::json::array parameters;
        for (auto segment : split_path(route->path)) {
            if (is_param(segment)) {
                parameters.push_back({{"name", segment.substr(1, segment.size() - 2)},
                                      {"in", "path"},
                                      {"required", true},
                                      {"schema", {{"type", "string"}}}});
            }
        }
        for (const auto& q : route->doc.query) {
            parameters.push_back({{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
        }
        if (!parameters.empty()) {
            op["parameters"] = std::move(parameters);
        }
        if (!route->doc.form.empty()) {
            op["requestBody"] = {
                {"required", true},
                {"content",
                 {{"multipart/form-data", {{"schema", {{"$ref", "#/components/schemas/" + route->doc.form}}}}}}}};
        }
        if (!route->doc.request.empty()) {
            op["requestBody"] = {
                {"required", true},
                {"content",
                 {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + route->doc.request}}}}}}}};
        }
        boost::json::object responses;
        for (const auto& [status, schema] : route->doc.responses) {
            boost::json::object response{{"description", status < 300 ? "success" : "see the error envelope"}};
            if (!schema.empty()) {
                // "text" and "pdf" name a body that is not JSON.
                const std::string type = schema == "text" ? "text/plain" : schema == "pdf" ? "application/pdf" : "application/json";
                boost::json::value s = schema == "text"  ? boost::json::value{{"type", "string"}}
                                       : schema == "pdf" ? boost::json::value{{"type", "string"}, {"format", "binary"}}
                                                         : boost::json::value{{"$ref", "#/components/schemas/" + schema}};
                response["content"] = {{type, {{"schema", s}}}};
            }
            responses[std::to_string(status)] = std::move(response);
        }
        // Every operation can fail in the envelope's shape.
        boost::json::object error_response{
            {"description", "an error; see error.code"},
            {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
        if (route->auth == Auth::kRequired) {
            op["security"] = boost::json::array{boost::json::object{{"bearer", boost::json::array{}}}};
            responses["401"] = error_response;
        } else {
            op["security"] = boost::json::array{};  // public: no token needed
        }
        responses["4XX"] = error_response;
        op["responses"] = std::move(responses);
        std::string method = route->method;
        for (auto& c : method) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        auto& item = paths[route->path];
        if (!item.is_object()) {
            item = boost::json::object{};
        }
        item.as_object()[method] = std::move(op);
    }

    boost::json::object schemas;
    for (const auto& [name, schema] : schemas_) {
        schemas[name] = schema;
    }
    schemas["Error"] = boost::json::parse(R"({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "snake_case error code"},
            "message": {"type": "string"},
            "details": {"type": "object", "description": "validation problems are in details.fields"}}}}})");
    return {
        {"openapi", "3.1.0"},
        {"info",
         {{"title", "Backbeat API"},
          {"version", version},
          {"description", "Beats marketplace and music streaming: one binary, JSON over HTTP and WebSocket."},
          {"license", {{"name", "Proprietary"}, {"identifier", "LicenseRef-Proprietary"}}}}},
        {"servers", boost::json::array{boost::json::object{{"url", "/"}}}},
        {"paths", std::move(paths)},
        {"components",
         {{"schemas", std::move(schemas)},
          {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
    };
}

}  // namespace bb::http
