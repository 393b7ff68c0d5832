#include "protocol/request_parser.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace primesync::protocol {
namespace {

namespace od = simdjson::ondemand;

constexpr std::uint64_t max_integer = std::uint64_t{1} << 53U;  // PROTOCOL.md §3
constexpr std::size_t max_key_bytes = 256;
constexpr std::size_t max_data_type_bytes = 64;
// An array's elements are reserved up front by a guess from the bytes left in the
// body (real elements are longer than this), capped so that a guess never costs
// much memory: counting them first would walk the array twice.
constexpr std::size_t assumed_element_bytes = 32;
constexpr std::size_t max_reserved_elements = 4096;
// Unknown values are walked recursively to validate them; bound the recursion.
constexpr int max_unknown_depth = 128;

// A field path such as `localData[3].key`. Segments live on the call stack and link to
// their parent, so the path costs nothing unless a failure formats it.
class Path {
 public:
  static Path root() noexcept { return Path(nullptr, {}, 0, false); }
  [[nodiscard]] Path field(std::string_view name) const noexcept {
    return Path(this, name, 0, false);
  }
  [[nodiscard]] Path element(std::size_t index) const noexcept {
    return Path(this, {}, index, true);
  }

  [[nodiscard]] std::string str() const {
    std::string out;
    append_to(out);
    return out;
  }

 private:
  Path(const Path* parent, std::string_view name, std::size_t index, bool is_index) noexcept
      : parent_(parent), name_(name), index_(index), is_index_(is_index) {}

  void append_to(std::string& out) const {
    if (parent_ == nullptr) {
      out += "body";
      return;
    }
    if (parent_->parent_ != nullptr) parent_->append_to(out);  // top-level names stand alone
    if (is_index_) {
      out += '[';
      out += std::to_string(index_);
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += name_;
    }
  }

  const Path* parent_;
  std::string_view name_;
  std::size_t index_;
  bool is_index_;
};

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// The first '"' or '\\' at or after `text`, eight bytes at a time: field names are
// short, and a call to memchr costs more than they take. There must be one before
// the body's padding ends (reading up to seven bytes past it stays in the padding).
const char* find_quote_or_backslash(const char* text) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  constexpr auto zero_bytes = [](std::uint64_t word) { return (word - ones) & ~word & highs; };
  for (;; text += sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, text, sizeof word);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    // The lowest flagged byte is exact (a false flag only sits above a true one).
    const std::uint64_t found = zero_bytes(word ^ (ones * '"')) | zero_bytes(word ^ (ones * '\\'));
    if (found != 0) return text + std::countr_zero(found) / 8;
  }
}

// The first byte of the value's token, which tells its JSON type.
char first_char(od::value& value) noexcept {
  const std::string_view token = value.raw_json_token();
  return token.empty() ? '\0' : token.front();
}

bool is_blank(std::string_view text) noexcept {
  for (char c : text) {
    if (!is_json_space(c)) return false;
  }
  return true;
}

// A token as simdjson reports it runs up to the next token, so it may end in whitespace.
std::string_view trim_trailing_space(std::string_view token) noexcept {
  while (!token.empty() && is_json_space(token.back())) token.remove_suffix(1);
  return token;
}

// The shape of a JSON number token (RFC 8259 §6 grammar), checked by hand because the
// On-Demand API does not validate values it is not asked to convert.
struct NumberToken {
  bool valid = false;
  bool integral = false;  // no fraction, no exponent
  bool negative = false;
  std::string_view digits;  // the integer part without its sign
  // The integer part's value, read while scanning (digits.size() <= max_exact_digits).
  std::uint64_t magnitude = 0;
};

// Digits of an integer part that never overflow `magnitude`.
constexpr std::size_t max_exact_digits = 19;

NumberToken scan_number(std::string_view text) noexcept {
  NumberToken number;
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && text[i] == '-') {
    number.negative = true;
    ++i;
  }
  const std::size_t digits_begin = i;
  if (i < n && text[i] == '0') {
    ++i;
  } else if (i < n && is_digit(text[i])) {
    for (; i < n && is_digit(text[i]); ++i) {
      if (i - digits_begin < max_exact_digits) {
        number.magnitude = number.magnitude * 10 + static_cast<std::uint64_t>(text[i] - '0');
      }
    }
  } else {
    return number;
  }
  number.digits = text.substr(digits_begin, i - digits_begin);
  number.integral = true;
  if (i < n && text[i] == '.') {
    number.integral = false;
    ++i;
    if (i == n || !is_digit(text[i])) return number;
    while (i < n && is_digit(text[i])) ++i;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    number.integral = false;
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i == n || !is_digit(text[i])) return number;
    while (i < n && is_digit(text[i])) ++i;
  }
  number.valid = i == n;
  return number;
}

