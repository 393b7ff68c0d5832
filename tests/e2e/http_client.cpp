#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

bool HttpResponse::keep_alive() const {
  auto connection = header("Connection");
  return !(connection && iequals(trim(*connection), "close"));
}

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() {
  close();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      timeout_(other.timeout_),
      fd_(std::exchange(other.fd_, -1)),
      connect_count_(other.connect_count_),
      write_failed_(other.write_failed_),
      buffer_(std::move(other.buffer_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    timeout_ = other.timeout_;
    fd_ = std::exchange(other.fd_, -1);
    connect_count_ = other.connect_count_;
    write_failed_ = other.write_failed_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  write_failed_ = false;
}

void HttpClient::ensure_connected() {
  if (fd_ >= 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    throw HttpError("not an IPv4 address: " + host_);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw HttpError(errno_text("socket"));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::string error = errno_text("connect to " + host_ + ":" + std::to_string(port_));
    ::close(fd);
    throw HttpError(error);
  }
  fd_ = fd;
  ++connect_count_;
  buffer_.clear();
  write_failed_ = false;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body, const Headers& headers) {
  std::string head;
  head.reserve(256 + body.size());
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  head.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    head.append(name).append(": ").append(value).append("\r\n");
    has_length = has_length || iequals(name, "Content-Length");
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
    head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  head.append("\r\n").append(body);
  write_raw(head);
  HttpResponse response = read_response(method == "HEAD");
  if (!response.keep_alive()) close();
  return response;
}

HttpResponse HttpClient::send_raw(std::string_view bytes) {
  write_raw(bytes);
  HttpResponse response = read_response();
  if (!response.keep_alive()) close();
  return response;
}

void HttpClient::write_raw(std::string_view bytes) {
  ensure_connected();
  const auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd_, POLLOUT, 0};
      int ready = ::poll(&pfd, 1, remaining_ms(deadline));
      if (ready == 0) throw HttpError("timed out writing the request");
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      // The server answered early and stopped reading; its answer may be buffered.
      write_failed_ = true;
      return;
    }
    throw HttpError(errno_text("send"));
  }
}

bool HttpClient::fill(Clock::time_point deadline) {
  char chunk[16384];
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) throw HttpError("timed out waiting for the response");
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return false;
    throw HttpError(errno_text("recv"));
  }
}

std::string HttpClient::read_line(Clock::time_point deadline) {
  for (;;) {
    auto pos = buffer_.find("\r\n");
    if (pos != std::string::npos) {
      std::string line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 2);
      return line;
    }
    if (!fill(deadline)) throw HttpError("connection closed before a complete line");
  }
}

std::string HttpClient::read_exact(std::size_t n, Clock::time_point deadline) {
  while (buffer_.size() < n) {
    if (!fill(deadline)) throw HttpError("connection closed inside the body");
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

HttpResponse HttpClient::read_response(bool head_request) {
  if (fd_ < 0) throw HttpError("not connected");
  const auto deadline = Clock::now() + timeout_;
  HttpResponse response;
  std::string status_line;
  try {
    status_line = read_line(deadline);
  } catch (const HttpError& error) {
    const bool write_failed = write_failed_;
    close();
    throw HttpError(
        std::string(write_failed ? "peer closed while we were writing: " : "no status line: ") +
        error.what());
  }
  // "HTTP/1.1 200 OK"
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    close();
    throw HttpError("bad status line: " + status_line);
  }
  response.status = std::stoi(status_line.substr(9, 3));
  response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  for (;;) {
    std::string line = read_line(deadline);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos) throw HttpError("bad header line: " + line);
    response.headers.emplace_back(std::string(trim(std::string_view(line).substr(0, colon))),
                                  std::string(trim(std::string_view(line).substr(colon + 1))));
  }
  const bool no_body = head_request || response.status == 204 || response.status == 304 ||
                       response.status / 100 == 1;
  auto encoding = response.header("Transfer-Encoding");
  auto length = response.header("Content-Length");
  if (no_body) {
    // nothing to read
  } else if (encoding && iequals(trim(*encoding), "chunked")) {
    for (;;) {
      std::size_t size = std::stoul(read_line(deadline), nullptr, 16);
      if (size == 0) {
        while (!read_line(deadline).empty()) {
        }  // trailers
        break;
      }
      response.body += read_exact(size, deadline);
      read_line(deadline);
    }
  } else if (length) {
    response.body = read_exact(std::stoul(*length), deadline);
  } else {
    // Body delimited by close.
    while (fill(deadline)) {
    }
    response.body = std::move(buffer_);
    buffer_.clear();
    close();
  }
  return response;
}

bool HttpClient::peer_closed(std::chrono::milliseconds wait) {
  if (fd_ < 0) return true;
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return false;
  char byte;
  ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace primesync::e2e
