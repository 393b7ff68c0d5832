// Byte-level building blocks shared by the key and record codecs: fixed-width
// big-endian integers (for keys, where byte order must equal numeric order) and
// varints and hex-packed text (for values, where compactness matters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace primesync::rocksdb_codec {

// Appends to a caller-owned string, so one buffer can hold a whole key or value.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) noexcept : out_(out) {}

  void byte(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void boolean(bool value) { byte(value ? 1 : 0); }
  void fixed32_be(std::uint32_t value);
  void fixed64_be(std::uint64_t value);
  void varint(std::uint64_t value);        // LEB128
  void signed_varint(std::int64_t value);  // zigzag, so small negatives stay small
  void raw(std::string_view bytes) { out_.append(bytes); }
  void length_prefixed(std::string_view bytes);  // varint length + bytes
  // Text that is lowercase hex as the bytes it spells (half the size), any other
  // text as it is: varint (size << 1 | spelled-as-hex), then the bytes.
  void hex_packed(std::string_view text);

 private:
  std::string& out_;
};

// Reads what ByteWriter wrote. Any truncated or malformed input throws
// StoreUnavailable naming `what` (e.g. "items value"): stored bytes that do not
// decode mean a damaged store, never undefined behaviour.
class ByteReader {
 public:
  ByteReader(std::string_view input, std::string_view what) noexcept : input_(input), what_(what) {}

  std::uint8_t byte();
  bool boolean();
  std::uint32_t fixed32_be();
  std::uint64_t fixed64_be();
  std::uint64_t varint();
  std::int64_t signed_varint();
  std::string_view raw(std::size_t size);
  std::string_view length_prefixed();
  std::string hex_packed();

  [[nodiscard]] std::size_t remaining() const noexcept { return input_.size() - position_; }
  // Trailing bytes are corruption too: a value is exactly one record.
  void expect_end();
  [[noreturn]] void fail(std::string_view reason) const;

 private:
  std::string_view input_;
  std::size_t position_ = 0;
  std::string_view what_;
};

}  // namespace primesync::rocksdb_codec
