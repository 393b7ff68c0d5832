// The Store contract suite (tests/store_contract/) run against the stores of this
// repository: the in-memory fake of the unit tests and the embedded RocksDB store.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "store/rocksdb/rocksdb_store.hpp"
#include "store_contract/store_contract.hpp"
#include "support/memory_store.hpp"

namespace primesync::testing {
namespace {

StoreFactory memory_store() {
  return {"Memory", [] { return std::make_unique<OwnedStore>(std::make_unique<MemoryStore>()); }};
}

// Each test gets a fresh directory under /tmp, removed after the store is closed.
StoreFactory rocksdb_store() {
  return {"RocksDb", []() -> std::unique_ptr<StoreUnderTest> {
            std::string pattern =
                (std::filesystem::temp_directory_path() / "store_contract_XXXXXX").string();
            if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
            const std::filesystem::path dir = pattern;
            RocksDbConfig config;
            config.path = (dir / "db").string();
            config.block_cache_bytes = 1U << 20U;
            config.write_buffer_bytes = 8U << 20U;
            return std::make_unique<ReopenableStore>(
                [config] { return RocksDbStore::open(config); },
                [dir] {
                  std::error_code ignored;
                  std::filesystem::remove_all(dir, ignored);
                });
          }};
}

INSTANTIATE_TEST_SUITE_P(Memory, StoreContract, ::testing::Values(memory_store()),
                         StoreContract::name_of);
INSTANTIATE_TEST_SUITE_P(RocksDb, StoreContract, ::testing::Values(rocksdb_store()),
                         StoreContract::name_of);

}  // namespace
}  // namespace primesync::testing
