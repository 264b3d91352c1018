// Transaction life cycle: begin (snapshot or writer lock), commit (free
// lists, dirty pages in page order, sync, then the alternate meta page),
// abort, and the reset/renew cycle of read-only transactions.
#include "util/heap.h"
#include "txn/transaction.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "txn/txn_ops.h"
#include "txn/page_writer.h"
#include "util/fault.h"

namespace lmdb {

using namespace format;

static txnid_t current_meta_txnid(void *ctx) {
	return pick_meta(static_cast<MDB_env *>(ctx))->txnid;
}

// Keeps the loads before it ahead of the loads after it.  x86-64 does not
// reorder loads with other loads: only the compiler must be held back.
static inline void load_load_barrier() {
#if defined(__x86_64__) || defined(__i386__)
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#else
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
}

// A txn and its per-db arrays in one block: the MDB_txn, then dbs[],
// cursors[] (write txns), dbiseqs[] (unless borrowed from the env) and
// dbflags[].  Freed as a whole by txn_free().  `reuse`: a retired block of
// the same shape (txn_retire) to set up again instead of a new one.
static MDB_txn *txn_alloc_block(MDB_env *env, bool with_cursors, bool own_dbiseqs, MDB_txn *reuse = nullptr) {
	size_t n = env->maxdbs;
	size_t size = sizeof(MDB_txn) + n * sizeof(DbRecord);
	size_t off_cursors = size;
	if (with_cursors) size += n * sizeof(MDB_cursor *);
	size_t off_seqs = size;
	if (own_dbiseqs) size += n * sizeof(unsigned);
	size_t off_flags = size;
	size += n;
	static_assert(sizeof(MDB_txn) % alignof(DbRecord) == 0 && alignof(MDB_txn) >= alignof(DbRecord));
	// Not calloc: the constructor initialises the MDB_txn, and clearing
	// it twice was a large part of a read txn's begin.
	void *block = reuse ? static_cast<void *>(reuse) : lmdb::os::sys_malloc(size);
	if (!block) return nullptr;
	// A read txn's dbs[] are not cleared here: txn_setup sets the entries
	// of the open handles, and no other entry is read (dbflags[] are clear).
	// Clearing the whole array measured a third of a read txn's begin.
	if (with_cursors || own_dbiseqs)
		std::memset(static_cast<char *>(block) + sizeof(MDB_txn), 0, size - sizeof(MDB_txn));
	else
		std::memset(static_cast<char *>(block) + off_flags, 0, n);
	MDB_txn *txn = new (block) MDB_txn;
	char *base = static_cast<char *>(block);
	txn->dbs = reinterpret_cast<DbRecord *>(base + sizeof(MDB_txn));
	if (with_cursors) txn->cursors = reinterpret_cast<MDB_cursor **>(base + off_cursors);
	txn->dbiseqs = own_dbiseqs ? reinterpret_cast<unsigned *>(base + off_seqs) : env->dbiseqs;
	txn->owns_dbiseqs = own_dbiseqs;
	txn->dbflags = reinterpret_cast<uint8_t *>(base + off_flags);
	txn->env = env;
	txn->dbxs = env->dbxs;
	return txn;
}

// Made once at load time and never destroyed (a static MDB_txn would be
// destroyed at exit through __cxa_atexit, which the ABI check forbids).
static MDB_txn *make_ended_txn() {
	MDB_txn *t = heap_new<MDB_txn>();
	if (t) t->flags = kTxnFinished;
	return t;
}
MDB_txn *const kEndedTxn = make_ended_txn();

MDB_txn *txn_alloc(MDB_env *env, bool with_cursors) {
	// Nested txns (the only callers but env open) reuse retired blocks;
	// only the writer touches that list.
	MDB_txn *reuse = nullptr;
	if (with_cursors && (reuse = env->dead_nested)) env->dead_nested = reuse->next_dead;
	return txn_alloc_block(env, with_cursors, true, reuse);
}

// The cursors a read txn leaves open now answer MDB_BAD_TXN.  (Out of
// line: most txns have none, and txn_end stays small enough to inline.)
[[gnu::noinline, gnu::cold]] static void orphan_ro_cursors(MDB_txn *txn) {
	for (MDB_cursor *mc = txn->ro_cursors, *next; mc; mc = next) {
		next = mc->next;
		mc->next = nullptr;
		mc->txn = kEndedTxn;
	}
}

void txn_free(MDB_txn *txn) {
	if (!txn) return;
	if (txn->ro_cursors) [[unlikely]]
		orphan_ro_cursors(txn);
	txn->~MDB_txn();
	std::free(txn);
}

// The list of retired read txns of the calling thread's kept reader slot,
// or nullptr (no kept slot: MDB_NOTLS, MDB_NOLOCK, or none taken yet).
static inline MDB_txn **own_dead_ro(MDB_env *env) {
	if (!env->dead_ro) return nullptr;
	lock::ReaderSlot *r = env->locks.kept_reader();
	if (!r) return nullptr;
	unsigned i = env->locks.slot_index(r);
	return i < env->dead_ro_slots ? &env->dead_ro[i] : nullptr;
}

// A retired read txn block for the calling thread, or nullptr.
static inline MDB_txn *take_dead_ro(MDB_env *env) {
	if (MDB_txn **head = own_dead_ro(env)) {
		if (MDB_txn *t = *head) [[likely]] {
			*head = t->next_dead;
			if (t->ro_cursors) [[unlikely]] {
				orphan_ro_cursors(t);
				t->ro_cursors = nullptr;
			}
			return t;
		}
	}
	if (!env->dead_ro_shared.load(std::memory_order_relaxed)) return nullptr;
	pthread_mutex_lock(&env->dead_lock);
	MDB_txn *t = env->dead_ro_shared.load(std::memory_order_relaxed);
	if (t) env->dead_ro_shared.store(t->next_dead, std::memory_order_relaxed);
	pthread_mutex_unlock(&env->dead_lock);
	return t;
}

void txn_retire(MDB_txn *txn) {
	MDB_env *env = txn->env;
	// The kind of block by its shape, not its flags (a read txn whose
	// begin failed may not have its flags yet): nested txns have cursor
	// lists, read txns do not.
	if (txn->cursors) {
		// A nested txn: what its lists still own goes now.
		txn->~MDB_txn();
		new (txn) MDB_txn;
		txn->env = env;
		txn->flags = kTxnFinished | kTxnDead;
		txn->next_dead = env->dead_nested;
		env->dead_nested = txn;
		return;
	}
	// A read txn owns nothing; the fields a call may look at say "ended".
	txn->flags = kTxnRdonly | kTxnFinished | kTxnDead;
	txn->numdbs = 0;
	txn->txnid = 0;
	txn->reader = nullptr;
	if (MDB_txn **head = own_dead_ro(env)) [[likely]] {
		// The cursors still open on it stay with it (answering
		// MDB_BAD_TXN, the txn being finished) until a renew of the
		// handle brings it back (txn_revive) or a new txn of this
		// thread takes the block (take_dead_ro lets them go then).
		txn->next_dead = *head;
		*head = txn;
		return;
	}
	// Other threads take blocks from the shared list: its cursors are let
	// go now, by the thread that ends the txn.
	if (txn->ro_cursors) [[unlikely]] {
		orphan_ro_cursors(txn);
		txn->ro_cursors = nullptr;
	}
	pthread_mutex_lock(&env->dead_lock);
	txn->next_dead = env->dead_ro_shared.load(std::memory_order_relaxed);
	env->dead_ro_shared.store(txn, std::memory_order_relaxed);
	pthread_mutex_unlock(&env->dead_lock);
}

static constexpr unsigned kDeadRoSlotsMax = 4096;

int dead_txns_init(MDB_env *env) {
	if (!env->locks.kept_reader_possible()) return MDB_SUCCESS;
	// One list per slot for the first slots; the threads of slots past
	// them (tables of many thousand readers) share dead_ro_shared.
	unsigned n = std::min(env->locks.max_readers(), kDeadRoSlotsMax);
	env->dead_ro = static_cast<MDB_txn **>(lmdb::os::sys_calloc(n, sizeof(MDB_txn *)));
	if (!env->dead_ro) return ENOMEM;
	env->dead_ro_slots = n;
	return MDB_SUCCESS;
}

void dead_txns_free(MDB_env *env) {
	auto free_list = [](MDB_txn *t) {
		while (t) {
			MDB_txn *next = t->next_dead;
			txn_free(t);
			t = next;
		}
	};
	for (unsigned i = 0; i < env->dead_ro_slots; i++) free_list(env->dead_ro[i]);
	std::free(env->dead_ro);
	env->dead_ro = nullptr;
	env->dead_ro_slots = 0;
	free_list(env->dead_ro_shared.exchange(nullptr));
	free_list(env->dead_nested);
	env->dead_nested = nullptr;
}

// Takes txn off the list *head if it is there.
static bool dead_unlink(MDB_txn **head, MDB_txn *txn) {
	for (MDB_txn **p = head; *p; p = &(*p)->next_dead) {
		if (*p == txn) {
			*p = txn->next_dead;
			txn->next_dead = nullptr;
			return true;
		}
	}
	return false;
}

int txn_revive(MDB_txn *txn) {
	MDB_env *env = txn->env;
	bool found = false;
	if (MDB_txn **head = own_dead_ro(env)) found = dead_unlink(head, txn);
	if (!found && env->dead_ro_shared.load(std::memory_order_relaxed)) {
		pthread_mutex_lock(&env->dead_lock);
		MDB_txn *head = env->dead_ro_shared.load(std::memory_order_relaxed);
		found = dead_unlink(&head, txn);
		env->dead_ro_shared.store(head, std::memory_order_relaxed);
		pthread_mutex_unlock(&env->dead_lock);
	}
	// Not kept by this thread (taken by a new txn, or another thread's).
	if (!found) return EINVAL;
	// As a reset txn: the snapshot and the db records are taken afresh.
	txn->flags = kTxnRdonly | kTxnFinished;
	int rc = read_txn_renew(txn);
	if (rc) txn_retire(txn);
	return rc;
}

MDB_txn *txn0_create(MDB_env *env) {
	MDB_txn *t = txn_alloc(env, true);
	if (t) t->flags = kTxnFinished;
	return t;
}

// The core db records and the first unused page number of the snapshot
// `meta` describes.
static inline void load_core_dbs(MDB_txn *txn, const Meta *meta) {
	std::memcpy(txn->dbs, meta->dbs, kCoreDbs * sizeof(DbRecord));
	txn->next_pgno = meta->last_pgno + 1;
}

// The part of a renew common to read and write txns, after load_core_dbs:
// the per-db flags and the env-wide checks.  On failure the txn is ended
// (its slot given back if this renew took it: `new_notls`).
static inline int txn_setup(MDB_txn *txn, unsigned flags, bool new_notls) {
	MDB_env *env = txn->env;
	// The free db's flags field also holds env flags; of the db flags only
	// INTEGERKEY is real (never DUPSORT: its cursors have no sub-cursor).
	txn->dbs[kFreeDbi].flags = uint16_t((txn->dbs[kFreeDbi].flags & ~kPersistentDbFlags) | MDB_INTEGERKEY);
	txn->flags = flags;
	unsigned n = env->numdbs;
	txn->numdbs = n;
	for (unsigned i = kCoreDbs; i < n; i++) {
		unsigned x = env->dbflags[i];
		txn->dbs[i] = DbRecord{};
		txn->dbs[i].flags = uint16_t(x & kPersistentDbFlags);
		txn->dbflags[i] = (x & kDbHandleValid) ? (kDbValid | kDbUserValid | kDbStale) : 0;
	}
	txn->dbflags[kMainDbi] = kDbValid | kDbUserValid;
	txn->dbflags[kFreeDbi] = kDbValid;

	int rc;
	if (env->flags & kEnvFatalError) [[unlikely]] {
		rc = MDB_PANIC;
	} else if (env->maxpg < txn->next_pgno) [[unlikely]] {
		rc = MDB_MAP_RESIZED;
	} else {
		return MDB_SUCCESS;
	}
	txn_end(txn, new_notls ? kEndSlot | kEndFailBegin : kEndFailBegin);
	return rc;
}

// Take a snapshot for a read txn and load the core db records.  Also all
// of mdb_txn_renew after its argument check, so it is kept short.
#if defined(__x86_64__) || defined(__i386__)
inline constexpr int kSlotStoreOrder = __ATOMIC_RELEASE;
#else
inline constexpr int kSlotStoreOrder = __ATOMIC_SEQ_CST;
#endif

int read_txn_renew(MDB_txn *txn) {
	MDB_env *env = txn->env;
	volatile txnid_t *shared = env->locks.shared_txnid();
	const Meta *meta;
	bool new_notls = false;
	if (!shared) [[unlikely]] {
		// MDB_NOLOCK: the newest meta page, no slot.
		if (env_in_fork_child(env)) return MDB_BAD_RSLOT;
		txn->reader = nullptr;
		meta = pick_meta(env);
		txn->txnid = meta->txnid;
		load_core_dbs(txn, meta);
		return txn_setup(txn, kTxnRdonly, false);
	}
	// This thread's slot from an earlier txn, or the one a reset MDB_NOTLS
	// txn kept: not usable by a fork child, nor while it holds a snapshot.
	lock::ReaderSlot *r = env->locks.kept_reader();
	if (!r && (env->flags & MDB_NOTLS)) r = txn->reader;
	if (r) [[likely]] {
		if (!lock::LockTable::reader_usable(r)) [[unlikely]]
			return MDB_BAD_RSLOT;
	} else {
		// A fork child may not use its parent's env (only close it); a
		// slot kept from before the fork fails reader_usable above.
		if (env_in_fork_child(env)) [[unlikely]]
			return MDB_BAD_RSLOT;
		// (Through `got`: r's address is never taken, so it stays in a
		// register in the loop below.)
		lock::ReaderSlot *got = nullptr;
		if (int rc = env->locks.acquire_reader(&got)) return rc;
		r = got;
		new_notls = (env->flags & MDB_NOTLS) != 0;
	}
	txn->reader = r;
	for (;;) {
		// Publish the snapshot in the slot before using it, and make
		// sure it was still the newest one afterwards: otherwise a
		// writer may already have decided that nobody needs the pages
		// it replaced.
		//
		// On x86-64 the slot is written with a plain store (as upstream
		// does), not a locked one: that cost a quarter of a read txn's
		// begin.  TSO keeps stores in order; the one reordering it allows,
		// this store still in the store buffer when the check below loads,
		// lasts until the buffer drains (hundreds of cycles at most), and a
		// writer can only reuse a page of snapshot `id` after two more
		// commits (it reuses records below its own txnid - 1, and the page
		// was freed by commit id + 1 or later).  Elsewhere: a full barrier.
		txnid_t id;
		do {
			id = shared_load(shared);
			__atomic_store_n(&r->txnid, id, kSlotStoreOrder);
		} while (id != __atomic_load_n(shared, kSlotStoreOrder == __ATOMIC_SEQ_CST ? __ATOMIC_SEQ_CST : __ATOMIC_ACQUIRE));
		if (!id && (env->flags & MDB_RDONLY)) [[unlikely]] {
			// No writer published a txnid since the lock file was set
			// up (a read-only opener does not publish one).
			meta = pick_meta(env);
			id = meta->txnid;
			shared_store(&r->txnid, id);
		} else {
			meta = env->metas[id & 1];
		}
		txn->txnid = id;
		load_core_dbs(txn, meta);
		// A reader that stalled after choosing its meta page may find it
		// rewritten by a writer two commits later: start over.  (Only
		// then: the published txnid has moved on.  A meta page that
		// never matched -- a damaged file -- is used as it is, as
		// upstream does, instead of looping.)
		load_load_barrier();
		if (*static_cast<const volatile txnid_t *>(&meta->txnid) == id) [[likely]]
			break;
		if (shared_load(shared) == id) break;
	}
	return txn_setup(txn, kTxnRdonly, new_notls);
}

// Take the writer lock and load the core db records.  A write txn is the
// env's txn0, which another thread may be using until the writer lock is
// ours: nothing in it is touched before that.
static int write_txn_renew(MDB_txn *txn, bool try_write) {
	MDB_env *env = txn->env;
	volatile txnid_t *shared = env->locks.shared_txnid();
	const Meta *meta;
	if (shared) {
		if (int rc = env->locks.lock_writer(try_write, current_meta_txnid, env)) return rc;
		txn->txnid = shared_load(shared);
		meta = env->metas[txn->txnid & 1];
	} else {
		// MDB_NOLOCK: the caller keeps writers apart; a second write txn
		// while one is live would take over txn0 under the first.
		if (env->txn) return EDEADLK;
		meta = pick_meta(env);
		txn->txnid = meta->txnid;
	}
	txn->txnid++;
	txn->child = nullptr;
	txn->loose = nullptr;
	txn->loose_count = 0;
	txn->dirty.clear();
	txn->spilled.clear();
	txn->free_pgs.clear();
	txn->reclaimed.clear();
	txn->last_reclaimed = 0;
	env->txn = txn;
	std::memcpy(txn->dbiseqs, env->dbiseqs, env->maxdbs * sizeof(unsigned));
	load_core_dbs(txn, meta);
	return txn_setup(txn, 0, false);
}

int txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **ret) {
	bool try_write = flags & MDB_TRY_WRITE;
	// Per-txn durability flags (upstream 0.9 accepts and ignores them;
	// honouring them only ever skips a sync the caller asked to skip).
	unsigned sync_flags = (flags & MDB_RDONLY) ? 0 : flags & (MDB_NOSYNC | MDB_NOMETASYNC);
	flags &= MDB_RDONLY;
	flags |= env->flags & MDB_WRITEMAP;
	if (env->flags & MDB_RDONLY & ~flags) return EACCES;
	MDB_txn *txn;
	int rc;
	// (Read txns check in read_txn_renew, off their fast path.)
	if (!(flags & MDB_RDONLY) && env_in_fork_child(env)) return EINVAL;
	if (parent) {
		flags |= parent->flags;
		if (flags & (MDB_RDONLY | MDB_WRITEMAP | kTxnBlocked))
			return (parent->flags & kTxnRdonly) ? EINVAL : MDB_BAD_TXN;
		return nested_txn_begin(parent, ret);
	}
	if (flags & MDB_RDONLY) {
		txn = txn_alloc_block(env, false, false, take_dead_ro(env));
		if (!txn) return ENOMEM;
		rc = read_txn_renew(txn);
		if (rc) {
			txn_retire(txn);
			return rc;
		}
	} else {
		// txn0 may still be in use by another thread: write_txn_renew
		// takes the writer lock before it touches it.
		txn = env->txn0;
		rc = write_txn_renew(txn, try_write);
		if (rc) return rc;
	}
	txn->flags |= flags | sync_flags;
	*ret = txn;
	return MDB_SUCCESS;
}

