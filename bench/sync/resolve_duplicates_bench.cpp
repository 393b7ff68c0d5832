// Ordering a check's entries by key (resolve_duplicates): what every check pays
// before the merge with the stored items, in the request's order (unrelated to key
// order) and in key order.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sync/resolve_duplicates.hpp"
#include "sync/sync_bench_data.hpp"

namespace {

std::vector<std::string> keys(std::size_t count, bool sorted) {
  std::vector<std::string> result;
  for (std::size_t i = 0; i < count; ++i) result.push_back(primesync::bench::key_for(i));
  if (sorted) std::sort(result.begin(), result.end());
  return result;
}

void run(benchmark::State& bench, bool sorted) {
  const std::vector<std::string> entries = keys(static_cast<std::size_t>(bench.range(0)), sorted);
  for (auto _ : bench) {
    auto winners = primesync::sync::resolve_duplicates(
        entries.size(), [&](std::size_t i) -> const std::string& { return entries[i]; },
        [](std::size_t) { return std::optional<primesync::Millis>(1); });
    benchmark::DoNotOptimize(winners);
  }
  bench.SetItemsProcessed(bench.iterations() * bench.range(0));
}

void resolve_request_order(benchmark::State& bench) {
  run(bench, false);
}
void resolve_key_order(benchmark::State& bench) {
  run(bench, true);
}

}  // namespace

BENCHMARK(resolve_request_order)->Arg(40)->Arg(2000);
BENCHMARK(resolve_key_order)->Arg(40)->Arg(2000);
