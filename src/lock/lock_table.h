// The lock file (lock.mdb): reader table, reader mutex and writer mutex,
// byte-compatible with LMDB 0.9 on x86-64 Linux, so processes running
// upstream liblmdb and this library can share one environment.
// See docs/lockfile.md for the layout and the protocol.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <cstdint>

#include "lmdb.h"

namespace lmdb::lock {

using txnid_t = uint64_t;

// One reader slot, one cache line.  txnid is ~0 while the slot is owned
// but no snapshot is held; pid 0 marks a free slot.
struct ReaderSlot {
	volatile txnid_t txnid;
	volatile pid_t pid;
	volatile pthread_t tid;
	char pad_[64 - 24];
};
static_assert(sizeof(ReaderSlot) == 64);

inline constexpr txnid_t kNoSnapshot = ~txnid_t(0);

// Called while holding a writer mutex that was found owner-dead: returns
// the txn id of the newest valid meta page of the data file.
using CurrentTxnidFn = txnid_t (*)(void *ctx);

class LockTable {
public:
	LockTable() = default;
	~LockTable();
	LockTable(const LockTable &) = delete;
	LockTable &operator=(const LockTable &) = delete;

	// Open or create the lock file at `path`.  `env_flags` are the
	// environment's flags (MDB_RDONLY, MDB_NOLOCK, MDB_NOTLS matter).
	// With MDB_NOLOCK no file is touched and every lock call succeeds.
	// On success *exclusive is true when this process is the only user of
	// the environment (it took the exclusive file lock and (re)initialised
	// the table); the caller must call share() once its open is complete.
	int open(const char *path, mdb_mode_t mode, unsigned env_flags, unsigned maxreaders,
	         bool *exclusive);
	// Downgrade the exclusive file lock taken by open() to the shared one.
	int share();
	// Release this process's slots, unmap and close.  Idempotent.
	void close();
	bool is_open() const;

	// ---- writer --------------------------------------------------------
	// Take the writer mutex.  try_only: return EBUSY instead of waiting.
	// An owner-dead mutex is recovered (shared txnid reset from
	// current_txnid(ctx), dead reader slots cleared) and 0 returned.
	int lock_writer(bool try_only, CurrentTxnidFn current_txnid, void *ctx);
	void unlock_writer();

	// ---- readers -------------------------------------------------------
	// Get a reader slot for a read transaction.  Unless the environment
	// has MDB_NOTLS, a thread keeps its slot between transactions (found
	// through thread-local storage) and this returns it without locking;
	// MDB_BAD_RSLOT if that slot is still holding a snapshot.  Returns
	// MDB_READERS_FULL when every slot is taken.
	int acquire_reader(ReaderSlot **slot);
	// Give a slot back (MDB_NOTLS transactions when they end).
	void release_reader(ReaderSlot *slot);
	// Smallest snapshot txnid held by any slot, or `last` if none is older.
	txnid_t oldest_reader(txnid_t last) const;

	// The last committed txnid as published in the lock file (readers
	// take their snapshot id from it).  nullptr with MDB_NOLOCK.
	volatile txnid_t *shared_txnid();

	unsigned max_readers() const;
	unsigned num_readers() const;

	// mdb_reader_list / mdb_reader_check.
	int reader_list(MDB_msg_func *func, void *ctx) const;
	int reader_check(int *dead);

private:
	struct Impl;
	Impl *impl_ = nullptr;
};

}  // namespace lmdb::lock
