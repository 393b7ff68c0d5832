#include "server_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr auto kStartDeadline = std::chrono::seconds(30);
constexpr int kMongoDbIterationDivisor = 5;

std::uint16_t pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

ExitStatus decode(int raw) {
  ExitStatus status;
  if (WIFEXITED(raw)) {
    status.exited = true;
    status.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  }
  return status;
}

// Polls waitpid until the child exits or the deadline passes (then SIGKILLs it).
ExitStatus wait_for_exit(pid_t pid, std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    int raw = 0;
    pid_t got = ::waitpid(pid, &raw, WNOHANG);
    if (got == pid) return decode(raw);
    if (got < 0 && errno != EINTR) return ExitStatus{};
    if (Clock::now() >= until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &raw, 0);
      ExitStatus status = decode(raw);
      status.timed_out = true;
      return status;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::optional<std::filesystem::path> server_binary() {
  if (const char* override_path = std::getenv("PRIMESYNC_SERVER_BINARY_OVERRIDE");
      override_path != nullptr && *override_path != '\0') {
    return std::filesystem::path(override_path);
  }
#ifdef PRIMESYNC_SERVER_BINARY
  return std::filesystem::path(PRIMESYNC_SERVER_BINARY);
#else
  return std::nullopt;
#endif
}

int iterations_for_store_under_test(int on_embedded_store) {
  if (store_under_test() == StoreKind::rocksdb) return on_embedded_store;
  return std::max(1, on_embedded_store / kMongoDbIterationDivisor);
}

std::optional<std::string> missing_prerequisite(const ServerOptions& options) {
  if (options.store.value_or(store_under_test()) == StoreKind::mongodb && !test_mongodb_uri()) {
    return "the mongodb store needs PRIMESYNC_TEST_MONGODB_URI (eval \"$(tools/testenv/up)\")";
  }
  return std::nullopt;
}

std::string ExitStatus::describe() const {
  std::string text =
      exited ? "exit code " + std::to_string(code) : "killed by signal " + std::to_string(signal);
  if (timed_out) text += " (did not exit before the deadline; SIGKILLed)";
  return text;
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  auto binary = server_binary();
  if (!binary) throw std::runtime_error("primesync-server binary not configured");
  binary_ = *binary;
  std::string pattern = (std::filesystem::temp_directory_path() / "primesync-e2e-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
  }
  temp_dir_ = pattern;
  data_dir_ = temp_dir_ / "data";
  log_path_ = temp_dir_ / "server.log";
  std::filesystem::create_directory(data_dir_);
  if (!options_.config_toml.empty()) {
    config_path_ = temp_dir_ / "config.toml";
    std::ofstream(config_path_) << options_.config_toml;
  }
  store_ = options_.store.value_or(store_under_test());
  if (store_ == StoreKind::mongodb) {
    if (auto reason = missing_prerequisite(options_)) throw std::runtime_error(*reason);
    mongodb_uri_ = *test_mongodb_uri();
    mongodb_database_ = options_.mongodb_database;
    if (mongodb_database_.empty()) {
      const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
      owned_database_ = std::make_unique<ScratchDatabase>(
          mongodb_uri_, test == nullptr ? "server" : std::string(test->name()));
      mongodb_database_ = owned_database_->name();
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
  owned_database_.reset();  // the server is gone: drop its database
  std::error_code ignored;
  if (std::getenv("PRIMESYNC_E2E_KEEP_TEMP") == nullptr) {
    std::filesystem::remove_all(temp_dir_, ignored);
  }
}

std::vector<std::string> ServerProcess::server_args() const {
  std::vector<std::string> args;
  if (!config_path_.empty()) args.insert(args.end(), {"--config", config_path_.string()});
  args.insert(args.end(), {"--listen", "127.0.0.1:" + std::to_string(port_), "--data-dir",
                           data_dir_.string(), "--threads", std::to_string(options_.threads)});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

pid_t ServerProcess::spawn(const std::vector<std::string>& args,
                           const std::filesystem::path& output) const {
  // Everything the child needs is prepared before fork: only async-signal-safe
  // calls happen between fork and exec.
  std::vector<std::string> storage;
  storage.push_back(binary_.string());
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // A hermetic environment: no PRIMESYNC_* from the caller except our secret.
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "PRIMESYNC_", 10) != 0) env_storage.emplace_back(*entry);
  }
  env_storage.push_back("PRIMESYNC_JWT_SECRET=" + options_.jwt_secret);
  // libmongoc initialises itself at load, in every process of the binary, and keeps
  // its counters in /dev/shm/mongoc-<pid>; a process killed with SIGKILL (the
  // durability tests kill hundreds) leaves its segment, and a later process with
  // the same pid prints a warning on stderr, mixed into a command's output.
  env_storage.emplace_back("MONGOC_DISABLE_SHM=1");
  if (store_ == StoreKind::mongodb) {
    env_storage.push_back("PRIMESYNC_SYNC_ADAPTERS_STORE=mongodb");
    env_storage.push_back("PRIMESYNC_SYNC_ADAPTERS_MONGODB_URI=" + mongodb_uri_);
    env_storage.push_back("PRIMESYNC_SYNC_ADAPTERS_MONGODB_DATABASE=" + mongodb_database_);
  }
  for (const auto& [name, value] : options_.environment) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const std::string out_path = output.string();
  const std::string cwd = temp_dir_.string();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Die with the test process so a crashed test never leaks a server.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

void ServerProcess::start() {
  if (pid_ > 0) throw std::runtime_error("server already running");
  port_ = pick_free_port();
  {
    std::ofstream log(log_path_, std::ios::app);
    log << "=== e2e: starting on port " << port_ << ", store " << store_name(store_);
    if (store_ == StoreKind::mongodb) log << " (database " << mongodb_database_ << ")";
    log << " ===\n";
  }
  pid_ = spawn(server_args(), log_path_);
  wait_until_healthy(kStartDeadline);
}

void ServerProcess::wait_until_healthy(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string last_error = "no attempt";
  while (Clock::now() < until) {
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited during start-up (" + decode(raw).describe() +
                               "); log tail:\n" + log_tail());
    }
    try {
      HttpClient probe("127.0.0.1", port_, std::chrono::seconds(2));
      HttpResponse response = probe.request("GET", "/healthz");
      if (response.status == 200) return;
      last_error = "GET /healthz answered " + std::to_string(response.status);
    } catch (const HttpError& error) {
      last_error = error.what();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  throw std::runtime_error("server not healthy within the deadline (last: " + last_error +
                           "); log tail:\n" + log_tail());
}

ExitStatus ServerProcess::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) throw std::runtime_error("server not running");
  ::kill(pid_, SIGTERM);
  ExitStatus status = wait_for_exit(pid_, deadline);
  pid_ = -1;
  return status;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  ::waitpid(pid_, &raw, 0);
  pid_ = -1;
}

void ServerProcess::restart() {
  if (pid_ > 0) {
    ExitStatus status = stop();
    if (!status.clean()) throw std::runtime_error("stop before restart: " + status.describe());
  }
  start();
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::log_tail(std::size_t lines) const {
  std::istringstream in(read_file(log_path_));
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& line : tail) out += line + "\n";
  return out;
}

CommandResult ServerProcess::run_command(const std::vector<std::string>& args,
                                         std::chrono::milliseconds deadline) const {
  static int counter = 0;
  const auto output = temp_dir_ / ("command-" + std::to_string(++counter) + ".out");
  pid_t pid = spawn(args, output);
  CommandResult result;
  result.status = wait_for_exit(pid, deadline);
  result.output = read_file(output);
  return result;
}

void ServerTest::SetUp() {
  PRIMESYNC_E2E_REQUIRE_BINARY();
  ServerOptions options = server_options();
  if (auto reason = missing_prerequisite(options)) {
    print_mongodb_skip_banner();
    GTEST_SKIP() << "*** " << *reason << ": e2e test NOT RUN ***";
  }
  server_ = std::make_unique<ServerProcess>(std::move(options));
  server_->start();
}

void ServerTest::TearDown() {
  if (HasFailure() && server_) {
    std::cerr << "---- server log tail (" << server_->log_path() << ") ----\n"
              << server_->log_tail() << "---- end of server log ----\n";
  }
}

}  // namespace primesync::e2e
