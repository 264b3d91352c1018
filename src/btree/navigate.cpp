// Reading the tree: page lookup with validation, binary search inside a
// page, descent from the root, and cursor movement.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "btree/cursor.h"
#include "btree/offset_set.h"
#include "btree/position_marks.h"
#include "btree/dupsort.h"

namespace lmdb {

using namespace format;

// ---- validation of pages read from the file ------------------------------

// Header of a page as read from the file: its own number, one type, the
// node area inside the page.  Sub-page flags never appear on real pages.
static bool page_header_sane(const MDB_env *env, const Page *p, pgno_t pg) {
	if (p->pgno != pg) return false;
	unsigned f = p->flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META | P_SUBP);
	if (f == P_OVERFLOW) return p->overflow_pages >= 1;
	if (f != P_BRANCH && f != P_LEAF) return false;
	if (p->flags & P_LEAF2)  // the rest needs the db's item size: leaf2_sane
		return f == P_LEAF && p->lower >= kPageHdr && p->lower <= p->upper && p->lower <= env->psize;
	return node_area_sane(p->lower, p->upper, env->psize);
}

// Bytes a node takes in its page: an even number (node_add, node_del).
static inline size_t node_span(const Node *nd, bool leaf) {
	size_t span = kNodeHdr + nd->ksize;
	if (leaf) span += (nd->flags & F_BIGDATA) ? sizeof(pgno_t) : node_dsize(nd);
	return even(span);
}

// The layout LMDB always writes: the nodes, one after the other, fill the
// page from `upper` to its end exactly.  Checked in two passes over the n
// (> 0) pointers, whose steps do not depend on each other (no walk along a
// chain of sizes read from memory): the starts are in the node area, the
// lowest at `upper`; then every node ends where another starts (claiming
// that start: once only) or, for exactly one node, at the page end.  Ends
// then are distinct and the lowest start is never an end, so following ends
// from it visits every start in order: the nodes tile the page and no two
// overlap.  (Two pointers to one node end at one place: the second claim,
// or the second page end, fails.)  False for any other layout, fine or not,
// and when `marks` is unavailable.
static bool nodes_tile(const Page *p, size_t size, unsigned n, PositionMarks *marks,
                       unsigned *flags_seen) {
	PositionMarks::Page page_marks;
	if (!marks || !marks->begin(size, &page_marks)) return false;
	const char *base = reinterpret_cast<const char *>(p);
	const bool leaf = is_leaf(p);
	const size_t upper = p->upper;
	if (upper > size || size - upper < kNodeHdr) return false;
	const size_t last_start = size - kNodeHdr - upper;  // relative to upper
	size_t lowest = size;
	for (unsigned i = 0; i < n; i++) {
		size_t off = ptrs(p)[i];
		if (off - upper > last_start) return false;  // (below upper: wraps around)
		page_marks.mark(off);
		lowest = off < lowest ? off : lowest;
	}
	if (lowest != upper) return false;
	unsigned seen = 0;
	bool page_end = false;
	for (unsigned i = 0; i < n; i++) {
		size_t off = ptrs(p)[i];
		const Node *nd = reinterpret_cast<const Node *>(base + off);
		seen |= nd->flags;
		size_t end = off + node_span(nd, leaf);
		if (end == size) {
			if (page_end) return false;
			page_end = true;
		} else if (!page_marks.claim(end)) {
			return false;
		}
	}
	*flags_seen = seen;
	return page_end;
}

// Every node of a page (or sub-page) of `size` bytes inside it, none
// overlapping another.  Usually the nodes tile the page (nodes_tile);
// otherwise each node's start must be in the node area and distinct, and
// the nodes, visited in address order, each end (with its padding to an even
// size) before the next one starts.  `flags_seen` collects the node flags.
// The general case is kept out of line so that its bitmap is off the stack
// again before sub-pages are checked (and off the common path's frame).
[[gnu::noinline]] static bool nodes_placed_general(const Page *p, size_t size, unsigned *flags_seen) {
	const unsigned n = numkeys(p), upper = p->upper;
	const char *base = reinterpret_cast<const char *>(p);
	OffsetSet starts(upper, size);
	unsigned seen = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned off = ptrs(p)[i];
		if (off < upper || off + kNodeHdr > size || !starts.insert(off)) return false;
		seen |= reinterpret_cast<const Node *>(base + off)->flags;
	}
	*flags_seen = seen;
	const bool leaf = is_leaf(p);
	size_t free_from = upper;  // end of the node before
	return starts.each_ascending([&](size_t off) {
		if (off < free_from) return false;
		// Even spans matter only at odd offsets: never in pages LMDB wrote.
		free_from = off + node_span(reinterpret_cast<const Node *>(base + off), leaf);
		return free_from <= size;
	});
}
// The layout of a page whose nodes were added in key order (a page filled
// by appends, a split's or a merge's new page, the free db's leaves): node
// n-1 starts at `upper`, each node ends where the one before it in the
// pointer array starts, and node 0 ends at the page end.  One pass, no
// marks: each start is known before its node is read, so the nodes tile
// the page.  False for any other layout (nodes_tile, then the general
// check, decide).
static inline bool nodes_chained(const Page *p, size_t size, unsigned n, unsigned *flags_seen) {
	const char *base = reinterpret_cast<const char *>(p);
	const bool leaf = is_leaf(p);
	size_t start = p->upper;
	unsigned seen = 0;
	for (unsigned i = n; i-- > 0;) {
		if (ptrs(p)[i] != start || start + kNodeHdr > size) return false;
		const Node *nd = reinterpret_cast<const Node *>(base + start);
		seen |= nd->flags;
		start += node_span(nd, leaf);
	}
	*flags_seen = seen;
	return start == size;
}
static inline bool nodes_placed(const Page *p, size_t size, PositionMarks *marks, unsigned *flags_seen) {
	if (size > format::kMaxPageSize) return false;
	const unsigned n = numkeys(p);
	// (Without marks only the general check runs, as the tests ask.)
	return (marks && nodes_chained(p, size, n, flags_seen)) || nodes_tile(p, size, n, marks, flags_seen) ||
	       nodes_placed_general(p, size, flags_seen);
}

