// Byte generators shared by the differential API fuzzer (fuzz/diff_api.cpp)
// and the C test cases it prints: the same text is compiled into the fuzzer
// and pasted into every printed program (DIFF_API_GEN_SOURCE), so a printed
// reproduction builds exactly the keys and values the fuzzer used.
#pragma once

#include <cstddef>
#include <cstring>

// kind 0: key bytes (letters; keys of one seed's upper bits share a prefix,
// the last byte depends on the seed's low bits); kind 1: value bytes.
// idx != 0 (bulk operations) is written into bytes n-3 and n-2.
// gen_int: a native integer of n (4 or 8) bytes.
// hash_bytes: FNV-1a, to state expected returned bytes briefly.
#define DIFF_API_GEN                                                                                  \
  static void gen_bytes(unsigned char *p, size_t n, unsigned kind, unsigned seed, unsigned idx) {     \
    size_t i;                                                                                         \
    for (i = 0; i < n; i++)                                                                           \
      p[i] = (unsigned char)(kind ? (seed * 7u + i * 13u + (i >> 8))                                  \
                                  : ('a' + ((seed >> 3) * 5u + i * 3u) % 26u));                       \
    if (!kind && n >= 1) p[n - 1] = (unsigned char)('A' + (seed & 7u));                              \
    if (idx && n >= 4) {                                                                              \
      p[n - 3] = (unsigned char)(idx >> 8);                                                           \
      p[n - 2] = (unsigned char)idx;                                                                  \
    }                                                                                                 \
  }                                                                                                   \
  static void gen_int(unsigned char *p, size_t n, unsigned seed, unsigned idx) {                      \
    unsigned long long v = (unsigned long long)seed * 65537u + ((unsigned long long)idx << 12);       \
    unsigned int v4 = (unsigned int)v;                                                                \
    if (n == 4)                                                                                       \
      memcpy(p, &v4, 4);                                                                              \
    else                                                                                              \
      memcpy(p, &v, n < 8 ? n : 8);                                                                   \
  }                                                                                                   \
  static unsigned hash_bytes(const unsigned char *p, size_t n) {                                      \
    unsigned h = 2166136261u;                                                                         \
    size_t i;                                                                                         \
    for (i = 0; i < n; i++) {                                                                         \
      h ^= p[i];                                                                                      \
      h *= 16777619u;                                                                                 \
    }                                                                                                 \
    return h;                                                                                         \
  }

#define DIFF_API_STR2(...) #__VA_ARGS__
#define DIFF_API_STR(...) DIFF_API_STR2(__VA_ARGS__)
#define DIFF_API_GEN_SOURCE DIFF_API_STR(DIFF_API_GEN)

namespace diff_api {
DIFF_API_GEN
inline void fill(unsigned char *p, size_t n, unsigned kind, unsigned seed, unsigned idx) {
  gen_bytes(p, n, kind, seed, idx);
}
inline void fill_int(unsigned char *p, size_t n, unsigned seed, unsigned idx) { gen_int(p, n, seed, idx); }
inline unsigned hash(const unsigned char *p, size_t n) { return hash_bytes(p, n); }
}  // namespace diff_api
