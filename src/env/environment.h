// The environment: one data file, its memory map and meta pages, the lock
// table, and the per-database handle table shared by its transactions.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "btree/page_access.h"
#include "btree/position_marks.h"
#include "format/layout.h"
#include "lmdb.h"
#include "lock/lock_table.h"
#include "txn/page_buffers.h"
#include "util/file.h"

namespace lmdb {

// Per-handle information about a database that is not stored on disk.
struct DbAux {
	MDB_val name{0, nullptr};       // owned copy of the name (named dbs)
	MDB_cmp_func *cmp = nullptr;     // key order
	MDB_cmp_func *dcmp = nullptr;    // duplicate order (DUPSORT)
	MDB_rel_func *rel = nullptr;     // stored, never called
	void *relctx = nullptr;
};

// Internal environment flags, above the public ones.
inline constexpr unsigned kEnvFatalError = 0x80000000u;
inline constexpr unsigned kEnvActive = 0x20000000u;
// Marks a valid entry in MDB_env::dbflags (above the persistent db flags).
inline constexpr unsigned kDbHandleValid = 0x8000u;

// Flags a caller may pass to mdb_env_open / mdb_env_set_flags.
inline constexpr unsigned kEnvOpenFlags = MDB_FIXEDMAP | MDB_NOSUBDIR | MDB_NOSYNC | MDB_RDONLY |
                                          MDB_NOMETASYNC | MDB_WRITEMAP | MDB_MAPASYNC |
                                          MDB_NOTLS | MDB_NOLOCK | MDB_NORDAHEAD |
                                          MDB_NOMEMINIT;
inline constexpr unsigned kEnvChangeableFlags =
    MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_NOMEMINIT;

}  // namespace lmdb

struct MDB_env {
	unsigned flags = 0;
	unsigned psize = 0;       // page size of the data file
	unsigned os_psize = 0;    // OS page size
	unsigned maxreaders = 126;
	unsigned maxdbs = lmdb::format::kCoreDbs;   // includes the two core dbs
	unsigned numdbs = lmdb::format::kCoreDbs;   // handles in use (high-water mark)
	size_t mapsize = 0;       // 0: not configured
	lmdb::pgno_t maxpg = 0;   // pages that fit in the map
	// MDB_WRITEMAP: pages [0, reserved_pages) of the data file have their
	// blocks (posix_fallocate): written through the map, a page in a hole
	// of a full file system is SIGBUS.  Writer only.
	lmdb::pgno_t reserved_pages = 0;
	// Whole pages the data file is known to hold: pages past it are not
	// read from the map (SIGBUS).  Grows, re-read by fstat when needed.
	std::atomic<uint64_t> file_pages{0};
	unsigned nodemax = 0;     // largest node stored inline in a leaf
	unsigned maxfree_1pg = 0; // page numbers fitting in one page of a free record

	// A failed mdb_env_open got as far as opening the data file: the
	// handle cannot be opened again (EINVAL, as upstream).
	bool open_spent = false;
	char *path = nullptr;     // as given to mdb_env_open
	lmdb::os::FileHandle fd;  // data file
	// The data file again, write-only with O_DSYNC: synced commits write the
	// meta page through it (one system call; upstream does the same).  Not
	// open for read-only envs, nor with MDB_WRITEMAP if it could not be
	// opened (then the meta page is written through `fd` and synced with
	// fdatasync); without MDB_WRITEMAP that fails the open, as upstream.
	lmdb::os::FileHandle meta_fd;
	char *map = nullptr;      // mapping of the data file
	lmdb::format::Meta *metas[2] = {nullptr, nullptr};
	lmdb::lock::LockTable locks;
	pid_t pid = 0;

	lmdb::DbAux *dbxs = nullptr;       // [maxdbs]
	uint16_t *dbflags = nullptr;       // [maxdbs] persistent flags | kDbHandleValid
	unsigned *dbiseqs = nullptr;       // [maxdbs] bumped when a handle is closed