// All nodes of a page (or of a sub-page of `size` bytes) inside it, not
// overlapping; record and sub-page nodes well-formed.  dbflags: the db's.
bool nodes_sane(const Page *p, size_t size, unsigned dbflags, bool subpage, PositionMarks *marks) {
	// (Whole LEAF2 pages: leaf2_sane, with the db's item size.)
	if (is_leaf2(p)) return !subpage || (p->pad <= kMaxKeySize && leaf2_area_sane(p, p->pad, size));
	if (!node_area_sane(p->lower, p->upper, size)) return false;
	unsigned n = numkeys(p);
	if (!n) return true;
	unsigned seen;
	if (!nodes_placed(p, size, marks, &seen)) return false;
	// Then the kinds of leaf nodes (nothing more to see on branch pages, or
	// when no node is special).
	if (!is_leaf(p) || (!(seen & (F_DUPDATA | F_SUBDATA | F_BIGDATA)) && !subpage)) return true;
	for (unsigned i = 0; i < n; i++) {
		const Node *nd = node_at(p, indx_t(i));
		unsigned f = nd->flags;
		if (!(f & (F_DUPDATA | F_SUBDATA | F_BIGDATA)) && !subpage) continue;
		bool ok = true;
		if (subpage) {
			ok = f == 0;
		} else if (f & F_DUPDATA) {
			if (!(dbflags & MDB_DUPSORT) || (f & F_BIGDATA)) {
				ok = false;
			} else if (f & F_SUBDATA) {
				ok = node_dsize(nd) == sizeof(DbRecord);
			} else {
				const Page *sp = reinterpret_cast<const Page *>(node_data(nd));
				unsigned want = P_LEAF | P_SUBP | ((dbflags & MDB_DUPFIXED) ? P_LEAF2 : 0);
				ok = node_dsize(nd) >= kPageHdr &&
				     (sp->flags & (P_BRANCH | P_LEAF | P_LEAF2 | P_OVERFLOW | P_META | P_SUBP)) == want &&
				     nodes_sane(sp, node_dsize(nd), dbflags, true, marks);
			}
		} else if (f & F_SUBDATA) {
			ok = !(f & F_BIGDATA) && node_dsize(nd) == sizeof(DbRecord);
		}
		if (!ok) return false;
	}
	return true;
}

bool page_nodes_sane(const MDB_cursor *mc, const Page *p) {
	// Nodes added in key order, none of them special: one pass (and no
	// call into nodes_sane).
	const size_t psize = mc->txn->env->psize;
	unsigned seen;
	if (!(p->flags & (P_LEAF2 | P_OVERFLOW)) && node_area_sane(p->lower, p->upper, psize) && numkeys(p) &&
	    nodes_chained(p, psize, numkeys(p), &seen) &&
	    (!is_leaf(p) || !(seen & (F_DUPDATA | F_SUBDATA | F_BIGDATA))))
		return true;
	if (is_overflow(p)) return true;
	if (is_leaf2(p) && !leaf2_sane(mc, p, mc->txn->env->psize)) return false;
	return nodes_sane(p, mc->txn->env->psize, mc->db->flags, false, &mc->txn->env->node_marks);
}

int page_check_unchecked(MDB_cursor *mc, Page *p) {
	if (!page_nodes_sane(mc, p)) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	p->flags &= uint16_t(~kPageUnchecked);
	return MDB_SUCCESS;
}

bool leaf2_sane(const MDB_cursor *mc, const Page *p, size_t size) {
	// The page's own item size (mp_pad) must be the db's, which reads use.
	return (mc->db->flags & MDB_DUPFIXED) && p->pad == mc->db->pad && mc->db->pad <= kMaxKeySize &&
	       leaf2_area_sane(p, mc->db->pad, size);
}

