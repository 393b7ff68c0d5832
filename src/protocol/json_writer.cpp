#include "protocol/json_writer.hpp"

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace primesync::protocol {
namespace {

bool needs_escape(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\';
}

// SWAR helpers: a byte equal to zero gets its high bit set (exact as an any-test).
constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

std::uint64_t zero_bytes(std::uint64_t word) noexcept {
  return (word - ones) & ~word & high_bits;
}

bool word_needs_escape(std::uint64_t word) noexcept {
  const std::uint64_t control = (word - ones * 0x20) & ~word & high_bits;  // bytes < 0x20
  const std::uint64_t quote = zero_bytes(word ^ (ones * '"'));
  const std::uint64_t backslash = zero_bytes(word ^ (ones * '\\'));
  return (control | quote | backslash) != 0;
}

// "\u00XX" for every control character, short forms where JSON has them.
constexpr std::array<std::array<char, 7>, 32> make_control_escapes() {
  std::array<std::array<char, 7>, 32> table{};
  constexpr char hex_digits[] = "0123456789abcdef";
  for (std::size_t c = 0; c < table.size(); ++c) {
    table[c] = {'\\', 'u', '0', '0', hex_digits[c >> 4U], hex_digits[c & 0xFU],
                6};  // last byte: length
  }
  const auto short_form = [&](std::size_t c, char letter) {
    table[c] = {'\\', letter, 0, 0, 0, 0, 2};
  };
  short_form('\b', 'b');
  short_form('\f', 'f');
  short_form('\n', 'n');
  short_form('\r', 'r');
  short_form('\t', 't');
  return table;
}

constexpr auto control_escapes = make_control_escapes();

}  // namespace

std::size_t unescaped_prefix_length(std::string_view text) noexcept {
  // Ciphertext and keys are long runs that need no escaping, so scan them in blocks.
  const char* const begin = text.data();
  const std::size_t size = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i control_max = _mm_set1_epi8(0x1f);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= size; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin + i));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(block, control_max), block);  // ≤ 0x1f
    const __m128i special = _mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
  for (; i < size; ++i) {
    if (needs_escape(static_cast<unsigned char>(begin[i]))) return i;
  }
  return size;
#else
  return detail::unescaped_prefix_length_portable(text);
#endif
}

namespace detail {

std::size_t unescaped_prefix_length_portable(std::string_view text) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, sizeof word);
    if (word_needs_escape(word)) break;
  }
  for (; i < text.size(); ++i) {
    if (needs_escape(static_cast<unsigned char>(text[i]))) return i;
  }
  return text.size();
}

}  // namespace detail

std::string_view escape_sequence(unsigned char c) noexcept {
  if (c == '"') return "\\\"";
  if (c == '\\') return "\\\\";
  assert(c < control_escapes.size());
  const auto& escape = control_escapes[c];
  return std::string_view(escape.data(), static_cast<std::size_t>(escape[6]));
}

template class BasicJsonWriter<StringSink>;
template class BasicJsonWriter<CountingSink>;

}  // namespace primesync::protocol
