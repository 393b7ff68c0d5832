// classify_check on an in-sync check (the common case: every client entry equals
// the stored item) and on a check where a tenth of the entries are stale.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sync/classify_check.hpp"
#include "sync/sync_bench_data.hpp"

namespace {

constexpr primesync::Millis base_time = 1700000000000;
constexpr std::size_t data_hex_chars = 1000;

struct Fixture {
  primesync::UserState state;
  std::vector<std::string> keys;
  primesync::CheckRequest request;

  Fixture(std::size_t count, std::size_t stale_every) {
    state.exists = true;
    state.user.nonce = 1;
    for (std::size_t i = 0; i < count; ++i) {
      keys.push_back(primesync::bench::key_for(i));
      state.items.put(std::make_shared<const primesync::Item>(
          primesync::Item{keys.back(), "MarketWatchList", std::string(data_hex_chars, 'a'),
                          base_time + static_cast<primesync::Millis>(i), false}));
    }
    for (std::size_t i = 0; i < count; ++i) {
      const bool stale = stale_every != 0 && i % stale_every == 0;
      request.local_data.push_back(
          primesync::CheckEntry{keys[i], "MarketWatchList",
                                base_time + static_cast<primesync::Millis>(i) - (stale ? 1 : 0)});
    }
  }
};

void classify_in_sync(benchmark::State& bench) {
  Fixture fixture(static_cast<std::size_t>(bench.range(0)), 0);
  for (auto _ : bench) {
    auto response = primesync::sync::classify_check(fixture.state, fixture.request);
    benchmark::DoNotOptimize(response);
  }
  bench.SetItemsProcessed(bench.iterations() * bench.range(0));
}

void classify_tenth_stale(benchmark::State& bench) {
  Fixture fixture(static_cast<std::size_t>(bench.range(0)), 10);
  for (auto _ : bench) {
    auto response = primesync::sync::classify_check(fixture.state, fixture.request);
    benchmark::DoNotOptimize(response);
  }
  bench.SetItemsProcessed(bench.iterations() * bench.range(0));
}

}  // namespace

BENCHMARK(classify_in_sync)->Arg(40)->Arg(2000);
BENCHMARK(classify_tenth_stale)->Arg(40)->Arg(2000);
