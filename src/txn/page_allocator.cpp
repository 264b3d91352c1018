// Page allocation for write transactions: loose pages, pages reclaimed from
// the free-page database (only records older than every reader), then the
// end of the file.  Also the commit-time saving of the free lists.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "txn/transaction.h"
#include "util/fault.h"

namespace lmdb {

using namespace format;

// ---- reading free-page records ------------------------------------------

// Oldest snapshot any reader may still use; records of txns older than this
// are reusable.
static txnid_t oldest_snapshot(MDB_txn *txn) {
	txnid_t last = txn->txnid - 1;
	return txn->env->locks.oldest_reader(last);
}

// Load the next reusable record of the free db into txn->reclaimed.
// MDB_NOTFOUND when none is left.
static int reclaim_next_record(MDB_txn *txn) {
	txnid_t oldest = oldest_snapshot(txn);
	MDB_cursor mc;
	cursor_init(&mc, txn, kFreeDbi);
	MDB_val key, data;
	int rc;
	txnid_t want = txn->last_reclaimed + 1;
	if (txn->last_reclaimed == 0) {
		rc = cursor_first(&mc, &key, &data);
	} else {
		key.mv_size = sizeof want;
		key.mv_data = &want;
		rc = cursor_set(&mc, &key, &data, MDB_SET_RANGE, nullptr);
	}
	if (rc) return rc;
	if (key.mv_size != sizeof(txnid_t)) return MDB_CORRUPTED;
	txnid_t id;
	std::memcpy(&id, key.mv_data, sizeof id);
	if (id >= oldest || id <= txn->last_reclaimed) return MDB_NOTFOUND;
	if (data.mv_size < sizeof(pgno_t) || data.mv_size % sizeof(pgno_t)) return MDB_CORRUPTED;
	const char *idl = static_cast<const char *>(data.mv_data);  // any alignment
	pgno_t count;
	std::memcpy(&count, idl, sizeof count);
	if (count > data.mv_size / sizeof(pgno_t) - 1) return MDB_CORRUPTED;
	// Validate: in range and strictly descending.
	pgno_t prev = ~pgno_t(0);
	for (pgno_t i = 1; i <= count; i++) {
		pgno_t pg;
		std::memcpy(&pg, idl + i * sizeof(pgno_t), sizeof pg);
		if (pg < kNumMetas || pg >= txn->next_pgno || pg >= prev) return MDB_CORRUPTED;
		prev = pg;
	}
	if ((rc = txn->reclaimed.merge_descending(idl + sizeof(pgno_t), size_t(count)))) return rc;
	txn->last_reclaimed = id;
	return MDB_SUCCESS;
}

inline constexpr size_t kNoRun = ~size_t(0);

// Where `num` (> 1) consecutive pages start in a descending list, lowest
// run first: the index i with rl[i] = pg, rl[i-1] = pg+1, ...; or kNoRun.
static size_t find_run(const PageList &rl, unsigned num) {
	size_t n = rl.size();
	if (n < num) return kNoRun;
	for (size_t i = n - 1; i + 1 >= num; i--) {
		if (rl[i - (num - 1)] == rl[i] + num - 1) return i;
		if (i < num) break;
	}
	return kNoRun;
}

// Take `num` consecutive pages from the reclaimed list (the lowest page
// for a single one); returns the first page number or 0.
static pgno_t take_reclaimed(MDB_txn *txn, unsigned num) {
	PageList &rl = txn->reclaimed;
	size_t n = rl.size();
	if (n < num) return 0;
	if (num == 1) {
		pgno_t pg = rl[n - 1];
		rl.truncate(n - 1);
		return pg;
	}
	size_t i = find_run(rl, num);
	if (i == kNoRun) return 0;
	pgno_t pg = rl[i];
	size_t first = i - (num - 1);
	std::memmove(rl.data() + first, rl.data() + i + 1, (n - i - 1) * sizeof(pgno_t));
	rl.truncate(n - num);
	return pg;
}

int page_alloc(MDB_cursor *mc, unsigned num, Page **out, BufferFill fill) {
	MDB_txn *txn = mc->txn;
	MDB_env *env = txn->env;
	int rc;
	if (num == 1 && txn->loose && !txn->saving_freelist) {
		Page *np = txn->loose;
		std::memcpy(&txn->loose, page_data(np), sizeof(Page *));
		txn->loose_count--;
		np->flags &= uint16_t(~P_LOOSE);
		*out = np;
		return MDB_SUCCESS;
	}
	pgno_t pgno = 0;
	if (txn->saving_freelist) {
		// While the records are written: pages from the reclaimed list only
		// (the record of leftovers is written with what remains).
		pgno = take_reclaimed(txn, num);
	} else {
		for (;;) {
			if ((pgno = take_reclaimed(txn, num))) break;
			rc = reclaim_next_record(txn);
			if (rc == MDB_NOTFOUND) break;
			if (rc) {
				txn->flags |= kTxnError;
				return rc;
			}
		}
	}
	if (!pgno) {
		// The map's last page is never handed out (upstream's bound, kept
		// so that both libraries fill a map with the same data).
		if (txn->next_pgno + num >= env->maxpg) {
			txn->flags |= kTxnError;
			return MDB_MAP_FULL;
		}
		pgno = txn->next_pgno;
		if (txn->flags & kTxnWritemap) {
			if ((rc = env_reserve(env, pgno + num))) {
				txn->flags |= kTxnError;
				return rc;
			}
		}
		txn->next_pgno += num;
	}
	// With MDB_WRITEMAP the page is written in place in the map (never
	// visible to readers before commit: it is not reachable from any
	// committed meta page).
	Page *np = (txn->flags & kTxnWritemap)
	               ? reinterpret_cast<Page *>(env->map + size_t(env->psize) * pgno)
	               : page_buffer_alloc(env, num, fill);
	if (!np) {
		txn->flags |= kTxnError;
		return ENOMEM;
	}
	np->pgno = pgno;
	np->flags = 0;
	if ((rc = txn->dirty.insert(pgno, np))) {
		if (!(txn->flags & kTxnWritemap)) page_buffer_release(env, np);
		txn->flags |= kTxnError;
		return rc;
	}
	*out = np;
	return MDB_SUCCESS;
}

int page_loose(MDB_cursor *mc, Page *mp) {
	MDB_txn *txn = mc->txn;
	bool loose = false;
	if (is_dirty(mp) && mc->dbi != kFreeDbi) {
		if (txn->parent) {
			void *own = txn->dirty.find(mp->pgno);
			if (own) {
				if (own != mp) {
					mc->flags &= ~(kCursorInitialized | kCursorEof);
					txn->flags |= kTxnError;
					return MDB_CORRUPTED;
				}
				loose = true;
			}
		} else {
			loose = true;
		}
	}
	if (loose) {
		std::memcpy(page_data(mp), &txn->loose, sizeof(Page *));
		txn->loose = mp;
		txn->loose_count++;
		mp->flags |= P_LOOSE;
		return MDB_SUCCESS;
	}
	return txn->free_pgs.push(mp->pgno);
}

int free_overflow(MDB_cursor *mc, Page *mp) {
	MDB_txn *txn = mc->txn;
	pgno_t pg = mp->pgno;
	unsigned ovpages = mp->overflow_pages;
	int rc;
	// Allocated by this txn: reusable at once, once the txn has taken pages
	// from the free db (as upstream, which keeps such a run for the commit
	// while its list of reclaimed pages does not exist yet: both libraries
	// then lay out the same pages).
	if (is_dirty(mp) && !txn->parent && !txn->saving_freelist && txn->last_reclaimed != 0 &&
	    txn->dirty.find(pg) == mp) {
		txn->dirty.erase(pg);
		if (!(txn->flags & kTxnWritemap)) page_buffer_release(txn->env, mp);
		pgno_t run[64];
		for (unsigned done = 0; done < ovpages;) {
			unsigned k = ovpages - done < 64 ? ovpages - done : 64;
			// descending order for the merge
			for (unsigned i = 0; i < k; i++) run[i] = pg + ovpages - 1 - done - i;
			if ((rc = txn->reclaimed.merge_descending(run, k))) return rc;
			done += k;
		}
	} else {
		if ((rc = txn->free_pgs.push_range(pg, ovpages))) return rc;
	}
	mc->db->overflow_pages -= ovpages;
	return MDB_SUCCESS;
}

// ---- saving the free lists at commit --------------------------------------

// Through `at` if given (a cursor of the free db), else a cursor of its own.
static int put_free_record(MDB_txn *txn, txnid_t id, size_t words, MDB_val *out, MDB_cursor *at = nullptr) {
	MDB_cursor own;
	if (!at) {
		cursor_init(&own, txn, kFreeDbi);
		at = &own;
	}
	MDB_val key{sizeof id, &id};
	MDB_val data{words * sizeof(pgno_t), nullptr};
	int rc = cursor_put(at, &key, &data, MDB_RESERVE);
	if (rc == 0) *out = data;
	return rc;
}

static void fill_record(const MDB_val &slot, const pgno_t *ids, size_t n) {
	pgno_t count = n;
	std::memcpy(slot.mv_data, &count, sizeof count);
	if (n) std::memcpy(static_cast<char *>(slot.mv_data) + sizeof count, ids, n * sizeof(pgno_t));
}

// The records of the reclaimed pages this txn did not use.  They go back
// under the ids of the records it consumed (all deleted by then, all older
// than every reader): last_reclaimed, last_reclaimed - 1, ...  Each holds at
// most what fits one overflow page, so that writing them never needs a run
// of consecutive pages; only when ids run out does the last take the rest.
struct LeftoverRecords {
	txnid_t top = 0;     // key of the first record
	size_t count = 0;    // number of records (0: none), fixed once chosen
	size_t per = 0;      // page numbers per record (all but the last)

