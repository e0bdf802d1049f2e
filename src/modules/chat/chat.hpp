#pragma once
// The chat module's public face: its event and the module for main.cpp.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::users {
class UsersModule;
}

namespace bb::chat {

// Payload: {chat_id, message_id, sender_id, sender (username), receiver_id, receiver (username), content, created_at}
inline constexpr core::Topic kMessageSent{"chat.message_sent"};
// Payload: {chat_id, user_id}: the user read the chat up to its newest message.
inline constexpr core::Topic kChatRead{"chat.read"};

class ChatModule : public core::Module {
public:
    ChatModule(core::Services& services, users::UsersModule& users);
    ~ChatModule() override;

    std::string_view name() const override { return "chat"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::chat
