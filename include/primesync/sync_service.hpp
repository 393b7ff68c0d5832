// The sync service: every operation of PROTOCOL.md §4 behind one object, with no
// transport attached. Embed it by giving it a Store and Notifiers; drive it from
// any transport. Completions run on a store worker thread, or inline on the
// calling thread when the answer needs no I/O (a cached read); hop to your own
// executor there if you need to.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "primesync/api.hpp"
#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "primesync/notifier.hpp"
#include "primesync/store.hpp"

namespace primesync {

template <typename T>
using Completion = std::function<void(Outcome<T>)>;

// Time and randomness, injected so tests are deterministic.
struct ServiceEnvironment {
  std::function<Millis()> now;                               // wall clock, ms since the epoch
  std::function<std::string(std::size_t bytes)> random_hex;  // salts and message ids
  // The JSON message of §5, and the bytes one item adds to its serverData (to split
  // large changes into messages within the configured size).
  std::function<std::string(const Notification&)> encode_notification;
  std::function<std::size_t(const Item&)> notification_item_size;
};

// The default environment: the system clock, OpenSSL's random bytes and the
// protocol's JSON encoder.
[[nodiscard]] ServiceEnvironment default_environment();

struct ServiceStats {
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_evictions = 0;
  std::uint64_t cache_bytes = 0;
  std::uint64_t cache_entries = 0;
  std::uint64_t queue_depth = 0;
  std::uint64_t queue_rejected = 0;  // 50300 because a shard queue was full
  std::uint64_t batches = 0;         // store commits
  std::uint64_t batched_writes = 0;  // write sets in those commits
  std::uint64_t store_failures = 0;
  std::uint64_t outbox_pending = 0;
  std::uint64_t notifications_delivered = 0;
  std::uint64_t notification_failures = 0;
  std::uint64_t notifications_dropped = 0;
  std::uint64_t store_conflicts = 0;    // write sets another instance overtook: planned again
  std::uint64_t conflict_failures = 0;  // operations that ran out of re-plans (50300)
};

class SyncService {
 public:
  // `store` and `notifiers` must outlive the service.
  SyncService(const Config& config, Store& store, std::vector<Notifier*> notifiers,
              ServiceEnvironment environment = default_environment());
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  void check(const Caller& caller, CheckRequest request, Completion<CheckResponse> done);
  void upload(const Caller& caller, UploadRequest request, Completion<WriteResponse> done);
  void download(const Caller& caller, DownloadRequest request, Completion<DownloadResponse> done);
  void flush(const Caller& caller, FlushRequest request, Completion<WriteResponse> done);
  void get_lock(const Caller& caller, Completion<LockResponse> done);
  void change_lock(const Caller& caller, ChangeLockRequest request,
                   Completion<ChangeLockResponse> done);
  void user_info(const Caller& caller, Completion<UserInfoResponse> done);
  void login(const Caller& caller, Completion<LoginResponse> done);
  void logout(const Caller& caller, Completion<EmptyResponse> done);
  void devices(const Caller& caller, Completion<DevicesResponse> done);
  void remove_device(const Caller& caller, std::string instance_id, Completion<EmptyResponse> done);

  // Operator tools (the admin endpoint). Each runs in the user's shard like any
  // write, so it never interleaves with the user's own operations (an upload in
  // flight commits before or after it, never half), and records no caller.
  // The user's whole stored state; not_found when the user is not stored.
  void export_user(std::string user_id, Completion<UserStatePtr> done);
  // Deletes everything stored for the user in one commit and drops it from the
  // cache; a user not stored is answered with existed = false.
  void delete_user(std::string user_id, Completion<DeleteUserResponse> done);

  [[nodiscard]] ServiceStats stats() const;
  [[nodiscard]] bool ready() const;

  // Stops accepting operations, finishes queued ones, delivers what it can of
  // the outbox within the configured grace, and joins the worker threads.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
