#include "store/mongodb/bson_document.hpp"

#include <utility>

#include "primesync/error.hpp"

namespace primesync::mongodb {

namespace {

int key_length(std::string_view key) {
  return static_cast<int>(key.size());
}

}  // namespace

BsonDocument BsonDocument::adopt(bson_t* heap) {
  BsonDocument document;
  bson_destroy(&document.document_);
  bson_steal(&document.document_, heap);  // frees `heap` itself, keeps its contents
  return document;
}

BsonDocument::BsonDocument(BsonDocument&& other) noexcept {
  bson_steal(&document_, &other.document_);
  bson_init(&other.document_);
}

BsonDocument& BsonDocument::operator=(BsonDocument&& other) noexcept {
  if (this != &other) {
    bson_destroy(&document_);
    bson_steal(&document_, &other.document_);
    bson_init(&other.document_);
  }
  return *this;
}

BsonDocument& BsonDocument::append(std::string_view key, std::string_view utf8) {
  bson_append_utf8(&document_, key.data(), key_length(key), utf8.data(),
                   static_cast<int>(utf8.size()));
  return *this;
}

BsonDocument& BsonDocument::append(std::string_view key, std::int64_t value) {
  bson_append_int64(&document_, key.data(), key_length(key), value);
  return *this;
}

BsonDocument& BsonDocument::append_bool(std::string_view key, bool value) {
  bson_append_bool(&document_, key.data(), key_length(key), value);
  return *this;
}

BsonDocument& BsonDocument::append_binary(std::string_view key, std::string_view bytes) {
  bson_append_binary(&document_, key.data(), key_length(key), BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const std::uint8_t*>(bytes.data()),
                     static_cast<std::uint32_t>(bytes.size()));
  return *this;
}

BsonDocument& BsonDocument::append_document(std::string_view key, const BsonDocument& child) {
  bson_append_document(&document_, key.data(), key_length(key), child.get());
  return *this;
}

BsonDocument& BsonDocument::append_array(std::string_view key, const BsonDocument& elements) {
  bson_append_array(&document_, key.data(), key_length(key), elements.get());
  return *this;
}

ArrayBuilder& ArrayBuilder::add(std::string_view utf8) {
  elements_.append(next_key(), utf8);
  return *this;
}

ArrayBuilder& ArrayBuilder::add(std::int64_t value) {
  elements_.append(next_key(), value);
  return *this;
}

ArrayBuilder& ArrayBuilder::add(const BsonDocument& document) {
  elements_.append_document(next_key(), document);
  return *this;
}

BsonDocument& BsonDocument::append_null(std::string_view key) {
  bson_append_null(&document_, key.data(), key_length(key));
  return *this;
}

void BsonReader::fail(std::string_view key, std::string_view reason) const {
  throw StoreUnavailable("mongodb store: " + what_ + "." + std::string(key) + ": " +
                         std::string(reason));
}

bson_iter_t BsonReader::find(const char* key) const {
  bson_iter_t iter;
  if (!bson_iter_init_find(&iter, document_, key)) fail(key, "missing");
  return iter;
}

bool BsonReader::has(const char* key) const {
  bson_iter_t iter;
  return bson_iter_init_find(&iter, document_, key) && !BSON_ITER_HOLDS_NULL(&iter);
}

std::string BsonReader::text(const char* key) const {
  bson_iter_t iter = find(key);
  if (!BSON_ITER_HOLDS_UTF8(&iter)) fail(key, "expected a string");
  std::uint32_t length = 0;
  const char* value = bson_iter_utf8(&iter, &length);
  return {value, length};
}

std::int64_t BsonReader::integer(const char* key) const {
  bson_iter_t iter = find(key);
  if (BSON_ITER_HOLDS_INT64(&iter)) return bson_iter_int64(&iter);
  if (BSON_ITER_HOLDS_INT32(&iter)) return bson_iter_int32(&iter);
  fail(key, "expected an integer");
}

bool BsonReader::boolean(const char* key) const {
  bson_iter_t iter = find(key);
  if (!BSON_ITER_HOLDS_BOOL(&iter)) fail(key, "expected a boolean");
  return bson_iter_bool(&iter);
}

std::string BsonReader::binary(const char* key) const {
  bson_iter_t iter = find(key);
  if (!BSON_ITER_HOLDS_BINARY(&iter)) fail(key, "expected binary data");
  bson_subtype_t subtype = BSON_SUBTYPE_BINARY;
  std::uint32_t length = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_binary(&iter, &subtype, &length, &data);
  return {reinterpret_cast<const char*>(data), length};
}

std::optional<BsonDocument> BsonReader::child(const char* key) const {
  bson_iter_t iter;
  if (!bson_iter_init_find(&iter, document_, key) || BSON_ITER_HOLDS_NULL(&iter)) {
    return std::nullopt;
  }
  if (!BSON_ITER_HOLDS_DOCUMENT(&iter) && !BSON_ITER_HOLDS_ARRAY(&iter)) {
    fail(key, "expected a document");
  }
  std::uint32_t length = 0;
  const std::uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
    bson_iter_document(&iter, &length, &data);
  } else {
    bson_iter_array(&iter, &length, &data);
  }
  bson_t* copy = bson_new_from_data(data, length);
  if (copy == nullptr) fail(key, "damaged");
  return BsonDocument::adopt(copy);
}

std::string describe(const bson_error_t& error) {
  return std::string(error.message) + " (domain " + std::to_string(error.domain) + ", code " +
         std::to_string(error.code) + ")";
}

}  // namespace primesync::mongodb