// Export or close the db handles opened in this txn.
void dbis_update(MDB_txn *txn, bool keep) {
	MDB_env *env = txn->env;
	unsigned n = txn->numdbs;
	for (unsigned i = n; i-- > kCoreDbs;) {
		if (!(txn->dbflags[i] & kDbNew)) continue;
		if (keep) {
			env->dbflags[i] = uint16_t(txn->dbs[i].flags | kDbHandleValid);
		} else {
			char *ptr = static_cast<char *>(env->dbxs[i].name.mv_data);
			if (ptr) {
				env->dbxs[i].name = MDB_val{0, nullptr};
				env->dbflags[i] = 0;
				env->dbiseqs[i]++;
				std::free(ptr);
			}
		}
	}
	if (keep && env->numdbs < n) env->numdbs = n;
}

void cursors_close(MDB_txn *txn, bool merge);

// (Inline: a small commit calls it twice, the second time on an empty
// list.)
[[gnu::always_inline]] static inline void dirty_free_all(MDB_txn *txn) {
	MDB_env *env = txn->env;
	if (!(txn->flags & kTxnWritemap)) txn->dirty.for_each([&](pgno_t, void *p) {
		Page *pg = static_cast<Page *>(p);
		page_buffer_release(env, pg);
	});
	txn->dirty.clear();
	txn->loose = nullptr;
	txn->loose_count = 0;
}

