// A small streaming JSON writer: appends tokens as they come, no DOM. Strings are
// escaped per RFC 8259 (", \, and every control character; \b \f \n \r \t in their
// short form, the others as \u00XX); everything else, UTF-8 included, is copied as is.
//
// The writer is generic over its sink so that the same code that writes a value can
// also measure its exact encoded size (CountingSink) without producing it.
#pragma once

#include <cassert>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace primesync::protocol {

// Appends to a caller-owned string.
class StringSink {
 public:
  explicit StringSink(std::string& out) noexcept : out_(&out) {}
  void put(char c) { out_->push_back(c); }
  void append(std::string_view text) { out_->append(text); }
  [[nodiscard]] std::string& out() noexcept { return *out_; }

 private:
  std::string* out_;
};

// Counts the bytes a StringSink would have received.
class CountingSink {
 public:
  void put(char /*c*/) noexcept { ++size_; }
  void append(std::string_view text) noexcept { size_ += text.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_ = 0;
};

// Length of the longest prefix of `text` that needs no escaping.
[[nodiscard]] std::size_t unescaped_prefix_length(std::string_view text) noexcept;
namespace detail {
// The same without SIMD (used where SSE2 is unavailable; exposed for tests).
[[nodiscard]] std::size_t unescaped_prefix_length_portable(std::string_view text) noexcept;
}  // namespace detail
// The escape sequence for a byte that needs one ("\\n", "\\u001f", ...).
[[nodiscard]] std::string_view escape_sequence(unsigned char c) noexcept;

// Usage: writer.begin_object().key("a").integer(1).key("b").begin_array()...; the
// writer inserts the commas. Keys are escaped like any string.
template <typename Sink>
class BasicJsonWriter {
 public:
  static constexpr unsigned max_depth = 64;

  explicit BasicJsonWriter(Sink sink) : sink_(std::move(sink)) {}

  BasicJsonWriter& begin_object() { return open('{'); }
  BasicJsonWriter& end_object() { return close('}'); }
  BasicJsonWriter& begin_array() { return open('['); }
  BasicJsonWriter& end_array() { return close(']'); }

  BasicJsonWriter& key(std::string_view name) {
    separate();
    write_quoted(name);
    sink_.put(':');
    after_key_ = true;
    return *this;
  }

  BasicJsonWriter& string(std::string_view text) {
    separate();
    write_quoted(text);
    return *this;
  }

  template <std::integral T>
  requires(!std::same_as<T, bool>) BasicJsonWriter& integer(T number) {
    separate();
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, number);
    sink_.append(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
    return *this;
  }

  BasicJsonWriter& boolean(bool flag) {
    separate();
    sink_.append(flag ? std::string_view("true") : std::string_view("false"));
    return *this;
  }

  BasicJsonWriter& null() {
    separate();
    sink_.append("null");
    return *this;
  }

  // Pre-encoded JSON, written as one value.
  BasicJsonWriter& raw_value(std::string_view json) {
    separate();
    sink_.append(json);
    return *this;
  }

  [[nodiscard]] Sink& sink() noexcept { return sink_; }
  [[nodiscard]] unsigned depth() const noexcept { return depth_; }

 private:
  // Writes the comma before a value unless it is the first in its container or
  // follows its key.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if ((has_members_ & bit) != 0) sink_.put(',');
    has_members_ |= bit;
  }

  BasicJsonWriter& open(char bracket) {
    separate();
    assert(depth_ < max_depth);
    sink_.put(bracket);
    ++depth_;
    has_members_ &= ~(std::uint64_t{1} << (depth_ - 1));
    return *this;
  }

  BasicJsonWriter& close(char bracket) {
    assert(depth_ > 0 && !after_key_);
    --depth_;
    sink_.put(bracket);
    return *this;
  }

  void write_quoted(std::string_view text) {
    sink_.put('"');
    while (!text.empty()) {
      const std::size_t clean = unescaped_prefix_length(text);
      sink_.append(text.substr(0, clean));
      if (clean == text.size()) break;
      sink_.append(escape_sequence(static_cast<unsigned char>(text[clean])));
      text.remove_prefix(clean + 1);
    }
    sink_.put('"');
  }

  Sink sink_;
  std::uint64_t has_members_ = 0;  // bit d-1: the container at depth d has a member
  unsigned depth_ = 0;
  bool after_key_ = false;
};

using JsonWriter = BasicJsonWriter<StringSink>;
using JsonSizer = BasicJsonWriter<CountingSink>;

extern template class BasicJsonWriter<StringSink>;
extern template class BasicJsonWriter<CountingSink>;

}  // namespace primesync::protocol
