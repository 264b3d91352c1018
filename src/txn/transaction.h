// Transactions: a read snapshot, or the single write transaction with its
// dirty pages, freed pages and reclaimed free pages.
#pragma once

#include <cstdint>

#include "btree/page_access.h"
#include "env/environment.h"
#include "txn/dirty_pages.h"
#include "txn/page_list.h"
#include "txn/page_set.h"

namespace lmdb {

using format::DbRecord;

// MDB_txn::flags (internal bits besides MDB_RDONLY / MDB_WRITEMAP).
inline constexpr unsigned kTxnFinished = 0x01;
inline constexpr unsigned kTxnError = 0x02;
inline constexpr unsigned kTxnDirty = 0x04;     // db records changed without dirty pages
inline constexpr unsigned kTxnSpills = 0x08;
inline constexpr unsigned kTxnHasChild = 0x10;
// The handle's txn ended and the block is kept for reuse (txn_retire): no
// call may do anything with it but answer an error.
inline constexpr unsigned kTxnDead = 0x40;
inline constexpr unsigned kTxnRdonly = MDB_RDONLY;
inline constexpr unsigned kTxnWritemap = MDB_WRITEMAP;
inline constexpr unsigned kTxnBlocked = kTxnFinished | kTxnError | kTxnHasChild;

// MDB_txn::dbflags
inline constexpr uint8_t kDbDirty = 0x01;    // record must be written at commit
inline constexpr uint8_t kDbStale = 0x02;    // record must be re-read before use
inline constexpr uint8_t kDbNew = 0x04;      // handle opened in this txn
inline constexpr uint8_t kDbValid = 0x08;    // handle usable in this txn
inline constexpr uint8_t kDbUserValid = 0x10;// handle usable by the caller
inline constexpr uint8_t kDbDupData = 0x20;  // the db is a dup sub-db

}  // namespace lmdb

struct MDB_txn {
	MDB_env *env = nullptr;
	MDB_txn *parent = nullptr;
	MDB_txn *child = nullptr;
	unsigned flags = 0;
	lmdb::txnid_t txnid = 0;
	lmdb::pgno_t next_pgno = 0;     // first page past the end of the used area

	unsigned numdbs = 0;
	lmdb::DbRecord *dbs = nullptr;  // [env->maxdbs]
	uint8_t *dbflags = nullptr;     // [env->maxdbs]
	unsigned *dbiseqs = nullptr;    // [env->maxdbs]; borrowed unless owns_dbiseqs
	bool owns_dbiseqs = true;
	MDB_cursor **cursors = nullptr; // [env->maxdbs], write txns only
	lmdb::DbAux *dbxs = nullptr;    // env->dbxs

	lmdb::lock::ReaderSlot *reader = nullptr;
	// Read txns: the cursors mdb_cursor_open gave out on this txn (linked
	// through MDB_cursor::next).  When the txn is freed they are pointed
	// at kEndedTxn, so that using one answers MDB_BAD_TXN.
	MDB_cursor *ro_cursors = nullptr;
	// The leaf page the last search by key went to (not prefetched again).
	lmdb::pgno_t last_leaf = lmdb::format::kInvalidPgno;
	MDB_txn *next_dead = nullptr;   // link in a list of retired txns (txn_retire)

	// Write transactions only.
	lmdb::DirtyPages dirty;
	lmdb::PageSet spilled;          // pages of this txn already written early
	lmdb::PageList free_pgs;        // pages this txn freed (for the free db)
	lmdb::PageList reclaimed;       // reusable pages taken from the free db (descending)
	lmdb::txnid_t last_reclaimed = 0;  // highest free-db record consumed
	lmdb::Page *loose = nullptr;    // dirty pages freed again in this txn
	unsigned loose_count = 0;
};

