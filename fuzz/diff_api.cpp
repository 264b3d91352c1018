// diff_api: a coverage-guided differential fuzzer of the whole LMDB API.
//
// The input is a small byte code (fuzz/README.md, "diff_api"): a 5-byte
// header choosing the environment (flags, map size, limits, custom orders,
// fixed item sizes), then up to kMaxOps operations of one opcode byte and a
// few argument bytes each.  Every operation runs on our engine (linked in,
// instrumented) and on upstream's liblmdb (dlmopen'ed by compat-tests'
// api_table.cpp, $LMDB_COMPAT_ORACLE to load another build), each on its own
// environment under $TMPDIR (default /dev/shm), recreated for every input.
// After every call the return codes and every returned byte are compared;
// the first difference prints the operations so far and aborts.
//
// Only call sequences that lmdb.h defines are made (a model of live
// transactions, cursors and handles decides), and states where upstream
// 0.9.24 is known to misbehave are steered around with named rules
// (compat-tests/README.md, "diff_api rules").  Known divergences of ours that
// are being fixed are listed in kKnown: each is a named rule that ends the
// input when it matches (or steers), and can be switched off with
// DIFF_API_KNOWN_OFF=name,name|all (or -DDIFF_API_NO_KNOWN at build time).
//
// DIFF_API_SAVE_DIR=dir: save the first input of each kind of divergence in
// dir (div-<hash> and div-<hash>.txt) and go on (long runs).
// DIFF_API_EMIT_C=1 prints the executed calls of an input as a standalone C
// program (literal arguments, upstream's answers as expectations) on stdout.
// DIFF_API_TRACE=1 prints each operation as it runs; DIFF_API_STATS=1
// prints rule counters at exit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "api_table.h"
#include "diff_api_gen.h"
#include "oracle_guard.h"
#include "ops.h"
#include "rng.h"

namespace {

using compat::LmdbApi;

constexpr int kDbs = 6;        // 0: main, 1..5: "db1".."db5"
constexpr int kReads = 2;      // read-only transaction slots
constexpr int kCursors = 4;    // cursor slots
constexpr int kMaxDepth = 4;   // top-level write txn + 3 nested
constexpr int kMaxOps = 64;    // operations per input
constexpr int kReadTag = 8;    // txn tag of read slot s: kReadTag + s
constexpr size_t kScanCap = 3000;

// ---------------------------------------------------------------- rules

// Known divergences (issue 13).  The ones since fixed in ours are off by
// default (compared like everything else; kKnownOnByDefault); the ones left
// on are ruled differences, docs/divergences.md: zerodup (upstream counts a
// replaced lone empty item), wrongsize (upstream stores a DUPFIXED item of
// another size cut or padded), reservedup (upstream crashes), strerror (not
// comparable in one process), lastpgno (page reuse order, docs/format.md).
// DIFF_API_KNOWN_OFF lists rules to report as failures instead.
enum Known : int {
  K_DUPFIXED1,    // DUPFIXED 1-byte items: ours MDB_CORRUPTED
  K_ZERODUP,      // zero-length DUPSORT items (steer: never stored)
  K_MULTIPLE,     // GET/NEXT/PREV_MULTIPLE after various cursor states
  K_WRONGSIZE,    // DUPFIXED put of another size poisons the txn (steer)
  K_RESERVEDUP,   // MDB_RESERVE on DUPSORT (steer)
  K_LASTPAGE,     // upstream never uses the last page of the map
  K_MAPSIZE,      // map size not rounded to OS pages (steer)
  K_STRERROR,     // mdb_strerror of unknown negative codes (steer)
  K_READERCHECK,  // mdb_reader_check on an unopened env (steer)
  K_COPYFLAGS,    // mdb_env_copy2 with unknown flags (steer)
  K_COUNT,        // mdb_cursor_count after other cursors' MULTIPLE put / delete
  // Found by diff_api (issue 13 report), not fixed yet:
  K_DUPFLAGS,     // DUPFIXED/INTEGERDUP/REVERSEDUP without DUPSORT: ours MDB_BAD_VALSIZE
  K_LASTPGNO,     // me_last_pgno differs (page allocation), all else equal
  K_N
};
const char *const kKnownName[K_N] = {"dupfixed1", "zerodup",  "multiple",    "wrongsize", "reservedup", "lastpage",
                                     "mapsize",   "strerror", "readercheck", "copyflags", "count",
                                     "dupflags",  "lastpgno"};
const bool kKnownOnByDefault[K_N] = {false, true,  false, true,  true,  false, false,
                                     true,  false, false, false, false, true};
bool g_known[K_N];
unsigned long g_known_hits[K_N];
std::map<std::string, unsigned long> g_steered;
bool g_emit_c = false, g_trace = false;
bool g_boundary = false;  // DIFF_API_PROFILE=boundary: the tables of boundary sizes
// Standalone driver (fuzz/diff_api_boundary.cpp): a divergence ends the input
// (no abort), its signature is kept for the driver; g_quiet: print nothing.
bool g_driver = false, g_quiet = false;
std::string g_last_div;
unsigned long long g_calls = 0;  // calls compared (both sides), all inputs

void init_switches() {
  for (int i = 0; i < K_N; i++) {
#ifdef DIFF_API_NO_KNOWN
    g_known[i] = false;
#else
    g_known[i] = kKnownOnByDefault[i];
#endif
  }
  if (const char *off = getenv("DIFF_API_KNOWN_OFF")) {
    std::string s = off;
    for (int i = 0; i < K_N; i++)
      if (s == "all" || ("," + s + ",").find("," + std::string(kKnownName[i]) + ",") != std::string::npos)
        g_known[i] = false;
  }
  g_emit_c = getenv("DIFF_API_EMIT_C") && *getenv("DIFF_API_EMIT_C") != '0';
  g_trace = getenv("DIFF_API_TRACE") && *getenv("DIFF_API_TRACE") != '0';
  if (const char *p = getenv("DIFF_API_PROFILE")) {
    if (strcmp(p, "boundary") == 0) {
      g_boundary = true;
    } else if (*p && strcmp(p, "default") != 0) {
      fprintf(stderr, "diff_api: unknown DIFF_API_PROFILE '%s' (default, boundary)\n", p);
      exit(2);
    }
  }
  if (getenv("DIFF_API_STATS"))
    atexit([] {
      for (int i = 0; i < K_N; i++)
        fprintf(stderr, "diff_api: known %-12s %s, hits %lu\n", kKnownName[i], g_known[i] ? "on " : "off",
                g_known_hits[i]);
      for (auto &[k, v] : g_steered) fprintf(stderr, "diff_api: steered %-60s %lu\n", k.c_str(), v);
    });
}

// ---------------------------------------------------------------- tables

const uint32_t kKeySizes[16] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 100, 255, 510, 511, 512};
// Value sizes; 0xFFFFFFF0 + n: the overflow threshold for this key, n-1.
constexpr uint32_t kThr = 0xFFFFFFF0u;
const uint32_t kValSizes[32] = {0,   1,   2,   3,   7,       8,       9,       15,   16,   17,    31,
                                64,  100, 250, 509, 510,     511,     512,     kThr, kThr + 1, kThr + 2,
                                1000, 2040, 4080, 4095, 4096, 4097, 8192, 12289, 20000, 65536, 40};
// The boundary profile (DIFF_API_PROFILE=boundary, fuzz/diff_api_boundary.cpp):
// the same byte code over tables of boundary sizes only.  Keys: the integer
// widths and one either side, 15..17, maxkeysize (511) and one either side.
// Values: the same small sizes, maxkeysize +-1 (DUPSORT items), the overflow
// threshold for the key +-1, values that fill 1, 2 and 3 overflow pages
// exactly (n * 4096 - 16) and one byte either side.
const uint32_t kKeySizesB[16] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 510, 511, 512, 255};
const uint32_t kValSizesB[32] = {0,    1,    2,    3,    4,        5,        7,        8,    9,    15,   16,
                                 17,   255,  510,  511,  512,      kThr,     kThr + 1, kThr + 2, 4079, 4080, 4081,
                                 8175, 8176, 8177, 12271, 12272,   12273,    100,      1000, 2040, 65536};
const unsigned kFixedSizes[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 24, 100, 511};
const unsigned kMultiCounts[8] = {1, 2, 3, 4, 7, 16, 50, 200};
const size_t kMapSizes[8] = {size_t(8) << 20, 64 * 4096, 40 * 4096, size_t(1) << 20,
                             (size_t(1) << 20) + 1000,  // not a page multiple (K_MAPSIZE)
                             0, size_t(32) << 20, 300 * 4096};
// mdb_put's flag bits; CURRENT and MULTIPLE are not for mdb_put (EINVAL).
const unsigned kTxnPutFlags[7] = {MDB_NOOVERWRITE, MDB_NODUPDATA, MDB_RESERVE, MDB_APPEND,
                                  MDB_APPENDDUP,   MDB_CURRENT,   MDB_MULTIPLE};
const int kErrCodes[] = {0,      MDB_KEYEXIST,   MDB_NOTFOUND,   MDB_PAGE_NOTFOUND, MDB_CORRUPTED,  MDB_PANIC,
                         MDB_VERSION_MISMATCH, MDB_INVALID, MDB_MAP_FULL, MDB_DBS_FULL, MDB_READERS_FULL,
                         MDB_TLS_FULL, MDB_TXN_FULL, MDB_CURSOR_FULL, MDB_PAGE_FULL, MDB_MAP_RESIZED,
                         MDB_INCOMPATIBLE, MDB_BAD_RSLOT, MDB_BAD_TXN, MDB_BAD_VALSIZE, MDB_BAD_DBI,
                         EINVAL, ENOENT, EACCES, ENOMEM, ENOSPC, EIO,
                         /* unknown negative codes (K_STRERROR) */ -1, MDB_LAST_ERRCODE + 1, MDB_KEYEXIST - 1};
// No unknown positive errno: glibc's strerror then mallocs a buffer it keeps
// in the thread descriptor, which both link-map namespaces share, so one
// libc would free the other's buffer (a harness limit, not a library bug).
constexpr int kKnownErrCodes = 27;

const char *op_name(unsigned op) { return compat::cursor_op_name(op); }
std::string rc_str(int rc) { return compat::rc_name(rc); }

// "NAME|NAME|rest" for the bits of f named in `names`.
template <size_t N> std::string bit_names(unsigned f, const std::pair<unsigned, const char *> (&names)[N]) {
  std::string s;
  for (auto &[v, n] : names)
    if (f & v) {
      s += s.empty() ? "" : "|";
      s += n;
      f &= ~v;
    }
  if (f) s += (s.empty() ? "" : "|") + std::to_string(f);
  return s.empty() ? "0" : s;
}

std::string flag_names(unsigned f) {
  static const std::pair<unsigned, const char *> names[] = {
      {MDB_NOOVERWRITE, "MDB_NOOVERWRITE"}, {MDB_NODUPDATA, "MDB_NODUPDATA"}, {MDB_CURRENT, "MDB_CURRENT"},
      {MDB_RESERVE, "MDB_RESERVE"},         {MDB_APPEND, "MDB_APPEND"},       {MDB_APPENDDUP, "MDB_APPENDDUP"},
      {MDB_MULTIPLE, "MDB_MULTIPLE"}};
  return bit_names(f, names);
}

std::string db_flag_names(unsigned f) {
  static const std::pair<unsigned, const char *> names[] = {
      {MDB_REVERSEKEY, "MDB_REVERSEKEY"}, {MDB_DUPSORT, "MDB_DUPSORT"},       {MDB_INTEGERKEY, "MDB_INTEGERKEY"},
      {MDB_DUPFIXED, "MDB_DUPFIXED"},     {MDB_INTEGERDUP, "MDB_INTEGERDUP"}, {MDB_REVERSEDUP, "MDB_REVERSEDUP"},
      {MDB_CREATE, "MDB_CREATE"}};
  return bit_names(f, names);
}

// Custom orders, installed with mdb_set_compare / mdb_set_dupsort on both
// sides (the same functions).
int cmp_len_first(const MDB_val *a, const MDB_val *b) {
  if (a->mv_size != b->mv_size) return a->mv_size < b->mv_size ? -1 : 1;
  return a->mv_size ? memcmp(a->mv_data, b->mv_data, a->mv_size) : 0;
}
int cmp_desc(const MDB_val *a, const MDB_val *b) {
  size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
  int c = n ? memcmp(a->mv_data, b->mv_data, n) : 0;
  if (c) return -c;
  return a->mv_size == b->mv_size ? 0 : (a->mv_size < b->mv_size ? 1 : -1);
}

// ---------------------------------------------------------------- results

struct Out {
  int rc = 0;
  std::vector<std::pair<std::string, std::string>> f;  // name, raw bytes
  void bytes(const char *n, const MDB_val &v) {
    f.emplace_back(n, v.mv_data ? std::string(static_cast<const char *>(v.mv_data), v.mv_size)
                                : (v.mv_size ? "<null:" + std::to_string(v.mv_size) + ">" : std::string()));
  }
  void num(const char *n, uint64_t v) { f.emplace_back(n, "#" + std::to_string(v)); }
  void str(const char *n, const std::string &s) { f.emplace_back(n, s); }
  bool operator==(const Out &o) const { return rc == o.rc && f == o.f; }
};

std::string render(const std::string &b) {
  if (!b.empty() && b[0] == '#') return b.substr(1);
  std::string s = "[" + std::to_string(b.size()) + "] ";
  bool text = true;
  for (unsigned char ch : b) text = text && ch >= 32 && ch < 127;
  if (text && b.size() <= 80) return s + "\"" + b + "\"";
  char h[4];
  for (size_t i = 0; i < b.size() && i < 32; i++) {
    snprintf(h, sizeof h, "%02x", (unsigned char)b[i]);
    s += h;
  }
  if (b.size() > 32) s += "... hash " + std::to_string(diff_api::hash((const unsigned char *)b.data(), b.size()));
  return s;
}

std::string render(const Out &o) {
  std::string s = "rc=" + rc_str(o.rc);
  for (auto &[n, v] : o.f) s += " " + n + "=" + render(v);
  return s;
}

// ---------------------------------------------------------------- state

struct Side {
  const LmdbApi *a = nullptr;
  const char *label = "";
  std::string dir;
  MDB_env *env = nullptr;
  MDB_txn *w[kMaxDepth] = {};
  MDB_txn *r[kReads] = {};
  MDB_cursor *c[kCursors] = {};
  int ctag[kCursors] = {};  // txn tag each cursor was opened in (write tags < kReadTag)
  MDB_dbi dbi[kDbs] = {};
  MDB_txn *txn(int tag) const { return tag >= kReadTag ? r[tag - kReadTag] : w[tag]; }
};

enum class TS : uint8_t { None, Active, Reset };
struct TxnM {
  TS st = TS::None;
  unsigned epoch = 0, commits = 0;
  bool did_open = false;
  unsigned gen[kDbs] = {};
};
struct HandleM {
  unsigned gen = 0;
  int pending = -1;  // tag of the txn that opened it, until it ends
  bool in_env = false;
  unsigned flags = 0;
};
struct CurM {
  bool open = false;
  int tag = -1;  // -1: read cursor whose txn ended
  bool write = false;
  int db = 0;
  unsigned gen = 0;
  bool failed_set = false, tainted = false, count_suspect = false;
  // Upstream's mdb_drop kept the cursor's "deleted" mark (ours clears it):
  // see rule drop-keeps-del-mark.
  bool drop_mark = false;
  bool sv_failed = false, sv_tainted = false, sv_count = false;  // before a child began
};

struct Config {
  unsigned env_flags = MDB_NOSYNC;
  size_t mapsize = size_t(8) << 20;
  unsigned maxdbs = 8, maxreaders = 126;
  int (*keycmp[kDbs])(const MDB_val *, const MDB_val *) = {};
  int (*dupcmp[kDbs])(const MDB_val *, const MDB_val *) = {};
  unsigned keyint[kDbs] = {};  // integer key width (4/8) per db
  unsigned dupint[kDbs] = {};  // integer dup width
  unsigned dupfix[kDbs] = {};  // DUPFIXED item size
};

struct Spec {  // one key or value
  enum Kind { Bytes, Int, Name } kind = Bytes;
  unsigned size = 0, seed = 0, idx = 0;
  unsigned gen_kind = 0;  // 0 key bytes, 1 value bytes
  std::string make() const {
    std::string s(size, '\0');
    auto *p = reinterpret_cast<unsigned char *>(s.data());
    if (kind == Int)
      diff_api::fill_int(p, size, seed, idx);
    else if (kind == Name)
      s = "db" + std::to_string(seed);
    else
      diff_api::fill(p, size, gen_kind, seed, idx);
    return s;
  }
  std::string c(const char *var, const char *buf) const {
    char t[160];
    if (kind == Int)
      snprintf(t, sizeof t, "MKI(%s, %s, %u, %u, %u)", var, buf, size, seed, idx);
    else if (kind == Name)
      snprintf(t, sizeof t, "MKS(%s, \"db%u\")", var, seed);
    else
      snprintf(t, sizeof t, "MK(%s, %s, %u, %u, %u, %u)", var, buf, size, gen_kind, seed, idx);
    return t;
  }
  std::string desc() const {
    if (kind == Name) return "name:db" + std::to_string(seed);
    return std::string(kind == Int ? "int" : gen_kind ? "val" : "key") + "(" + std::to_string(size) + "," +
           std::to_string(seed) + (idx ? "," + std::to_string(idx) : "") + ")";
  }
};

