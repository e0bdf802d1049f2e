#pragma once
// Mail templates: a subject, a plain-text body and an HTML body per kind of mail, filled from the
// caller's fields with a small subset of Mustache: {{name}} inserts a field (HTML-escaped in the
// HTML body), {{#name}}...{{/name}} repeats for each element of an array (whose object fields
// come into scope) or shows once when the field is true or a non-empty string, and
// {{^name}}...{{/name}} shows when it is missing, false, empty or an empty array.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace bb::mail {

struct Rendered {
    std::string subject;
    std::string text;
    std::string html;
};

// An unknown template, an unclosed section or a field the template needs but did not get is an
// internal error naming it: a mail is never sent with a hole in it.
core::Result<Rendered> render(std::string_view template_name, const boost::json::object& vars);

// One template string against fields.
core::Result<std::string> fill(std::string_view tmpl, const boost::json::object& vars, bool html);

}  // namespace bb::mail
