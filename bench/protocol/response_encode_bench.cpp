#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "protocol/response_encoder.hpp"

namespace primesync::protocol {
namespace {

// Items with 480..1,700 hex chars of ciphertext, as the client stores them.
std::vector<Item> make_items(std::size_t count) {
  std::mt19937_64 random(7);
  std::vector<Item> items;
  items.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    items.push_back(Item{bench::random_hex(random, 128),
                         std::string(bench::data_types[i % bench::data_types.size()]),
                         bench::random_hex(random, 480 + random() % 1221),
                         static_cast<Millis>(1700000000000 + random() % 100000000), i % 7 == 0});
  }
  return items;
}

void BM_EncodeDownload(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::vector<Item> items = make_items(count);
  DownloadResponse response;
  for (const Item& item : items) response.server_data.push_back(&item);
  response.nonce = 42;
  response.pwd_hash = "5f0c1f9e-3c1a-4a51-9d3e-6a1c8b7e2f40";

  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out;  // a fresh body per response, as the HTTP layer would send it
    encode_success(response, out);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EncodeDownload)->Arg(40)->Arg(2000);

}  // namespace
}  // namespace primesync::protocol