void txn_end(MDB_txn *txn, unsigned mode) {
	MDB_env *env = txn->env;
	if (txn->flags & kTxnRdonly) {
		read_txn_end(txn, mode);
	} else {
		dbis_update(txn, mode & kEndUpdate);
		if (!(txn->flags & kTxnFinished)) {
			if (!(mode & kEndUpdate)) cursors_close(txn, false);
			dirty_free_all(txn);
			txn->numdbs = 0;
			txn->flags = kTxnFinished;
			if (!txn->parent) {
				txn->free_pgs.clear();
				txn->reclaimed.clear();
				txn->last_reclaimed = 0;
				env->txn = nullptr;
				env->page_buffers.txn_ended();
				mode &= ~kEndFree;  // txn0 is kept for reuse
				if (env->locks.shared_txnid()) env->locks.unlock_writer();
			} else {
				nested_txn_detach(txn);
			}
		} else if (txn == env->txn0) {
			// Ended already: a second commit or abort of the env's
			// write txn, which must not free it.
			mode &= ~kEndFree;
		}
	}
	if (mode & kEndFree) txn_retire(txn);
}

void txn_abort(MDB_txn *txn) {
	if (!txn || (txn->flags & kTxnDead)) return;
	if (txn->child) txn_abort(txn->child);
	txn_end(txn, kEndAbort | kEndSlot | kEndFree);
}

