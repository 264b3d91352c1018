// The cursor-state matrix (see matrix.h).
#include "matrix.h"

#include <cstdio>
#include <map>

#include "lmdb.h"
#include "runner.h"

namespace compat {

namespace {

struct Flavor {
  const char *name;
  unsigned db_flags;
  ValKind order;     // how duplicates are ordered (plain dbs: Random)
  unsigned val_len;  // item size (plain dbs: see kPlainLen)
  uint8_t db;        // db number: the model ties fixed item sizes to it (Model::required_item_size)
  bool pages = false;  // items so big that a leaf holds two or three keys: moves cross pages
  bool writemap = false;  // the env opened with MDB_WRITEMAP
  bool sizes = false;     // not the cursor matrix: the size matrix (size_list)
  const unsigned *items = nullptr;  // items per key (dup dbs), when not kItems / kPagesItems
};

// Items per key where the middle key's fixed-size items fill a sub-db of
// three leaves (16-byte items: 255 a leaf; 8-byte items: 510): MULTIPLE ops
// and single steps cross the sub-db's page boundaries.
constexpr unsigned kBigMiddle16[] = {1, 2, 700, 20, 1};
constexpr unsigned kBigMiddle8[] = {1, 2, 1300, 20, 1};

const Flavor kFlavors[] = {
    {"plain", 0, ValKind::Random, 0, 1},
    {"dupsort", MDB_DUPSORT, ValKind::OrderedMem, 40, 1},
    {"dupfixed", MDB_DUPSORT | MDB_DUPFIXED, ValKind::OrderedMem, 12, 6},
    {"reversedup", MDB_DUPSORT | MDB_REVERSEDUP, ValKind::OrderedRev, 40, 1},
    {"integerdup", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, ValKind::OrderedInt, 4, 2},
    {"integerkey_dupsort", MDB_INTEGERKEY | MDB_DUPSORT, ValKind::OrderedMem, 24, 1},
    {"reversekey_dupsort", MDB_REVERSEKEY | MDB_DUPSORT, ValKind::OrderedMem, 40, 1},
    {"plain_pages", 0, ValKind::Random, 0, 1, true},
    {"dupsort_pages", MDB_DUPSORT, ValKind::OrderedMem, 180, 1, true},
    {"writemap_dupsort_pages", MDB_DUPSORT, ValKind::OrderedMem, 180, 1, true, true},
    {"dupfixed_pages", MDB_DUPSORT | MDB_DUPFIXED, ValKind::OrderedMem, 16, 1, false, false, false, kBigMiddle16},
    {"integerdup8_pages", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, ValKind::OrderedInt, 8, 3, false, false, false,
     kBigMiddle8},
    {"main_with_named", 0, ValKind::Random, 0, 0},  // the main db, holding a named db's record too
    {"sizes_plain", 0, ValKind::Random, 0, 1, false, false, true},
    {"sizes_dupsort", MDB_DUPSORT, ValKind::OrderedMem, 0, 1, false, false, true},
};

// Keys 0x10 .. 0x50 (4-byte native integers: one varying low byte, so
// memcmp, reverse and integer order all agree); 0x08, 0x28, 0x60 are
// missing: before the first, between two, past the last.
KeyRef key(unsigned id) { return KeyRef{id, 4, KeyKind::Int}; }
constexpr unsigned kKeys[] = {0x10, 0x20, 0x30, 0x40, 0x50};
// Items per key in dup dbs: one, two, a sub-page, a sub-db, one; with
// `pages`: two big sub-pages (the leaf splits between them).
constexpr unsigned kItems[] = {1, 2, 20, 300, 1};
constexpr unsigned kPagesItems[] = {1, 8, 10, 300, 1};
// Value sizes per key in plain dbs: empty, small, medium, overflow, 1 byte;
// with `pages`: big values (two to a leaf, one of them on overflow pages).
constexpr unsigned kPlainLen[] = {0, 10, 100, 3000, 1};
constexpr unsigned kPlainPagesLen[] = {1200, 1800, 1500, 3000, 1700};

bool is_dup(const Flavor &f) { return f.db_flags & MDB_DUPSORT; }

ValRef item(const Flavor &f, unsigned key_index, unsigned i) {
  if (!is_dup(f)) return make_val(key_index * 1000 + i, (f.pages ? kPlainPagesLen : kPlainLen)[key_index]);
  // Item seeds 2, 4, 6, ...: odd seeds are missing items between them.
  return make_val(2 * (i + 1), f.val_len, f.order);
}

// Ops of one flavour's db.
struct OpsOf {
  uint8_t db;

