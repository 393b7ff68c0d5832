// The operations of PROTOCOL.md §4 as plans: each reads a user's state, checks
// its gates, and either fails (writing nothing) or adds its writes to a WriteSet
// and answers. Pure logic: no I/O, no JSON, no threads.
#pragma once

#include <functional>
#include <string>

#include "primesync/api.hpp"
#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "sync/notifications.hpp"

namespace primesync::sync {

struct OperationContext {
  const Caller& caller;
  Millis now;
  const Config& config;
  const NotificationBuilder& notifications;
  const std::function<std::string(std::size_t)>& random_hex;
};

// The user record as `writes` leaves it (starting from the stored one).
[[nodiscard]] UserRecord& user_record(const UserState& state, WriteSet& writes);

// Whether the caller counts as Prime: the token's claim, else the configured default.
[[nodiscard]] bool caller_is_prime(const OperationContext& context);

// What every authenticated request records, whatever its outcome: the user on
// first sight (fresh salt), the caller's Prime flag, and the caller's device
// (registered when under the limit, last-seen refreshed at the configured resolution).
void record_caller(const UserState& state, const OperationContext& context, WriteSet& writes);

[[nodiscard]] Outcome<WriteResponse> plan_upload(const UserState& state, UploadRequest request,
                                                 const OperationContext& context, WriteSet& writes);
[[nodiscard]] Outcome<WriteResponse> plan_flush(const UserState& state, FlushRequest request,
                                                const OperationContext& context, WriteSet& writes);
[[nodiscard]] Outcome<ChangeLockResponse> plan_change_lock(const UserState& state,
                                                           ChangeLockRequest request,
                                                           const OperationContext& context,
                                                           WriteSet& writes);
[[nodiscard]] Outcome<LoginResponse> plan_login(const UserState& state,
                                                const OperationContext& context, WriteSet& writes);
// Forgets a device (the caller's own on logout).
[[nodiscard]] Outcome<EmptyResponse> plan_forget_device(const UserState& state,
                                                        const std::string& instance_id,
                                                        WriteSet& writes);

// The operator's delete: everything stored for the user goes in one commit
// (WriteSet::delete_user). A user not stored writes nothing (deleting twice is a
// no-op). Records nothing about a caller: there is none.
[[nodiscard]] DeleteUserResponse plan_delete_user(const UserState& state, WriteSet& writes);

[[nodiscard]] Outcome<CheckResponse> answer_check(const UserStatePtr& state,
                                                  const CheckRequest& request, Millis now);
[[nodiscard]] Outcome<DownloadResponse> answer_download(const UserStatePtr& state,
                                                        const DownloadRequest& request,
                                                        std::size_t max_page_size);
[[nodiscard]] LockResponse answer_get_lock(const UserState& state);
[[nodiscard]] UserInfoResponse answer_user_info(const UserState& state);
[[nodiscard]] DevicesResponse answer_devices(const UserState& state);

}  // namespace primesync::sync
