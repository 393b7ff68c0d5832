// Time the check parser spends on hostile bodies (bench/protocol/pathological_bodies.hpp):
// each must end in its expected answer, and quickly.
#include <benchmark/benchmark.h>

#include "pathological_bodies.hpp"
#include "protocol/request_parser.hpp"

namespace primesync::protocol {
namespace {

void BM_RejectPathological(benchmark::State& state, const bench::PathologicalBody& sample) {
  std::string body = sample.body;
  const std::size_t size = body.size();
  body.resize(size + RequestParser::padding);
  const std::string_view view(body.data(), size);
  RequestParser parser;
  for (auto _ : state) {
    auto outcome = parser.parse_check(view);
    const Error got = outcome.ok() ? Error::ok : outcome.failure().error;
    if (got != sample.expected) {
      state.SkipWithError("unexpected outcome");
      break;
    }
    benchmark::DoNotOptimize(got);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

const int registered = [] {
  for (const bench::PathologicalBody& sample : bench::pathological_bodies()) {
    benchmark::RegisterBenchmark(
        ("BM_RejectPathological/" + sample.name).c_str(),
        [sample](benchmark::State& state) { BM_RejectPathological(state, sample); });
  }
  return 0;
}();

}  // namespace
}  // namespace primesync::protocol
