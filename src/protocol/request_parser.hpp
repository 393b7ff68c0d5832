// JSON request bodies → the typed requests of api.hpp, with full shape validation
// (PROTOCOL.md §1, §3, §4). Parsing uses simdjson's On-Demand API: no DOM is built.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "primesync/api.hpp"
#include "primesync/config.hpp"
#include "primesync/error.hpp"

namespace primesync::protocol {

struct ParseLimits {
  std::size_t max_items = 10000;             // per array of items (41300 beyond)
  std::size_t max_item_bytes = 256U << 10U;  // one item's `data` (40000 beyond)

  [[nodiscard]] static ParseLimits from(const LimitsConfig& limits) noexcept {
    return ParseLimits{limits.max_items_per_request, limits.max_item_bytes};
  }
};

// Tag for the overloads that copy the body into padded storage first.
struct CopyBody {};
inline constexpr CopyBody copy_body{};

// Parses and validates request bodies. Holds a simdjson parser and its buffers, so it
// is meant to be reused: keep one per thread (e.g. thread_local). Not thread-safe.
//
// Padding precondition: the overloads taking only a string_view read up to `padding`
// bytes past `body.data() + body.size()`; those bytes must be readable (their value
// does not matter). Callers that cannot promise this use the `copy_body` overloads.
//
// Failures: every shape error is Error::bad_request with "<path>: <problem>", e.g.
// "localData[3].dataTimestamp: expected integer"; an array of more than max_items
// items is Error::payload_too_large, "localData: more than N items".
//
// String lifetime (CheckRequest only; all other requests own their strings): the
// string_views of a CheckRequest point into `body` when the JSON string has no escape
// sequence (the normal case: hex keys, plain type names), and into this parser's
// internal string buffer when it has one. They are therefore valid while `body` is
// alive AND until the next parse call on this RequestParser, whichever ends first.
// With the `copy_body` overloads the body copy lives in this parser, so only the
// second condition applies.
class RequestParser {
 public:
  static constexpr std::size_t padding = simdjson::SIMDJSON_PADDING;

  explicit RequestParser(ParseLimits limits = {}) : limits_(limits) {}

  [[nodiscard]] const ParseLimits& limits() const noexcept { return limits_; }

  [[nodiscard]] Outcome<CheckRequest> parse_check(std::string_view body);
  [[nodiscard]] Outcome<UploadRequest> parse_upload(std::string_view body);
  // An empty (or all-whitespace) body is valid here and means `{}`.
  [[nodiscard]] Outcome<DownloadRequest> parse_download(std::string_view body);
  [[nodiscard]] Outcome<FlushRequest> parse_flush(std::string_view body);
  [[nodiscard]] Outcome<ChangeLockRequest> parse_change_lock(std::string_view body);
  [[nodiscard]] Outcome<MessageAckRequest> parse_message_ack(std::string_view body);

  // Same, for a body without readable padding: it is copied into this parser first.
  [[nodiscard]] Outcome<CheckRequest> parse_check(std::string_view body, CopyBody);
  [[nodiscard]] Outcome<UploadRequest> parse_upload(std::string_view body, CopyBody);
  [[nodiscard]] Outcome<DownloadRequest> parse_download(std::string_view body, CopyBody);
  [[nodiscard]] Outcome<FlushRequest> parse_flush(std::string_view body, CopyBody);
  [[nodiscard]] Outcome<ChangeLockRequest> parse_change_lock(std::string_view body, CopyBody);

 private:
  template <typename Request>
  Outcome<Request> parse(std::string_view body);
  std::string_view copy_with_padding(std::string_view body);

  ParseLimits limits_;
  simdjson::ondemand::parser parser_;
  std::string padded_copy_;  // body copy of the `copy_body` overloads, capacity reused
};

}  // namespace primesync::protocol
