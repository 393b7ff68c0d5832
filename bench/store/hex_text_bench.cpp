// Hex packing of the RocksDB records: every upload packs its items' keys and data
// (and those of the versions it archives), every cache load unpacks a user's items.
// 1,100 digits is a typical item's ciphertext (WORKLOAD.md: 480-1,700).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "store/hex_text.hpp"

namespace {

std::string ciphertext_hex(std::size_t digits) {
  std::string bytes;
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < digits / 2; ++i) {
    state = state * 1103515245U + 12345U;
    bytes.push_back(static_cast<char>(state >> 24U));
  }
  std::string hex;
  primesync::hex_text::append_hex(hex, bytes);
  return hex;
}

void BM_PackHex(benchmark::State& state) {
  const std::string hex = ciphertext_hex(static_cast<std::size_t>(state.range(0)));
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    benchmark::DoNotOptimize(primesync::hex_text::append_bytes_of_hex(bytes, hex));
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * hex.size()));
}
BENCHMARK(BM_PackHex)->Arg(128)->Arg(1100);

void BM_UnpackHex(benchmark::State& state) {
  std::string bytes;
  primesync::hex_text::append_bytes_of_hex(
      bytes, ciphertext_hex(static_cast<std::size_t>(state.range(0))));
  std::string hex;
  for (auto _ : state) {
    hex.clear();
    primesync::hex_text::append_hex(hex, bytes);
    benchmark::DoNotOptimize(hex.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * bytes.size()));
}
BENCHMARK(BM_UnpackHex)->Arg(128)->Arg(1100);

}  // namespace
