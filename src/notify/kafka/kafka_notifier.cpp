#include "notify/kafka/kafka_notifier.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "notify/kafka/kafka_properties.hpp"
#include "observe/logger.hpp"

namespace primesync {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// librdkafka looks for timed-out messages once a second, so the last delivery
// reports of a call can arrive up to a second after message.timeout.ms.
constexpr milliseconds kReportMargin{2000};
// ready()'s thread: how often it asks the brokers, and the longest one metadata
// request may take (so the destructor waits at most this long for the thread).
constexpr milliseconds kReadyProbeEvery{1000};
constexpr milliseconds kReadyProbeTimeout{500};
// message.max.bytes = the largest message value + this. librdkafka refuses a message
// when value + key + its worst-case record framing (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD:
// 36 bytes of varints and attributes) exceeds message.max.bytes. The key is the user
// id, the subject of a token that arrives in a request header, and the HTTP layer
// caps a request's headers at 16 KiB, so no key is longer; 64 bytes cover the framing
// with room to spare. (The broker's or topic's own limit, message.max.bytes /
// max.message.bytes, must be as large for such a message to be stored.)
constexpr std::size_t kMaxKeyBytes = 16 * 1024;
constexpr std::size_t kRecordFramingBytes = 64;
constexpr std::size_t kMessageOverheadBytes = kMaxKeyBytes + kRecordFramingBytes;
// On destruction: time for messages in flight to be acknowledged, then for the
// reports of the purged rest to be served. Undelivered entries stay in the outbox.
constexpr milliseconds kCloseFlushTimeout{2000};
constexpr milliseconds kPurgeServeTimeout{500};
constexpr std::size_t kErrorTextBytes = 512;

std::vector<KafkaProperty> producer_settings(const KafkaConfig& config,
                                             std::size_t max_message_bytes) {
  return {
      {"bootstrap.servers", "metadata.broker.list", "sync.adapters.kafka.brokers", config.brokers},
      {"client.id", "", "sync.adapters.kafka.clientId", config.client_id},
      {"compression.type", "compression.codec", "sync.adapters.kafka.compression",
       config.compression},
      {"message.timeout.ms", "delivery.timeout.ms", "sync.adapters.kafka.deliveryTimeoutMs",
       std::to_string(config.delivery_timeout.count())},
      {"queue.buffering.max.messages", "", "sync.adapters.kafka.queueMessages",
       std::to_string(config.queue_messages)},
      {"linger.ms", "queue.buffering.max.ms", "sync.adapters.kafka.lingerMs",
       std::to_string(config.linger.count())},
      // The sync service splits notifications into messages of at most
      // limits.maxMessageBytes (1,048,576 by default); librdkafka's own default,
      // 1,000,000, would refuse the largest of them.
      {"message.max.bytes", "", "limits.maxMessageBytes",
       std::to_string(max_message_bytes + kMessageOverheadBytes)},
      // Each message written once and in order per partition, even across retries,
      // and only acknowledged once every in-sync replica has it.
      {"enable.idempotence", "", "", "true"},
      {"acks", "request.required.acks", "", "all"},
      // The Java client's default (murmur2 of the key), so producers in any language
      // put a user on the same partition.
      {"partitioner", "", "", "murmur2_random"},
  };
}

int to_timeout_ms(Clock::duration duration) {
  return static_cast<int>(
      std::max<milliseconds::rep>(std::chrono::ceil<milliseconds>(duration).count(), 1));
}

}  // namespace

struct KafkaNotifier::Impl {
  // What became of one entry of the current deliver() call.
  enum class Outcome : std::uint8_t { kNotSent, kAwaiting, kDelivered, kFailed };

  KafkaConfig config;
  rd_kafka_t* producer = nullptr;
  rd_kafka_topic_t* topic = nullptr;

  // Each message carries a number as its opaque; the current call's entries are
  // numbered from call_first on, so a report finds its entry. A report of an
  // earlier call's message (which that call stopped waiting for) falls outside and
  // is only counted. Reports are served only by the thread in deliver() or the
  // destructor, so these need no lock.
  std::uint64_t next_number = 1;
  std::uint64_t call_first = 0;
  std::vector<Outcome> outcomes;
  std::size_t awaiting = 0;
  std::string first_error;  // of the current call, for its log line

