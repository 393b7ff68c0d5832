// The admin endpoint (README "Operator tooling"): list, export and delete users
// and back up the embedded store while the server runs, guarded by its own
// token (admin.token, sent as `Authorization: Bearer <token>`). The logic is
// admin/operator_tools' and the SyncService's; this turns a request into a call
// and the answer into an envelope.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "http/types.hpp"
#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "primesync/store.hpp"
#include "primesync/sync_service.hpp"

namespace primesync {
class RocksDbStore;
}  // namespace primesync

namespace primesync::http {

// What the admin endpoint works on besides the service.
struct AdminTargets {
  Store* store = nullptr;           // user listing; null: the endpoint stays off
  RocksDbStore* backups = nullptr;  // null on a store primesync cannot back up
};

// Users listed by one request when it gives no limit, and the most it may ask for.
inline constexpr std::size_t admin_default_list_users = 1000;
inline constexpr std::size_t admin_max_list_users = 10000;

class AdminRoutes {
 public:
  AdminRoutes(const AdminConfig& config, SyncService& service, AdminTargets targets);
  ~AdminRoutes();
  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;

  // Off (its paths answer 404) without a token or a store.
  [[nodiscard]] bool enabled() const noexcept;

  // admin_unauthorized unless the request carries the admin token (compared in
  // constant time).
  [[nodiscard]] std::optional<Failure> authorize(const Request& request) const;

  // Each answers the whole envelope body, or the failure to encode.
  // GET /admin/v1/users?limit=N&after=ID: {"users": [...], "next": ID | null}.
  boost::asio::awaitable<Outcome<std::string>> list_users(std::string_view query);
  // GET /admin/v1/users/{id}: admin::write_user_export's document.
  boost::asio::awaitable<Outcome<std::string>> export_user(std::string_view encoded_user_id);
  // DELETE /admin/v1/users/{id}: DeleteUserResponse.
  boost::asio::awaitable<Outcome<std::string>> delete_user(std::string_view encoded_user_id);
  // POST /admin/v1/backup {"to": DIR}: {"to": DIR}.
  boost::asio::awaitable<Outcome<std::string>> backup(std::string_view body);

  // The user id of a path parameter (percent-decoded), or why it is not one.
  [[nodiscard]] static Outcome<std::string> decode_user_id(std::string_view encoded);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync::http
