#!/usr/bin/env bash
# Installs the Debian 12 packages primesync builds and tests with. Idempotent:
# installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libsimdjson-dev librocksdb-dev libssl-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev
  libmongoc-dev libbson-dev librdkafka-dev libjemalloc-dev
)
test_packages=(libgtest-dev libgmock-dev libbenchmark-dev python3 curl)
fuzz_packages=(clang-14 libclang-rt-14-dev)

wanted=("${build_packages[@]}")
case "${1:-}" in
  --with-tests) wanted+=("${test_packages[@]}" "${fuzz_packages[@]}") ;;
  --with-fuzz) wanted+=("${fuzz_packages[@]}") ;;
esac
# --- push hub tests (tests/push): node, npm and the pinned socket.io-client ---
if [[ "${1:-}" == --with-tests ]]; then
  # Only when missing: a node of another origin (e.g. a newer one) is kept.
  command -v node >/dev/null 2>&1 || wanted+=(nodejs)
  command -v npm >/dev/null 2>&1 || wanted+=(npm)
fi
# npm ci --prefix tests/push when its node_modules is absent or older than its lock file.
install_push_test_modules() {
  [[ "${1:-}" == --with-tests ]] || return 0
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/push"
  [[ -f "$dir/package-lock.json" ]] || return 0
  if [[ -f "$dir/node_modules/.package-lock.json" &&
        ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    return 0
  fi
  echo "install-deps: npm ci --prefix tests/push" >&2
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2 ||
    { echo "install-deps: npm ci --prefix tests/push failed" >&2; exit 1; }
}
# --- end push hub tests ---

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: every package is installed" >&2
  install_push_test_modules "${1:-}"
  exit 0
fi

sudo_if_needed=()
if [[ "$(id -u)" != 0 ]]; then sudo_if_needed=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_if_needed[@]}" apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
"${sudo_if_needed[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  { echo "install-deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
install_push_test_modules "${1:-}"
