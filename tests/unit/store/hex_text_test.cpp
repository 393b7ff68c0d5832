#include "store/hex_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace primesync::hex_text {
namespace {

TEST(HexText, EveryByteRoundTrips) {
  std::string bytes;
  for (int byte = 0; byte < 256; ++byte) bytes.push_back(static_cast<char>(byte));
  std::string hex = "prefix:";
  append_hex(hex, bytes);
  ASSERT_EQ(hex.size(), 7U + 512U);
  EXPECT_EQ(hex.substr(7, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");

  std::string decoded = "kept";
  ASSERT_TRUE(append_bytes_of_hex(decoded, std::string_view(hex).substr(7)));
  EXPECT_EQ(decoded, "kept" + bytes);
}

TEST(HexText, EmptyTextIsHexOfNothing) {
  std::string out;
  EXPECT_TRUE(append_bytes_of_hex(out, ""));
  EXPECT_EQ(out, "");
}

TEST(HexText, TextThatWouldNotRoundTripIsRefusedAndOutputKept) {
  // Odd length, upper case (would come back lower case), and a non-digit at every
  // position of a pair.
  for (const std::string_view text : {"abc", "AB", "0A", "g0", "0g", "  ", "0:", "/0", "a\xff"}) {
    std::string out = "kept";
    EXPECT_FALSE(append_bytes_of_hex(out, text)) << text;
    EXPECT_EQ(out, "kept") << text;
  }
  std::string long_text(1000, 'a');
  long_text[777] = 'G';
  std::string out;
  EXPECT_FALSE(append_bytes_of_hex(out, long_text));
  EXPECT_TRUE(out.empty());
}

// Every length around the 8-byte steps, and a bad character at every position of
// one: the stepped and the byte-wise paths agree.
TEST(HexText, EveryLengthAndEveryBadPosition) {
  for (std::size_t size = 0; size <= 40; ++size) {
    std::string bytes;
    for (std::size_t i = 0; i < size; ++i) bytes.push_back(static_cast<char>(i * 37 + size));
    std::string hex;
    append_hex(hex, bytes);
    ASSERT_EQ(hex.size(), 2 * size);
    std::string decoded;
    ASSERT_TRUE(append_bytes_of_hex(decoded, hex)) << size;
    EXPECT_EQ(decoded, bytes) << size;
    for (std::size_t bad = 0; bad < hex.size(); ++bad) {
      for (const char c : {'G', 'A', '/', ':', '`', 'g', '\x80'}) {
        std::string damaged = hex;
        damaged[bad] = c;
        std::string out;
        EXPECT_FALSE(append_bytes_of_hex(out, damaged)) << size << " at " << bad << " " << c;
      }
    }
  }
}

}  // namespace
}  // namespace primesync::hex_text
