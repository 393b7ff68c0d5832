// primesync-loadgen: an asynchronous HTTP/1.1 keep-alive load generator for the
// OneKey Prime sync protocol (see tools/loadgen/README in bench/README.md).
//
// Threads: each thread owns one io_context, a share of the connections and a
// disjoint share of the users (id % threads), so no user state is shared and no
// lock is taken on the request path. Every connection is a C++20 coroutine that
// loops: take the next send slot, pick an operation and a user, build the body,
// write, read, account.
//
// Open loop (--rate): slot i is due at start + i/rate; latency is measured from
// that intended time, so a stalled server shows up as latency instead of
// silently lowering the offered load (no coordinated omission).
//
// Verification: every acknowledged upload/flush is remembered per (user, item)
// as its newest acknowledged dataTimestamp; after the load each touched user is
// downloaded and every such item must be present with that timestamp or newer.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <simdjson.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "histogram.hpp"
#include "push_listeners.hpp"
#include "workload.hpp"

namespace primesync::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

enum Op : int { kCheck, kUpload, kDownload, kGetLock, kFlush, kGet, kOps };
constexpr const char* kOpNames[kOps] = {"check", "upload", "download", "get-lock", "flush", "get"};

std::optional<Op> op_from_name(std::string_view s) {
  if (s == "getlock" || s == "get-lock" || s == "lock") return kGetLock;
  for (int i = 0; i < kOps; ++i)
    if (s == kOpNames[i]) return static_cast<Op>(i);
  return std::nullopt;
}

enum class Mode { kSeed, kMix, kSingle };

struct Options {
  Mode mode = Mode::kMix;
  Op op = kCheck;
  std::string host = "127.0.0.1";
  std::string port = "8080";
  // Every target's port (one host): connections are spread over them in turn,
  // to load several server instances that share one database.
  std::vector<std::string> ports;
  std::string path = "/";
  std::string secret;
  std::uint32_t users = 1000;
  std::uint32_t user_offset = 0;
  int connections = 64;
  int threads = 1;
  double duration_s = 10;
  bool duration_given = false;
  std::uint64_t requests = 0;  // 0: no count bound
  double rate = 0;             // 0: closed loop
  double weights[kOps] = {70, 20, 5, 4, 1, 0};
  std::string json_path;
  bool verify = true;
  bool progress = true;
  double progress_every_s = 2;
  std::uint64_t rng_seed = 1;
  double timeout_s = 30;
  std::vector<int> server_pids;
  bool scrape_metrics = true;
  std::string label;
  std::string emit_check;                    // write one user's in-sync check body + token and exit
  std::uint64_t prepare_limit = 20'000'000;  // derive keys up front up to this many items
  int push_connections = 0;                  // devices holding a push connection open
  int push_threads = 1;
  WorkloadParams wp;
};

