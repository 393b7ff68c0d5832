// Notification messages of PROTOCOL.md §5:
// {"msgId":..,"type":..,"userId":..,"devices":[..],
//  "data":{"nonce"?:..,"pwdHash":..,"lock"?:{item},"serverData"?:[items]}}
// plus exact size accounting, so the sync layer can split a large CONFIG_CHANGE into
// messages within the configured size without encoding trial messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "primesync/api.hpp"
#include "primesync/model.hpp"

namespace primesync::protocol {

// "CONFIG_CHANGE", "CONFIG_FLUSH" or "LOCK_CHANGE".
[[nodiscard]] std::string_view notification_type_name(NotificationType type) noexcept;

// `nonce`, `lock` and `serverData` are written only when set.
[[nodiscard]] std::string encode_notification(const Notification& notification);

// Exact bytes `item` adds inside a serverData array, not counting the comma that
// separates it from its neighbour.
[[nodiscard]] std::size_t encoded_item_size(const Item& item);

// Exact size of the message with `"serverData":[]`, whether or not server_data is set.
// For a notification with n ≥ 1 items in server_data, the encoded size is
// overhead + Σ encoded_item_size + (n - 1) commas.
[[nodiscard]] std::size_t encoded_notification_overhead(const Notification& notification);

}  // namespace primesync::protocol
