// Lowercase hex: the form clients give item keys and ciphertext in (SHA-512 keys,
// encrypted data). The RocksDB records keep such text as the bytes it spells, half
// its size; the MongoDB records spell binary ids with it.
#pragma once

#include <string>
#include <string_view>

namespace primesync::hex_text {

// Appends the two lowercase hex digits of every byte.
void append_hex(std::string& out, std::string_view bytes);

// When `text` is lowercase hex of even length, appends the bytes it spells and
// returns true; otherwise leaves `out` as it was and returns false.
bool append_bytes_of_hex(std::string& out, std::string_view text);

}  // namespace primesync::hex_text
