#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (gcc):
# configures build/asan with -fsanitize=address,undefined, builds only the unit
# test executables and runs `ctest -L unit`. Any report fails the run: UBSan
# stops at its first finding, ASan at its first error, LeakSanitizer at exit.
#
#   tools/sanitize.sh                          # build dir build/asan
#   PRIMESYNC_ASAN_BUILD_DIR=/tmp/asan tools/sanitize.sh
#
# tools/test.sh runs it when PRIMESYNC_SANITIZE=1 (it roughly doubles the test
# time). Installed libraries (RocksDB, libmongoc, ...) are not instrumented; the
# code of this repository and the header-only parts of Boost and simdjson are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build_dir="${PRIMESYNC_ASAN_BUILD_DIR:-build/asan}"
started=$(date +%s)
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
sanitizers="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$sanitizers" -DCMAKE_CXX_FLAGS="$sanitizers" \
  -DPRIMESYNC_BUILD_BENCH=OFF -DPRIMESYNC_JEMALLOC=OFF >/dev/null

# Only the unit test executables (every target named *_unit_tests; not CMake's
# cmake_object_order_depends_target_* helpers of the same names).
mapfile -t targets < <(ninja -C "$build_dir" -t targets all |
  sed -n 's/^\([A-Za-z0-9_]*_unit_tests\): .*/\1/p' | grep -v '^cmake_' | sort -u)
if ((${#targets[@]} == 0)); then
  echo "sanitize: no *_unit_tests target in $build_dir" >&2
  exit 1
fi
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"
built=$(date +%s)
echo "sanitize: built ${#targets[@]} unit test executables in $((built - started)) s" >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build_dir" -L unit --output-on-failure --timeout 300 -j "$(nproc)"
echo "sanitize: unit tests under ASan+UBSan took $(($(date +%s) - built)) s" >&2