// Which item fields a use requires: check entries carry no data and may omit the
// timestamp; uploaded, flushed and lock items need both.
struct ItemShape {
  bool with_data;
  bool timestamp_required;
};
constexpr ItemShape check_entry_shape{.with_data = false, .timestamp_required = false};
constexpr ItemShape stored_item_shape{.with_data = true, .timestamp_required = true};

// The fields of one item as read; views point into the body or the parser's buffer.
struct ItemFields {
  std::optional<std::string_view> key;
  std::optional<std::string_view> data_type;
  std::optional<std::string_view> data;
  std::optional<std::int64_t> timestamp;
  std::optional<bool> is_deleted;
};

// pwdHash and nonce, shared by check, upload and flush.
struct GateFields {
  std::optional<std::string_view> pwd_hash;
  std::optional<std::int64_t> nonce;

  // Absent nonce is 0; absent pwdHash (where optional: flush) is "" (PROTOCOL.md §3, §4).
  template <typename Request>
  void apply_to(Request& request) const {
    request.pwd_hash.assign(pwd_hash.value_or(""));
    request.nonce = nonce.value_or(0);
  }
};

// Reads one document. Every reader returns false after recording the failure. Numbers
// are validated from their token and left for the enclosing iterator to skip; every
// other value is consumed (see read_string for why).
// `null` makes an optional<> output absent, whatever the field.
class BodyReader {
 public:
  BodyReader(const ParseLimits& limits, std::string_view body) noexcept
      : limits_(limits), body_(body) {}

  [[nodiscard]] Failure take_failure() { return std::move(failure_); }

  template <typename Request>
  bool read_document(od::parser& parser, Request& request) {
    const Path root = Path::root();
    od::document document;
    if (auto error =
            parser.iterate(body_.data(), body_.size(), body_.size() + simdjson::SIMDJSON_PADDING)
                .get(document)) {
      return fail_json(root, error);
    }
    od::json_type type{};
    if (auto error = document.type().get(type)) return fail_json(root, error);
    if (type != od::json_type::object) return fail(root, "expected object");
    od::object object;
    if (auto error = document.get_object().get(object)) return fail_json(root, error);
    missing_ = {};
    if (!read_request(object, root, request)) return false;
    // Anything left after the root object is trailing garbage.
    if (!document.current_location().error()) return fail(root, "malformed JSON");
    if (!missing_.empty()) return fail(root.field(missing_), "required");
    return true;
  }

 private:
  // A required top-level field is absent. Reported once the whole body parsed, so
  // that a malformed body is reported as such first.
  void note_missing(bool present, std::string_view field) {
    if (!present && missing_.empty()) missing_ = field;
  }

  bool fail(const Path& path, std::string_view problem, Error error = Error::bad_request) {
    std::string message = path.str();
    message += ": ";
    message += problem;
    failure_ = Failure{error, std::move(message)};
    return false;
  }

  bool fail_json(const Path& path, simdjson::error_code error) {
    switch (error) {
      case simdjson::UTF8_ERROR:
        return fail(Path::root(), "invalid UTF-8");
      case simdjson::EMPTY:
        return fail(Path::root(), "expected object");
      case simdjson::CAPACITY:
        return fail(Path::root(), "too large", Error::payload_too_large);
      case simdjson::MEMALLOC:
        failure_ = Failure{Error::internal, "out of memory while parsing"};
        return false;
      default:
        return fail(path, "malformed JSON");
    }
  }

  // A value of the wrong type; reports it as malformed instead when it is not even
  // valid JSON (e.g. `tru`), since that is the more useful message.
  bool type_error(od::value& value, const Path& path, std::string_view expected) {
    if (!skip_value(value, path, 0)) return false;
    return fail(path, expected);
  }

  // ---- scalars ----

