#pragma once
// A Subsonic answer as a small tree, rendered as the specification's XML (elements and attributes,
// checked against subsonic-rest-api.xsd in the tests) or as its JSON mapping: attributes become
// typed members, an element's text becomes "value", and the elements the XSD lets repeat become
// arrays even when there is one or none.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bb::subsonic {

using Scalar = std::variant<std::string, std::int64_t, bool, double>;

class Element {
public:
    explicit Element(std::string name) : name_(std::move(name)) {}

    const std::string& name() const { return name_; }

    Element& set(std::string attribute, std::string value) { return put(std::move(attribute), std::move(value)); }
    Element& set(std::string attribute, const char* value) { return put(std::move(attribute), std::string(value)); }
    Element& set(std::string attribute, std::int64_t value) { return put(std::move(attribute), value); }
    Element& set(std::string attribute, int value) { return put(std::move(attribute), std::int64_t{value}); }
    Element& set(std::string attribute, bool value) { return put(std::move(attribute), value); }
    Element& set(std::string attribute, double value) { return put(std::move(attribute), value); }
    template <class T>
    Element& set_if(std::string attribute, const std::optional<T>& value)
    {
        return value ? set(std::move(attribute), *value) : *this;
    }
    Element& value(Scalar text);      // mixed content (a genre's name, an extension's version)
    Element& child(Element element);  // at most one of its name: a JSON object
    Element& item(Element element);   // one of a repeated element: a JSON array
    Element& list(std::string name);  // a repeated element that is an array in JSON even when empty

    struct Attribute {
        std::string name;
        Scalar value;
    };
    const std::vector<Attribute>& attributes() const { return attributes_; }
    const std::optional<Scalar>& text() const { return text_; }
    const std::vector<Element>& children() const { return children_; }
    bool repeated(std::size_t index) const { return repeated_[index]; }
    const std::vector<std::string>& lists() const { return lists_; }

private:
    Element& put(std::string attribute, Scalar value);

    std::string name_;
    std::vector<Attribute> attributes_;
    std::optional<Scalar> text_;
    std::vector<Element> children_;
    std::vector<bool> repeated_;
    std::vector<std::string> lists_;
};

enum class Format { kXml, kJson, kJsonp };

struct Fault {
    Fault() = default;
    Fault(int code, std::string message, int http_status = 200, int retry_after_s = 0)
        : code(code), message(std::move(message)), http_status(http_status), retry_after_s(retry_after_s)
    {
    }

    int code = 0;  // the specification's: 0 generic, 10 missing parameter, 40 wrong credentials, 70 not found...
    std::string message;
    int http_status = 200;  // the specification answers 200; a rate limit answers 429
    int retry_after_s = 0;
};

// The whole subsonic-response: ok with what `root` holds (its children and lists go inside the
// envelope; its own name is not used), or failed with a fault.
struct Rendered {
    std::string content_type;
    std::string body;
};
Rendered render_ok(const Element& root, Format format, const std::string& callback);
Rendered render_fault(const Fault& fault, Format format, const std::string& callback);

// The envelope's fixed parts, shared by both renderings.
inline constexpr const char* kApiVersion = "1.16.1";
inline constexpr const char* kServerType = "backbeat";

}  // namespace bb::subsonic
