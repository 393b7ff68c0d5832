// Session and socket ids: 22 URL-safe characters, never the same twice.
#include "push/socket_id.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace primesync::push {
namespace {

bool url_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(SocketId, HasTwentyTwoUrlSafeCharacters) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_socket_id();
    ASSERT_EQ(id.size(), 22U) << id;
    for (char c : id) ASSERT_TRUE(url_safe(c)) << id;
  }
}

TEST(SocketId, IsDistinctAcrossManyCalls) {
  constexpr int calls = 20000;
  std::unordered_set<std::string> ids;
  for (int i = 0; i < calls; ++i) ids.insert(new_socket_id());
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(calls));
}

TEST(SocketId, UsesTheWholeAlphabet) {
  // 128 random bits over 10000 ids: every one of the 64 characters shows up.
  std::unordered_set<char> seen;
  for (int i = 0; i < 10000; ++i) {
    for (char c : new_socket_id()) seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 64U);
}

}  // namespace
}  // namespace primesync::push
