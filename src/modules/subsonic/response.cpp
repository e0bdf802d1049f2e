#include "modules/subsonic/response.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace bb::subsonic {
namespace {

constexpr const char* kNamespace = "http://subsonic.org/restapi";

std::string
scalar_text(const Scalar& v)
{
    struct Visit {
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(std::int64_t n) const { return std::to_string(n); }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(double d) const { return fmt::format("{:.2f}", d); }
    };
    return std::visit(Visit{}, v);
}

boost::json::value
scalar_json(const Scalar& v)
{
    struct Visit {
        boost::json::value operator()(const std::string& s) const { return boost::json::value(s); }
        boost::json::value operator()(std::int64_t n) const { return boost::json::value(n); }
        boost::json::value operator()(bool b) const { return boost::json::value(b); }
        boost::json::value operator()(double d) const { return boost::json::value(d); }
    };
    return std::visit(Visit{}, v);
}

// XML 1.0 text: the five entities, and no control characters but tab and newlines.
void
escape_into(std::string& out, const std::string& text)
{
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t': out += "&#9;"; break;
        case '\n': out += "&#10;"; break;
        case '\r': out += "&#13;"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20) {
                out += c;
            }
        }
    }
}

void
xml_into(std::string& out, const Element& e)
{
    out += '<';
    out += e.name();
    for (const auto& a : e.attributes()) {
        out += ' ';
        out += a.name;
        out += "=\"";
        escape_into(out, scalar_text(a.value));
        out += '"';
    }
    if (!e.text() && e.children().empty()) {
        out += "/>";
        return;
    }
    out += '>';
    if (e.text()) {
        escape_into(out, scalar_text(*e.text()));
    }
    for (const auto& child : e.children()) {
        xml_into(out, child);
    }
    out += "</";
    out += e.name();
    out += '>';
}

boost::json::value json_of(const Element& e);

// An element of a list: a bare value when it is only text (an extension's versions: [1]).
boost::json::value
json_item(const Element& e)
{
    if (e.attributes().empty() && e.children().empty() && e.text()) {
        return scalar_json(*e.text());
    }
    return json_of(e);
}

boost::json::value
json_of(const Element& e)
{
    boost::json::object out;
    for (const auto& a : e.attributes()) {
        out[a.name] = scalar_json(a.value);
    }
    if (e.text()) {
        out["value"] = scalar_json(*e.text());
    }
    for (const auto& name : e.lists()) {
        out[name] = boost::json::array();
    }
    for (std::size_t i = 0; i < e.children().size(); ++i) {
        const Element& child = e.children()[i];
        if (e.repeated(i)) {
            auto& slot = out[child.name()];
            if (!slot.is_array()) {
                slot = boost::json::array();
            }
            slot.as_array().push_back(json_item(child));
        } else {
            out[child.name()] = json_of(child);
        }
    }
    return out;
}

Rendered
render(bool ok, const Element& root, Format format, const std::string& callback)
{
    if (format == Format::kXml) {
        std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        xml += fmt::format("<subsonic-response xmlns=\"{}\" status=\"{}\" version=\"{}\" type=\"{}\" "
                           "serverVersion=\"{}\" openSubsonic=\"true\"",
                           kNamespace, ok ? "ok" : "failed", kApiVersion, kServerType, BACKBEAT_VERSION);
        if (root.children().empty()) {
            xml += "/>\n";
        } else {
            xml += '>';
            for (const auto& child : root.children()) {
                xml_into(xml, child);
            }
            xml += "</subsonic-response>\n";
        }
        return {"text/xml; charset=utf-8", std::move(xml)};
    }
    boost::json::object inner{{"status", ok ? "ok" : "failed"},
                              {"version", kApiVersion},
                              {"type", kServerType},
                              {"serverVersion", BACKBEAT_VERSION},
                              {"openSubsonic", true}};
    const boost::json::value members = json_of(root);
    for (const auto& [key, value] : members.as_object()) {
        inner[key] = value;
    }
    std::string json = boost::json::serialize(boost::json::object{{"subsonic-response", std::move(inner)}});
    if (format == Format::kJsonp) {
        return {"application/javascript; charset=utf-8", callback + "(" + json + ");"};
    }
    return {"application/json; charset=utf-8", std::move(json)};
}

}  // namespace

Element&
Element::put(std::string attribute, Scalar value)
{
    attributes_.push_back({std::move(attribute), std::move(value)});
    return *this;
}

Element&
Element::value(Scalar text)
{
    text_ = std::move(text);
    return *this;
}

Element&
Element::child(Element element)
{
    children_.push_back(std::move(element));
    repeated_.push_back(false);
    return *this;
}

Element&
Element::item(Element element)
{
    children_.push_back(std::move(element));
    repeated_.push_back(true);
    return *this;
}

Element&
Element::list(std::string name)
{
    if (std::find(lists_.begin(), lists_.end(), name) == lists_.end()) {
        lists_.push_back(std::move(name));
    }
    return *this;
}

Rendered
render_ok(const Element& root, Format format, const std::string& callback)
{
    return render(true, root, format, callback);
}

Rendered
render_fault(const Fault& fault, Format format, const std::string& callback)
{
    Element root("subsonic-response");
    root.child(Element("error").set("code", fault.code).set("message", fault.message));
    return render(false, root, format, callback);
}

}  // namespace bb::subsonic
