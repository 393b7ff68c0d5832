// The outbox dispatcher: delivery, retry, order per user, several notifiers, the
// maximum age, and the thread's start/wake/stop.
#include "notify/outbox_dispatcher.hpp"

#include <gtest/gtest.h>

#include "support/clock.hpp"
#include "support/memory_store.hpp"
#include "support/recording_notifier.hpp"

namespace primesync {
namespace {

using namespace std::chrono_literals;
using Sequences = std::vector<std::uint64_t>;

constexpr auto delivery_deadline = 10s;

class OutboxDispatcherTest : public ::testing::Test {
 protected:
  OutboxDispatcherTest() {
    config_.retry_initial = 1ms;
    config_.retry_max = 5ms;
    config_.max_age = 3600s;
  }

  std::uint64_t add(const std::string& user_id, Millis age = 0) {
    return store_.add_outbox(OutboxEntry{0, user_id, "message-for-" + user_id, clock_.now() - age});
  }

  Sequences outbox_sequences() const {
    Sequences sequences;
    for (const OutboxEntry& entry : store_.outbox()) sequences.push_back(entry.sequence);
    return sequences;
  }

  OutboxConfig config_;
  testing::FixedClock clock_;
  testing::MemoryStore store_;
  testing::RecordingNotifier notifier_{"first"};
  testing::RecordingNotifier second_{"second"};
};

TEST_F(OutboxDispatcherTest, DeliveredEntriesAreRemoved) {
  const Sequences added = {add("u"), add("v"), add("u")};
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());

  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_EQ(notifier_.delivered_sequences(), added) << "in sequence order";
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(dispatcher.stats().delivered, 3U);
  EXPECT_EQ(dispatcher.stats().pending, 0U);
  EXPECT_TRUE(dispatcher.dispatch_once()) << "an empty outbox is all delivered";
}

TEST_F(OutboxDispatcherTest, FailureIsRetriedOnTheNextPass) {
  const std::uint64_t sequence = add("u");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  notifier_.fail_next(1);

  EXPECT_FALSE(dispatcher.dispatch_once());
  EXPECT_EQ(outbox_sequences(), Sequences{sequence}) << "kept for the retry";
  EXPECT_EQ(dispatcher.stats().failures, 1U);
  EXPECT_EQ(dispatcher.stats().pending, 1U);

  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_EQ(notifier_.delivered_sequences(), Sequences{sequence});
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(dispatcher.stats().delivered, 1U);
}

TEST_F(OutboxDispatcherTest, UsersLaterEntryWaitsForItsEarlierOne) {
  const std::uint64_t u_first = add("u");
  const std::uint64_t u_second = add("u");
  const std::uint64_t v_only = add("v");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  // u's first entry fails; this notifier still reports u's second as sent.
  notifier_.fail_next(1);

  EXPECT_FALSE(dispatcher.dispatch_once());
  EXPECT_EQ(outbox_sequences(), (Sequences{u_first, u_second}))
      << "u's second is not counted delivered while its first failed; v proceeds";
  EXPECT_EQ(dispatcher.stats().delivered, 1U);
  EXPECT_EQ(notifier_.delivered_sequences(), (Sequences{u_second, v_only}));

  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
  // The second pass handed both of u's entries over again, in order.
  EXPECT_EQ(notifier_.delivered_sequences(), (Sequences{u_second, v_only, u_first, u_second}));
}

TEST_F(OutboxDispatcherTest, FailingUserDoesNotHoldBackOthers) {
  add("u");
  const std::uint64_t v_entry = add("v");
  add("u");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  notifier_.fail_user("u");

  EXPECT_FALSE(dispatcher.dispatch_once());
  EXPECT_EQ(notifier_.delivered_sequences(), Sequences{v_entry});
  EXPECT_EQ(store_.outbox().size(), 2U);
  EXPECT_EQ(dispatcher.stats().failures, 2U);

  notifier_.fail_user("");
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(OutboxDispatcherTest, EntryIsRemovedOnlyWhenEveryNotifierHasIt) {
  const std::uint64_t first = add("u");
  const std::uint64_t second = add("v");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_, &second_}, clock_.function());
  notifier_.fail_next(1);  // the first notifier misses `first`

