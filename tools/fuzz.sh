#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for FUZZ_SECONDS (default 60) from its
# seed corpus (tests/fuzz/corpus/<target>). Exits non-zero on a crash, a leak, a
# sanitizer report or a hang (an input over FUZZ_INPUT_TIMEOUT seconds); the
# input that did it is left in $FUZZ_DIR/artifacts. Installs clang when missing.
#
#   tools/fuzz.sh                     # 60 s per target
#   FUZZ_SECONDS=3600 tools/fuzz.sh   # the long run
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
input_timeout="${FUZZ_INPUT_TIMEOUT:-10}"
build_dir="${PRIMESYNC_FUZZ_BUILD_DIR:-build/fuzz}"
fuzz_dir="${FUZZ_DIR:-$build_dir/runs}"
targets=(request_parser_fuzz jwt_fuzz http_front_fuzz)

tools/install-deps.sh --with-fuzz
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
sanitizers="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_C_FLAGS="$sanitizers" -DCMAKE_CXX_FLAGS="$sanitizers -fno-omit-frame-pointer" \
  -DPRIMESYNC_BUILD_TESTS=OFF -DPRIMESYNC_BUILD_BENCH=OFF -DPRIMESYNC_FUZZ=ON -DPRIMESYNC_JEMALLOC=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"

status=0
for target in "${targets[@]}"; do
  corpus="$fuzz_dir/corpus-$target"
  artifacts="$fuzz_dir/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  cp -n tests/fuzz/corpus/"${target%_fuzz}"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds} s" >&2
  if ! "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -timeout="$input_timeout" \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" \
      >"$fuzz_dir/$target.log" 2>&1; then
    echo "fuzz: $target FAILED, input in $artifacts; log $fuzz_dir/$target.log:" >&2
    tail -40 "$fuzz_dir/$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$fuzz_dir/$target.log" |
      sed "s/^/fuzz: $target: /" >&2
  fi
done
if ((status == 0)); then echo "fuzz: every target ran ${seconds} s without a finding" >&2; fi
exit "$status"