struct Stop {};  // thrown inside the harness only (never across the C ABI)

struct Ctx {
  Side s[2];  // [0] upstream, [1] ours
  Config cfg;
  const uint8_t *in = nullptr;
  size_t n = 0, pos = 0;
  TxnM wl[kMaxDepth];
  int depth = 0;
  TxnM rd[kReads];
  HandleM h[kDbs];
  unsigned next_gen = 2, epoch = 1, commits = 0;
  CurM cur[kCursors];
  compat::OracleGuard guard;
  std::vector<std::string> trace, csrc;
  std::string cur_desc;
  int opno = 0;

  uint8_t b() { return pos < n ? in[pos++] : 0; }

  bool notls() const { return cfg.env_flags & MDB_NOTLS; }
  TxnM *txnm(int tag) { return tag >= kReadTag ? &rd[tag - kReadTag] : &wl[tag]; }
  bool active(int tag) {
    if (tag < 0) return false;
    if (tag < kReadTag) return tag < depth;
    return rd[tag - kReadTag].st == TS::Active;
  }
  // The txn an operation addresses: the innermost write txn or a read slot.
  int target(uint8_t x) {
    switch (x % 3) {
      case 0: return depth ? depth - 1 : -1;
      case 1: return kReadTag;
      default: return kReadTag + 1;
    }
  }
  bool usable(int tag, int db) {
    if (!active(tag) || (tag < kReadTag && tag != depth - 1)) return false;
    return h[db].gen != 0 && txnm(tag)->gen[db] == h[db].gen;
  }
  bool cur_usable(int i) {
    const CurM &k = cur[i];
    if (!k.open || k.tag < 0 || !active(k.tag)) return false;
    if (k.write && k.tag != depth - 1) return false;
    return h[k.db].gen == k.gen;
  }
  bool any_txn() const {
    if (depth) return true;
    for (const TxnM &t : rd)
      if (t.st != TS::None) return true;
    return false;
  }
  bool other_read_busy(int slot) const {
    for (int i = 0; i < kReads; i++)
      if (i != slot && rd[i].st != TS::None) return true;
    return false;
  }
  unsigned flags(int db) const { return h[db].flags; }
  bool dupsort(int db) const { return flags(db) & MDB_DUPSORT; }
  unsigned fixed_size(int db) const {
    unsigned f = flags(db);
    if (!(f & MDB_DUPSORT)) return 0;
    if (f & MDB_INTEGERDUP) return cfg.dupint[db];
    if (f & MDB_DUPFIXED) return cfg.dupfix[db];
    return 0;
  }

  void steer(const char *why) {
    g_steered[why]++;
    if (g_trace) fprintf(stderr, "  #%d %s: skipped (%s)\n", opno, cur_desc.c_str(), why);
  }

  void emit(const char *fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!g_emit_c) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    csrc.emplace_back(buf);
  }
  // C expectation lines for returned bytes (upstream's).
  void emit_val(const char *var, const MDB_val &v) {
    if (!g_emit_c) return;
    emit("  CHECKV(%s, %zu, 0x%08xu);", var, v.mv_size,
         v.mv_data ? diff_api::hash(static_cast<const unsigned char *>(v.mv_data), v.mv_size) : 0u);
  }

  [[noreturn]] void fail(const std::string &what, const Out *o);
  bool compare(const std::string &what, const Out *o, int known);
  void record(const Out *o) {
    g_calls++;
    std::string line = "#" + std::to_string(opno) + " " + cur_desc + " -> " + rc_str(o[0].rc);
    if (g_trace) fprintf(stderr, "  %s\n", line.c_str());
    trace.push_back(std::move(line));
  }
  void print_c(FILE *f);
};

Ctx *g_ctx = nullptr;
std::string g_base;

std::string config_desc(const Config &c) {
  char t[256];
  snprintf(t, sizeof t, "env flags=%#x mapsize=%zu maxdbs=%u maxreaders=%u", c.env_flags, c.mapsize, c.maxdbs,
           c.maxreaders);
  std::string s = t;
  for (int d = 1; d < kDbs; d++) {
    snprintf(t, sizeof t, "; db%d: keyint %u dupint %u dupfixed %u%s%s", d, c.keyint[d], c.dupint[d], c.dupfix[d],
             c.keycmp[d] ? (c.keycmp[d] == cmp_len_first ? " keycmp=len_first" : " keycmp=desc") : "",
             c.dupcmp[d] ? (c.dupcmp[d] == cmp_len_first ? " dupcmp=len_first" : " dupcmp=desc") : "");
    s += t;
  }
  return s;
}

void Ctx::print_c(FILE *f) {
  fprintf(f, "/* diff_api reproduction: %s */\n", config_desc(cfg).c_str());
  fprintf(f, "%s",
          "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <sys/stat.h>\n"
          "#include <lmdb.h>\n\n");
  fprintf(f, "%s\n\n", DIFF_API_GEN_SOURCE);
  fprintf(f, "%s",
          "static int fails;\n"
          "#define CHECK(rc, want) do { int r_ = (rc); if (r_ != (want)) { printf(\"line %d: rc %d (%s), \" \\\n"
          "  \"upstream gave %d\\n\", __LINE__, r_, mdb_strerror(r_), (want)); fails++; } } while (0)\n"
          "#define CHECKN(v, want) do { if ((unsigned long long)(v) != (unsigned long long)(want)) { \\\n"
          "  printf(\"line %d: %llu, upstream gave %llu\\n\", __LINE__, (unsigned long long)(v), \\\n"
          "  (unsigned long long)(want)); fails++; } } while (0)\n"
          "#define CHECKV(v, n, h) do { if ((v).mv_size != (n) || hash_bytes((v).mv_data, (v).mv_size) != (h)) { \\\n"
          "  printf(\"line %d: %zu bytes, upstream gave %zu (hash %08x vs %08x)\\n\", __LINE__, (v).mv_size, \\\n"
          "  (size_t)(n), hash_bytes((v).mv_data, (v).mv_size), (unsigned)(h)); fails++; } } while (0)\n"
          "#define MK(v, buf, n, kind, seed, idx) (gen_bytes(buf, n, kind, seed, idx), (v).mv_size = (n), "
          "(v).mv_data = (buf))\n"
          "#define MKI(v, buf, n, seed, idx) (gen_int(buf, n, seed, idx), (v).mv_size = (n), (v).mv_data = (buf))\n"
          "#define MKS(v, s) ((v).mv_size = strlen(s), (v).mv_data = (void *)(s))\n"
          "static int cmp_len_first(const MDB_val *a, const MDB_val *b) {\n"
          "  if (a->mv_size != b->mv_size) return a->mv_size < b->mv_size ? -1 : 1;\n"
          "  return a->mv_size ? memcmp(a->mv_data, b->mv_data, a->mv_size) : 0;\n}\n"
          "static int cmp_desc(const MDB_val *a, const MDB_val *b) {\n"
          "  size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;\n"
          "  int c = n ? memcmp(a->mv_data, b->mv_data, n) : 0;\n"
          "  if (c) return -c;\n"
          "  return a->mv_size == b->mv_size ? 0 : (a->mv_size < b->mv_size ? 1 : -1);\n}\n"
          "static unsigned char kb[1024], kb2[1024], vb[70000], mb[110000];\n\n"
          "int main(void) {\n"
          "  MDB_env *env = NULL, *env2 = NULL; MDB_txn *w[4] = {0}, *r[2] = {0}; MDB_cursor *c[4] = {0};\n"
          "  MDB_dbi dbi[6] = {0}; MDB_val k = {0, 0}, d = {0, 0}, k2 = {0, 0}, m[2]; MDB_stat st; MDB_envinfo ei;\n"
          "  size_t cnt = 0; unsigned fl = 0; int rc, i; (void)k2; (void)m; (void)st; (void)ei; (void)cnt;\n"
          "  (void)fl; (void)i; (void)env2; (void)kb2; (void)mb; (void)cmp_len_first; (void)cmp_desc;\n"
          "  if (system(\"rm -rf /tmp/diff_api_c && mkdir -p /tmp/diff_api_c/copy\")) return 2;\n");
  for (const std::string &l : csrc) fprintf(f, "%s\n", l.c_str());
  fprintf(f, "  printf(fails ? \"%%d difference(s) from upstream\\n\" : \"same as upstream\\n\", fails);\n");
  fprintf(f, "  return fails != 0;\n}\n");
}

void Ctx::fail(const std::string &what, const Out *o) {
  if (g_driver) {
    g_last_div = what + " " + cur_desc.substr(0, cur_desc.find('(')) + " " + rc_str(o[0].rc) + "/" + rc_str(o[1].rc);
    if (!g_quiet) {
      fprintf(stderr, "\n==== DIFF_API DIVERGENCE ====\n%s\n", config_desc(cfg).c_str());
      for (const std::string &l : trace) fprintf(stderr, "  %s\n", l.c_str());
      fprintf(stderr, "  #%d %s  <-- %s\n    upstream: %s\n    ours:     %s\n", opno, cur_desc.c_str(),
              what.c_str(), render(o[0]).c_str(), render(o[1]).c_str());
    }
    if (g_emit_c) emit("  /* <-- diverges here; ours: %s */", render(o[1]).c_str());
    throw Stop{};
  }
  // Long runs (DIFF_API_SAVE_DIR): save the first input of each kind of
  // divergence (the call's name and both return codes) and go on.
  if (const char *dir = getenv("DIFF_API_SAVE_DIR")) {
    static std::map<std::string, int> seen;
    const std::string sig = what + " " + cur_desc.substr(0, cur_desc.find('(')) + " " + rc_str(o[0].rc) + "/" +
                            rc_str(o[1].rc);
    if (seen[sig]++ == 0) {
      char name[64];
      snprintf(name, sizeof name, "/div-%08x", diff_api::hash(reinterpret_cast<const unsigned char *>(sig.data()),
                                                              sig.size()));
      const std::string base = std::string(dir) + name;
      if (FILE *f = fopen(base.c_str(), "wb")) {
        fwrite(in, 1, n, f);
        fclose(f);
      }
      if (FILE *f = fopen((base + ".txt").c_str(), "w")) {
        fprintf(f, "%s\n%s\n", sig.c_str(), config_desc(cfg).c_str());
        for (const std::string &l : trace) fprintf(f, "  %s\n", l.c_str());
        fprintf(f, "  #%d %s  <-- %s\n    upstream: %s\n    ours:     %s\n", opno, cur_desc.c_str(), what.c_str(),
                render(o[0]).c_str(), render(o[1]).c_str());
        fclose(f);
      }
      fprintf(stderr, "diff_api: divergence saved as %s: %s\n", base.c_str(), sig.c_str());
    }
    throw Stop{};
  }
  fprintf(stderr, "\n==== DIFF_API DIVERGENCE ====\n%s\n", config_desc(cfg).c_str());
  for (const std::string &l : trace) fprintf(stderr, "  %s\n", l.c_str());
  fprintf(stderr, "  #%d %s  <-- %s\n    upstream: %s\n    ours:     %s\n", opno, cur_desc.c_str(), what.c_str(),
          render(o[0]).c_str(), render(o[1]).c_str());
  fprintf(stderr, "upstream: %s\n", s[0].a->origin.c_str());
  if (g_emit_c) {
    emit("  /* <-- diverges here; ours: %s */", render(o[1]).c_str());
    print_c(stdout);
    fflush(stdout);
  } else {
    fprintf(stderr, "C reproduction: DIFF_API_EMIT_C=1 <this binary> <input file>\n");
  }
  abort();
}

// Compares the two results; on a difference either ends the input under a
// known-divergence rule or fails.
bool Ctx::compare(const std::string &what, const Out *o, int known) {
  if (o[0] == o[1]) return true;
  if (known < 0 && o[0].rc == MDB_MAP_FULL && o[1].rc != MDB_MAP_FULL) known = K_LASTPAGE;
  if (known < 0 && (o[1].rc == MDB_CORRUPTED || o[0].rc == MDB_CORRUPTED))
    for (int d = 1; d < kDbs; d++)
      if (fixed_size(d) == 1) known = K_DUPFIXED1;
  if (known < 0 && o[1].rc == MDB_BAD_VALSIZE && o[0].rc != MDB_BAD_VALSIZE)
    for (int d = 1; d < kDbs; d++)
      if ((flags(d) & (MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEDUP)) && !(flags(d) & MDB_DUPSORT))
        known = K_DUPFLAGS;
  if (known < 0 && o[0].rc == o[1].rc && o[0].f.size() == o[1].f.size()) {
    bool only_pgno = true;
    for (size_t i = 0; i < o[0].f.size(); i++)
      if (o[0].f[i] != o[1].f[i] && o[0].f[i].first != "last_pgno") only_pgno = false;
    if (only_pgno) known = K_LASTPGNO;
  }
  if (known >= 0 && g_known[known]) {
    g_known_hits[known]++;
    if (g_trace)
      fprintf(stderr, "  #%d %s: known divergence '%s' ends the input\n    upstream: %s\n    ours:     %s\n", opno,
              cur_desc.c_str(), kKnownName[known], render(o[0]).c_str(), render(o[1]).c_str());
    throw Stop{};
  }
  fail(what, o);
}

// ---------------------------------------------------------------- env

std::string db_name(int db) { return "db" + std::to_string(db); }

void rm_tree_files(const std::string &dir) {
  for (const char *f : {"/data.mdb", "/lock.mdb", "/copy/data.mdb", "/copy/lock.mdb", "/copyfd.mdb"})
    unlink((dir + f).c_str());
}

void install_cmp(Ctx &c, Side &s, int db, MDB_txn *txn) {
  if (c.cfg.keycmp[db] && s.a->mdb_set_compare(txn, s.dbi[db], c.cfg.keycmp[db]))
    fprintf(stderr, "diff_api: mdb_set_compare failed\n"), abort();
  if (c.cfg.dupcmp[db] && s.a->mdb_set_dupsort(txn, s.dbi[db], c.cfg.dupcmp[db]))
    fprintf(stderr, "diff_api: mdb_set_dupsort failed\n"), abort();
}

void emit_cmp(Ctx &c, int db, const char *txnc) {
  if (c.cfg.keycmp[db])
    c.emit("  mdb_set_compare(%s, dbi[%d], %s);", txnc, db,
           c.cfg.keycmp[db] == cmp_len_first ? "cmp_len_first" : "cmp_desc");
  if (c.cfg.dupcmp[db])
    c.emit("  mdb_set_dupsort(%s, dbi[%d], %s);", txnc, db,
           c.cfg.dupcmp[db] == cmp_len_first ? "cmp_len_first" : "cmp_desc");
}

// Opens both environments and the main database (on fresh directories at the
// start of an input; on the existing files after a reopen).
void env_open(Ctx &c, bool fresh) {
  Out o[2];
  c.cur_desc = "env_open (create, set_mapsize, set_maxdbs, set_maxreaders, open; main db)";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    if (fresh) rm_tree_files(s.dir);
    int rc = s.a->mdb_env_create(&s.env);
    if (rc == 0) rc = s.a->mdb_env_set_mapsize(s.env, c.cfg.mapsize);
    if (rc == 0) rc = s.a->mdb_env_set_maxdbs(s.env, c.cfg.maxdbs);
    if (rc == 0) rc = s.a->mdb_env_set_maxreaders(s.env, c.cfg.maxreaders);
    if (rc == 0) rc = s.a->mdb_env_open(s.env, s.dir.c_str(), c.cfg.env_flags, 0644);
    MDB_txn *t = nullptr;
    if (rc == 0) rc = s.a->mdb_txn_begin(s.env, nullptr, 0, &t);
    if (rc == 0) rc = s.a->mdb_dbi_open(t, nullptr, 0, &s.dbi[0]);
    if (t) {
      int rc2 = s.a->mdb_txn_commit(t);
      if (rc == 0) rc = rc2;
    }
    o[i].rc = rc;
    o[i].num("main_dbi", s.dbi[0]);
  }
  c.emit("  rc = mdb_env_create(&env); CHECK(rc, 0);");
  c.emit("  mdb_env_set_mapsize(env, %zu); mdb_env_set_maxdbs(env, %u); mdb_env_set_maxreaders(env, %u);",
         c.cfg.mapsize, c.cfg.maxdbs, c.cfg.maxreaders);
  c.emit("  rc = mdb_env_open(env, \"/tmp/diff_api_c\", %#x, 0644); CHECK(rc, 0);", c.cfg.env_flags);
  c.emit("  rc = mdb_txn_begin(env, NULL, 0, &w[0]); CHECK(rc, 0);");
  c.emit("  rc = mdb_dbi_open(w[0], NULL, 0, &dbi[0]); CHECK(rc, 0);");
  c.emit("  rc = mdb_txn_commit(w[0]); CHECK(rc, %d); w[0] = NULL;", o[0].rc);
  c.record(o);
  c.compare("environment open", o, c.cfg.mapsize % 4096 ? K_MAPSIZE : -1);
  if (o[0].rc) throw Stop{};
  c.h[0] = HandleM{1, -1, true, 0};
}