  EXPECT_FALSE(dispatcher.dispatch_once());
  EXPECT_EQ(outbox_sequences(), Sequences{first});
  EXPECT_EQ(second_.delivered_sequences(), (Sequences{first, second}));
  const std::size_t second_attempts = second_.attempts();

  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(notifier_.delivered_sequences(), (Sequences{second, first}));
  EXPECT_EQ(second_.attempts(), second_attempts) << "the notifier that had it is not asked again";
  EXPECT_EQ(second_.delivered_sequences(), (Sequences{first, second}));
  EXPECT_EQ(dispatcher.stats().delivered, 2U);
}

TEST_F(OutboxDispatcherTest, EntriesOlderThanTheMaximumAgeAreDroppedAndCounted) {
  const Millis max_age_ms = 3'600'000;
  add("u", max_age_ms + 1);  // too old: never handed to a notifier
  const std::uint64_t just_in_time = add("v", max_age_ms);
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());

  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_EQ(notifier_.delivered_sequences(), Sequences{just_in_time});
  EXPECT_TRUE(store_.outbox().empty()) << "the dropped entry is removed too";
  EXPECT_EQ(dispatcher.stats().dropped, 1U);
  EXPECT_EQ(dispatcher.stats().delivered, 1U);
}

TEST_F(OutboxDispatcherTest, StuckEntryIsDroppedOnceItAgesOut) {
  add("u");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  notifier_.fail_user("u");
  EXPECT_FALSE(dispatcher.dispatch_once());
  clock_.advance(config_.max_age + 1ms);
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(dispatcher.stats().dropped, 1U);
  EXPECT_EQ(dispatcher.stats().pending, 0U);
}

TEST_F(OutboxDispatcherTest, WithoutNotifiersTheOutboxIsEmptied) {
  add("u");
  OutboxDispatcher dispatcher(config_, store_, {}, clock_.function());
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(OutboxDispatcherTest, ReadsAtMostABatchPerPass) {
  config_.batch = 2;
  for (int i = 0; i < 5; ++i) add("u");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_EQ(store_.outbox().size(), 3U);
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(dispatcher.dispatch_once());
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(notifier_.delivered().size(), 5U);
}

TEST_F(OutboxDispatcherTest, ThreadDeliversWhenWoken) {
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  dispatcher.start();
  const std::uint64_t sequence = add("u");
  dispatcher.wake();
  ASSERT_TRUE(notifier_.wait_for_deliveries(1, delivery_deadline));
  dispatcher.stop(1000ms);  // joins: the pass that delivered has finished
  EXPECT_EQ(notifier_.delivered_sequences(), Sequences{sequence});
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(OutboxDispatcherTest, ThreadRetriesAfterAFailure) {
  config_.batch = 2;  // several passes for five entries
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  notifier_.fail_next(3);
  for (int i = 0; i < 5; ++i) add(i % 2 == 0 ? "u" : "v");
  dispatcher.start();
  dispatcher.wake();
  ASSERT_TRUE(notifier_.wait_for_deliveries(5, delivery_deadline));
  dispatcher.stop(1000ms);
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(dispatcher.stats().delivered, 5U);
  EXPECT_GE(dispatcher.stats().failures, 3U);
}

TEST_F(OutboxDispatcherTest, StopGivesUpAfterTheGraceWhenDeliveryKeepsFailing) {
  add("u");
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  notifier_.fail_user("u");
  dispatcher.start();
  dispatcher.wake();
  const auto started = std::chrono::steady_clock::now();
  dispatcher.stop(50ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "stop returned after its grace";
  EXPECT_EQ(store_.outbox().size(), 1U) << "undelivered entries stay for the next start";
}

TEST_F(OutboxDispatcherTest, StopWithoutStartReturns) {
  OutboxDispatcher dispatcher(config_, store_, {&notifier_}, clock_.function());
  dispatcher.stop(0ms);
  dispatcher.stop(0ms);  // idempotent
}

}  // namespace
}  // namespace primesync
