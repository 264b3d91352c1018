// The lock file (lock.mdb): reader table, reader mutex and writer mutex,
// byte-compatible with LMDB 0.9 on x86-64 Linux, so processes running
// upstream liblmdb and this library can share one environment.
// See docs/lockfile.md for the layout and the protocol.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "lmdb.h"
#include "lock/lock_layout.h"

namespace lmdb::lock {

namespace detail {
// This process's id, cached because getpid() is a system call; set by the
// first LockTable::open() and refreshed in a fork child.
extern std::atomic<pid_t> g_pid;
}  // namespace detail

// Called while holding a writer mutex that was found owner-dead: returns
// the txn id of the newest valid meta page of the data file.
using CurrentTxnidFn = txnid_t (*)(void *ctx);

// One environment's view of its lock file.  Not thread-safe for open() /
// share() / close(); every other method may be called from any thread.
//
// POSIX record locks belong to a (process, file) pair, so every LockTable
// of a process that opens the same lock file (same device and inode) shares
// one descriptor, one mapping and one liveness lock, kept in a process-wide
// registry and released with the last of them.  Only the first of them can
// be the exclusive opener; closing one gives back only the slots it handed
// out.  (Upstream forbids opening one environment twice in a process; here
// it works, except that one thread must not take the writer mutex through
// two tables at once: that deadlocks, as it would with one table.)
class LockTable {
public:
	LockTable() = default;
	~LockTable();
	LockTable(const LockTable &) = delete;
	LockTable &operator=(const LockTable &) = delete;

	// Open or create the lock file at `path` (the caller builds it:
	// <dir>/lock.mdb, or <path>-lock with MDB_NOSUBDIR).  `env_flags` are
	// the environment's flags (MDB_NOLOCK and MDB_NOTLS matter; with
	// MDB_RDONLY the file is still opened read-write, since readers write
	// their slots, and EACCES/EROFS from open(2) are returned as they are).
	// With MDB_NOLOCK no file is touched and every lock call succeeds.
	// On success *exclusive is true when this process is the only user of
	// the environment (it took the exclusive file lock and (re)initialised
	// the table); the caller must then publish the current txnid through
	// shared_txnid() and call share() once its open is complete.
	// `maxreaders` sizes a new table; an existing table keeps its size
	// (see max_readers()).  Errors: errno values, MDB_INVALID (bad magic or
	// a file too small to hold a table), MDB_VERSION_MISMATCH (format).
	int open(const char *path, mdb_mode_t mode, unsigned env_flags, unsigned maxreaders,
	         bool *exclusive);
	// Downgrade the exclusive file lock taken by open() to the shared one.
	// A no-op when open() was not exclusive.
	int share();
	// Release the slots this table handed out, unmap and close.  Idempotent.
	void close();
	bool is_open() const;

	// ---- writer --------------------------------------------------------
	// Take the writer mutex.  try_only: return EBUSY instead of waiting.
	// An owner-dead mutex is recovered (shared txnid reset from
	// current_txnid(ctx) when it is not null, dead reader slots cleared)
	// and 0 returned with the mutex held -- unless the dead owner was a
	// thread that took it through this same table: then the mutex is
	// repaired but released and MDB_PANIC returned (the caller's
	// environment is unusable, as upstream).
	int lock_writer(bool try_only, CurrentTxnidFn current_txnid, void *ctx);
	void unlock_writer();

	// ---- readers -------------------------------------------------------
	// Get a reader slot for a read transaction; the slot comes back owned
	// (pid set) with txnid == kNoSnapshot, and the caller stores its
	// snapshot id into slot->txnid.  Unless the environment has MDB_NOTLS,
	// a thread keeps its slot between transactions (found through a
	// pthread key whose destructor frees it at thread exit) and this
	// returns it without locking or system calls; MDB_BAD_RSLOT if that
	// slot still holds a snapshot or belongs to another process (fork).
	// Returns MDB_READERS_FULL when every slot is taken.
	// With MDB_NOLOCK the slot is a per-thread dummy outside any file.
	int acquire_reader(ReaderSlot **slot) {
		// Fast path, inline: this thread's slot from an earlier txn.
		if (ReaderSlot *r = kept_reader()) [[likely]] {
			bool ok = reader_usable(r);
			*slot = ok ? r : nullptr;
			return ok ? 0 : MDB_BAD_RSLOT;
		}
		return acquire_reader_slow(slot);
	}
	// The calling thread's slot from an earlier txn (not MDB_NOTLS), or
	// nullptr: acquire_reader's fast path for callers that keep the slot
	// pointer in a register.
	ReaderSlot *kept_reader() const {
		return key_valid_ ? static_cast<ReaderSlot *>(pthread_getspecific(key_)) : nullptr;
	}
	// Threads keep their slots between txns (no MDB_NOTLS, a lock file).
	bool kept_reader_possible() const { return key_valid_ && slots_; }
	// A kept slot may take a new snapshot: it is this process's (not a
	// fork parent's) and holds none now.
	static bool reader_usable(ReaderSlot *r) {
		// Both words are read either way: one branch for the caller.
		bool own = __atomic_load_n(&r->pid, __ATOMIC_ACQUIRE) == detail::g_pid.load(std::memory_order_relaxed);
		bool idle = __atomic_load_n(&r->txnid, __ATOMIC_ACQUIRE) == kNoSnapshot;
		return own & idle;
	}
	// The position of a slot of this table (its index in the file).
	unsigned slot_index(const ReaderSlot *r) const { return unsigned(r - slots_); }
	// Give a slot back (MDB_NOTLS transactions when they end).  If it is
	// the calling thread's kept slot, the thread forgets it too.
	void release_reader(ReaderSlot *slot);
	// Smallest snapshot txnid held by any slot, or `last` if none is older.
	txnid_t oldest_reader(txnid_t last) const;

	// The last committed txnid as published in the lock file (readers
	// take their snapshot id from it).  nullptr with MDB_NOLOCK.
	volatile txnid_t *shared_txnid() const { return shared_; }

	// Slots in the table (from the file size, which may differ from the
	// `maxreaders` given to open() when the file already existed).
	unsigned max_readers() const;
	// Slots ever handed out (the table's high-water mark).
	unsigned num_readers() const;

	// mdb_reader_list / mdb_reader_check.  reader_list returns the last
	// value `func` returned (-1 if func is null); reader_check sets *dead
	// to the number of slots it cleared.
	int reader_list(MDB_msg_func *func, void *ctx) const;
	int reader_check(int *dead);

private:
	struct Impl;
	int acquire_reader_slow(ReaderSlot **slot);

	Impl *impl_ = nullptr;
	// Copies of what the read-txn fast path needs, set by open().
	volatile txnid_t *shared_ = nullptr;  // nullptr with MDB_NOLOCK
	const ReaderSlot *slots_ = nullptr;   // the first slot (nullptr with MDB_NOLOCK)
	pthread_key_t key_{};
	bool key_valid_ = false;  // key_ holds each thread's slot (no MDB_NOTLS)
};

}  // namespace lmdb::lock
