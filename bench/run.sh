#!/usr/bin/env bash
# The benchmark harness of issue #4: primesync side by side with nginx's static
# 200 on loopback, on this machine, in one run (under 15 minutes on 2 cores).
#
#   bench/run.sh                 # everything; results in $OUT (printed at the end)
#   DUR=5 REPS=3 bench/run.sh    # seconds per run, A/B repetitions
#   SKIP_BUILD=1 SKIP_SCALE=1 SKIP_PROFILE=1 SKIP_MICRO=1 bench/run.sh
#
# Steps: install nginx/wrk if missing (idempotent) → build Release (own build
# dir, nice -j1) → start nginx (own minimal config, temp prefix) and primesync
# (embedded RocksDB store, fresh data dir, access log off) → loadgen vs wrk on
# nginx → seed → side-by-side scenarios alternating primesync and nginx
# (A B A B A B) → open-loop rate sweep of the realistic mix with consistency
# verification → scaling table (1k/10k/100k users, 40 vs 2,000 items) → perf
# profile → Google Benchmark micro-benchmarks → Markdown summary.
# Loopback only; every run is bounded in time; everything started is stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-load}
OUT=${OUT:-/tmp/primesync-bench-$(date +%Y%m%d-%H%M%S)}
DUR=${DUR:-5}
REPS=${REPS:-3}
CONNS=${CONNS:-64}
PS_THREADS=${PS_THREADS:-2}
SECRET=${SECRET:-bench-secret}
export PRIMESYNC_JWT_SECRET=$SECRET
# A few users at machine speed: per-user rate limiting would measure itself.
export PRIMESYNC_LIMITS_USERREQUESTSPERSECOND=0
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
T0=$(date +%s)
mkdir -p "$OUT/json" "$OUT/logs"
TMP=$(mktemp -d /tmp/primesync-bench-tmp.XXXXXX)

log() { printf '[%4ds] %s\n' $(( $(date +%s) - T0 )) "$*" >&2; }

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx)
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v perf >/dev/null || need_pkgs+=(linux-perf)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || true
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- build
if [ -z "${SKIP_BUILD:-}" ]; then
  log "building Release in $BUILD"
  bench_flag=OFF
  [ -f "$ROOT/bench/CMakeLists.txt" ] && bench_flag=ON
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRIMESYNC_BUILD_TESTS=OFF \
    -DPRIMESYNC_BUILD_BENCH=$bench_flag >"$OUT/logs/cmake.log" 2>&1 ||
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRIMESYNC_BUILD_TESTS=OFF \
      -DPRIMESYNC_BUILD_BENCH=OFF >"$OUT/logs/cmake.log" 2>&1
  for i in $(seq 1 60); do   # another engineer may hold the build dir's lock
    if nice ninja -C "$BUILD" -j1 primesync-server primesync-loadgen >"$OUT/logs/build.log" 2>&1; then break; fi
    grep -q "lock" "$OUT/logs/build.log" || { cat "$OUT/logs/build.log" >&2; exit 1; }
    sleep 5
  done
  nice ninja -C "$BUILD" -j1 primesync_bench >"$OUT/logs/build-bench.log" 2>&1 || log "primesync_bench not built (see logs/build-bench.log)"
fi
SERVER=$BUILD/src/app/primesync-server
LOADGEN=$BUILD/tools/loadgen/primesync-loadgen
MICRO=""
for b in "$BUILD/bench/primesync_bench" "$ROOT/build/bench/primesync_bench"; do
  [ -x "$b" ] && { MICRO=$b; break; }
done
[ -x "$SERVER" ] && [ -x "$LOADGEN" ] || { echo "missing $SERVER or $LOADGEN" >&2; exit 1; }

# ---------------------------------------------------------------- processes
free_port() {
  local p=$1
  while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}
PS_PORT=$(free_port "${PS_PORT:-18480}")
NG_PORT=$(free_port "$((PS_PORT + 1))")
PS_URL=http://127.0.0.1:$PS_PORT
NG_URL=http://127.0.0.1:$NG_PORT
PS_PID=""
NG_PID=""