// Write all dirty pages in page order, coalescing adjacent pages into one
// pwritev call.
static int page_flush(MDB_txn *txn) {
	MDB_env *env = txn->env;
	size_t n = txn->dirty.size();
	if (!n) return MDB_SUCCESS;
	if (txn->flags & kTxnWritemap) {
		// The pages are already in the map: only the in-memory marks go.
		txn->dirty.for_each([&](pgno_t, void *p) { static_cast<Page *>(p)->flags &= uint16_t(~P_DIRTY); });
		txn->dirty.clear();
		return MDB_SUCCESS;
	}
	size_t k = 0;
	PageRef local[64];
	PageRef *items = sorted_dirty_pages(txn, [](Page *) { return true; }, &k, local, std::size(local));
	if (!items) return ENOMEM;
	pgno_t next_pg = 0;
	int rc = write_sorted_pages(env, items, k, &next_pg);
	if (items != local) std::free(items);
	if (rc) return rc;
	uint64_t cur = env->file_pages.load(std::memory_order_relaxed);
	while (cur < next_pg && !env->file_pages.compare_exchange_weak(cur, next_pg, std::memory_order_relaxed)) {
	}
	dirty_free_all(txn);
	return MDB_SUCCESS;
}

static int write_meta(MDB_txn *txn, unsigned sync_flags) {
	MDB_env *env = txn->env;
	unsigned toggle = unsigned(txn->txnid & 1);
	struct {
		PageHeader h;
		Meta m;
	} buf;
	std::memset(&buf, 0, sizeof buf);
	buf.h.pgno = toggle;
	buf.h.flags = P_META;
	buf.m = *pick_meta(env);
	buf.m.magic = kMagic;
	buf.m.version = kDataVersion;
	// The map size recorded only grows: a process with a smaller map
	// (it has not adopted another one's mdb_env_set_mapsize) keeps it.
	if (buf.m.mapsize < env->mapsize) buf.m.mapsize = env->mapsize;
	buf.m.dbs[kFreeDbi] = txn->dbs[kFreeDbi];
	buf.m.dbs[kMainDbi] = txn->dbs[kMainDbi];
	buf.m.last_pgno = txn->next_pgno - 1;
	buf.m.txnid = txn->txnid;
	// Synced: through the O_DSYNC descriptor if there is one, else a write
	// and an fdatasync.
	const bool sync = !(sync_flags & (MDB_NOSYNC | MDB_NOMETASYNC));
	const bool dsync = sync && env->meta_fd.valid();
	const off_t off = off_t(toggle) * env->psize;
	// The page's previous contents, for putting back after a failure (the
	// map shows the page cache: after the write it shows the new page).
	decltype(buf) prev;
	std::memcpy(&prev, env->map + off, sizeof prev);
	int rc = os::pwrite_full(dsync ? env->meta_fd.get() : env->fd.get(), &buf, sizeof buf, off);
	if (!rc && sync && !dsync) rc = os::data_sync(env->fd.get());
	if (rc) [[unlikely]] {
		// The new meta page may be in the page cache although the write
		// (or its sync) failed: a later open would take the commit the
		// caller was told had failed.  Put the page's previous contents
		// back, without a sync, and give up on this env handle.
		(void)os::pwrite_full(env->fd.get(), &prev, sizeof prev, off);
		env->flags |= kEnvFatalError;
		return rc;
	}
	if (volatile txnid_t *shared = env->locks.shared_txnid()) shared_store(shared, txn->txnid);
	return MDB_SUCCESS;
}

