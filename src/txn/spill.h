// Spilling: a write transaction whose dirty pages pass a budget writes some
// of them to the data file early (they are not reachable from any committed
// meta page, so readers never see them) and frees their buffers, keeping
// resident memory bounded however much the transaction writes.  A spilled
// page that is modified again is read back from the map ("unspilled").
#pragma once

#include <atomic>

#include "btree/cursor.h"
#include "txn/transaction.h"

namespace lmdb {

// Dirty pages a top-level write transaction may hold in memory before it
// spills (upstream's budget: 2^17 - 1 pages).
inline constexpr size_t kDefaultDirtyLimit = (1u << 17) - 1;

// The budget of the process (set_dirty_limit).
inline std::atomic<size_t> g_dirty_limit{kDefaultDirtyLimit};

// Test hook: change the budget of the process (0 restores the default).
void set_dirty_limit(size_t pages);
inline size_t dirty_limit() { return g_dirty_limit.load(std::memory_order_relaxed); }

// The part of spill_if_needed past its first test (spill.cpp).
int spill_if_near_limit(MDB_cursor *mc, const MDB_val *key, const MDB_val *data);

// Called before a put (key and data) or delete (both null) through mc,
// which may dirty the pages of its path and of the item.  A txn far below
// its budget (a small txn's case) never spills: that test is inline, as
// it runs on every put and delete.  Pages are at least 512 bytes, so
// bytes >> 9 bounds the item's pages without a division.
inline int spill_if_needed(MDB_cursor *mc, const MDB_val *key, const MDB_val *data) {
	const MDB_txn *txn = mc->txn;
	if ((mc->flags & kCursorSub) || txn->parent || (txn->flags & kTxnWritemap)) return MDB_SUCCESS;
	size_t need = mc->db->depth;
	if (mc->dbi >= format::kCoreDbs) need += txn->dbs[format::kMainDbi].depth;
	const size_t bytes =
	    key ? kNodeHdr + key->mv_size + (data ? data->mv_size : 0) + txn->env->psize : 0;
	if (txn->dirty.size() + 2 * (need + (bytes >> 9)) < dirty_limit()) return MDB_SUCCESS;
	return spill_if_near_limit(mc, key, data);
}
// If mp (a clean-looking page) was spilled by this txn, bring it back as a
// dirty page with the same number; *out is null when it was not spilled.
int unspill(MDB_txn *txn, Page *mp, Page **out);

}  // namespace lmdb
