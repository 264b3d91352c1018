#include "generator.h"

#include <vector>

#include "lmdb.h"

namespace compat {

namespace {
constexpr uint32_t kHotKeys = 400;      // short keys: hits, overwrites, deletes
constexpr uint32_t kLongKeyBase = 1000;
constexpr uint32_t kLongKeys = 3000;    // long keys (up to 511 bytes): deep trees
constexpr int kMaxKey = 511;

bool is_dup(const GenOptions &o, int db) { return db_profile_flags(o, db) & MDB_DUPSORT; }
bool is_int(const GenOptions &o, int db) { return db_profile_flags(o, db) & MDB_INTEGERKEY; }

// Weighted choice among (weight, value) entries; weights may be 0.
template <typename T>
struct Choice {
  std::vector<std::pair<unsigned, T>> items;
  unsigned total = 0;
  void add(unsigned w, T v) {
    if (w) {
      items.emplace_back(w, v);
      total += w;
    }
  }
  bool empty() const { return total == 0; }
  T pick(Rng &r) const {
    uint64_t x = r.below(total);
    for (auto &it : items) {
      if (x < it.first) return it.second;
      x -= it.first;
    }
    return items.back().second;
  }
};
}  // namespace

unsigned db_profile_flags(const GenOptions &o, int db) {
  if (o.dupsort) {
    // Every duplicate profile; the main database stays plain.
    switch (db) {
      case 1: return MDB_DUPSORT | MDB_DUPFIXED | MDB_REVERSEDUP;
      case 2: return MDB_DUPSORT | MDB_REVERSEDUP;
      case 3: return MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;  // size_t items
      case 4: return MDB_DUPSORT | kCustomDupCmp;
      case 5: return MDB_DUPSORT;
      case 6: return MDB_DUPSORT | MDB_DUPFIXED;
      case 7: return MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;  // unsigned int items
      case 9: return MDB_INTEGERKEY | MDB_DUPSORT | MDB_INTEGERDUP;  // unsigned int items
      default: return 0;
    }
  }
  if (o.reversekey && db == 7) return MDB_REVERSEKEY;
  if (o.intkey && db == 9) return MDB_INTEGERKEY;
  return 0;
}

unsigned dup_item_size(const GenOptions &o, int db) {
  if (!o.dupsort) return 0;
  switch (db) {
    case 1: return 16;
    case 3: return sizeof(size_t);
    case 6: return 12;
    case 7: case 9: return sizeof(unsigned int);
    default: return 0;
  }
}

size_t small_map_size(Rng &r, size_t pages) {
  size_t bytes = pages * 4096;
  uint64_t x = r.below(10);
  if (x < 2) bytes += 1 + r.below(4095);  // not a page multiple
  else if (x < 3 && bytes >= 4096) bytes -= 1 + r.below(4095);
  return bytes;
}

EnvConfig env_for_seed(uint64_t seed, bool small_map) {
  Rng r(seed ^ 0xE4E4ull);
  EnvConfig c;
  if (small_map) {
    Rng m(seed ^ 0x5A11A11Full);
    uint64_t x = m.below(10);
    size_t pages = x < 3 ? m.range(4, 40) : x < 7 ? m.range(40, 256) : m.range(256, 1024);
    if (m.chance(0.05)) pages = m.range(0, 3);  // less than the two meta pages and a root
    c.mapsize = small_map_size(m, pages);
  }
  c.flags = MDB_NOSYNC;
  if (r.chance(0.7)) c.flags |= MDB_NOTLS;
  if (r.chance(0.25)) {
    c.flags |= MDB_WRITEMAP;
    if (r.chance(0.5)) c.flags |= MDB_MAPASYNC;
  }
  if (r.chance(0.2)) c.flags |= MDB_NOMEMINIT;
  if (r.chance(0.2)) c.flags |= MDB_NORDAHEAD;
  return c;
}

KeyRef Generator::pick_dup_key(const Model &m, int db, bool for_write) {
  KeyRef k;
  uint64_t x = rng_.below(1000);
  unsigned n = 0;
  const KeyRef *recent = m.recent_keys(db, &n);
  if (is_int(opt_, db)) {
    if (n && x < 300) return recent[rng_.below(n)];
    k.kind = KeyKind::Int;
    k.len = sizeof(unsigned int);
    k.id = static_cast<uint32_t>(x < 800 ? rng_.below(12) : rng_.below(400));
    return k;
  }
  if (x < 8) {  // invalid key sizes
    k.id = static_cast<uint32_t>(rng_.below(kHotKeys));
    k.len = rng_.chance(0.5) ? 0 : kMaxKey + 1;
    return k;
  }
  if (n && x < (for_write ? 300u : 420u)) return recent[rng_.below(n)];
  if (x < 820) {  // a few keys collect many duplicates (sub-pages become sub-databases)
    k.id = static_cast<uint32_t>(rng_.below(x < 620 ? 5 : 14));
  } else if (x < 940) {
    k.id = static_cast<uint32_t>(rng_.below(kHotKeys));
  } else {
    k.id = kLongKeyBase + static_cast<uint32_t>(rng_.below(kLongKeys));
    uint64_t h = mix64(k.id * 7919ull);
    k.len = (h % 10 == 0) ? kMaxKey : static_cast<uint16_t>(16 + (h >> 8) % (kMaxKey - 16));
    return k;
  }
  k.len = static_cast<uint16_t>(1 + mix64(k.id) % 16);
  return k;
}

void Generator::pick_pair(const Model &m, int db, KeyRef *k, ValRef *v) {
  unsigned n = 0;
  const Model::Pair *p = m.recent_pairs(db, &n);
  if (n && rng_.chance(0.7)) {
    const Model::Pair &x = p[rng_.below(n)];
    *k = x.key;
    *v = x.val;
    return;
  }
  *k = pick_key(m, db, false);
  *v = pick_val(db);
}

ValRef Generator::ordered_val(int db, uint32_t count) {
  const unsigned f = db_profile_flags(opt_, db);
  const unsigned fixed = dup_item_size(opt_, db);
  ValKind kind = (f & MDB_INTEGERDUP) ? ValKind::OrderedInt
               : (f & MDB_REVERSEDUP) ? ValKind::OrderedRev
               : (f & kCustomDupCmp)  ? ValKind::Random
                                      : ValKind::OrderedMem;
  uint32_t len = fixed ? fixed : static_cast<uint32_t>(rng_.range(5, 40));
  uint32_t seed = ordered_[db];
  ordered_[db] += count;
  return make_val(seed, len, kind);
}

KeyRef Generator::pick_key(const Model &m, int db, bool for_write) {
  KeyRef k;
  if (is_dup(opt_, db)) return pick_dup_key(m, db, for_write);
  if (is_int(opt_, db)) {
    k.kind = KeyKind::Int;
    k.len = sizeof(unsigned int);
    k.id = static_cast<uint32_t>(rng_.below(5000));
    return k;
  }
  uint64_t x = rng_.below(1000);
  if (x < 15) {  // invalid sizes: MDB_BAD_VALSIZE paths
    k.id = static_cast<uint32_t>(rng_.below(kHotKeys));
    k.len = rng_.chance(0.5) ? 0 : kMaxKey + 1;
    return k;
  }
  // The name of a named database, as a key of the main database: reads see
  // the database record; writes fail with MDB_INCOMPATIBLE (a failed delete
  // poisons the txn) or, if no such database exists, store a plain item
  // that makes mdb_dbi_open of that name fail with MDB_INCOMPATIBLE.
  if (db == 0 && x < (for_write ? 18u : 35u) && (!for_write || rng_.chance(0.15))) {
    k.kind = KeyKind::DbName;
    k.id = static_cast<uint32_t>(rng_.range(1, kNamedDbs));
    k.len = static_cast<uint16_t>(db_name(k.id).size());
    return k;
  }
  unsigned n = 0;
  const KeyRef *recent = m.recent_keys(db, &n);
  if (n && x < (for_write ? 300u : 550u)) return recent[rng_.below(n)];
  if (x < 700) {
    k.id = static_cast<uint32_t>(rng_.below(kHotKeys));
    k.len = static_cast<uint16_t>(1 + mix64(k.id) % 16);
  } else {
    k.id = kLongKeyBase + static_cast<uint32_t>(rng_.below(kLongKeys));
    uint64_t h = mix64(k.id * 7919ull);
    k.len = (h % 10 == 0) ? kMaxKey : static_cast<uint16_t>(16 + (h >> 8) % (kMaxKey - 16));
  }
  return k;
}

ValRef Generator::pick_val(int db) {
  ValRef v;
  v.seed = static_cast<uint32_t>(rng_.next());
  if (is_dup(opt_, db)) {  // dup data is limited like keys (at most 511 bytes)
    v.seed = static_cast<uint32_t>(rng_.below(700));
    const unsigned fixed = dup_item_size(opt_, db);
    uint64_t x = rng_.below(1000);
    if (x < 6) v.len = kMaxKey + 1;  // MDB_BAD_VALSIZE
    else if (fixed) v.len = fixed;
    else if (x < 10) v.len = 1;  // (no empty items: see tests/dupsort/dup_values_test.cpp)
    else if (x < 20) v.len = kMaxKey;
    else if (x < 450) v.len = static_cast<uint32_t>(rng_.range(1, 16));
    else if (x < 850) v.len = static_cast<uint32_t>(rng_.range(17, 64));
    else if (x < 950) v.len = static_cast<uint32_t>(rng_.range(65, 200));
    else v.len = static_cast<uint32_t>(rng_.range(201, kMaxKey));
    return v;
  }
  uint64_t x = rng_.below(1000);
  if (opt_.small_map && x < 40) {  // runs of overflow pages, up to 40 pages
    v.len = static_cast<uint32_t>(rng_.range(8193, 40 * 4096));
    return v;
  }
  if (x < 600) v.len = static_cast<uint32_t>(rng_.range(0, 64));
  else if (x < 820) v.len = static_cast<uint32_t>(rng_.range(65, 1000));
  else if (x < 900) v.len = static_cast<uint32_t>(rng_.range(1001, 2000));
  else if (x < 930) v.len = static_cast<uint32_t>(rng_.range(2000, 2100));  // around the overflow threshold
  else if (x < 985) v.len = static_cast<uint32_t>(rng_.range(2101, 8192));
  else v.len = static_cast<uint32_t>(rng_.range(8193, 20480));
  return v;
}

unsigned Generator::pick_cursor_get(int db) {
  Choice<unsigned> c;
  c.add(10, MDB_FIRST);
  c.add(8, MDB_LAST);
  c.add(25, MDB_NEXT);
  c.add(15, MDB_PREV);
  c.add(8, MDB_SET);
  c.add(8, MDB_SET_KEY);
  c.add(12, MDB_SET_RANGE);
  c.add(10, MDB_GET_CURRENT);
  if (is_dup(opt_, db)) {
    const bool fixed = db_profile_flags(opt_, db) & MDB_DUPFIXED;
    c.add(fixed ? 5 : 1, MDB_GET_MULTIPLE);
    c.add(fixed ? 6 : 1, MDB_NEXT_MULTIPLE);
    c.add(fixed ? 4 : 1, MDB_PREV_MULTIPLE);
    c.add(6, MDB_GET_BOTH);
    c.add(6, MDB_GET_BOTH_RANGE);
    c.add(4, MDB_FIRST_DUP);
    c.add(4, MDB_LAST_DUP);
    c.add(8, MDB_NEXT_DUP);
    c.add(6, MDB_PREV_DUP);
    c.add(6, MDB_NEXT_NODUP);
    c.add(4, MDB_PREV_NODUP);
  }
  return c.pick(rng_);
}

int Generator::pick_active(const Model &m, bool prefer_write) {
  if (prefer_write && m.active(kWriteSlot) && rng_.chance(0.97)) return kWriteSlot;
  std::vector<int> a;
  for (int s = 0; s < kTxnSlots; s++)
    if (m.active(s)) a.push_back(s);
  if (a.empty()) return -1;
  if (!prefer_write && m.active(kWriteSlot) && a.size() > 1 && rng_.chance(0.5)) return kWriteSlot;
  return a[rng_.below(a.size())];
}

int Generator::pick_db(const Model &m, int txn, bool for_write) {
  // Prefer databases with open cursors, so writes move under live cursors.
  if (for_write && rng_.chance(0.5)) {
    std::vector<int> withc;
    for (int c = 0; c < kCursorSlots; c++)
      if (m.cursor_usable(c) && m.cursor(c).txn == txn) withc.push_back(m.cursor(c).db);
    if (!withc.empty()) return withc[rng_.below(withc.size())];
  }
  std::vector<int> u;
  for (int d = 0; d < kDbCount; d++)
    if (m.usable(txn, d)) u.push_back(d);
  if (u.empty()) return -1;
  return u[rng_.below(u.size())];
}

Op Generator::dbi_open_op(const Model &m, int txn) {
  Op op;
  op.kind = OpKind::DbiOpen;
  op.txn = static_cast<uint8_t>(txn);
  if (!m.usable(txn, 0) && (m.handle(0).gen == 0 || rng_.chance(0.5))) {
    op.db = 0;
    return op;
  }
  int db = static_cast<int>(rng_.range(1, kNamedDbs));
  op.db = static_cast<uint8_t>(db);
  double create = db <= 4 ? 0.8 : db <= 6 ? 0.3 : db == 7 ? 0.05 : db == 8 ? 0.0 : 0.5;
  if (opt_.dupsort) create = db == 8 ? 0.0 : 0.7;
  op.flags = db_profile_flags(opt_, db) | (rng_.chance(create) ? static_cast<unsigned>(MDB_CREATE) : 0u);
  return op;
}

Op Generator::txn_end_op(const Model &m) {
  Op op;
  std::vector<int> live;
  for (int s = 0; s < kTxnSlots; s++)
    if (m.txn(s).st != Model::TxnState::None) live.push_back(s);
  int s = live[rng_.below(live.size())];
  op.txn = static_cast<uint8_t>(s);
  if (m.txn(s).st == Model::TxnState::Reset) {
    op.kind = rng_.chance(0.7) ? OpKind::TxnRenew : OpKind::TxnAbort;
    return op;
  }
  if (s == kWriteSlot) {
    op.kind = rng_.chance(0.8) ? OpKind::TxnCommit : OpKind::TxnAbort;
    return op;
  }
  uint64_t x = rng_.below(3);
  op.kind = x == 0 ? OpKind::TxnCommit : x == 1 ? OpKind::TxnAbort : OpKind::TxnReset;
  return op;
}

uint32_t Generator::next_mapsize(const Model &m) {
  const size_t cur_pages = m.mapsize() / 4096;
  uint64_t x = rng_.below(10);
  size_t pages = x < 6 ? cur_pages + rng_.range(1, 8)                       // grow a little
               : x < 8 ? cur_pages + rng_.range(8, 256)                     // grow more
               : x < 9 ? (cur_pages > 8 ? cur_pages - rng_.range(1, 8) : 4)  // shrink (below the data: clamped)
                       : 2;                                                   // far too small
  if (pages > 2048) pages = 2048;
  return static_cast<uint32_t>(small_map_size(rng_, pages));
}

// The write txn failed (MDB_MAP_FULL or the like): what do calls answer now?
Op Generator::failed_txn_op(const Model &m) {
  Op op;
  op.txn = kWriteSlot;
  if (rng_.chance(0.2)) {
    uint64_t x = rng_.below(10);
    op.kind = x < 5 ? OpKind::TxnCommit : OpKind::TxnAbort;
    return op;
  }
  Choice<int> c;
  enum { kGet, kPut, kDel, kCurGet, kCurPut, kCurDel, kCurOpen, kCurCount, kDbi, kStat, kFlags, kDrop, kReset,
         kRenew, kId, kInfo };
  std::vector<int> wc;
  for (int i = 0; i < kCursorSlots; i++)
    if (m.cursor_usable(i) && m.cursor(i).txn == kWriteSlot) wc.push_back(i);
  std::vector<int> free_slots;
  for (int i = 0; i < kCursorSlots; i++)
    if (!m.cursor(i).open) free_slots.push_back(i);
  c.add(10, kGet);
  c.add(8, kPut);
  c.add(5, kDel);
  c.add(wc.empty() ? 0 : 10, kCurGet);
  c.add(wc.empty() ? 0 : 5, kCurPut);
  c.add(wc.empty() ? 0 : 4, kCurDel);
  c.add(wc.empty() || !opt_.dupsort ? 0 : 2, kCurCount);
  c.add(free_slots.empty() ? 0 : 4, kCurOpen);
  c.add(4, kDbi);
  c.add(3, kStat);
  c.add(2, kFlags);
  c.add(2, kDrop);
  c.add(2, kReset);
  c.add(2, kRenew);
  c.add(2, kId);
  c.add(3, kInfo);
  int db = pick_db(m, kWriteSlot, false);
  int what = c.pick(rng_);
  if (db < 0 && what != kCurGet && what != kCurPut && what != kCurDel && what != kCurCount) what = kDbi;
  if (db >= 0) op.db = static_cast<uint8_t>(db);
  switch (what) {
    case kGet:
      op.kind = OpKind::Get;
      op.key = pick_key(m, db, false);
      return op;
    case kPut:
      op.kind = OpKind::Put;
      op.key = pick_key(m, db, true);
      op.val = pick_val(db);
      if (is_dup(opt_, db) && rng_.chance(0.5)) op.flags = MDB_NODUPDATA;
      else if (!is_dup(opt_, db) && rng_.chance(0.3)) op.flags = MDB_RESERVE;
      return op;
    case kDel:
      op.kind = OpKind::Del;
      op.key = pick_key(m, db, false);
      return op;
    case kCurOpen:
      op.kind = OpKind::CursorOpen;
      op.cur = static_cast<uint8_t>(free_slots[rng_.below(free_slots.size())]);
      return op;
    case kDbi:
      return dbi_open_op(m, kWriteSlot);
    case kStat:
      op.kind = OpKind::Stat;
      return op;
    case kFlags:
      op.kind = OpKind::DbiFlags;
      return op;
    case kDrop:
      op.kind = OpKind::Drop;
      op.arg = rng_.chance(0.3) ? 1 : 0;
      return op;
    case kReset:
      op.kind = OpKind::TxnReset;
      return op;
    case kRenew:
      op.kind = OpKind::TxnRenew;
      return op;
    case kId:
      op.kind = OpKind::TxnId;
      return op;
    case kInfo:
      op.kind = rng_.chance(0.5) ? OpKind::EnvInfo : OpKind::EnvStat;
      return op;
    default:
      break;
  }
  op.cur = static_cast<uint8_t>(wc[rng_.below(wc.size())]);
  const int cdb = m.cursor(op.cur).db;
  switch (what) {
    case kCurGet:
      op.kind = OpKind::CursorGet;
      op.arg = pick_cursor_get(cdb);
      if (op.arg == MDB_GET_BOTH || op.arg == MDB_GET_BOTH_RANGE)
        pick_pair(m, cdb, &op.key, &op.val);
      else if (op.arg == MDB_SET || op.arg == MDB_SET_KEY || op.arg == MDB_SET_RANGE)
        op.key = pick_key(m, cdb, false);
      return op;
    case kCurPut:
      op.kind = OpKind::CursorPut;
      if (is_dup(opt_, cdb)) {
        dup_put_flags(m, cdb, &op, true);
      } else {
        op.val = pick_val(cdb);
        op.flags = rng_.chance(0.4) ? MDB_CURRENT : 0;
        if (!(op.flags & MDB_CURRENT)) op.key = pick_key(m, cdb, true);
      }
      return op;
    case kCurDel:
      op.kind = OpKind::CursorDel;
      return op;
    default:
      op.kind = OpKind::CursorCount;
      return op;
  }
}

Op Generator::data_op(const Model &m) {
  Op op;
  Choice<OpKind> c;
  c.add(50, OpKind::Put);
  c.add(20, OpKind::Get);
  c.add(20, OpKind::Del);
  c.add(2, OpKind::Stat);
  c.add(1, OpKind::DbiFlags);
  c.add(opt_.small_map ? 3 : 1, OpKind::Drop);  // small maps: drop(1) and re-creation meet a full map
  op.kind = c.pick(rng_);
  bool write = op.kind == OpKind::Put || op.kind == OpKind::Del || op.kind == OpKind::Drop;
  int txn = pick_active(m, write);
  if (write && txn != kWriteSlot && rng_.chance(0.9)) {
    op.kind = OpKind::Get;  // writes in read-only txns (EACCES) only now and then
    write = false;
  }
  int db = txn < 0 ? -1 : pick_db(m, txn, write);
  if (db < 0) return dbi_open_op(m, txn < 0 ? kWriteSlot : txn);
  op.txn = static_cast<uint8_t>(txn);
  op.db = static_cast<uint8_t>(db);
  switch (op.kind) {
    case OpKind::Put: {
      if (is_dup(opt_, db)) {
        dup_put_flags(m, db, &op, false);
        break;
      }
      op.key = pick_key(m, db, true);
      op.val = pick_val(db);
      uint64_t x = rng_.below(100);
      op.flags = x < 70 ? 0 : x < 85 ? MDB_NOOVERWRITE : x < 97 ? MDB_RESERVE : MDB_NOOVERWRITE | MDB_RESERVE;
      if (is_dup(opt_, db)) {
        op.flags &= ~static_cast<unsigned>(MDB_RESERVE);  // not allowed with DUPSORT
        if (rng_.chance(0.3)) op.flags |= MDB_NODUPDATA;
      }
      if (opt_.append && rng_.chance(0.03)) op.flags |= MDB_APPEND;
      break;
    }
    case OpKind::Get:
      op.key = pick_key(m, db, false);
      break;
    case OpKind::Del:
      op.key = pick_key(m, db, false);
      if (is_dup(opt_, db) && rng_.chance(0.85)) {  // mostly one pair: keys keep many duplicates
        op.arg = 1;
        pick_pair(m, db, &op.key, &op.val);
      }
      break;
    case OpKind::Drop:
      // Dropping is drastic; keep it rare so trees grow deep.
      if (!rng_.chance(opt_.small_map ? 0.3 : opt_.dupsort ? 0.03 : 0.15) || db == 0) {
        op.kind = OpKind::Get;
        op.key = pick_key(m, db, false);
        break;
      }
      op.arg = rng_.chance(0.35) ? 1 : 0;
      break;
    default:
      break;
  }
  return op;
}

void Generator::dup_put_flags(const Model &m, int db, Op *op, bool cursor) {
  const bool fixed = db_profile_flags(opt_, db) & MDB_DUPFIXED;
  if (rng_.chance(0.25)) {
    pick_pair(m, db, &op->key, &op->val);  // often an existing pair
  } else {
    op->key = pick_key(m, db, true);
    op->val = pick_val(db);
  }
  uint64_t x = rng_.below(100);
  if (x < 40) op->flags = 0;
  else if (x < 52) op->flags = MDB_NODUPDATA;
  else if (x < 58) op->flags = MDB_NOOVERWRITE;
  else if (x < 68) {
    op->flags = MDB_APPENDDUP | (rng_.chance(0.2) ? static_cast<unsigned>(MDB_NODUPDATA) : 0u);
    if (rng_.chance(0.8)) op->val = ordered_val(db, 1);
  } else if (x < 70) {
    op->flags = MDB_APPEND;
  } else if (cursor && x < 86) {
    op->flags = MDB_CURRENT;
    op->arg = rng_.chance(0.8) ? kCurrentSameData : 0;
  } else if (cursor && x < 97 && (fixed || rng_.chance(0.1))) {
    op->flags = MDB_MULTIPLE;
    op->arg = static_cast<uint32_t>(rng_.range(1, rng_.chance(0.3) ? 300 : 40));
    uint64_t y = rng_.below(10);
    if (y < 3) {
      op->flags |= MDB_APPENDDUP;
      op->val = ordered_val(db, op->arg);
    } else if (y < 4) {
      op->flags |= MDB_NODUPDATA;
    }
  } else {
    op->flags = 0;
  }
}

Op Generator::cursor_op(const Model &m) {
  Op op;
  std::vector<int> usable, detached, free_slots;
  for (int c = 0; c < kCursorSlots; c++) {
    if (!m.cursor(c).open) free_slots.push_back(c);
    else if (m.cursor_usable(c)) usable.push_back(c);
    else detached.push_back(c);
  }
  Choice<int> c;
  enum { kOpen, kClose, kGet, kPut, kDel, kRenew, kCount };
  c.add(free_slots.empty() ? 0 : (usable.size() < 3 ? 30 : 6), kOpen);
  c.add(usable.empty() ? 0 : 3, kClose);
  c.add(usable.empty() ? 0 : 60, kGet);
  c.add(usable.empty() ? 0 : 16, kPut);
  c.add(usable.empty() ? 0 : 10, kDel);
  c.add(usable.empty() || !opt_.dupsort ? 0 : 5, kCount);
  c.add(detached.empty() ? 0 : 8, kRenew);
  c.add(detached.empty() ? 0 : 6, kClose);
  if (c.empty()) return data_op(m);
  int what = c.pick(rng_);
  switch (what) {
    case kOpen: {
      int txn = pick_active(m, rng_.chance(0.6));
      int db = txn < 0 ? -1 : pick_db(m, txn, false);
      if (db < 0) return data_op(m);
      op.kind = OpKind::CursorOpen;
      op.txn = static_cast<uint8_t>(txn);
      op.db = static_cast<uint8_t>(db);
      op.cur = static_cast<uint8_t>(free_slots[rng_.below(free_slots.size())]);
      return op;
    }
    case kClose: {
      std::vector<int> open = usable;
      open.insert(open.end(), detached.begin(), detached.end());
      op.kind = OpKind::CursorClose;
      op.cur = static_cast<uint8_t>(open[rng_.below(open.size())]);
      return op;
    }
    case kRenew: {
      op.kind = OpKind::CursorRenew;
      op.cur = static_cast<uint8_t>(detached[rng_.below(detached.size())]);
      std::vector<int> readers;
      for (int s2 = 1; s2 <= kReadSlots; s2++)
        if (m.active(s2)) readers.push_back(s2);
      int txn = -1;
      if (!readers.empty() && rng_.chance(0.95)) txn = readers[rng_.below(readers.size())];
      else if (m.active(kWriteSlot) && rng_.chance(0.3)) txn = kWriteSlot;  // EINVAL: only for read txns
      if (txn < 0 || !m.applicable(Op{OpKind::CursorRenew, static_cast<uint8_t>(txn), op.cur, 0, 0, 0, {}, {}})) {
        op.kind = OpKind::CursorClose;
        return op;
      }
      op.txn = static_cast<uint8_t>(txn);
      return op;
    }
    default:
      break;
  }
  int cur = usable[rng_.below(usable.size())];
  if ((what == kPut || what == kDel) && rng_.chance(0.95)) {
    // Writes through read-only cursors (EACCES) only now and then.
    std::vector<int> w;
    for (int c2 : usable)
      if (m.cursor(c2).write) w.push_back(c2);
    if (!w.empty()) cur = w[rng_.below(w.size())];
    else if (rng_.chance(0.9)) what = kGet;
  }
  int db = m.cursor(cur).db;
  op.cur = static_cast<uint8_t>(cur);
  switch (what) {
    case kGet:
      op.kind = OpKind::CursorGet;
      op.arg = pick_cursor_get(db);
      if (op.arg == MDB_GET_BOTH || op.arg == MDB_GET_BOTH_RANGE)
        pick_pair(m, db, &op.key, &op.val);
      else if (op.arg == MDB_SET || op.arg == MDB_SET_KEY || op.arg == MDB_SET_RANGE)
        op.key = pick_key(m, db, false);
      break;
    case kPut: {
      if (is_dup(opt_, db)) {
        op.kind = OpKind::CursorPut;
        dup_put_flags(m, db, &op, true);
        break;
      }
      op.kind = OpKind::CursorPut;
      op.val = pick_val(db);
      uint64_t x = rng_.below(100);
      // MDB_CURRENT is only ever given alone: 0.9.24 honours it only when it
      // is the sole flag (it tests flags == MDB_CURRENT) and otherwise puts
      // by key, repositioning the cursor; later upstream releases and we
      // honour it in any combination (tests/api/cursor_put_current_test.cpp).
      op.flags = x < 40 ? 0 : x < 80 ? MDB_CURRENT : x < 90 ? MDB_NOOVERWRITE : MDB_RESERVE;
      if (is_dup(opt_, db)) {
        op.flags &= ~static_cast<unsigned>(MDB_RESERVE | MDB_CURRENT);
        if (rng_.chance(0.3)) op.flags |= MDB_NODUPDATA;
      }
      if (!(op.flags & MDB_CURRENT)) op.key = pick_key(m, db, true);
      break;
    }
    case kDel:
      op.kind = OpKind::CursorDel;
      if (is_dup(opt_, db) && rng_.chance(0.12)) op.flags = MDB_NODUPDATA;
      break;
    case kCount:
      op.kind = OpKind::CursorCount;
      break;
    default:
      break;
  }
  return op;
}

Op Generator::when_idle(const Model &m) {
  Choice<int> c;
  enum { kBeginW, kBeginR, kRenew, kAbortReset, kDbiClose, kEnv, kCursorClose, kReopen, kMapsize };
  bool have_reset = false, closable = false, detached = false;
  for (int s = 1; s <= kReadSlots; s++) have_reset |= m.txn(s).st == Model::TxnState::Reset;
  for (int d = 1; d < kDbCount; d++) closable |= m.handle(d).in_env && m.handle(d).pending_txn < 0;
  for (int i = 0; i < kCursorSlots; i++) detached |= m.cursor(i).open;
  c.add(60, kBeginW);
  c.add(25, kBeginR);
  c.add(have_reset ? 6 : 0, kRenew);
  c.add(have_reset ? 3 : 0, kAbortReset);
  c.add(closable ? 2 : 0, kDbiClose);
  c.add(3, kEnv);
  c.add(detached ? 3 : 0, kCursorClose);
  c.add(opt_.small_map ? 15 : 0, kMapsize);
  Op op;
  switch (c.pick(rng_)) {
    case kMapsize:
      op.kind = OpKind::EnvSetMapsize;
      op.arg = rng_.chance(0.1) ? 0 : next_mapsize(m);
      return op;
    case kBeginW:
      op.kind = OpKind::TxnBegin;
      op.txn = kWriteSlot;
      return op;
    case kBeginR:
    case kRenew: {
      std::vector<int> none, reset;
      for (int s = 1; s <= kReadSlots; s++) {
        if (m.txn(s).st == Model::TxnState::None) none.push_back(s);
        if (m.txn(s).st == Model::TxnState::Reset) reset.push_back(s);
      }
      if (!reset.empty() && (none.empty() || rng_.chance(0.5))) {
        op.kind = OpKind::TxnRenew;
        op.txn = static_cast<uint8_t>(reset[rng_.below(reset.size())]);
      } else {
        op.kind = OpKind::TxnBegin;
        op.txn = static_cast<uint8_t>(none[rng_.below(none.size())]);
      }
      return op;
    }
    case kAbortReset:
      for (int s = 1; s <= kReadSlots; s++)
        if (m.txn(s).st == Model::TxnState::Reset) {
          op.kind = OpKind::TxnAbort;
          op.txn = static_cast<uint8_t>(s);
          return op;
        }
      break;
    case kDbiClose: {
      std::vector<int> d;
      for (int i = 1; i < kDbCount; i++)
        if (m.handle(i).in_env && m.handle(i).pending_txn < 0) d.push_back(i);
      op.kind = OpKind::DbiClose;
      op.db = static_cast<uint8_t>(d[rng_.below(d.size())]);
      return op;
    }
    case kCursorClose:
      for (int i = 0; i < kCursorSlots; i++)
        if (m.cursor(i).open) {
          op.kind = OpKind::CursorClose;
          op.cur = static_cast<uint8_t>(i);
          return op;
        }
      break;
    default:
      break;
  }
  op.kind = rng_.chance(0.5) ? OpKind::EnvStat : OpKind::EnvInfo;
  return op;
}

Op Generator::when_active(const Model &m) {
  if (opt_.small_map && m.txn(kWriteSlot).failed && rng_.chance(0.8)) return failed_txn_op(m);
  Choice<int> c;
  enum { kBegin, kEnd, kDbiOpen, kData, kCursor, kMisc, kMapsize };
  bool can_begin = false;
  for (int s = 0; s <= kReadSlots; s++)
    if (m.txn(s).st == Model::TxnState::None && m.applicable(Op{OpKind::TxnBegin, static_cast<uint8_t>(s)})) can_begin = true;
  c.add(can_begin ? 20 : 0, kBegin);
  c.add(18, kEnd);
  c.add(30, kDbiOpen);
  c.add(560, kData);
  c.add(360, kCursor);
  c.add(12, kMisc);
  c.add(opt_.small_map && m.active(kWriteSlot) ? 2 : 0, kMapsize);  // EINVAL while the write txn runs
  Op op;
  switch (c.pick(rng_)) {
    case kBegin: {
      std::vector<int> s;
      for (int i = 0; i <= kReadSlots; i++)
        if (m.txn(i).st == Model::TxnState::None && m.applicable(Op{OpKind::TxnBegin, static_cast<uint8_t>(i)}))
          s.push_back(i);
      // Write txns are the interesting ones: begin one if possible.
      int pick = (m.txn(kWriteSlot).st == Model::TxnState::None && rng_.chance(0.5)) ? kWriteSlot
                                                                                      : s[rng_.below(s.size())];
      if (m.txn(pick).st != Model::TxnState::None || !m.applicable(Op{OpKind::TxnBegin, static_cast<uint8_t>(pick)}))
        pick = s[0];
      op.kind = OpKind::TxnBegin;
      op.txn = static_cast<uint8_t>(pick);
      return op;
    }
    case kEnd:
      return txn_end_op(m);
    case kDbiOpen: {
      int txn = pick_active(m, rng_.chance(0.7));
      return dbi_open_op(m, txn);
    }
    case kData:
      return data_op(m);
    case kMapsize:
      op.kind = OpKind::EnvSetMapsize;
      op.arg = next_mapsize(m);
      return op;
    case kCursor:
      return cursor_op(m);
    default: {
      int txn = pick_active(m, false);
      uint64_t x = rng_.below(4);
      op.kind = x == 0 ? OpKind::TxnId : x == 1 ? OpKind::EnvStat : x == 2 ? OpKind::EnvInfo : OpKind::Stat;
      op.txn = static_cast<uint8_t>(txn);
      if (op.kind == OpKind::Stat) {
        int db = pick_db(m, txn, false);
        if (db < 0) op.kind = OpKind::TxnId;
        else op.db = static_cast<uint8_t>(db);
      }
      return op;
    }
  }
}

Op Generator::next(const Model &m) {
  step_++;
  if (next_check_ == 0) {
    next_check_ = opt_.full_check_every;
    next_reopen_ = opt_.reopen_every / 2 + rng_.below(opt_.reopen_every);
  }
  Op op;
  if (!m.env_open() || step_ >= next_reopen_) {
    next_reopen_ = step_ + opt_.reopen_every / 2 + rng_.below(opt_.reopen_every);
    op.kind = OpKind::EnvReopen;
    // With a small map: sometimes reopen with another map size (bigger, or
    // smaller than the data: clamped to it).
    if (opt_.small_map && rng_.chance(0.5)) {
      op.arg = next_mapsize(m);
      // The size the file's meta page records (0), or the library's default.
      if (rng_.chance(0.15)) op.arg = rng_.chance(0.5) ? kReopenMapsizeZero : kReopenNoMapsize;
    }
    return op;
  }
  if (step_ >= next_check_) {
    want_check_ = true;
    next_check_ = step_ + opt_.full_check_every;
  }
  if (want_check_) {
    int txn = pick_active(m, false);
    if (txn >= 0) {
      want_check_ = false;
      op.kind = OpKind::FullCheck;
      op.txn = static_cast<uint8_t>(txn);
      return op;
    }
  }
  return m.active_count() == 0 ? when_idle(m) : when_active(m);
}

}  // namespace compat
