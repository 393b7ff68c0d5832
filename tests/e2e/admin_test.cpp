// The operator's tools (README "Operator tooling"): the admin endpoint of a
// running server (off without admin.token, refused with a wrong one) and the
// `user` and `backup` subcommands on a stopped server's data dir, which refuse
// while a server holds it.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

constexpr std::string_view kAdminToken = "admin-token-7d3e9b2c41f05a68";
constexpr std::string_view kAdminUsersPath = "/admin/v1/users";
constexpr std::string_view kAdminBackupPath = "/admin/v1/backup";

// What a seeded user's devices see: everything (tombstones too), the lock, the devices.
struct Seen {
  std::vector<Item> items;
  Item lock;
  std::vector<std::string> devices;
};

class AdminTest : public ServerTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.environment = {{"PRIMESYNC_ADMIN_TOKEN", std::string(kAdminToken)}};
    return options;
  }

  ApiResponse admin_call(std::string_view method, const std::string& target,
                         std::string_view body = {}, std::string_view token = kAdminToken) {
    HttpClient http("127.0.0.1", server().port());
    Headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
    return parse_envelope(http.request(method, target, body, headers));
  }

  // A user with items (one overwritten, so it has history, and one deleted), a
  // lock and two devices; returns what its devices see.
  Seen seed(const std::string& user) {
    ApiClient laptop(server().port(), mint_token(user), "laptop-" + user);
    ApiClient phone(server().port(), mint_token(user), "phone-" + user);
    std::vector<Item> items = factory_.items("Wallet", "w", 3);
    EXPECT_TRUE(is_ok(laptop.flush(items, pwd_hash_, factory_.lock(kBaseTimestamp))));
    EXPECT_TRUE(is_ok(phone.post(kLoginPath, "{}")));
    Item newer = factory_.item("Wallet", "w-0", kBaseTimestamp + 5000);
    Item gone = factory_.item("Wallet", "w-1", kBaseTimestamp + 5000, true);
    EXPECT_TRUE(is_ok(phone.upload({newer, gone}, pwd_hash_)));
    Seen seen;
    seen.items = laptop.download_all(pwd_hash_, true);
    ApiResponse lock = laptop.get_lock();
    EXPECT_TRUE(is_ok(lock));
    seen.lock = read_item(get_field(lock.data, "lock"), true);
    seen.devices = {"laptop-" + user, "phone-" + user};
    return seen;
  }

  // The export document's parts, read as a client would read them.
  static void expect_export_matches(simdjson::dom::element exported, const std::string& user,
                                    const Seen& seen) {
    const simdjson::dom::element record = get_field(exported, "user");
    EXPECT_EQ(get_string(record, "userId"), user);
    EXPECT_FALSE(get_string(record, "salt").empty());
    EXPECT_EQ(get_int(record, "nonce"), 2);
    EXPECT_TRUE(get_bool(record, "isPrime"));
    EXPECT_EQ(get_items(exported, "items"), seen.items);
    EXPECT_EQ(read_item(get_field(exported, "lock"), true), seen.lock);
    std::vector<std::string> devices;
    for (simdjson::dom::element device : get_field(exported, "devices").get_array()) {
      devices.push_back(get_string(device, "instanceId"));
    }
    std::sort(devices.begin(), devices.end());
    EXPECT_EQ(devices, seen.devices);
  }

  // A user id for a URL path or query (the tests use ids without reserved bytes).
  static std::string user_path(const std::string& user) {
    return std::string(kAdminUsersPath) + "/" + user;
  }

  ItemFactory factory_{4242};
  const std::string pwd_hash_ = factory_.uuid();
};

TEST_F(AdminTest, WrongOrMissingTokenIsRefused) {
  for (const std::string_view token :
       {std::string_view("wrong-token-0000000000000000"), std::string_view(kAdminToken.substr(1)),
        std::string_view()}) {
    SCOPED_TRACE(token);
    ApiResponse refused = admin_call("GET", std::string(kAdminUsersPath), {}, token);
    EXPECT_TRUE(has_code(refused, 401, 40100)) << refused.describe();
  }
  // A user's own token is not an admin token.
  HttpClient http("127.0.0.1", server().port());
  ApiResponse user_token = parse_envelope(http.request(
      "GET", std::string(kAdminUsersPath), {}, {{"X-Onekey-Request-Token", mint_token("u")}}));
  EXPECT_TRUE(has_code(user_token, 401, 40100)) << user_token.describe();
}

