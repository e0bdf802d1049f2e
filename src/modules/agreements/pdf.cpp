// The agreement as a PDF: Cairo draws A4 pages, Pango lays out and shapes the text (line breaks,
// fallback fonts, any script the installed fonts cover), and Cairo embeds the glyphs with their
// Unicode text so the PDF can be searched and extracted (tests read it back with pdftotext).
#include "modules/agreements/document.hpp"

#include <cairo-pdf.h>
#include <fmt/format.h>
#include <pango/pangocairo.h>

#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace bb::agreements {
namespace {

constexpr double kPageWidth = 595.28;  // A4 in points
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 56;

// One font map for the process, used by one render at a time: fontconfig and Pango's caches are
// then built once (the first render pays ~100 ms), not once per thread that happens to render.
std::mutex render_mutex;

PangoFontMap*
font_map()
{
    static PangoFontMap* map = pango_cairo_font_map_new();
    return map;
}

cairo_status_t
append(void* closure, const unsigned char* data, unsigned int length)
{
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

std::string
escape(std::string_view text)
{
    std::unique_ptr<char, decltype(&g_free)> escaped(g_markup_escape_text(text.data(), static_cast<gssize>(text.size())),
                                                     &g_free);
    return escaped.get();
}

struct Color {
    double r, g, b;
};
constexpr Color kInk{0.11, 0.11, 0.13};
constexpr Color kMuted{0.42, 0.42, 0.46};
constexpr Color kAccent{0.36, 0.24, 0.96};
constexpr Color kAlert{0.78, 0.12, 0.12};

class Writer {
public:
    explicit Writer(cairo_t* cr) : cr_(cr), context_(pango_font_map_create_context(font_map()))
    {
        pango_cairo_update_context(cr_, context_);
        pango_cairo_context_set_resolution(context_, 72);  // 1 pt = 1 unit on a PDF surface
        cairo_font_options_t* options = cairo_font_options_create();
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);  // exact widths in a vector file
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
        pango_cairo_context_set_font_options(context_, options);
        cairo_font_options_destroy(options);
    }
    ~Writer() { g_object_unref(context_); }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // A paragraph of Pango markup in `font`, wrapped to the text width; a new page when it would
    // not fit on this one.
    void markup(const std::string& text, const char* font, Color color = kInk, double space_after = 6,
                double indent = 0)
    {
        PangoLayout* layout = pango_layout_new(context_);
        PangoFontDescription* desc = pango_font_description_from_string(font);
        pango_layout_set_font_description(layout, desc);
        pango_font_description_free(desc);
        pango_layout_set_width(layout, static_cast<int>((kPageWidth - 2 * kMargin - indent) * PANGO_SCALE));
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_markup(layout, text.c_str(), -1);
        int width = 0;
        int height = 0;
        pango_layout_get_size(layout, &width, &height);
        const double h = static_cast<double>(height) / PANGO_SCALE;
        if (y_ + h > kPageHeight - kMargin && y_ > kMargin) {
            cairo_show_page(cr_);
            y_ = kMargin;
        }
        cairo_set_source_rgb(cr_, color.r, color.g, color.b);
        cairo_move_to(cr_, kMargin + indent, y_);
        pango_cairo_show_layout(cr_, layout);
        g_object_unref(layout);
        y_ += h + space_after;
    }

    void text(std::string_view plain, const char* font, Color color = kInk, double space_after = 6)
    {
        markup(escape(plain), font, color, space_after);
    }

    void field(std::string_view label, std::string_view value)
    {
        markup(fmt::format("<b>{}:</b> {}", escape(label), escape(value)), "DejaVu Sans 10", kInk, 3, 0);
    }

    void rule(double space = 10)
    {
        cairo_set_source_rgb(cr_, 0.85, 0.85, 0.88);
        cairo_set_line_width(cr_, 0.6);
        cairo_move_to(cr_, kMargin, y_ + space / 2);
        cairo_line_to(cr_, kPageWidth - kMargin, y_ + space / 2);
        cairo_stroke(cr_);
        y_ += space;
    }

    void gap(double points) { y_ += points; }

private:
    cairo_t* cr_;
    PangoContext* context_;
    double y_ = kMargin;
};

std::string
iso_date(std::int64_t unix_ms)
{
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::string
credit(const Document& d)
{
    std::string line = d.terms.credit_line;
    const std::string placeholder = "{producer}";
    for (auto pos = line.find(placeholder); pos != std::string::npos; pos = line.find(placeholder, pos + d.licensor.size())) {
        line.replace(pos, placeholder.size(), d.licensor);
    }
    return line;
}

std::string
file_name(const std::string& format)
{
    if (format == "mp3" || format == "wav") {
        return format == "mp3" ? "MP3" : "WAV";
    }
    return format == "stems" ? "Stems (track-outs)" : format;
}

void
write(Writer& w, const Document& d)
{
    const bool exclusive = d.tier == "exclusive";
    w.text("BACKBEAT", "DejaVu Sans Bold 9", kAccent, 2);
    w.text("Beat License Agreement", "DejaVu Sans Bold 22", kInk, 2);
    w.text(tier_name(d.tier) + (exclusive ? " (exclusive)" : " (non-exclusive)"), "DejaVu Sans 13", kMuted, 10);
    if (d.revoked_ms) {
        w.text("REVOKED: the purchase was refunded on " + date_text(*d.revoked_ms) +
                   "; this license no longer grants any right.",
               "DejaVu Sans Bold 11", kAlert, 10);
    }
    w.text(fmt::format("This agreement is made on {} between the licensor and the licensee named below, for the "
                       "beat named below, through the Backbeat marketplace.",
                       date_text(d.sold_ms)),
           "DejaVu Sans 10", kInk, 10);

    w.text("Parties and work", "DejaVu Sans Bold 12", kInk, 6);
    w.field("Licensor (producer)", d.licensor + " (Backbeat user " + d.licensor_username + ")");
    w.field("Licensee (artist)", d.licensee);
    w.field("Beat", "\u201c" + d.title + "\u201d (beat " + d.beat_id + ")");
    w.field("License", tier_name(d.tier));
    std::string files;
    for (const auto& f : d.files) {
        files += (files.empty() ? "" : ", ") + file_name(f);
    }
    w.field("Files delivered", files.empty() ? "MP3" : files);
    w.field("Price paid", money_text(d.price_cents, d.currency));
    w.field("Date", date_text(d.sold_ms));
    w.field("Purchase", d.purchase_id);
    w.rule();

    w.text("Rights granted", "DejaVu Sans Bold 12", kInk, 6);
    w.field("Distribution copies", amount_text(d.terms.distribution_copies));
    w.field("Audio streams", amount_text(d.terms.audio_streams));
    w.field("Music videos", amount_text(d.terms.music_videos));
    w.field("Paid performances", amount_text(d.terms.paid_performances));
    w.field("Credit line", credit(d));
    if (!d.terms.extra_terms.empty()) {
        w.field("Additional terms", d.terms.extra_terms);
    }
    if (!d.beat_terms.empty()) {
        w.field("Terms of this beat", d.beat_terms);
    }
    w.gap(4);
    w.text(exclusive
               ? "Ownership: the licensor keeps the copyright in the beat and will license it to no one else from this "
                 "date; licenses granted before this date remain valid. The licensee may use the beat in one new song "
                 "within the rights above and must credit the licensor as stated."
               : "Ownership: the licensor keeps the copyright in the beat and may license it to others. The licensee "
                 "may use the beat in one new song within the rights above and must credit the licensor as stated.",
           "DejaVu Sans 10", kInk, 10);
    w.rule();

    w.text("Verification", "DejaVu Sans Bold 12", kInk, 6);
    w.text("Content hash (SHA-256 of the licensed audio):", "DejaVu Sans 9", kMuted, 1);
    w.text(d.content_sha256.empty() ? "(not recorded)" : d.content_sha256, "DejaVu Sans Mono 9", kInk, 5);
    w.text("Agreement fingerprint (SHA-256 of this agreement's record):", "DejaVu Sans 9", kMuted, 1);
    w.text(fingerprint(d), "DejaVu Sans Mono 9", kInk, 14);
    w.text("Agreed electronically by both parties through Backbeat on " + date_text(d.sold_ms) + ".", "DejaVu Sans 9",
           kMuted, 0);
}

}  // namespace

std::string
render_pdf(const Document& d)
{
    std::lock_guard lock(render_mutex);
    std::string out;
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(append, &out, kPageWidth, kPageHeight);
    const std::string title = "License agreement: " + d.title + " (" + tier_name(d.tier) + ")";
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, "Backbeat");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Backbeat");
    // The sale's date, not today's: the same agreement renders to the same document every time.
    const std::string created = iso_date(d.sold_ms);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, created.c_str());
    cairo_t* cr = cairo_create(surface);
    {
        Writer writer(cr);
        write(writer, d);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    const auto status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw std::runtime_error(std::string("cairo could not write the PDF: ") + cairo_status_to_string(status));
    }
    return out;
}

}  // namespace bb::agreements
