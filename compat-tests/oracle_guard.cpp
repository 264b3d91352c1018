#include "oracle_guard.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace compat {

namespace {

// The prefix of upstream's MDB_cursor (mdb.c of 0.9.x, without MDB_VL32),
// field by field, and of its page and node headers.
constexpr int kStack = 32;
struct UpCursor {
  void *next;
  void *backup;
  unsigned char *xcursor;  // MDB_xcursor: an MDB_cursor comes first
  void *txn;
  unsigned dbi;
  void *db;
  void *dbx;
  unsigned char *dbflag;
  unsigned short snum;
  unsigned short top;
  unsigned flags;
  unsigned char *pg[kStack];
  uint16_t ki[kStack];
};
constexpr size_t kPageLower = 12;   // offset of mp_lower in MDB_page
constexpr size_t kPagePtrs = 16;    // offset of mp_ptrs (= page header size)
constexpr size_t kPageFlags = 10;   // offset of mp_flags
constexpr unsigned kLeaf2 = 0x20;
constexpr size_t kNodeFlags = 4;    // offset of mn_flags in MDB_node
constexpr size_t kNodeKsize = 6;    // offset of mn_ksize
constexpr size_t kNodeHdr = 8;
// MDB_db, the (sub-)database record.
struct UpDb {
  uint32_t pad;
  uint16_t flags;
  uint16_t depth;
  uint64_t branch_pages, leaf_pages, overflow_pages;
  uint64_t entries;
  uint64_t root;
};
static_assert(sizeof(UpDb) == 48);
// MDB_xcursor: its cursor, then the sub-database record.
struct UpXCursor {
  UpCursor cursor;
  UpDb db;
};

uint16_t u16(const unsigned char *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

OracleCursorState peek_oracle_cursor(MDB_cursor *mc) {
  OracleCursorState s;
  if (!mc) return s;
  const auto *c = reinterpret_cast<const UpCursor *>(mc);
  s.dupsort = c->xcursor != nullptr;
  s.flags = c->flags;
  s.snum = c->snum;
  if (s.dupsort) {
    const auto *sub = reinterpret_cast<const UpCursor *>(c->xcursor);
    s.sub_flags = sub->flags;
    for (unsigned i = 0; i < sub->snum && i < kStack; i++)
      if (sub->ki[i] != 0) s.sub_at_first = false;
  }
  if (!(c->flags & 0x01) || c->snum == 0 || c->top >= kStack) return s;
  const unsigned char *p = c->pg[c->top];
  if (!p) return s;
  s.ki = c->ki[c->top];
  s.nkeys = static_cast<unsigned>(u16(p + kPageLower) - kPagePtrs) >> 1;
  if (s.ki < s.nkeys && !(u16(p + kPageFlags) & kLeaf2)) {
    uint16_t off = u16(p + kPagePtrs + 2 * s.ki);
    s.node_flags = u16(p + off + kNodeFlags);
    if (s.dupsort && (s.node_flags & 0x04)) {
      const UpDb &copy = reinterpret_cast<const UpXCursor *>(c->xcursor)->db;
      const unsigned char *data = p + off + kNodeHdr + u16(p + off + kNodeKsize);
      if (s.node_flags & 0x02) {  // sub-database: the record is the node's data
        UpDb rec;
        memcpy(&rec, data, sizeof rec);
        s.sub_record_stale = rec.entries != copy.entries || rec.root != copy.root || rec.depth != copy.depth;
      } else {  // sub-page: count its items
        unsigned n = static_cast<unsigned>(u16(data + kPageLower) - kPagePtrs) >> 1;
        s.sub_record_stale = n != copy.entries;
      }
    }
  }
  return s;
}

bool positions_afresh(const Op &op) {
  if (op.kind == OpKind::CursorPut) return !(op.flags & MDB_CURRENT);
  if (op.kind != OpKind::CursorGet) return false;
  switch (op.arg) {
    case MDB_FIRST: case MDB_LAST: case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE:
    case MDB_GET_BOTH: case MDB_GET_BOTH_RANGE: case MDB_NEXT_NODUP: case MDB_PREV_NODUP:
      return true;
    default:
      return false;
  }
}

std::string OracleGuard::check(const Op &op, MDB_cursor *c) const {
  std::string why = oracle_guard(op, c);
  if (!why.empty()) return why;
  if ((op.kind == OpKind::CursorGet || op.kind == OpKind::CursorPut || op.kind == OpKind::CursorDel ||
       op.kind == OpKind::CursorCount) &&
      suspect_[op.cur] && !positions_afresh(op) && peek_oracle_cursor(c).dupdata())
    return "0.9.24: sub-cursor left over from another key";
  return {};
}

void OracleGuard::after(const Op &op, int rc, MDB_cursor *const *cursors) {
  const bool own = op.kind == OpKind::CursorGet || op.kind == OpKind::CursorPut || op.kind == OpKind::CursorClose ||
                   op.kind == OpKind::CursorRenew || op.kind == OpKind::CursorOpen;
  // Early refusals (bad sizes, EINVAL) leave the cursor as it was.
  // A failed relative move may leave the cursor where it was.
  const bool searched = op.kind == OpKind::CursorGet && op.arg != MDB_NEXT_NODUP && op.arg != MDB_PREV_NODUP &&
                        positions_afresh(op);
  const bool ran = op.kind == OpKind::CursorPut ? (rc == 0 || rc == MDB_KEYEXIST)
                   : op.kind == OpKind::CursorGet ? (rc == 0 || (rc == MDB_NOTFOUND && searched))
                                                  : true;
  if (own && ran) {
    bool moves = op.kind != OpKind::CursorGet || positions_afresh(op) || op.arg == MDB_NEXT ||
                 op.arg == MDB_PREV || op.arg == MDB_NEXT_DUP || op.arg == MDB_PREV_DUP;
    if (moves && !(op.kind == OpKind::CursorPut && (op.flags & MDB_CURRENT))) suspect_[op.cur] = false;
  }
  for (int i = 0; i < kCursorSlots; i++) {
    if (!cursors[i]) {
      suspect_[i] = false;
      continue;
    }
    OracleCursorState s = peek_oracle_cursor(cursors[i]);
    if (s.on_node() && !s.dupdata() && s.sub_initialized()) suspect_[i] = true;
  }
}

std::string oracle_guard(const Op &op, MDB_cursor *mc) {
  if (op.kind != OpKind::CursorGet && op.kind != OpKind::CursorCount && op.kind != OpKind::CursorDel &&
      op.kind != OpKind::CursorPut)
    return {};
  const OracleCursorState s = peek_oracle_cursor(mc);
  // py-lmdb 388 (docs/divergences.md): the cursor's item was deleted by
  // another cursor as the tree emptied (not positioned, marked deleted);
  // keys put since are not "next" for us (MDB_NOTFOUND), upstream starts
  // over at them.  Any db.
  if (op.kind == OpKind::CursorGet && !s.initialized() && s.del() &&
      (op.arg == MDB_NEXT || op.arg == MDB_NEXT_DUP || op.arg == MDB_NEXT_NODUP || op.arg == MDB_NEXT_MULTIPLE ||
       op.arg == MDB_PREV || op.arg == MDB_PREV_DUP || op.arg == MDB_PREV_NODUP || op.arg == MDB_PREV_MULTIPLE))
    return "NEXT/PREV after the cursor's item went with the whole tree (py-lmdb 388)";
  // Since 0.9.27 (ITS#9376) a cursor that emptied its tree keeps an end
  // mark through a put that gives it a new root; after it deletes that key
  // its NEXT answers MDB_NOTFOUND although a key follows (0.9.24 and ours
  // set no mark there, docs/divergences.md section 5).  The same state comes
  // from MDB_LAST in every version, where ours agrees; neither is compared.
  if (op.kind == OpKind::CursorGet && s.initialized() && s.eof() && s.del() && s.snum > 0 && s.ki < s.nkeys &&
      (op.arg == MDB_NEXT || op.arg == MDB_NEXT_NODUP || op.arg == MDB_NEXT_MULTIPLE))
    return "end mark kept by a cursor resting on an item after a delete";
  if (!s.dupsort) return {};
  if (getenv("LMDB_COMPAT_GUARD_TRACE"))
    fprintf(stderr, "      guard: flags=%#x snum=%u ki=%u nkeys=%u node=%#x sub=%#x stale=%d\n", s.flags, s.snum, s.ki,
            s.nkeys, s.node_flags, s.sub_flags, s.sub_record_stale);
  const bool past_end = s.initialized() && s.snum > 0 && s.ki >= s.nkeys;
  // Operations that do not use the sub-cursor's state.
  const bool fresh = positions_afresh(op);
  if (s.dupdata() && s.sub_record_stale && !fresh && !(op.kind == OpKind::CursorGet && op.arg == MDB_GET_CURRENT))
    return "stale sub-database record in a cursor (other cursor changed the duplicates)";
  // On a key with duplicates but without a positioned sub-cursor: after a
  // failed search (undefined upstream), or after a delete moved the cursor
  // onto a sub-database (ITS#9376: 0.9.24 does not position the sub-cursor).
  if (s.dupdata() && !s.sub_initialized() && !fresh)
    return "key with duplicates but no positioned sub-cursor";
  const bool stale_sub = s.sub_initialized() && !s.dupdata();
  if (op.kind == OpKind::CursorCount) {
    if (past_end && !s.eof()) return "count: node read past the end of the page";
    return {};
  }
  if (op.kind == OpKind::CursorDel) {
    if (s.dupdata() && !s.sub_initialized() && (op.flags & MDB_NODUPDATA))
      return "cursor_del(NODUPDATA): uses the record of an uninitialised sub-cursor";
    return {};
  }
  if (op.kind == OpKind::CursorPut) {
    // A new value of possibly another size or sort position must not
    // replace one duplicate among several (ITS#8447 and lmdb.h).
    if ((op.flags & MDB_CURRENT) && op.arg == 0 && s.dupdata()) return "MDB_CURRENT: replacing one of several duplicates";
    return {};
  }
  switch (op.arg) {
    case MDB_NEXT:
    case MDB_NEXT_DUP:
    case MDB_NEXT_NODUP:
    case MDB_NEXT_MULTIPLE: {
      const unsigned eff = op.arg == MDB_NEXT_MULTIPLE ? unsigned(MDB_NEXT_DUP) : op.arg;
      if (s.del() && eff == MDB_NEXT_DUP) return {};
      if (!s.initialized()) return {};
      if (s.eof() && s.ki + 1 >= s.nkeys) return {};
      if (past_end) return "ITS#9376: MDB_NEXT* reads the node past the end of the page";
      if (s.del() && s.dupdata() && eff == MDB_NEXT && !(s.sub_flags & 0x08))
        return "ITS#9376: after a delete the sub-cursor is not marked (skips a duplicate)";
      // A cursor resting on a key after a delete: ours starts at the key's
      // first duplicate; upstream at its sub-cursor, which a duplicate put
      // before it since has moved (docs/divergences.md section 2).
      if (s.del() && s.dupdata() && eff == MDB_NEXT && !s.sub_at_first)
        return "after a delete the sub-cursor is off the key's first duplicate";
      if (!s.del() && s.dupdata() && (s.sub_flags & 0x08) && eff != MDB_NEXT_NODUP)
        return "sub-cursor keeps its deleted mark after the cursor moved (repeats a duplicate)";
      if (s.dupdata() && eff != MDB_NEXT_NODUP && !s.sub_initialized())
        return "MDB_NEXT*: walks an uninitialised sub-cursor";
      return {};
    }
    case MDB_PREV:
    case MDB_PREV_DUP:
    case MDB_PREV_NODUP:
      if (!s.initialized()) return "ITS#9376: MDB_PREV* on an unpositioned cursor reads past the last node";
      if (past_end) return "ITS#9376: MDB_PREV* reads the node past the end of the page";
      if (s.del() && s.dupdata() && op.arg != MDB_PREV_NODUP && !(s.sub_flags & 0x08))
        return "ITS#9376: after a delete the sub-cursor is not marked (skips a duplicate)";
      if (s.dupdata() && op.arg != MDB_PREV_NODUP && !s.sub_initialized())
        return "MDB_PREV*: walks an uninitialised sub-cursor";
      return {};
    case MDB_PREV_MULTIPLE:
      if (s.initialized() && stale_sub) return "MDB_PREV_MULTIPLE: sub-cursor of another key";
      return {};
    case MDB_GET_MULTIPLE:
      if (s.initialized() && stale_sub && !(s.sub_flags & 0x02)) return "MDB_GET_MULTIPLE: sub-cursor of another key";
      return {};
    case MDB_FIRST_DUP:
    case MDB_LAST_DUP:
      if (s.on_node() && s.eof()) return "ITS#9723: MDB_FIRST_DUP/MDB_LAST_DUP keep C_EOF";
      return {};
    default:
      return {};
  }
}

}  // namespace compat