TEST_F(AdminTest, ExportMatchesWhatTheDevicesDownload) {
  const Seen seen = seed("export-me");
  ApiResponse exported = admin_call("GET", user_path("export-me"));
  ASSERT_TRUE(is_ok(exported)) << exported.describe();
  expect_export_matches(exported.data, "export-me", seen);

  ApiResponse unknown = admin_call("GET", user_path("nobody"));
  EXPECT_TRUE(has_code(unknown, 404, 40400)) << unknown.describe();
}

TEST_F(AdminTest, ListPagesThroughTheUsers) {
  for (const std::string user : {"list-a", "list-b", "list-c"}) (void)seed(user);
  ApiResponse first = admin_call("GET", std::string(kAdminUsersPath) + "?limit=2");
  ASSERT_TRUE(is_ok(first)) << first.describe();
  std::vector<std::string> users = get_keys(first.data, "users");
  ASSERT_EQ(users.size(), 2U);
  const std::string next = get_string(first.data, "next");
  ApiResponse rest = admin_call("GET", std::string(kAdminUsersPath) + "?limit=2&after=" + next);
  ASSERT_TRUE(is_ok(rest)) << rest.describe();
  for (const std::string& user : get_keys(rest.data, "users")) users.push_back(user);
  EXPECT_TRUE(get_field(rest.data, "next").is_null());
  std::sort(users.begin(), users.end());
  EXPECT_EQ(users, (std::vector<std::string>{"list-a", "list-b", "list-c"}));

  ApiResponse bad = admin_call("GET", std::string(kAdminUsersPath) + "?limit=0");
  EXPECT_TRUE(has_code(bad, 400, 40000)) << bad.describe();
}

TEST_F(AdminTest, DeleteRemovesEverythingOfTheUser) {
  (void)seed("delete-me");
  const Seen kept = seed("keep-me");
  ApiResponse deleted = admin_call("DELETE", user_path("delete-me"));
  ASSERT_TRUE(is_ok(deleted)) << deleted.describe();
  EXPECT_TRUE(get_bool(deleted.data, "existed"));
  EXPECT_EQ(get_int(deleted.data, "items"), 3);
  EXPECT_EQ(get_int(deleted.data, "devices"), 2);

  EXPECT_TRUE(has_code(admin_call("GET", user_path("delete-me")), 404, 40400));
  ApiResponse again = admin_call("DELETE", user_path("delete-me"));
  ASSERT_TRUE(is_ok(again)) << again.describe();
  EXPECT_FALSE(get_bool(again.data, "existed")) << "deleting twice is a no-op";

  // A device of the deleted user finds nothing: a fresh user, no password, no lock.
  ApiClient device(server().port(), mint_token("delete-me"));
  ApiResponse info = device.user_info();
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(get_int(info.data, "nonce"), 0);
  EXPECT_EQ(get_string(info.data, "pwdHash"), "");
  EXPECT_TRUE(device.download_all("", true).empty());
  ApiResponse lock = device.get_lock();
  ASSERT_TRUE(is_ok(lock));
  EXPECT_TRUE(get_field(lock.data, "lock").is_null());
  ApiResponse devices = device.get(kDevicesPath);
  ASSERT_TRUE(is_ok(devices));
  EXPECT_EQ(get_field(devices.data, "devices").get_array().size(), 0U);
  // The other user is untouched.
  ApiResponse other = admin_call("GET", user_path("keep-me"));
  ASSERT_TRUE(is_ok(other));
  expect_export_matches(other.data, "keep-me", kept);
}

TEST_F(AdminTest, BackupThenAServerOnTheBackupServesTheSameData) {
  const Seen seen = seed("backed-up");
  const std::filesystem::path backup = server().data_dir().parent_path() / "backup";
  ApiResponse written = admin_call("POST", std::string(kAdminBackupPath),
                                   "{\"to\":" + json_string(backup.string()) + "}");
  ASSERT_TRUE(is_ok(written)) << written.describe();
  EXPECT_EQ(get_string(written.data, "to"), backup.string());
  ApiResponse twice = admin_call("POST", std::string(kAdminBackupPath),
                                 "{\"to\":" + json_string(backup.string()) + "}");
  EXPECT_TRUE(has_code(twice, 400, 40000)) << twice.describe();

  ServerOptions options;
  options.extra_args = {"--data-dir", backup.string()};  // after the harness's own
  ServerProcess restored(options);
  restored.start();
  ApiClient device(restored.port(), mint_token("backed-up"));
  EXPECT_EQ(device.download_all(pwd_hash_, true), seen.items);
}