// Ends every cursor and txn on both sides (by what each side holds, so a
// divergence cannot leave anything behind) and in the model.
void end_all(Ctx &c) {
  for (Side &s : c.s) {
    for (int i = 0; i < kCursors; i++)
      if (s.c[i] && s.ctag[i] >= kReadTag) {
        s.a->mdb_cursor_close(s.c[i]);
        s.c[i] = nullptr;
      }
    for (int l = kMaxDepth - 1; l >= 0; l--)
      if (s.w[l]) {
        s.a->mdb_txn_abort(s.w[l]);
        for (int j = l; j < kMaxDepth; j++) s.w[j] = nullptr;
      }
    for (int i = 0; i < kCursors; i++) s.c[i] = nullptr;
    for (auto &x : s.r)
      if (x) {
        s.a->mdb_txn_abort(x);
        x = nullptr;
      }
  }
  c.emit("  for (i = 0; i < 4; i++) if (c[i]) { mdb_cursor_close(c[i]); c[i] = NULL; } /* read cursors only remain */");
  c.emit("  if (w[0]) mdb_txn_abort(w[0]); if (r[0]) mdb_txn_abort(r[0]); if (r[1]) mdb_txn_abort(r[1]);");
  c.emit("  w[0] = w[1] = w[2] = w[3] = NULL; r[0] = r[1] = NULL;");
  c.depth = 0;
  for (auto &t : c.wl) t = TxnM{};
  for (auto &t : c.rd) t = TxnM{};
  for (int d = 1; d < kDbs; d++)
    if (c.h[d].pending != -1) c.h[d] = HandleM{};
  for (auto &k : c.cur) k = CurM{};
  c.epoch++;
  c.guard = compat::OracleGuard{};
}

void env_close(Ctx &c) {
  end_all(c);
  for (Side &s : c.s) {
    if (s.env) s.a->mdb_env_close(s.env);
    s.env = nullptr;
  }
  c.emit("  mdb_env_close(env); env = NULL;");
  for (auto &h : c.h) h = HandleM{};
}

// ---------------------------------------------------------------- helpers

void snapshot(Ctx &c, TxnM &t) {
  t.epoch = c.epoch;
  t.commits = c.commits;
  t.did_open = false;
  for (int d = 0; d < kDbs; d++) t.gen[d] = c.h[d].in_env ? c.h[d].gen : 0;
}

const char *txn_c(int tag) {
  static const char *const names[] = {"w[0]", "w[1]", "w[2]", "w[3]", "?", "?", "?", "?", "r[0]", "r[1]"};
  return tag >= 0 && tag < 10 ? names[tag] : "?";
}
std::string txn_desc(int tag) { return tag < 0 ? "none" : txn_c(tag); }

Spec key_spec(Ctx &c, int db, uint8_t szb, uint8_t seed, unsigned idx = 0) {
  Spec k;
  k.seed = seed;
  k.idx = idx;
  if (db == 0 && seed == 0xFF) {
    k.kind = Spec::Name;
    k.seed = szb % 5 + 1;
    k.size = 3;
  } else if (c.flags(db) & MDB_INTEGERKEY) {
    k.kind = Spec::Int;
    k.size = c.cfg.keyint[db];
  } else {
    const uint32_t *sizes = g_boundary ? kKeySizesB : kKeySizes;
    k.size = sizes[szb & 15];
  }
  return k;
}

Spec val_spec(Ctx &c, int db, unsigned ksize, uint8_t szb, uint8_t seed, unsigned idx = 0) {
  Spec v;
  v.gen_kind = 1;
  v.seed = seed;
  v.idx = idx;
  unsigned fixed = c.fixed_size(db);
  // Other sizes only for DUPFIXED items compared bytewise (with K_WRONGSIZE
  // off): upstream's integer orders read the item's size from both sides, so
  // a longer item reads past the stored one (SIGBUS at the end of the map).
  if (fixed && !((szb & 0x80) && !g_known[K_WRONGSIZE] && !(c.flags(db) & MDB_INTEGERDUP))) {
    v.size = fixed;
    if (c.flags(db) & MDB_INTEGERDUP) v.kind = Spec::Int;
    return v;
  }
  const uint32_t *sizes = g_boundary ? kValSizesB : kValSizes;
  uint32_t sz = sizes[szb & 31];
  if (sz >= kThr) sz = (2030 - (ksize > 2030 ? 2030 : ksize)) + (sz - kThr) - 1;
  v.size = sz;
  return v;
}

// The oracle guard's reason not to compare a cursor call ("" to compare).
// DIFF_API_NO_GUARD=1 compares them all (triage with a newer oracle, e.g.
// 0.9.32 through LMDB_COMPAT_ORACLE, which lacks some of 0.9.24's defects;
// 0.9.24 crashes there).
std::string guard_check(Ctx &c, const compat::Op &op, MDB_cursor *oc) {
  static const bool off = getenv("DIFF_API_NO_GUARD") && *getenv("DIFF_API_NO_GUARD") != '0';
  return off ? std::string() : c.guard.check(op, oc);
}

// Which compat op describes a cursor call (for the oracle guard).
compat::Op guard_op(compat::OpKind kind, int slot, unsigned arg, unsigned flags) {
  compat::Op op;
  op.kind = kind;
  op.cur = static_cast<uint8_t>(slot);
  op.arg = arg;
  op.flags = flags;
  return op;
}

void guard_after(Ctx &c, const compat::Op &op, int rc) {
  MDB_cursor *cs[compat::kCursorSlots] = {};
  for (int i = 0; i < kCursors; i++)
    if (c.cur[i].open && c.cur[i].tag >= 0 && c.active(c.cur[i].tag)) cs[i] = c.s[0].c[i];
  c.guard.after(op, rc, cs);
}

// A database changed in the innermost write txn: cursors of that txn and its
// parents (shadowed in it) whose last search failed are "tainted".
void changed(Ctx &c, int db, int except, bool count_effect) {
  for (int i = 0; i < kCursors; i++) {
    CurM &k = c.cur[i];
    if (i == except || !k.open || !k.write || k.db != db || k.tag > c.depth - 1) continue;
    if (k.failed_set) k.tainted = true;
    if (count_effect) k.count_suspect = true;
  }
}

// mdb_stat and mdb_dbi_flags of `db` in txn `tag` after a change.
void post_stat(Ctx &c, int tag, int db) {
  if (!c.usable(tag, db)) return;
  Out o[2];
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_stat st{};
    unsigned fl = 0;
    o[i].rc = s.a->mdb_stat(s.txn(tag), s.dbi[db], &st);
    int rc2 = s.a->mdb_dbi_flags(s.txn(tag), s.dbi[db], &fl);
    if (o[i].rc == 0) {
      o[i].num("psize", st.ms_psize);
      o[i].num("depth", st.ms_depth);
      o[i].num("branch", st.ms_branch_pages);
      o[i].num("leaf", st.ms_leaf_pages);
      o[i].num("overflow", st.ms_overflow_pages);
      o[i].num("entries", st.ms_entries);
    }
    o[i].num("flags_rc", static_cast<uint64_t>(rc2));
    o[i].num("flags", fl);
  }
  if (g_emit_c && o[0].rc == 0) {
    c.emit("  rc = mdb_stat(%s, dbi[%d], &st); CHECK(rc, 0); CHECKN(st.ms_entries, %s); CHECKN(st.ms_depth, %s);",
           txn_c(tag), db, o[0].f[5].second.substr(1).c_str(), o[0].f[1].second.substr(1).c_str());
    c.emit("  CHECKN(st.ms_leaf_pages, %s); CHECKN(st.ms_branch_pages, %s); CHECKN(st.ms_overflow_pages, %s);",
           o[0].f[3].second.substr(1).c_str(), o[0].f[2].second.substr(1).c_str(), o[0].f[4].second.substr(1).c_str());
  }
  c.compare("mdb_stat after the change", o, -1);
}

// Full content of a database through a fresh cursor (both sides).
void scan_db(Ctx &c, int tag, int db, const char *why) {
  Out o[2];
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_cursor *cu = nullptr;
    int rc = s.a->mdb_cursor_open(s.txn(tag), s.dbi[db], &cu);
    o[i].rc = rc;
    if (rc) continue;
    MDB_val k{0, nullptr}, d{0, nullptr};
    std::string acc;
    size_t n = 0;
    for (rc = s.a->mdb_cursor_get(cu, &k, &d, MDB_FIRST); rc == 0 && n < kScanCap;
         rc = s.a->mdb_cursor_get(cu, &k, &d, MDB_NEXT), n++) {
      acc.append(static_cast<const char *>(k.mv_data), k.mv_size);
      acc += '\x01';
      acc.append(static_cast<const char *>(d.mv_data), d.mv_size);
      acc += '\x02';
    }
    o[i].rc = rc == MDB_NOTFOUND ? 0 : rc;
    o[i].num("items", n);
    o[i].str("content", acc);
    s.a->mdb_cursor_close(cu);
  }
  std::string save = c.cur_desc;
  c.cur_desc = std::string(why) + " scan of db" + std::to_string(db) + " in " + txn_desc(tag);
  c.compare("full scan", o, -1);
  c.cur_desc = save;
}

// ---------------------------------------------------------------- operations

enum Opc : uint8_t {
  O_BEGIN_WRITE, O_BEGIN_CHILD, O_BEGIN_READ, O_COMMIT, O_ABORT, O_RESET, O_RENEW, O_TXN_ID,
  O_DBI_OPEN, O_DBI_CLOSE, O_DBI_FLAGS, O_STAT, O_DROP, O_GET, O_PUT, O_DEL,
  O_CUR_OPEN, O_CUR_CLOSE, O_CUR_RENEW, O_CUR_GET, O_CUR_PUT, O_CUR_DEL, O_CUR_COUNT, O_CUR_INFO,
  O_CMP, O_ENV_STAT, O_ENV_FLAGS, O_ENV_COPY, O_REOPEN, O_MAPSIZE, O_READERS, O_MISC,
  O_PREENV, O_BULK_PUT, O_BULK_DEL, O_CUR_WALK, O_CUR_GET2, O_PUT2, O_COUNT_
};

void end_write_level(Ctx &c, bool commit_ok) {
  const int l = c.depth - 1;
  for (CurM &k : c.cur)
    if (k.open && k.write && k.tag == l) k = CurM{};
  if (l == 0) {
    bool changed_handles = false;
    for (int d = 1; d < kDbs; d++) {
      HandleM &h = c.h[d];
      if (h.pending != 0) continue;
      changed_handles = true;
      if (commit_ok) {
        h.in_env = true;
        h.pending = -1;
      } else {
        h = HandleM{};
      }
    }
    if (changed_handles) c.epoch++;
    if (commit_ok) c.commits++;
  } else {
    for (CurM &k : c.cur)
      if (k.open && k.write && k.tag < l && !commit_ok) {
        k.failed_set = k.sv_failed;
        k.tainted = k.sv_tainted;
        k.count_suspect = k.sv_count;
      }
  }
  c.wl[l] = TxnM{};
  c.depth--;
  for (Side &s : c.s) s.w[l] = nullptr;
}

void end_read(Ctx &c, int slot, bool keep_handles, bool reset) {
  const int tag = kReadTag + slot;
  bool changed_handles = false;
  for (int d = 1; d < kDbs; d++) {
    HandleM &h = c.h[d];
    if (h.pending != tag) continue;
    changed_handles = true;
    if (keep_handles) {
      h.in_env = true;
      h.pending = -1;
    } else {
      h = HandleM{};
    }
  }
  if (changed_handles) c.epoch++;
  for (CurM &k : c.cur)
    if (k.open && k.tag == tag) k.tag = -1;
  c.rd[slot] = TxnM{};
  if (reset) c.rd[slot].st = TS::Reset;
  if (!reset)
    for (Side &s : c.s) s.r[slot] = nullptr;
}

void op_begin(Ctx &c, int kind, uint8_t a) {
  Out o[2];
  if (kind == 0 || kind == 1) {  // write / child
    if (kind == 0 ? c.depth != 0 : (c.depth == 0 || c.depth >= kMaxDepth)) return;
    const int l = c.depth;
    const unsigned fl = (a & 1) ? MDB_NOSYNC : (a & 2) ? MDB_NOMETASYNC : 0;
    c.cur_desc = "mdb_txn_begin(" + std::string(kind ? txn_c(l - 1) : "NULL") + ", flags " + std::to_string(fl) +
                 ") -> " + txn_c(l);
    for (int i = 0; i < 2; i++) {
      Side &s = c.s[i];
      MDB_txn *t = nullptr;
      o[i].rc = s.a->mdb_txn_begin(s.env, kind ? s.w[l - 1] : nullptr, fl, &t);
      if (o[i].rc == 0) {
        s.w[l] = t;
        o[i].num("id", s.a->mdb_txn_id(t));
      }
    }
    c.emit("  rc = mdb_txn_begin(env, %s, %#x, &w[%d]); CHECK(rc, %d);", kind ? txn_c(l - 1) : "NULL", fl, l,
           o[0].rc);
    c.record(o);
    if (o[0].rc != o[1].rc) {
      // leave no txn behind on either side before reporting
    }
    c.compare("txn_begin", o, -1);
    if (o[0].rc == 0) {
      c.depth++;
      if (kind == 0) {
        snapshot(c, c.wl[0]);
      } else {
        c.wl[l] = c.wl[l - 1];
        c.wl[l].st = TS::Active;
        c.wl[l].did_open = false;
        for (CurM &k : c.cur)
          if (k.open && k.write && k.tag < l) {
            k.sv_failed = k.failed_set;
            k.sv_tainted = k.tainted;
            k.sv_count = k.count_suspect;
          }
      }
      c.wl[l].st = TS::Active;
    }
    return;
  }
  const int slot = a % kReads;
  if (c.rd[slot].st != TS::None) return;
  if (!c.notls() && c.other_read_busy(slot)) return c.steer("model: one read txn per thread without MDB_NOTLS");
  c.cur_desc = "mdb_txn_begin(NULL, MDB_RDONLY) -> " + std::string(txn_c(kReadTag + slot));
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_txn *t = nullptr;
    o[i].rc = s.a->mdb_txn_begin(s.env, nullptr, MDB_RDONLY, &t);
    if (o[i].rc == 0) {
      s.r[slot] = t;
      o[i].num("id", s.a->mdb_txn_id(t));
    }
  }
  c.emit("  rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &r[%d]); CHECK(rc, %d);", slot, o[0].rc);
  c.record(o);
  c.compare("txn_begin(RDONLY)", o, -1);
  if (o[0].rc == 0) {
    c.rd[slot].st = TS::Active;
    snapshot(c, c.rd[slot]);
  }
}

void op_end(Ctx &c, Opc opc, uint8_t a) {
  const int tag = c.target(a);
  if (tag < 0) return;
  Out o[2];
  if (tag < kReadTag) {
    if (opc != O_COMMIT && opc != O_ABORT) return;
    c.cur_desc = std::string(opc == O_COMMIT ? "mdb_txn_commit(" : "mdb_txn_abort(") + txn_c(tag) + ")";
    for (int i = 0; i < 2; i++) {
      Side &s = c.s[i];
      if (opc == O_COMMIT)
        o[i].rc = s.a->mdb_txn_commit(s.w[tag]);
      else
        s.a->mdb_txn_abort(s.w[tag]);
      for (int j = 0; j < kCursors; j++)
        if (s.c[j] && s.ctag[j] == tag) s.c[j] = nullptr;  // freed with the txn
    }
    for (int j = 0; j < kCursors; j++)
      if (c.s[0].ctag[j] == tag && c.cur[j].open) c.emit("  c[%d] = NULL; /* freed with its txn */", j);
    if (opc == O_COMMIT)
      c.emit("  rc = mdb_txn_commit(%s); CHECK(rc, %d); %s = NULL;", txn_c(tag), o[0].rc, txn_c(tag));
    else
      c.emit("  mdb_txn_abort(%s); %s = NULL;", txn_c(tag), txn_c(tag));
    c.record(o);
    const bool ok = opc == O_COMMIT && o[0].rc == 0;
    // Either way the txn is gone on both sides (a failed commit aborts it).
    end_write_level(c, ok);
    c.compare("txn end", o, -1);
    if (ok) {
      if (tag > 0)
        for (int d = 0; d < kDbs; d++) post_stat(c, tag - 1, d);
      else {
        Out e[2];
        for (int i = 0; i < 2; i++) {
          MDB_envinfo ei{};
          e[i].rc = c.s[i].a->mdb_env_info(c.s[i].env, &ei);
          e[i].num("last_txnid", ei.me_last_txnid);
          e[i].num("last_pgno", ei.me_last_pgno);
        }
        c.emit("  rc = mdb_env_info(env, &ei); CHECKN(ei.me_last_txnid, %s); CHECKN(ei.me_last_pgno, %s);",
               e[0].f[0].second.substr(1).c_str(), e[0].f[1].second.substr(1).c_str());
        c.compare("mdb_env_info after commit", e, -1);
      }
    }
    return;
  }
  const int slot = tag - kReadTag;
  TxnM &t = c.rd[slot];
  switch (opc) {
    case O_COMMIT:
    case O_ABORT:
      if (t.st == TS::None || (opc == O_COMMIT && t.st != TS::Active)) return;
      break;
    case O_RESET:
      if (t.st != TS::Active) return;
      break;
    case O_RENEW:
      if (t.st != TS::Reset) return;
      if (!c.notls() && c.other_read_busy(slot)) return c.steer("model: one read txn per thread without MDB_NOTLS");
      break;
    default:
      return;
  }
  static const char *const names[] = {"mdb_txn_commit", "mdb_txn_abort", "mdb_txn_reset", "mdb_txn_renew"};
  const int which = opc == O_COMMIT ? 0 : opc == O_ABORT ? 1 : opc == O_RESET ? 2 : 3;
  c.cur_desc = std::string(names[which]) + "(" + txn_c(tag) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_txn *x = s.r[slot];
    switch (which) {
      case 0: o[i].rc = s.a->mdb_txn_commit(x); break;
      case 1: s.a->mdb_txn_abort(x); break;
      case 2: s.a->mdb_txn_reset(x); break;
      case 3:
        o[i].rc = s.a->mdb_txn_renew(x);
        if (o[i].rc == 0) o[i].num("id", s.a->mdb_txn_id(x));
        break;
    }
  }
  if (which == 0 || which == 3)
    c.emit("  rc = %s(%s); CHECK(rc, %d);%s", names[which], txn_c(tag), o[0].rc,
           which == 0 ? (std::string(" ") + txn_c(tag) + " = NULL;").c_str() : "");
  else
    c.emit("  %s(%s);%s", names[which], txn_c(tag), which == 1 ? (std::string(" ") + txn_c(tag) + " = NULL;").c_str() : "");
  c.record(o);
  c.compare("read txn end/renew", o, -1);
  if (which == 3) {
    if (o[0].rc == 0) {
      t.st = TS::Active;
      snapshot(c, t);
    }
  } else {
    end_read(c, slot, which == 0 && o[0].rc == 0, which == 2);
  }
}

