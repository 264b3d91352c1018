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
	if (num == 1 && txn->loose) {
		Page *np = txn->loose;
		std::memcpy(&txn->loose, page_data(np), sizeof(Page *));
		txn->loose_count--;
		np->flags &= uint16_t(~P_LOOSE);
		*out = np;
		return MDB_SUCCESS;
	}
	// The reclaimed list first (its lowest page, or its lowest run of
	// `num`), reading further reusable records while it falls short.  A run
	// is searched for at most 60 times a page wanted, each after one more
	// record, before the end of the file is taken instead: upstream's
	// bound, so that both libraries lay out the same pages.
	pgno_t pgno = 0;
	int retry = int(num) * 60;
	for (;;) {
		if (txn->reclaimed.size() > num - 1) {
			if ((pgno = take_reclaimed(txn, num))) break;
			if (--retry < 0) break;
		}
		rc = reclaim_next_record(txn);
		if (rc == MDB_NOTFOUND) break;
		if (rc) {
			txn->flags |= kTxnError;
			return rc;
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
	// Taken by this txn (dirty, or written early by a spill) once it has
	// reclaimed pages from the free db: reusable at once, back onto the
	// reclaimed list (as upstream does; before any record was read there
	// is no such list, and the run goes with the pages this txn freed).
	// Not in child txns: their parents' lists would still hold the pages.
	bool own = false;
	if (!txn->parent && txn->last_reclaimed != 0) {
		if (is_dirty(mp) && txn->dirty.find(pg) == mp) {
			txn->dirty.erase(pg);
			if (!(txn->flags & kTxnWritemap)) page_buffer_release(txn->env, mp);
			own = true;
		} else if (!is_dirty(mp) && txn->spilled.contains(pg)) {
			txn->spilled.erase(pg);
			own = true;
		}
	}
	if (own) {
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

// A record of `words` page-number slots under `id`, reserved through `mc`
// (a cursor of the free db); *out: its data.
static int put_free_record(MDB_cursor *mc, txnid_t id, size_t words, MDB_val *out) {
	MDB_val key{sizeof id, &id};
	MDB_val data{words * sizeof(pgno_t), nullptr};
	int rc = cursor_put(mc, &key, &data, MDB_RESERVE);
	if (rc == 0) *out = data;
	return rc;
}

static void fill_record(const MDB_val &slot, const pgno_t *ids, size_t n) {
	pgno_t count = n;
	std::memcpy(slot.mv_data, &count, sizeof count);
	if (n) std::memcpy(static_cast<char *>(slot.mv_data) + sizeof count, ids, n * sizeof(pgno_t));
}

// Unlinks the txn's loose pages (each a dirty page no longer used) and
// hands their numbers to `add`; their buffers go back.
template <class Add>
static int drop_loose_pages(MDB_txn *txn, Add add) {
	while (txn->loose) {
		Page *p = txn->loose;
		std::memcpy(&txn->loose, page_data(p), sizeof(Page *));
		pgno_t pg = p->pgno;
		txn->dirty.erase(pg);
		if (!(txn->flags & kTxnWritemap)) page_buffer_release(txn->env, p);
		if (int rc = add(pg)) return rc;
	}
	txn->loose_count = 0;
	return MDB_SUCCESS;
}

// Saves the free lists at commit, with upstream's algorithm step for step,
// so that both libraries reuse the same pages and a file grows alike:
//  - the records this txn consumed (ids up to last_reclaimed) are deleted,
//    first to last, each time more were consumed;
//  - the pages this txn freed go under its own id, at the free db's end,
//    reserved at their exact number and again whenever writing grew it;
//  - the reclaimed pages it did not use (and its loose pages) go back
//    under the consumed ids, counting down from last_reclaimed: records
//    reserved (one at a time, amortised over the ids left when more than
//    a page's worth remains) until their room covers the list, then
//    filled from the lowest id with the lowest pages.
// Writing a record can take pages (from the loose and reclaimed lists,
// which shrink, or further records, which are then deleted too) and free
// pages (copy-on-write of the free db's pages, onto free_pgs): each step
// starts again until nothing changed.
int freelist_save(MDB_txn *txn) {
	MDB_env *env = txn->env;
	const ptrdiff_t maxfree_1pg = ptrdiff_t(env->maxfree_1pg);
	int rc;
	MDB_cursor mc;
	cursor_init(&mc, txn, kFreeDbi);

	if (txn->last_reclaimed != 0) {
		// The first leaf, where consumed records are deleted, is made
		// writable first (its old page goes onto free_pgs now).
		rc = page_search(&mc, nullptr, kSearchFirst | kSearchModify);
		if (rc && rc != MDB_NOTFOUND) return rc;
	} else if (txn->loose) {
		// No reclaimed list to give them back to: freed by this txn.
		if ((rc = drop_loose_pages(txn, [txn](pgno_t pg) { return txn->free_pgs.push(pg); }))) return rc;
	}

	txnid_t deleted_to = 0, head_id = 0;
	size_t saved_free = 0;  // free_pgs entries the own record was reserved for
	int more = 1;
	ptrdiff_t head_room = 0, total_room = 0, want = 0;
	for (;;) {
		// Consumed records (and leftover records reserved before more
		// were consumed: they are re-planned below).
		while (deleted_to < txn->last_reclaimed) {
			MDB_val key, data;
			if ((rc = cursor_first(&mc, &key, &data))) return rc;
			if (key.mv_size != sizeof(txnid_t)) return MDB_CORRUPTED;
			std::memcpy(&deleted_to, key.mv_data, sizeof deleted_to);
			if (deleted_to > txn->last_reclaimed) return MDB_CORRUPTED;
			head_id = deleted_to;
			total_room = head_room = 0;
			if ((rc = cursor_del(&mc, 0))) return rc;
		}
		// This txn's own record.
		if (saved_free < txn->free_pgs.size()) {
			if (saved_free == 0) {
				rc = page_search(&mc, nullptr, kSearchLast | kSearchModify);
				if (rc && rc != MDB_NOTFOUND) return rc;
			}
			MDB_val slot;
			do {
				saved_free = txn->free_pgs.size();
				if ((rc = put_free_record(&mc, txn->txnid, saved_free + 1, &slot))) return rc;
			} while (saved_free < txn->free_pgs.size());
			txn->free_pgs.sort_descending();
			fill_record(slot, txn->free_pgs.data(), saved_free);
			continue;
		}
		// Room for the leftovers.
		want = ptrdiff_t(txn->reclaimed.size() + txn->loose_count);
		if (total_room >= want) {
			if (total_room == want || --more < 0) break;
		} else if (head_room >= maxfree_1pg && head_id > 1) {
			// Keep that record (an overflow value), start the next id.
			head_id--;
			head_room = 0;
		}
		total_room -= head_room;
		head_room = want - total_room;
		if (head_room > maxfree_1pg && head_id > 1) {
			// Several records: share out, each a whole number of pages.
			head_room /= ptrdiff_t(head_id);
			head_room += maxfree_1pg - head_room % (maxfree_1pg + 1);
		} else if (head_room < 0) {
			head_room = 0;  // a record left empty (rare)
		}
		MDB_val slot;
		if ((rc = put_free_record(&mc, head_id, size_t(head_room) + 1, &slot))) return rc;
		std::memset(slot.mv_data, 0, slot.mv_size);  // empty until filled below
		total_room += head_room;
	}

	// Loose pages left over join the reclaimed list (never written).
	if (txn->loose) {
		rc = drop_loose_pages(txn, [txn](pgno_t pg) { return txn->reclaimed.merge_descending(&pg, 1); });
		if (rc) return rc;
		want = ptrdiff_t(txn->reclaimed.size());
	}

	// Fill the leftover records from the lowest id, the lowest pages first;
	// each is cut to what it gets (the last may be left with fewer, or
	// records none at all).
	if (want > 0) {
		const PageList &rl = txn->reclaimed;
		size_t left = rl.size();
		MDB_val key, data;
		for (rc = cursor_first(&mc, &key, &data); rc == MDB_SUCCESS; rc = cursor_next(&mc, &key, &data, MDB_NEXT)) {
			txnid_t id;
			if (key.mv_size != sizeof id || data.mv_size < sizeof(pgno_t)) return MDB_CORRUPTED;
			std::memcpy(&id, key.mv_data, sizeof id);
			if (id > txn->last_reclaimed) return MDB_CORRUPTED;
			size_t len = data.mv_size / sizeof(pgno_t) - 1;
			if (len > left) len = left;
			left -= len;
			// The record holds rl[left .. left + len), descending.
			MDB_val rec{(len + 1) * sizeof(pgno_t), nullptr};
			MDB_val k{sizeof id, &id};
			if ((rc = cursor_put(&mc, &k, &rec, MDB_CURRENT | MDB_RESERVE))) return rc;
			fill_record(rec, rl.data() + left, len);
			if (left == 0) break;
		}
		if (rc) return rc;
	}
	return MDB_SUCCESS;
}

}  // namespace lmdb
