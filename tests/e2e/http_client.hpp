// A small blocking HTTP/1.1 client over POSIX sockets for the e2e tests. One
// instance is one keep-alive connection; it can also write raw bytes so tests can
// send malformed requests. Deliberately free of Asio/Beast to keep builds fast.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace primesync::e2e {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;

  // The first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
  // Whether the server intends to keep the connection open afterwards.
  [[nodiscard]] bool keep_alive() const;
};

// Thrown on connection, timeout or framing errors (never for HTTP error statuses).
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;

  // Sends one request (adding Host and Content-Length) and reads its response.
  // Connects first when not connected; never retries, so a POST is sent once.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {});

  // Writes `bytes` verbatim and reads one response. A write the peer refuses
  // mid-way (it may answer early and close, e.g. 413) still reads the answer.
  HttpResponse send_raw(std::string_view bytes);

  // Lower-level halves of send_raw, e.g. for pipelining.
  void write_raw(std::string_view bytes);
  HttpResponse read_response(bool head_request = false);

  // True when the peer closed the connection (reads EOF without blocking long).
  [[nodiscard]] bool peer_closed(std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  void close();
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // How many TCP connections this client has opened (keep-alive checks).
  [[nodiscard]] int connect_count() const { return connect_count_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void ensure_connected();
  // Reads more bytes into buffer_; false on orderly EOF.
  bool fill(std::chrono::steady_clock::time_point deadline);
  std::string read_line(std::chrono::steady_clock::time_point deadline);
  std::string read_exact(std::size_t n, std::chrono::steady_clock::time_point deadline);

  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int connect_count_ = 0;
  bool write_failed_ = false;
  std::string buffer_;  // bytes read but not yet consumed
};

}  // namespace primesync::e2e
