// A notification (PROTOCOL.md §5, as the sync service writes it to the outbox and
// to Kafka) turned into what the hub sends: the socket.io event the app listens
// for, `42["CONFIG_CHANGE",{"msgId":..,"nonce":..,"pwdHash":..,"serverData":[..]}]`,
// i.e. the message's `data` with its `msgId` in front, named by its `type`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::push {

struct PushMessage {
  std::string message_id;
  std::string user_id;
  std::vector<std::string> devices;  // instance ids the message is for
  std::string packet;                // the Engine.IO text frame, sent as is
};

// The message, or a description of what is wrong with it (it names the field).
struct ReadPushMessage {
  std::shared_ptr<const PushMessage> message;
  std::string error;
};
[[nodiscard]] ReadPushMessage read_push_message(std::string_view notification_json);

}  // namespace primesync::push
