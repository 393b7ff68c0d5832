#!/usr/bin/env bash
# The realistic mix on each store, in one run on this machine: the embedded
# RocksDB store, the MongoDB store with one instance, and two instances sharing
# one database (the load generator spreads its connections over both). The
# MongoDB-compatible server is tools/testenv's FerretDB on SQLite.
#
#   bench/stores.sh                    # results in $OUT (printed at the end)
#   DUR=10 USERS=300 bench/stores.sh   # seconds per run, users seeded
#
# Every run verifies, by downloading every user afterwards, that no acknowledged
# write was lost (the load generator exits 2 otherwise). Loopback only; bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-load}
OUT=${OUT:-/tmp/primesync-stores-$(date +%Y%m%d-%H%M%S)}
DUR=${DUR:-10}
USERS=${USERS:-300}
CONNS=${CONNS:-32}
# shellcheck source=harness/common.sh
. "$ROOT/bench/harness/common.sh"
bench_build

eval "$("$ROOT/tools/testenv/up")"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  local p=$1
  while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

# start NAME THREADS [VAR=VALUE...]: a server on a free port; prints "PORT PID".
start() {
  local name=$1 threads=$2
  shift 2
  local port
  port=$(free_port 18600)
  env "$@" PRIMESYNC_LOG_ACCESSLOG=false "$SERVER" --listen "127.0.0.1:$port" \
    --data-dir "$TMP/$name" --threads "$threads" >"$OUT/logs/server-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$OUT/logs/server-$name.log" >&2; exit 1; }
  echo "$port $pid"
}

POPULATION=(--users "$USERS" --user-prefix store --heavy-fraction 0)

# run SCENARIO URLS PIDS: seed, then the mix closed loop, then open loop at half its rate.
run() {
  local scenario=$1 urls=$2 pids=$3
  log "$scenario: seeding $USERS users"
  "$LOADGEN" --seed "${POPULATION[@]}" --target "$urls" --connections 16 --no-progress \
    --no-verify >"$OUT/logs/$scenario-seed.txt" 2>&1
  log "$scenario: realistic mix, closed loop, $DUR s, $CONNS connections"
  local rc=0
  "$LOADGEN" --mix "${POPULATION[@]}" --target "$urls" --connections "$CONNS" --duration "$DUR" \
    --server-pid "$pids" --no-progress --json "$OUT/json/$scenario-closed.json" \
    --label "$scenario" >"$OUT/logs/$scenario-closed.txt" 2>&1 || rc=$?
  [ $rc -eq 2 ] && log "DATA LOSS in $scenario" && LOSS=1
  local rate
  rate=$(python3 -c "import json; print(max(1, int(json.load(open('$OUT/json/$scenario-closed.json'))['rps'] / 2)))")
  log "$scenario: open loop at $rate req/s"
  rc=0
  "$LOADGEN" --mix "${POPULATION[@]}" --target "$urls" --connections 256 --duration "$DUR" \
    --rate "$rate" --server-pid "$pids" --no-progress --json "$OUT/json/$scenario-open.json" \
    --label "$scenario" >"$OUT/logs/$scenario-open.txt" 2>&1 || rc=$?
  [ $rc -eq 2 ] && log "DATA LOSS in $scenario (open loop)" && LOSS=1
  return 0
}

LOSS=0
MONGO=(PRIMESYNC_SYNC_ADAPTERS_STORE=mongodb "PRIMESYNC_SYNC_ADAPTERS_MONGODB_URI=$PRIMESYNC_TEST_MONGODB_URI")

read -r port pid < <(start rocksdb 2)
PIDS+=("$pid")
run rocksdb "http://127.0.0.1:$port" "$pid"
kill "$pid"

read -r port pid < <(start mongo1 2 "${MONGO[@]}" PRIMESYNC_SYNC_ADAPTERS_MONGODB_DATABASE="bench1_$$" \
  PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID=one)
PIDS+=("$pid")
run mongodb-1 "http://127.0.0.1:$port" "$pid"
kill "$pid"

read -r port_a pid_a < <(start mongo2a 1 "${MONGO[@]}" PRIMESYNC_SYNC_ADAPTERS_MONGODB_DATABASE="bench2_$$" \
  PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID=a)
PIDS+=("$pid_a")
read -r port_b pid_b < <(start mongo2b 1 "${MONGO[@]}" PRIMESYNC_SYNC_ADAPTERS_MONGODB_DATABASE="bench2_$$" \
  PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID=b)
PIDS+=("$pid_b")
run mongodb-2 "http://127.0.0.1:$port_a,http://127.0.0.1:$port_b" "$pid_a,$pid_b"

python3 - "$OUT" >"$OUT/summary.md" <<'EOF'
import json, sys
out = sys.argv[1]
print("| store | mix closed loop req/s | server CPU µs/req | open loop req/s | check p50 ms | check p99 ms | upload p99 ms | failed |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for scenario in ["rocksdb", "mongodb-1", "mongodb-2"]:
    closed = json.load(open(f"{out}/json/{scenario}-closed.json"))
    opened = json.load(open(f"{out}/json/{scenario}-open.json"))
    ops = opened["ops"]
    print(f"| {scenario} | {closed['rps']:.0f} | {closed['server_cpu_us_per_req']:.0f} | "
          f"{opened['rps']:.0f} | {ops['check']['p50_ms']:.2f} | {ops['check']['p99_ms']:.2f} | "
          f"{ops['upload']['p99_ms']:.2f} | {closed['failed'] + opened['failed']} |")
EOF
cat "$OUT/summary.md"
grep -h "verify:" "$OUT"/logs/*-closed.txt "$OUT"/logs/*-open.txt >&2 || true
log "results in $OUT"
exit $LOSS
