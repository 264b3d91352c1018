// Sorted duplicates (MDB_DUPSORT): a key's data items live in a sub-page
// inside the leaf node while they fit, and in a sub-tree (whose keys are the
// data items) once they outgrow it.  The sub-tree is walked by a second
// cursor, the XCursor, attached to the main cursor.
#pragma once

#include "btree/cursor.h"

namespace lmdb {

struct XCursor {
	MDB_cursor cursor;   // walks the duplicates of the current key
	DbRecord db;         // the sub-tree's record (from the node or synthesised)
	DbAux dbx;           // key order = the main db's duplicate order
	uint8_t dbflag = 0;
	// Read txns only, set by fetch_current: the leaf node this sub-cursor
	// was loaded from, bounds-checked there, and the bytes from its
	// sub-page to the end of the map page holding it (subpage_limit; 0
	// for a sub-db).  A read txn's pages do not change, so a scan step
	// that finds the cursor still on that node checks neither again
	// (cursor_next).  Cleared by every (re)initialisation.
	const Node *outer = nullptr;
	unsigned sub_limit = 0;
};

inline MDB_cursor *xcursor_of(MDB_cursor *mc) { return &mc->xcursor->cursor; }

// The cursor that a change made through `mc` must fix up, for the entry
// `m2` of the txn's cursor list of mc's db (null: none).  A change in the
// main tree fixes the main cursors.  A change in a sub-tree fixes their
// sub-cursors, and also the sub-cursors that with_tracking linked into the
// list themselves (the outer cursors of a cascade of splits or of a merge
// in a sub-tree, which no main cursor owns).
inline MDB_cursor *peer_to_fix(const MDB_cursor *mc, MDB_cursor *m2) {
	if (m2->flags & kCursorSub) return (mc->flags & kCursorSub) ? m2 : nullptr;
	if (!(mc->flags & kCursorSub)) return m2;
	return m2->xcursor ? xcursor_of(m2) : nullptr;
}
// The cursor has been positioned: its "current item was deleted" state is
// over, for its duplicates as well (mdb_cursor_get, all ops).
inline void end_deleted_state(MDB_cursor *mc) {
	if (mc->flags & kCursorDel) [[unlikely]] {
		mc->flags ^= kCursorDel;
		if (mc->xcursor) xcursor_of(mc)->flags &= ~kCursorDel;
	}
}
inline bool xcursor_inited(const MDB_cursor *mc) {
	return mc->xcursor && (mc->xcursor->cursor.flags & kCursorInitialized);
}

// Set up the sub-cursor fields that depend only on the main db.
void xcursor_init0(MDB_cursor *mc, XCursor *mx);
// Point the sub-cursor at the duplicates of `leaf` (a F_DUPDATA node).
int xcursor_init1(MDB_cursor *mc, Node *leaf);
// Copy the state of an up-to-date sub-cursor after an update.
void xcursor_init2(MDB_cursor *mc, XCursor *src, bool new_dupdata);
// After a page moved in memory, re-point the sub-cursor at its sub-page.
inline void xcursor_refresh(MDB_cursor *m, unsigned top, Page *mp) {
	if (!xcursor_inited(m) || m->ki[top] >= numkeys(mp)) return;
	Node *n = node_at(mp, m->ki[top]);
	if ((n->flags & (format::F_DUPDATA | format::F_SUBDATA)) == format::F_DUPDATA)
		m->xcursor->cursor.pg[0] = reinterpret_cast<Page *>(node_data(n));
}
// After mc changed the duplicates of its current key: give every other
// cursor on that key mc's copy of the sub-database record (count, root,
// depth), so their counts, deletes and walks see the change.
void xcursor_sync_peers(MDB_cursor *mc);
// Shrink a sub-page node to its used size after a duplicate was removed.
void node_shrink(Page *mp, indx_t indx);

// MDB_FIRST_DUP / MDB_LAST_DUP.
int dup_first_last(MDB_cursor *mc, MDB_val *key, MDB_val *data, bool last);
// MDB_GET_MULTIPLE / MDB_NEXT_MULTIPLE / MDB_PREV_MULTIPLE.
int dup_multiple(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op);
// mdb_cursor_count.
int cursor_count(MDB_cursor *mc, size_t *countp);

}  // namespace lmdb