namespace lmdb {

// The page with number pg as seen by txn; MDB_PAGE_NOTFOUND / MDB_CORRUPTED.
// (btree/navigate.cpp; page_get below is its inline fast path.)
int page_get_general(MDB_txn *txn, pgno_t pg, Page **out);
// The common case inline: a read-only txn, or a top-level write txn
// without WRITEMAP (its own dirty copy first), and a plain branch or leaf
// page of the file (exactly that flag) with its node area inside it, or a
// run of overflow pages inside the snapshot and the file.  Anything else
// takes the general path, which makes the same checks and more.
inline int page_get(MDB_txn *txn, pgno_t pg, Page **out) {
	const unsigned tf = txn->flags;
	if (!(tf & kTxnRdonly)) {
		if ((tf & kTxnWritemap) || txn->parent) return page_get_general(txn, pg, out);
		if (void *d = txn->dirty.find(pg)) {
			*out = static_cast<Page *>(d);
			return MDB_SUCCESS;
		}
	}
	{
		const MDB_env *env = txn->env;
		const uint64_t file_pages = env->file_pages.load(std::memory_order_relaxed);
		if (pg < txn->next_pgno && pg >= format::kNumMetas && pg < file_pages) {
			Page *p = reinterpret_cast<Page *>(env->map + size_t(env->psize) * pg);
			unsigned f = p->flags;
			if (p->pgno == pg) {
				if (f == format::P_LEAF || f == format::P_BRANCH) {
					unsigned lower = p->lower, upper = p->upper;
					if (node_area_sane(lower, upper, env->psize)) {
						*out = p;
						return MDB_SUCCESS;
					}
				} else if (f == format::P_OVERFLOW) {
					uint64_t n = p->overflow_pages;
					if (n >= 1 && n <= txn->next_pgno - pg && n <= file_pages - pg &&
					    n <= format::max_overflow_pages(env->psize)) {
						*out = p;
						return MDB_SUCCESS;
					}
				}
			}
		}
	}
	return page_get_general(txn, pg, out);
}
// Start loading page pg of the map into the cache, all of it: a search in
// a leaf probes nodes spread over the whole page, one dependent miss after
// another; requested together they arrive in about one memory latency.
// (Prefetches never fault; the page is checked by page_get as usual.)
inline void prefetch_lines(const void *start, size_t len) {
	const char *p = static_cast<const char *>(start);
	for (size_t off = 0; off < len; off += 64) __builtin_prefetch(p + off, 0, 3);
}
inline void page_prefetch(const MDB_env *env, pgno_t pg) {
	if (pg >= env->file_pages.load(std::memory_order_relaxed)) return;
	prefetch_lines(env->map + size_t(env->psize) * pg, env->psize);
}
// Allocate `num` contiguous pages for writing (dirty; the buffer as
// page_buffer_alloc's `fill` says, a page of the map as the map holds it
// under MDB_WRITEMAP, a loose page as this txn left it).
int page_alloc(MDB_cursor *mc, unsigned num, Page **out, BufferFill fill = BufferFill::kZero);
// Put a page that this txn allocated back for reuse within the txn, or
// onto the txn's free list otherwise.
int page_loose(MDB_cursor *mc, Page *mp);
int free_overflow(MDB_cursor *mc, Page *mp);
int freelist_save(MDB_txn *txn);

// Stands in for a txn that has ended and been freed, in the cursors that
// outlive it (read-txn cursors the caller has not closed yet, and
// write-txn cursors after the txn ended): flags kTxnFinished, no env.
extern MDB_txn *const kEndedTxn;

inline bool txn_dbi_exists(const MDB_txn *txn, MDB_dbi dbi, uint8_t validity) {
	return txn && dbi < txn->numdbs && (txn->dbflags[dbi] & validity);
}
inline bool txn_dbi_changed(const MDB_txn *txn, MDB_dbi dbi) {
	return txn->dbiseqs[dbi] != txn->env->dbiseqs[dbi];
}

}  // namespace lmdb