void op_txn_id(Ctx &c, uint8_t a) {
  const int tag = c.target(a);
  if (tag < 0 || (tag >= kReadTag && c.rd[tag - kReadTag].st == TS::None)) return;
  Out o[2];
  c.cur_desc = std::string("mdb_txn_id/mdb_txn_env(") + txn_c(tag) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    o[i].num("id", s.a->mdb_txn_id(s.txn(tag)));
    o[i].num("env_matches", s.a->mdb_txn_env(s.txn(tag)) == s.env);
  }
  c.emit("  CHECKN(mdb_txn_id(%s), %s);", txn_c(tag), o[0].f[0].second.substr(1).c_str());
  c.record(o);
  c.compare("txn_id", o, -1);
}

bool dbi_open_allowed(Ctx &c, int tag, int db) {
  if (!c.active(tag)) return false;
  if (db == 0) return true;
  if (tag < kReadTag && (tag != 0 || c.depth != 1)) return false;  // not in nested txns
  for (int l = 0; l < c.depth; l++)
    if (l != tag && c.wl[l].did_open) return false;
  for (int r = 0; r < kReads; r++)
    if (kReadTag + r != tag && c.rd[r].st == TS::Active && c.rd[r].did_open) return false;
  TxnM *t = c.txnm(tag);
  if (t->epoch != c.epoch) return false;
  if (tag >= kReadTag && (t->commits != c.commits || c.depth)) return false;
  return c.h[db].pending == -1 || c.h[db].pending == tag;
}

void op_dbi_open(Ctx &c, uint8_t a, uint8_t dbb, uint8_t fb) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!dbi_open_allowed(c, tag, db)) {
    if (c.active(tag)) c.steer("model: mdb_dbi_open only where lmdb.h allows (ITS#9037 and handle rules)");
    return;
  }
  unsigned fl = 0;
  if (fb & 1) fl |= MDB_REVERSEKEY;
  if (fb & 2) fl |= MDB_DUPSORT;
  if (fb & 4) fl |= MDB_INTEGERKEY;
  if (fb & 8) fl |= MDB_DUPFIXED;
  if (fb & 16) fl |= MDB_INTEGERDUP;
  if (fb & 32) fl |= MDB_REVERSEDUP;
  if (!(fb & 64)) fl |= MDB_CREATE;
  if (fb & 128) fl |= 0x10000;  // not a database flag: EINVAL
  if (db == 0) fl = 0;
  // Rule dupfixed-alone (docs/divergences.md): DUPFIXED without DUPSORT makes
  // upstream store 0-byte keys (data lost); ours refuses with EINVAL
  // (pinned by compat.edges dup_flags_without_dupsort).  Not generated.
  if ((fl & MDB_DUPFIXED) && !(fl & MDB_DUPSORT)) {
    c.steer("rule dupfixed-alone: no DUPFIXED without DUPSORT");
    fl &= ~unsigned(MDB_DUPFIXED);
  }
  Out o[2];
  c.cur_desc = std::string("mdb_dbi_open(") + txn_c(tag) + ", " + (db ? "\"" + db_name(db) + "\"" : "NULL") + ", " +
               db_flag_names(fl) + ")";
  const std::string name = db_name(db);
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_dbi d = 0;
    o[i].rc = s.a->mdb_dbi_open(s.txn(tag), db ? name.c_str() : nullptr, fl, &d);
    if (o[i].rc == 0) {
      s.dbi[db] = d;
      o[i].num("dbi", d);
      unsigned f2 = 0;
      s.a->mdb_dbi_flags(s.txn(tag), d, &f2);
      o[i].num("flags", f2);
      if (db) install_cmp(c, s, db, s.txn(tag));
    }
  }
  c.emit("  rc = mdb_dbi_open(%s, %s, %#x, &dbi[%d]); CHECK(rc, %d);", txn_c(tag),
         db ? ("\"" + name + "\"").c_str() : "NULL", fl, db, o[0].rc);
  if (o[0].rc == 0 && db) {
    c.emit("  CHECKN(dbi[%d], %s);", db, o[0].f[0].second.substr(1).c_str());
    emit_cmp(c, db, txn_c(tag));
  }
  c.record(o);
  c.compare("dbi_open", o, -1);
  if (db) c.txnm(tag)->did_open = true;
  if (o[0].rc != 0 || db == 0) return;
  HandleM &h = c.h[db];
  if (h.gen == 0) {
    h.gen = c.next_gen++;
    h.pending = tag;
  }
  h.flags = static_cast<unsigned>(strtoul(o[0].f[1].second.c_str() + 1, nullptr, 10));
  c.txnm(tag)->gen[db] = h.gen;
}

void op_dbi_close(Ctx &c, uint8_t dbb) {
  const int db = dbb % kDbs;
  if (db == 0 || !c.h[db].in_env || c.h[db].pending != -1) return;
  if (c.any_txn()) return c.steer("model: mdb_dbi_close only with no txn");
  Out o[2];
  c.cur_desc = "mdb_dbi_close(dbi[" + std::to_string(db) + "])";
  for (Side &s : c.s) s.a->mdb_dbi_close(s.env, s.dbi[db]);
  c.emit("  mdb_dbi_close(env, dbi[%d]);", db);
  c.record(o);
  c.h[db] = HandleM{};
  c.epoch++;
}

void op_dbi_info(Ctx &c, Opc opc, uint8_t a, uint8_t dbb) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!c.usable(tag, db)) return;
  Out o[2];
  c.cur_desc = std::string(opc == O_STAT ? "mdb_stat(" : "mdb_dbi_flags(") + txn_c(tag) + ", dbi[" +
               std::to_string(db) + "])";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    if (opc == O_STAT) {
      MDB_stat st{};
      o[i].rc = s.a->mdb_stat(s.txn(tag), s.dbi[db], &st);
      o[i].num("psize", st.ms_psize);
      o[i].num("depth", st.ms_depth);
      o[i].num("branch", st.ms_branch_pages);
      o[i].num("leaf", st.ms_leaf_pages);
      o[i].num("overflow", st.ms_overflow_pages);
      o[i].num("entries", st.ms_entries);
    } else {
      unsigned fl = 0;
      o[i].rc = s.a->mdb_dbi_flags(s.txn(tag), s.dbi[db], &fl);
      o[i].num("flags", fl);
    }
  }
  if (opc == O_STAT)
    c.emit("  rc = mdb_stat(%s, dbi[%d], &st); CHECK(rc, %d); CHECKN(st.ms_entries, %s);", txn_c(tag), db, o[0].rc,
           o[0].f[5].second.substr(1).c_str());
  else
    c.emit("  rc = mdb_dbi_flags(%s, dbi[%d], &fl); CHECK(rc, %d); CHECKN(fl, %s);", txn_c(tag), db, o[0].rc,
           o[0].f[0].second.substr(1).c_str());
  c.record(o);
  c.compare("stat/flags", o, -1);
}

void op_drop(Ctx &c, uint8_t a, uint8_t dbb, uint8_t del) {
  const int tag = c.target(a), db = dbb % kDbs;
  const int d1 = del & 1;
  if (!c.usable(tag, db)) return;
  if (db == 0) return c.steer("model: no mdb_drop of the main db (would orphan named dbs)");
  if (d1) {
    if (tag >= kReadTag) return;
    for (const CurM &k : c.cur)
      if (k.open && k.db == db && k.gen == c.h[db].gen) return c.steer("model: mdb_drop(1) with no cursor on the db");
  }
  Out o[2];
  c.cur_desc = std::string("mdb_drop(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " + std::to_string(d1) + ")";
  for (Side &s : c.s) {
    Out &x = o[&s - c.s];
    x.rc = s.a->mdb_drop(s.txn(tag), s.dbi[db], d1);
  }
  c.emit("  rc = mdb_drop(%s, dbi[%d], %d); CHECK(rc, %d);", txn_c(tag), db, d1, o[0].rc);
  c.record(o);
  c.compare("drop", o, -1);
  if (o[0].rc != 0) return;
  changed(c, db, -1, true);
  for (int i = 0; i < kCursors; i++)
    if (c.cur[i].open && c.cur[i].db == db && c.s[0].c[i] && compat::peek_oracle_cursor(c.s[0].c[i]).del())
      c.cur[i].drop_mark = true;
  if (d1) {
    c.h[db] = HandleM{};
    for (TxnM &t : c.wl) t.gen[db] = 0;
    for (TxnM &t : c.rd) t.gen[db] = 0;
    c.epoch++;
  } else {
    post_stat(c, tag, db);
  }
}

void op_get(Ctx &c, uint8_t a, uint8_t dbb, uint8_t ks, uint8_t kseed) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!c.usable(tag, db)) return;
  Spec ksp = key_spec(c, db, ks, kseed);
  std::string kb = ksp.make();
  Out o[2];
  std::string d0s;  // upstream's returned bytes, copied
  c.cur_desc = std::string("mdb_get(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " + ksp.desc() + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    std::string kc = kb;
    MDB_val k{kc.size(), kc.data()}, d{0, nullptr};
    o[i].rc = s.a->mdb_get(s.txn(tag), s.dbi[db], &k, &d);
    if (o[i].rc == 0) o[i].bytes("data", d);
    if (i == 0 && d.mv_data) d0s.assign(static_cast<const char *>(d.mv_data), d.mv_size);
  }
  c.emit("  %s; rc = mdb_get(%s, dbi[%d], &k, &d); CHECK(rc, %d);", ksp.c("k", "kb").c_str(), txn_c(tag), db,
         o[0].rc);
  if (o[0].rc == 0) c.emit_val("d", MDB_val{d0s.size(), d0s.data()});
  c.record(o);
  c.compare("get", o, -1);
}

bool steer_data(Ctx &c, int db, const Spec &v, unsigned flags) {
  if (c.dupsort(db) && v.size == 0 && g_known[K_ZERODUP]) {
    c.steer("known zerodup: no zero-length DUPSORT item");
    return true;
  }
  // Upstream (0.9.24 and 0.9.33) crashes in memcpy on a MDB_RESERVE put
  // into a key's duplicates (sub-page), so this is never compared
  // in-process, whatever K_RESERVEDUP says.
  if (c.dupsort(db) && (flags & MDB_RESERVE)) {
    c.steer(g_known[K_RESERVEDUP] ? "known reservedup: no MDB_RESERVE on DUPSORT"
                                  : "rule reserve-dupsort: upstream crashes (memcpy) on MDB_RESERVE into duplicates");
    return true;
  }
  return false;
}

void op_put(Ctx &c, uint8_t a, uint8_t dbb, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed, uint8_t fb) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!c.usable(tag, db)) return;
  unsigned fl = 0;
  for (int i = 0; i < 7; i++)
    if (fb & (1u << i)) fl |= kTxnPutFlags[i];
  Spec ksp = key_spec(c, db, ks, kseed);
  Spec vsp = val_spec(c, db, ksp.size, vs, vseed);
  if (steer_data(c, db, vsp, fl)) return;
  std::string kb = ksp.make(), vb = vsp.make();
  Out o[2];
  std::string d0s;  // upstream's returned bytes, copied
  c.cur_desc = std::string("mdb_put(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " + ksp.desc() + ", " +
               vsp.desc() + ", " + flag_names(fl) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    std::string kc = kb, vc = vb;
    MDB_val k{kc.size(), kc.data()}, d{vc.size(), vc.data()};
    o[i].rc = s.a->mdb_put(s.txn(tag), s.dbi[db], &k, &d, fl);
    if (o[i].rc == 0 && (fl & MDB_RESERVE)) {
      o[i].num("reserved", d.mv_size);
      if (d.mv_data && d.mv_size == vb.size()) memcpy(d.mv_data, vb.data(), vb.size());
    } else if (o[i].rc == MDB_KEYEXIST) {
      o[i].bytes("existing", d);
    }
    if (i == 0 && d.mv_data) d0s.assign(static_cast<const char *>(d.mv_data), d.mv_size);
  }
  c.emit("  %s; %s; rc = mdb_put(%s, dbi[%d], &k, &d, %s); CHECK(rc, %d);", ksp.c("k", "kb").c_str(),
         vsp.c("d", "vb").c_str(), txn_c(tag), db, flag_names(fl).c_str(), o[0].rc);
  if (o[0].rc == 0 && (fl & MDB_RESERVE)) c.emit("  %s; memcpy(d.mv_data, vb, d.mv_size);", vsp.c("k2", "vb").c_str());
  if (o[0].rc == MDB_KEYEXIST) c.emit_val("d", MDB_val{d0s.size(), d0s.data()});
  c.record(o);
  c.compare("put", o, -1);
  if (o[0].rc == 0) {
    changed(c, db, -1, false);
    post_stat(c, tag, db);
  }
}

void op_del(Ctx &c, uint8_t a, uint8_t dbb, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed, uint8_t mode) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!c.usable(tag, db)) return;
  Spec ksp = key_spec(c, db, ks, kseed);
  Spec vsp = val_spec(c, db, ksp.size, vs, vseed);
  const bool with_data = mode & 1;
  std::string kb = ksp.make(), vb = vsp.make();
  Out o[2];
  c.cur_desc = std::string("mdb_del(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " + ksp.desc() + ", " +
               (with_data ? vsp.desc() : "NULL") + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    std::string kc = kb, vc = vb;
    MDB_val k{kc.size(), kc.data()}, d{vc.size(), vc.data()};
    o[i].rc = s.a->mdb_del(s.txn(tag), s.dbi[db], &k, with_data ? &d : nullptr);
  }
  c.emit("  %s; %s; rc = mdb_del(%s, dbi[%d], &k, %s); CHECK(rc, %d);", ksp.c("k", "kb").c_str(),
         vsp.c("d", "vb").c_str(), txn_c(tag), db, with_data ? "&d" : "NULL", o[0].rc);
  c.record(o);
  c.compare("del", o, -1);
  if (o[0].rc == 0) {
    changed(c, db, -1, true);
    post_stat(c, tag, db);
  }
}

void op_cur_open(Ctx &c, uint8_t cs, uint8_t a, uint8_t dbb) {
  const int slot = cs % kCursors, tag = c.target(a), db = dbb % kDbs;
  if (c.cur[slot].open || !c.usable(tag, db)) return;
  Out o[2];
  c.cur_desc = std::string("mdb_cursor_open(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "]) -> c[" +
               std::to_string(slot) + "]";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_cursor *cu = nullptr;
    o[i].rc = s.a->mdb_cursor_open(s.txn(tag), s.dbi[db], &cu);
    s.c[slot] = o[i].rc == 0 ? cu : nullptr;
    s.ctag[slot] = tag;
  }
  c.emit("  rc = mdb_cursor_open(%s, dbi[%d], &c[%d]); CHECK(rc, %d);", txn_c(tag), db, slot, o[0].rc);
  c.record(o);
  c.compare("cursor_open", o, -1);
  if (o[0].rc == 0) {
    CurM &k = c.cur[slot];
    k = CurM{};
    k.open = true;
    k.tag = tag;
    k.write = tag < kReadTag;
    k.db = db;
    k.gen = c.h[db].gen;
  }
  guard_after(c, guard_op(compat::OpKind::CursorOpen, slot, 0, 0), o[0].rc);
}

void op_cur_close(Ctx &c, uint8_t cs) {
  const int slot = cs % kCursors;
  CurM &k = c.cur[slot];
  if (!k.open || (k.write && !c.cur_usable(slot))) return;
  Out o[2];
  c.cur_desc = "mdb_cursor_close(c[" + std::to_string(slot) + "])";
  for (Side &s : c.s) {
    s.a->mdb_cursor_close(s.c[slot]);
    s.c[slot] = nullptr;
  }
  c.emit("  mdb_cursor_close(c[%d]); c[%d] = NULL;", slot, slot);
  c.record(o);
  k = CurM{};
  guard_after(c, guard_op(compat::OpKind::CursorClose, slot, 0, 0), 0);
}