cleanup() {
  set +e
  [ -n "${PERF_PID:-}" ] && kill "$PERF_PID" 2>/dev/null
  if [ -n "$PS_PID" ] && kill -0 "$PS_PID" 2>/dev/null; then
    kill -TERM "$PS_PID"
    for _ in $(seq 1 100); do kill -0 "$PS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PS_PID" 2>/dev/null
  fi
  if [ -f "$TMP/nginx/nginx.pid" ]; then
    NG_PID=$(cat "$TMP/nginx/nginx.pid")
    "$NGINX" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx/" -s quit 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$NG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NG_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$NG_PORT;
    location / { return 200 "ok"; }
  }
}
EOF
"$NGINX" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx/"
NG_PID=$(cat "$TMP/nginx/nginx.pid")
sleep 0.2
NG_WORKERS=$(pgrep -P "$NG_PID" | paste -sd, -)

cat >"$TMP/primesync.toml" <<EOF
[log]
accessLog = false
level = "warn"
EOF
start_primesync() {
  rm -rf "$TMP/data"
  "$SERVER" --listen "127.0.0.1:$PS_PORT" --data-dir "$TMP/data" --threads "$PS_THREADS" \
    --config "$TMP/primesync.toml" >"$OUT/logs/primesync.log" 2>&1 &
  PS_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "$PS_URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "primesync did not become ready" >&2
  exit 1
}
start_primesync
log "primesync pid $PS_PID on $PS_URL, nginx pid $NG_PID on $NG_URL, output in $OUT"
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "nginx: $("$NGINX" -v 2>&1)"
  echo "primesync: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) (+ working tree)"
  echo "uptime at start: $(uptime)"
} >"$OUT/machine.txt"

# ---------------------------------------------------------------- helpers
# lg SECTION SCENARIO TARGET REP ARGS...  — one loadgen run, JSON + text kept.
lg() {
  local section=$1 scen=$2 target=$3 rep=$4
  shift 4
  mkdir -p "$OUT/json/$section/$scen"
  local url=$PS_URL pid_args=(--server-pid "$PS_PID")
  [ "$target" = primesync ] || pid_args=(--server-pid "$NG_WORKERS")
  # "loadgen" is section 1's client-against-nginx run (its own target name in the table).
  [ "$target" = primesync ] || url=$NG_URL
  local rc=0
  "$LOADGEN" --target "$url" --connections "$CONNS" --no-progress "${pid_args[@]}" \
    --json "$OUT/json/$section/$scen/$target-$rep.json" --label "$scen/$target" "$@" \
    >"$OUT/logs/$section-$scen-$target-$rep.txt" 2>&1 || rc=$?
  if [ $rc -eq 2 ]; then log "DATA LOSS in $section/$scen/$target-$rep"; LOSS=1; fi
  [ $rc -ne 0 ] && [ $rc -ne 2 ] && log "loadgen failed (rc $rc) in $section/$scen/$target-$rep"
  local line
  line=$(grep -m1 -E "req/s, [0-9]+ failed" "$OUT/logs/$section-$scen-$target-$rep.txt" || true)
  log "  $section/$scen/$target#$rep: ${line#*: }"
  return 0
}
# wrkt FILE URL [wrk args] — wrk with its own CPU time and the server's appended.
wrkt() {
  local file=$1 url=$2
  shift 2
  local pids=$PS_PID
  [[ "$url" == "$NG_URL"* ]] && pids=$(echo "$NG_WORKERS" | tr , ' ')
  local s0 s1
  s0=$(proc_cpu $pids)
  /usr/bin/time -f "client_cpu_s %U %S" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url" >"$file" 2>&1 || true
  s1=$(proc_cpu $pids)
  echo "server_cpu_s $(python3 -c "print(($s1 - $s0) / $(getconf CLK_TCK))")" >>"$file"
}
proc_cpu() {  # utime+stime ticks summed over pids
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $t
}
nginx_get() { lg "$1" "$2" nginx "$3" --op get --path / --duration "$DUR"; }
LOSS=0

