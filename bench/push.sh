#!/usr/bin/env bash
# The push hub under load, in one run on this machine: the realistic mix's
# sustainable rate (closed loop, median of REPS), then the mix open loop at half
# that rate with and without PUSH devices holding a WebSocket to /socket.io/
# (alternated), each push timed from the upload that caused it to its arrival
# (primesync-loadgen --push-connections). Server RSS before and with the devices.
#
#   bench/push.sh                       # results in $OUT (printed at the end)
#   PUSH=10000 USERS=5000 DUR=15 REPS=3 bench/push.sh
#
# PUSH devices spread over USERS users: 10,000 over 5,000 is two listening devices
# per user, so an upload is pushed to two devices (a user's other devices).
#
# Every run verifies that no acknowledged write was lost. Loopback only; bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-load}
OUT=${OUT:-/tmp/primesync-push-$(date +%Y%m%d-%H%M%S)}
DUR=${DUR:-15}
REPS=${REPS:-3}
PUSH=${PUSH:-10000}
USERS=${USERS:-5000}
CONNS=${CONNS:-256}
PS_THREADS=${PS_THREADS:-2}
export PRIMESYNC_LOG_ACCESSLOG=false
# shellcheck source=harness/common.sh
. "$ROOT/bench/harness/common.sh"
bench_build

PS_PID=
cleanup() {
  [ -n "$PS_PID" ] && kill "$PS_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(loopback_port)
URL=http://127.0.0.1:$PORT
# Both ends hold PUSH sockets (and the load's connections).
ulimit -n "$(ulimit -Hn)"
"$SERVER" --listen "127.0.0.1:$PORT" --data-dir "$TMP/data" --threads "$PS_THREADS" \
  >"$OUT/logs/primesync.log" 2>&1 &
PS_PID=$!
for _ in $(seq 1 100); do curl -fsS "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
log "primesync pid $PS_PID on $URL; output in $OUT"

LOSS=0
lg() {  # NAME ARGS... — one loadgen run, its text and JSON kept
  local name=$1 rc=0
  shift
  "$LOADGEN" --target "$URL" --no-progress --server-pid "$PS_PID" --json "$OUT/json/$name.json" \
    --label "$name" "$@" >"$OUT/logs/$name.txt" 2>&1 || rc=$?
  [ $rc -eq 2 ] && { log "DATA LOSS in $name"; LOSS=1; }
  [ $rc -ne 0 ] && [ $rc -ne 2 ] && log "loadgen failed (rc $rc) in $name"
  log "  $name: $(grep -m1 -E 'req/s, [0-9]+ failed' "$OUT/logs/$name.txt" | sed 's/^[^:]*: //')"
  grep -m1 '  push:' "$OUT/logs/$name.txt" >&2 || true
}
REAL=(--users "$USERS" --user-prefix real)

log "seeding"
lg seed --seed "${REAL[@]}" --connections 32 --no-verify
log "sustainable rate: the mix closed loop"
for r in $(seq 1 "$REPS"); do lg "closed-$r" --mix "${REAL[@]}" --connections 64 --duration "$DUR"; done
MAX=$(python3 -c "
import json,statistics
print(int(statistics.median(json.load(open('$OUT/json/closed-%d.json'%r))['rps'] for r in range(1,$REPS+1))))")
HALF=$((MAX / 2))
log "mix at half of $MAX req/s = $HALF req/s, with and without $PUSH push devices (alternated)"
for r in $(seq 1 "$REPS"); do
  lg "half-nopush-$r" --mix "${REAL[@]}" --rate "$HALF" --connections "$CONNS" --duration "$DUR"
  lg "half-push-$r" --mix "${REAL[@]}" --rate "$HALF" --connections "$CONNS" --duration "$DUR" \
    --push-connections "$PUSH"
done

python3 - "$OUT" "$REPS" "$MAX" "$HALF" "$PUSH" <<'PY' | tee "$OUT/summary.md"
import json, statistics, sys
out, reps, top, half, push = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def runs(name): return [json.load(open(f"{out}/json/{name}-{r}.json")) for r in range(1, reps + 1)]
med = lambda xs: statistics.median(xs)
print(f"mix closed loop: median {top} req/s; open loop at {half} req/s, {reps} runs each, medians; {push} push devices\n")
print("| run | req/s | check p50 ms | check p99 ms | upload p99 ms | push devices | server RSS MB | pushes received | push p50 ms | push p99 ms | push max ms | verified |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for name in ("half-nopush", "half-push"):
    rs = runs(name)
    p = [r.get("push") for r in rs]
    cells = [name, f"{med([r['rps'] for r in rs]):.0f}",
             f"{med([r['ops']['check']['p50_ms'] for r in rs]):.2f}",
             f"{med([r['ops']['check']['p99_ms'] for r in rs]):.2f}",
             f"{med([r['ops']['upload']['p99_ms'] for r in rs]):.2f}"]
    if p[0]:
        cells += [f"{med([x['connections'] for x in p]):.0f}",
                  f"{med([x['server_rss_mb_before'] for x in p]):.0f} → {med([x['server_rss_mb_with'] for x in p]):.0f}",
                  f"{med([x['config_changes'] for x in p]):.0f}",
                  f"{med([x['p50_ms'] for x in p]):.1f}", f"{med([x['p99_ms'] for x in p]):.1f}",
                  f"{med([x['max_ms'] for x in p]):.1f}"]
    else:
        cells += ["0", "", "", "", "", ""]
    cells.append("OK" if all(r["verify"]["ok"] for r in rs) else "LOSS")
    print("| " + " | ".join(cells) + " |")
PY
log "done; summary in $OUT/summary.md"
exit $LOSS
