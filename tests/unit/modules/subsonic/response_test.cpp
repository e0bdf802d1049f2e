#include "modules/subsonic/response.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using bb::subsonic::Element;
using bb::subsonic::Fault;
using bb::subsonic::Format;

namespace {

Element
root_with(Element body)
{
    Element root("subsonic-response");
    root.child(std::move(body));
    return root;
}

}  // namespace

TEST_CASE("subsonic XML: attributes escaped, text as content, empty elements closed")
{
    Element album("album");
    album.set("id", "al-1").set("name", "Tom & \"Jerry\" <live>").set("songCount", 2).set("isDir", false);
    album.item(Element("song").set("id", "s1"));
    Element genre("genre");
    genre.set("songCount", 1).value("R&B");
    album.item(std::move(genre));
    auto out = bb::subsonic::render_ok(root_with(std::move(album)), Format::kXml, "");
    CHECK(out.content_type == "text/xml; charset=utf-8");
    CHECK(out.body.find(R"(<album id="al-1" name="Tom &amp; &quot;Jerry&quot; &lt;live&gt;" songCount="2" isDir="false">)") !=
          std::string::npos);
    CHECK(out.body.find(R"(<song id="s1"/><genre songCount="1">R&amp;B</genre></album>)") != std::string::npos);
    CHECK(out.body.find(R"(status="ok" version="1.16.1")") != std::string::npos);
}

TEST_CASE("subsonic XML drops control characters that XML 1.0 cannot carry")
{
    Element e("song");
    e.set("title", std::string("a\x01" "b\tc"));
    auto out = bb::subsonic::render_ok(root_with(std::move(e)), Format::kXml, "");
    CHECK(out.body.find(R"(title="ab&#9;c")") != std::string::npos);
}

TEST_CASE("subsonic JSON: typed attributes, lists are arrays even with one or none, text is value")
{
    Element list("albumList2");
    list.list("album").item(Element("album").set("id", "a").set("year", 2026).set("starred", false));
    Element genres("genres");
    genres.list("genre");
    Element root("subsonic-response");
    root.child(std::move(list)).child(std::move(genres));
    auto out = bb::subsonic::render_ok(root, Format::kJson, "");
    auto json = boost::json::parse(out.body).at("subsonic-response").as_object();
    CHECK(json.at("status") == "ok");
    CHECK(json.at("openSubsonic") == true);
    auto albums = json.at("albumList2").at("album").as_array();
    REQUIRE(albums.size() == 1);
    CHECK(albums[0].at("year").as_int64() == 2026);
    CHECK(albums[0].at("starred").as_bool() == false);
    CHECK(json.at("genres").at("genre").as_array().empty());

    Element ext("openSubsonicExtensions");
    ext.set("name", "formPost").item(Element("versions").value(std::int64_t{1}));
    Element top("subsonic-response");
    top.item(std::move(ext));
    auto versions = boost::json::parse(bb::subsonic::render_ok(top, Format::kJson, "").body)
                        .at("subsonic-response").at("openSubsonicExtensions").as_array()[0].at("versions");
    CHECK(versions == boost::json::parse("[1]"));
}

TEST_CASE("subsonic faults and JSONP")
{
    auto out = bb::subsonic::render_fault(Fault{40, "Wrong username or password"}, Format::kJsonp, "cb");
    CHECK(out.content_type.starts_with("application/javascript"));
    CHECK(out.body.starts_with(R"(cb({"subsonic-response":{"status":"failed")"));
    CHECK(out.body.find(R"("error":{"code":40,"message":"Wrong username or password"})") != std::string::npos);
    CHECK(out.body.ends_with(");"));
}
