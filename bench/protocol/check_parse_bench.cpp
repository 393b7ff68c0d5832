#include <benchmark/benchmark.h>

#include <string>

#include "bench_data.hpp"
#include "protocol/request_parser.hpp"

namespace primesync::protocol {
namespace {

void BM_ParseCheck(benchmark::State& state) {
  const auto entries = static_cast<std::size_t>(state.range(0));
  std::string body = bench::make_check_body(entries);
  const std::size_t size = body.size();
  body.resize(size + RequestParser::padding);  // the padding the fast path requires
  const std::string_view view(body.data(), size);

  RequestParser parser;
  for (auto _ : state) {
    auto request = parser.parse_check(view);
    if (!request.ok() || request->local_data.size() != entries) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(request->local_data.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * entries));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}
BENCHMARK(BM_ParseCheck)->Arg(40)->Arg(2000);

}  // namespace
}  // namespace primesync::protocol