  template <typename T>
  bool read_null(od::value& value, const Path& path, std::optional<T>& out) {
    bool is_null = false;
    if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
      return fail(path, "malformed JSON");
    }
    out.reset();
    return true;
  }

  // Views the body directly unless the string has escapes; those are unescaped into
  // the parser's string buffer (see the lifetime note in request_parser.hpp).
  bool read_string(od::value& value, const Path& path, std::optional<std::string_view>& out) {
    const char first = first_char(value);
    if (first == 'n') return read_null(value, path, out);
    if (first != '"') return type_error(value, path, "expected string");
    const std::string_view token = value.raw_json_token();
    const std::size_t closing_quote = token.find_last_of('"');
    if (closing_quote == 0 || closing_quote == std::string_view::npos) {
      return fail(path, "malformed JSON");
    }
    const std::string_view content = token.substr(1, closing_quote - 1);
    if (std::memchr(content.data(), '\\', content.size()) == nullptr) {
      // Consume the string even though its bytes are already known: an unconsumed
      // string followed by ':' would be skipped as if it were a key, hiding the error.
      od::raw_json_string consumed;
      if (auto error = value.get_raw_json_string().get(consumed)) return fail_json(path, error);
      out = content;
      return true;
    }
    std::string_view unescaped;
    if (auto error = value.get_string().get(unescaped)) return fail_json(path, error);
    out = unescaped;
    return true;
  }

  // A string where null is not allowed (array elements).
  bool read_required_string(od::value& value, const Path& path, std::string_view& out) {
    std::optional<std::string_view> text;
    if (!read_string(value, path, text)) return false;
    if (!text) return fail(path, "expected string");
    out = *text;
    return true;
  }

  // An integer in 0..2^53: digits only, no fraction or exponent (PROTOCOL.md §3).
  bool read_integer(od::value& value, const Path& path, std::optional<std::int64_t>& out) {
    const char first = first_char(value);
    if (first == 'n') return read_null(value, path, out);
    if (first != '-' && !is_digit(first)) return type_error(value, path, "expected integer");
    const NumberToken number = scan_number(trim_trailing_space(value.raw_json_token()));
    if (!number.valid) return fail(path, "malformed JSON");
    if (!number.integral) return fail(path, "expected integer");
    if (number.negative && number.digits != "0") return fail(path, "must not be negative");
    if (number.digits.size() > max_exact_digits || number.magnitude > max_integer) {
      return fail(path, "must be at most 9007199254740992");
    }
    out = static_cast<std::int64_t>(number.magnitude);
    return true;
  }

  bool read_bool(od::value& value, const Path& path, std::optional<bool>& out) {
    const char first = first_char(value);
    if (first == 'n') return read_null(value, path, out);
    if (first != 't' && first != 'f') return type_error(value, path, "expected boolean");
    bool parsed = false;
    if (value.get_bool().get(parsed)) return fail(path, "malformed JSON");
    out = parsed;
    return true;
  }

  // ---- containers ----

  // A key views the body unless it has escapes (then the parser's buffer).
  bool read_key(od::field& field, const Path& path, std::string_view& key) {
    // Stage 1 guarantees the closing quote exists, within the body.
    const char* raw = field.key().raw();
    const char* end = find_quote_or_backslash(raw);
    if (*end == '"') {
      key = std::string_view(raw, static_cast<std::size_t>(end - raw));
      return true;
    }
    if (auto error = field.unescaped_key().get(key)) return fail_json(path, error);
    return true;
  }

  // Calls on_field(key, value) for every member; it returns false to stop on failure.
  template <typename OnField>
  bool for_each_field(od::object& object, const Path& path, OnField&& on_field) {
    for (auto field_result : object) {
      if (auto error = field_result.error()) return fail_json(path, error);
      // By reference: a copy of the field costs a store-forwarding stall per member.
      od::field& field = field_result.value_unsafe();
      std::string_view key;
      if (!read_key(field, path, key)) return false;
      if (!on_field(key, field.value())) return false;
    }
    return true;
  }

  template <typename OnField>
  bool read_object(od::value& value, const Path& path, OnField&& on_field) {
    if (first_char(value) != '{') return type_error(value, path, "expected object");
    od::object object;
    if (auto error = value.get_object().get(object)) return fail_json(path, error);
    return for_each_field(object, path, std::forward<OnField>(on_field));
  }

  // Reads an array of at most max_items elements into `out`. `present` stays false
  // for null.
  template <typename T, typename ReadElement>
  bool read_array(od::value& value, const Path& path, std::vector<T>& out, bool& present,
                  ReadElement&& read_element) {
    const char first = first_char(value);
    if (first == 'n') {
      std::optional<bool> null_value;
      present = false;
      out.clear();
      return read_null(value, path, null_value);
    }
    if (first != '[') return type_error(value, path, "expected array");
    const auto offset = static_cast<std::size_t>(value.raw_json_token().data() - body_.data());
    od::array array;
    if (auto error = value.get_array().get(array)) return fail_json(path, error);
    present = true;
    out.clear();
    out.reserve(std::min({limits_.max_items, max_reserved_elements,
                          (body_.size() - offset) / assumed_element_bytes}));
    // Counted as they come, against the limit.
    std::size_t index = 0;
    for (auto element_result : array) {
      if (auto error = element_result.error()) return fail_json(path, error);
      if (index == limits_.max_items) {
        return fail(path, "more than " + std::to_string(limits_.max_items) + " items",
                    Error::payload_too_large);
      }
      od::value& element = element_result.value_unsafe();
      if (!read_element(element, path.element(index), out.emplace_back())) return false;
      ++index;
    }
    return true;
  }

  // Validates a value nobody asked for (unknown fields), so malformed JSON is caught
  // anywhere in the body: On-Demand alone would skip it unchecked.
  bool skip_value(od::value& value, const Path& path, int depth) {
    switch (first_char(value)) {
      case '{': {
        if (depth >= max_unknown_depth) return fail(path, "nested too deeply");
        return read_object(value, path, [&](std::string_view key, od::value& member) {
          return skip_value(member, path.field(key), depth + 1);
        });
      }
      case '[': {
        if (depth >= max_unknown_depth) return fail(path, "nested too deeply");
        od::array array;
        if (auto error = value.get_array().get(array)) return fail_json(path, error);
        std::size_t index = 0;
        for (auto element_result : array) {
          if (auto error = element_result.error()) return fail_json(path, error);
          od::value& element = element_result.value_unsafe();
          if (!skip_value(element, path.element(index++), depth + 1)) return false;
        }
        return true;
      }
      case '"': {
        std::optional<std::string_view> text;
        return read_string(value, path, text);
      }
      case 't':
      case 'f': {
        std::optional<bool> flag;
        return read_bool(value, path, flag);
      }
      case 'n': {
        std::optional<bool> null_value;
        return read_null(value, path, null_value);
      }
      default:
        if (!scan_number(trim_trailing_space(value.raw_json_token())).valid) {
          return fail(path, "malformed JSON");
        }
        return true;
    }
  }

  // ---- items ----

  bool check_length(const Path& path, const std::optional<std::string_view>& text,
                    std::size_t max_bytes) {
    if (!text) return fail(path, "required");
    if (text->empty() || text->size() > max_bytes) {
      return fail(path, "must be 1.." + std::to_string(max_bytes) + " bytes");
    }
    return true;
  }

  // The one item reader, for check entries and for uploaded, flushed and lock items.
  bool read_item_fields(od::value& value, const Path& path, ItemShape shape, ItemFields& item) {
    const bool read_ok = read_object(value, path, [&](std::string_view key, od::value& field) {
      if (key == "key") return read_string(field, path.field("key"), item.key);
      if (key == "dataType") return read_string(field, path.field("dataType"), item.data_type);
      if (key == "dataTimestamp") {
        return read_integer(field, path.field("dataTimestamp"), item.timestamp);
      }
      if (key == "isDeleted") return read_bool(field, path.field("isDeleted"), item.is_deleted);
      if (shape.with_data && key == "data")
        return read_string(field, path.field("data"), item.data);
      return skip_value(field, path.field(key), 0);
    });
    if (!read_ok) return false;
    if (!check_length(path.field("key"), item.key, max_key_bytes)) return false;
    if (!check_length(path.field("dataType"), item.data_type, max_data_type_bytes)) return false;
    if (shape.with_data) {
      if (!item.data) return fail(path.field("data"), "required");
      if (item.data->size() > limits_.max_item_bytes) {
        return fail(path.field("data"),
                    "must be at most " + std::to_string(limits_.max_item_bytes) + " bytes");
      }
    }
    if (shape.timestamp_required && !item.timestamp) {
      return fail(path.field("dataTimestamp"), "required");
    }
    return true;
  }

  bool read_check_entry(od::value& value, const Path& path, CheckEntry& entry) {
    ItemFields fields;
    if (!read_item_fields(value, path, check_entry_shape, fields)) return false;
    entry.key = *fields.key;
    entry.data_type = *fields.data_type;
    entry.data_timestamp = fields.timestamp;
    return true;
  }

  bool read_item(od::value& value, const Path& path, Item& item) {
    ItemFields fields;
    if (!read_item_fields(value, path, stored_item_shape, fields)) return false;
    item.key.assign(*fields.key);
    item.data_type.assign(*fields.data_type);
    item.data.assign(*fields.data);
    item.data_timestamp = *fields.timestamp;
    item.is_deleted = fields.is_deleted.value_or(false);
    return true;
  }

  bool read_optional_item(od::value& value, const Path& path, std::optional<Item>& item) {
    if (first_char(value) == 'n') return read_null(value, path, item);
    return read_item(value, path, item.emplace());
  }

  bool read_items(od::value& value, const Path& path, std::vector<Item>& items, bool& present) {
    return read_array(value, path, items, present,
                      [this](od::value& element, const Path& element_path, Item& item) {
                        return read_item(element, element_path, item);
                      });
  }

  // Returns nullopt when `key` is not a gate field, else whether reading it succeeded.
  std::optional<bool> read_gate_field(std::string_view key, od::value& value, const Path& root,
                                      GateFields& gate) {
    if (key == "pwdHash") return read_string(value, root.field("pwdHash"), gate.pwd_hash);
    if (key == "nonce") return read_integer(value, root.field("nonce"), gate.nonce);
    return std::nullopt;
  }

  // ---- requests ----

  bool read_request(od::object& object, const Path& root, CheckRequest& request) {
    GateFields gate;
    bool has_local_data = false;
    bool has_type_filter = false;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (auto gate_read = read_gate_field(key, value, root, gate)) return *gate_read;
      if (key == "localData") {
        return read_array(value, root.field("localData"), request.local_data, has_local_data,
                          [this](od::value& element, const Path& path, CheckEntry& entry) {
                            return read_check_entry(element, path, entry);
                          });
      }
      if (key == "onlyCheckLocalDataType") {
        return read_array(value, root.field("onlyCheckLocalDataType"),
                          request.only_check_local_data_type, has_type_filter,
                          [this](od::value& element, const Path& path, std::string_view& type) {
                            return read_required_string(element, path, type);
                          });
      }
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(has_local_data, "localData");
    note_missing(gate.pwd_hash.has_value(), "pwdHash");
    gate.apply_to(request);
    return true;
  }

  bool read_request(od::object& object, const Path& root, UploadRequest& request) {
    GateFields gate;
    bool has_local_data = false;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (auto gate_read = read_gate_field(key, value, root, gate)) return *gate_read;
      if (key == "localData") {
        return read_items(value, root.field("localData"), request.local_data, has_local_data);
      }
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(has_local_data, "localData");
    note_missing(gate.pwd_hash.has_value(), "pwdHash");
    gate.apply_to(request);
    return true;
  }

  bool read_request(od::object& object, const Path& root, DownloadRequest& request) {
    std::optional<std::string_view> pwd_hash;
    std::optional<std::string_view> after;
    std::optional<bool> include_deleted;
    std::optional<std::int64_t> skip;
    std::optional<std::int64_t> start;
    std::optional<std::int64_t> limit;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (key == "pwdHash") return read_string(value, root.field("pwdHash"), pwd_hash);
      if (key == "includeDeleted") {
        return read_bool(value, root.field("includeDeleted"), include_deleted);
      }
      if (key == "skip") return read_integer(value, root.field("skip"), skip);
      if (key == "start") return read_integer(value, root.field("start"), start);
      if (key == "limit") return read_integer(value, root.field("limit"), limit);
      if (key == "after") return read_string(value, root.field("after"), after);
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(pwd_hash.has_value(), "pwdHash");
    request.pwd_hash.assign(pwd_hash.value_or(""));
    request.include_deleted = include_deleted.value_or(false);
    // `start` is the real client's name for `skip`; `skip` wins when both come.
    request.skip = static_cast<std::size_t>(skip.value_or(start.value_or(0)));
    request.limit = static_cast<std::size_t>(limit.value_or(0));
    if (after) request.after.emplace(*after);
    return true;
  }

  bool read_request(od::object& object, const Path& root, FlushRequest& request) {
    GateFields gate;
    bool has_local_data = false;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (auto gate_read = read_gate_field(key, value, root, gate)) return *gate_read;
      if (key == "localData") {
        return read_items(value, root.field("localData"), request.local_data, has_local_data);
      }
      if (key == "lock") return read_optional_item(value, root.field("lock"), request.lock);
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(has_local_data, "localData");
    gate.apply_to(request);
    return true;
  }

  bool read_request(od::object& object, const Path& root, ChangeLockRequest& request) {
    std::optional<Item> lock;
    std::optional<std::string_view> pwd_hash;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (key == "lock") return read_optional_item(value, root.field("lock"), lock);
      if (key == "pwdHash") return read_string(value, root.field("pwdHash"), pwd_hash);
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(lock.has_value(), "lock");
    note_missing(pwd_hash.has_value(), "pwdHash");
    if (pwd_hash && pwd_hash->empty()) return fail(root.field("pwdHash"), "must not be empty");
    if (lock) request.lock = std::move(*lock);
    request.pwd_hash.assign(pwd_hash.value_or(""));
    return true;
  }

  bool read_request(od::object& object, const Path& root, MessageAckRequest& request) {
    std::optional<std::string_view> message_id;
    std::optional<std::string_view> action;
    const bool read_ok = for_each_field(object, root, [&](std::string_view key, od::value& value) {
      if (key == "msgId") return read_string(value, root.field("msgId"), message_id);
      if (key == "action") return read_string(value, root.field("action"), action);
      return skip_value(value, root.field(key), 0);
    });
    if (!read_ok) return false;
    note_missing(message_id.has_value(), "msgId");
    if (message_id && message_id->empty()) return fail(root.field("msgId"), "must not be empty");
    request.message_id.assign(message_id.value_or(""));
    request.action.assign(action.value_or(""));
    return true;
  }

  const ParseLimits& limits_;
  std::string_view body_;
  Failure failure_;
  std::string_view missing_;  // the first required field found absent
};

}  // namespace

