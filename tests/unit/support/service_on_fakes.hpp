// A SyncService on the fakes of this directory: the in-memory store, the recording
// notifier, the settable clock and counting ids. Built on first use, so that a test
// can adjust config_ first; its calls wait for their completion (await.hpp). A
// fixture derives from it besides ::testing::Test. Header-only because only tests
// that link `primesync` (fixed_environment's encoder) include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "primesync/sync_service.hpp"
#include "support/await.hpp"
#include "support/builders.hpp"
#include "support/clock.hpp"
#include "support/memory_store.hpp"
#include "support/recording_notifier.hpp"
#include "support/service_environment.hpp"

namespace primesync::testing {

class ServiceOnFakes {
 protected:
  // Retries and shutdown short enough for a unit test; the fixture sets the shards.
  ServiceOnFakes() {
    using namespace std::chrono_literals;
    config_.outbox.retry_initial = 5ms;
    config_.outbox.retry_max = 20ms;
    config_.server.shutdown_timeout = 2000ms;
  }

  SyncService& service() {
    if (!service_) {
      service_ = std::make_unique<SyncService>(config_, store_, std::vector<Notifier*>{&notifier_},
                                               fixed_environment(clock_, ids_));
    }
    return *service_;
  }

  // A flush with the lock make_lock(1).
  Outcome<WriteResponse> flush(const Caller& caller, std::vector<Item> items,
                               std::string pwd_hash = "pwd") {
    return await_outcome<WriteResponse>([&](auto done) {
      service().flush(caller, FlushRequest{std::move(items), pwd_hash, 0, make_lock(1)}, done);
    });
  }

  Outcome<WriteResponse> upload(const Caller& caller, std::vector<Item> items,
                                std::int64_t nonce = 0, std::string pwd_hash = "pwd") {
    return await_outcome<WriteResponse>([&](auto done) {
      service().upload(caller, UploadRequest{std::move(items), pwd_hash, nonce}, done);
    });
  }

  Outcome<UserInfoResponse> user_info(const Caller& caller) {
    return await_outcome<UserInfoResponse>([&](auto done) { service().user_info(caller, done); });
  }

  Outcome<LoginResponse> login(const Caller& caller) {
    return await_outcome<LoginResponse>([&](auto done) { service().login(caller, done); });
  }

  Config config_;
  FixedClock clock_;
  SequentialHex ids_;
  MemoryStore store_;
  RecordingNotifier notifier_;
  std::unique_ptr<SyncService> service_;  // declared last: stopped before the fakes go
};

}  // namespace primesync::testing
