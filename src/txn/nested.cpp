// Nested write transactions.  A child starts from its parent's state: the
// db records, the reclaimed free pages (a copy), and the parent's cursors,
// which are backed up and then follow the child.  Its own dirty pages shadow
// the parent's; reads fall through to the parent's dirty pages and then the
// map.  Commit merges everything into the parent; abort restores the
// parent's cursors and drops the child's pages.
#include <cerrno>
#include <cstring>
#include <new>

#include "util/heap.h"
#include "btree/cursor.h"
#include "db/cursor_box.h"
#include "txn/txn_ops.h"

namespace lmdb {

// Let the child's cursor lists take over the parent's cursors, keeping a
// backup of each for an abort.
static int cursor_shadow(MDB_txn *src, MDB_txn *dst) {
	for (unsigned i = src->numdbs; i-- > 0;) {
		MDB_cursor *mc = src->cursors[i];
		while (mc) {
			CursorBox *bk = heap_new<CursorBox>();
			if (!bk) return ENOMEM;
			bk->c = *mc;
			if (mc->xcursor) bk->x = *mc->xcursor;
			MDB_cursor *next = mc->next;
			mc->backup = &bk->c;
			mc->db = &dst->dbs[i];
			mc->txn = dst;
			mc->dbflag = &dst->dbflags[i];
			if (mc->xcursor) mc->xcursor->cursor.txn = dst;
			mc->next = dst->cursors[i];
			dst->cursors[i] = mc;
			mc = next;
		}
	}
	return MDB_SUCCESS;
}

int nested_txn_begin(MDB_txn *parent, MDB_txn **ret) {
	MDB_env *env = parent->env;
	MDB_txn *txn = txn_alloc(env, true);
	if (!txn) return ENOMEM;
	txn->dbiseqs = parent->dbiseqs;  // its own array is part of the txn's block
	txn->owns_dbiseqs = false;
	txn->flags = parent->flags & ~(kTxnDirty | kTxnSpills);
	txn->txnid = parent->txnid;
	txn->next_pgno = parent->next_pgno;
	txn->parent = parent;
	txn->numdbs = parent->numdbs;
	std::memcpy(txn->dbs, parent->dbs, txn->numdbs * sizeof(DbRecord));
	for (unsigned i = 0; i < txn->numdbs; i++) txn->dbflags[i] = parent->dbflags[i] & uint8_t(~kDbNew);
	int rc = txn->reclaimed.append(parent->reclaimed);
	txn->last_reclaimed = parent->last_reclaimed;
	parent->flags |= kTxnHasChild;
	parent->child = txn;
	if (!rc) rc = cursor_shadow(parent, txn);
	if (rc) {
		txn_end(txn, kEndFailBeginChild | kEndFree);
		return rc;
	}
	*ret = txn;
	return MDB_SUCCESS;
}

void nested_txn_detach(MDB_txn *txn) {
	MDB_txn *parent = txn->parent;
	parent->child = nullptr;
	parent->flags &= ~kTxnHasChild;
}

int nested_txn_commit(MDB_txn *txn) {
	MDB_txn *parent = txn->parent;
	MDB_env *env = txn->env;
	int rc = parent->free_pgs.append(txn->free_pgs);
	if (rc) {
		txn_abort(txn);
		return rc;
	}
	parent->next_pgno = txn->next_pgno;
	// The child's state, keeping what the parent had already: a change with
	// no dirty page (e.g. mdb_drop(0)) must still be committed, and pages the
	// parent spilled are still spilled (the child starts without both marks).
	parent->flags = txn->flags | (parent->flags & (kTxnDirty | kTxnSpills));

	cursors_close(txn, true);

	std::memcpy(parent->dbs, txn->dbs, txn->numdbs * sizeof(DbRecord));
	parent->numdbs = txn->numdbs;
	parent->dbflags[format::kFreeDbi] = txn->dbflags[format::kFreeDbi];
	parent->dbflags[format::kMainDbi] = txn->dbflags[format::kMainDbi];
	for (unsigned i = format::kCoreDbs; i < txn->numdbs; i++)
		parent->dbflags[i] = uint8_t(txn->dbflags[i] | (parent->dbflags[i] & kDbNew));

	// The child's dirty pages replace the parent's copies (a replacement
	// never allocates).  If the parent's table cannot grow, the child's pages
	// it did not take are freed here and the parent fails: its abort frees
	// what its table holds, each page once.
	auto release = [env](void *p) { page_buffer_release(env, static_cast<Page *>(p)); };
	txn->dirty.for_each([&](pgno_t pg, void *p) {
		if (rc) {
			release(p);
			return;
		}
		void *old = parent->dirty.find(pg);
		if (old == p) return;
		if ((rc = parent->dirty.insert(pg, p))) {
			release(p);
			return;
		}
		if (old) release(old);
	});
	txn->dirty.clear();
	if (rc) parent->flags |= kTxnError;

	// Loose pages, reclaimed pages and the consumed records move up.
	Page **lp = &parent->loose;
	while (*lp) lp = reinterpret_cast<Page **>(page_data(*lp));
	std::memcpy(lp, &txn->loose, sizeof(Page *));
	parent->loose_count += txn->loose_count;
	txn->loose = nullptr;
	txn->loose_count = 0;
	parent->reclaimed.swap(txn->reclaimed);
	parent->last_reclaimed = txn->last_reclaimed;

	parent->child = nullptr;
	txn_retire(txn);
	return rc;
}

}  // namespace lmdb
