// Sorted duplicates: the sub-cursor and the duplicate-only cursor
// operations.  Insertion and deletion of duplicates live with the plain
// tree operations in insert.cpp and remove.cpp, since they share one path.
#include "btree/dupsort.h"

#include <cerrno>
#include <cstring>

namespace lmdb {

using namespace format;

void xcursor_init0(MDB_cursor *mc, XCursor *mx) {
	mc->xcursor = mx;
	mx->outer = nullptr;
	MDB_cursor *xc = &mx->cursor;
	xc->next = nullptr;
	xc->backup = nullptr;
	xc->xcursor = nullptr;
	xc->txn = mc->txn;
	xc->dbi = mc->dbi;
	xc->db = &mx->db;
	xc->dbx = &mx->dbx;
	xc->dbflag = &mx->dbflag;
	xc->snum = 0;
	xc->top = 0;
	xc->flags = kCursorSub;
	xc->pg[0] = nullptr;
	mx->dbx.name = MDB_val{0, nullptr};
	mx->dbx.cmp = mc->dbx->dcmp;
	mx->dbx.dcmp = nullptr;
	mx->dbx.rel = mc->dbx->rel;
	mx->dbx.relctx = mc->dbx->relctx;
}

int xcursor_init1(MDB_cursor *mc, Node *node) {
	XCursor *mx = mc->xcursor;
	if (!mx) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;  // F_DUPDATA node in a db without DUPSORT
	}
	mx->outer = nullptr;
	MDB_cursor *xc = &mx->cursor;
	if (node->flags & F_BIGDATA) {
		// Duplicates are never on overflow pages; and the node's bounds
		// check counted a page number, not the size this would read.
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	if (node->flags & F_SUBDATA) {
		if (node_dsize(node) != sizeof(DbRecord)) {
			mc->txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
		std::memcpy(&mx->db, node_data(node), sizeof(DbRecord));
		xc->pg[0] = nullptr;
		xc->snum = 0;
		xc->top = 0;
		xc->flags = kCursorSub;
	} else {
		Page *fp = reinterpret_cast<Page *>(node_data(node));
		// A sub-page: header inside the node, a leaf (LEAF2 exactly when
		// the db is DUPFIXED) whose keys fit in the node.
		unsigned want = P_LEAF | P_SUBP | ((mc->db->flags & MDB_DUPFIXED) ? P_LEAF2 : 0);
		size_t dsize = node_dsize(node);
		if (dsize < kPageHdr ||
		    (fp->flags & (P_BRANCH | P_LEAF | P_LEAF2 | P_OVERFLOW | P_META | P_SUBP)) != want ||
		    !(is_leaf2(fp) ? fp->pad <= kMaxKeySize && leaf2_area_sane(fp, fp->pad, dsize)
		                   : node_area_sane(fp->lower, fp->upper, dsize))) {
			mc->txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
		mx->db.pad = 0;
		mx->db.flags = 0;
		mx->db.depth = 1;
		mx->db.branch_pages = 0;
		mx->db.leaf_pages = 1;
		mx->db.overflow_pages = 0;
		mx->db.entries = numkeys(fp);
		mx->db.root = fp->pgno;
		xc->snum = 1;
		xc->top = 0;
		xc->flags = kCursorInitialized | kCursorSub;
		xc->pg[0] = fp;
		xc->ki[0] = 0;
		if (mc->db->flags & MDB_DUPFIXED) {
			mx->db.flags = MDB_DUPFIXED;
			mx->db.pad = fp->pad;
			if (mc->db->flags & MDB_INTEGERDUP) mx->db.flags |= MDB_INTEGERKEY;
		}
	}
	mx->dbflag = kDbValid | kDbUserValid | kDbDupData;
	if (mx->dbx.cmp == cmp_int && mx->db.pad == sizeof(size_t)) mx->dbx.cmp = cmp_long;
	return MDB_SUCCESS;
}

void xcursor_init2(MDB_cursor *mc, XCursor *src, bool new_dupdata) {
	XCursor *mx = mc->xcursor;
	if (new_dupdata) {
		mx->cursor.snum = 1;
		mx->cursor.top = 0;
		mx->cursor.flags |= kCursorInitialized;
		mx->cursor.ki[0] = 0;
		mx->dbflag = kDbValid | kDbUserValid | kDbDupData;
		mx->dbx.cmp = src->dbx.cmp;
	} else if (!(mx->cursor.flags & kCursorInitialized)) {
		return;
	}
	mx->db = src->db;
	mx->cursor.pg[0] = src->cursor.pg[0];
}

void xcursor_sync_peers(MDB_cursor *mc) {
	if (!mc->xcursor || !(mc->flags & kCursorInitialized) || !mc->snum) return;
	const unsigned top = mc->top;
	for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
		if (m2 == mc || !m2->xcursor || !(m2->flags & kCursorInitialized) || m2->snum < mc->snum) continue;
		if (m2->pg[top] != mc->pg[top] || m2->ki[top] != mc->ki[top]) continue;
		m2->xcursor->db = mc->xcursor->db;
	}
}

void node_shrink(Page *mp, indx_t indx) {
	Node *node = node_at(mp, indx);
	Page *sp = reinterpret_cast<Page *>(node_data(node));
	indx_t delta = indx_t(size_left(sp));
	indx_t nsize = indx_t(node_dsize(node) - delta);
	indx_t len;
	if (is_leaf2(sp)) {
		len = nsize;
		if (nsize & 1) return;  // keep the node even-sized
	} else {
		Page *xp = reinterpret_cast<Page *>(reinterpret_cast<char *>(sp) + delta);
		for (int i = int(numkeys(sp)); --i >= 0;) ptrs(xp)[i] = indx_t(ptrs(sp)[i] - delta);
		len = kPageHdr;
	}
	sp->upper = sp->lower;
	sp->pgno = mp->pgno;
	set_node_dsize(node, nsize);
	char *base = reinterpret_cast<char *>(mp) + mp->upper;
	std::memmove(base + delta, base, size_t(reinterpret_cast<char *>(sp) + len - base));
	indx_t ptr = ptrs(mp)[indx];
	for (int i = int(numkeys(mp)); --i >= 0;) {
		if (ptrs(mp)[i] <= ptr) ptrs(mp)[i] = indx_t(ptrs(mp)[i] + delta);
	}
	mp->upper = indx_t(mp->upper + delta);
}

int dup_first_last(MDB_cursor *mc, MDB_val *key, MDB_val *data, bool last) {
	if (data == nullptr || !(mc->flags & kCursorInitialized)) return EINVAL;
	if (mc->xcursor == nullptr) return MDB_INCOMPATIBLE;
	Page *mp = mc->pg[mc->top];
	if (mc->ki[mc->top] >= numkeys(mp)) {
		mc->ki[mc->top] = indx_t(numkeys(mp));
		return MDB_NOTFOUND;
	}
	mc->flags &= ~kCursorEof;
	if (!node_in_bounds(mc->txn->env, mp, mc->ki[mc->top])) return MDB_CORRUPTED;
	Node *leaf = node_at(mp, mc->ki[mc->top]);
	if (!(leaf->flags & F_DUPDATA)) {
		if (key) *key = node_key_val(leaf);
		return node_read(mc, leaf, data);
	}
	if (!(xcursor_of(mc)->flags & kCursorInitialized)) return EINVAL;
	return last ? cursor_last(xcursor_of(mc), data, nullptr)
	            : cursor_first(xcursor_of(mc), data, nullptr);
}

// Deliver the whole LEAF2 page the sub-cursor is on, leaving it on the
// page's last item.
static int fetch_multiple(MDB_cursor *mc, MDB_val *data) {
	MDB_cursor *mx = xcursor_of(mc);
	Page *p = mx->pg[mx->top];
	// LEAF2 pages were checked to hold numkeys * pad bytes when entered;
	// any other page here is damage (a plain leaf in a DUPFIXED sub-db).
	if (!is_leaf2(p)) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	data->mv_size = size_t(numkeys(p)) * mx->db->pad;
	data->mv_data = page_data(p);
	mx->ki[mx->top] = indx_t(numkeys(p) - 1);
	return MDB_SUCCESS;
}

int dup_multiple(MDB_cursor *mc, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
	int rc;
	// Checked in upstream's order: the data pointer and (GET_MULTIPLE) the
	// position, then the db's flags.
	if (data == nullptr) return EINVAL;
	if (op == MDB_GET_MULTIPLE && !(mc->flags & kCursorInitialized)) return EINVAL;
	if (!(mc->db->flags & MDB_DUPFIXED)) return MDB_INCOMPATIBLE;
	// DUPFIXED without DUPSORT (possible in a record from the file): no
	// sub-cursor, nothing to deliver.
	if (!mc->xcursor) return MDB_INCOMPATIBLE;
	if (op == MDB_GET_MULTIPLE) {
		MDB_cursor *mx = xcursor_of(mc);
		if (!(mx->flags & kCursorInitialized) || (mx->flags & kCursorEof)) return MDB_SUCCESS;
		return fetch_multiple(mc, data);
	}
	if (op == MDB_NEXT_MULTIPLE) {
		rc = cursor_next(mc, key, data, MDB_NEXT_DUP);
		if (rc == MDB_SUCCESS) {
			if (xcursor_of(mc)->flags & kCursorInitialized) return fetch_multiple(mc, data);
			rc = MDB_NOTFOUND;
		}
		return rc;
	}
	// MDB_PREV_MULTIPLE
	rc = (mc->flags & kCursorInitialized) ? MDB_SUCCESS : cursor_last(mc, key, data);
	if (rc == MDB_SUCCESS) {
		MDB_cursor *mx = xcursor_of(mc);
		if (mx->flags & kCursorInitialized) {
			rc = cursor_sibling(mx, false);
			if (rc == MDB_SUCCESS) return fetch_multiple(mc, data);
		} else {
			rc = MDB_NOTFOUND;
		}
	}
	return rc;
}

int cursor_count(MDB_cursor *mc, size_t *countp) {
	if (mc->xcursor == nullptr) return MDB_INCOMPATIBLE;
	if (mc->txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	if (!(mc->flags & kCursorInitialized)) return EINVAL;
	if (!mc->snum) return MDB_NOTFOUND;
	Page *mp = mc->pg[mc->top];
	if (mc->flags & kCursorEof) {
		if (mc->ki[mc->top] >= numkeys(mp)) return MDB_NOTFOUND;
		mc->flags ^= kCursorEof;
	}
	if (mc->ki[mc->top] >= numkeys(mp) || !node_in_bounds(mc->txn->env, mp, mc->ki[mc->top]))
		return MDB_NOTFOUND;
	Node *leaf = node_at(mp, mc->ki[mc->top]);
	if (!(leaf->flags & F_DUPDATA)) {
		*countp = 1;
	} else {
		if (!(xcursor_of(mc)->flags & kCursorInitialized)) return EINVAL;
		*countp = mc->xcursor->db.entries;
	}
	return MDB_SUCCESS;
}

}  // namespace lmdb