[[noreturn]] void usage(int rc) {
  std::fprintf(rc ? stderr : stdout, R"(usage: primesync-loadgen [mode] [options]
modes (one):
  --seed                  create --users users with one flush each (all their items)
  --mix                   the realistic mix (default; weights: --weights)
  --op OP                 one operation alone: check|upload|download|get-lock|flush|get
target:
  --target URL[,URL...]   http://127.0.0.1:PORT (loopback only)      [http://127.0.0.1:8080]
                          several: connections spread over them in turn (one host)
  --path P                path for --op get                           [/]
  --secret S              HS256 secret (default: $PRIMESYNC_JWT_SECRET)
load shape:
  --connections N         concurrent keep-alive connections           [64]
  --threads N             client threads (io_contexts)                [1]
  --duration S            seconds (bound)                             [10; 600 with --requests]
  --requests N            total requests (bound)
  --rate R                open loop at R requests/s (latency from the intended send time);
                          without it: closed loop, as fast as responses come back
  --weights c,u,d,l,f     mix weights check,upload,download,get-lock,flush [70,20,5,4,1]
population (WORKLOAD.md figures):
  --users N  --user-offset K  --user-prefix P  --population-seed N
  --heavy-fraction F      [0.02]      --items N   every user has exactly N items
  --typical-items MIN,MEDIAN,MAX [15,40,80]  --heavy-items MIN,MAX [500,2000]
  --data-hex MIN,MAX      hex chars of data [480,1700] (CustomNetwork up to 4000)
  --small-items           data of 64 hex chars (fast seeding for scale tests)
  --upload-items MIN,MAX  items per upload [1,5]
push (the server's socket.io hub):
  --push-connections N    devices holding a WebSocket to /socket.io/ open during the load, each
                          logged in with its own instance id for user (i mod --users); pushes
                          are acknowledged and timed (dataTimestamp → arrival)            [0]
  --push-threads N        client threads of those connections                            [1]
output:
  --json FILE  --label TEXT  --no-progress  --no-verify  --no-metrics
  --server-pid PID[,PID]  report the server's CPU time during the run (summed over the pids)
  --rng-seed N  --timeout S
  --prepare-limit N       derive every user's keys (SHA-512) before the clock starts when the
                          population holds at most N items [20000000]; beyond, lazily
  --emit-check FILE       write the in-sync check body of user --user-offset to FILE and a
                          24 h token to FILE.token (for bench/wrk/check40.lua), then exit
exit: 0 ok; 2 an acknowledged write was lost; 1 usage or setup failure.
)");
  std::exit(rc);
}

std::pair<int, int> parse_pair(const std::string& s) {
  const auto comma = s.find(',');
  if (comma == std::string::npos) return {std::stoi(s), std::stoi(s)};
  return {std::stoi(s.substr(0, comma)), std::stoi(s.substr(comma + 1))};
}

Options parse_options(int argc, char** argv) {
  Options o;
  if (const char* s = std::getenv("PRIMESYNC_JWT_SECRET")) o.secret = s;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "missing value for %s\n", argv[i]);
      usage(1);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help")
      usage(0);
    else if (a == "--seed")
      o.mode = Mode::kSeed;
    else if (a == "--mix")
      o.mode = Mode::kMix;
    else if (a == "--op") {
      const auto op = op_from_name(need(i));
      if (!op) usage(1);
      o.mode = Mode::kSingle;
      o.op = *op;
    } else if (a == "--target") {
      std::stringstream targets(need(i));
      std::string url;
      while (std::getline(targets, url, ',')) {
        if (url.rfind("http://", 0) == 0) url = url.substr(7);
        if (const auto slash = url.find('/'); slash != std::string::npos) {
          if (o.path == "/") o.path = url.substr(slash);
          url = url.substr(0, slash);
        }
        const auto colon = url.rfind(':');
        if (colon == std::string::npos) usage(1);
        if (!o.ports.empty() && url.substr(0, colon) != o.host) usage(1);
        o.host = url.substr(0, colon);
        o.ports.push_back(url.substr(colon + 1));
      }
      if (o.ports.empty()) usage(1);
      o.port = o.ports.front();
    } else if (a == "--path")
      o.path = need(i);
    else if (a == "--secret")
      o.secret = need(i);
    else if (a == "--connections" || a == "-c")
      o.connections = std::stoi(need(i));
    else if (a == "--threads" || a == "-t")
      o.threads = std::stoi(need(i));
    else if (a == "--duration" || a == "-d") {
      o.duration_s = std::stod(need(i));
      o.duration_given = true;
    } else if (a == "--requests" || a == "-n")
      o.requests = std::stoull(need(i));
    else if (a == "--rate" || a == "-R")
      o.rate = std::stod(need(i));
    else if (a == "--weights") {
      std::stringstream ss(need(i));
      std::string part;
      for (int k = 0; k < kFlush + 1 && std::getline(ss, part, ','); ++k)
        o.weights[k] = std::stod(part);
    } else if (a == "--users")
      o.users = static_cast<std::uint32_t>(std::stoul(need(i)));
    else if (a == "--user-offset")
      o.user_offset = static_cast<std::uint32_t>(std::stoul(need(i)));
    else if (a == "--user-prefix")
      o.wp.user_prefix = need(i);
    else if (a == "--population-seed")
      o.wp.population_seed = std::stoull(need(i));
    else if (a == "--heavy-fraction")
      o.wp.heavy_fraction = std::stod(need(i));
    else if (a == "--items")
      o.wp.fixed_items = std::stoi(need(i));
    else if (a == "--typical-items") {
      std::stringstream ss(need(i));
      char c1, c2;
      ss >> o.wp.typical_min >> c1 >> o.wp.typical_median >> c2 >> o.wp.typical_max;
    } else if (a == "--heavy-items")
      std::tie(o.wp.heavy_min, o.wp.heavy_max) = parse_pair(need(i));
    else if (a == "--data-hex") {
      std::tie(o.wp.data_min, o.wp.data_max) = parse_pair(need(i));
      o.wp.custom_network_max = o.wp.data_max;
    } else if (a == "--small-items")
      o.wp.data_min = o.wp.data_max = o.wp.custom_network_max = 64;
    else if (a == "--upload-items")
      std::tie(o.wp.upload_min, o.wp.upload_max) = parse_pair(need(i));
    else if (a == "--json")
      o.json_path = need(i);
    else if (a == "--label")
      o.label = need(i);
    else if (a == "--emit-check")
      o.emit_check = need(i);
    else if (a == "--prepare-limit")
      o.prepare_limit = std::stoull(need(i));
    else if (a == "--push-connections")
      o.push_connections = std::stoi(need(i));
    else if (a == "--push-threads")
      o.push_threads = std::stoi(need(i));
    else if (a == "--no-progress")
      o.progress = false;
    else if (a == "--no-verify")
      o.verify = false;
    else if (a == "--no-metrics")
      o.scrape_metrics = false;
    else if (a == "--server-pid") {
      std::stringstream ss(need(i));
      std::string part;
      while (std::getline(ss, part, ','))
        if (!part.empty()) o.server_pids.push_back(std::stoi(part));
    } else if (a == "--rng-seed")
      o.rng_seed = std::stoull(need(i));
    else if (a == "--timeout")
      o.timeout_s = std::stod(need(i));
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      usage(1);
    }
  }
  if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "[::1]" && o.host != "::1" &&
      o.host.rfind("127.", 0) != 0) {
    std::fprintf(stderr, "refusing non-loopback target %s\n", o.host.c_str());
    std::exit(1);
  }
  if (o.requests && !o.duration_given) o.duration_s = 600;
  o.duration_s = std::min(o.duration_s, 3600.0);
  o.threads = std::max(1, o.threads);
  o.connections = std::max(o.threads, o.connections);
  if (o.users == 0) usage(1);
  if (o.mode != Mode::kSingle || o.op != kGet) {
    if (o.secret.empty()) {
      std::fprintf(stderr, "no JWT secret: --secret or PRIMESYNC_JWT_SECRET\n");
      std::exit(1);
    }
  }
  if (o.mode == Mode::kSeed) {
    o.requests = o.users;
    if (!o.duration_given) o.duration_s = 600;
  }
  if (o.mode == Mode::kSingle && o.op == kGet) o.verify = false, o.scrape_metrics = false;
  return o;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double cpu_seconds_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// Resident memory of a process, from /proc (0 when unreadable).
