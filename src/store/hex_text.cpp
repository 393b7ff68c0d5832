#include "store/hex_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace primesync::hex_text {

namespace {

constexpr std::string_view kDigits = "0123456789abcdef";
constexpr std::uint8_t kNotADigit = 0xFF;

// Byte -> its two digits, so encoding copies two characters per byte.
constexpr std::array<std::array<char, 2>, 256> kPairs = [] {
  std::array<std::array<char, 2>, 256> pairs{};
  for (std::size_t byte = 0; byte < pairs.size(); ++byte) {
    pairs[byte] = {kDigits[byte >> 4U], kDigits[byte & 0xFU]};
  }
  return pairs;
}();

// Character -> its value, or kNotADigit (upper case too: it would not round-trip).
constexpr std::array<std::uint8_t, 256> kValues = [] {
  std::array<std::uint8_t, 256> values{};
  values.fill(kNotADigit);
  for (std::size_t digit = 0; digit < kDigits.size(); ++digit) {
    values[static_cast<unsigned char>(kDigits[digit])] = static_cast<std::uint8_t>(digit);
  }
  return values;
}();

// Keys and ciphertext are kilobytes of hex on every upload and cache load: with
// SSE2 (every x86-64) 8 bytes become 16 digits, and back, per step. Each returns
// how many bytes it did; the byte-wise loops do the rest.
#if defined(__SSE2__)
constexpr std::size_t kBytesPerStep = 8;

std::size_t hex_of_bytes_by_steps(std::string_view bytes, char* digits) {
  const __m128i low_nibbles = _mm_set1_epi8(0x0F);
  std::size_t done = 0;
  for (; done + kBytesPerStep <= bytes.size(); done += kBytesPerStep, digits += 2 * kBytesPerStep) {
    const __m128i input = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes.data() + done));
    const __m128i high = _mm_and_si128(_mm_srli_epi16(input, 4), low_nibbles);
    const __m128i low = _mm_and_si128(input, low_nibbles);
    const __m128i nibbles = _mm_unpacklo_epi8(high, low);  // in the order they are spelled
    // '0' + n, and 'a' - '0' - 10 more for n above 9.
    const __m128i letters =
        _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
    const __m128i spelled = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(digits), spelled);
  }
  return done;
}

// Stops early (with `valid` false) at a step holding a character that is not a
// lowercase hex digit. Returns the bytes written.
std::size_t bytes_of_hex_by_steps(std::string_view text, char* bytes, bool& valid) {
  std::size_t done = 0;
  for (; done + 2 * kBytesPerStep <= text.size(); done += 2 * kBytesPerStep) {
    const __m128i input = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + done));
    // Signed compares: bytes from 0x80 on are negative and fall in neither range.
    const __m128i is_digit = _mm_and_si128(_mm_cmpgt_epi8(input, _mm_set1_epi8('0' - 1)),
                                           _mm_cmplt_epi8(input, _mm_set1_epi8('9' + 1)));
    const __m128i is_letter = _mm_and_si128(_mm_cmpgt_epi8(input, _mm_set1_epi8('a' - 1)),
                                            _mm_cmplt_epi8(input, _mm_set1_epi8('f' + 1)));
    if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xFFFF) {
      valid = false;
      break;
    }
    const __m128i offsets = _mm_or_si128(_mm_and_si128(is_digit, _mm_set1_epi8('0')),
                                         _mm_and_si128(is_letter, _mm_set1_epi8('a' - 10)));
    const __m128i values = _mm_sub_epi8(input, offsets);
    // Each 16-bit lane holds a pair, the high digit's value in its low byte.
    const __m128i high = _mm_slli_epi16(_mm_and_si128(values, _mm_set1_epi16(0x00FF)), 4);
    const __m128i low = _mm_srli_epi16(values, 8);
    const __m128i pairs = _mm_or_si128(high, low);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(bytes + done / 2), _mm_packus_epi16(pairs, pairs));
  }
  return done / 2;
}
#else
std::size_t hex_of_bytes_by_steps(std::string_view /*bytes*/, char* /*digits*/) {
  return 0;
}
std::size_t bytes_of_hex_by_steps(std::string_view /*text*/, char* /*bytes*/, bool& /*valid*/) {
  return 0;
}
#endif

}  // namespace

void append_hex(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + 2 * bytes.size());
  char* digits = out.data() + start;
  for (std::size_t i = hex_of_bytes_by_steps(bytes, digits); i < bytes.size(); ++i) {
    std::memcpy(digits + 2 * i, kPairs[static_cast<unsigned char>(bytes[i])].data(), 2);
  }
}

bool append_bytes_of_hex(std::string& out, std::string_view text) {
  if (text.size() % 2 != 0) return false;
  const std::size_t start = out.size();
  out.resize(start + text.size() / 2);
  char* bytes = out.data() + start;
  bool valid = true;
  // One check for the rest: an invalid digit has a bit set above the low nibble.
  std::uint8_t invalid = 0;
  for (std::size_t i = bytes_of_hex_by_steps(text, bytes, valid); valid && i < text.size() / 2;
       ++i) {
    const std::uint8_t high = kValues[static_cast<unsigned char>(text[2 * i])];
    const std::uint8_t low = kValues[static_cast<unsigned char>(text[2 * i + 1])];
    invalid |= static_cast<std::uint8_t>(high | low);
    bytes[i] = static_cast<char>((high << 4U) | (low & 0xFU));
  }
  if (!valid || (invalid & 0xF0U) != 0) {
    out.resize(start);
    return false;
  }
  return true;
}

}  // namespace primesync::hex_text
