// PROTOCOL.md §5: which notifications a committed operation emits, and their
// messages, split so that none exceeds the configured size.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "primesync/api.hpp"
#include "primesync/model.hpp"

namespace primesync::sync {

struct NotificationCodec {
  std::function<std::string(const Notification&)> encode;
  std::function<std::size_t(const Item&)> item_size;  // bytes an item adds to serverData
  std::function<std::string()> new_message_id;
};

class NotificationBuilder {
 public:
  NotificationBuilder(NotificationCodec codec, std::size_t max_message_bytes)
      : codec_(std::move(codec)), max_message_bytes_(max_message_bytes) {}

  // Each adds the operation's messages to `writes.outbox` when the user is Prime
  // and has devices other than the caller's; otherwise adds nothing.
  void config_change(const UserState& state, const UserRecord& user,
                     std::string_view caller_instance, const std::vector<ItemPtr>& winners,
                     Millis now, WriteSet& writes) const;
  void config_flush(const UserState& state, const UserRecord& user,
                    std::string_view caller_instance, const std::optional<Item>& lock, Millis now,
                    WriteSet& writes) const;
  void lock_change(const UserState& state, const UserRecord& user, std::string_view caller_instance,
                   const Item& lock, Millis now, WriteSet& writes) const;

 private:
  // The message header: recipients and user; empty recipients means "send nothing".
  [[nodiscard]] Notification start(NotificationType type, const UserState& state,
                                   const UserRecord& user, std::string_view caller_instance) const;
  void queue(Notification notification, Millis now, WriteSet& writes) const;

  NotificationCodec codec_;
  std::size_t max_message_bytes_;
};

}  // namespace primesync::sync