# Populations (user prefixes keep them apart in one store).
REAL=(--users 2000 --user-prefix real)         # WORKLOAD.md: 2 % heavy, 15-80 / 500-2,000 items
C40=(--users 1000 --items 40 --user-prefix c40)  # realistic sizes, exactly 40 items
C2K=(--users 20 --items 2000 --user-prefix c2k)  # realistic sizes, exactly 2,000 items

# ---------------------------------------------------------------- 1. loadgen vs wrk on nginx
log "1. can the load generator saturate nginx? (loadgen vs wrk, alternated)"
for r in $(seq 1 "$REPS"); do
  lg sat get loadgen "$r" --op get --path / --duration "$DUR"
  mkdir -p "$OUT/json/sat/get"
  wrkt "$OUT/json/sat/get/wrk-$r.wrk.txt" "$NG_URL/"
  log "  sat/get/wrk#$r: $(grep Requests/sec "$OUT/json/sat/get/wrk-$r.wrk.txt" || echo failed)"
done

# ---------------------------------------------------------------- 2. seed
log "2. seeding (flush per user)"
lg seed real primesync 1 --seed "${REAL[@]}" --no-verify
lg seed c40 primesync 1 --seed "${C40[@]}" --no-verify
lg seed c2k primesync 1 --seed "${C2K[@]}" --connections 8 --no-verify
LOADGEN=$LOADGEN "$ROOT/bench/wrk/setup.sh" "$PS_URL" "$TMP/wrk" >/dev/null 2>&1

# ---------------------------------------------------------------- 3. side by side
log "3. side by side, A B A B A B (${DUR}s each)"
sbs() {  # scenario, loadgen args...
  local scen=$1
  shift
  for r in $(seq 1 "$REPS"); do
    lg sbs "$scen" primesync "$r" --duration "$DUR" "$@"
    nginx_get sbs "$scen" "$r"
  done
}
sbs check40 --op check "${C40[@]}"
sbs check2000 --op check "${C2K[@]}" --connections 8
sbs download40 --op download "${C40[@]}"
sbs upload5 --op upload "${C40[@]}" --upload-items 5,5
sbs mix --mix "${REAL[@]}"
for r in $(seq 1 "$REPS"); do
  mkdir -p "$OUT/json/sbs/wrk-check40"
  CHECK40_BODY=$TMP/wrk/check40.body wrkt "$OUT/json/sbs/wrk-check40/primesync-$r.wrk.txt" \
    "$PS_URL" -s "$ROOT/bench/wrk/check40.lua"
  wrkt "$OUT/json/sbs/wrk-check40/nginx-$r.wrk.txt" "$NG_URL/"
  log "  sbs/wrk-check40#$r: $(grep Requests/sec "$OUT/json/sbs/wrk-check40/primesync-$r.wrk.txt") vs nginx $(grep Requests/sec "$OUT/json/sbs/wrk-check40/nginx-$r.wrk.txt")"
done

