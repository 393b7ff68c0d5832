// The Store contract: one value-parameterised GoogleTest suite that every
// primesync::Store implementation must pass (include/primesync/store.hpp and the
// WriteSet / CommitStatus rules of include/primesync/model.hpp). The tests use the
// Store interface only.
//
// To run it against a store (see README.md in this folder):
//   1. compile tests/store_contract/store_contract_tests.cpp into the test
//      executable as a source file (not through a static library: the linker
//      would drop the test registrations), with tests/ on the include path and
//      primesync_test_support and GTest::gtest_main linked;
//   2. give a StoreFactory that opens a fresh, empty store for every test:
//
//   #include "store_contract/store_contract.hpp"
//   namespace primesync::testing {
//   INSTANTIATE_TEST_SUITE_P(MyStore, StoreContract,
//                            ::testing::Values(StoreFactory{"MyStore", [] {
//                              return std::make_unique<ReopenableStore>(open_fn, remove_fn);
//                            }}),
//                            StoreContract::name_of);
//   }  // namespace primesync::testing
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "primesync/store.hpp"

namespace primesync::testing {

// One test's store. Destroying it closes the store and removes its data.
class StoreUnderTest {
 public:
  virtual ~StoreUnderTest() = default;

  [[nodiscard]] virtual Store& store() = 0;
  // Whether reopen() works. The durability checks are skipped when it does not
  // (an in-memory store: its data lives and dies with the object).
  [[nodiscard]] virtual bool can_reopen() const { return false; }
  // Closes the store and opens the same data again.
  virtual void reopen() { throw std::logic_error("this store cannot be reopened"); }
};

// The usual kind: `open` opens the test's data (the same data every time it is
// called), `remove` deletes that data after the last close (a temp dir, a database).
class ReopenableStore final : public StoreUnderTest {
 public:
  using Open = std::function<std::unique_ptr<Store>()>;

  explicit ReopenableStore(Open open, std::function<void()> remove = {})
      : open_(std::move(open)), remove_(std::move(remove)), store_(open_()) {}
  ~ReopenableStore() override {
    store_.reset();  // closed before its data goes
    if (remove_) remove_();
  }
  ReopenableStore(const ReopenableStore&) = delete;
  ReopenableStore& operator=(const ReopenableStore&) = delete;

  [[nodiscard]] Store& store() override { return *store_; }
  [[nodiscard]] bool can_reopen() const override { return true; }
  void reopen() override {
    store_.reset();  // the old instance lets go of the data before the new one opens it
    store_ = open_();
  }

 private:
  Open open_;
  std::function<void()> remove_;
  std::unique_ptr<Store> store_;
};

// A store that cannot be reopened (its data is the object).
class OwnedStore final : public StoreUnderTest {
 public:
  explicit OwnedStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  [[nodiscard]] Store& store() override { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

struct StoreFactory {
  // The parameter's name in test names (letters, digits and underscores).
  std::string name;
  // A fresh, empty store for one test. nullptr skips the test (say why on stderr),
  // e.g. when the server the store needs is not configured.
  std::function<std::unique_ptr<StoreUnderTest>()> make;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* out) {
  *out << factory.name;
}

// A name of its own for the running test's data on a shared server (a database
// name): "<prefix>_<pid>_<counter>_<test name>", lower-case letters, digits and
// underscores only, at most 63 characters (what MongoDB and FerretDB accept).
[[nodiscard]] inline std::string unique_data_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  std::string name(prefix);
  name += '_' + std::to_string(::getpid()) + '_' + std::to_string(counter.fetch_add(1)) + '_';
  if (const auto* test = ::testing::UnitTest::GetInstance()->current_test_info()) {
    name += test->name();
  }
  for (char& c : name) {
    const auto byte = static_cast<unsigned char>(c);
    c = std::isalnum(byte) != 0 ? static_cast<char>(std::tolower(byte)) : '_';
  }
  name.resize(std::min<std::size_t>(name.size(), 63));
  return name;
}

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 public:
  // For INSTANTIATE_TEST_SUITE_P: names each instance after its factory.
  static std::string name_of(const ::testing::TestParamInfo<StoreFactory>& info) {
    return info.param.name;
  }

 protected:
  void SetUp() override {
    subject_ = GetParam().make();
    if (!subject_) GTEST_SKIP() << GetParam().name << ": no store to test (see stderr)";
  }
  void TearDown() override { subject_.reset(); }

  [[nodiscard]] Store& store() { return subject_->store(); }
  // Closes and reopens the store; false (and nothing happens) when it cannot.
  bool reopen() {
    if (!subject_->can_reopen()) return false;
    subject_->reopen();
    return true;
  }

 private:
  std::unique_ptr<StoreUnderTest> subject_;
};

}  // namespace primesync::testing
