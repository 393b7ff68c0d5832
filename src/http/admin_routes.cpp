#include "http/admin_routes.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>

#include "admin/operator_tools.hpp"
#include "http/await_completion.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/response_encoder.hpp"

namespace primesync::http {
namespace {

constexpr std::string_view bearer_scheme = "Bearer ";
constexpr std::size_t max_user_id_bytes = 256;
constexpr int hex_radix = 16;

// Whether `given` is `expected`, in time that depends on their lengths only.
bool same_token(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

// The raw value of `name` in a query string ("a=1&b=2"), if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    const char* first = text.data() + i + 1;
    if (i + 2 >= text.size() ||
        std::from_chars(first, first + 2, value, hex_radix).ptr != first + 2) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

}  // namespace

struct AdminRoutes::Impl {
  Impl(const AdminConfig& config, SyncService& service, AdminTargets targets)
      : token(config.token), service(service), targets(targets) {}
  ~Impl() { blocking.join(); }

  // Runs `work` (which blocks on the store) on the admin thread, never on an I/O
  // thread, and resumes the coroutine with its outcome. `work` is the caller's
  // local: GCC 12 may destroy a temporary with a destructor in a co_await
  // expression twice, so none is passed.
  template <typename Work>
  boost::asio::awaitable<Outcome<std::string>> off_the_io_thread(Work& work) {
    co_return co_await await_completion<std::string>([&](Completion<std::string> done) {
      boost::asio::post(blocking, [&work, done = std::move(done)]() {
        try {
          done(work());
        } catch (const StoreUnavailable& error) {
          done(fail(Error::unavailable, error.what()));
        }
      });
    });
  }

  std::string token;
  SyncService& service;
  AdminTargets targets;
  boost::asio::thread_pool blocking{1};  // listing and backups: rare, one at a time
};

AdminRoutes::AdminRoutes(const AdminConfig& config, SyncService& service, AdminTargets targets)
    : impl_(std::make_unique<Impl>(config, service, targets)) {}

AdminRoutes::~AdminRoutes() = default;

bool AdminRoutes::enabled() const noexcept {
  return !impl_->token.empty() && impl_->targets.store != nullptr;
}

std::optional<Failure> AdminRoutes::authorize(const Request& request) const {
  const auto header = request.find(boost::beast::http::field::authorization);
  if (header == request.end()) {
    return fail(Error::admin_unauthorized, "Authorization: expected Bearer <admin token>");
  }
  const std::string_view value(header->value().data(), header->value().size());
  if (!value.starts_with(bearer_scheme) ||
      !same_token(value.substr(bearer_scheme.size()), impl_->token)) {
    return fail(Error::admin_unauthorized);
  }
  return std::nullopt;
}

Outcome<std::string> AdminRoutes::decode_user_id(std::string_view encoded) {
  std::optional<std::string> user_id = percent_decode(encoded);
  if (!user_id) return fail(Error::bad_request, "user id: bad percent-encoding");
  if (user_id->empty() || user_id->size() > max_user_id_bytes) {
    return fail(Error::bad_request, "user id: expected 1 to 256 bytes");
  }
  return *std::move(user_id);
}

boost::asio::awaitable<Outcome<std::string>> AdminRoutes::list_users(std::string_view query) {
  std::size_t limit = admin_default_list_users;
  if (const auto text = query_value(query, "limit")) {
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (error != std::errc{} || end != text->data() + text->size() || limit == 0 ||
        limit > admin_max_list_users) {
      co_return fail(Error::bad_request,
                     "limit: expected 1 to " + std::to_string(admin_max_list_users));
    }
  }
  std::string after;
  if (const auto text = query_value(query, "after")) {
    auto decoded = percent_decode(*text);
    if (!decoded) co_return fail(Error::bad_request, "after: bad percent-encoding");
    after = *std::move(decoded);
  }
  Store& store = *impl_->targets.store;
  auto work = [&store, &after, limit]() -> Outcome<std::string> {
    const std::vector<std::string> users = store.list_users(after, limit);
    std::string data;
    protocol::JsonWriter writer{protocol::StringSink(data)};
    writer.begin_object().key("users").begin_array();
    for (const std::string& user_id : users) writer.string(user_id);
    writer.end_array().key("next");
    // A full page may have more after it: its last id continues the listing.
    if (users.size() == limit) {
      writer.string(users.back());
    } else {
      writer.null();
    }
    writer.end_object();
    std::string body;
    protocol::encode_success_json(data, body);
    return body;
  };
  co_return co_await impl_->off_the_io_thread(work);
}

boost::asio::awaitable<Outcome<std::string>> AdminRoutes::export_user(
    std::string_view encoded_user_id) {
  Outcome<std::string> user_id = decode_user_id(encoded_user_id);
  if (!user_id) co_return std::move(user_id).failure();
  Outcome<UserStatePtr> state = co_await await_completion<UserStatePtr>(
      [&](Completion<UserStatePtr> done) { impl_->service.export_user(user_id.value(), done); });
  if (!state) co_return std::move(state).failure();
  std::string document;
  admin::write_user_export(*state.value(),
                           [&document](std::string_view chunk) { document.append(chunk); });
  std::string body;
  protocol::encode_success_json(document, body);
  co_return body;
}

boost::asio::awaitable<Outcome<std::string>> AdminRoutes::delete_user(
    std::string_view encoded_user_id) {
  Outcome<std::string> user_id = decode_user_id(encoded_user_id);
  if (!user_id) co_return std::move(user_id).failure();
  Outcome<DeleteUserResponse> deleted =
      co_await await_completion<DeleteUserResponse>([&](Completion<DeleteUserResponse> done) {
        impl_->service.delete_user(user_id.value(), done);
      });
  if (!deleted) co_return std::move(deleted).failure();
  std::string body;
  protocol::encode_success(deleted.value(), body);
  co_return body;
}

boost::asio::awaitable<Outcome<std::string>> AdminRoutes::backup(std::string_view body) {
  std::string directory;
  {
    simdjson::ondemand::parser parser;
    const simdjson::padded_string padded(body);
    simdjson::ondemand::document document;
    std::string_view to;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document["to"].get_string().get(to) != simdjson::SUCCESS) {
      co_return fail(Error::bad_request, "to: expected a string (the backup directory)");
    }
    directory = std::string(to);
  }
  RocksDbStore* store = impl_->targets.backups;
  auto work = [store, &directory]() -> Outcome<std::string> {
    Outcome<admin::BackupResponse> written = admin::backup(store, directory);
    if (!written) return std::move(written).failure();
    std::string data;
    protocol::JsonWriter writer{protocol::StringSink(data)};
    writer.begin_object().key("to").string(written->directory).end_object();
    std::string answer;
    protocol::encode_success_json(data, answer);
    return answer;
  };
  co_return co_await impl_->off_the_io_thread(work);
}

}  // namespace primesync::http
