#include "txn/spill.h"
#include "txn/page_writer.h"

#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "btree/cursor.h"
#include "btree/dupsort.h"

namespace lmdb {

using namespace format;

void set_dirty_limit(size_t pages) { g_dirty_limit = pages ? pages : kDefaultDirtyLimit; }

// Mark (or unmark) the pages in the stacks of every cursor of the txn, so
// that pages a cursor points into are never spilled.
static void keep_cursor_pages(MDB_txn *txn, MDB_cursor *m0, bool set) {
	auto mark = [&](MDB_cursor *mc) {
		for (; mc; mc = mc->xcursor ? &mc->xcursor->cursor : nullptr) {
			if (!(mc->flags & kCursorInitialized) && mc->snum == 0) break;
			for (unsigned i = 0; i < mc->snum && i < kCursorStack; i++) {
				Page *p = mc->pg[i];
				if (!p || is_subpage(p) || !is_dirty(p)) continue;
				if (set)
					p->flags |= P_KEEP;
				else
					p->flags &= uint16_t(~P_KEEP);
			}
			if (!mc->xcursor) break;
		}
	};
	mark(m0);
	for (unsigned i = 0; i < txn->numdbs; i++)
		for (MDB_cursor *mc = txn->cursors[i]; mc; mc = mc->next) mark(mc);
}

int spill_if_near_limit(MDB_cursor *mc, const MDB_val *key, const MDB_val *data) {
	MDB_txn *txn = mc->txn;
	MDB_env *env = txn->env;
	size_t need = mc->db->depth;
	if (mc->dbi >= kCoreDbs) need += txn->dbs[kMainDbi].depth;
	const size_t limit = dirty_limit();
	const size_t bytes = key ? kNodeHdr + key->mv_size + (data ? data->mv_size : 0) + env->psize : 0;
	need = 2 * (need + bytes / env->psize);
	if (txn->dirty.size() + need < limit) return MDB_SUCCESS;

	keep_cursor_pages(txn, mc, true);
	size_t k = 0;
	PageRef *items = collect_dirty_pages(
	    txn, [](Page *dp) { return !(dp->flags & (P_KEEP | P_LOOSE)); }, &k);
	if (!items) {
		keep_cursor_pages(txn, mc, false);
		return ENOMEM;
	}
	// Spill an eighth of the budget, the highest page numbers (the pages
	// this txn allocated last).  Every page left dirty is one a later put
	// may find in memory; a spilled page it needs again is read back through
	// the map, which then stays resident.  Spilling half the budget at a
	// time (from the lowest numbers) read back so many that peak RSS of a
	// 10M-key random fill was 10% above upstream's, against +1% now.
	size_t want = std::min(k, std::max(need, limit / 8));
	take_highest_page_refs(items, k, want);
	int rc = write_sorted_pages(env, items, want, nullptr);
	if (!rc) {
		for (size_t i = 0; i < want && !rc; i++) {
			Page *p = items[i].page;
			rc = txn->spilled.insert(items[i].pgno);
			if (rc) break;
			txn->dirty.erase(items[i].pgno);
			page_buffer_release(env, p);
		}
		txn->flags |= kTxnSpills;
	} else {
		for (size_t i = 0; i < want; i++) items[i].page->flags |= P_DIRTY;
	}
	std::free(items);
	keep_cursor_pages(txn, mc, false);
	if (rc) txn->flags |= kTxnError;
	return rc;
}

int unspill(MDB_txn *txn, Page *mp, Page **out) {
	*out = nullptr;
	if (!(txn->flags & kTxnSpills) || !txn->spilled.contains(mp->pgno)) return MDB_SUCCESS;
	unsigned npages = is_overflow(mp) ? mp->overflow_pages : 1;
	Page *np = page_buffer_alloc(txn->env, npages, BufferFill::kCallerFills);  // copied whole
	if (!np) return ENOMEM;
	std::memcpy(np, mp, size_t(txn->env->psize) * npages);
	int rc = txn->dirty.insert(mp->pgno, np);
	if (rc) {
		page_buffer_release(txn->env, np);
		return rc;
	}
	txn->spilled.erase(mp->pgno);
	np->flags |= P_DIRTY;
	*out = np;
	return MDB_SUCCESS;
}

}  // namespace lmdb