  // ready()'s answer, refreshed by `prober` (probe_brokers) once a second.
  std::atomic<bool> ready_answer{false};
  std::mutex prober_mutex;
  std::condition_variable prober_wake;
  bool prober_stopping = false;  // guarded by prober_mutex
  std::thread prober;

  std::atomic<std::uint64_t> produced{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> queue_full{0};
  std::atomic<std::uint64_t> produce_errors{0};

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    stop_prober();
    if (producer == nullptr) return;
    rd_kafka_flush(producer, static_cast<int>(kCloseFlushTimeout.count()));
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer, static_cast<int>(kPurgeServeTimeout.count()));
    if (topic != nullptr) rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(producer);
  }

  // Whether a broker answers a metadata request now; blocks up to kReadyProbeTimeout.
  [[nodiscard]] bool brokers_answer() const {
    // Brokers only (no topic list): what matters is that one answers.
    const rd_kafka_metadata_t* metadata = nullptr;
    bool answered = rd_kafka_metadata(producer, 0, nullptr, &metadata,
                                      static_cast<int>(kReadyProbeTimeout.count())) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR;
    if (metadata != nullptr) {
      answered = answered && metadata->broker_cnt > 0;
      rd_kafka_metadata_destroy(metadata);
    }
    // After a fatal error (e.g. the idempotent producer was fenced) nothing gets through.
    std::array<char, kErrorTextBytes> fatal{};
    return answered &&
           rd_kafka_fatal_error(producer, fatal.data(), fatal.size()) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // The prober thread: asks at once, then once a second until stop_prober().
  void probe_brokers() {
    std::unique_lock lock(prober_mutex);
    while (!prober_stopping) {
      lock.unlock();
      ready_answer.store(brokers_answer());
      lock.lock();
      prober_wake.wait_for(lock, kReadyProbeEvery, [this] { return prober_stopping; });
    }
  }

  void start_prober() {
    prober = std::thread([this] { probe_brokers(); });
  }

  // Returns once the prober thread ended: at most one metadata request later.
  void stop_prober() {
    {
      std::lock_guard lock(prober_mutex);
      prober_stopping = true;
    }
    prober_wake.notify_all();
    if (prober.joinable()) prober.join();
  }

  void note_error(std::string_view error) {
    if (first_error.empty()) first_error = error;
  }

  // Hands one message to the producer; false when it refused it.
  bool produce(const OutboxEntry& entry, std::uint64_t number) {
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(entry.user_id.data(), entry.user_id.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(entry.message.data()), entry.message.size()),
        // Copied: the message may outlive this call (a late acknowledgement).
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(number))),
        RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      produced.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    (error == RD_KAFKA_RESP_ERR__QUEUE_FULL ? queue_full : produce_errors)
        .fetch_add(1, std::memory_order_relaxed);
    note_error(rd_kafka_err2str(error));
    return false;
  }

  // The delivery report callback (opaque = this Impl).
  static void on_delivery(rd_kafka_t* producer, const rd_kafka_message_t* message, void* opaque) {
    Impl& kafka = *static_cast<Impl*>(opaque);
    const bool ok = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    (ok ? kafka.delivered : kafka.failed).fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t index =
        reinterpret_cast<std::uintptr_t>(message->_private) - kafka.call_first;
    if (index >= kafka.outcomes.size() || kafka.outcomes[index] != Outcome::kAwaiting) return;
    kafka.outcomes[index] = ok ? Outcome::kDelivered : Outcome::kFailed;
    if (!ok) kafka.note_error(rd_kafka_err2str(message->err));
    // The call has every report: end the flush that waits for them.
    if (--kafka.awaiting == 0) rd_kafka_yield(producer);
  }
};

