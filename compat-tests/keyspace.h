// Keys and values are described by small references (id + length) and turned
// into bytes deterministically, so an operation list stays compact, can be
// written to a file and replayed bit for bit.
#pragma once

#include <cstdint>
#include <string>

namespace compat {

enum class KeyKind : uint8_t {
  Plain = 0,   // bytes derived from (id, len)
  DbName = 1,  // the name of named database `id` ("db<id>"), for main-db ops
  Int = 2,     // native unsigned integer of `len` bytes (4 or 8) holding id
};

struct KeyRef {
  uint32_t id = 0;
  uint16_t len = 0;
  KeyKind kind = KeyKind::Plain;
};

// A value: `len` bytes derived from `seed`.  The top byte of `len` selects
// how (ValKind); the low 24 bits are the length.  The ordered kinds encode
// `seed` so that values sort by seed under one duplicate order (and after
// almost every random value), which MDB_APPENDDUP needs.
enum class ValKind : uint8_t {
  Random = 0,
  OrderedMem = 1,     // memcmp order (MDB_DUPSORT, MDB_DUPFIXED)
  OrderedRev = 2,     // reverse-byte order (MDB_REVERSEDUP)
  OrderedInt = 3,     // native unsigned integers of 4 or 8 bytes (MDB_INTEGERDUP)
};

struct ValRef {
  uint32_t seed = 0;
  uint32_t len = 0;
};

inline uint32_t val_len(const ValRef &v) { return v.len & 0xFFFFFFu; }
inline ValKind val_kind(const ValRef &v) { return static_cast<ValKind>(v.len >> 24); }
inline ValRef make_val(uint32_t seed, uint32_t len, ValKind k = ValKind::Random) {
  return ValRef{seed, (len & 0xFFFFFFu) | (static_cast<uint32_t>(k) << 24)};
}

// Name of named database number i (1-based; 0 is the main database).
std::string db_name(unsigned i);

// The bytes of a key / value.
std::string key_bytes(const KeyRef &k);
std::string val_bytes(const ValRef &v);

// Fill `out` (val_len(v) bytes) with the bytes of value v (used for MDB_RESERVE).
void fill_val(const ValRef &v, char *out);

// Short printable description of a byte string: size and a hex/text preview.
std::string preview(const std::string &bytes, size_t max_shown = 24);

}  // namespace compat
