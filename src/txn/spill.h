// Spilling: a write transaction whose dirty pages pass a budget writes some
// of them to the data file early (they are not reachable from any committed
// meta page, so readers never see them) and frees their buffers, keeping
// resident memory bounded however much the transaction writes.  A spilled
// page that is modified again is read back from the map ("unspilled").
#pragma once

#include "txn/transaction.h"

namespace lmdb {

// Dirty pages a top-level write transaction may hold in memory before it
// spills (upstream's budget: 2^17 - 1 pages).
inline constexpr size_t kDefaultDirtyLimit = (1u << 17) - 1;

// Test hook: change the budget of the process (0 restores the default).
void set_dirty_limit(size_t pages);
size_t dirty_limit();

// Called before a put or delete through mc that may dirty `need` pages.
int spill_if_needed(MDB_cursor *mc, const MDB_val *key, const MDB_val *data);
// If mp (a clean-looking page) was spilled by this txn, bring it back as a
// dirty page with the same number; *out is null when it was not spilled.
int unspill(MDB_txn *txn, Page *mp, Page **out);

}  // namespace lmdb