KafkaNotifier::KafkaNotifier(const KafkaConfig& config, std::size_t max_message_bytes)
    : impl_(std::make_unique<Impl>()) {
  Impl& kafka = *impl_;
  kafka.config = config;
  if (config.brokers.empty()) {
    throw std::invalid_argument("sync.adapters.kafka.brokers: empty (no broker to publish to)");
  }
  if (config.topic.empty()) throw std::invalid_argument("sync.adapters.kafka.topic: empty");
  if (config.delivery_timeout <= milliseconds::zero()) {
    // librdkafka would read 0 as "wait forever".
    throw std::invalid_argument("sync.adapters.kafka.deliveryTimeoutMs: must be positive");
  }

  const std::vector<KafkaProperty> settings = producer_settings(config, max_message_bytes);
  rd_kafka_conf_t* conf = make_kafka_conf(settings);
  rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery);
  rd_kafka_conf_set_opaque(conf, &kafka);

  // Only sets the producer up: the brokers are connected to in the background.
  std::array<char, kErrorTextBytes> error{};
  kafka.producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (kafka.producer == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new() frees it only on success
    throw std::invalid_argument(keys_named_in(error.data(), settings) + ": " + error.data());
  }
  kafka.topic = rd_kafka_topic_new(kafka.producer, config.topic.c_str(), nullptr);
  if (kafka.topic == nullptr) {
    throw std::invalid_argument(std::string("sync.adapters.kafka.topic: ") +
                                rd_kafka_err2str(rd_kafka_last_error()));
  }
  kafka.start_prober();
}

KafkaNotifier::~KafkaNotifier() = default;

void KafkaNotifier::deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) {
  using Outcome = Impl::Outcome;
  Impl& kafka = *impl_;
  delivered.assign(entries.size(), false);
  if (entries.empty()) return;
  const Clock::time_point deadline = Clock::now() + kafka.config.delivery_timeout + kReportMargin;

  kafka.call_first = kafka.next_number;
  kafka.next_number += entries.size();
  kafka.outcomes.assign(entries.size(), Outcome::kNotSent);
  kafka.awaiting = 0;
  kafka.first_error.clear();

  // Once a user's entry is refused, that user's later entries are not sent in this
  // call: they must not reach the topic before it.
  std::unordered_set<std::string_view> held_back;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const OutboxEntry& entry = entries[i];
    if (held_back.contains(entry.user_id)) continue;
    if (kafka.produce(entry, kafka.call_first + i)) {
      kafka.outcomes[i] = Outcome::kAwaiting;
      ++kafka.awaiting;
    } else {
      held_back.insert(entry.user_id);
    }
  }

  // flush() sends at once (ignoring linger.ms) and serves the delivery reports; the
  // last report of this call ends it (rd_kafka_yield), even while messages of an
  // earlier call are still out.
  while (kafka.awaiting > 0) {
    const Clock::duration left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    rd_kafka_flush(kafka.producer, to_timeout_ms(left));
  }

  // Order per user: after a user's first undelivered entry, none of its later ones
  // counts as delivered; they are all sent again.
  std::unordered_set<std::string_view> undelivered_users;
  std::size_t undelivered = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string& user_id = entries[i].user_id;
    delivered[i] = kafka.outcomes[i] == Outcome::kDelivered && !undelivered_users.contains(user_id);
    if (!delivered[i]) {
      undelivered_users.insert(user_id);
      ++undelivered;
    }
  }
  if (undelivered > 0) {
    observe::log_event(
        observe::Level::warn,
        "kafka: " + std::to_string(undelivered) + " of " + std::to_string(entries.size()) +
            " notifications not delivered to '" + kafka.config.topic + "' (retried later): " +
            (kafka.first_error.empty() ? "no delivery report in time" : kafka.first_error));
  }
  // Reports still to come for this call's messages are only counted.
  kafka.outcomes.clear();
  kafka.awaiting = 0;
}

bool KafkaNotifier::ready() const {
  return impl_->ready_answer.load();
}

KafkaNotifier::Stats KafkaNotifier::stats() const {
  const Impl& kafka = *impl_;
  return Stats{kafka.produced.load(),
               kafka.delivered.load(),
               kafka.failed.load(),
               kafka.queue_full.load(),
               kafka.produce_errors.load(),
               static_cast<std::uint64_t>(std::max(rd_kafka_outq_len(kafka.producer), 0))};
}

}  // namespace primesync
