#include "testenv/ctl.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <thread>

namespace primesync::testenv {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kCtlDeadline = 240s;  // ctl's own readiness wait is 180 s
constexpr auto kPoll = 100ms;
constexpr std::size_t kChunkBytes = 512;

}  // namespace

CtlResult run_testenv_ctl(const std::string& service, const std::string& command) {
  const std::string script =
      (std::filesystem::path(PRIMESYNC_SOURCE_DIR) / "tools/testenv/ctl").string();
  std::array<int, 2> out_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return {};
  const pid_t child = ::fork();
  if (child < 0) return {};
  if (child == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    // The server it starts must not inherit this process's sockets.
    ::close_range(STDERR_FILENO + 1, ~0U, 0);
    ::execl(script.c_str(), script.c_str(), service.c_str(), command.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  CtlResult result;
  const auto until = Clock::now() + kCtlDeadline;
  bool open = true;
  while (Clock::now() < until) {
    if (open) {
      pollfd readable{out_pipe[0], POLLIN, 0};
      const auto poll_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kPoll).count();
      if (::poll(&readable, 1, static_cast<int>(poll_ms)) > 0) {
        std::array<char, kChunkBytes> chunk{};
        const ssize_t n = ::read(out_pipe[0], chunk.data(), chunk.size());
        if (n > 0) {
          result.out.append(chunk.data(), static_cast<std::size_t>(n));
        } else {
          open = false;
        }
      }
      continue;
    }
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      ::close(out_pipe[0]);
      return result;
    }
    std::this_thread::sleep_for(kPoll);
  }
  ADD_FAILURE() << "tools/testenv/ctl " << service << " " << command
                << " did not finish before the deadline; killed";
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(out_pipe[0]);
  return result;
}

}  // namespace primesync::testenv
