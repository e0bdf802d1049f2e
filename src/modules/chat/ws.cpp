// The /ws/chat/{user_id} socket: joins "chat:<user_id>", replays what was missed after ?since=,
// then relays live messages; the client sends with {"action": "send", "receiver", "message"}.
#include "http/ws_hub.hpp"
#include "modules/chat/routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <unordered_map>

namespace bb::chat {
namespace {

class ChatSocket final : public http::WsHandler {
public:
    ChatSocket(Service& service, http::WsHub& hub, std::string user_id, std::optional<std::string> since)
        : service_(service), hub_(hub), user_id_(std::move(user_id)), since_(std::move(since))
    {
    }

    void on_open(const std::shared_ptr<http::WsConnection>& conn) override
    {
        hub_.join(Live::group(user_id_), conn);  // presence: hub.count("chat:<id>") says who is online
        if (!since_) {
            service_.live().add(user_id_, conn, false);
            return;
        }
        // Registered first and held back: a message committed while the replay is read is either
        // in it or held, and ready() sends each exactly once, in id order.
        service_.live().add(user_id_, conn, true);
        auto missed = service_.since(user_id_, *since_, kMaxReplay + 1);
        const bool truncated = static_cast<int>(missed.size()) > kMaxReplay;
        if (truncated) {
            missed.pop_back();
        }
        std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> frames;
        std::unordered_map<std::string, std::string> names;
        for (const auto& m : missed) {
            auto [it, fresh] = names.try_emplace(m.sender_id);
            if (fresh) {
                it->second = service_.username(m.sender_id);
            }
            frames.emplace_back(m.message_id, std::make_shared<const std::string>(service_.frame(m, it->second)));
        }
        const std::string last_id = missed.empty() ? *since_ : missed.back().message_id;
        if (truncated) {
            // Live messages follow as usual; the gap after next_since is read with REST.
            service_.live().ready(user_id_, *conn, frames, last_id);
            conn->send(std::make_shared<const std::string>(boost::json::serialize(boost::json::object{
                {"type", "replay truncated"},
                {"message", "more messages were missed than a socket replays; read the rest with "
                            "GET /api/chat/messages/{chat_id}"},
                {"next_since", last_id}})));
            return;
        }
        service_.live().ready(user_id_, *conn, frames, last_id);
    }

    void on_message(const std::shared_ptr<http::WsConnection>& conn, std::string_view text) override
    {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(text, ec);
        if (ec || !parsed.is_object()) {
            return error(conn, "invalid_json", "a frame must be a JSON object", nullptr);
        }
        const auto& in = parsed.as_object();
        const auto* ref = in.if_contains("ref");  // echoed, so a client can match answers to requests
        const auto* action = in.if_contains("action");
        if (action == nullptr || !action->is_string() || action->as_string() != "send") {
            return error(conn, "unknown_action", "the only action is \"send\"", ref);
        }
        const auto* receiver = in.if_contains("receiver");
        const auto* message = in.if_contains("message");
        boost::json::object fields;
        if (receiver == nullptr || !receiver->is_string() || receiver->as_string().empty()) {
            fields["receiver"] = "is required (a user id or username)";
        }
        if (message == nullptr || !message->is_string() || message->as_string().empty()) {
            fields["message"] = "is required (1 to 4000 characters)";
        } else {
            const auto& s = message->as_string();
            const auto chars = static_cast<std::size_t>(
                std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xc0) != 0x80; }));
            if (chars > kMaxMessageChars) {
                fields["message"] = "must be at most 4000 characters";
            }
        }
        if (!fields.empty()) {
            auto e = core::invalid_fields(std::move(fields));
            return error(conn, e.slug, e.message, ref, e.details);
        }
        auto sent = service_.send(user_id_, std::string(receiver->as_string()), std::string(message->as_string()),
                                  conn->id());
        if (!sent) {
            return error(conn, sent.error().slug, sent.error().message, ref, sent.error().details);
        }
        boost::json::object ack{{"type", "ack"},
                                {"message_id", sent->message.message_id},
                                {"chat_id", sent->message.chat_id}};
        if (ref != nullptr) {
            ack["ref"] = *ref;
        }
        conn->send(std::make_shared<const std::string>(boost::json::serialize(ack)));
    }

    void on_close(const std::shared_ptr<http::WsConnection>& conn) override { service_.live().remove(user_id_, *conn); }

private:
    static void error(const std::shared_ptr<http::WsConnection>& conn, const std::string& code,
                      const std::string& message, const boost::json::value* ref, const boost::json::object& details = {})
    {
        boost::json::object frame{{"type", "error"}, {"code", code}, {"message", message}};
        if (!details.empty()) {
            frame["details"] = details;
        }
        if (ref != nullptr) {
            frame["ref"] = *ref;
        }
        conn->send(std::make_shared<const std::string>(boost::json::serialize(frame)));
    }

    Service& service_;
    http::WsHub& hub_;
    std::string user_id_;
    std::optional<std::string> since_;
};

}  // namespace

std::shared_ptr<http::WsHandler>
make_socket(Service& service, http::WsHub& hub, std::string user_id, std::optional<std::string> since)
{
    return std::make_shared<ChatSocket>(service, hub, std::move(user_id), std::move(since));
}

}  // namespace bb::chat