	void plan(const MDB_txn *txn, size_t n) {
		top = txn->last_reclaimed;
		per = (txn->env->psize - kPageHeaderSize) / sizeof(pgno_t) - 1;
		count = (n + per - 1) / per;  // none when all were used (the list only shrinks now)
		if (count > top) count = size_t(top);
	}
	// Page numbers record j holds when the list has n of them.
	size_t share(size_t j, size_t n) const {
		size_t start = j * per;
		if (start >= n) return 0;
		return j + 1 == count ? n - start : std::min(per, n - start);
	}
	// Reserve (fill == false) or write the records for the current list.
	int write(MDB_txn *txn, bool fill) const {
		const PageList &rl = txn->reclaimed;
		for (size_t j = 0; j < count; j++) {
			size_t k = share(j, rl.size());
			MDB_val slot;
			if (int rc = put_free_record(txn, top - j, k + 1, &slot)) return rc;
			if (fill) fill_record(slot, rl.data() + std::min(j * per, rl.size()), k);
		}
		return MDB_SUCCESS;
	}
};

// Writes this txn's record (through `at` if given) and the leftover records
// at their exact sizes, filled; *settled: neither list changed meanwhile,
// so what was written is final.
static int write_exact_records(MDB_txn *txn, const LeftoverRecords &leftovers, MDB_cursor *at, bool *settled) {
	txn->free_pgs.sort_descending();
	const size_t nfree = txn->free_pgs.size(), nrecl = txn->reclaimed.size();
	MDB_val slot;
	if (nfree) {
		if (int rc = put_free_record(txn, txn->txnid, nfree + 1, &slot, at)) return rc;
		fill_record(slot, txn->free_pgs.data(), nfree);
	}
	if (int rc = leftovers.write(txn, true)) return rc;
	*settled = txn->free_pgs.size() == nfree && txn->reclaimed.size() == nrecl;
	return MDB_SUCCESS;
}

// Makes the path to the free db's last leaf writable and leaves `mc` on
// its last item, where this txn's record (the highest id) goes in without
// a search.  An empty free db: nothing to do.
static int touch_last_leaf(MDB_cursor *mc) {
	int rc = page_search(mc, nullptr, kSearchLast | kSearchModify);
	if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
	if (rc) return rc;
	const Page *leaf = mc->pg[mc->top];
	if (!is_leaf(leaf) || is_leaf2(leaf)) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}
	if (unsigned n = numkeys(leaf)) {
		mc->ki[mc->top] = indx_t(n - 1);
		mc->flags |= kCursorInitialized;
	}
	return MDB_SUCCESS;
}