void op_cur_renew(Ctx &c, uint8_t cs, uint8_t a) {
  const int slot = cs % kCursors, tag = c.target(a);
  CurM &k = c.cur[slot];
  if (!k.open || tag < 0 || !c.active(tag)) return;
  if (k.write ? !c.cur_usable(slot) : (c.h[k.db].gen != k.gen || !c.usable(tag, k.db))) return;
  Out o[2];
  c.cur_desc = std::string("mdb_cursor_renew(") + txn_c(tag) + ", c[" + std::to_string(slot) + "])";
  for (Side &s : c.s) o[&s - c.s].rc = s.a->mdb_cursor_renew(s.txn(tag), s.c[slot]);
  c.emit("  rc = mdb_cursor_renew(%s, c[%d]); CHECK(rc, %d);", txn_c(tag), slot, o[0].rc);
  c.record(o);
  c.compare("cursor_renew", o, -1);
  if (o[0].rc == 0 && !k.write) {
    k.tag = tag;
    k.failed_set = k.tainted = k.count_suspect = k.drop_mark = false;
  }
  guard_after(c, guard_op(compat::OpKind::CursorRenew, slot, 0, 0), o[0].rc);
}

bool positions(unsigned op) {
  switch (op) {
    case MDB_FIRST: case MDB_LAST: case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE:
    case MDB_GET_BOTH: case MDB_GET_BOTH_RANGE:
      return true;
    default:
      return false;
  }
}

// One cursor get; false if it was not run or did not succeed.
bool cursor_get(Ctx &c, int slot, unsigned op, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed) {
  if (!c.cur_usable(slot)) return false;
  CurM &k = c.cur[slot];
  if (k.tainted && !positions(op)) {
    c.steer("model: no relative move of a cursor whose MDB_SET failed after the db changed (0.9.24 crash)");
    return false;
  }
  if (k.drop_mark &&
      (op == MDB_NEXT || op == MDB_NEXT_DUP || op == MDB_NEXT_NODUP || op == MDB_NEXT_MULTIPLE)) {
    c.steer("rule drop-keeps-del-mark: upstream's mdb_drop keeps a cursor's deleted mark, NEXT* then repeats the "
            "key a refused put placed it on (compat.edges del_mark_after_refused_put)");
    return false;
  }
  const compat::Op gop = guard_op(compat::OpKind::CursorGet, slot, op, 0);
  std::string why = guard_check(c, gop, c.s[0].c[slot]);
  if (!why.empty()) {
    c.steer(("oracle_guard: " + why).c_str());
    return false;
  }
  const int db = k.db;
  const bool takes_key = op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE || op == MDB_GET_BOTH ||
                         op == MDB_GET_BOTH_RANGE;
  const bool takes_data = op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE;
  Spec ksp = key_spec(c, db, ks, kseed);
  Spec vsp = val_spec(c, db, ksp.size, vs, vseed);
  std::string kb = takes_key ? ksp.make() : "", vb = takes_data ? vsp.make() : "";
  Out o[2];
  std::string k0, d0;  // upstream's returned bytes (copied: the input buffers are gone after the loop)
  c.cur_desc = "mdb_cursor_get(c[" + std::to_string(slot) + "], " + (takes_key ? ksp.desc() : "-") + ", " +
               (takes_data ? vsp.desc() : "-") + ", " + op_name(op) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    std::string kc = kb, vc = vb;
    MDB_val key{kc.size(), takes_key ? kc.data() : nullptr}, d{vc.size(), takes_data ? vc.data() : nullptr};
    o[i].rc = s.a->mdb_cursor_get(s.c[slot], &key, &d, static_cast<MDB_cursor_op>(op));
    if (o[i].rc == 0) {
      o[i].bytes("key", key);
      o[i].bytes("data", d);
    }
    if (i == 0 && o[i].rc == 0) {
      if (key.mv_data) k0.assign(static_cast<const char *>(key.mv_data), key.mv_size);
      if (d.mv_data) d0.assign(static_cast<const char *>(d.mv_data), d.mv_size);
    }
  }
  c.emit("  %s; %s; rc = mdb_cursor_get(c[%d], &k, &d, %s); CHECK(rc, %d);",
         takes_key ? ksp.c("k", "kb").c_str() : "k.mv_size = 0, k.mv_data = NULL",
         takes_data ? vsp.c("d", "vb").c_str() : "d.mv_size = 0, d.mv_data = NULL", slot, op_name(op), o[0].rc);
  if (o[0].rc == 0) {
    c.emit_val("k", MDB_val{k0.size(), k0.data()});
    c.emit_val("d", MDB_val{d0.size(), d0.data()});
  }
  c.record(o);
  k.drop_mark = false;  // every mdb_cursor_get ends upstream's mark
  const bool multiple = op == MDB_GET_MULTIPLE || op == MDB_NEXT_MULTIPLE || op == MDB_PREV_MULTIPLE;
  c.compare("cursor_get", o, multiple ? K_MULTIPLE : -1);
  const int rc = o[0].rc;
  switch (op) {
    case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE: case MDB_GET_BOTH: case MDB_GET_BOTH_RANGE:
      k.failed_set = rc != 0;
      if (rc == 0) k.tainted = false;
      break;
    case MDB_FIRST: case MDB_LAST:
      if (rc == 0) k.failed_set = k.tainted = false;
      break;
    default:
      break;
  }
  if (rc == 0 && (positions(op) || op == MDB_NEXT_NODUP || op == MDB_PREV_NODUP)) k.count_suspect = false;
  guard_after(c, gop, rc);
  return rc == 0;
}

void op_cur_get(Ctx &c, uint8_t cs, uint8_t opb, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed) {
  cursor_get(c, cs % kCursors, opb % 19, ks, kseed, vs, vseed);
}

void op_cur_walk(Ctx &c, uint8_t cs, uint8_t opb, uint8_t cnt) {
  static const unsigned ops[8] = {MDB_NEXT,      MDB_PREV,      MDB_NEXT_DUP,      MDB_PREV_DUP,
                                  MDB_NEXT_NODUP, MDB_PREV_NODUP, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE};
  const unsigned op = ops[opb % 8];
  const int n = 1 + cnt % 64;
  for (int i = 0; i < n; i++)
    if (!cursor_get(c, cs % kCursors, op, 0, 0, 0, 0)) break;
}

void op_cur_put(Ctx &c, uint8_t cs, uint8_t fb, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed, uint8_t cnt) {
  const int slot = cs % kCursors;
  if (!c.cur_usable(slot)) return;
  CurM &cm = c.cur[slot];
  const int db = cm.db;
  unsigned fl = 0;
  if (fb & 1) fl |= MDB_NOOVERWRITE;
  if (fb & 2) fl |= MDB_NODUPDATA;
  if (fb & 4) fl |= MDB_RESERVE;
  if (fb & 8) fl |= MDB_APPEND;
  if (fb & 16) fl |= MDB_APPENDDUP;
  if (fb & 32) fl |= MDB_CURRENT;
  if (fb & 64) fl |= MDB_MULTIPLE;
  const bool same_data = (fl & MDB_CURRENT) && (fb & 128);
  if ((fl & MDB_CURRENT) && cm.tainted)
    return c.steer("model: no MDB_CURRENT on a cursor whose MDB_SET failed after the db changed (0.9.24 crash)");
  const compat::Op pop = guard_op(compat::OpKind::CursorPut, slot, same_data ? compat::kCurrentSameData : 0, fl);
  std::string why = guard_check(c, pop, c.s[0].c[slot]);
  if (!why.empty()) return c.steer(("oracle_guard: " + why).c_str());
  if ((fl & MDB_CURRENT) && fl != MDB_CURRENT && !compat::peek_oracle_cursor(c.s[0].c[slot]).initialized())
    return c.steer("rule current-unpositioned: 0.9.24 poisons the txn after MDB_CURRENT|other flags on an "
                   "unpositioned cursor (0.9.33 does not)");
  if (fl & MDB_CURRENT) {
    const compat::OracleCursorState st = compat::peek_oracle_cursor(c.s[0].c[slot]);
    if (cm.failed_set || (st.initialized() && st.snum > 0 && st.ki >= st.nkeys))
      return c.steer("rule current-not-on-item: MDB_CURRENT after a failed search / past the last item "
                     "(0.9.24 asserts in mdb_node_del on DUPSORT)");
  }
  if ((fl & MDB_CURRENT) && (fl & ~(MDB_CURRENT | MDB_RESERVE)))
    return c.steer("rule current-combined: 0.9.24 applies NOOVERWRITE/NODUPDATA/APPEND* to a MDB_CURRENT put "
                   "(KEYEXIST); 0.9.33 replaces the current item");
  if (fl == (MDB_CURRENT | MDB_RESERVE) && compat::peek_oracle_cursor(c.s[0].c[slot]).eof())
    return c.steer("rule current-combined: 0.9.24 searches the key for MDB_CURRENT|MDB_RESERVE, which ends the "
                   "end mark MDB_LAST left (0.9.28+ and ours keep it; compat.edges current_reserve_at_last)");
  if ((fl & MDB_CURRENT) && compat::peek_oracle_cursor(c.s[0].c[slot]).initialized()) {
    // A cursor on no item (its own or another cursor's delete took the last
    // item of a page or of a key's duplicates) answers MDB_NOTFOUND to
    // GET_CURRENT; upstream's MDB_CURRENT then overwrites a stale slot (or
    // asserts in mdb_node_del), ours answers MDB_NOTFOUND (compat.edges
    // current_not_on_item).  The probe is the GET_CURRENT the put makes anyway.
    Out g[2];
    const std::string save = c.cur_desc;
    c.cur_desc = "mdb_cursor_get(c[" + std::to_string(slot) + "], -, -, MDB_GET_CURRENT) before a MDB_CURRENT put";
    for (int i = 0; i < 2; i++) {
      MDB_val ck{0, nullptr}, cd{0, nullptr};
      g[i].rc = c.s[i].a->mdb_cursor_get(c.s[i].c[slot], &ck, &cd, MDB_GET_CURRENT);
      if (g[i].rc == 0) {
        g[i].bytes("key", ck);
        g[i].bytes("data", cd);
      }
    }
    c.emit("  rc = mdb_cursor_get(c[%d], &k, &d, MDB_GET_CURRENT); CHECK(rc, %d);", slot, g[0].rc);
    c.record(g);
    c.compare("cursor_get", g, -1);
    c.cur_desc = save;
    if (g[0].rc == MDB_NOTFOUND)
      return c.steer("rule current-not-on-item: MDB_CURRENT where GET_CURRENT answers MDB_NOTFOUND (upstream "
                     "overwrites a stale slot or asserts in mdb_node_del)");
  }
  Spec ksp = key_spec(c, db, ks, kseed);
  Spec vsp = val_spec(c, db, ksp.size, vs, vseed);
  if (same_data ? (c.dupsort(db) && (fl & MDB_RESERVE) && (c.steer("known reservedup: no MDB_RESERVE on DUPSORT"), true))
                : steer_data(c, db, vsp, fl))
    return;
  const unsigned count = kMultiCounts[cnt % 8];
  const unsigned fixed = c.fixed_size(db);
  const unsigned item = (fl & MDB_MULTIPLE) ? (fixed ? fixed : vsp.size) : 0;
  if ((fl & MDB_MULTIPLE) && item == 0 && c.dupsort(db) && g_known[K_ZERODUP])
    return c.steer("known zerodup: no zero-length DUPSORT item");
  std::string kb = ksp.make(), vb;
  if (fl & MDB_MULTIPLE) {
    for (unsigned i = 0; i < count; i++) {
      Spec it = vsp;
      it.size = item;
      it.idx = i + 1;
      vb += it.make();
    }
  } else {
    vb = vsp.make();
  }
  Out o[2];
  std::string d0s;  // upstream's returned bytes, copied
  c.cur_desc = "mdb_cursor_put(c[" + std::to_string(slot) + "], " + ((fl & MDB_CURRENT) ? "<current key>" : ksp.desc()) +
               ", " + (same_data ? "<current data>" : vsp.desc()) +
               ((fl & MDB_MULTIPLE) ? " x" + std::to_string(count) + " items of " + std::to_string(item) : "") + ", " +
               flag_names(fl) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    std::string kc = kb, vc = vb, curk, curd;
    MDB_val k{kc.size(), kc.data()};
    MDB_val d[2] = {{vc.size(), vc.data()}, {0, nullptr}};
    if (fl & MDB_CURRENT) {
      MDB_val ck{0, nullptr}, cd{0, nullptr};
      int rc = s.a->mdb_cursor_get(s.c[slot], &ck, &cd, MDB_GET_CURRENT);
      o[i].num("get_current_rc", static_cast<uint64_t>(rc));
      if (rc == 0) {
        curk.assign(static_cast<const char *>(ck.mv_data), ck.mv_size);
        k = MDB_val{curk.size(), curk.data()};
        if (same_data) {
          curd.assign(static_cast<const char *>(cd.mv_data), cd.mv_size);
          d[0] = MDB_val{curd.size(), curd.data()};
        }
      }
    }
    if (fl & MDB_MULTIPLE) {
      d[0].mv_size = item;
      d[1].mv_size = count;
    }
    o[i].rc = s.a->mdb_cursor_put(s.c[slot], &k, d, fl);
    if (fl & MDB_MULTIPLE) o[i].num("written", d[1].mv_size);
    if (o[i].rc == 0 && (fl & MDB_RESERVE) && !(fl & MDB_MULTIPLE)) {
      o[i].num("reserved", d[0].mv_size);
      const std::string &fill = same_data ? curd : vb;  // the reserved area gets the same bytes on both sides
      if (d[0].mv_data && d[0].mv_size == fill.size() && !fill.empty()) memcpy(d[0].mv_data, fill.data(), fill.size());
    } else if (o[i].rc == MDB_KEYEXIST) {
      o[i].bytes("existing", d[0]);
    }
    if (i == 0 && d[0].mv_data) d0s.assign(static_cast<const char *>(d[0].mv_data), d[0].mv_size);
  }
  if ((fl & MDB_MULTIPLE) && o[0].rc != 0 && o[0].rc == o[1].rc) {
    // rule multiple-count-on-error: 0.9.24 leaves a count in data[1].mv_size
    // when a MDB_MULTIPLE put fails early; later 0.9.x (and ours) set 0.
    for (Out &x : o)
      for (auto it = x.f.begin(); it != x.f.end(); ++it)
        if (it->first == "written") {
          x.f.erase(it);
          break;
        }
    g_steered["rule multiple-count-on-error (count not compared)"]++;
  }
  if (fl & MDB_CURRENT)
    c.emit("  rc = mdb_cursor_get(c[%d], &k, &k2, MDB_GET_CURRENT); CHECK(rc, %d);", slot,
           static_cast<int>(strtol(o[0].f[0].second.c_str() + 1, nullptr, 10)));
  else
    c.emit("  %s;", ksp.c("k", "kb").c_str());
  if (same_data)
    c.emit("  memcpy(vb, k2.mv_data, k2.mv_size); d.mv_size = k2.mv_size; d.mv_data = vb;");
  else if (fl & MDB_MULTIPLE)
    c.emit("  for (i = 0; i < %u; i++) gen_bytes(mb + (size_t)i * %u, %u, 1, %u, i + 1);%s", count, item, item,
           vsp.seed,
           vsp.kind == Spec::Int ? (" for (i = 0; i < " + std::to_string(count) + "; i++) gen_int(mb + (size_t)i * " +
                                    std::to_string(item) + ", " + std::to_string(item) + ", " +
                                    std::to_string(vsp.seed) + ", i + 1);")
                                       .c_str()
                                 : "");
  else
    c.emit("  %s;", vsp.c("d", "vb").c_str());
  if (fl & MDB_MULTIPLE) {
    c.emit("  m[0].mv_size = %u; m[0].mv_data = mb; m[1].mv_size = %u; m[1].mv_data = NULL;", item, count);
    std::string written;
    for (auto &[name, v] : o[0].f)
      if (name == "written") written = " CHECKN(m[1].mv_size, " + v.substr(1) + ");";
    c.emit("  rc = mdb_cursor_put(c[%d], &k, m, %s); CHECK(rc, %d);%s", slot, flag_names(fl).c_str(), o[0].rc,
           written.c_str());
  } else {
    c.emit("  rc = mdb_cursor_put(c[%d], &k, &d, %s); CHECK(rc, %d);", slot, flag_names(fl).c_str(), o[0].rc);
    if (o[0].rc == 0 && (fl & MDB_RESERVE) && !same_data)
      c.emit("  %s; memcpy(d.mv_data, vb, d.mv_size);", vsp.c("k2", "vb").c_str());
    else if (o[0].rc == 0 && (fl & MDB_RESERVE))
      c.emit("  memcpy(d.mv_data, vb, d.mv_size); /* the former data again */");
  }
  if (o[0].rc == MDB_KEYEXIST) c.emit_val("d", MDB_val{d0s.size(), d0s.data()});
  c.record(o);
  c.compare("cursor_put", o, -1);
  if (o[0].rc == 0) {
    changed(c, db, slot, (fl & MDB_MULTIPLE) != 0);
    cm.failed_set = cm.tainted = false;
    cm.drop_mark = false;
  }
  guard_after(c, pop, o[0].rc);
  if (o[0].rc == 0) post_stat(c, cm.tag, db);
}

