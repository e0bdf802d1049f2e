#include "modules/mail/templates.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <vector>

namespace bb::mail {
namespace {

struct Template {
    std::string_view name;
    std::string_view subject;
    std::string_view text;
    std::string_view html;  // the inside of the layout's <body>
};

// Each mail says what happened, what to do next, and why the reader got it.
constexpr std::array kTemplates = {
    Template{"verify_email", "Confirm your email address for Backbeat",
             "Hi {{username}},\n\nPlease confirm that this is your email address by opening this link:\n\n{{link}}\n\n"
             "The link works for {{hours}} hours. If you did not sign up for Backbeat, ignore this mail.\n",
             "<p>Hi {{username}},</p><p>Please confirm that this is your email address.</p>"
             "<p><a class=\"button\" href=\"{{link}}\">Confirm my email address</a></p>"
             "<p class=\"small\">The link works for {{hours}} hours. If you did not sign up for Backbeat, ignore this "
             "mail.</p>"},
    Template{"password_reset", "Reset your Backbeat password",
             "Hi {{username}},\n\nSomeone (we hope you) asked to reset the password of your Backbeat account. "
             "Choose a new one here:\n\n{{link}}\n\nThe link works once, for {{minutes}} minutes. If you did not ask, "
             "ignore this mail: your password stays as it is.\n",
             "<p>Hi {{username}},</p><p>Someone (we hope you) asked to reset the password of your Backbeat account.</p>"
             "<p><a class=\"button\" href=\"{{link}}\">Choose a new password</a></p>"
             "<p class=\"small\">The link works once, for {{minutes}} minutes. If you did not ask, ignore this mail: "
             "your password stays as it is.</p>"},
    Template{"receipt", "Your Backbeat receipt ({{total}})",
             "Hi {{username}},\n\nThank you for your purchase {{purchase_id}} on {{date}}.\n\n"
             "{{#items}}- {{title}} by {{artist}}, {{license}} license: {{price}}\n{{/items}}"
             "{{#discount}}Discounts: -{{discount}}\n{{/discount}}Total paid: {{total}}\n\n"
             "The license agreement for each beat is attached as a PDF; you can also download it from your "
             "library: {{link}}\n",
             "<p>Hi {{username}},</p><p>Thank you for your purchase <code>{{purchase_id}}</code> on {{date}}.</p>"
             "<table>{{#items}}<tr><td>{{title}} by {{artist}}</td><td>{{license}} license</td>"
             "<td class=\"num\">{{price}}</td></tr>{{/items}}"
             "{{#discount}}<tr><td colspan=\"2\">Discounts</td><td class=\"num\">-{{discount}}</td></tr>{{/discount}}"
             "<tr><th colspan=\"2\">Total paid</th><th class=\"num\">{{total}}</th></tr></table>"
             "<p>The license agreement for each beat is attached as a PDF; you can also download it from "
             "<a href=\"{{link}}\">your library</a>.</p>"},
    Template{"sale", "You sold a license: {{title}}",
             "Hi {{username}},\n\n{{buyer}} bought a {{license}} license for \"{{title}}\" ({{price}}).\n"
             "{{#share}}Your share: {{share}}.\n{{/share}}\nSee your sales and balance in your studio: {{link}}\n",
             "<p>Hi {{username}},</p><p>{{buyer}} bought a {{license}} license for <strong>{{title}}</strong> "
             "({{price}}).</p>{{#share}}<p>Your share: {{share}}.</p>{{/share}}"
             "<p><a class=\"button\" href=\"{{link}}\">Open my studio</a></p>"},
    Template{"offer", "{{headline}}",
             "Hi {{username}},\n\n{{headline}}\n\nBeat: {{title}}\nLicense: {{license}}\nAmount: {{amount}}\n"
             "{{#expires}}Valid until: {{expires}}\n{{/expires}}{{#note}}Message: {{note}}\n{{/note}}\n"
             "See the offer: {{link}}\n",
             "<p>Hi {{username}},</p><p><strong>{{headline}}</strong></p><table>"
             "<tr><td>Beat</td><td>{{title}}</td></tr><tr><td>License</td><td>{{license}}</td></tr>"
             "<tr><td>Amount</td><td>{{amount}}</td></tr>"
             "{{#expires}}<tr><td>Valid until</td><td>{{expires}}</td></tr>{{/expires}}"
             "{{#note}}<tr><td>Message</td><td>{{note}}</td></tr>{{/note}}</table>"
             "<p><a class=\"button\" href=\"{{link}}\">See the offer</a></p>"},
    Template{"split", "{{producer}} offers you {{percent}} % of {{title}}",
             "Hi {{username}},\n\n{{producer}} proposes that you get {{percent}} % of every sale of \"{{title}}\" "
             "(after the platform's fee). It applies once every collaborator accepts. Answer in your studio:\n\n"
             "{{link}}\n",
             "<p>Hi {{username}},</p><p>{{producer}} proposes that you get <strong>{{percent}} %</strong> of every sale "
             "of <strong>{{title}}</strong> (after the platform's fee). It applies once every collaborator accepts.</p>"
             "<p><a class=\"button\" href=\"{{link}}\">Answer in my studio</a></p>"},
    Template{"free_download", "Your free download: {{title}}",
             "Hi,\n\n{{producer}} gives you \"{{title}}\" (a tagged MP3) for free. Download it here:\n\n{{link}}\n\n"
             "The link works for {{hours}} hours. You got this mail because this address was entered for the "
             "download on Backbeat.\n",
             "<p>Hi,</p><p>{{producer}} gives you <strong>{{title}}</strong> (a tagged MP3) for free.</p>"
             "<p><a class=\"button\" href=\"{{link}}\">Download the MP3</a></p>"
             "<p class=\"small\">The link works for {{hours}} hours. You got this mail because this address was "
             "entered for the download on Backbeat.</p>"},
    Template{"beat_taken_down", "Your beat was taken down: {{title}}",
             "Hi {{username}},\n\nAn administrator took your beat \"{{title}}\" out of the Backbeat store.\n"
             "{{#reason}}Reason: {{reason}}\n{{/reason}}\nBuyers keep the licenses they bought. Reply to this mail to "
             "ask about it.\n",
             "<p>Hi {{username}},</p><p>An administrator took your beat <strong>{{title}}</strong> out of the Backbeat "
             "store.</p>{{#reason}}<p>Reason: {{reason}}</p>{{/reason}}<p>Buyers keep the licenses they bought. Reply "
             "to this mail to ask about it.</p>"},
    Template{"account_suspended", "Your Backbeat account is suspended",
             "Hi {{username}},\n\nAn administrator suspended your Backbeat account.\n{{#reason}}Reason: {{reason}}\n"
             "{{/reason}}\nWhat you bought stays yours. Reply to this mail to ask about it.\n",
             "<p>Hi {{username}},</p><p>An administrator suspended your Backbeat account.</p>"
             "{{#reason}}<p>Reason: {{reason}}</p>{{/reason}}<p>What you bought stays yours. Reply to this mail to "
             "ask about it.</p>"},
};

constexpr std::string_view kLayoutHead =
    "<!doctype html><html><head><meta charset=\"utf-8\"><style>"
    "body{font-family:Helvetica,Arial,sans-serif;color:#1d1d1f;line-height:1.5;max-width:560px;margin:0 auto;"
    "padding:24px}a.button{display:inline-block;background:#5b3df5;color:#fff;padding:10px 18px;"
    "border-radius:6px;text-decoration:none}.small{color:#6e6e73;font-size:13px}td,th{padding:4px 8px;"
    "text-align:left}.num{text-align:right}</style></head><body><p><strong>Backbeat</strong></p>";
constexpr std::string_view kLayoutFoot = "</body></html>\n";

std::string
escape_html(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// The innermost scope that has the name wins (a section's element, then its parents).
const boost::json::value*
lookup(const std::vector<const boost::json::object*>& scopes, std::string_view name)
{
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        if (const auto* v = (*it)->if_contains(name)) {
            return v;
        }
    }
    return nullptr;
}

bool
truthy(const boost::json::value* v)
{
    if (v == nullptr || v->is_null()) {
        return false;
    }
    if (v->is_bool()) {
        return v->as_bool();
    }
    if (v->is_string()) {
        return !v->as_string().empty();
    }
    if (v->is_array()) {
        return !v->as_array().empty();
    }
    return true;
}

std::string
as_text(const boost::json::value& v)
{
    return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

struct Filler {
    std::string_view tmpl;
    bool html;
    std::string error;

    // Renders tmpl[pos, end) into out; returns false on a problem (error says which).
    bool run(std::size_t pos, std::size_t end, std::vector<const boost::json::object*>& scopes, std::string& out)
    {
        while (pos < end) {
            const auto open = tmpl.find("{{", pos);
            if (open == std::string_view::npos || open >= end) {
                out.append(tmpl.substr(pos, end - pos));
                return true;
            }
            out.append(tmpl.substr(pos, open - pos));
            const auto close = tmpl.find("}}", open);
            if (close == std::string_view::npos || close >= end) {
                error = "an unclosed {{";
                return false;
            }
            const auto tag = tmpl.substr(open + 2, close - open - 2);
            pos = close + 2;
            if (tag.empty()) {
                error = "an empty {{}}";
                return false;
            }
            if (tag[0] != '#' && tag[0] != '^') {
                const auto* v = lookup(scopes, tag);
                if (v == nullptr) {
                    error = "the field '" + std::string(tag) + "' is missing";
                    return false;
                }
                const auto text = as_text(*v);
                out += html ? escape_html(text) : text;
                continue;
            }
            const auto name = tag.substr(1);
            const std::string closing = "{{/" + std::string(name) + "}}";
            const auto section_end = tmpl.find(closing, pos);
            if (section_end == std::string_view::npos || section_end >= end) {
                error = "the section '" + std::string(name) + "' is not closed";
                return false;
            }
            const auto* v = lookup(scopes, name);
            if (tag[0] == '^') {
                if (!truthy(v) && !run(pos, section_end, scopes, out)) {
                    return false;
                }
            } else if (v != nullptr && v->is_array()) {
                for (const auto& element : v->as_array()) {
                    const bool scoped = element.is_object();
                    if (scoped) {
                        scopes.push_back(&element.as_object());
                    }
                    const bool ok = run(pos, section_end, scopes, out);
                    if (scoped) {
                        scopes.pop_back();
                    }
                    if (!ok) {
                        return false;
                    }
                }
            } else if (truthy(v) && !run(pos, section_end, scopes, out)) {
                return false;
            }
            pos = section_end + closing.size();
        }
        return true;
    }
};

}  // namespace

core::Result<std::string>
fill(std::string_view tmpl, const boost::json::object& vars, bool html)
{
    Filler filler{tmpl, html, {}};
    std::vector<const boost::json::object*> scopes{&vars};
    std::string out;
    if (!filler.run(0, tmpl.size(), scopes, out)) {
        return core::internal("mail template: " + filler.error);
    }
    return out;
}

core::Result<Rendered>
render(std::string_view template_name, const boost::json::object& vars)
{
    for (const auto& t : kTemplates) {
        if (t.name != template_name) {
            continue;
        }
        auto subject = fill(t.subject, vars, false);
        auto text = fill(t.text, vars, false);
        auto html = fill(t.html, vars, true);
        for (auto* part : {&subject, &text, &html}) {
            if (!*part) {
                auto e = part->error();
                e.message += " (template " + std::string(template_name) + ")";
                return e;
            }
        }
        // A subject is one line, whatever a field held.
        std::string one_line;
        for (char c : *subject) {
            one_line += c == '\r' || c == '\n' ? ' ' : c;
        }
        return Rendered{std::move(one_line), std::move(*text),
                        std::string(kLayoutHead) + *html + std::string(kLayoutFoot)};
    }
    return core::internal("no mail template named " + std::string(template_name));
}

}  // namespace bb::mail