	MDB_txn *txn0 = nullptr;           // the preallocated top-level write txn
	MDB_txn *txn = nullptr;            // the active write txn, if any
	// Cursor blocks of write txns that ended with the cursor still open
	// (the txn end closes them): kept, pointing at kEndedTxn, so that a
	// later use answers MDB_BAD_TXN instead of touching freed memory;
	// write txns' mdb_cursor_open reuses them, env close frees them.
	// Touched by the writer only.
	MDB_cursor *dead_cursors = nullptr;
	// Blocks of ended read txns and nested txns, likewise kept (flagged
	// kTxnDead) so that a call on a stale handle answers an error; a new
	// txn reuses them, env close frees them.  Read txns of a thread that
	// keeps its reader slot (no MDB_NOTLS) go to that slot's list, which
	// only the slot's owner touches: no lock on the begin/abort path.
	// Others (MDB_NOTLS, MDB_NOLOCK) share `dead_ro_shared` under
	// `dead_lock`.  Nested txns: `dead_nested`, touched by the writer only.
	MDB_txn **dead_ro = nullptr;       // [dead_ro_slots], by reader slot
	unsigned dead_ro_slots = 0;
	std::atomic<MDB_txn *> dead_ro_shared{nullptr};
	pthread_mutex_t dead_lock = PTHREAD_MUTEX_INITIALIZER;
	MDB_txn *dead_nested = nullptr;
	pthread_mutex_t txn_lock = PTHREAD_MUTEX_INITIALIZER;  // guards `txn` hand-over in-process

	lmdb::Page *pbuf = nullptr;         // scratch page (sub-page rebuilds)
	lmdb::PositionMarks node_marks;     // scratch of the copy-on-write page check
	lmdb::PageBuffers page_buffers;     // the write txns' page buffers
	void *userctx = nullptr;
	MDB_assert_func *assert_func = nullptr;
};

namespace lmdb {

// The meta page with the highest txnid.
inline format::Meta *pick_meta(const MDB_env *env) {
	return env->metas[env->metas[0]->txnid < env->metas[1]->txnid ? 1 : 0];
}

// What a new page buffer holds, unless MDB_NOMEMINIT: zeros (kZero), or, for
// a caller that writes the parts that matter (a copy of a page: its used
// parts), zeros or bytes of this env's earlier page buffers, never memory
// of other code (kCallerFills: upstream keeps the same promise).
enum class BufferFill : bool { kZero, kCallerFills };
// Page buffers for dirty pages (size `npages` * psize), from the env's
// PageBuffers (one page) or the C heap (a run of pages).
Page *page_buffer_alloc_run(MDB_env *env, unsigned npages, BufferFill fill);
inline Page *page_buffer_alloc(MDB_env *env, unsigned npages, BufferFill fill = BufferFill::kZero) {
	if (npages != 1) return page_buffer_alloc_run(env, npages, fill);
	using Zero = PageBuffers::Zero;
	const bool meminit = !(env->flags & MDB_NOMEMINIT);
	const Zero z = !meminit ? Zero::kNo : fill == BufferFill::kZero ? Zero::kAll : Zero::kForeign;
	return static_cast<Page *>(env->page_buffers.take(env->psize, z));
}
// Gives one back, of either kind (told apart by address, not by its header).
inline void page_buffer_release(MDB_env *env, Page *p) { env->page_buffers.give(p); }

int env_sync(MDB_env *env, bool force);

// The env was opened by another process: this is a fork child, where
// only mdb_env_close may be used.  (g_pid is refreshed in a fork child.)
inline bool env_in_fork_child(const MDB_env *env) {
	return env->pid != lock::detail::g_pid.load(std::memory_order_relaxed);
}
void dead_cursors_free(MDB_env *env);
// MDB_WRITEMAP: make sure pages [0, end) have their blocks; 0 or an errno
// value (ENOSPC).
int env_reserve_slow(MDB_env *env, pgno_t end);
inline int env_reserve(MDB_env *env, pgno_t end) {
	return end <= env->reserved_pages ? 0 : env_reserve_slow(env, end);
}

// Whether the data file holds pages [0, end): checks the cached size, and
// the file itself (fstat) only when that is too small.
bool file_holds_slow(MDB_env *env, pgno_t end);
inline bool file_holds(MDB_env *env, pgno_t end) {
	return end <= env->file_pages.load(std::memory_order_relaxed) || file_holds_slow(env, end);
}

}  // namespace lmdb
