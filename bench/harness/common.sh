# Shared by the bench scripts (sourced after they set ROOT, BUILD and OUT): the
# environment every run uses, the output and temp dirs, log(), the Release build
# of the server and the load generator, and a free loopback port.

SECRET=${SECRET:-bench-secret}
export PRIMESYNC_JWT_SECRET=$SECRET
# A few users at machine speed: per-user rate limiting would measure itself.
export PRIMESYNC_LIMITS_USERREQUESTSPERSECOND=0
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
mkdir -p "$OUT/json" "$OUT/logs"
TMP=$(mktemp -d /tmp/primesync-bench-tmp.XXXXXX)
T0=$(date +%s)
log() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

# bench_build: builds primesync-server and primesync-loadgen (Release, no tests)
# into $BUILD unless SKIP_BUILD is set; sets SERVER and LOADGEN.
bench_build() {
  if [ -z "${SKIP_BUILD:-}" ]; then
    log "building Release in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRIMESYNC_BUILD_TESTS=OFF \
      -DPRIMESYNC_BUILD_BENCH=OFF >"$OUT/logs/cmake.log" 2>&1
    nice ninja -C "$BUILD" -j2 primesync-server primesync-loadgen >"$OUT/logs/build.log" 2>&1 ||
      { cat "$OUT/logs/build.log" >&2; exit 1; }
  fi
  SERVER=$BUILD/src/app/primesync-server
  LOADGEN=$BUILD/tools/loadgen/primesync-loadgen
}

# A port no one listens on now (the kernel's pick for an ephemeral bind).
loopback_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