double rss_mb_of(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

// The push listeners' device numbers start here, past any device the mix sends from.
constexpr int kFirstListenerDevice = 64;

double cpu_seconds_of(int pid);
double cpu_seconds_of(const std::vector<int>& pids) {
  double s = 0;
  for (int p : pids) s += cpu_seconds_of(p);
  return s;
}
double cpu_seconds_of(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto rp = s.rfind(')');
  if (rp == std::string::npos) return 0;
  std::stringstream ss(s.substr(rp + 2));
  std::string field;
  unsigned long long ut = 0, st = 0;
  for (int i = 3; i <= 15 && ss >> field; ++i) {
    if (i == 14) ut = std::stoull(field);
    if (i == 15) st = std::stoull(field);
  }
  return double(ut + st) / double(sysconf(_SC_CLK_TCK));
}

struct Stats {
  Histogram hist[kOps];
  std::uint64_t ok[kOps] = {};
  std::uint64_t failed[kOps] = {};
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t check_in_sync = 0, check_out_of_sync = 0, upload_skipped = 0;
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  std::uint64_t busy_retries = 0;
  // verification
  std::uint64_t verified_users = 0, verified_items = 0, lost_items = 0, stale_items = 0;
  std::uint64_t verify_failures = 0;
  std::vector<std::string> loss_examples;

  void merge(const Stats& o) {
    for (int i = 0; i < kOps; ++i) {
      hist[i].merge(o.hist[i]);
      ok[i] += o.ok[i];
      failed[i] += o.failed[i];
    }
    for (const auto& [k, v] : o.errors) errors[k] += v;
    check_in_sync += o.check_in_sync;
    check_out_of_sync += o.check_out_of_sync;
    upload_skipped += o.upload_skipped;
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    busy_retries += o.busy_retries;
    verified_users += o.verified_users;
    verified_items += o.verified_items;
    lost_items += o.lost_items;
    stale_items += o.stale_items;
    verify_failures += o.verify_failures;
    for (const auto& e : o.loss_examples)
      if (loss_examples.size() < 10) loss_examples.push_back(e);
  }
};

struct Worker;

// One client thread: an io_context, its connections and its share of users.
struct Worker {
  const Options& opt;
  const Workload& wl;
  int index;
  asio::io_context ioc{1};
  std::vector<User> users;  // ids: user_offset + index + k * threads
  std::mt19937_64 rng;
  Stats stats;
  std::atomic<std::uint64_t> done{0}, errors{0};
  Clock::time_point start, deadline;
  std::uint64_t slot = 0, max_slots = 0;
  double interval_ns = 0;
  std::size_t seed_next = 0;
  std::string host_header;
  std::vector<std::size_t> verify_list;
  std::size_t verify_next = 0;
  double op_cdf[kOps] = {};

  Worker(const Options& o, const Workload& w, int idx)
      : opt(o),
        wl(w),
        index(idx),
        rng(o.rng_seed * 1000003ULL + std::uint64_t(idx)),
        host_header(o.host + ":" + o.port) {
    for (std::uint64_t id = o.user_offset + std::uint64_t(idx);
         id < std::uint64_t(o.user_offset) + o.users; id += std::uint64_t(o.threads))
      users.push_back(w.make_user(static_cast<std::uint32_t>(id)));
    double total = 0;
    for (int i = 0; i < kOps; ++i) total += o.weights[i];
    double acc = 0;
    for (int i = 0; i < kOps; ++i) {
      acc += total > 0 ? o.weights[i] / total : 0;
      op_cdf[i] = acc;
    }
  }

  void error(const std::string& what) {
    ++stats.errors[what];
    errors.fetch_add(1, std::memory_order_relaxed);
  }
};

struct Conn {
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  tcp::resolver::results_type endpoints;
};

struct Exchange {
  unsigned status = 0;
  std::string body;
  bool io_ok = false;
};

// The request head, written by hand: one allocation, and the head and the body
// go out in one gather write (one sendmsg). Beast parses the response.
std::string request_head(const Worker& w, const char* method, const std::string& path,
                         std::size_t body_size, const std::string* token,
                         const std::string* instance) {
  std::string head;
  head.reserve(512);
  head.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(w.host_header);
  if (token) head.append("\r\nX-Onekey-Request-Token: ").append(*token);
  if (instance) head.append("\r\nx-onekey-instance-id: ").append(*instance);
  if (method[0] == 'P')
    head.append("\r\nContent-Type: application/json\r\nContent-Length: ")
        .append(std::to_string(body_size));
  head.append("\r\n\r\n");
  return head;
}

asio::awaitable<Exchange> exchange(Worker& w, Conn& c, const std::string& head,
                                   const std::string& body) {
  Exchange ex;
  const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer(body)};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!c.stream) {
      c.stream.emplace(co_await asio::this_coro::executor);
      c.stream->expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(w.opt.timeout_s)));
      auto [ec, ep] = co_await c.stream->async_connect(c.endpoints, kNoThrow);
      if (ec) {
        w.error("io:connect:" + ec.message());
        c.stream.reset();
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await t.async_wait(kNoThrow);
        co_return ex;
      }
      c.stream->socket().set_option(tcp::no_delay(true));
      c.buffer.clear();
      // Beast reads at most the buffer's spare capacity (min 512 B) per
      // recvmsg; without this a 50 KB download took ~100 system calls.
      c.buffer.reserve(256 * 1024);
    }
    c.stream->expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(w.opt.timeout_s)));
    auto [wec, wn] = co_await asio::async_write(*c.stream, wire, kNoThrow);
    if (!wec) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(512ULL << 20);
      parser.header_limit(64 * 1024);
      auto [rec, rn] = co_await bhttp::async_read(*c.stream, c.buffer, parser, kNoThrow);
      if (!rec) {
        w.stats.bytes_sent += wn;
        w.stats.bytes_received += rn;
        auto res = parser.release();
        ex.status = res.result_int();
        ex.body = std::move(res.body());
        ex.io_ok = true;
        if (!res.keep_alive()) c.stream.reset();
        co_return ex;
      }
      c.stream.reset();
      // The server closed an idle keep-alive connection just as we reused it:
      // retry once on a fresh connection (nothing was answered).
      if (attempt == 0 && rn == 0 &&
          (rec == bhttp::error::end_of_stream || rec == asio::error::connection_reset ||
           rec == asio::error::eof))
        continue;
      w.error("io:read:" + rec.message());
      co_return ex;
    }
    c.stream.reset();
    if (attempt == 0 && (wec == asio::error::broken_pipe || wec == asio::error::connection_reset))
      continue;
    w.error("io:write:" + wec.message());
    co_return ex;
  }
  co_return ex;
}

