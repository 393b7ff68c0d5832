// The Kafka notifier: a primesync::Notifier that publishes every outbox entry to a
// topic through librdkafka, key = user id (one partition per user, so each user's
// messages stay in order) and value = the message, with an idempotent producer
// (acks=all, order kept across retries). deliver() waits for the broker's
// acknowledgements up to the delivery timeout; what did not get one is reported
// undelivered and the dispatcher sends it again (at least once). librdkafka types
// stay out of this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "primesync/config.hpp"
#include "primesync/model.hpp"
#include "primesync/notifier.hpp"

namespace primesync {

class KafkaNotifier final : public Notifier {
 public:
  // Counters since construction, for /metrics and /readyz.
  struct Stats {
    std::uint64_t produced = 0;        // messages handed to the producer
    std::uint64_t delivered = 0;       // acknowledged by the broker (acks=all)
    std::uint64_t failed = 0;          // delivery reports with an error
    std::uint64_t queue_full = 0;      // refused at once: the producer's local queue was full
    std::uint64_t produce_errors = 0;  // refused at once for another reason (e.g. too large)
    std::uint64_t out_queue = 0;       // messages the producer holds now (queued or in flight)
  };

  // Creates the producer and the thread behind ready(); does not wait for a broker
  // (the server starts while Kafka is down). `max_message_bytes` is the largest
  // message (value) the producer must accept: limits.maxMessageBytes, the size the
  // sync service splits notifications to; librdkafka's message.max.bytes is set to
  // it plus room for the key and the record framing. Throws std::invalid_argument
  // naming the config key (sync.adapters.kafka.*, limits.maxMessageBytes) when
  // librdkafka refuses a setting.
  KafkaNotifier(const KafkaConfig& config, std::size_t max_message_bytes);
  // Stops the ready() thread, waits a bounded time for messages still in flight,
  // then destroys the producer.
  ~KafkaNotifier() override;
  KafkaNotifier(const KafkaNotifier&) = delete;
  KafkaNotifier& operator=(const KafkaNotifier&) = delete;

  [[nodiscard]] std::string_view name() const override { return "kafka"; }

  // Produces every entry, then waits until each has its delivery report or the
  // delivery timeout (plus a margin) has passed. `delivered[i]` is true only for an
  // acknowledged entry whose user had no earlier entry fail in this call. Never
  // throws for delivery failures.
  void deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) override;

  // Whether a broker answered the last metadata request (and the producer has no
  // fatal error). Returns a cached answer at once, never blocks: a thread of the
  // notifier asks once a second, each request bounded to half a second, so the answer
  // is at most about 1.5 s old. False until the first answer. Thread-safe.
  [[nodiscard]] bool ready() const;

  // Thread-safe.
  [[nodiscard]] Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
