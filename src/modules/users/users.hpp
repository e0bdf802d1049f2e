#pragma once
// The users module's public face: the events it publishes, what other modules may ask of it,
// and the module itself for main.cpp. Everything else in this folder is private.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"
#include "modules/mail/mail.hpp"

#include <functional>
#include <memory>
#include <vector>
#include <optional>
#include <string>

namespace bb::users {

// Payload: {user_id, username, created_at}
inline constexpr core::Topic kUserRegistered{"user.registered"};
// Payload: {user_id}. Other modules take the user's content out of the store.
inline constexpr core::Topic kUserDeleted{"user.deleted"};
// Payload: {follower_id, follower_username, user_id} (user_id is the one being followed)
inline constexpr core::Topic kUserFollowed{"user.followed"};

struct UserSummary {
    std::string user_id;
    std::string username;
    std::string role;
};

struct NewUser {
    std::string username;
    std::string email;
    std::string password;
    bool admin = false;
    // Made by an admin (the CLI, the demo): the address counts as verified and no mail goes out.
    bool trusted = false;
};

// The beats a user has bought, for their profile. Set by the purchases module (which depends on
// users, so users asks through this function instead of including purchases' header).
using PurchasedBeats = std::function<std::vector<std::string>(const std::string& user_id)>;

class UsersModule : public core::Module {
public:
    UsersModule(core::Services& services, mail::MailModule& mail);
    ~UsersModule() override;

    std::string_view name() const override { return "users"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    core::Health health() const override;

    // Accepts a user id or a username (case-insensitive). Deleted users are not found.
    std::optional<UserSummary> find(std::string_view id_or_username) const;
    // Moderation, in its transaction: a suspended account's sessions end and it cannot log in (403
    // account_suspended) until lifted; what it bought and sold stays. 404 unknown, 409 no change.
    core::Result<void> suspend(core::Tx& tx, const std::string& user_id, const std::string& reason);
    core::Result<void> unsuspend(core::Tx& tx, const std::string& user_id);
    // A follow made for the user (a free download paid for with a follow); following twice is fine.
    core::Result<void> follow(const std::string& follower_id, const std::string& followee_id);
    // Where mail for the user goes (receipts, notices); nullopt for an unknown or deleted user.
    std::optional<std::string> email_of(const std::string& user_id) const;
    // The admin CLI's `user create` (and the demo catalogue's producers).
    core::Result<UserSummary> create(const NewUser& user);
    // The beats module keeps the public profile's beats_count current, in its own transaction
    // (users cannot subscribe to beats' events: beats depends on users).
    void count_beats(core::Tx& tx, const std::string& user_id, int delta);
    void set_purchased_beats(PurchasedBeats fn);
    std::vector<std::string> purchased_beats(const std::string& user_id) const;  // none before purchases is wired
    // Followers of a user, in pages (ids after `after`, ascending): fan-out to 100,000 followers
    // goes in batches, never one transaction or one list in memory.
    std::vector<std::string> followers_of(const std::string& user_id, const std::string& after, int limit) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::users