// Envelope and payload parsing with simdjson On-Demand.
struct Parsed {
  bool json_ok = false;
  std::int64_t code = -1;
};

simdjson::padded_string_view padded(std::string& s) {
  s.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(s.data(), s.size(), s.capacity());
}

Parsed parse_code(simdjson::ondemand::parser& p, std::string& body,
                  simdjson::ondemand::document& doc) {
  Parsed r;
  if (p.iterate(padded(body)).get(doc)) return r;
  std::int64_t code = -1;
  if (doc.find_field_unordered("code").get_int64().get(code)) return r;
  r.json_ok = true;
  r.code = code;
  return r;
}

int find_item(const User& u, std::string_view hex_key) {
  Digest d{};
  if (!parse_hex_digest(hex_key, d)) return -1;
  for (int i = 0; i < u.items; ++i)
    if (u.keys[i] == d) return i;
  return -1;
}

// Records a finished request; returns the envelope code (or -1).
std::int64_t account(Worker& w, Op op, Exchange& ex, Clock::time_point t0,
                     simdjson::ondemand::parser& parser, simdjson::ondemand::document& doc,
                     Parsed& parsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  w.done.fetch_add(1, std::memory_order_relaxed);
  if (!ex.io_ok) {
    ++w.stats.failed[op];
    return -1;
  }
  const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(us, 0));
  if (op == kGet) {
    w.stats.hist[op].record(latency);
    if (ex.status == 200)
      ++w.stats.ok[op];
    else {
      ++w.stats.failed[op];
      w.error("http:" + std::to_string(ex.status));
    }
    return ex.status == 200 ? 0 : -1;
  }
  parsed = parse_code(parser, ex.body, doc);
  if (ex.status == 200 && parsed.json_ok && parsed.code == 0) {
    // Latency of served requests only: a refusal (42900, 50300) is fast by design
    // and would hide how long the admitted requests took.
    w.stats.hist[op].record(latency);
    ++w.stats.ok[op];
    return 0;
  }
  ++w.stats.failed[op];
  std::string e = "http:" + std::to_string(ex.status);
  if (parsed.json_ok)
    e += "/code:" + std::to_string(parsed.code);
  else
    e += "/unparsable";
  w.error(std::string(kOpNames[op]) + ":" + e);
  return parsed.code;
}

bool next_slot(Worker& w, Clock::time_point& intended) {
  if (w.max_slots && w.slot >= w.max_slots) return false;
  const auto now = Clock::now();
  if (w.opt.rate > 0) {
    intended = w.start +
               std::chrono::nanoseconds(static_cast<std::int64_t>(double(w.slot) * w.interval_ns));
    if (intended >= w.deadline) return false;
  } else {
    intended = now;
    if (now >= w.deadline) return false;
  }
  ++w.slot;
  return true;
}

Op pick_op(Worker& w) {
  if (w.opt.mode == Mode::kSingle) return w.opt.op;
  if (w.opt.mode == Mode::kSeed) return kFlush;
  const double r = std::uniform_real_distribution<double>(0, 1)(w.rng);
  for (int i = 0; i < kOps; ++i)
    if (r < w.op_cdf[i]) return static_cast<Op>(i);
  return kCheck;
}

// A user for `op`, honouring the one rule the client keeps: a flush (it
// replaces the whole set) never runs beside another request of the same user,
// or an acknowledged concurrent upload could legitimately be overwritten.
User* pick_user(Worker& w, Op op) {
  if (w.opt.mode == Mode::kSeed) {
    if (w.seed_next >= w.users.size()) return nullptr;
    return &w.users[w.seed_next++];
  }
  for (int tries = 0; tries < 32; ++tries) {
    User& u = w.users[w.rng() % w.users.size()];
    if (u.flushing) continue;
    if (op == kFlush && u.inflight) continue;
    return &u;
  }
  return nullptr;
}

// A connection (not yet connected) to the worker's target.
asio::awaitable<Conn> open_connection(const Worker& w) {
  static std::atomic<std::size_t> opened{0};
  Conn c;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  const std::string& port =
      w.opt.ports.empty() ? w.opt.port : w.opt.ports[opened++ % w.opt.ports.size()];
  c.endpoints = resolver.resolve(w.opt.host, port);
  co_return c;
}

