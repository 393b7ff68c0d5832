// Small owning wrappers around libbson for the MongoDB store: a document that
// frees itself, and readers that turn a stored field into a C++ value or throw
// StoreUnavailable naming the field (a document that does not decode is damage,
// answered like an unreachable database, never a crash).
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace primesync::mongodb {

// An owned bson_t, built in place.
class BsonDocument {
 public:
  BsonDocument() { bson_init(&document_); }
  // Takes ownership of a heap document (from bson_new / bson_copy).
  static BsonDocument adopt(bson_t* heap);
  ~BsonDocument() { bson_destroy(&document_); }
  BsonDocument(BsonDocument&& other) noexcept;
  BsonDocument& operator=(BsonDocument&& other) noexcept;
  BsonDocument(const BsonDocument&) = delete;
  BsonDocument& operator=(const BsonDocument&) = delete;

  [[nodiscard]] bson_t* get() noexcept { return &document_; }
  [[nodiscard]] const bson_t* get() const noexcept { return &document_; }
  [[nodiscard]] std::size_t size() const noexcept { return document_.len; }

  BsonDocument& append(std::string_view key, std::string_view utf8);
  BsonDocument& append(std::string_view key, std::int64_t value);
  BsonDocument& append_bool(std::string_view key, bool value);
  BsonDocument& append_binary(std::string_view key, std::string_view bytes);
  BsonDocument& append_document(std::string_view key, const BsonDocument& child);
  // `elements` is a document whose keys are "0", "1", ... (see ArrayBuilder).
  BsonDocument& append_array(std::string_view key, const BsonDocument& elements);
  BsonDocument& append_null(std::string_view key);

 private:
  bson_t document_;
};

// Builds the elements of an array, keyed "0", "1", ...
class ArrayBuilder {
 public:
  ArrayBuilder& add(std::string_view utf8);
  ArrayBuilder& add(std::int64_t value);
  ArrayBuilder& add(const BsonDocument& document);
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return elements_.size(); }
  [[nodiscard]] const BsonDocument& elements() const noexcept { return elements_; }

 private:
  std::string next_key() { return std::to_string(count_++); }

  BsonDocument elements_;
  std::size_t count_ = 0;
};

// Reads the fields of one stored document; `what` names it in errors.
class BsonReader {
 public:
  BsonReader(const bson_t* document, std::string what)
      : document_(document), what_(std::move(what)) {}

  [[nodiscard]] bool has(const char* key) const;
  [[nodiscard]] std::string text(const char* key) const;
  [[nodiscard]] std::int64_t integer(const char* key) const;
  [[nodiscard]] bool boolean(const char* key) const;
  [[nodiscard]] std::string binary(const char* key) const;
  // A sub-document or array, if present (a view into this document).
  [[nodiscard]] std::optional<BsonDocument> child(const char* key) const;

  [[nodiscard]] const bson_t* document() const noexcept { return document_; }
  [[noreturn]] void fail(std::string_view key, std::string_view reason) const;

 private:
  [[nodiscard]] bson_iter_t find(const char* key) const;

  const bson_t* document_;
  std::string what_;
};

// Calls visit(element_document) for each document in an array or sub-document.
template <typename Visit>
void for_each_document(const BsonReader& parent, const bson_t* container, Visit&& visit) {
  bson_iter_t iter;
  if (!bson_iter_init(&iter, container)) parent.fail("(container)", "not a document");
  while (bson_iter_next(&iter)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&iter)) parent.fail(bson_iter_key(&iter), "expected a document");
    std::uint32_t length = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&iter, &length, &data);
    bson_t element;
    if (!bson_init_static(&element, data, length)) parent.fail(bson_iter_key(&iter), "damaged");
    visit(static_cast<const bson_t*>(&element));
  }
}

// The server's text for a failed operation, for StoreUnavailable messages.
[[nodiscard]] std::string describe(const bson_error_t& error);

}  // namespace primesync::mongodb
