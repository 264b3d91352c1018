#include "keyspace.h"

#include <cstring>

#include "rng.h"

namespace compat {

std::string db_name(unsigned i) { return "db" + std::to_string(i); }

namespace {

// A few shared prefixes so that long keys often agree on their first bytes:
// that makes comparisons and separator keys less trivial.
const char *const kPrefixes[] = {"", "user/profile/", "user/settings/", "\x01\x02\x03\x04\x05\x06\x07\x08"};

void fill_random(uint64_t seed, char *out, size_t n) {
  uint64_t x = seed;
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w = splitmix64(x);
    memcpy(out + i, &w, 8);
    i += 8;
  }
  if (i < n) {
    uint64_t w = splitmix64(x);
    memcpy(out + i, &w, n - i);
  }
}

}  // namespace

std::string key_bytes(const KeyRef &k) {
  switch (k.kind) {
    case KeyKind::DbName:
      return db_name(k.id);
    case KeyKind::Int: {
      std::string s(k.len, '\0');
      if (k.len == sizeof(unsigned int)) {
        unsigned int v = k.id;
        memcpy(s.data(), &v, sizeof v);
      } else if (k.len == sizeof(size_t)) {
        size_t v = static_cast<size_t>(k.id) * 0x10001u;
        memcpy(s.data(), &v, sizeof v);
      }
      return s;
    }
    case KeyKind::Plain:
      break;
  }
  std::string s(k.len, '\0');
  uint64_t h = mix64(0x6b6579ull ^ (static_cast<uint64_t>(k.id) << 16) ^ k.len);
  size_t off = 0;
  if (k.len >= 24) {
    const char *p = kPrefixes[h & 3];
    off = strlen(p);
    memcpy(s.data(), p, off);
  }
  fill_random(h, s.data() + off, k.len - off);
  // Never produce the exact name of a named database ("db<n>"); those keys
  // are reserved for the DbName kind.
  if (k.len >= 3 && k.len <= 4 && s[0] == 'd' && s[1] == 'b') s[0] = 'D';
  return s;
}

void fill_val(const ValRef &v, char *out) {
  const uint32_t n = val_len(v);
  fill_random(mix64(0x76616cull ^ (static_cast<uint64_t>(v.seed) << 20) ^ v.len), out, n);
  unsigned char be[5] = {0xFF, static_cast<unsigned char>(v.seed >> 24), static_cast<unsigned char>(v.seed >> 16),
                         static_cast<unsigned char>(v.seed >> 8), static_cast<unsigned char>(v.seed)};
  switch (val_kind(v)) {
    case ValKind::Random:
      break;
    case ValKind::OrderedMem:  // 0xFF, big-endian seed, random tail
      memcpy(out, be, n < 5 ? n : 5);
      break;
    case ValKind::OrderedRev:  // the same, read from the end backwards
      for (uint32_t i = 0; i < 5 && i < n; i++) out[n - 1 - i] = static_cast<char>(be[i]);
      break;
    case ValKind::OrderedInt:
      if (n == sizeof(unsigned int)) {
        unsigned int x = 0xF0000000u + v.seed;
        memcpy(out, &x, sizeof x);
      } else if (n == sizeof(size_t)) {
        size_t x = (static_cast<size_t>(0xF0000000u) << 32) + v.seed;
        memcpy(out, &x, sizeof x);
      }
      break;
  }
}

std::string val_bytes(const ValRef &v) {
  std::string s(val_len(v), '\0');
  fill_val(v, s.data());
  return s;
}

std::string preview(const std::string &bytes, size_t max_shown) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "[" + std::to_string(bytes.size()) + "]";
  bool text = true;
  for (size_t i = 0; i < bytes.size() && i < max_shown; i++) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 32 || c > 126) text = false;
  }
  out += text ? "\"" : "0x";
  for (size_t i = 0; i < bytes.size() && i < max_shown; i++) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (text) {
      out += static_cast<char>(c);
    } else {
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (text) out += "\"";
  if (bytes.size() > max_shown) out += "...";
  return out;
}

}  // namespace compat
