// B+tree cursors and the tree operations built on them.  A cursor holds the
// path from the root to a leaf (page and index per level).  Every cursor of
// a write transaction is linked into txn->cursors[dbi] so that structural
// changes made through one cursor keep the others on the same item.
#pragma once

#include "btree/page_access.h"
#include "txn/transaction.h"

namespace lmdb {

inline constexpr unsigned kCursorStack = 32;

// MDB_cursor::flags
inline constexpr unsigned kCursorInitialized = 0x01;
inline constexpr unsigned kCursorEof = 0x02;
inline constexpr unsigned kCursorSub = 0x04;       // cursor of a dup sub-tree
inline constexpr unsigned kCursorDel = 0x08;       // last op deleted the current item
inline constexpr unsigned kCursorPutTouch = 0x10;  // cursor_put's touch: leaves may stay unchecked
inline constexpr unsigned kCursorUntrack = 0x40;   // temporary, unlink at end

struct XCursor;  // the sub-cursor of DUPSORT databases
class PositionMarks;

}  // namespace lmdb

struct MDB_cursor {
	MDB_cursor *next = nullptr;     // in txn->cursors[dbi]
	MDB_cursor *backup = nullptr;   // parent txn's copy (nested txns)
	lmdb::XCursor *xcursor = nullptr;
	MDB_txn *txn = nullptr;
	MDB_dbi dbi = 0;
	lmdb::DbRecord *db = nullptr;
	lmdb::DbAux *dbx = nullptr;
	uint8_t *dbflag = nullptr;
	unsigned short snum = 0;        // pages on the stack
	unsigned short top = 0;         // index of the top page
	unsigned flags = 0;
	lmdb::Page *pg[lmdb::kCursorStack];
	lmdb::indx_t ki[lmdb::kCursorStack];
};

