// libFuzzer target: every request parser of PROTOCOL.md §4 on the same bytes.
// Whatever the input, parsing answers a value or a 40000/41300 failure naming a
// field: no crash, no hang, no sanitizer report. The first byte picks the limits,
// so the size and count limits are exercised too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/request_parser.hpp"

namespace {

constexpr std::size_t kSmallItems = 4;
constexpr std::size_t kSmallItemBytes = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using primesync::protocol::copy_body;
  using primesync::protocol::ParseLimits;
  using primesync::protocol::RequestParser;
  if (size == 0) return 0;
  const bool small_limits = (data[0] & 1U) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestParser parser(
      small_limits ? ParseLimits{.max_items = kSmallItems, .max_item_bytes = kSmallItemBytes}
                   : ParseLimits{});
  (void)parser.parse_check(body, copy_body);
  (void)parser.parse_upload(body, copy_body);
  (void)parser.parse_download(body, copy_body);
  (void)parser.parse_flush(body, copy_body);
  (void)parser.parse_change_lock(body, copy_body);
  return 0;
}