void op_cur_del(Ctx &c, uint8_t cs, uint8_t fb) {
  const int slot = cs % kCursors;
  if (!c.cur_usable(slot)) return;
  CurM &cm = c.cur[slot];
  if (cm.tainted) return c.steer("model: no delete through a cursor whose MDB_SET failed after the db changed");
  const unsigned fl = (fb & 1) ? MDB_NODUPDATA : 0;
  const compat::Op dop = guard_op(compat::OpKind::CursorDel, slot, 0, fl);
  std::string why = guard_check(c, dop, c.s[0].c[slot]);
  if (!why.empty()) return c.steer(("oracle_guard: " + why).c_str());
  Out o[2];
  c.cur_desc = "mdb_cursor_del(c[" + std::to_string(slot) + "], " + (fl ? "MDB_NODUPDATA" : "0") + ")";
  for (Side &s : c.s) o[&s - c.s].rc = s.a->mdb_cursor_del(s.c[slot], fl);
  c.emit("  rc = mdb_cursor_del(c[%d], %s); CHECK(rc, %d);", slot, fl ? "MDB_NODUPDATA" : "0", o[0].rc);
  c.record(o);
  c.compare("cursor_del", o, -1);
  if (o[0].rc == 0) {
    changed(c, cm.db, slot, true);
    cm.drop_mark = false;
  }
  guard_after(c, dop, o[0].rc);
  if (o[0].rc == 0) post_stat(c, cm.tag, cm.db);
}

void op_cur_count(Ctx &c, uint8_t cs) {
  const int slot = cs % kCursors;
  if (!c.cur_usable(slot)) return;
  CurM &cm = c.cur[slot];
  if (cm.tainted) return c.steer("model: no count on a cursor whose MDB_SET failed after the db changed");
  const compat::Op cop = guard_op(compat::OpKind::CursorCount, slot, 0, 0);
  std::string why = guard_check(c, cop, c.s[0].c[slot]);
  if (!why.empty()) return c.steer(("oracle_guard: " + why).c_str());
  Out o[2];
  c.cur_desc = "mdb_cursor_count(c[" + std::to_string(slot) + "])";
  for (int i = 0; i < 2; i++) {
    size_t n = 0;
    o[i].rc = c.s[i].a->mdb_cursor_count(c.s[i].c[slot], &n);
    if (o[i].rc == 0) o[i].num("count", n);
  }
  c.emit("  rc = mdb_cursor_count(c[%d], &cnt); CHECK(rc, %d);%s", slot, o[0].rc,
         o[0].rc == 0 ? (" CHECKN(cnt, " + o[0].f[0].second.substr(1) + ");").c_str() : "");
  c.record(o);
  c.compare("cursor_count", o, cm.count_suspect ? K_COUNT : -1);
  guard_after(c, cop, o[0].rc);
}

void op_cur_info(Ctx &c, uint8_t cs) {
  const int slot = cs % kCursors;
  if (!c.cur_usable(slot)) return;
  Out o[2];
  c.cur_desc = "mdb_cursor_txn/mdb_cursor_dbi(c[" + std::to_string(slot) + "])";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    o[i].num("txn_matches", s.a->mdb_cursor_txn(s.c[slot]) == s.txn(c.cur[slot].tag));
    o[i].num("dbi", s.a->mdb_cursor_dbi(s.c[slot]));
  }
  c.emit("  CHECKN(mdb_cursor_dbi(c[%d]), %s);", slot, o[0].f[1].second.substr(1).c_str());
  c.record(o);
  c.compare("cursor_txn/dbi", o, -1);
}

void op_cmp(Ctx &c, uint8_t a, uint8_t dbb, uint8_t which, uint8_t s1, uint8_t x1, uint8_t s2, uint8_t x2) {
  const int tag = c.target(a), db = dbb % kDbs;
  if (!c.usable(tag, db)) return;
  const bool dup = which & 1;
  if (dup && !c.dupsort(db)) return c.steer("rule dcmp-nondup: mdb_dcmp only on DUPSORT (upstream calls NULL)");
  Spec p = dup ? val_spec(c, db, 0, s1 & 0x7f, x1) : key_spec(c, db, s1, x1);
  Spec q = dup ? val_spec(c, db, 0, s2 & 0x7f, x2) : key_spec(c, db, s2, x2);
  if (!dup && (p.kind == Spec::Name || q.kind == Spec::Name)) return;
  std::string pb = p.make(), qb = q.make();
  Out o[2];
  c.cur_desc = std::string(dup ? "mdb_dcmp(" : "mdb_cmp(") + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " +
               p.desc() + ", " + q.desc() + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_val va{pb.size(), pb.data()}, vb{qb.size(), qb.data()};
    int r = dup ? s.a->mdb_dcmp(s.txn(tag), s.dbi[db], &va, &vb) : s.a->mdb_cmp(s.txn(tag), s.dbi[db], &va, &vb);
    o[i].num("sign", r < 0 ? 0 : r == 0 ? 1 : 2);
  }
  c.emit("  %s; %s; rc = %s(%s, dbi[%d], &k, &k2); CHECKN(rc < 0 ? 0 : rc == 0 ? 1 : 2, %s);", p.c("k", "kb").c_str(),
         q.c("k2", "kb2").c_str(), dup ? "mdb_dcmp" : "mdb_cmp", txn_c(tag), db, o[0].f[0].second.substr(1).c_str());
  c.record(o);
  c.compare("cmp", o, -1);
}

void op_env_stat(Ctx &c, uint8_t which) {
  Out o[2];
  c.cur_desc = (which & 1) ? "mdb_env_info" : "mdb_env_stat";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    if (which & 1) {
      MDB_envinfo ei{};
      o[i].rc = s.a->mdb_env_info(s.env, &ei);
      o[i].num("mapsize", ei.me_mapsize);
      o[i].num("last_pgno", ei.me_last_pgno);
      o[i].num("last_txnid", ei.me_last_txnid);
      o[i].num("maxreaders", ei.me_maxreaders);
      o[i].num("numreaders", ei.me_numreaders);
    } else {
      MDB_stat st{};
      o[i].rc = s.a->mdb_env_stat(s.env, &st);
      o[i].num("psize", st.ms_psize);
      o[i].num("depth", st.ms_depth);
      o[i].num("branch", st.ms_branch_pages);
      o[i].num("leaf", st.ms_leaf_pages);
      o[i].num("overflow", st.ms_overflow_pages);
      o[i].num("entries", st.ms_entries);
    }
  }
  if (which & 1)
    c.emit("  rc = mdb_env_info(env, &ei); CHECK(rc, 0); CHECKN(ei.me_mapsize, %s); CHECKN(ei.me_last_pgno, %s);"
           " CHECKN(ei.me_numreaders, %s);",
           o[0].f[0].second.substr(1).c_str(), o[0].f[1].second.substr(1).c_str(), o[0].f[4].second.substr(1).c_str());
  else
    c.emit("  rc = mdb_env_stat(env, &st); CHECK(rc, 0); CHECKN(st.ms_entries, %s);", o[0].f[5].second.substr(1).c_str());
  c.record(o);
  c.compare("env_stat/info", o, (c.cfg.mapsize % 4096) ? K_MAPSIZE : -1);
}

void op_env_flags(Ctx &c, uint8_t sub, uint8_t fb) {
  static const unsigned choices[8] = {MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC, MDB_NOMEMINIT,
                                      MDB_NORDAHEAD, MDB_WRITEMAP, MDB_NOTLS, 0x2};
  Out o[2];
  const int what = sub % 3;
  const unsigned f = choices[fb % 8];
  const int onoff = (fb >> 3) & 1;
  if (what == 0)
    c.cur_desc = "mdb_env_get_flags";
  else if (what == 1)
    c.cur_desc = "mdb_env_set_flags(" + std::to_string(f) + ", " + std::to_string(onoff) + ")";
  else
    c.cur_desc = std::string("mdb_env_sync(") + ((fb & 1) ? "1" : "0") + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    unsigned fl = 0;
    if (what == 0) {
      o[i].rc = s.a->mdb_env_get_flags(s.env, &fl);
      o[i].num("flags", fl);
    } else if (what == 1) {
      o[i].rc = s.a->mdb_env_set_flags(s.env, f, onoff);
      s.a->mdb_env_get_flags(s.env, &fl);
      o[i].num("flags_after", fl);
    } else {
      o[i].rc = s.a->mdb_env_sync(s.env, fb & 1);
    }
  }
  if (what == 0)
    c.emit("  rc = mdb_env_get_flags(env, &fl); CHECK(rc, %d); CHECKN(fl, %s);", o[0].rc,
           o[0].f[0].second.substr(1).c_str());
  else if (what == 1)
    c.emit("  rc = mdb_env_set_flags(env, %#x, %d); CHECK(rc, %d); mdb_env_get_flags(env, &fl); CHECKN(fl, %s);", f,
           onoff, o[0].rc, o[0].f[0].second.substr(1).c_str());
  else
    c.emit("  rc = mdb_env_sync(env, %d); CHECK(rc, %d);", fb & 1, o[0].rc);
  c.record(o);
  c.compare("env flags/sync", o, -1);
}

off_t file_size(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? st.st_size : -1;
}

void op_env_copy(Ctx &c, uint8_t sub) {
  if (c.depth) return c.steer("model: no env copy while this thread holds the write txn (self-deadlock)");
  if (!c.notls())
    for (const TxnM &t : c.rd)
      if (t.st != TS::None) return c.steer("model: no env copy while this thread has a read txn (TLS slot)");
  unsigned fl = (sub & 1) ? MDB_CP_COMPACT : 0;
  if ((sub & 2) && !g_known[K_COPYFLAGS]) fl |= 0x2;
  const bool fd = sub & 4;
  const bool v1 = (sub & 8) && fl == 0;  // mdb_env_copy / mdb_env_copyfd
  Out o[2];
  c.cur_desc = std::string(fd ? (v1 ? "mdb_env_copyfd" : "mdb_env_copyfd2") : (v1 ? "mdb_env_copy" : "mdb_env_copy2")) +
               "(" + std::to_string(fl) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    const std::string dst = s.dir + "/copy", dfile = s.dir + "/copyfd.mdb";
    unlink((dst + "/data.mdb").c_str());
    unlink(dfile.c_str());
    if (fd) {
      int f = open(dfile.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
      o[i].rc = v1 ? s.a->mdb_env_copyfd(s.env, f) : s.a->mdb_env_copyfd2(s.env, f, fl);
      close(f);
      o[i].num("size", static_cast<uint64_t>(file_size(dfile)));
    } else {
      o[i].rc = v1 ? s.a->mdb_env_copy(s.env, dst.c_str()) : s.a->mdb_env_copy2(s.env, dst.c_str(), fl);
      o[i].num("size", static_cast<uint64_t>(file_size(dst + "/data.mdb")));
    }
  }
  c.emit("  unlink(\"/tmp/diff_api_c/copy/data.mdb\"); rc = mdb_env_copy2(env, \"/tmp/diff_api_c/copy\", %#x);"
         " CHECK(rc, %d);",
         fl, o[0].rc);
  c.record(o);
  c.compare("env copy", o, -1);
}

void op_reopen(Ctx &c) {
  c.cur_desc = "reopen the environment";
  Out o[2];
  c.record(o);
  env_close(c);
  env_open(c, false);
}

void op_mapsize(Ctx &c, uint8_t sb) {
  if (c.any_txn()) return c.steer("model: mdb_env_set_mapsize only with no txn");
  size_t sz = kMapSizes[sb % 8];
  if (sz % 4096 && g_known[K_MAPSIZE]) return c.steer("known mapsize: only page multiples");
  Out o[2];
  c.cur_desc = "mdb_env_set_mapsize(" + std::to_string(sz) + ")";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    o[i].rc = s.a->mdb_env_set_mapsize(s.env, sz);
    MDB_envinfo ei{};
    s.a->mdb_env_info(s.env, &ei);
    o[i].num("mapsize", ei.me_mapsize);
  }
  c.emit("  rc = mdb_env_set_mapsize(env, %zu); CHECK(rc, %d); mdb_env_info(env, &ei); CHECKN(ei.me_mapsize, %s);", sz,
         o[0].rc, o[0].f[0].second.substr(1).c_str());
  c.record(o);
  c.compare("set_mapsize", o, sz % 4096 ? K_MAPSIZE : -1);
}

int reader_cb(const char *msg, void *ctx) {
  static_cast<std::string *>(ctx)->append(msg);
  return 0;
}

void op_readers(Ctx &c, uint8_t sub) {
  Out o[2];
  c.cur_desc = (sub & 1) ? "mdb_reader_check" : "mdb_reader_list";
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    if (sub & 1) {
      int dead = -1;
      o[i].rc = s.a->mdb_reader_check(s.env, &dead);
      o[i].num("dead", static_cast<uint64_t>(dead));
    } else {
      std::string text;
      o[i].rc = s.a->mdb_reader_list(s.env, reader_cb, &text);
      o[i].str("text", text);
    }
  }
  if (sub & 1)
    c.emit("  { int dead = -1; rc = mdb_reader_check(env, &dead); CHECK(rc, %d); CHECKN(dead, %s); }", o[0].rc,
           o[0].f[0].second.substr(1).c_str());
  else
    c.emit("  rc = mdb_reader_list(env, NULL, NULL); /* text compared by the fuzzer */");
  c.record(o);
  c.compare("readers", o, -1);
}

void op_misc(Ctx &c, uint8_t sub, uint8_t x, uint8_t a, uint8_t dbb) {
  Out o[2];
  const int what = sub % 7;
  int code = 0;
  if (what == 0) {
    constexpr int n = sizeof(kErrCodes) / sizeof(kErrCodes[0]);
    int idx = x % n;
    // Unknown codes make 0.9.24 call strerror(), whose buffer glibc keeps in
    // the thread descriptor both namespaces share (see kKnownErrCodes): they
    // cannot be compared in one process, whatever K_STRERROR says; the C
    // program of an input (DIFF_API_EMIT_C) still shows the call.
    if (idx >= kKnownErrCodes) {
      c.emit("  printf(\"%%s\\n\", mdb_strerror(%d)); /* known strerror: not compared in-process */", kErrCodes[idx]);
      return c.steer(g_known[K_STRERROR] ? "known strerror: no unknown negative codes"
                                         : "harness limit: strerror of unknown codes not compared in one process");
    }
    code = kErrCodes[idx];
  }
  const int tag = c.target(a), db = dbb % kDbs;
  if (what == 6 && !c.usable(tag, db)) return;
  static const char *const names[] = {"mdb_strerror", "mdb_version", "mdb_env_get_maxkeysize", "mdb_env_get_maxreaders",
                                      "mdb_env_get_path/get_fd", "mdb_env_set/get_userctx+set_assert",
                                      "mdb_set_relfunc/relctx"};
  c.cur_desc = names[what] + (what == 0 ? "(" + std::to_string(code) + ")" : std::string());
  static int marker[2];
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    switch (what) {
      case 0: o[i].str("text", s.a->mdb_strerror(code)); break;
      case 1: {
        int ma = 0, mi = 0, pa = 0;
        // ours reports 0.9.33 (the API it implements), the oracle 0.9.24
        (void)s.a->mdb_version(&ma, &mi, &pa);
        o[i].num("major", ma);
        o[i].num("minor", mi);
        break;
      }
      case 2: o[i].num("maxkey", s.a->mdb_env_get_maxkeysize(s.env)); break;
      case 3: {
        unsigned n = 0;
        o[i].rc = s.a->mdb_env_get_maxreaders(s.env, &n);
        o[i].num("maxreaders", n);
        break;
      }
      case 4: {
        const char *p = nullptr;
        o[i].rc = s.a->mdb_env_get_path(s.env, &p);
        o[i].num("path_ok", p && s.dir == p);
        int fd = -1;
        o[i].num("fd_rc", static_cast<uint64_t>(s.a->mdb_env_get_fd(s.env, &fd)));
        o[i].num("fd_valid", fd >= 0);
        break;
      }
      case 5: {
        o[i].rc = s.a->mdb_env_set_userctx(s.env, &marker[i]);
        o[i].num("get_matches", s.a->mdb_env_get_userctx(s.env) == &marker[i]);
        o[i].num("assert_rc", static_cast<uint64_t>(s.a->mdb_env_set_assert(s.env, nullptr)));
        break;
      }
      case 6: {
        o[i].rc = s.a->mdb_set_relfunc(s.txn(tag), s.dbi[db], nullptr);
        o[i].num("relctx_rc", static_cast<uint64_t>(s.a->mdb_set_relctx(s.txn(tag), s.dbi[db], nullptr)));
        break;
      }
    }
  }
  if (what == 0)
    c.emit("  if (strcmp(mdb_strerror(%d), \"%s\")) { printf(\"strerror(%d) differs\\n\"); fails++; }", code,
           o[0].f[0].second.c_str(), code);
  c.record(o);
  c.compare(names[what], o, what == 0 && code < 0 && (code < MDB_KEYEXIST || code > MDB_LAST_ERRCODE) ? K_STRERROR : -1);
}