int page_get_general(MDB_txn *txn, pgno_t pg, Page **out) {
	if (!(txn->flags & (kTxnRdonly | kTxnWritemap))) {
		for (MDB_txn *t = txn; t; t = t->parent) {
			if (void *p = t->dirty.find(pg)) {
				*out = static_cast<Page *>(p);
				return MDB_SUCCESS;
			}
		}
	}
	MDB_env *env = txn->env;
	if (pg >= txn->next_pgno || pg < kNumMetas || !file_holds(env, pg + 1)) {
		txn->flags |= kTxnError;
		return MDB_PAGE_NOTFOUND;
	}
	Page *p = reinterpret_cast<Page *>(env->map + size_t(env->psize) * pg);
	// P_DIRTY pages are written in place, so the flag is never taken from
	// the file: only a WRITEMAP txn's own pages carry it in the map.
	if (!page_header_sane(env, p, pg) ||
	    (is_overflow(p) && (p->overflow_pages > txn->next_pgno - pg ||
	                        p->overflow_pages > format::max_overflow_pages(env->psize) ||
	                        !file_holds(env, pg + p->overflow_pages))) ||
	    (is_dirty(p) && ((txn->flags & (kTxnRdonly | kTxnWritemap)) != kTxnWritemap ||
	                     txn->dirty.find(pg) != p))) {
		txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	*out = p;
	return MDB_SUCCESS;
}

// ---- search inside a page -----------------------------------------------

// Byte-order comparison, inlined into the search loop for the default order.
// Only its sign is used.  Up to 64 bytes are compared inline, 8 (then 4)
// at a time, read as big-endian words (their order as numbers is the
// bytes' order): for short keys the call into memcmp was a search's
// biggest cost.  Longer ones go to memcmp, which compares them faster.
struct MemnOrder {
	static int compare(const MDB_val *a, const MDB_val *b) {
		size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
		const unsigned char *pa = static_cast<const unsigned char *>(a->mv_data);
		const unsigned char *pb = static_cast<const unsigned char *>(b->mv_data);
		if (n > 64) [[unlikely]] {
			if (int r = std::memcmp(pa, pb, n)) return r;
			n = 0;
		}
		for (; n >= 8; n -= 8, pa += 8, pb += 8) {
			uint64_t x, y;
			std::memcpy(&x, pa, sizeof x);
			std::memcpy(&y, pb, sizeof y);
			if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
		}
		if (n >= 4) {
			uint32_t x, y;
			std::memcpy(&x, pa, sizeof x);
			std::memcpy(&y, pb, sizeof y);
			if (x != y) return __builtin_bswap32(x) < __builtin_bswap32(y) ? -1 : 1;
			n -= 4, pa += 4, pb += 4;
		}
		for (; n; n--, pa++, pb++) {
			if (*pa != *pb) return *pa < *pb ? -1 : 1;
		}
		return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
	}
};

// Binary search of the nodes [low, high] of mp.  With kCheck, every probed
// node's key is bounds-checked (pages read from the file); pages this txn
// wrote are trusted.  Returns the last comparison, the index in *iout, or
// kBadNode when a node lies outside the page.
inline constexpr int kBadNode = 0x7fffffff;

template <bool kCheck, class Cmp>
static inline int search_nodes(const Page *mp, int low, int high, const MDB_val *key, Cmp cmp,
                               unsigned psize, unsigned *iout) {
	int rc = 0;
	unsigned i = 0;
	const unsigned upper = mp->upper;
	while (low <= high) {
		i = unsigned(low + high) >> 1;
		unsigned off = ptrs(mp)[i];
		const Node *node = reinterpret_cast<const Node *>(reinterpret_cast<const char *>(mp) + off);
		if constexpr (kCheck) {
			if (off < upper || off + kNodeHdr > psize || off + kNodeHdr + node->ksize > psize) {
				*iout = i;
				return kBadNode;
			}
		}
		MDB_val nodekey{node->ksize, const_cast<char *>(node_key(node))};
		rc = cmp(key, &nodekey);
		if (rc == 0) break;
		if (rc > 0)
			low = int(i) + 1;
		else
			high = int(i) - 1;
	}
	*iout = i;
	return rc;
}

Node *node_search(MDB_cursor *mc, const MDB_val *key, int *exactp) {
	Page *mp = mc->pg[mc->top];
	unsigned nkeys = numkeys(mp);
	int low = is_leaf(mp) ? 0 : 1;
	int high = int(nkeys) - 1;
	MDB_cmp_func *cmp = mc->dbx->cmp;
	if (cmp == cmp_cint && is_branch(mp) && nkeys > 1 && node_in_bounds(mc->txn->env, mp, 1)) {
		cmp = node_at(mp, 1)->ksize == sizeof(size_t) ? cmp_long : cmp_int;
	}
	int rc = 0;
	unsigned i = 0;
	if (is_leaf2(mp)) {
		MDB_val nodekey;
		nodekey.mv_size = mc->db->pad;
		while (low <= high) {
			i = unsigned(low + high) >> 1;
			nodekey.mv_data = leaf2_key(mp, i, nodekey.mv_size);
			rc = cmp(key, &nodekey);
			if (rc == 0) break;
			if (rc > 0)
				low = int(i) + 1;
			else
				high = int(i) - 1;
		}
	} else {
		unsigned psize = mc->txn->env->psize;
		bool trusted = is_trusted(mp);
		if (is_subpage(mp)) {
			psize = subpage_limit(mc->txn->env, mp);
			trusted = psize == 0;
		}
		if (cmp == cmp_memn) {
			rc = trusted ? search_nodes<false>(mp, low, high, key, MemnOrder::compare, psize, &i)
			             : search_nodes<true>(mp, low, high, key, MemnOrder::compare, psize, &i);
		} else {
			rc = trusted ? search_nodes<false>(mp, low, high, key, cmp, psize, &i)
			             : search_nodes<true>(mp, low, high, key, cmp, psize, &i);
		}
		if (rc == kBadNode) {
			mc->txn->flags |= kTxnError;
			mc->ki[mc->top] = indx_t(i);
			if (exactp) *exactp = 0;
			return nullptr;
		}
	}
	if (rc > 0) i++;
	if (exactp) *exactp = (rc == 0 && nkeys > 0);
	mc->ki[mc->top] = indx_t(i);
	if (i >= nkeys) return nullptr;
	// The probes checked keys only: the leaf node handed out is checked
	// whole (its data is what the caller reads next).
	if (is_leaf(mp) && !is_leaf2(mp) && !node_in_bounds(mc->txn->env, mp, i)) {
		mc->txn->flags |= kTxnError;
		if (exactp) *exactp = 0;
		return nullptr;
	}
	// LEAF2 pages have no nodes: return a non-null placeholder.
	return is_leaf2(mp) ? reinterpret_cast<Node *>(page_data(mp)) : node_at(mp, i);
}

// ---- the cursor stack ---------------------------------------------------

void cursor_pop(MDB_cursor *mc) {
	if (mc->snum) {
		mc->snum--;
		if (mc->snum)
			mc->top--;
		else
			mc->flags &= ~kCursorInitialized;
	}
}

int cursor_push(MDB_cursor *mc, Page *mp) {
	if (mc->snum >= kCursorStack) {
		mc->txn->flags |= kTxnError;
		return MDB_CURSOR_FULL;
	}
	mc->top = mc->snum++;
	mc->pg[mc->top] = mp;
	mc->ki[mc->top] = 0;
	return MDB_SUCCESS;
}

void cursor_copy(const MDB_cursor *src, MDB_cursor *dst) {
	dst->txn = src->txn;
	dst->dbi = src->dbi;
	dst->db = src->db;
	dst->dbx = src->dbx;
	dst->dbflag = src->dbflag;
	dst->snum = src->snum;
	dst->top = src->top;
	dst->flags = src->flags;
	for (unsigned i = 0; i < src->snum; i++) {
		dst->pg[i] = src->pg[i];
		dst->ki[i] = src->ki[i];
	}
}

// ---- descent ---------------------------------------------------------------

// Whether a tree's pages exceed what the caches keep (8 MiB: a share of a
// server's last-level cache), so that its lower pages are likely misses.
static inline bool tree_exceeds_cache(const MDB_cursor *mc) {
	constexpr uint64_t kCachedBytes = uint64_t(8) << 20;
	return (mc->db->leaf_pages + mc->db->branch_pages) * mc->txn->env->psize > kCachedBytes;
}

// The descent has reached mp, which must be a leaf at the db's depth.
static inline int search_reached(MDB_cursor *mc, Page *mp) {
	if (!is_leaf(mp) || mc->snum != mc->db->depth ||
	    (is_leaf2(mp) && !leaf2_sane(mc, mp, mc->txn->env->psize))) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	mc->flags |= kCursorInitialized;
	mc->flags &= ~kCursorEof;
	return MDB_SUCCESS;
}

int page_search_root(MDB_cursor *mc, const MDB_val *key, int flags) {
	Page *mp = mc->pg[mc->top];
	int rc;
	while (is_branch(mp)) {
		unsigned n = numkeys(mp);
		if (n == 0) {
			mc->txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
		// First/Last always descend: page_search has reset the stack, so a
		// deeper page the cursor held before is not reused.
		unsigned i;
		if (flags & (kSearchFirst | kSearchLast)) {
			i = (flags & kSearchLast) ? n - 1 : 0;
		} else {
			int exact;
			Node *node = node_search(mc, key, &exact);
			if (mc->txn->flags & kTxnError && !node && mc->ki[mc->top] < n) return MDB_CORRUPTED;
			if (node == nullptr) {
				i = n - 1;
			} else {
				i = mc->ki[mc->top];
				if (!exact) {
					if (i == 0) {
						mc->txn->flags |= kTxnError;
						return MDB_CORRUPTED;
					}
					i--;
				}
			}
		}
		// Deeper than the db's depth: a cycle or a misplaced page.
		if (!node_in_bounds(mc->txn->env, mp, i) || mc->snum >= mc->db->depth) {
			mc->txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
		Node *node = node_at(mp, i);
		pgno_t child = node_pgno(node);
		// Only for a search by key (First/Last read one node).  A read
		// txn's page is in the map: prefetch it before page_get reads its
		// header.  A write txn's may be a dirty copy: take the page
		// page_get finds, and only at the leaves (its branch pages are
		// nearly always cached: 64 prefetches each cost sequential
		// inserts 10%).
		// The leaf of the txn's previous search is skipped: ascending
		// inserts and lookups meet the same one again and again.
		// A tree that fits in the caches gains nothing: its lookups paid
		// 5% for the prefetch instructions (docs/performance.md).
		MDB_txn *txn = mc->txn;
		const bool by_key = !(flags & (kSearchFirst | kSearchLast)) && tree_exceeds_cache(mc);
		const bool in_map = txn->flags & kTxnRdonly;
		const bool leaf = mc->snum + 1 == mc->db->depth;
		// Only the leaves and the level above them: the levels higher up
		// have few pages, nearly always cached.
		const bool deep = mc->snum + 3 > mc->db->depth;
		if (by_key && in_map && deep && !(leaf && child == txn->last_leaf)) page_prefetch(txn->env, child);
		if ((rc = page_get(txn, child, &mp))) return rc;
		if (by_key && !in_map && leaf && child != txn->last_leaf) prefetch_lines(mp, txn->env->psize);
		if (leaf) txn->last_leaf = child;
		mc->ki[mc->top] = indx_t(i);
		if ((rc = cursor_push(mc, mp))) return rc;
		if (flags & kSearchModify) {
			if ((rc = page_touch(mc))) return rc;
			mp = mc->pg[mc->top];
		}
	}
	return search_reached(mc, mp);
}

int page_search_lowest(MDB_cursor *mc) {
	Page *mp = mc->pg[mc->top];
	Node *node = node_at(mp, 0);
	int rc;
	if ((rc = page_get(mc->txn, node_pgno(node), &mp))) return rc;
	mc->ki[mc->top] = 0;
	if ((rc = cursor_push(mc, mp))) return rc;
	return page_search_root(mc, nullptr, kSearchFirst);
}

int refresh_db(MDB_txn *txn, MDB_dbi dbi) {
	if (!(txn->dbflags[dbi] & kDbStale)) return MDB_SUCCESS;
	if (txn_dbi_changed(txn, dbi)) return MDB_BAD_DBI;
	MDB_cursor mc2;
	cursor_init(&mc2, txn, kMainDbi);
	int rc = page_search(&mc2, &txn->dbxs[dbi].name, 0);
	if (rc == MDB_NOTFOUND) return MDB_BAD_DBI;
	if (rc) return rc;
	int exact = 0;
	Node *leaf = node_search(&mc2, &txn->dbxs[dbi].name, &exact);
	if (!exact || !leaf) return (txn->flags & kTxnError) ? MDB_CORRUPTED : MDB_BAD_DBI;
	if ((leaf->flags & (F_DUPDATA | F_SUBDATA)) != F_SUBDATA) return MDB_INCOMPATIBLE;
	MDB_val data;
	if ((rc = node_read(&mc2, leaf, &data))) return rc;
	if (data.mv_size != sizeof(DbRecord)) return MDB_CORRUPTED;
	uint16_t f;
	std::memcpy(&f, static_cast<char *>(data.mv_data) + offsetof(DbRecord, flags), sizeof f);
	if ((txn->dbs[dbi].flags & kPersistentDbFlags) != f) return MDB_INCOMPATIBLE;
	std::memcpy(&txn->dbs[dbi], data.mv_data, sizeof(DbRecord));
	txn->dbflags[dbi] &= uint8_t(~kDbStale);
	return MDB_SUCCESS;
}

int page_search(MDB_cursor *mc, const MDB_val *key, int flags) {
	MDB_txn *txn = mc->txn;
	int rc;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	if (*mc->dbflag & kDbStale) {
		if ((rc = refresh_db(txn, mc->dbi))) return rc;
	}
	pgno_t root = mc->db->root;
	if (root == kInvalidPgno) return MDB_NOTFOUND;
	if (!mc->pg[0] || mc->pg[0]->pgno != root) {
		if ((rc = page_get(txn, root, &mc->pg[0]))) return rc;
	}
	mc->snum = 1;
	mc->top = 0;
	if (flags & kSearchModify) {
		if ((rc = page_touch(mc))) return rc;
	}
	if (flags & kSearchRootOnly) return MDB_SUCCESS;
	// A root that is not a branch page: no descent (a small db's, the
	// free db's), without the call.
	if (!is_branch(mc->pg[0])) return search_reached(mc, mc->pg[0]);
	return page_search_root(mc, key, flags);
}

// ---- reading items --------------------------------------------------------

int node_read(MDB_cursor *mc, const Node *leaf, MDB_val *data) {
	if (!(leaf->flags & F_BIGDATA)) {
		data->mv_size = node_dsize(leaf);
		data->mv_data = const_cast<char *>(node_data(leaf));
		return MDB_SUCCESS;
	}
	pgno_t pg;
	std::memcpy(&pg, node_data(leaf), sizeof pg);
	Page *omp;
	int rc = page_get(mc->txn, pg, &omp);
	if (rc) return rc;
	size_t dsize = node_dsize(leaf);
	if (!is_overflow(omp) ||
	    (!is_dirty(omp) && (pg + omp->overflow_pages > mc->txn->next_pgno ||
	                        size_t(omp->overflow_pages) * mc->txn->env->psize - kPageHdr < dsize))) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	data->mv_size = dsize;
	data->mv_data = page_data(omp);
	// A big value is fetched to be read: start the first line of each of
	// its pages (each its own TLB entry and miss) now, up to 256 KiB.
	{
		const unsigned psize = mc->txn->env->psize;
		const size_t n = std::min<size_t>((dsize + kPageHdr + psize - 1) / psize, 64);
		for (size_t k = 1; k < n; k++) __builtin_prefetch(reinterpret_cast<const char *>(omp) + k * psize, 0, 3);
	}
	return MDB_SUCCESS;
}

static inline void get_key(const Node *n, MDB_val *key) {
	if (key) {
		key->mv_size = n->ksize;
		key->mv_data = const_cast<char *>(node_key(n));
	}
}

// Check node at the cursor position; MDB_CORRUPTED if out of bounds.
static inline int current_node(MDB_cursor *mc, Node **out) {
	Page *mp = mc->pg[mc->top];
	if (!node_in_bounds(mc->txn->env, mp, mc->ki[mc->top])) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	*out = node_at(mp, mc->ki[mc->top]);
	return MDB_SUCCESS;
}

// Deliver the item at the cursor (after a positioning move).  `last`
// selects the last duplicate instead of the first.
static inline int fetch_current(MDB_cursor *mc, MDB_val *key, MDB_val *data, bool last) {
	Page *mp = mc->pg[mc->top];
	if (is_leaf2(mp)) {
		if (key) {
			key->mv_size = mc->db->pad;
			key->mv_data = leaf2_key(mp, mc->ki[mc->top], key->mv_size);
		}
		return MDB_SUCCESS;
	}
	Node *leaf;
	int rc = current_node(mc, &leaf);
	if (rc) return rc;
	if (leaf->flags & F_DUPDATA) {
		if ((rc = xcursor_init1(mc, leaf))) return rc;
		rc = last ? cursor_last(xcursor_of(mc), data, nullptr)
		          : cursor_first(xcursor_of(mc), data, nullptr);
		if (rc) return rc;
		if (mc->txn->flags & kTxnRdonly) {
			// Checked above (current_node): see XCursor::outer.
			XCursor *mx = mc->xcursor;
			mx->outer = leaf;
			mx->sub_limit = (leaf->flags & F_SUBDATA) ? 0 : subpage_limit(mc->txn->env, mx->cursor.pg[0]);
		}
	} else {
		// A single item: the sub-cursor must not stay on the duplicates of
		// the key the cursor came from.
		if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
		if (data) {
			if (!(leaf->flags & F_BIGDATA)) {  // inline data: no call
				data->mv_size = node_dsize(leaf);
				data->mv_data = node_data(leaf);
			} else if ((rc = node_read(mc, leaf, data))) {
				return rc;
			}
		}
	}
	get_key(leaf, key);
	return MDB_SUCCESS;
}

int cursor_sibling(MDB_cursor *mc, bool right) {
	int rc;
	if (mc->snum < 2) return MDB_NOTFOUND;
	cursor_pop(mc);
	if (right ? (mc->ki[mc->top] + 1u >= numkeys(mc->pg[mc->top])) : (mc->ki[mc->top] == 0)) {
		if ((rc = cursor_sibling(mc, right)) != MDB_SUCCESS) {
			mc->top++;
			mc->snum++;
			return rc;
		}
	} else {
		if (right)
			mc->ki[mc->top]++;
		else
			mc->ki[mc->top]--;
	}
	Page *parent = mc->pg[mc->top];
	if (!is_branch(parent) || !node_in_bounds(mc->txn->env, parent, mc->ki[mc->top])) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	Node *indx = node_at(parent, mc->ki[mc->top]);
	// A scan goes on to the page after this one: start loading it now, so
	// that it is in the cache when this page is done.  And the first line of
	// the page after that, one page ahead of its whole-page prefetch: scans
	// ran 1.20-1.25x faster with it at 1M records and 1.39-1.41x at 10M
	// (docs/performance.md, "Scale"; probably the page's address
	// translation is then ready when its whole-page prefetch is issued).
	{
		MDB_env *env = mc->txn->env;
		unsigned next = right ? mc->ki[mc->top] + 1u : mc->ki[mc->top] - 1u;
		if (next < numkeys(parent) && node_in_bounds(env, parent, next))
			page_prefetch(env, node_pgno(node_at(parent, next)));
		unsigned after = right ? next + 1u : next - 1u;
		if (after < numkeys(parent) && node_in_bounds(env, parent, after)) {
			pgno_t pg = node_pgno(node_at(parent, after));
			if (pg < env->file_pages.load(std::memory_order_relaxed))
				__builtin_prefetch(env->map + size_t(env->psize) * pg, 0, 3);
		}
	}
	Page *mp;
	if ((rc = page_get(mc->txn, node_pgno(indx), &mp)) != 0) {
		mc->flags &= ~(kCursorInitialized | kCursorEof);
		return rc;
	}
	if ((rc = cursor_push(mc, mp))) return rc;
	if (is_leaf2(mp) && !leaf2_sane(mc, mp, mc->txn->env->psize)) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	if (!right) mc->ki[mc->top] = indx_t(numkeys(mp) - 1);
	return MDB_SUCCESS;
}

int cursor_first(MDB_cursor *mc, MDB_val *key, MDB_val *data) {
	int rc;
	if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
	if (!(mc->flags & kCursorInitialized) || mc->top) {
		if ((rc = page_search(mc, nullptr, kSearchFirst))) return rc;
	}
	if (!is_leaf(mc->pg[mc->top])) return MDB_CORRUPTED;
	mc->flags |= kCursorInitialized;
	mc->flags &= ~kCursorEof;
	mc->ki[mc->top] = 0;
	if (numkeys(mc->pg[mc->top]) == 0) return MDB_NOTFOUND;
	return fetch_current(mc, key, data, false);
}

int cursor_last(MDB_cursor *mc, MDB_val *key, MDB_val *data) {
	int rc;
	if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
	if (!(mc->flags & kCursorInitialized) || mc->top) {
		if ((rc = page_search(mc, nullptr, kSearchLast))) return rc;
	}
	if (!is_leaf(mc->pg[mc->top])) return MDB_CORRUPTED;
	unsigned n = numkeys(mc->pg[mc->top]);
	if (n == 0) {
		mc->ki[mc->top] = 0;
		return MDB_NOTFOUND;
	}
	mc->ki[mc->top] = indx_t(n - 1);
	mc->flags |= kCursorInitialized | kCursorEof;
	return fetch_current(mc, key, data, true);
}

// The common step of a scan through duplicates: the sub-cursor's next item
// is on the same page, a plain item.  Does what cursor_next on the sub-cursor
// would do then, without its general cases; false (nothing changed) for
// anything else, which the caller leaves to cursor_next.
// `limit`: the sub-page's bound from XCursor::sub_limit, 0 if not known.
static inline bool subcursor_step(MDB_cursor *xc, MDB_val *data, unsigned limit = 0) {
	if (xc->flags & (kCursorEof | kCursorDel)) return false;
	Page *mp = xc->pg[xc->top];
	unsigned i = xc->ki[xc->top] + 1u;
	if (i >= numkeys(mp) || !is_leaf(mp)) return false;
	if (is_leaf2(mp)) {
		xc->ki[xc->top] = indx_t(i);
		if (data) {
			data->mv_size = xc->db->pad;
			data->mv_data = leaf2_key(mp, i, data->mv_size);
		}
		return true;
	}
	if ((limit && is_subpage(mp)) ? !node_fits(mp, ptrs(mp)[i], limit) : !node_in_bounds(xc->txn->env, mp, i))
		return false;
	const Node *n = node_at(mp, i);
	if (n->flags) return false;
	xc->ki[xc->top] = indx_t(i);
	get_key(n, data);
	return true;
}

int cursor_next(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
	int rc;
	if (XCursor *mx = mc->xcursor) {
		// A read txn's scan through the duplicates of the node the cursor
		// was loaded from (XCursor::outer): the node is known good.
		if (mx->outer && (op == MDB_NEXT || op == MDB_NEXT_DUP) &&
		    (mc->flags & (kCursorInitialized | kCursorEof | kCursorDel)) == kCursorInitialized &&
		    (mx->cursor.flags & kCursorInitialized) && node_at(mc->pg[mc->top], mc->ki[mc->top]) == mx->outer &&
		    subcursor_step(&mx->cursor, data, mx->sub_limit)) {
			get_key(mx->outer, key);
			return MDB_SUCCESS;
		}
	}
	if ((mc->flags & kCursorDel) && op == MDB_NEXT_DUP) return MDB_NOTFOUND;
	if (!(mc->flags & kCursorInitialized)) {
		// The cursor's item was deleted and the tree emptied under it (then
		// maybe refilled): nothing follows it (py-lmdb 388: a scan that
		// deletes and puts back the sole key would start over forever).
		if (mc->flags & kCursorDel) return MDB_NOTFOUND;
		return cursor_first(mc, key, data);
	}
	Page *mp = mc->pg[mc->top];
	if (mc->flags & kCursorEof) {
		if (mc->ki[mc->top] + 1u >= numkeys(mp)) return MDB_NOTFOUND;
		mc->flags ^= kCursorEof;
	}
	// (Past the last node, e.g. after a failed search: no current key.)
	if ((mc->db->flags & MDB_DUPSORT) && mc->ki[mc->top] < numkeys(mp)) {
		Node *leaf;
		if ((rc = current_node(mc, &leaf))) return rc;
		if (leaf->flags & F_DUPDATA) {
			if (op == MDB_NEXT || op == MDB_NEXT_DUP) {
				// (With kCursorDel, op is MDB_NEXT: NEXT_DUP returned above.)
				if (!(xcursor_of(mc)->flags & kCursorInitialized) || (mc->flags & kCursorDel)) {
					// Not among this key's duplicates: either the cursor's
					// item was deleted and this key is the next one, or a
					// search failed here (the cursor sits before this key).
					// Both start at its first duplicate, as upstream does
					// (NEXT_DUP too after a failed search).  A cursor that
					// rests here after a delete starts there even if its
					// sub-cursor is set: the key may have had a single item
					// that another cursor gave duplicates meanwhile, which
					// set the sub-cursor on one of them (0.9.24 returned the
					// second then, skipping the first).
					mc->flags &= ~kCursorDel;
					return fetch_current(mc, key, data, false);
				} else {
					if (subcursor_step(xcursor_of(mc), data)) {
						get_key(leaf, key);
						return MDB_SUCCESS;
					}
					rc = cursor_next(xcursor_of(mc), data, nullptr, MDB_NEXT);
					if (op != MDB_NEXT || rc != MDB_NOTFOUND) {
						if (rc == MDB_SUCCESS) get_key(leaf, key);
						return rc;
					}
				}
			}
		} else {
			if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
			if (op == MDB_NEXT_DUP) return MDB_NOTFOUND;
		}
	}
	if (mc->flags & kCursorDel) {
		mc->flags ^= kCursorDel;
	} else if (mc->ki[mc->top] + 1u >= numkeys(mp)) {
		if ((rc = cursor_sibling(mc, true)) != MDB_SUCCESS) {
			mc->flags |= kCursorEof;
			return rc;
		}
		mp = mc->pg[mc->top];
	} else {
		mc->ki[mc->top]++;
	}
	if (!is_leaf(mp)) return MDB_CORRUPTED;
	if (mc->ki[mc->top] >= numkeys(mp)) {
		mc->flags |= kCursorEof;
		return MDB_NOTFOUND;
	}
	return fetch_current(mc, key, data, false);
}

int cursor_prev(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
	int rc;
	if (!(mc->flags & kCursorInitialized)) {
		if (mc->flags & kCursorDel) return MDB_NOTFOUND;  // (as cursor_next)
		rc = cursor_last(mc, key, data);
		if (rc) return rc;
		mc->ki[mc->top]++;
	}
	Page *mp = mc->pg[mc->top];
	if ((mc->db->flags & MDB_DUPSORT) && mc->ki[mc->top] < numkeys(mp)) {
		Node *leaf;
		if ((rc = current_node(mc, &leaf))) return rc;
		if (leaf->flags & F_DUPDATA) {
			if ((op == MDB_PREV || op == MDB_PREV_DUP) && !(xcursor_of(mc)->flags & kCursorInitialized)) {
				// Not among this key's duplicates (see cursor_next): the
				// previous item is the previous key's last one.
				if (op == MDB_PREV_DUP) return MDB_NOTFOUND;
			} else if (op == MDB_PREV || op == MDB_PREV_DUP) {
				rc = cursor_prev(xcursor_of(mc), data, nullptr, MDB_PREV);
				if (op != MDB_PREV || rc != MDB_NOTFOUND) {
					if (rc == MDB_SUCCESS) {
						get_key(leaf, key);
						mc->flags &= ~kCursorEof;
					}
					return rc;
				}
			}
		} else {
			if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
			if (op == MDB_PREV_DUP) return MDB_NOTFOUND;
		}
	}
	mc->flags &= ~(kCursorEof | kCursorDel);
	if (mc->ki[mc->top] == 0) {
		if ((rc = cursor_sibling(mc, false)) != MDB_SUCCESS) return rc;
		mp = mc->pg[mc->top];
		mc->ki[mc->top] = indx_t(numkeys(mp) - 1);
	} else {
		mc->ki[mc->top]--;
	}
	if (!is_leaf(mp)) return MDB_CORRUPTED;
	if (mc->ki[mc->top] >= numkeys(mp)) return MDB_NOTFOUND;
	return fetch_current(mc, key, data, true);
}

int cursor_set(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op, int *exactp) {
	int rc;
	Page *mp;
	Node *leaf = nullptr;
	if (key->mv_size == 0) return MDB_BAD_VALSIZE;
	if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);

	if (mc->flags & kCursorInitialized) {
		// See whether the key falls on the current page.
		MDB_val nodekey;
		mp = mc->pg[mc->top];
		unsigned nkeys = numkeys(mp);
		if (!nkeys) {
			mc->ki[mc->top] = 0;
			return MDB_NOTFOUND;
		}
		auto key_at = [&](unsigned i, MDB_val *out) -> int {
			if (is_leaf2(mp)) {
				out->mv_size = mc->db->pad;
				out->mv_data = leaf2_key(mp, i, out->mv_size);
				return 0;
			}
			if (!node_in_bounds(mc->txn->env, mp, i)) {
				mc->txn->flags |= kTxnError;
				return MDB_CORRUPTED;
			}
			leaf = node_at(mp, i);
			*out = node_key_val(leaf);
			return 0;
		};
		if ((rc = key_at(0, &nodekey))) return rc;
		rc = mc->dbx->cmp(key, &nodekey);
		if (rc == 0) {
			mc->ki[mc->top] = 0;
			if (exactp) *exactp = 1;
			goto set1;
		}
		if (rc > 0) {
			if (nkeys > 1) {
				if ((rc = key_at(nkeys - 1, &nodekey))) return rc;
				rc = mc->dbx->cmp(key, &nodekey);
				if (rc == 0) {
					mc->ki[mc->top] = indx_t(nkeys - 1);
					if (exactp) *exactp = 1;
					goto set1;
				}
				if (rc < 0) {
					if (mc->ki[mc->top] < nkeys) {
						if ((rc = key_at(mc->ki[mc->top], &nodekey))) return rc;
						rc = mc->dbx->cmp(key, &nodekey);
						if (rc == 0) {
							if (exactp) *exactp = 1;
							goto set1;
						}
					}
					rc = 0;
					mc->flags &= ~kCursorEof;
					goto set2;
				}
			}
			// Past this page: search unless no parent has a right sibling.
			unsigned i;
			for (i = 0; i < mc->top; i++)
				if (mc->ki[i] < numkeys(mc->pg[i]) - 1) break;
			if (i == mc->top) {
				mc->ki[mc->top] = indx_t(nkeys);
				return MDB_NOTFOUND;
			}
		}
		if (!mc->top) {
			mc->ki[mc->top] = 0;
			if (op == MDB_SET_RANGE && !exactp) {
				rc = 0;
				if ((rc = key_at(0, &nodekey))) return rc;
				goto set1;
			}
			return MDB_NOTFOUND;
		}
	} else {
		mc->pg[0] = nullptr;
	}

	rc = page_search(mc, key, 0);
	if (rc != MDB_SUCCESS) return rc;
	mp = mc->pg[mc->top];

set2:
	leaf = node_search(mc, key, exactp);
	if (mc->txn->flags & kTxnError) return MDB_CORRUPTED;
	if (exactp != nullptr && !*exactp) return MDB_NOTFOUND;
	if (leaf == nullptr) {
		if ((rc = cursor_sibling(mc, true)) != MDB_SUCCESS) {
			mc->flags |= kCursorEof;
			return rc;
		}
		mp = mc->pg[mc->top];
		if (!is_leaf(mp) || numkeys(mp) == 0) return MDB_CORRUPTED;
		if (!is_leaf2(mp)) {
			if (!node_in_bounds(mc->txn->env, mp, 0)) return MDB_CORRUPTED;
			leaf = node_at(mp, 0);
		}
	}

set1:
	mc->flags |= kCursorInitialized;
	mc->flags &= ~kCursorEof;
	if (is_leaf2(mp)) {
		if (op == MDB_SET_RANGE || op == MDB_SET_KEY) {
			key->mv_size = mc->db->pad;
			key->mv_data = leaf2_key(mp, mc->ki[mc->top], key->mv_size);
		}
		return MDB_SUCCESS;
	}
	if (leaf->flags & F_DUPDATA) {
		if ((rc = xcursor_init1(mc, leaf))) return rc;
		if (op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE) {
			rc = cursor_first(xcursor_of(mc), data, nullptr);
		} else {
			int ex2 = 0;
			rc = cursor_set(xcursor_of(mc), data, nullptr, MDB_SET_RANGE,
			                op == MDB_GET_BOTH ? &ex2 : nullptr);
			if (rc != MDB_SUCCESS) return rc;
		}
	} else if (data) {
		if (op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE) {
			MDB_val olddata;
			if ((rc = node_read(mc, leaf, &olddata))) return rc;
			MDB_cmp_func *dcmp = mc->dbx->dcmp;
			if (dcmp == cmp_int && olddata.mv_size == sizeof(size_t)) dcmp = cmp_long;
			rc = dcmp(data, &olddata);
			if (rc) {
				if (op == MDB_GET_BOTH || rc > 0) return MDB_NOTFOUND;
				rc = 0;
			}
			*data = olddata;
		} else {
			if (mc->xcursor) xcursor_of(mc)->flags &= ~(kCursorInitialized | kCursorEof);
			if ((rc = node_read(mc, leaf, data))) return rc;
		}
	}
	if (op == MDB_SET_RANGE || op == MDB_SET_KEY) get_key(leaf, key);
	return rc;
}

int cursor_get(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
	int rc;
	int exact = 0;
	if (mc->txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	switch (op) {
	case MDB_GET_CURRENT: {
		if (!(mc->flags & kCursorInitialized)) {
			rc = EINVAL;
			break;
		}
		Page *mp = mc->pg[mc->top];
		unsigned nkeys = numkeys(mp);
		if (!nkeys || mc->ki[mc->top] >= nkeys) {
			mc->ki[mc->top] = indx_t(nkeys);
			rc = MDB_NOTFOUND;
			break;
		}
		rc = MDB_SUCCESS;
		if (is_leaf2(mp)) {
			key->mv_size = mc->db->pad;
			key->mv_data = leaf2_key(mp, mc->ki[mc->top], key->mv_size);
		} else {
			Node *leaf;
			if ((rc = current_node(mc, &leaf))) break;
			get_key(leaf, key);
			if (data) {
				if (leaf->flags & F_DUPDATA)
					rc = cursor_get(xcursor_of(mc), data, nullptr, MDB_GET_CURRENT);
				else
					rc = node_read(mc, leaf, data);
			}
		}
		break;
	}
	case MDB_GET_BOTH:
	case MDB_GET_BOTH_RANGE:
		if (data == nullptr) {
			rc = EINVAL;
			break;
		}
		if (mc->xcursor == nullptr) {
			rc = MDB_INCOMPATIBLE;
			break;
		}
		[[fallthrough]];
	case MDB_SET:
	case MDB_SET_KEY:
	case MDB_SET_RANGE:
		if (key == nullptr)
			rc = EINVAL;
		else
			rc = cursor_set(mc, key, data, op, op == MDB_SET_RANGE ? nullptr : &exact);
		break;
	case MDB_GET_MULTIPLE:
	case MDB_NEXT_MULTIPLE:
	case MDB_PREV_MULTIPLE:
		rc = dup_multiple(mc, key, data, op);
		break;
	case MDB_NEXT:
	case MDB_NEXT_DUP:
	case MDB_NEXT_NODUP:
		rc = cursor_next(mc, key, data, op);
		break;
	case MDB_PREV:
	case MDB_PREV_DUP:
	case MDB_PREV_NODUP:
		rc = cursor_prev(mc, key, data, op);
		break;
	case MDB_FIRST:
		rc = cursor_first(mc, key, data);
		break;
	case MDB_LAST:
		rc = cursor_last(mc, key, data);
		break;
	case MDB_FIRST_DUP:
	case MDB_LAST_DUP:
		rc = dup_first_last(mc, key, data, op == MDB_LAST_DUP);
		break;
	default:
		rc = EINVAL;
		break;
	}
	end_deleted_state(mc);
	return rc;
}

void cursor_init(MDB_cursor *mc, MDB_txn *txn, MDB_dbi dbi, XCursor *mx) {
	mc->next = nullptr;
	mc->backup = nullptr;
	mc->dbi = dbi;
	mc->txn = txn;
	mc->db = &txn->dbs[dbi];
	mc->dbx = &txn->dbxs[dbi];
	mc->dbflag = &txn->dbflags[dbi];
	mc->snum = 0;
	mc->top = 0;
	mc->pg[0] = nullptr;
	mc->ki[0] = 0;
	mc->flags = 0;
	mc->xcursor = nullptr;
	if (mx && (txn->dbs[dbi].flags & MDB_DUPSORT)) xcursor_init0(mc, mx);
	if (*mc->dbflag & kDbStale) page_search(mc, nullptr, kSearchRootOnly);
}

}  // namespace lmdb