asio::awaitable<void> load_connection(Worker& w) {
  Conn c = co_await open_connection(w);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string body;
  std::vector<std::pair<int, std::int64_t>> picked;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Clock::time_point intended;
  const std::string empty;
  const std::string get_head = request_head(w, "GET", w.opt.path, 0, nullptr, nullptr);
  while (next_slot(w, intended)) {
    if (w.opt.rate > 0 && intended > Clock::now()) {
      timer.expires_at(intended);
      co_await timer.async_wait(kNoThrow);
    }
    const Op op = pick_op(w);
    if (op == kGet) {
      const auto t0 = w.opt.rate > 0 ? intended : Clock::now();
      Exchange ex = co_await exchange(w, c, get_head, empty);
      Parsed parsed;
      account(w, op, ex, t0, parser, doc, parsed);
      continue;
    }
    User* u = pick_user(w, op);
    while (!u && w.opt.mode != Mode::kSeed && Clock::now() < w.deadline) {
      ++w.stats.busy_retries;
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(kNoThrow);
      u = pick_user(w, op);
    }
    if (!u) break;
    const std::int64_t now_ms = wall_ms();
    if (now_ms / 1000 >= u->token_renew_at) {
      u->token = w.wl.token(u->id, now_ms / 1000);
      u->token_renew_at =
          now_ms / 1000 + std::max<std::int64_t>(1, w.wl.params().jwt_ttl_seconds - 120);
    }
    const std::string& token = u->token;
    const std::string instance = w.wl.device_id(u->id, int(w.rng() % u->devices));
    std::string path;
    const char* method = "POST";
    switch (op) {
      case kCheck:
        path = "/prime/v1/sync/check";
        w.wl.check_body(*u, body);
        break;
      case kUpload:
        path = "/prime/v1/sync/upload";
        w.wl.upload_body(*u, now_ms, w.rng, body, picked);
        break;
      case kDownload:
        path = "/prime/v1/sync/download";
        w.wl.download_body(*u, body, {});
        break;
      case kGetLock:
        path = "/prime/v1/sync/lock";
        method = "GET";
        body.clear();
        break;
      case kFlush:
        path = "/prime/v1/sync/flush";
        w.wl.flush_body(*u, now_ms, w.rng, body);
        break;
      default:
        break;
    }
    ++u->inflight;
    if (op == kFlush) u->flushing = true;
    const auto t0 = w.opt.rate > 0 ? intended : Clock::now();
    const std::string head = request_head(w, method, path, body.size(), &token, &instance);
    Exchange ex = co_await exchange(w, c, head, body);
    --u->inflight;
    if (op == kFlush) u->flushing = false;
    Parsed parsed;
    if (account(w, op, ex, t0, parser, doc, parsed) != 0) continue;
    simdjson::ondemand::object data;
    switch (op) {
      case kUpload: {
        for (auto [idx, ts] : picked) u->acked[idx] = std::max(u->acked[idx], ts);
        u->touched = true;
        std::int64_t skipped = 0;
        if (!doc.find_field_unordered("data").get_object().get(data) &&
            !data.find_field_unordered("skipped").get_int64().get(skipped))
          w.stats.upload_skipped += std::uint64_t(skipped);
        break;
      }
      case kFlush:
        for (int i = 0; i < u->items; ++i) u->acked[i] = std::max(u->acked[i], u->ts[i]);
        u->touched = true;
        break;
      case kCheck: {
        // Like the real client, take what the server says is newer.
        bool in_sync = true;
        if (doc.find_field_unordered("data").get_object().get(data)) break;
        for (const char* field : {"deleted", "obsoleted", "diff", "updated"}) {
          simdjson::ondemand::array arr;
          if (data.find_field_unordered(field).get_array().get(arr)) continue;
          for (auto elem : arr) {
            in_sync = false;
            if (std::string_view(field) != "updated" && std::string_view(field) != "diff") continue;
            simdjson::ondemand::object item;
            std::string_view key;
            std::int64_t ts = 0;
            if (elem.get_object().get(item) ||
                item.find_field_unordered("key").get_string().get(key))
              continue;
            const std::string k(key);
            if (item.find_field_unordered("dataTimestamp").get_int64().get(ts)) continue;
            const int idx = find_item(*u, k);
            if (idx >= 0 && ts > u->ts[idx]) u->ts[idx] = ts;
          }
        }
        in_sync ? ++w.stats.check_in_sync : ++w.stats.check_out_of_sync;
        break;
      }
      default:
        break;
    }
  }
}

// Downloads every touched user of this worker and compares.
asio::awaitable<void> verify_connection(Worker& w) {
  Conn c = co_await open_connection(w);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string body;
  while (w.verify_next < w.verify_list.size()) {
    User& u = w.users[w.verify_list[w.verify_next++]];
    std::unordered_map<std::string, std::int64_t> server;
    std::string after;
    bool ok = true;
    for (int page = 0; page < 1000; ++page) {
      const std::string token = w.wl.token(u.id, wall_ms() / 1000);
      w.wl.download_body(u, body, after);
      const std::string head =
          request_head(w, "POST", "/prime/v1/sync/download", body.size(), &token, nullptr);
      Exchange ex = co_await exchange(w, c, head, body);
      Parsed parsed;
      if (!ex.io_ok || ex.status != 200 || !(parsed = parse_code(parser, ex.body, doc)).json_ok ||
          parsed.code != 0) {
        ok = false;
        break;
      }
      simdjson::ondemand::object data;
      simdjson::ondemand::array arr;
      if (doc.find_field_unordered("data").get_object().get(data) ||
          data.find_field_unordered("serverData").get_array().get(arr)) {
        ok = false;
        break;
      }
      for (auto elem : arr) {
        simdjson::ondemand::object item;
        std::string_view key;
        std::int64_t ts = 0;
        if (elem.get_object().get(item) || item.find_field_unordered("key").get_string().get(key)) {
          ok = false;
          continue;
        }
        after.assign(key);
        if (item.find_field_unordered("dataTimestamp").get_int64().get(ts)) {
          ok = false;
          continue;
        }
        server[after] = ts;
      }
      bool more = false;
      if (data.find_field_unordered("hasMore").get_bool().get(more) || !more) break;
    }
    if (!ok) {
      ++w.stats.verify_failures;
      w.error("verify:download-failed");
      continue;
    }
    ++w.stats.verified_users;
    std::string hex;
    for (int i = 0; i < u.items; ++i) {
      if (u.acked[i] == 0) continue;
      ++w.stats.verified_items;
      hex.clear();
      append_hex(hex, u.keys[i].data(), 64);
      const auto it = server.find(hex);
      if (it == server.end() || it->second < u.acked[i]) {
        it == server.end() ? ++w.stats.lost_items : ++w.stats.stale_items;
        if (w.stats.loss_examples.size() < 10)
          w.stats.loss_examples.push_back(
              w.wl.user_name(u.id) + " item " + std::to_string(i) + " key " + hex.substr(0, 16) +
              "… acked ts " + std::to_string(u.acked[i]) + ", server " +
              (it == server.end() ? std::string("missing") : std::to_string(it->second)));
      }
    }
  }
}

template <class F>
void spawn_guarded(Worker& w, F make) {
  asio::co_spawn(
      w.ioc,
      [&w, make]() -> asio::awaitable<void> {
        try {
          co_await make();
        } catch (const std::exception& e) {
          w.error(std::string("exception:") + e.what());
        }
      },
      asio::detached);
}

