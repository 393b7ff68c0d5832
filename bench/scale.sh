#!/usr/bin/env bash
# Check cost against the number of users stored (issue #9): one primesync on the
# embedded store grows from 1k to 100k to 1M users of 40 items each, with the
# user-state cache bound smaller than the data at every point, so checks are
# mostly cache misses; at each point the in-sync check is measured, and the
# server's resident memory is read beside the bounds it is configured with.
#
#   bench/scale.sh                              # results in $OUT (printed at the end)
#   SCALE_POINTS="1000 100000" DUR=5 bench/scale.sh
#   SCALE_CACHE_BYTES=67108864 bench/scale.sh   # another user-state cache bound
#
# Items are small (64 hex chars of data) so that 1M users seed in minutes; the
# data directory of 1M users takes ~6 GB. Loopback only; bounded in time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-load}
OUT=${OUT:-/tmp/primesync-scale-$(date +%Y%m%d-%H%M%S)}
DUR=${DUR:-5}
REPS=${REPS:-3}
CONNS=${CONNS:-64}
SCALE_POINTS=${SCALE_POINTS:-"1000 100000 1000000"}
# 8 MiB holds ~400 of these users: smaller than the data from the first point on.
SCALE_CACHE_BYTES=${SCALE_CACHE_BYTES:-8388608}
export PRIMESYNC_SYNC_CACHEMAXBYTES=$SCALE_CACHE_BYTES
export PRIMESYNC_LOG_ACCESSLOG=false
# shellcheck source=harness/common.sh
. "$ROOT/bench/harness/common.sh"
bench_build
PORT=$(loopback_port)
URL=http://127.0.0.1:$PORT

PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

"$SERVER" --listen "127.0.0.1:$PORT" --data-dir "$TMP/data" --threads 2 >"$OUT/logs/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -fsS "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$URL/readyz" >/dev/null || { log "primesync did not start"; cat "$OUT/logs/server.log" >&2; exit 1; }

POPULATION=(--items 40 --small-items --user-prefix s40)
metric() { curl -fsS "$URL/metrics" | awk -v name="$1" '$1 == name {print $2}'; }
status_kb() { awk -v field="$1:" '$1 == field {print $2}' "/proc/$PID/status"; }

# Compactions left over from seeding would be measured with the checks: wait
# (bounded) until none is pending.
settle() {
  for _ in $(seq 1 300); do
    [ "$(metric primesync_rocksdb_pending_compaction_bytes)" = 0 ] &&
      [ "$(metric primesync_rocksdb_running_compactions)" = 0 ] && return 0
    sleep 1
  done
  log "  compactions still pending after 300 s"
}

seeded=0
printf 'users\tcheck_rps\tserver_us_per_check\tp50_ms\tp99_ms\tcache_hit_ratio\trss_mb\tpeak_rss_mb\tdisk_mb\n' >"$OUT/scale.tsv"
for users in $SCALE_POINTS; do
  if [ "$users" -gt "$seeded" ]; then
    log "seeding users $seeded..$((users - 1))"
    "$LOADGEN" --seed --target "$URL" "${POPULATION[@]}" --users $((users - seeded)) \
      --user-offset "$seeded" --connections 256 --no-verify --no-progress \
      >"$OUT/logs/seed-$users.txt" 2>&1
    seeded=$users
  fi
  settle
  for r in $(seq 1 "$REPS"); do
    "$LOADGEN" --target "$URL" --op check "${POPULATION[@]}" --users "$users" --duration "$DUR" \
      --connections "$CONNS" --no-progress --server-pid "$PID" --no-verify \
      --json "$OUT/json/check-$users-$r.json" >"$OUT/logs/check-$users-$r.txt" 2>&1
  done
  disk_mb=$(( $(metric primesync_rocksdb_disk_bytes) / 1048576 ))
  python3 - "$OUT" "$users" "$(status_kb VmRSS)" "$(status_kb VmHWM)" "$disk_mb" "$REPS" <<'EOF' >>"$OUT/scale.tsv"
import json, statistics, sys
out, users, rss_kb, peak_kb, disk_mb, reps = sys.argv[1:]
runs = [json.load(open(f"{out}/json/check-{users}-{r}.json")) for r in range(1, int(reps) + 1)]
median = lambda pick: statistics.median(pick(run) for run in runs)
print("\t".join(str(v) for v in [
    users, round(median(lambda r: r["rps"])), round(median(lambda r: r["server_cpu_us_per_req"]), 1),
    round(median(lambda r: r["ops"]["check"]["p50_ms"]), 2),
    round(median(lambda r: r["ops"]["check"]["p99_ms"]), 2),
    round(median(lambda r: r["cache_hit_ratio"]), 3), int(rss_kb) // 1024, int(peak_kb) // 1024,
    disk_mb]))
EOF
  log "  $(tail -1 "$OUT/scale.tsv")"
done

cat >"$OUT/bounds.txt" <<EOF
configured memory bounds: user-state cache $((SCALE_CACHE_BYTES / 1048576)) MiB (sync.cacheMaxBytes),
RocksDB block cache 64 MiB and memtables 256 MiB (sync.adapters.rocksdb.blockCacheBytes and
writeBufferBytes, defaults): 328 MiB in all, beside the code, threads and connection buffers
EOF
log "done: $OUT/scale.tsv"
column -t "$OUT/scale.tsv"
cat "$OUT/bounds.txt"
