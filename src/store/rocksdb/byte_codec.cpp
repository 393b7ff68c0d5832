#include "store/rocksdb/byte_codec.hpp"

#include <string>

#include "primesync/error.hpp"
#include "store/hex_text.hpp"

namespace primesync::rocksdb_codec {

namespace {

template <typename Unsigned>
void append_big_endian(std::string& out, Unsigned value) {
  for (int shift = static_cast<int>(sizeof(Unsigned) * 8) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFFU));
  }
}

}  // namespace

void ByteWriter::fixed32_be(std::uint32_t value) {
  append_big_endian(out_, value);
}

void ByteWriter::fixed64_be(std::uint64_t value) {
  append_big_endian(out_, value);
}

void ByteWriter::varint(std::uint64_t value) {
  while (value >= 0x80U) {
    byte(static_cast<std::uint8_t>(value | 0x80U));
    value >>= 7U;
  }
  byte(static_cast<std::uint8_t>(value));
}

void ByteWriter::signed_varint(std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  varint((bits << 1U) ^ (value < 0 ? ~std::uint64_t{0} : 0));
}

void ByteWriter::length_prefixed(std::string_view bytes) {
  varint(bytes.size());
  raw(bytes);
}

void ByteWriter::hex_packed(std::string_view text) {
  const std::size_t start = out_.size();
  if (text.size() % 2 == 0) {
    varint(((text.size() / 2) << 1U) | 1U);
    if (hex_text::append_bytes_of_hex(out_, text)) return;
    out_.resize(start);
  }
  varint(text.size() << 1U);
  raw(text);
}

std::uint8_t ByteReader::byte() {
  return static_cast<std::uint8_t>(raw(1)[0]);
}

bool ByteReader::boolean() {
  const std::uint8_t value = byte();
  if (value > 1) fail("boolean out of range");
  return value == 1;
}

std::uint32_t ByteReader::fixed32_be() {
  std::uint32_t value = 0;
  for (const char c : raw(4)) value = (value << 8U) | static_cast<std::uint8_t>(c);
  return value;
}

std::uint64_t ByteReader::fixed64_be() {
  std::uint64_t value = 0;
  for (const char c : raw(8)) value = (value << 8U) | static_cast<std::uint8_t>(c);
  return value;
}

std::uint64_t ByteReader::varint() {
  std::uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    const std::uint8_t next = byte();
    // The tenth byte may carry only the top bit of a 64-bit value.
    if (shift == 63 && next > 1) fail("varint overflows 64 bits");
    value |= static_cast<std::uint64_t>(next & 0x7FU) << shift;
    if ((next & 0x80U) == 0) return value;
  }
  fail("varint longer than 10 bytes");
}

std::int64_t ByteReader::signed_varint() {
  const std::uint64_t zigzag = varint();
  return static_cast<std::int64_t>((zigzag >> 1U) ^ (~(zigzag & 1U) + 1U));
}

std::string_view ByteReader::raw(std::size_t size) {
  if (size > remaining()) fail("truncated");
  const std::string_view bytes = input_.substr(position_, size);
  position_ += size;
  return bytes;
}

std::string_view ByteReader::length_prefixed() {
  const std::uint64_t size = varint();
  if (size > remaining()) fail("length exceeds the remaining bytes");
  return raw(static_cast<std::size_t>(size));
}

std::string ByteReader::hex_packed() {
  const std::uint64_t header = varint();
  const std::uint64_t size = header >> 1U;
  if (size > remaining()) fail("length exceeds the remaining bytes");
  const std::string_view bytes = raw(static_cast<std::size_t>(size));
  if ((header & 1U) == 0) return std::string(bytes);
  std::string text;
  hex_text::append_hex(text, bytes);
  return text;
}

void ByteReader::expect_end() {
  if (remaining() != 0) fail("unexpected trailing bytes");
}

void ByteReader::fail(std::string_view reason) const {
  throw StoreUnavailable("rocksdb store: corrupt " + std::string(what_) + " (" +
                         std::string(reason) + " at byte " + std::to_string(position_) + ")");
}

}  // namespace primesync::rocksdb_codec
