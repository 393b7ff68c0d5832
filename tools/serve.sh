#!/usr/bin/env bash
# Builds primesync (Release) and runs it on the embedded store in ./data,
# listening on 0.0.0.0:8080. Installs missing Debian packages first.
#
# The JWT secret comes from PRIMESYNC_JWT_SECRET; without it a random secret
# is made once and kept in ./data/jwt-secret, so tokens stay valid across runs.
# Extra arguments go to primesync-server (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tools/install-deps.sh
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPRIMESYNC_BUILD_TESTS=OFF -DPRIMESYNC_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target primesync-server -j "$(nproc)"

data_dir="${PRIMESYNC_DATA_DIR:-$root/data}"
mkdir -p "$data_dir"
if [[ -z "${PRIMESYNC_JWT_SECRET:-}" ]]; then
  if [[ ! -s "$data_dir/jwt-secret" ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$data_dir/jwt-secret")
  fi
  PRIMESYNC_JWT_SECRET="$(cat "$data_dir/jwt-secret")"
  export PRIMESYNC_JWT_SECRET
  echo "serve: JWT secret in $data_dir/jwt-secret; mint a token with:" >&2
  echo "  PRIMESYNC_JWT_SECRET=\$(cat $data_dir/jwt-secret) build/release/src/app/primesync-server token --user alice" >&2
fi
exec build/release/src/app/primesync-server --data-dir "$data_dir/store" "$@"
