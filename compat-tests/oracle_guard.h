// Keeps the differential runs away from the oracle's known DUPSORT cursor
// defects.  Debian's upstream 0.9.24 reads nodes past the end of a page and
// walks an uninitialised sub-cursor in a few cursor states (fixed upstream
// in ITS#9376 / 0.9.27 and later, or never); the answers it gives there are
// garbage or a crash, so those operations are not compared.
//
// The decision needs the oracle cursor's internal state (position, flags,
// sub-cursor), which no API exposes, so it is read from upstream's
// MDB_cursor structure (a fixed, documented-in-source layout of 0.9.x).
// Only DUPSORT cursors are ever inspected; everything else is allowed.
//
// Each excluded sequence has a unit test of our behaviour in tests/dupsort/.
#pragma once

#include <string>

#include "lmdb.h"
#include "ops.h"

namespace compat {

// What upstream 0.9.x keeps in an MDB_cursor, as far as the guard needs it.
struct OracleCursorState {
  bool dupsort = false;      // has a sub-cursor
  unsigned flags = 0;        // C_INITIALIZED 0x01, C_EOF 0x02, C_DEL 0x08
  unsigned snum = 0;
  unsigned ki = 0;           // index on the top page
  unsigned nkeys = 0;        // keys on the top page
  unsigned node_flags = 0;   // flags of the node at ki (if ki < nkeys)
  unsigned sub_flags = 0;    // the sub-cursor's flags
  bool sub_at_first = true;  // the sub-cursor's stack is at index 0 on every level
  // The cursor keeps a copy of the current key's sub-database record
  // (entries, root, depth).  Upstream refreshes the copies of other cursors
  // on the same key after inserting into a sub-page, but not after a delete
  // or after an insert into a sub-database; a stale copy then gives wrong
  // counts, deletes that leave an empty key behind, or walks freed pages.
  bool sub_record_stale = false;
  bool initialized() const { return flags & 0x01; }
  bool eof() const { return flags & 0x02; }
  bool del() const { return flags & 0x08; }
  bool on_node() const { return initialized() && snum > 0 && ki < nkeys; }
  bool dupdata() const { return on_node() && (node_flags & 0x04); }
  bool sub_initialized() const { return sub_flags & 0x01; }
};

OracleCursorState peek_oracle_cursor(MDB_cursor *c);

// True if `op` positions its cursor afresh (no use of the sub-cursor state).
bool positions_afresh(const Op &op);

// Returns "" if `op` (a cursor operation on an oracle cursor `c`) may be
// compared, else the reason it may not.
std::string oracle_guard(const Op &op, MDB_cursor *c);

// The guard with memory: 0.9.24 leaves the sub-cursor of a key with
// duplicates initialised when the cursor moves on to a key with a single
// item; if that cursor is later moved back onto duplicates by a delete, the
// stale sub-cursor position is used.  Such cursors are "suspect" until they
// are positioned again.
class OracleGuard {
 public:
  // Reason not to compare `op` (cursor ops only), or "".
  std::string check(const Op &op, MDB_cursor *c) const;
  // After `op` ran with the oracle's result `rc`: `cursors[i]` is the
  // oracle's cursor in slot i (or null).
  void after(const Op &op, int rc, MDB_cursor *const *cursors);

 private:
  bool suspect_[kCursorSlots] = {};
};

}  // namespace compat