// Calls on a second environment that is never opened (or fails to open).
void op_preenv(Ctx &c, uint8_t sub, uint8_t x) {
  Out o[2];
  const int what = sub % 8;
  if (what == 5 && g_known[K_READERCHECK]) return c.steer("known readercheck: not on an unopened env");
  static const char *const names[] = {"set_mapsize", "set_maxreaders", "set_maxdbs",      "get_maxreaders+get_flags",
                                      "get_path",    "reader_check",   "open(missing dir)", "open(RDONLY, empty dir)"};
  c.cur_desc = std::string("unopened env: ") + names[what] + " arg " + std::to_string(x);
  for (int i = 0; i < 2; i++) {
    Side &s = c.s[i];
    MDB_env *e = nullptr;
    o[i].rc = s.a->mdb_env_create(&e);
    if (o[i].rc) continue;
    switch (what) {
      case 0: {
        size_t sz = kMapSizes[x % 8];
        if (sz % 4096 && g_known[K_MAPSIZE]) sz = 4096 * (x + 1);
        o[i].rc = s.a->mdb_env_set_mapsize(e, sz);
        MDB_envinfo ei{};
        (void)ei;
        break;
      }
      case 1: o[i].rc = s.a->mdb_env_set_maxreaders(e, x % 4); break;
      case 2: o[i].rc = s.a->mdb_env_set_maxdbs(e, x); break;
      case 3: {
        unsigned n = 0, fl = 0;
        o[i].rc = s.a->mdb_env_get_maxreaders(e, &n);
        o[i].num("maxreaders", n);
        o[i].num("flags_rc", static_cast<uint64_t>(s.a->mdb_env_get_flags(e, &fl)));
        o[i].num("flags", fl);
        o[i].num("maxkey", s.a->mdb_env_get_maxkeysize(e));
        break;
      }
      case 4: {
        const char *p = "x";
        o[i].rc = s.a->mdb_env_get_path(e, &p);
        o[i].num("path_null", p == nullptr);
        break;
      }
      case 5: {
        int dead = -1;
        o[i].rc = s.a->mdb_reader_check(e, &dead);
        o[i].num("dead", static_cast<uint64_t>(dead));
        break;
      }
      case 6: o[i].rc = s.a->mdb_env_open(e, (s.dir + "/missing/dir").c_str(), x & MDB_NOSUBDIR, 0644); break;
      case 7: {
        const std::string d = s.dir + "/copy";
        unlink((d + "/data.mdb").c_str());
        unlink((d + "/lock.mdb").c_str());
        o[i].rc = s.a->mdb_env_open(e, d.c_str(), MDB_RDONLY, 0644);
        break;
      }
    }
    s.a->mdb_env_close(e);
  }
  c.emit("  rc = mdb_env_create(&env2); /* unopened env: %s %u */ CHECK(rc, 0); mdb_env_close(env2);", names[what], x);
  c.record(o);
  c.compare("unopened env", o, what == 5 ? K_READERCHECK : -1);
}

void op_bulk_put(Ctx &c, uint8_t dbb, uint8_t cnt, uint8_t ks, uint8_t kseed, uint8_t vs, uint8_t vseed, uint8_t mode) {
  const int tag = c.depth - 1, db = dbb % kDbs;
  if (tag < 0 || !c.usable(tag, db)) return;
  const int n = 1 + cnt;
  const bool dups = mode & 1;
  unsigned fl = 0;
  if (mode & 2) fl |= dups ? MDB_APPENDDUP : MDB_APPEND;
  if (mode & 4) fl |= MDB_NOOVERWRITE;
  if (mode & 8) fl |= MDB_NODUPDATA;
  Spec k0 = key_spec(c, db, ks, kseed), v0 = val_spec(c, db, k0.size, vs, vseed);
  if (steer_data(c, db, v0, fl)) return;
  c.cur_desc = "bulk mdb_put x" + std::to_string(n) + " (" + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " +
               k0.desc() + (dups ? "" : "+i") + ", " + v0.desc() + (dups ? "+i" : "") + ", " + flag_names(fl) + ")";
  Out o[2];
  int done = 0;
  for (int j = 0; j < n; j++) {
    Spec ksp = k0, vsp = v0;
    (dups ? vsp : ksp).idx = static_cast<unsigned>(j + 1);
    std::string kb = ksp.make(), vb = vsp.make();
    for (int i = 0; i < 2; i++) {
      Side &s = c.s[i];
      MDB_val k{kb.size(), kb.data()}, d{vb.size(), vb.data()};
      o[i] = Out{};
      o[i].rc = s.a->mdb_put(s.txn(tag), s.dbi[db], &k, &d, fl);
      o[i].num("i", static_cast<uint64_t>(j));
      if (o[i].rc == MDB_KEYEXIST) o[i].bytes("existing", d);
    }
    if (!(o[0] == o[1]) || (o[0].rc != 0 && o[0].rc != MDB_KEYEXIST)) break;
    done = j + 1;
  }
  if (g_emit_c) {
    Spec ksp = k0, vsp = v0;
    (dups ? vsp : ksp).idx = 9999;
    std::string kc = ksp.c("k", "kb"), vc = vsp.c("d", "vb");
    auto idx_to_i = [](std::string s) {
      size_t p = s.find("9999");
      return p == std::string::npos ? s : s.replace(p, 4, "i + 1");
    };
    c.emit("  for (i = 0; i < %d; i++) { %s; %s; rc = mdb_put(%s, dbi[%d], &k, &d, %s);"
           " if (rc != 0 && rc != MDB_KEYEXIST) break; }",
           done, idx_to_i(kc).c_str(), idx_to_i(vc).c_str(), txn_c(tag), db, flag_names(fl).c_str());
    c.emit("  CHECKN(i, %d);", done);
    if (done < n) {
      (dups ? vsp : ksp).idx = static_cast<unsigned>(done + 1);
      c.emit("  %s; %s; rc = mdb_put(%s, dbi[%d], &k, &d, %s); CHECK(rc, %d);", ksp.c("k", "kb").c_str(),
             vsp.c("d", "vb").c_str(), txn_c(tag), db, flag_names(fl).c_str(), o[0].rc);
    }
  }
  c.record(o);
  c.compare("bulk put", o, -1);
  if (done > 0 || o[0].rc == 0) {
    changed(c, db, -1, false);
    post_stat(c, tag, db);
  }
}

void op_bulk_del(Ctx &c, uint8_t dbb, uint8_t cnt, uint8_t ks, uint8_t kseed, uint8_t stride) {
  const int tag = c.depth - 1, db = dbb % kDbs;
  if (tag < 0 || !c.usable(tag, db)) return;
  const int n = 1 + cnt, st = 1 + stride % 4;
  Spec k0 = key_spec(c, db, ks, kseed);
  c.cur_desc = "bulk mdb_del x" + std::to_string(n) + " (" + txn_c(tag) + ", dbi[" + std::to_string(db) + "], " +
               k0.desc() + "+i*" + std::to_string(st) + ")";
  Out o[2];
  int done = 0;
  bool any = false;
  for (int j = 0; j < n; j++) {
    Spec ksp = k0;
    ksp.idx = static_cast<unsigned>(j * st + 1);
    std::string kb = ksp.make();
    for (int i = 0; i < 2; i++) {
      Side &s = c.s[i];
      MDB_val k{kb.size(), kb.data()};
      o[i] = Out{};
      o[i].rc = s.a->mdb_del(s.txn(tag), s.dbi[db], &k, nullptr);
      o[i].num("i", static_cast<uint64_t>(j));
    }
    if (!(o[0] == o[1]) || (o[0].rc != 0 && o[0].rc != MDB_NOTFOUND)) break;
    any = any || o[0].rc == 0;
    done = j + 1;
  }
  if (g_emit_c) {
    Spec ksp = k0;
    ksp.idx = 9999;
    std::string kc = ksp.c("k", "kb");
    kc.replace(kc.find("9999"), 4, "i * " + std::to_string(st) + " + 1");
    c.emit("  for (i = 0; i < %d; i++) { %s; rc = mdb_del(%s, dbi[%d], &k, NULL);"
           " if (rc != 0 && rc != MDB_NOTFOUND) break; }",
           done, kc.c_str(), txn_c(tag), db);
    if (done < n) {
      ksp.idx = static_cast<unsigned>(done * st + 1);
      c.emit("  %s; rc = mdb_del(%s, dbi[%d], &k, NULL); CHECK(rc, %d);", ksp.c("k", "kb").c_str(), txn_c(tag), db,
             o[0].rc);
    }
  }
  c.record(o);
  c.compare("bulk del", o, -1);
  if (any || o[0].rc == 0) {
    changed(c, db, -1, true);
    post_stat(c, tag, db);
  }
}

// End of an input: contents of every database in the innermost write txn,
// then everything ended, then every database read in a fresh read txn.
void final_check(Ctx &c) {
  c.opno = -1;
  if (c.depth)
    for (int d = 0; d < kDbs; d++)
      if (c.usable(c.depth - 1, d)) scan_db(c, c.depth - 1, d, "final (write txn)");
  end_all(c);
  Out o[2];
  c.cur_desc = "final: mdb_txn_begin(RDONLY)";
  for (int i = 0; i < 2; i++) o[i].rc = c.s[i].a->mdb_txn_begin(c.s[i].env, nullptr, MDB_RDONLY, &c.s[i].r[0]);
  c.compare("final read txn", o, -1);
  if (o[0].rc == 0) {
    c.rd[0].st = TS::Active;
    snapshot(c, c.rd[0]);
    for (int d = 0; d < kDbs; d++)
      if (c.usable(kReadTag, d)) scan_db(c, kReadTag, d, "final (committed)");
  }
  env_close(c);
}

void run(Ctx &c) {
  env_open(c, true);
  for (c.opno = 0; c.opno < kMaxOps && c.pos < c.n; c.opno++) {
    const uint8_t opc = c.b() % O_COUNT_;
    c.cur_desc = "opcode " + std::to_string(opc);
    switch (opc) {
      case O_BEGIN_WRITE: op_begin(c, 0, c.b()); break;
      case O_BEGIN_CHILD: op_begin(c, 1, c.b()); break;
      case O_BEGIN_READ: op_begin(c, 2, c.b()); break;
      case O_COMMIT: case O_ABORT: case O_RESET: case O_RENEW: op_end(c, static_cast<Opc>(opc), c.b()); break;
      case O_TXN_ID: op_txn_id(c, c.b()); break;
      case O_DBI_OPEN: { uint8_t a = c.b(), d = c.b(), f = c.b(); op_dbi_open(c, a, d, f); break; }
      case O_DBI_CLOSE: op_dbi_close(c, c.b()); break;
      case O_DBI_FLAGS: case O_STAT: { uint8_t a = c.b(), d = c.b(); op_dbi_info(c, static_cast<Opc>(opc), a, d); break; }
      case O_DROP: { uint8_t a = c.b(), d = c.b(), x = c.b(); op_drop(c, a, d, x); break; }
      case O_GET: { uint8_t a = c.b(), d = c.b(), k = c.b(), ks = c.b(); op_get(c, a, d, k, ks); break; }
      case O_PUT: case O_PUT2: {
        uint8_t a = c.b(), d = c.b(), k = c.b(), ks = c.b(), v = c.b(), vs = c.b(), f = opc == O_PUT2 ? 0 : c.b();
        op_put(c, a, d, k, ks, v, vs, f);
        break;
      }
      case O_DEL: {
        uint8_t a = c.b(), d = c.b(), k = c.b(), ks = c.b(), v = c.b(), vs = c.b(), m = c.b();
        op_del(c, a, d, k, ks, v, vs, m);
        break;
      }
      case O_CUR_OPEN: { uint8_t s = c.b(), a = c.b(), d = c.b(); op_cur_open(c, s, a, d); break; }
      case O_CUR_CLOSE: op_cur_close(c, c.b()); break;
      case O_CUR_RENEW: { uint8_t s = c.b(), a = c.b(); op_cur_renew(c, s, a); break; }
      case O_CUR_GET: case O_CUR_GET2: {
        uint8_t s = c.b(), o = c.b();
        uint8_t k = 0, ks = 0, v = 0, vs = 0;
        if (opc == O_CUR_GET) k = c.b(), ks = c.b(), v = c.b(), vs = c.b();
        op_cur_get(c, s, o, k, ks, v, vs);
        break;
      }
      case O_CUR_PUT: {
        uint8_t s = c.b(), f = c.b(), k = c.b(), ks = c.b(), v = c.b(), vs = c.b(), n = c.b();
        op_cur_put(c, s, f, k, ks, v, vs, n);
        break;
      }
      case O_CUR_DEL: { uint8_t s = c.b(), f = c.b(); op_cur_del(c, s, f); break; }
      case O_CUR_COUNT: op_cur_count(c, c.b()); break;
      case O_CUR_INFO: op_cur_info(c, c.b()); break;
      case O_CMP: {
        uint8_t a = c.b(), d = c.b(), w = c.b(), s1 = c.b(), x1 = c.b(), s2 = c.b(), x2 = c.b();
        op_cmp(c, a, d, w, s1, x1, s2, x2);
        break;
      }
      case O_ENV_STAT: op_env_stat(c, c.b()); break;
      case O_ENV_FLAGS: { uint8_t s = c.b(), f = c.b(); op_env_flags(c, s, f); break; }
      case O_ENV_COPY: op_env_copy(c, c.b()); break;
      case O_REOPEN: op_reopen(c); break;
      case O_MAPSIZE: op_mapsize(c, c.b()); break;
      case O_READERS: op_readers(c, c.b()); break;
      case O_MISC: { uint8_t s = c.b(), x = c.b(), a = c.b(), d = c.b(); op_misc(c, s, x, a, d); break; }
      case O_PREENV: { uint8_t s = c.b(), x = c.b(); op_preenv(c, s, x); break; }
      case O_BULK_PUT: {
        uint8_t d = c.b(), n = c.b(), k = c.b(), ks = c.b(), v = c.b(), vs = c.b(), m = c.b();
        op_bulk_put(c, d, n, k, ks, v, vs, m);
        break;
      }
      case O_BULK_DEL: {
        uint8_t d = c.b(), n = c.b(), k = c.b(), ks = c.b(), st = c.b();
        op_bulk_del(c, d, n, k, ks, st);
        break;
      }
      case O_CUR_WALK: { uint8_t s = c.b(), o = c.b(), n = c.b(); op_cur_walk(c, s, o, n); break; }
      default: break;
    }
  }
  final_check(c);
}

void decode_config(Ctx &c) {
  const uint8_t h0 = c.b(), h1 = c.b(), h2 = c.b(), h3 = c.b(), h4 = c.b();
  Config &g = c.cfg;
  g.env_flags = MDB_NOSYNC;
  if (h0 & 1) g.env_flags |= MDB_WRITEMAP;
  if (h0 & 2) g.env_flags |= MDB_NOMEMINIT;
  if (h0 & 4) g.env_flags |= MDB_NORDAHEAD;
  if (h0 & 8) g.env_flags |= MDB_NOTLS;
  if ((h0 & 16) && (h0 & 1)) g.env_flags |= MDB_MAPASYNC;
  if (h0 & 32) g.env_flags |= MDB_NOMETASYNC;
  static const size_t maps[4] = {size_t(8) << 20, 40 * 4096, 160 * 4096, (size_t(2) << 20) + 2048};
  g.mapsize = maps[(h0 >> 6) & 3];
  if (g.mapsize % 4096 && g_known[K_MAPSIZE]) g.mapsize = size_t(2) << 20;
  static const unsigned dbs[4] = {8, 5, 2, 0};
  g.maxdbs = dbs[h1 & 3];
  g.maxreaders = (h1 & 4) ? 2 : 126;
  if (h1 & 8) g.keycmp[4] = cmp_len_first;
  if (h1 & 16) g.dupcmp[5] = cmp_desc;
  if (h1 & 32) g.keycmp[3] = cmp_desc, g.dupcmp[3] = cmp_len_first;
  if (h1 & 64) g.dupcmp[2] = cmp_len_first;
  for (int d = 0; d < kDbs; d++) {
    g.dupfix[d] = kFixedSizes[(h2 + 7u * d) % 20];
    g.keyint[d] = (h3 >> d) & 1 ? 8 : 4;
    g.dupint[d] = (h4 >> d) & 1 ? 8 : 4;
  }
}

void setup_dirs() {
  if (!g_base.empty()) return;
  const char *t = getenv("TMPDIR");
  std::string root = t && *t ? t : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  char tmpl[512];
  snprintf(tmpl, sizeof tmpl, "%s/diff_api.XXXXXX", root.c_str());
  if (!mkdtemp(tmpl)) {
    perror("diff_api: mkdtemp");
    exit(2);
  }
  g_base = tmpl;
  for (const char *sub : {"/up", "/up/copy", "/ours", "/ours/copy"}) mkdir((g_base + sub).c_str(), 0755);
  atexit([] {
    for (const char *sub : {"/up", "/ours"}) rm_tree_files(g_base + sub);
    for (const char *sub : {"/up/copy", "/ours/copy", "/up", "/ours", ""}) rmdir((g_base + sub).c_str());
  });
}

// ---------------------------------------------------------------- boundary generator

// Argument bytes of each opcode (as run() reads them), for splitting an input
// into operations (the driver's shrinker).
const uint8_t kOpArgs[O_COUNT_] = {
    1, 1, 1, 1, 1, 1, 1, 1,  // begin write/child/read, commit, abort, reset, renew, txn id
    3, 1, 2, 2, 3, 4, 7, 7,  // dbi open/close/flags, stat, drop, get, put, del
    3, 1, 2, 6, 7, 2, 1, 1,  // cursor open/close/renew/get/put/del/count/info
    7, 1, 2, 1, 0, 1, 1, 4,  // cmp, env stat/flags/copy, reopen, mapsize, readers, misc
    2, 7, 5, 3, 2, 6};       // preenv, bulk put/del, walk, cursor get2, put2