# ---------------------------------------------------------------- 4. open-loop rate sweep of the mix
MIX_MAX=$(python3 -c "
import json,glob,statistics
v=[json.load(open(f))['rps'] for f in glob.glob('$OUT/json/sbs/mix/primesync-*.json')]
print(int(statistics.median(v)) if v else 1000)")
log "4. realistic mix, open loop at fractions of the closed-loop median ($MIX_MAX req/s), verified"
for f in 50 70 85 100 120; do
  rate=$(( MIX_MAX * f / 100 ))
  lg rate "mix-$rate" primesync 1 --mix "${REAL[@]}" --rate "$rate" --connections 256 --duration "$DUR"
done

# ---------------------------------------------------------------- 5. scaling
if [ -z "${SKIP_SCALE:-}" ]; then
  log "5. scaling: 1k / 10k / 100k users x 40 small items, 250 users x 2,000 small items"
  # Small items (64 hex chars of data) so that 100k users seed in about a minute.
  SC=(--items 40 --small-items --user-prefix s40)
  scale_point() {  # users
    local users=$1
    for r in $(seq 1 2); do
      lg scale "${users}u-40i-check" primesync "$r" --op check "${SC[@]}" --users "$users" --duration "$DUR"
      nginx_get scale "${users}u-40i-check" "$r"
      lg scale "${users}u-40i-upload" primesync "$r" --op upload "${SC[@]}" --users "$users" --duration "$DUR"
      nginx_get scale "${users}u-40i-upload" "$r"
    done
  }
  lg seed s40-1k primesync 1 --seed "${SC[@]}" --users 1000 --connections 128 --no-verify
  scale_point 1000
  lg seed s40-10k primesync 1 --seed "${SC[@]}" --users 9000 --user-offset 1000 --connections 256 --no-verify
  scale_point 10000
  lg seed s40-100k primesync 1 --seed "${SC[@]}" --users 90000 --user-offset 10000 --connections 256 --no-verify
  scale_point 100000
  S2K=(--items 2000 --small-items --user-prefix s2k --users 250)
  lg seed s2k primesync 1 --seed "${S2K[@]}" --connections 32 --no-verify
  for r in $(seq 1 2); do
    lg scale "250u-2000i-check" primesync "$r" --op check "${S2K[@]}" --connections 16 --duration "$DUR"
    nginx_get scale "250u-2000i-check" "$r"
    lg scale "250u-2000i-upload" primesync "$r" --op upload "${S2K[@]}" --duration "$DUR"
    nginx_get scale "250u-2000i-upload" "$r"
  done
  du -sh "$TMP/data" >"$OUT/datadir-size.txt" 2>/dev/null || true
fi

# ---------------------------------------------------------------- 6. profile
if [ -z "${SKIP_PROFILE:-}" ]; then
  if perf stat -e instructions true >/dev/null 2>&1; then
    for what in mix check40; do
      log "6. perf profile of the server under $what"
      args=(--mix "${REAL[@]}")
      [ $what = check40 ] && args=(--op check "${C40[@]}")
      perf record -F 499 -p "$PS_PID" -o "$TMP/perf-$what.data" -- sleep "$DUR" >/dev/null 2>&1 &
      PERF_PID=$!
      lg profile "$what" primesync 1 "${args[@]}" --duration "$DUR" --no-verify
      wait "$PERF_PID" || true
      PERF_PID=""
      perf report -i "$TMP/perf-$what.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | cut -c1-160 |
        grep -E '^ +[0-9]' | head -40 >"$OUT/profile-$what.txt" || true
      perf report -i "$TMP/perf-$what.data" --no-children --sort dso --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | head -12 >"$OUT/profile-$what-dso.txt" || true
    done
  else
    log "6. perf unavailable; skipping the profile (see README for callgrind)"
  fi
fi

# ---------------------------------------------------------------- 7. micro-benchmarks
if [ -z "${SKIP_MICRO:-}" ] && [ -n "$MICRO" ]; then
  log "7. micro-benchmarks: $MICRO"
  timeout 180 "$MICRO" --benchmark_format=json --benchmark_out="$OUT/micro.json" \
    --benchmark_min_time=0.2 >"$OUT/logs/micro.txt" 2>&1 || log "micro-benchmarks failed"
fi

echo "uptime at end: $(uptime)" >>"$OUT/machine.txt"
# ---------------------------------------------------------------- summary
{
  echo "## Results ($(date -Is))"
  echo
  sed 's/^/    /' "$OUT/machine.txt"
  python3 "$ROOT/bench/harness/summarize.py" "$OUT"
  for f in "$OUT"/profile-*.txt; do
    [ -f "$f" ] || continue
    echo
    echo "#### $(basename "$f" .txt) (perf, server process, top symbols, self time)"
    echo
    echo '```'
    head -25 "$f"
    echo '```'
  done
} >"$OUT/summary.md"
cat "$OUT/summary.md"
log "done in $(( $(date +%s) - T0 )) s; summary: $OUT/summary.md"
[ "$LOSS" -eq 0 ] || { echo "ACKNOWLEDGED WRITES WERE LOST" >&2; exit 2; }
