// Deletes archived item versions older than the retention, in the background.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "primesync/store.hpp"

namespace primesync {

class HistoryPruner {
 public:
  HistoryPruner(Store& store, std::chrono::seconds retention, std::function<Millis()> now);
  ~HistoryPruner();
  HistoryPruner(const HistoryPruner&) = delete;
  HistoryPruner& operator=(const HistoryPruner&) = delete;

  void stop();

 private:
  void run();

  Store& store_;
  std::chrono::seconds retention_;
  std::function<Millis()> now_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace primesync
