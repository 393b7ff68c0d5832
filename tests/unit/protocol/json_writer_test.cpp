#include "protocol/json_writer.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace primesync::protocol {
namespace {

std::string write_string(std::string_view text) {
  std::string out;
  JsonWriter writer{StringSink(out)};
  writer.string(text);
  return out;
}

TEST(JsonWriter, InsertsCommasAtEveryLevel) {
  std::string out = "prefix:";
  JsonWriter writer{StringSink(out)};
  writer.begin_object();
  writer.key("a").integer(1);
  writer.key("b").begin_array().integer(1).string("x").boolean(true).null().end_array();
  writer.key("c").begin_object().end_object();
  writer.key("d")
      .begin_array()
      .begin_object()
      .key("e")
      .boolean(false)
      .end_object()
      .begin_object()
      .end_object()
      .end_array();
  writer.end_object();
  EXPECT_EQ(out, R"(prefix:{"a":1,"b":[1,"x",true,null],"c":{},"d":[{"e":false},{}]})");
  EXPECT_EQ(writer.depth(), 0U);
}

TEST(JsonWriter, Integers) {
  std::string out;
  JsonWriter writer{StringSink(out)};
  writer.begin_array()
      .integer(0)
      .integer(-1)
      .integer(std::numeric_limits<std::int64_t>::min())
      .integer(std::numeric_limits<std::uint64_t>::max())
      .integer(std::size_t{42})
      .end_array();
  EXPECT_EQ(out, "[0,-1,-9223372036854775808,18446744073709551615,42]");
}

TEST(JsonWriter, EscapesPerRfc8259) {
  EXPECT_EQ(write_string(""), R"("")");
  EXPECT_EQ(write_string("plain/text é"), "\"plain/text \xc3\xa9\"");
  EXPECT_EQ(write_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(write_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(write_string(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
}

TEST(JsonWriter, EscapesAtEveryPositionOfALongString) {
  // Exercises the eight-bytes-at-a-time scan on both sides of each special byte.
  for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
    for (std::size_t at = 0; at < 20; ++at) {
      std::string text(20, 'a');
      text[at] = special;
      const std::string json = write_string(text);
      simdjson::dom::parser parser;
      std::string_view parsed;
      ASSERT_EQ(parser.parse(json).get_string().get(parsed), simdjson::SUCCESS) << json;
      EXPECT_EQ(parsed, text);
    }
  }
}

TEST(JsonWriter, EveryByteRoundTrips) {
  std::string text;
  for (int c = 1; c < 0x80; ++c) text += static_cast<char>(c);
  text += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  text += '\0';
  const std::string json = write_string(text);
  simdjson::dom::parser parser;
  std::string_view parsed;
  ASSERT_EQ(parser.parse(json).get_string().get(parsed), simdjson::SUCCESS) << json;
  EXPECT_EQ(parsed, text);
}

TEST(JsonWriter, BlockScanAgreesWithThePortableScan) {
  std::mt19937 random(3);
  for (int round = 0; round < 5000; ++round) {
    std::string text(random() % 70, 'x');
    for (char& c : text) c = static_cast<char>(0x18 + random() % 0x70);  // some need escapes
    if (round % 3 == 0) text.assign(text.size(), 'a');
    EXPECT_EQ(unescaped_prefix_length(text), detail::unescaped_prefix_length_portable(text))
        << text;
  }
}

TEST(JsonWriter, KeysAreEscaped) {
  std::string out;
  JsonWriter writer{StringSink(out)};
  writer.begin_object().key("a\"b").integer(1).end_object();
  EXPECT_EQ(out, R"({"a\"b":1})");
}

TEST(JsonWriter, CountingSinkMeasuresExactly) {
  const auto write = [](auto& writer) {
    writer.begin_object()
        .key("k\n")
        .string("v\x01\"")
        .key("n")
        .integer(-12345)
        .key("a")
        .begin_array()
        .boolean(true)
        .null()
        .end_array()
        .end_object();
  };
  std::string out;
  JsonWriter writer{StringSink(out)};
  write(writer);
  JsonSizer sizer{CountingSink{}};
  write(sizer);
  EXPECT_EQ(sizer.sink().size(), out.size());
}

TEST(JsonWriter, RawValue) {
  std::string out;
  JsonWriter writer{StringSink(out)};
  writer.begin_array().raw_value(R"({"x":1})").raw_value("2").end_array();
  EXPECT_EQ(out, R"([{"x":1},2])");
}

}  // namespace
}  // namespace primesync::protocol