TEST_F(AdminTest, TheCommandLineRefusesWhileTheServerHoldsTheDataDir) {
  const CommandResult listed =
      server().run_command({"user", "list", "--data-dir", server().data_dir().string()});
  EXPECT_TRUE(listed.status.exited && listed.status.code != 0) << listed.status.describe();
  EXPECT_NE(
      listed.output.find("the data dir is in use by a running server; use the admin endpoint"),
      std::string::npos)
      << listed.output;
}

TEST_F(AdminTest, TheCommandLineWorksOnAStoppedServersDataDir) {
  const Seen seen = seed("cli-user");
  (void)seed("cli-other");
  ASSERT_TRUE(server().stop().clean());
  const std::string data_dir = server().data_dir().string();

  const CommandResult listed = server().run_command({"user", "list", "--data-dir", data_dir});
  ASSERT_TRUE(listed.status.clean()) << listed.status.describe() << "\n" << listed.output;
  EXPECT_EQ(listed.output, "cli-user\ncli-other\n") << "one per line, the store's order";
  const CommandResult limited =
      server().run_command({"user", "list", "--limit", "1", "--data-dir", data_dir});
  EXPECT_EQ(limited.output, "cli-user\n");

  const CommandResult exported =
      server().run_command({"user", "export", "--user", "cli-user", "--data-dir", data_dir});
  ASSERT_TRUE(exported.status.clean()) << exported.status.describe() << "\n" << exported.output;
  simdjson::dom::parser parser;
  expect_export_matches(parser.parse(simdjson::padded_string(exported.output)), "cli-user", seen);

  const CommandResult unknown =
      server().run_command({"user", "export", "--user", "nobody", "--data-dir", data_dir});
  EXPECT_TRUE(unknown.status.exited && unknown.status.code != 0) << unknown.status.describe();
  EXPECT_NE(unknown.output.find("user 'nobody' is not stored"), std::string::npos)
      << unknown.output;

  const std::filesystem::path backup = server().data_dir().parent_path() / "cli-backup";
  const CommandResult backed_up =
      server().run_command({"backup", "--to", backup.string(), "--data-dir", data_dir});
  ASSERT_TRUE(backed_up.status.clean()) << backed_up.status.describe() << "\n" << backed_up.output;
  const CommandResult exists =
      server().run_command({"backup", "--to", backup.string(), "--data-dir", data_dir});
  EXPECT_TRUE(exists.status.exited && exists.status.code == 2) << exists.status.describe();
  EXPECT_NE(exists.output.find("already exists"), std::string::npos) << exists.output;

  const CommandResult deleted =
      server().run_command({"user", "delete", "--user", "cli-user", "--data-dir", data_dir});
  ASSERT_TRUE(deleted.status.clean()) << deleted.status.describe() << "\n" << deleted.output;
  EXPECT_NE(deleted.output.find("deleted user 'cli-user': 3 items, 2 devices"), std::string::npos)
      << deleted.output;
  const CommandResult again =
      server().run_command({"user", "delete", "--user", "cli-user", "--data-dir", data_dir});
  ASSERT_TRUE(again.status.clean()) << again.output;
  EXPECT_NE(again.output.find("is not stored: nothing to delete"), std::string::npos)
      << again.output;

  server().start();
  ApiResponse gone = admin_call("GET", user_path("cli-user"));
  EXPECT_TRUE(has_code(gone, 404, 40400)) << gone.describe();
  ApiResponse other = admin_call("GET", user_path("cli-other"));
  EXPECT_TRUE(is_ok(other)) << other.describe();

  // The backup, taken before the delete, still has the user.
  ServerOptions options;
  options.extra_args = {"--data-dir", backup.string()};
  ServerProcess restored(options);
  restored.start();
  ApiClient device(restored.port(), mint_token("cli-user"));
  EXPECT_EQ(device.download_all(pwd_hash_, true), seen.items);
}

// Without admin.token the endpoint does not exist.
class AdminOffTest : public ServerTest {};

TEST_F(AdminOffTest, TheEndpointIsNotFoundWithoutAToken) {
  HttpClient http("127.0.0.1", server().port());
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/admin/v1/users"},
                                                        {"GET", "/admin/v1/users/u"},
                                                        {"DELETE", "/admin/v1/users/u"},
                                                        {"POST", "/admin/v1/backup"}}) {
    SCOPED_TRACE(method + " " + target);
    ApiResponse response =
        parse_envelope(http.request(method, target, {}, {{"Authorization", "Bearer anything"}}));
    EXPECT_TRUE(has_code(response, 404, 40400)) << response.describe();
  }
}

}  // namespace
}  // namespace primesync::e2e
