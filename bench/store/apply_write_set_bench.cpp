// The next state of a commit (what the write queue does for every write set it
// plans): a 5-item upload that overwrites items of a 40- and a 2,000-item user.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "primesync/model.hpp"
#include "sync/sync_bench_data.hpp"

namespace {

constexpr primesync::Millis base_time = 1700000000000;
constexpr std::size_t data_hex_chars = 1000;
constexpr std::size_t upload_items = 5;

struct Fixture {
  primesync::UserState state;
  primesync::WriteSet writes;

  explicit Fixture(std::size_t count) {
    state.exists = true;
    std::vector<primesync::ItemPtr> items;
    for (std::size_t i = 0; i < count; ++i) {
      items.push_back(std::make_shared<const primesync::Item>(primesync::Item{
          primesync::bench::key_for(i), "MarketWatchList", std::string(data_hex_chars, 'a'),
          base_time + static_cast<primesync::Millis>(i), false}));
    }
    state.items.assign(items);
    writes.user_id = "u";
    writes.user = state.user;
    for (std::size_t i = 0; i < upload_items; ++i) {
      const primesync::Item& old = *items[i * count / upload_items];
      writes.put_items.push_back(std::make_shared<const primesync::Item>(
          primesync::Item{old.key, old.data_type, std::string(data_hex_chars, 'b'),
                          old.data_timestamp + 1, false}));
    }
  }
};

void next_state_after_upload(benchmark::State& bench) {
  const Fixture fixture(static_cast<std::size_t>(bench.range(0)));
  for (auto _ : bench) {
    auto next = std::make_shared<const primesync::UserState>(
        primesync::applied_write_set(fixture.state, fixture.writes));
    benchmark::DoNotOptimize(next);
  }
}

}  // namespace

BENCHMARK(next_state_after_upload)->Arg(40)->Arg(2000);
