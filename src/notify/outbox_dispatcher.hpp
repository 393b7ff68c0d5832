// Hands committed notifications from the store's outbox to every notifier, in
// sequence order, and removes an entry once all notifiers have it. A failed
// delivery is retried with exponential backoff; a user's later messages wait for
// its earlier ones, so each user's messages arrive in order. Entries older than
// the configured age are dropped and counted. A notifier never blocks a request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "primesync/config.hpp"
#include "primesync/notifier.hpp"
#include "primesync/store.hpp"

namespace primesync {

class OutboxDispatcher {
 public:
  OutboxDispatcher(const OutboxConfig& config, Store& store, std::vector<Notifier*> notifiers,
                   std::function<Millis()> now);
  ~OutboxDispatcher();
  OutboxDispatcher(const OutboxDispatcher&) = delete;
  OutboxDispatcher& operator=(const OutboxDispatcher&) = delete;

  // Starts the dispatcher thread.
  void start();
  // New entries were committed: look now.
  void wake();
  // Delivers what it can for up to `grace`, then joins the thread.
  void stop(std::chrono::milliseconds grace);

  // One pass over the outbox: deliver, remove what every notifier has, drop what
  // is too old. Returns true when every entry read was delivered. Public so tests
  // can drive the dispatcher without a thread.
  bool dispatch_once();

  struct Stats {
    std::uint64_t delivered = 0;  // entries every notifier has
    std::uint64_t failures = 0;   // failed deliveries (each retried)
    std::uint64_t dropped = 0;    // entries given up after the maximum age
    std::uint64_t pending = 0;    // entries read but not yet delivered everywhere
  };
  [[nodiscard]] Stats stats() const;

 private:
  void run();

  OutboxConfig config_;
  Store& store_;
  std::vector<Notifier*> notifiers_;
  std::function<Millis()> now_;
  // Which notifiers already have an entry (bit per notifier), until it is removed.
  std::unordered_map<std::uint64_t, std::uint64_t> delivered_to_;
  bool more_waiting_ = false;  // the last read filled a whole batch

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;

  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> pending_{0};
};

}  // namespace primesync
