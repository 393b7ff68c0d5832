// Flow 10: devices (§4.7): login, list, logout, removing another device, the
// implicit registration of any request with an instance id, the device limit.
#include <set>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Strings = std::vector<std::string>;

class DevicesTest : public ServerTest {
 protected:
  // The instance ids listed for `user`, asked by a client without an instance id
  // (one with an id would register itself).
  std::set<std::string> listed(const std::string& user) {
    ApiClient anonymous(server().port(), mint_token(user));
    ApiResponse response = anonymous.get(kDevicesPath);
    if (!is_ok(response)) throw std::runtime_error("devices failed: " + response.describe());
    EXPECT_EQ(field_names(response.data), Strings{"devices"});
    std::set<std::string> ids;
    simdjson::dom::array devices = get_field(response.data, "devices").get_array();
    for (simdjson::dom::element device : devices) {
      EXPECT_EQ(field_names(device), (Strings{"createdAt", "instanceId", "lastSeenAt"}));
      EXPECT_GT(get_int(device, "createdAt"), kBaseTimestamp);
      EXPECT_GE(get_int(device, "lastSeenAt"), get_int(device, "createdAt"));
      ids.insert(get_string(device, "instanceId"));
    }
    return ids;
  }

  ItemFactory factory_{1001};
};

TEST_F(DevicesTest, LoginListLogoutAndRemoveAnother) {
  const std::string user = "devices-user";
  const std::string id_a = factory_.uuid();
  const std::string id_b = factory_.uuid();
  ApiClient device_a(server().port(), mint_token(user), id_a);
  ApiClient device_b(server().port(), mint_token(user), id_b);

  ApiResponse login = device_a.post(kLoginPath, "{}");
  ASSERT_TRUE(is_ok(login));
  EXPECT_EQ(field_names(login.data), (Strings{"instanceId", "userId"}));
  EXPECT_EQ(get_string(login.data, "userId"), user);
  EXPECT_EQ(get_string(login.data, "instanceId"), id_a);
  EXPECT_TRUE(is_ok(device_a.post(kLoginPath, "{}")));  // idempotent
  ASSERT_TRUE(is_ok(device_b.post(kLoginPath, "{}")));
  EXPECT_EQ(listed(user), (std::set<std::string>{id_a, id_b}));
  EXPECT_EQ(listed("devices-other-user"), std::set<std::string>{});

  ApiResponse logout = device_a.post(kLogoutPath, "{}");
  ASSERT_TRUE(is_ok(logout));
  EXPECT_EQ(field_names(logout.data), Strings{});
  EXPECT_EQ(listed(user), std::set<std::string>{id_b});

  ApiClient remover(server().port(), mint_token(user));  // e.g. a web session without an id
  ApiResponse removed = remover.post(std::string(kDevicePathPrefix) + id_b, "{}");
  ASSERT_TRUE(is_ok(removed));
  EXPECT_EQ(field_names(removed.data), Strings{});
  EXPECT_EQ(listed(user), std::set<std::string>{});
}

TEST_F(DevicesTest, LoginWithoutInstanceIdIs40000) {
  ApiClient no_id(server().port(), mint_token("devices-no-id"));
  EXPECT_TRUE(has_code(no_id.post(kLoginPath, "{}"), 400, 40000));
  EXPECT_EQ(listed("devices-no-id"), std::set<std::string>{});
}

TEST_F(DevicesTest, AnyRequestWithAnInstanceIdRegistersIt) {
  const std::string id = factory_.uuid();
  ApiClient device(server().port(), mint_token("devices-implicit"), id);
  EXPECT_TRUE(is_ok(device.check({}, "")));
  EXPECT_EQ(listed("devices-implicit"), std::set<std::string>{id});
  // Whatever the outcome of the operation.
  const std::string other = factory_.uuid();
  device.set_instance_id(other);
  EXPECT_TRUE(is_business_error(device.upload({}, "wrong"), 90006));
  EXPECT_EQ(listed("devices-implicit"), (std::set<std::string>{id, other}));
}

TEST_F(DevicesTest, TheDeviceLimitRefusesTheNextLogin) {
  constexpr int kDefaultMaxDevices = 32;
  const std::string user = "devices-limit";
  std::set<std::string> registered;
  ApiClient device(server().port(), mint_token(user));
  for (int i = 0; i < kDefaultMaxDevices; ++i) {
    const std::string id = factory_.uuid();
    device.set_instance_id(id);
    ASSERT_TRUE(is_ok(device.post(kLoginPath, "{}"))) << "device " << i;
    registered.insert(id);
  }
  device.set_instance_id(factory_.uuid());
  EXPECT_TRUE(is_business_error(device.post(kLoginPath, "{}"), 90004));
  // Over the limit, other requests still proceed, unregistered.
  EXPECT_TRUE(is_ok(device.check({}, "")));
  EXPECT_EQ(listed(user), registered);
}

}  // namespace
}  // namespace primesync::e2e