  Op of(OpKind k) const {
    Op o;
    o.kind = k;
    o.db = db;
    return o;
  }
  // With its arguments.
  Op with(OpKind k, KeyRef kr = {}, ValRef v = {}, unsigned flags = 0, uint32_t arg = 0, uint8_t cur = 0) const {
    Op o = of(k);
    o.key = kr;
    o.val = v;
    o.flags = flags;
    o.arg = arg;
    o.cur = cur;
    return o;
  }
  Op cget(MDB_cursor_op c, KeyRef k = {}, ValRef v = {}, uint8_t cur = 0) const {
    return with(OpKind::CursorGet, k, v, 0, c, cur);
  }
};

const MDB_cursor_op kOps[] = {MDB_FIRST,     MDB_FIRST_DUP,  MDB_GET_BOTH,      MDB_GET_BOTH_RANGE,
                              MDB_GET_CURRENT, MDB_GET_MULTIPLE, MDB_LAST,        MDB_LAST_DUP,
                              MDB_NEXT,      MDB_NEXT_DUP,   MDB_NEXT_MULTIPLE, MDB_NEXT_NODUP,
                              MDB_PREV,      MDB_PREV_DUP,   MDB_PREV_NODUP,    MDB_SET,
                              MDB_SET_KEY,   MDB_SET_RANGE,  MDB_PREV_MULTIPLE};

enum Mid {
  kNone,
  kCursorDel,      // mdb_cursor_del
  kCursorDelAll,   // mdb_cursor_del(MDB_NODUPDATA) (dup dbs)
  kCurrentSame,    // mdb_cursor_put(MDB_CURRENT) of the current data
  kCursorPutItem,  // mdb_cursor_put of a new item / value under the middle key
  kOtherPut,       // mdb_put of a new key between two
  kOtherDel,       // mdb_del of the middle key
  kOtherDelItem,   // mdb_del of one item of the middle key (dup dbs)
  kPeerDel,        // the bystander cursor deletes where it stands
  kDropEmpty,      // mdb_drop(del = 0): the db emptied under both cursors
  kAppendAfter,    // mdb_cursor_put(MDB_APPEND) of a key past the last
  kAppendBefore,   // the same with a key before the first (refused)
  kAppendDup,      // mdb_cursor_put(MDB_APPENDDUP) of an item past the middle key's last (dup dbs)
  kNamedPut,       // mdb_put onto the named db's record in the main db (MDB_INCOMPATIBLE)
  kNamedDel,       // mdb_del of that record (MDB_INCOMPATIBLE)
  kPutNoOverwrite,  // mdb_cursor_put(MDB_NOOVERWRITE) of the middle key (MDB_KEYEXIST: the cursor goes there)
  kPutNoDupData,    // mdb_cursor_put(MDB_NODUPDATA) of an item the middle key has (dup dbs)
  kPutNewKey,       // mdb_cursor_put(MDB_NOOVERWRITE) of a key between two
  kPutReserve,      // mdb_cursor_put(MDB_RESERVE) under the middle key; dup dbs: a new key (see below)
  kPutMultiple,     // mdb_cursor_put(MDB_MULTIPLE) of three items, one already there (DUPFIXED dbs)
  kMidCount
};

void add_mid(std::vector<Op> &ops, const Flavor &f, Mid m) {
  const OpsOf b{f.db};
  const KeyRef middle = key(kKeys[2]);
  switch (m) {
    case kNone:
    case kMidCount:
      break;
    case kCursorDel:
      ops.push_back(b.with(OpKind::CursorDel));
      break;
    case kCursorDelAll:
      if (is_dup(f)) ops.push_back(b.with(OpKind::CursorDel, {}, {}, MDB_NODUPDATA));
      break;
    case kCurrentSame:
      ops.push_back(b.with(OpKind::CursorPut, {}, item(f, 2, 0), MDB_CURRENT, kCurrentSameData));
      break;
    case kCursorPutItem:  // a new item (dup dbs) or a new value (plain) under the middle key
      ops.push_back(b.with(OpKind::CursorPut, middle, is_dup(f) ? make_val(7, f.val_len, f.order) : make_val(77, 50)));
      break;
    case kOtherPut:  // mdb_put of a key between two (not through the cursor)
      ops.push_back(b.with(OpKind::Put, key(0x28), item(f, 1, 0)));
      break;
    case kOtherDel:  // mdb_del of the middle key with all its items
      ops.push_back(b.with(OpKind::Del, middle));
      break;
    case kOtherDelItem:  // mdb_del of one item of the middle key
      if (is_dup(f)) ops.push_back(b.with(OpKind::Del, middle, item(f, 2, 0), 0, 1));
      break;
    case kPeerDel:  // the bystander cursor deletes where it stands
      ops.push_back(b.with(OpKind::CursorDel, {}, {}, 0, 0, 1));
      break;
    case kDropEmpty:
      ops.push_back(b.with(OpKind::Drop));
      break;
    case kAppendAfter:
      ops.push_back(b.with(OpKind::CursorPut, key(0x60), item(f, 1, 0), MDB_APPEND));
      break;
    case kAppendBefore:
      ops.push_back(b.with(OpKind::CursorPut, key(0x08), item(f, 1, 0), MDB_APPEND));
      break;
    case kNamedPut:
      if (f.db == 0) ops.push_back(b.with(OpKind::Put, KeyRef{1, 3, KeyKind::DbName}, make_val(3, 8)));
      break;
    case kNamedDel:
      if (f.db == 0) ops.push_back(b.with(OpKind::Del, KeyRef{1, 3, KeyKind::DbName}));
      break;
    case kPutNoOverwrite:
      ops.push_back(b.with(OpKind::CursorPut, middle, item(f, 2, 0), MDB_NOOVERWRITE));
      break;
    case kPutNoDupData:
      if (is_dup(f)) ops.push_back(b.with(OpKind::CursorPut, middle, item(f, 2, 3), MDB_NODUPDATA));
      break;
    case kPutNewKey:
      ops.push_back(b.with(OpKind::CursorPut, key(0x28), item(f, 1, 0), MDB_NOOVERWRITE));
      break;
    case kPutReserve:  // (RESERVE onto a dup db's existing key crashes upstream: docs/divergences.md)
      if (is_dup(f))
        ops.push_back(b.with(OpKind::CursorPut, key(0x28), make_val(9, f.val_len, f.order), MDB_RESERVE));
      else
        ops.push_back(b.with(OpKind::CursorPut, middle, make_val(78, 60), MDB_RESERVE));
      break;
    case kPutMultiple:  // item seeds 7, 8, 9: 8 is there
      if (f.db_flags & MDB_DUPFIXED)
        ops.push_back(b.with(OpKind::CursorPut, middle, make_val(7, f.val_len, f.order), MDB_MULTIPLE, 3));
      break;
    case kAppendDup:
      if (is_dup(f)) ops.push_back(b.with(OpKind::CursorPut, middle, make_val(900, f.val_len, f.order), MDB_APPENDDUP));
      break;
  }
}

}  // namespace

// Every key and item size at its boundaries, for plain and DUPSORT dbs:
// 0, 1, 2, the largest key (511) and one more; in plain dbs the values
// around the overflow threshold of that key size (a leaf node holds at most
// 2038 bytes with 4 KiB pages: 8 of header, the key, the value) and around
// whole overflow pages (n * 4096 - 16 bytes); in DUPSORT dbs items of 0, 1,
// 2, 255, 510, 511, 512 bytes, six to a key (sub-page, then sub-db), and
// one of another size.  Each
// pair: put, get, NOOVERWRITE, a replacement of another size, MDB_CURRENT
// back, RESERVE under a second key, cursor and plain deletes; committed, so
// freed overflow runs are reused by the next pair (the stat after each
// write compares the page accounting).
OpList size_list(const Flavor &f) {
  const OpsOf b{f.db};
  OpList l;
  l.seed = 0x517E5;
  l.env.flags = MDB_NOSYNC;
  std::vector<Op> &ops = l.ops;
  ops.push_back(b.of(OpKind::EnvReopen));
  ops.push_back(b.of(OpKind::TxnBegin));
  ops.push_back(b.with(OpKind::DbiOpen, {}, {}, f.db_flags | MDB_CREATE));
  ops.push_back(b.of(OpKind::TxnCommit));
  const unsigned key_sizes[] = {0, 1, 2, 100, 510, 511, 512};
  uint32_t id = 1;
  for (unsigned ks : key_sizes) {
    const KeyRef k{id++, static_cast<uint16_t>(ks), KeyKind::Plain};
    const KeyRef k2{id++, static_cast<uint16_t>(ks ? ks : 1), KeyKind::Plain};
    std::vector<unsigned> sizes;
    if (is_dup(f)) {
      sizes = {0, 1, 2, 255, 510, 511, 512};
    } else {
      const unsigned t = 2030 - (ks < 511 ? ks : 511);  // largest value kept in the leaf
      sizes = {0, 1, 2, t - 1, t, t + 1, t + 2, 4079, 4080, 4081, 8176, 8177, 65536};
    }
    for (size_t si = 0; si < sizes.size(); si++) {
      const unsigned ds = sizes[si];
      // (Dup dbs: no other item onto a lone empty one.  Upstream replaces
      // it but counts both, or crashes under MDB_APPENDDUP; ruled in
      // docs/divergences.md, tested in compat.edges dupsort_empty_items.)
      const unsigned other = is_dup(f) && ds == 0 ? 0 : sizes[(si + 3) % sizes.size()];
      auto v = [&](uint32_t seed, unsigned len) {
        return is_dup(f) ? make_val(seed, len, ValKind::OrderedMem) : make_val(seed, len);
      };
      ops.push_back(b.of(OpKind::TxnBegin));
      const unsigned items = is_dup(f) ? 6 : 1;
      for (unsigned i = 0; i < items; i++) ops.push_back(b.with(OpKind::Put, k, v(10 + i, ds)));
      ops.push_back(b.with(OpKind::Get, k));
      ops.push_back(b.with(OpKind::Put, k, v(40, ds), is_dup(f) ? MDB_NODUPDATA : MDB_NOOVERWRITE));
      ops.push_back(b.with(OpKind::Put, k, v(41, other)));  // replaces (plain) or adds (dup)
      ops.push_back(b.with(OpKind::CursorOpen));
      ops.push_back(b.cget(MDB_SET, k));
      ops.push_back(b.cget(MDB_GET_CURRENT));
      ops.push_back(b.with(OpKind::CursorPut, {}, v(42, ds), MDB_CURRENT));
      ops.push_back(b.cget(MDB_GET_CURRENT));
      ops.push_back(b.of(OpKind::CursorCount));
      for (unsigned i = 0; i < items + 1; i++) ops.push_back(b.cget(MDB_NEXT_DUP));
      ops.push_back(b.cget(MDB_GET_BOTH, k, v(11, ds)));
      ops.push_back(b.cget(MDB_GET_BOTH_RANGE, k, v(11, ds + 1)));
      ops.push_back(b.with(OpKind::Put, k2, v(43, ds), MDB_RESERVE));
      ops.push_back(b.with(OpKind::Get, k2));
      ops.push_back(b.with(OpKind::CursorPut, k2, v(44, other), is_dup(f) ? MDB_APPENDDUP : MDB_APPEND));
      ops.push_back(b.cget(MDB_SET, k));
      ops.push_back(b.with(OpKind::CursorDel));
      ops.push_back(b.cget(MDB_GET_CURRENT));
      ops.push_back(b.with(OpKind::Del, k2));
      ops.push_back(b.with(OpKind::Get, k));
      ops.push_back(b.of(OpKind::CursorClose));
      ops.push_back(b.of(OpKind::TxnCommit));
      // The next txn reads what is left, then empties the db.
      ops.push_back(b.of(OpKind::TxnBegin));
      ops.push_back(b.with(OpKind::Get, k));
      ops.push_back(b.with(OpKind::Del, k));
      ops.push_back(b.of(OpKind::TxnCommit));
    }
  }
  return l;
}

std::vector<std::string> matrix_flavors() {
  std::vector<std::string> out;
  for (const Flavor &f : kFlavors) out.push_back(f.name);
  return out;
}

OpList matrix_list(size_t index) {
  const Flavor &f = kFlavors[index];
  const OpsOf b{f.db};
  if (f.sizes) return size_list(f);
  OpList l;
  l.seed = 0x3A7121 + index;
  l.env.flags = MDB_NOSYNC | (f.writemap ? MDB_WRITEMAP : 0);
  std::vector<Op> &ops = l.ops;
  ops.push_back(b.of(OpKind::EnvReopen));
  ops.push_back(b.of(OpKind::TxnBegin));
  Op open = b.of(OpKind::DbiOpen);
  open.flags = f.db_flags | (f.db ? MDB_CREATE : 0);  // (the main db takes no flags here)
  ops.push_back(open);
  if (f.db == 0) {
    // A named db with one item: its record is a key of the main db
    // ("db1", after every test key), which cursors there meet.
    ops.push_back(b.with(OpKind::DbiOpen, {}, {}, MDB_CREATE));
    ops.back().db = 1;
    ops.push_back(b.with(OpKind::Put, key(0x10), make_val(1, 8)));
    ops.back().db = 1;
  }
  for (unsigned k = 0; k < 5; k++) {
    unsigned n = is_dup(f) ? (f.items ? f.items : f.pages ? kPagesItems : kItems)[k] : 1;
    for (unsigned i = 0; i < n; i++) {
      Op p = b.of(OpKind::Put);
      p.key = key(kKeys[k]);
      p.val = item(f, k, i);
      ops.push_back(p);
    }
  }
  ops.push_back(b.of(OpKind::TxnCommit));
  // Arguments of the ops that take a key (and data): the first op of a
  // sequence finds (an existing key and item), the second misses.
  const KeyRef hit_key = key(kKeys[2]), miss_key = key(0x28);
  const ValRef hit_val = item(f, 2, 5), miss_val = is_dup(f) ? make_val(5, f.val_len, f.order) : make_val(5, 9);
  const unsigned starts[] = {0, 0x08, 0x10, 0x20, 0x28, 0x30, 0x40, 0x50, 0x60};
  // A bystander cursor (slot 1) rests on the middle key's second item (or
  // the key after it): it is probed after each sequence, and deletes in
  // kPeerDel.
  auto bystander_probe = [&](MDB_cursor_op op) { ops.push_back(b.cget(op, {}, {}, 1)); };
  // Slot 0: a write txn with every change; slot 1: a read-only txn, where
  // the cursor moves alone and a write answers EACCES.
  for (uint8_t slot : {uint8_t(0), uint8_t(1)}) {
  for (int swap = 0; swap < 2; swap++) {
    // The first op finds and the second misses, then the other way round.
    const KeyRef k1 = swap ? miss_key : hit_key, k2 = swap ? hit_key : miss_key;
    const ValRef v1 = swap ? miss_val : hit_val, v2 = swap ? hit_val : miss_val;
    for (unsigned start : starts) {
      for (MDB_cursor_op first : kOps) {
        for (int m = kNone; m < kMidCount; m++) {
          if ((m == kCursorDelAll || m == kOtherDelItem || m == kAppendDup || m == kPutNoDupData) && !is_dup(f)) continue;
          if (m == kPutMultiple && !(f.db_flags & MDB_DUPFIXED)) continue;
          if ((m == kNamedPut || m == kNamedDel) && f.db != 0) continue;
          if (slot && m != kNone && m != kCursorDel && m != kOtherPut) continue;
          for (MDB_cursor_op second : kOps) {
            const size_t from = ops.size();
            ops.push_back(b.of(OpKind::TxnBegin));
            ops.push_back(b.of(OpKind::CursorOpen));
            ops.push_back(b.with(OpKind::CursorOpen, {}, {}, 0, 0, 1));
            ops.push_back(b.cget(is_dup(f) ? MDB_GET_BOTH : MDB_SET, hit_key, item(f, 2, 1), 1));
            if (start) ops.push_back(b.cget(MDB_SET_RANGE, key(start)));
            ops.push_back(b.cget(first, k1, v1));
            add_mid(ops, f, static_cast<Mid>(m));
            ops.push_back(b.cget(second, k2, v2));
            ops.push_back(b.cget(MDB_GET_CURRENT));
            ops.push_back(b.of(OpKind::CursorCount));
            ops.push_back(b.cget(MDB_NEXT));
            ops.push_back(b.cget(MDB_PREV));
            ops.push_back(b.cget(MDB_GET_CURRENT));
            bystander_probe(MDB_GET_CURRENT);
            bystander_probe(MDB_NEXT);
            bystander_probe(MDB_PREV);
            ops.push_back(b.with(OpKind::CursorClose, {}, {}, 0, 0, 1));
            ops.push_back(b.of(OpKind::CursorClose));
            ops.push_back(b.of(OpKind::TxnAbort));
            for (size_t i = from; i < ops.size(); i++) ops[i].txn = slot;
          }
        }
      }
    }
  }
  }
  return l;
}

int run_matrix(const std::vector<const LmdbApi *> &impls, const std::string &filter, bool verbose) {
  int failures = 0;
  std::vector<std::string> names = matrix_flavors();
  for (size_t i = 0; i < names.size(); i++) {
    if (!filter.empty() && names[i].find(filter) == std::string::npos) continue;
    OpList l = matrix_list(i);
    std::vector<int64_t> skipped;
    RunOutcome o = run_oplist(l, impls, &skipped);
    if (verbose) {
      // What was not run: illegal in the model, or kept from the oracle's
      // known defects (oracle_guard.h).
      std::map<std::string, uint64_t> kinds;
      for (int64_t s : skipped) {
        const Op &op = l.ops[static_cast<size_t>(s)];
        std::string k = kind_name(op.kind);
        if (op.kind == OpKind::CursorGet) k += std::string(" ") + cursor_op_name(op.arg);
        if (op.cur) k += " (bystander)";
        kinds[k]++;
      }
      for (const auto &[k, n] : kinds) fprintf(stderr, "  skipped %-40s %llu\n", k.c_str(), static_cast<unsigned long long>(n));
    }
    if (o.ok) {
      fprintf(stderr, "matrix %-20s ok: %zu ops, %llu executed, %llu skipped as illegal\n", names[i].c_str(),
              l.ops.size(), static_cast<unsigned long long>(o.executed), static_cast<unsigned long long>(o.skipped));
      if (verbose) fprintf(stderr, "%s", format_histogram(o).c_str());
      continue;
    }
    failures++;
    std::string out = "lmdb_compat-matrix-" + names[i] + ".ops";
    write_oplist(out, l, "cursor-state matrix, flavour " + names[i]);
    fprintf(stderr, "matrix %s: MISMATCH at op %lld\n%sreplay: --replay %s (and --shrink)\n", names[i].c_str(),
            static_cast<long long>(o.failed_at), o.report.c_str(), out.c_str());
  }
  return failures;
}

}  // namespace compat