int txn_commit(MDB_txn *txn) {
	int rc;
	MDB_env *env;
	if (!txn) return EINVAL;
	if (txn->flags & kTxnDead) return MDB_BAD_TXN;
	unsigned end_mode = kEndEmptyCommit | kEndUpdate | kEndSlot | kEndFree;
	if (txn->child) {
		rc = txn_commit(txn->child);
		if (rc) goto fail;
	}
	env = txn->env;
	if (txn->flags & kTxnRdonly) goto done;
	if (txn->flags & (kTxnFinished | kTxnError)) {
		if (txn->parent) txn->parent->flags |= kTxnError;
		rc = MDB_BAD_TXN;
		goto fail;
	}
	if (txn->parent) return nested_txn_commit(txn);

	cursors_close(txn, false);
	if (!txn->dirty.size() && !(txn->flags & (kTxnDirty | kTxnSpills))) goto done;

	// Write the records of named dbs changed in this txn.
	if (txn->numdbs > kCoreDbs) {
		MDB_cursor mc;
		cursor_init(&mc, txn, kMainDbi);
		for (MDB_dbi i = kCoreDbs; i < txn->numdbs; i++) {
			if (txn->dbflags[i] & kDbDirty) {
				if (txn_dbi_changed(txn, i)) {
					rc = MDB_BAD_DBI;
					goto fail;
				}
				MDB_val data{sizeof(DbRecord), &txn->dbs[i]};
				rc = cursor_put(&mc, &txn->dbxs[i].name, &data, F_SUBDATA);
				if (rc) goto fail;
			}
		}
	}
	if ((rc = freelist_save(txn))) goto fail;
	if ((rc = page_flush(txn))) goto fail;
	{
		unsigned sync_flags = env->flags | (txn->flags & (MDB_NOSYNC | MDB_NOMETASYNC));
		if (!(sync_flags & MDB_NOSYNC) && (rc = env_sync(env, false))) goto fail;
		if ((rc = write_meta(txn, sync_flags))) goto fail;
	}
	end_mode = kEndCommitted | kEndUpdate;

done:
	txn_end(txn, end_mode);
	return MDB_SUCCESS;

fail:
	txn_abort(txn);
	return rc;
}

}  // namespace lmdb