// Room reserved beyond this txn's freed pages in the first write of its
// record (freeing more while the records are written is common: doubled
// until the list fits).
inline constexpr size_t kFirstSlack = 8;

int freelist_save(MDB_txn *txn) {
	MDB_env *env = txn->env;
	int rc;

	// 0. Writing the records (step 3) takes pages only from the reclaimed
	// list.  This txn's own record may need several consecutive pages (a
	// record of more than one page is always an overflow value): find such
	// a run now, reading further reusable records if needed (at most 60 per
	// page needed, the bound upstream's allocator uses), which step 1 then
	// deletes with the others.  Without it the record's pages come from the
	// end of the file, and a file under steady churn keeps growing.
	if (unsigned need =
	        unsigned(overflow_pages_for((txn->free_pgs.size() + 1 + kFirstSlack) * sizeof(pgno_t), env->psize));
	    need > 1) {
		for (unsigned reads = 0; reads < 60 * need && find_run(txn->reclaimed, need) == kNoRun; reads++) {
			rc = reclaim_next_record(txn);
			if (rc == MDB_NOTFOUND) break;
			if (rc) {
				txn->flags |= kTxnError;
				return rc;
			}
		}
	}

	// 1. Delete the records consumed by this txn.
	if (txn->last_reclaimed) {
		MDB_cursor mc;
		cursor_init(&mc, txn, kFreeDbi);
		mc.next = txn->cursors[kFreeDbi];
		txn->cursors[kFreeDbi] = &mc;
		MDB_val key, data;
		for (;;) {
			rc = cursor_first(&mc, &key, &data);
			if (rc == MDB_NOTFOUND) break;
			if (rc) goto untrack;
			txnid_t id;
			if (key.mv_size != sizeof id) {
				rc = MDB_CORRUPTED;
				goto untrack;
			}
			std::memcpy(&id, key.mv_data, sizeof id);
			if (id > txn->last_reclaimed) break;
			if ((rc = cursor_del(&mc, 0))) goto untrack;
			// Records are consumed in key order: none is left past this one.
			if (id == txn->last_reclaimed) break;
		}
		rc = MDB_SUCCESS;
	untrack:
		txn->cursors[kFreeDbi] = mc.next;
		if (rc) return rc;
	}

	// 2. Loose pages were never written: reusable at once.
	while (txn->loose) {
		Page *p = txn->loose;
		std::memcpy(&txn->loose, page_data(p), sizeof(Page *));
		pgno_t pg = p->pgno;
		txn->dirty.erase(pg);
		if (!(txn->flags & kTxnWritemap)) page_buffer_release(env, p);
		if ((rc = txn->reclaimed.merge_descending(&pg, 1))) return rc;
	}
	txn->loose_count = 0;
	if (txn->last_reclaimed == 0 && !txn->reclaimed.empty()) {
		// No consumed record id to store them under: list them as freed
		// by this txn.
		if ((rc = txn->free_pgs.append(txn->reclaimed))) return rc;
		txn->reclaimed.clear();
	}

	// 3. Write the records.  Writing them allocates pages (taken from the
	// reclaimed list, so the leftovers shrink) and can free pages
	// (copy-on-write of the free db, so free_pgs grows).  First pass:
	// reserve with slack until both lists fit what was reserved; then write
	// the exact lists, which no longer allocates anything.  The number of
	// leftover records is chosen once, before the lists change: a record of
	// the first pass is never left behind stale by a later one.
	txn->saving_freelist = true;
	LeftoverRecords leftovers;
	if (txn->last_reclaimed != 0) leftovers.plan(txn, txn->reclaimed.size());
	// The common case first, upstream's way: with the path to the free db's
	// last leaf (where this txn's record goes: the highest id) writable
	// already, writing the exact lists once frees nothing and takes no page
	// (unless a leaf splits).  Kept when neither list changed meanwhile;
	// otherwise the general scheme below writes every record again.  The
	// record goes in through a cursor left on the last item, which finds
	// its place without a search.  (No record of its own, no touch: as
	// upstream, a txn that freed nothing leaves the last leaf alone.)
	{
		MDB_cursor mc;
		cursor_init(&mc, txn, kFreeDbi);
		if (!txn->free_pgs.empty() && (rc = touch_last_leaf(&mc))) return rc;
		bool settled = false;
		if ((rc = write_exact_records(txn, leftovers, &mc, &settled))) return rc;
		if (settled) return MDB_SUCCESS;
	}
	size_t slack = kFirstSlack;
	for (;;) {
		size_t nfree = txn->free_pgs.size();
		MDB_val slot;
		if (nfree) {
			if ((rc = put_free_record(txn, txn->txnid, nfree + 1 + slack, &slot))) return rc;
		}
		size_t nrecl = txn->reclaimed.size();
		if ((rc = leftovers.write(txn, false))) return rc;
		if (txn->free_pgs.size() <= nfree + slack && (nfree || txn->free_pgs.empty()) &&
		    txn->reclaimed.size() <= nrecl)
			break;
		slack *= 2;
	}
	for (int pass = 0;; pass++) {
		bool settled = false;
		if ((rc = write_exact_records(txn, leftovers, nullptr, &settled))) return rc;
		if (settled) break;
		if (pass > 64) return MDB_CORRUPTED;  // cannot settle: never expected
	}
	return MDB_SUCCESS;
}

}  // namespace lmdb
