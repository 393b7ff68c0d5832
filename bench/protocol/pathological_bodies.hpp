// Hostile request bodies, shared by the rejection benchmark and its unit test:
// each with the outcome the parser must give it within the default limits.
#pragma once

#include <string>
#include <vector>

#include "primesync/error.hpp"

namespace primesync::bench {

struct PathologicalBody {
  std::string name;
  std::string body;
  Error expected;  // Error::ok: accepted
};

inline std::string repeated(const std::string& piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// A check body of `count` tiny entries.
inline std::string tiny_entries(std::size_t count) {
  std::string body = R"({"pwdHash":"","localData":[)";
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) body += ',';
    body += R"({"key":")" + std::to_string(i) + R"(","dataType":"W"})";
  }
  return body + "]}";
}

inline std::vector<PathologicalBody> pathological_bodies() {
  constexpr std::size_t kDeep = 100000;
  return {
      {"DeepNesting",
       R"({"pwdHash":"","localData":[],"x":)" + repeated("[", kDeep) + repeated("]", kDeep) + "}",
       Error::bad_request},
      {"HugeNumber", R"({"pwdHash":"","localData":[],"nonce":1)" + std::string(10000, '0') + "}",
       Error::bad_request},
      {"HugeTimestamp",
       R"({"pwdHash":"","localData":[{"key":"k","dataType":"W","dataTimestamp":1e400}]})",
       Error::bad_request},
      {"InvalidUtf8", std::string(R"({"pwdHash":"\xff\xfe","localData":[]})"), Error::bad_request},
      {"TenThousandDuplicateFields",
       R"({"localData":[],)" + repeated(R"("pwdHash":"p",)", 10000) + R"("nonce":0})", Error::ok},
      {"TenThousandTinyItems", tiny_entries(10000), Error::ok},
      {"TenThousandAndOneTinyItems", tiny_entries(10001), Error::payload_too_large},
      {"LongKey",
       R"({"pwdHash":"","localData":[{"key":")" + std::string(100000, 'k') +
           R"(","dataType":"W"}]})",
       Error::bad_request},
  };
}

}  // namespace primesync::bench
