#include "store/rocksdb/byte_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "primesync/error.hpp"

namespace primesync::rocksdb_codec {
namespace {

TEST(ByteCodec, VarintsRoundTripAtEveryWidthBoundary) {
  const std::uint64_t unsigned_values[] = {0,
                                           1,
                                           127,
                                           128,
                                           16383,
                                           16384,
                                           std::uint64_t{1} << 35U,
                                           std::numeric_limits<std::uint64_t>::max()};
  const std::int64_t signed_values[] = {0,
                                        1,
                                        -1,
                                        63,
                                        -64,
                                        64,
                                        -65,
                                        std::numeric_limits<std::int64_t>::min(),
                                        std::numeric_limits<std::int64_t>::max()};
  std::string bytes;
  ByteWriter writer(bytes);
  for (const std::uint64_t value : unsigned_values) writer.varint(value);
  for (const std::int64_t value : signed_values) writer.signed_varint(value);

  ByteReader reader(bytes, "test");
  for (const std::uint64_t value : unsigned_values) EXPECT_EQ(reader.varint(), value);
  for (const std::int64_t value : signed_values) EXPECT_EQ(reader.signed_varint(), value);
  EXPECT_NO_THROW(reader.expect_end());
}

TEST(ByteCodec, SmallNegativeNumbersStaySmall) {
  std::string bytes;
  ByteWriter(bytes).signed_varint(-1);
  EXPECT_EQ(bytes.size(), 1U);
}

TEST(ByteCodec, FixedWidthIsBigEndian) {
  std::string bytes;
  ByteWriter writer(bytes);
  writer.fixed32_be(0x01020304U);
  writer.fixed64_be(0x0102030405060708ULL);
  EXPECT_EQ(bytes, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  ByteReader reader(bytes, "test");
  EXPECT_EQ(reader.fixed32_be(), 0x01020304U);
  EXPECT_EQ(reader.fixed64_be(), 0x0102030405060708ULL);
}

TEST(ByteCodec, HexTextIsPackedToHalfAndOtherTextKeptAsIs) {
  const std::string hex = "00ff7a" + std::string(200, 'e');
  std::string bytes;
  ByteWriter writer(bytes);
  writer.hex_packed(hex);
  EXPECT_EQ(bytes.size(), 2U + hex.size() / 2) << "a two-byte header and the bytes spelled";
  const std::size_t packed_size = bytes.size();
  for (const std::string_view text : {"", "abc", "ABCD", "not hex", "a-"}) writer.hex_packed(text);

  ByteReader reader(bytes, "test");
  EXPECT_EQ(reader.hex_packed(), hex);
  for (const std::string_view text : {"", "abc", "ABCD", "not hex", "a-"}) {
    EXPECT_EQ(reader.hex_packed(), text);
  }
  EXPECT_NO_THROW(reader.expect_end());

  // A header claiming more bytes than remain is damage, packed or not.
  for (std::size_t size = 0; size < packed_size; ++size) {
    ByteReader truncated(std::string_view(bytes).substr(0, size), "test");
    EXPECT_THROW((void)truncated.hex_packed(), StoreUnavailable) << size;
  }
}

TEST(ByteCodec, MalformedInputThrowsStoreUnavailable) {
  const auto read_varint = [](std::string bytes) {
    ByteReader reader(bytes, "test");
    return reader.varint();
  };
  EXPECT_THROW(read_varint(""), StoreUnavailable);
  EXPECT_THROW(read_varint("\x80"), StoreUnavailable);                            // truncated
  EXPECT_THROW(read_varint(std::string(10, '\xff') + '\x01'), StoreUnavailable);  // too long
  EXPECT_THROW(read_varint(std::string(9, '\xff') + '\x02'), StoreUnavailable);   // > 64 bits

  // Named: a reader views its input, so a temporary would dangle (found by ASan).
  std::string oversized_length;
  ByteWriter(oversized_length).varint(1000);
  const std::string oversized_value = oversized_length + "abc";
  ByteReader length_reader(oversized_value, "test");
  EXPECT_THROW(length_reader.length_prefixed(), StoreUnavailable);

  ByteReader bool_reader("\x02", "test");
  EXPECT_THROW(bool_reader.boolean(), StoreUnavailable);

  ByteReader trailing_reader("ab", "test");
  trailing_reader.byte();
  EXPECT_THROW(trailing_reader.expect_end(), StoreUnavailable);
}

TEST(ByteCodec, ErrorNamesWhatWasBeingRead) {
  ByteReader reader("", "items value");
  try {
    reader.byte();
    FAIL() << "expected StoreUnavailable";
  } catch (const StoreUnavailable& error) {
    EXPECT_NE(std::string(error.what()).find("items value"), std::string::npos);
  }
}

}  // namespace
}  // namespace primesync::rocksdb_codec