// A blocking GET of /metrics; returns the named counters.
std::map<std::string, double> scrape_metrics(const Options& o) {
  std::map<std::string, double> out;
  try {
    asio::io_context ioc;
    tcp::resolver r(ioc);
    beast::tcp_stream s(ioc);
    s.connect(r.resolve(o.host, o.port));
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/metrics", 11};
    req.set(bhttp::field::host, o.host);
    req.keep_alive(false);
    bhttp::write(s, req);
    beast::flat_buffer b;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, b, res);
    std::istringstream in(res.body());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto sp = line.rfind(' ');
      if (sp == std::string::npos) continue;
      const std::string name = line.substr(0, sp);
      if (name.find('{') != std::string::npos) continue;
      out[name] = std::atof(line.c_str() + sp + 1);
    }
  } catch (const std::exception&) {
  }
  return out;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      o += '\\', o += ch;
    else if (static_cast<unsigned char>(ch) < 0x20)
      o += ' ';
    else
      o += ch;
  }
  return o;
}

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  if (!opt.emit_check.empty()) {
    WorkloadParams wp = opt.wp;
    wp.jwt_ttl_seconds = 86400;
    const Workload ew(wp, opt.secret);
    User u = ew.make_user(opt.user_offset);
    std::string body;
    ew.check_body(u, body);
    std::ofstream(opt.emit_check) << body;
    std::ofstream(opt.emit_check + ".token") << ew.token(u.id, wall_ms() / 1000);
    std::fprintf(stderr, "loadgen: %s (%d items, %zu bytes) and %s.token written\n",
                 opt.emit_check.c_str(), int(u.items), body.size(), opt.emit_check.c_str());
    return 0;
  }
  const Workload wl(opt.wp, opt.secret);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < opt.threads; ++t) workers.push_back(std::make_unique<Worker>(opt, wl, t));

  const char* mode_name = opt.mode == Mode::kSeed  ? "seed"
                          : opt.mode == Mode::kMix ? "mix"
                                                   : kOpNames[opt.op];
  std::fprintf(stderr,
               "loadgen: %s against %s:%s, %u users (offset %u), %d connections, %d threads, %s, "
               "%.0fs bound%s\n",
               mode_name, opt.host.c_str(), opt.port.c_str(), opt.users, opt.user_offset,
               opt.connections, opt.threads,
               opt.rate > 0 ? ("open loop " + std::to_string(int(opt.rate)) + " req/s").c_str()
                            : "closed loop",
               opt.duration_s,
               opt.requests ? (", " + std::to_string(opt.requests) + " requests").c_str() : "");

  // Key derivation (SHA-512 per item) is the client's one-off cost; do it before
  // the clock starts so that the generator is not the bottleneck of a run.
  if (opt.mode != Mode::kSeed && !(opt.mode == Mode::kSingle && opt.op == kGet)) {
    std::uint64_t items = 0;
    for (auto& w : workers)
      for (auto& u : w->users) items += u.items;
    if (items <= opt.prepare_limit) {
      const auto p0 = Clock::now();
      std::vector<User*> all;
      for (auto& w : workers)
        for (auto& u : w->users) all.push_back(&u);
      const unsigned n = std::max(1U, std::thread::hardware_concurrency());
      std::vector<std::thread> helpers;
      for (unsigned k = 0; k < n; ++k)
        helpers.emplace_back([&, k] {
          for (std::size_t i = k; i < all.size(); i += n) wl.materialize(*all[i]);
        });
      for (auto& t : helpers) t.join();
      std::fprintf(stderr, "loadgen: derived %llu item keys in %.2f s\n",
                   static_cast<unsigned long long>(items),
                   std::chrono::duration<double>(Clock::now() - p0).count());
    }
  }

  std::map<std::string, double> m0;
  if (opt.scrape_metrics) m0 = scrape_metrics(opt);

  // Devices holding push connections open through the load.
  std::unique_ptr<PushListeners> listeners;
  double rss_before_push_mb = 0, rss_with_push_mb = 0;
  if (opt.push_connections > 0) {
    if (!opt.server_pids.empty()) rss_before_push_mb = rss_mb_of(opt.server_pids.front());
    PushListenerOptions push;
    push.host = opt.host;
    push.port = opt.ports.empty() ? opt.port : opt.ports.front();
    push.connections = opt.push_connections;
    push.threads = opt.push_threads;
    push.user_of = [&](int i) { return opt.user_offset + std::uint32_t(i) % opt.users; };
    // Past the devices the mix sends from, so every push is for someone else.
    push.instance_of = [&](int i) {
      return wl.device_id(opt.user_offset + std::uint32_t(i) % opt.users,
                          kFirstListenerDevice + i / int(opt.users));
    };
    push.token_of = [&](std::uint32_t user) { return wl.token(user, wall_ms() / 1000); };
    listeners = std::make_unique<PushListeners>(std::move(push));
    const auto connect_start = Clock::now();
    listeners->connect();
    if (!opt.server_pids.empty()) rss_with_push_mb = rss_mb_of(opt.server_pids.front());
    std::fprintf(stderr, "loadgen: %d push connections opened in %.1f s\n", opt.push_connections,
                 std::chrono::duration<double>(Clock::now() - connect_start).count());
  }

  const auto start = Clock::now();
  const double cpu0 = cpu_seconds_self();
  const double srv0 = cpu_seconds_of(opt.server_pids);
  for (int t = 0; t < opt.threads; ++t) {
    Worker& w = *workers[t];
    w.start = start;
    w.deadline = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(opt.duration_s));
    if (opt.requests)
      w.max_slots = opt.requests / std::uint64_t(opt.threads) +
                    (std::uint64_t(t) < opt.requests % std::uint64_t(opt.threads) ? 1 : 0);
    if (opt.mode == Mode::kSeed) w.max_slots = w.users.size();
    if (opt.rate > 0) w.interval_ns = 1e9 * opt.threads / opt.rate;
    const int conns = opt.connections / opt.threads + (t < opt.connections % opt.threads ? 1 : 0);
    for (int k = 0; k < conns; ++k) spawn_guarded(w, [&w] { return load_connection(w); });
  }

  // Progress on stderr.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread progress([&] {
    if (!opt.progress) return;
    std::uint64_t last = 0;
    auto last_t = Clock::now();
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::duration<double>(opt.progress_every_s),
                        [&] { return finished; })) {
      std::uint64_t d = 0, e = 0;
      for (auto& w : workers)
        d += w->done.load(std::memory_order_relaxed),
            e += w->errors.load(std::memory_order_relaxed);
      const auto now = Clock::now();
      const double dt = std::chrono::duration<double>(now - last_t).count();
      std::fprintf(stderr, "  [%5.1fs] %llu requests, %.0f req/s now, %llu errors\n",
                   std::chrono::duration<double>(now - start).count(),
                   static_cast<unsigned long long>(d), double(d - last) / dt,
                   static_cast<unsigned long long>(e));
      last = d;
      last_t = now;
    }
  });

  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->ioc.run(); });
  for (auto& t : threads) t.join();
  const auto end = Clock::now();
  const double cpu1 = cpu_seconds_self();
  const double srv1 = cpu_seconds_of(opt.server_pids);
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  progress.join();
  std::map<std::string, double> m1;
  if (opt.scrape_metrics) m1 = scrape_metrics(opt);
  std::optional<PushListenerReport> push_report;
  if (listeners) push_report = listeners->stop();

  // Verification.
  const auto v0 = Clock::now();
  if (opt.verify) {
    threads.clear();
    std::size_t touched = 0;
    for (auto& w : workers) {
      for (std::size_t k = 0; k < w->users.size(); ++k)
        if (w->users[k].touched) w->verify_list.push_back(k);
      touched += w->verify_list.size();
      w->ioc.restart();
      const int conns =
          std::max(1, std::min<int>(int(w->verify_list.size()), opt.connections / opt.threads));
      for (int k = 0; k < conns; ++k) spawn_guarded(*w, [&w] { return verify_connection(*w); });
    }
    if (touched) std::fprintf(stderr, "loadgen: verifying %zu touched users...\n", touched);
    for (auto& w : workers) threads.emplace_back([&w] { w->ioc.run(); });
    for (auto& t : threads) t.join();
  }
  const double verify_s = std::chrono::duration<double>(Clock::now() - v0).count();

  Stats all;
  for (auto& w : workers) all.merge(w->stats);
  const double secs = std::chrono::duration<double>(end - start).count();
  std::uint64_t total = 0, total_failed = 0;
  for (int i = 0; i < kOps; ++i) total += all.ok[i] + all.failed[i], total_failed += all.failed[i];

  // Table.
  std::printf("\n%s%s: %.2f s, %llu requests, %.1f req/s, %llu failed; loadgen CPU %.2f cores",
              opt.label.empty() ? "" : (opt.label + " — ").c_str(), mode_name, secs,
              static_cast<unsigned long long>(total), double(total) / secs,
              static_cast<unsigned long long>(total_failed), (cpu1 - cpu0) / secs);
  if (!opt.server_pids.empty())
    std::printf(", server CPU %.2f cores (%.1f µs/request)", (srv1 - srv0) / secs,
                total ? (srv1 - srv0) * 1e6 / double(total) : 0.0);
  std::printf(", loadgen %.1f µs/request", total ? (cpu1 - cpu0) * 1e6 / double(total) : 0.0);
  if (opt.rate > 0) std::printf(", offered %.0f req/s (open loop)", opt.rate);
  std::printf("\n%-10s %9s %10s %9s %9s %9s %9s %9s %7s\n", "op", "count", "req/s", "p50 ms",
              "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
  for (int i = 0; i < kOps; ++i) {
    const auto& h = all.hist[i];
    if (all.ok[i] + all.failed[i] == 0) continue;
    std::printf("%-10s %9llu %10.1f %9.3f %9.3f %9.3f %9.3f %9.3f %7llu\n", kOpNames[i],
                static_cast<unsigned long long>(all.ok[i] + all.failed[i]),
                double(all.ok[i] + all.failed[i]) / secs, h.quantile(0.5) / 1e3,
                h.quantile(0.9) / 1e3, h.quantile(0.99) / 1e3, h.quantile(0.999) / 1e3,
                h.max() / 1e3, static_cast<unsigned long long>(all.failed[i]));
  }
  for (const auto& [k, v] : all.errors)
    std::printf("  error %-40s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  if (all.check_in_sync + all.check_out_of_sync)
    std::printf("  checks in sync: %llu of %llu\n",
                static_cast<unsigned long long>(all.check_in_sync),
                static_cast<unsigned long long>(all.check_in_sync + all.check_out_of_sync));
  const double batches = m1["primesync_store_batches_total"] - m0["primesync_store_batches_total"];
  const double batched =
      m1["primesync_store_batched_writes_total"] - m0["primesync_store_batched_writes_total"];
  if (batches > 0)
    std::printf("  store queue: %.0f commits carrying %.0f writes (mean batch %.2f)\n", batches,
                batched, batched / batches);
  const double hits = m1["primesync_cache_hits_total"] - m0["primesync_cache_hits_total"];
  const double misses = m1["primesync_cache_misses_total"] - m0["primesync_cache_misses_total"];
  if (hits + misses > 0)
    std::printf("  user-state cache: %.0f hits, %.0f misses (hit ratio %.3f), %.0f MB held\n", hits,
                misses, hits / (hits + misses), m1["primesync_cache_bytes"] / 1e6);
  std::printf("  traffic: %.1f MB sent, %.1f MB received\n", all.bytes_sent / 1e6,
              all.bytes_received / 1e6);
  const bool lost = all.lost_items + all.stale_items > 0;
  if (opt.verify) {
    std::printf(
        "  verify: %llu users, %llu acknowledged items checked, %llu missing, %llu older than "
        "acknowledged, %llu downloads failed (%.1f s) — %s\n",
        static_cast<unsigned long long>(all.verified_users),
        static_cast<unsigned long long>(all.verified_items),
        static_cast<unsigned long long>(all.lost_items),
        static_cast<unsigned long long>(all.stale_items),
        static_cast<unsigned long long>(all.verify_failures), verify_s,
        lost ? "LOSS" : (all.verify_failures ? "INCOMPLETE" : "OK"));
    for (const auto& e : all.loss_examples) std::printf("    lost: %s\n", e.c_str());
  }
  if (push_report) {
    const auto& p = *push_report;
    std::printf(
        "  push: %llu connections held (%llu failed to connect, %llu closed by the server), server "
        "RSS %.1f MB → %.1f MB with them; events: %llu CONFIG_CHANGE, %llu CONFIG_FLUSH, %llu "
        "LOCK_CHANGE, %llu pings; CONFIG_CHANGE upload-sent → arrival p50 %.1f ms, p90 %.1f ms, "
        "p99 %.1f ms, max %.1f ms\n",
        static_cast<unsigned long long>(p.connected),
        static_cast<unsigned long long>(p.connect_failures),
        static_cast<unsigned long long>(p.disconnects), rss_before_push_mb, rss_with_push_mb,
        static_cast<unsigned long long>(p.config_changes),
        static_cast<unsigned long long>(p.flushes), static_cast<unsigned long long>(p.lock_changes),
        static_cast<unsigned long long>(p.pings), p.latency_us.quantile(0.5) / 1e3,
        p.latency_us.quantile(0.9) / 1e3, p.latency_us.quantile(0.99) / 1e3,
        p.latency_us.max() / 1e3);
  }
  std::fflush(stdout);

  if (!opt.json_path.empty()) {
    std::ofstream j(opt.json_path);
    j << "{\"label\":\"" << json_escape(opt.label) << "\",\"mode\":\"" << mode_name
      << "\",\"target\":\"" << opt.host << ":" << opt.port
      << "\",\"connections\":" << opt.connections << ",\"threads\":" << opt.threads
      << ",\"users\":" << opt.users << ",\"rate\":" << opt.rate << ",\"seconds\":" << secs
      << ",\"requests\":" << total << ",\"failed\":" << total_failed
      << ",\"rps\":" << double(total) / secs << ",\"loadgen_cpu_cores\":" << (cpu1 - cpu0) / secs
      << ",\"server_cpu_cores\":" << (srv1 - srv0) / secs
      << ",\"server_cpu_us_per_req\":" << (total ? (srv1 - srv0) * 1e6 / double(total) : 0.0)
      << ",\"loadgen_cpu_us_per_req\":" << (total ? (cpu1 - cpu0) * 1e6 / double(total) : 0.0)
      << ",\"ops\":{";
    bool first = true;
    for (int i = 0; i < kOps; ++i) {
      const auto& h = all.hist[i];
      if (all.ok[i] + all.failed[i] == 0) continue;
      if (!first) j << ",";
      first = false;
      j << "\"" << kOpNames[i] << "\":{\"count\":" << all.ok[i] + all.failed[i]
        << ",\"ok\":" << all.ok[i] << ",\"failed\":" << all.failed[i]
        << ",\"rps\":" << double(all.ok[i] + all.failed[i]) / secs
        << ",\"p50_ms\":" << h.quantile(0.5) / 1e3 << ",\"p90_ms\":" << h.quantile(0.9) / 1e3
        << ",\"p99_ms\":" << h.quantile(0.99) / 1e3 << ",\"p999_ms\":" << h.quantile(0.999) / 1e3
        << ",\"max_ms\":" << h.max() / 1e3 << ",\"mean_ms\":" << h.mean() / 1e3 << "}";
    }
    j << "},\"errors\":{";
    first = true;
    for (const auto& [k, v] : all.errors) {
      if (!first) j << ",";
      first = false;
      j << "\"" << json_escape(k) << "\":" << v;
    }
    j << "},\"check_in_sync\":" << all.check_in_sync
      << ",\"check_out_of_sync\":" << all.check_out_of_sync
      << ",\"upload_skipped\":" << all.upload_skipped << ",\"store_batches\":" << batches
      << ",\"store_batched_writes\":" << batched
      << ",\"mean_batch\":" << (batches > 0 ? batched / batches : 0.0)
      << ",\"cache_hit_ratio\":" << (hits + misses > 0 ? hits / (hits + misses) : 0.0)
      << ",\"bytes_sent\":" << all.bytes_sent << ",\"bytes_received\":" << all.bytes_received
      << ",\"verify\":{\"enabled\":" << (opt.verify ? "true" : "false")
      << ",\"users\":" << all.verified_users << ",\"items\":" << all.verified_items
      << ",\"missing\":" << all.lost_items << ",\"stale\":" << all.stale_items
      << ",\"download_failures\":" << all.verify_failures
      << ",\"ok\":" << (!lost && all.verify_failures == 0 ? "true" : "false") << "}";
    if (push_report) {
      const auto& p = *push_report;
      j << ",\"push\":{\"connections\":" << p.connected
        << ",\"connect_failures\":" << p.connect_failures << ",\"disconnects\":" << p.disconnects
        << ",\"config_changes\":" << p.config_changes
        << ",\"server_rss_mb_before\":" << rss_before_push_mb
        << ",\"server_rss_mb_with\":" << rss_with_push_mb
        << ",\"p50_ms\":" << p.latency_us.quantile(0.5) / 1e3
        << ",\"p99_ms\":" << p.latency_us.quantile(0.99) / 1e3
        << ",\"max_ms\":" << p.latency_us.max() / 1e3 << "}";
    }
    j << "}\n";
  }
  return lost ? 2 : 0;
}

}  // namespace
}  // namespace primesync::loadgen

int main(int argc, char** argv) {
  try {
    return primesync::loadgen::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "primesync-loadgen: %s\n", e.what());
    return 1;
  }
}
