#!/usr/bin/env bash
# Setup for bench/wrk/check40.lua: seeds one 40-item user on a running
# primesync and writes the in-sync check body and a token for it.
#   usage: bench/wrk/setup.sh URL OUTDIR     (PRIMESYNC_JWT_SECRET must be set)
#   env:   LOADGEN (default build-load/tools/loadgen/primesync-loadgen)
set -euo pipefail
url=${1:?usage: setup.sh URL OUTDIR}
out=${2:?usage: setup.sh URL OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
loadgen=${LOADGEN:-$root/build-load/tools/loadgen/primesync-loadgen}
: "${PRIMESYNC_JWT_SECRET:?set PRIMESYNC_JWT_SECRET}"
mkdir -p "$out"
common=(--users 1 --items 40 --user-prefix wrk40)
"$loadgen" --seed --target "$url" "${common[@]}" --connections 1 --no-verify --no-progress >/dev/null
"$loadgen" --emit-check "$out/check40.body" "${common[@]}"
