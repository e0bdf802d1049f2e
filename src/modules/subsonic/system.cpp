// ping, getLicense, getOpenSubsonicExtensions, getMusicFolders, getUser.
#include "modules/subsonic/api.hpp"

#include "modules/users/users.hpp"

#include <algorithm>

namespace bb::subsonic {
namespace {

constexpr int kFolderId = 1;

std::string
lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace

Outcome
Api::ping(Call&)
{
    return Answer::ok();
}

Outcome
Api::get_license(Call&)
{
    return Answer::of(Element("license").set("valid", true));
}

Outcome
Api::get_extensions(Call&)
{
    // The answer is the list itself, repeated right inside the envelope.
    Answer answer;
    answer.root.list("openSubsonicExtensions");
    for (const char* name : {"apiKeyAuthentication", "formPost", "transcodeOffset"}) {
        Element ext("openSubsonicExtensions");
        ext.set("name", name).item(Element("versions").value(std::int64_t{1}));
        answer.root.item(std::move(ext));
    }
    return answer;
}

Outcome
Api::get_music_folders(Call&)
{
    Element folders("musicFolders");
    folders.list("musicFolder").item(Element("musicFolder").set("id", kFolderId).set("name", "Backbeat store"));
    return Answer::of(std::move(folders));
}

Outcome
Api::get_user(Call& call)
{
    auto name = required(call.params, "username");
    if (!name) {
        return name.error();
    }
    if (lower(*name) != lower(call.caller.username) && !call.caller.admin()) {
        return not_allowed("You may only see your own user");
    }
    auto user = users.find(*name);
    if (!user) {
        return not_found("User");
    }
    Element e("user");
    e.set("username", user->username)
        .set("scrobblingEnabled", true)
        .set("adminRole", user->role == "admin")
        .set("settingsRole", true)
        .set("downloadRole", true)
        .set("uploadRole", false)
        .set("playlistRole", true)
        .set("coverArtRole", false)
        .set("commentRole", false)
        .set("podcastRole", false)
        .set("streamRole", true)
        .set("jukeboxRole", false)
        .set("shareRole", false)
        .set("videoConversionRole", false)
        .list("folder")
        .item(Element("folder").value(std::int64_t{kFolderId}));
    return Answer::of(std::move(e));
}

}  // namespace bb::subsonic
