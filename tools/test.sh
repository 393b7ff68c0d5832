#!/usr/bin/env bash
# Builds primesync with every test and runs them all: unit, end-to-end (the
# real binary), integration (real FerretDB and Kafka started by tools/testenv)
# and a short run of each fuzz target (tools/fuzz.sh); with PRIMESYNC_SANITIZE=1
# also the unit tests under ASan+UBSan (tools/sanitize.sh). Installs missing
# Debian packages first. Exits non-zero when any test fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started=$(date +%s)
tools/install-deps.sh --with-tests
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
build_dir="${PRIMESYNC_BUILD_DIR:-build/test}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
built=$(date +%s)
echo "test: build took $((built - started)) s" >&2

# The services of the integration tests; always stopped, whatever happens.
if [[ -x tools/testenv/up ]]; then
  trap 'tools/testenv/down >&2 || true' EXIT
  eval "$(tools/testenv/up)"
fi

ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j "$(nproc)"
echo "test: tests took $(($(date +%s) - built)) s" >&2

# The unit tests again under ASan+UBSan (tools/sanitize.sh), on request: it
# roughly doubles the test time.
if [[ "${PRIMESYNC_SANITIZE:-0}" == 1 ]]; then
  sanitized=$(date +%s)
  tools/sanitize.sh
  echo "test: sanitized unit tests took $(($(date +%s) - sanitized)) s" >&2
fi

# Hostile input: each libFuzzer target for a short run (tools/fuzz.sh; the long
# run is FUZZ_SECONDS=3600 tools/fuzz.sh).
fuzzed=$(date +%s)
FUZZ_SECONDS="${PRIMESYNC_FUZZ_SECONDS:-60}" tools/fuzz.sh
echo "test: fuzzing took $(($(date +%s) - fuzzed)) s" >&2