template <typename Request>
Outcome<Request> RequestParser::parse(std::string_view body) {
  if constexpr (std::is_same_v<Request, DownloadRequest>) {
    if (is_blank(body)) return DownloadRequest{};
  }
  BodyReader reader(limits_, body);
  Request request;
  if (!reader.read_document(parser_, request)) return reader.take_failure();
  return request;
}

std::string_view RequestParser::copy_with_padding(std::string_view body) {
  padded_copy_.assign(body);
  padded_copy_.append(padding, '\0');
  return std::string_view(padded_copy_.data(), body.size());
}

Outcome<CheckRequest> RequestParser::parse_check(std::string_view body) {
  return parse<CheckRequest>(body);
}
Outcome<UploadRequest> RequestParser::parse_upload(std::string_view body) {
  return parse<UploadRequest>(body);
}
Outcome<DownloadRequest> RequestParser::parse_download(std::string_view body) {
  return parse<DownloadRequest>(body);
}
Outcome<FlushRequest> RequestParser::parse_flush(std::string_view body) {
  return parse<FlushRequest>(body);
}
Outcome<ChangeLockRequest> RequestParser::parse_change_lock(std::string_view body) {
  return parse<ChangeLockRequest>(body);
}

Outcome<MessageAckRequest> RequestParser::parse_message_ack(std::string_view body) {
  return parse<MessageAckRequest>(body);
}

Outcome<CheckRequest> RequestParser::parse_check(std::string_view body, CopyBody) {
  return parse<CheckRequest>(copy_with_padding(body));
}
Outcome<UploadRequest> RequestParser::parse_upload(std::string_view body, CopyBody) {
  return parse<UploadRequest>(copy_with_padding(body));
}
Outcome<DownloadRequest> RequestParser::parse_download(std::string_view body, CopyBody) {
  return parse<DownloadRequest>(copy_with_padding(body));
}
Outcome<FlushRequest> RequestParser::parse_flush(std::string_view body, CopyBody) {
  return parse<FlushRequest>(copy_with_padding(body));
}
Outcome<ChangeLockRequest> RequestParser::parse_change_lock(std::string_view body, CopyBody) {
  return parse<ChangeLockRequest>(copy_with_padding(body));
}

}  // namespace primesync::protocol