// A seeded input of the boundary profile: one write txn (and nested ones)
// working on one to three databases with flags of any combination, keys and
// values drawn from a small pool of boundary sizes so that searches hit,
// duplicates pile up into sub-pages and sub-databases, and four cursors are
// moved by every op from the states the other calls leave them in.
class BoundaryGen {
 public:
  explicit BoundaryGen(uint64_t seed) : r_(seed * 0x9E3779B97F4A7C15ull + 0xB0DA) {}

  std::vector<uint8_t> make() {
    std::vector<uint8_t> in;
    // Header: env flags (always NOSYNC in the harness), map size, limits,
    // custom orders, DUPFIXED item sizes, integer widths.
    // WRITEMAP (bit 0) in a fifth of the inputs: it rules out nested txns.
    uint8_t h0 = static_cast<uint8_t>(r_.below(64) & ~1u);
    if (r_.chance(0.2)) h0 |= 1;
    const unsigned map = r_.below(100);
    h0 |= static_cast<uint8_t>((map < 82 ? 0 : map < 90 ? 1 : map < 96 ? 2 : 3) << 6);
    uint8_t h1 = r_.chance(0.15) ? 4 : 0;  // maxdbs 8; sometimes 2 readers
    for (int b = 3; b <= 6; b++)
      if (r_.chance(0.12)) h1 |= static_cast<uint8_t>(1u << b);
    in.push_back(h0);
    in.push_back(h1);
    in.push_back(static_cast<uint8_t>(r_.below(256)));
    in.push_back(static_cast<uint8_t>(r_.below(256)));
    in.push_back(static_cast<uint8_t>(r_.below(256)));

    // Databases: the main one and one or two named ones, any flags.
    ndb_ = 0;
    dbs_[ndb_++] = 0;
    const int named = 1 + static_cast<int>(r_.below(2));
    for (int i = 0; i < named; i++) dbs_[ndb_++] = 1 + static_cast<int>(r_.below(5));
    nkeys_ = 2 + static_cast<int>(r_.below(3));
    for (int i = 0; i < nkeys_; i++) {
      keys_[i][0] = static_cast<uint8_t>(r_.below(16));
      keys_[i][1] = static_cast<uint8_t>(r_.below(255));
    }
    nvals_ = 1 + static_cast<int>(r_.below(3));
    for (int i = 0; i < nvals_; i++) {
      vals_[i][0] = val_size();
      vals_[i][1] = static_cast<uint8_t>(r_.below(256));
    }

    op({O_BEGIN_WRITE, 0});
    depth_ = 1;
    for (int i = 1; i < ndb_; i++) {
      uint8_t fb = static_cast<uint8_t>(r_.below(64));
      if (r_.chance(0.5)) fb |= 2;             // DUPSORT half the time or more
      if (r_.chance(0.03)) fb |= 128;          // not a database flag: EINVAL
      op({O_DBI_OPEN, 0, static_cast<uint8_t>(dbs_[i]), fb});
      if (fb & 2) dup_[dbs_[i]] = true;
      dbflags_[dbs_[i]] = fb;
    }
    if (r_.chance(0.4)) {
      op({O_COMMIT, 0});
      op({O_BEGIN_WRITE, 0});
    }
    // Some content first: single puts and runs of keys or duplicates.  A
    // small map is mostly filled with values of whole overflow pages, so
    // that later writes meet its last page.
    if ((h0 >> 6) == 1 || (h0 >> 6) == 2) {
      const int runs = 1 + static_cast<int>(r_.below((h0 >> 6) == 1 ? 2 : 5));
      for (int i = 0; i < runs; i++)
        op({O_BULK_PUT, db(), static_cast<unsigned>(r_.range(5, 40)), static_cast<unsigned>(r_.below(16)),
            static_cast<unsigned>(r_.below(255)), static_cast<unsigned>(19 + r_.below(9)),
            static_cast<unsigned>(r_.below(256)), 0});
    }
    const int fill = 1 + static_cast<int>(r_.below(4));
    for (int i = 0; i < fill; i++) r_.chance(0.5) ? bulk_put() : put();
    if (r_.chance(0.3)) {
      // A deep tree: runs of 200-256 keys of 255-512 bytes (depth 3 with
      // 510-byte keys) or of duplicates (a sub-db of several levels with
      // big DUPFIXED items), later split, merged and walked under the cursors.
      const int runs = 1 + static_cast<int>(r_.below(3));
      for (int i = 0; i < runs; i++) {
        const uint8_t d = db();
        const unsigned ksz = r_.chance(0.5) ? 12 + static_cast<unsigned>(r_.below(4)) : r_.below(16);
        const bool dups = dup_[d] && r_.chance(0.5);
        op({O_BULK_PUT, d, static_cast<unsigned>(r_.range(199, 255)), ksz,
            i == 0 ? keys_[0][1] : static_cast<unsigned>(r_.below(255)), val_size_for_db(),
            static_cast<unsigned>(r_.below(256)), dups ? 1u : 0u});
      }
    }
    for (int s = 0; s < 2; s++) cur_open(s);
    while (ops_ < kMaxOps) step();
    for (auto &o : out_) in.insert(in.end(), o.begin(), o.end());
    return in;
  }

 private:
  // Braces: the arguments are evaluated left to right (cur() may add an
  // open first), the same on every compiler.
  void op(std::initializer_list<unsigned> a) {
    std::vector<uint8_t> o;
    for (unsigned x : a) o.push_back(static_cast<uint8_t>(x));
    out_.push_back(std::move(o));
    ops_++;
  }
  // The main db a fifth of the time, else a named one (any flags).
  uint8_t db() {
    last_db_ = ndb_ == 1 || r_.chance(0.2) ? 0 : dbs_[1 + r_.below(static_cast<uint64_t>(ndb_ - 1))];
    return static_cast<uint8_t>(last_db_);
  }
  uint8_t val_size() {
    // Mostly the sizes a duplicate can have; sometimes the big ones.
    return static_cast<uint8_t>(r_.chance(0.6) ? r_.below(16) : r_.below(32));
  }
  // A value size for the db last picked: up to 512 bytes in DUPSORT dbs
  // (the rest would only meet MDB_BAD_VALSIZE).
  uint8_t val_size_for_db() {
    return static_cast<uint8_t>(dup_[last_db_] && r_.chance(0.9) ? r_.below(16) : val_size());
  }
  void key(uint8_t *sz, uint8_t *seed, bool miss_ok) {
    if (miss_ok && r_.chance(0.15)) {
      *sz = static_cast<uint8_t>(r_.below(16));
      *seed = static_cast<uint8_t>(r_.below(255));
      return;
    }
    const int i = static_cast<int>(r_.below(static_cast<uint64_t>(nkeys_)));
    *sz = keys_[i][0];
    *seed = keys_[i][1];
  }
  void val(uint8_t *sz, uint8_t *seed) {
    if (r_.chance(0.2)) {
      *sz = val_size_for_db();
      *seed = static_cast<uint8_t>(r_.below(256));
      return;
    }
    const int i = static_cast<int>(r_.below(static_cast<uint64_t>(nvals_)));
    *sz = vals_[i][0];
    *seed = vals_[i][1];
  }
  // Put flags: none, one, two or any mix (invalid ones included).
  uint8_t put_flags(int bits) {
    const unsigned p = r_.below(100);
    if (p < 25) return 0;
    if (p < 65) return static_cast<uint8_t>(1u << r_.below(static_cast<uint64_t>(bits)));
    if (p < 85)
      return static_cast<uint8_t>((1u << r_.below(static_cast<uint64_t>(bits))) |
                                  (1u << r_.below(static_cast<uint64_t>(bits))));
    return static_cast<uint8_t>(r_.below(1u << bits));
  }
  void put() {
    uint8_t k, ks, v, vs;
    const uint8_t d = db();
    key(&k, &ks, false);
    val(&v, &vs);
    op({O_PUT, 0, d, k, ks, v, vs, put_flags(7)});
  }
  void bulk_put() {
    static const uint8_t counts[10] = {0, 1, 2, 3, 6, 15, 40, 100, 200, 255};
    uint8_t k, ks, v, vs;
    const uint8_t d = db();
    key(&k, &ks, false);
    val(&v, &vs);
    uint8_t mode = static_cast<uint8_t>(r_.chance(0.6) ? 1 : 0);  // duplicates of one key
    if (r_.chance(0.2)) mode |= 2;                                 // APPEND / APPENDDUP
    if (r_.chance(0.1)) mode |= static_cast<uint8_t>(4u << r_.below(2));
    op({O_BULK_PUT, d, counts[r_.below(10)], k, ks, v, vs, mode});
  }
  void cur_open(int s) {
    if (open_[s]) return;
    open_db_[s] = db();
    op({O_CUR_OPEN, static_cast<uint8_t>(s), 0, static_cast<unsigned>(open_db_[s])});
    open_[s] = true;
    open_depth_[s] = depth_;
  }
  // A cursor of the innermost write txn (opened there if there is none, or
  // sometimes another one while a slot is free).
  uint8_t cur() {
    int here[4], n = 0, free_slot = -1;
    for (int s = 0; s < 4; s++) {
      if (open_[s] && open_depth_[s] == depth_) here[n++] = s;
      if (!open_[s] && free_slot < 0) free_slot = s;
    }
    int s;
    if (free_slot >= 0 && (n == 0 || r_.chance(0.05))) {
      cur_open(free_slot);
      s = free_slot;
    } else {
      s = n == 0 ? static_cast<int>(r_.below(4)) : here[r_.below(static_cast<uint64_t>(n))];
    }
    last_db_ = open_db_[s];
    return static_cast<uint8_t>(s);
  }
  void cur_get() {
    const uint8_t s = cur();
    const uint8_t opc = static_cast<uint8_t>(r_.below(19));
    uint8_t k, ks, v, vs;
    key(&k, &ks, true);
    val(&v, &vs);
    op({O_CUR_GET, s, opc, k, ks, v, vs});
  }
  void end_level(bool commit) {
    op({static_cast<unsigned>(commit ? O_COMMIT : O_ABORT), 0});
    for (int s = 0; s < 4; s++)
      if (open_[s] && open_depth_[s] == depth_) open_[s] = false;
    depth_--;
    if (depth_ == 0) {
      op({O_BEGIN_WRITE, 0});
      depth_ = 1;
    }
  }
  // The write txns end (committed or not), the environment is copied (plain
  // or compacting: the copies' sizes are compared) and sometimes reopened,
  // and a new write txn goes on (the named dbs opened again).
  void interlude() {
    while (depth_ > 1) end_level(r_.chance(0.5));
    op({static_cast<unsigned>(r_.chance(0.8) ? O_COMMIT : O_ABORT), 0});
    for (int s = 0; s < 4; s++) open_[s] = false;
    op({O_ENV_COPY, static_cast<unsigned>(r_.below(16) & ~2u)});
    const bool reopen = r_.chance(0.4);
    if (reopen) op({O_REOPEN});
    op({O_BEGIN_WRITE, 0});
    depth_ = 1;
    if (reopen)
      for (int i = 1; i < ndb_; i++) op({O_DBI_OPEN, 0, static_cast<unsigned>(dbs_[i]), dbflags_[dbs_[i]]});
  }

  void step() {
    const unsigned p = static_cast<unsigned>(r_.below(1000));
    uint8_t k, ks, v, vs;
    if (p < 300) return cur_get();
    if (p < 390) {  // cursor put: any flag combination, MULTIPLE counts, the current data
      const uint8_t s = cur();
      key(&k, &ks, true);
      val(&v, &vs);
      uint8_t fb = put_flags(7);
      if ((fb & 32) && r_.chance(0.3)) fb |= 128;
      op({O_CUR_PUT, s, fb, k, ks, v, vs, static_cast<uint8_t>(r_.below(8))});
      return;
    }
    if (p < 500) return put();
    if (p < 560) {  // mdb_del with and without data
      const uint8_t d = db();
      key(&k, &ks, true);
      val(&v, &vs);
      op({O_DEL, 0, d, k, ks, v, vs, static_cast<uint8_t>(r_.below(2))});
      return;
    }
    if (p < 640) return op({O_CUR_DEL, cur(), static_cast<uint8_t>(r_.chance(0.3) ? 1 : 0)});
    if (p < 690) return op({O_CUR_COUNT, cur()});
    if (p < 710) {
      key(&k, &ks, true);
      return op({O_GET, 0, db(), k, ks});
    }
    if (p < 760) return bulk_put();
    if (p < 775) {
      key(&k, &ks, false);
      return op({O_BULK_DEL, db(), static_cast<uint8_t>(r_.below(40)), k, ks, static_cast<uint8_t>(r_.below(4))});
    }
    if (p < 800) {
      const uint8_t s = cur();
      return op({O_CUR_WALK, s, static_cast<uint8_t>(r_.below(8)), static_cast<uint8_t>(r_.below(70))});
    }
    if (p < 830) {  // re-open a cursor (fresh, unpositioned), maybe on another db
      const int s = static_cast<int>(r_.below(4));
      if (open_[s]) {
        op({O_CUR_CLOSE, static_cast<uint8_t>(s)});
        open_[s] = false;
      }
      return cur_open(s);
    }
    if (p < 880) {  // a nested txn (two slots left free for its cursors)
      if (depth_ < kMaxDepth) {
        int used = 0;
        for (int s = 0; s < 4; s++) used += open_[s];
        for (int s = 3; s >= 0 && used > 2; s--)
          if (open_[s] && open_depth_[s] == depth_) {
            op({O_CUR_CLOSE, static_cast<unsigned>(s)});
            open_[s] = false;
            used--;
          }
        op({O_BEGIN_CHILD, 0});
        depth_++;
      }
      return;
    }
    if (p < 935) {
      if (depth_ > 1) return end_level(r_.chance(0.5));
      if (r_.chance(0.3)) return end_level(r_.chance(0.7));
      return;
    }
    if (p < 945) return op({O_DROP, 0, db(), 0});  // emptied under the cursors
    if (p < 950) return interlude();
    if (p < 965) return op({O_STAT, 0, db()});
    if (p < 980) {  // a read txn's cursor on the committed state
      op({O_BEGIN_READ, 0});
      op({O_CUR_OPEN, 3, 1, db()});
      return;
    }
    cur_get();
  }

  compat::Rng r_;
  std::vector<std::vector<uint8_t>> out_;
  int ops_ = 0, depth_ = 0, ndb_ = 0, nkeys_ = 0, nvals_ = 0;
  int dbs_[3] = {}, last_db_ = 0;
  bool dup_[kDbs] = {};
  unsigned dbflags_[kDbs] = {};
  uint8_t keys_[8][2] = {}, vals_[8][2] = {};
  bool open_[4] = {};
  int open_db_[4] = {};
  int open_depth_[4] = {};
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  init_switches();
  const compat::ApiPair &p = compat::apis();
  if (compat::is_placeholder(p.ours)) {
    fprintf(stderr, "diff_api: our library is the placeholder\n");
    exit(2);
  }
  setup_dirs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Ctx *ctx_store = nullptr;
  delete ctx_store;
  ctx_store = new Ctx;
  Ctx &c = *ctx_store;
  g_ctx = &c;
  const compat::ApiPair &p = compat::apis();
  c.s[0].a = &p.upstream;
  c.s[0].label = "upstream";
  c.s[0].dir = g_base + "/up";
  c.s[1].a = &p.ours;
  c.s[1].label = "ours";
  c.s[1].dir = g_base + "/ours";
  c.in = data;
  c.n = size;
  decode_config(c);
  try {
    run(c);
  } catch (const Stop &) {
    env_close(c);
  }
  static bool printed = false;  // one program per process (libFuzzer may run an input twice)
  if (g_emit_c && size > 0 && !printed) {
    printed = true;
    c.print_c(stdout);
    fflush(stdout);
  }
  return 0;
}

// ---------------------------------------------------------------- standalone driver
// fuzz/diff_api_boundary.cpp runs seeded inputs of the boundary profile
// through LLVMFuzzerTestOneInput without libFuzzer (any compiler).

std::vector<uint8_t> diff_api_boundary_input(uint64_t seed) { return BoundaryGen(seed).make(); }

void diff_api_driver_mode(bool quiet) {
  g_driver = true;
  g_quiet = quiet;
  g_boundary = true;
}

std::string diff_api_take_divergence() {
  std::string s;
  s.swap(g_last_div);
  return s;
}

unsigned long long diff_api_calls() { return g_calls; }

// Splits an input into its header (first entry) and operations.
std::vector<std::vector<uint8_t>> diff_api_split(const std::vector<uint8_t> &in) {
  std::vector<std::vector<uint8_t>> parts;
  size_t pos = in.size() < 5 ? in.size() : 5;
  parts.emplace_back(in.begin(), in.begin() + static_cast<long>(pos));
  while (pos < in.size()) {
    const size_t len = 1 + kOpArgs[in[pos] % O_COUNT_];
    const size_t end = pos + len < in.size() ? pos + len : in.size();
    parts.emplace_back(in.begin() + static_cast<long>(pos), in.begin() + static_cast<long>(end));
    pos = end;
  }
  return parts;
}
