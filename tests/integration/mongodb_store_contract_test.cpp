// The Store contract suite (tests/store_contract/) on the MongoDB store, against
// the MongoDB-compatible server of tools/testenv: each test on its own database,
// dropped afterwards. Without PRIMESYNC_TEST_MONGODB_URI every test skips.
#include <mongoc/mongoc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "store/mongodb/mongodb_store.hpp"
#include "store_contract/store_contract.hpp"

namespace primesync::testing {
namespace {

void drop_database(const std::string& uri, const std::string& database) {
  mongoc_client_t* client = mongoc_client_new(uri.c_str());
  if (client == nullptr) return;
  mongoc_database_t* handle = mongoc_client_get_database(client, database.c_str());
  bson_error_t error;
  if (!mongoc_database_drop(handle, &error)) {
    std::fprintf(stderr, "warning: dropping %s failed: %s\n", database.c_str(), error.message);
  }
  mongoc_database_destroy(handle);
  mongoc_client_destroy(client);
}

StoreFactory mongodb_store() {
  return {"MongoDb", []() -> std::unique_ptr<StoreUnderTest> {
            const char* uri = std::getenv("PRIMESYNC_TEST_MONGODB_URI");
            if (uri == nullptr || *uri == '\0') return nullptr;  // the test skips
            MongoDbConfig config;
            config.uri = uri;
            config.database = unique_data_name("contract");
            config.instance_id = "contract";
            return std::make_unique<ReopenableStore>(
                [config] { return MongoDbStore::open(config); },
                [config] { drop_database(config.uri, config.database); });
          }};
}

INSTANTIATE_TEST_SUITE_P(MongoDb, StoreContract, ::testing::Values(mongodb_store()),
                         StoreContract::name_of);

}  // namespace
}  // namespace primesync::testing