namespace lmdb {

// ---- set-up ------------------------------------------------------------
// mx: storage for the sub-cursor of a DUPSORT db (may be null otherwise).
void cursor_init(MDB_cursor *mc, MDB_txn *txn, MDB_dbi dbi, XCursor *mx = nullptr);
// Re-read a named db's record if the txn marked it stale.
int refresh_db(MDB_txn *txn, MDB_dbi dbi);

// ---- search and navigation (btree/navigate.cpp) -------------------------
inline constexpr int kSearchModify = 1, kSearchRootOnly = 2, kSearchFirst = 4, kSearchLast = 8;
int page_search(MDB_cursor *mc, const MDB_val *key, int flags);
int page_search_root(MDB_cursor *mc, const MDB_val *key, int flags);
int page_search_lowest(MDB_cursor *mc);
Node *node_search(MDB_cursor *mc, const MDB_val *key, int *exactp);
int cursor_push(MDB_cursor *mc, Page *mp);
void cursor_pop(MDB_cursor *mc);
int cursor_sibling(MDB_cursor *mc, bool right);
int cursor_first(MDB_cursor *mc, MDB_val *key, MDB_val *data);
int cursor_last(MDB_cursor *mc, MDB_val *key, MDB_val *data);
int cursor_next(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op);
int cursor_prev(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op);
int cursor_set(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op, int *exactp);
int cursor_get(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op);
int node_read(MDB_cursor *mc, const Node *leaf, MDB_val *data);
void cursor_copy(const MDB_cursor *src, MDB_cursor *dst);
// Node at offset `off` of a page (or sub-page) of `size` bytes: inside it.
inline bool node_fits(const Page *p, unsigned off, size_t size) {
	if (off < p->upper || off + kNodeHdr > size) return false;
	const Node *n = reinterpret_cast<const Node *>(reinterpret_cast<const char *>(p) + off);
	size_t sz = size_t(off) + kNodeHdr + n->ksize;
	if (is_leaf(p)) sz += (n->flags & format::F_BIGDATA) ? sizeof(pgno_t) : node_dsize(n);
	return sz <= size;
}
// A sub-page inside a page of the map is bounded by the end of that page
// (its flags, P_DIRTY included, come from the file): the bytes from p to
// there.  0 for sub-pages elsewhere: in dirty pages, which were checked
// whole when they were copied from the map (page_nodes_sane; leaves of
// DUPSORT dbs never have that check deferred).
inline unsigned subpage_limit(const MDB_env *env, const Page *p) {
	uintptr_t at = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(env->map);
	if (at >= env->mapsize) return 0;  // also below the map: the difference wraps
	return env->psize - unsigned(at & (env->psize - 1));  // psize: a power of two
}
// Validity of node i of page p: the node, its key and its inline data lie
// inside the page.  Pages written by this txn (dirty: page_get never takes
// the flag from the file, and pages copied from the file were checked whole
// by page_nodes_sane) are trusted; sub-pages are bounded by the page that
// holds them.
inline bool node_in_bounds(const MDB_env *env, const Page *p, unsigned i) {
	if (is_subpage(p)) {
		unsigned limit = subpage_limit(env, p);
		return !limit || node_fits(p, ptrs(p)[i], limit);
	}
	return is_trusted(p) || node_fits(p, ptrs(p)[i], env->psize);
}
// Whole-page check (every node, no overlaps, sub-pages): done once when a
// page from the file becomes writable or is merged.
bool page_nodes_sane(const MDB_cursor *mc, const Page *p);
// An unchecked page (kPageUnchecked) checked whole now and trusted from
// here on; MDB_CORRUPTED (txn failed) if it is not sane.  Map pages are
// never ours to mark (page_get never takes P_DIRTY from the file), and
// most pages touched are not unchecked: that test is inline.
int page_check_unchecked(MDB_cursor *mc, Page *p);
inline int page_check_deferred(MDB_cursor *mc, Page *p) {
	if ((p->flags & (format::P_DIRTY | kPageUnchecked)) != (format::P_DIRTY | kPageUnchecked))
		return MDB_SUCCESS;
	return page_check_unchecked(mc, p);
}
// The same for a page (or, subpage true, a sub-page) of `size` bytes of a db
// with flags `dbflags` (LEAF2 pages: see leaf2_sane).  `marks`: scratch for
// the fast path (none: only the general check runs).
bool nodes_sane(const Page *p, size_t size, unsigned dbflags, bool subpage, PositionMarks *marks);
// A LEAF2 page of the cursor's db holds numkeys * pad bytes within `size`.
bool leaf2_sane(const MDB_cursor *mc, const Page *p, size_t size);

// ---- modification (btree/insert.cpp, btree/remove.cpp) -------------------
// Make the cursor's top page writable (a copy, for a page of the file).
// A page this top-level txn already wrote, and checked, is writable as it
// is: that test is inline (page_touch_general does the rest).
int page_touch_general(MDB_cursor *mc);
inline int page_touch(MDB_cursor *mc) {
	if (is_trusted(mc->pg[mc->top]) && !mc->txn->parent) return MDB_SUCCESS;
	return page_touch_general(mc);
}
int cursor_touch(MDB_cursor *mc);
int page_new(MDB_cursor *mc, unsigned flags, unsigned num, Page **out);
int node_add(MDB_cursor *mc, indx_t indx, const MDB_val *key, MDB_val *data, pgno_t pgno,
             unsigned flags);
void node_del(MDB_cursor *mc, int ksize);
int update_key(MDB_cursor *mc, const MDB_val *key);
int page_split(MDB_cursor *mc, const MDB_val *newkey, MDB_val *newdata, pgno_t newpgno,
               unsigned nflags);
int cursor_put(MDB_cursor *mc, const MDB_val *key, MDB_val *data, unsigned flags);
int cursor_del(MDB_cursor *mc, unsigned flags);
int rebalance(MDB_cursor *mc);
int drop_tree(MDB_cursor *mc, bool subs);
size_t leaf_size(const MDB_env *env, const MDB_val *key, const MDB_val *data);
size_t branch_size(const MDB_env *env, const MDB_val *key);

// Flags passed through node_add / page_split besides node flags.
inline constexpr unsigned kSplitReplace = MDB_APPENDDUP;  // newkey replaces an existing node
inline constexpr unsigned kNodeAddFlags = format::F_DUPDATA | format::F_SUBDATA | MDB_RESERVE | MDB_APPEND;

// Run `body` with a temporary cursor linked into the txn's cursor list so
// that fix-ups made by nested operations adjust it too.
template <class F> auto with_tracking(MDB_cursor *mn, F &&body) {
	MDB_cursor **head = &mn->txn->cursors[mn->dbi];
	mn->next = *head;
	*head = mn;
	auto rc = body();
	*head = mn->next;
	return rc;
}

// ---- comparison (btree/compare.cpp) -------------------------------------
int cmp_memn(const MDB_val *a, const MDB_val *b);
int cmp_memnr(const MDB_val *a, const MDB_val *b);
int cmp_int(const MDB_val *a, const MDB_val *b);    // unsigned int
int cmp_cint(const MDB_val *a, const MDB_val *b);   // unsigned int or size_t by size
int cmp_cint_value(const MDB_val *a, const MDB_val *b);  // its order, upstream's value (mdb_cmp)
int cmp_long(const MDB_val *a, const MDB_val *b);   // size_t
void set_default_cmp(MDB_txn *txn, MDB_dbi dbi);
// The orders implied by a database's flags.
void default_cmp_for(uint16_t flags, DbAux &x);

}  // namespace lmdb
