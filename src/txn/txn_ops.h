// Transaction operations used by the C API layer.
#pragma once

#include <cerrno>

#include "txn/transaction.h"

namespace lmdb {

// txn_end modes
inline constexpr unsigned kEndCommitted = 0, kEndEmptyCommit = 1, kEndAbort = 2, kEndReset = 3,
                          kEndResetTmp = 4, kEndFailBegin = 5, kEndFailBeginChild = 6;
inline constexpr unsigned kEndUpdate = 0x10;  // keep the db handles opened in the txn
inline constexpr unsigned kEndFree = 0x20;    // free the txn handle
inline constexpr unsigned kEndSlot = MDB_NOTLS;  // release a NOTLS reader slot

int txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **ret);
int txn_commit(MDB_txn *txn);
void txn_abort(MDB_txn *txn);
void txn_end(MDB_txn *txn, unsigned mode);

// Export (keep) or close the db handles opened in the txn.
void dbis_update(MDB_txn *txn, bool keep);
// Take a snapshot for a read txn and load the core db records: all of
// mdb_txn_renew after its argument check.
int read_txn_renew(MDB_txn *txn);

// The lock file's shared words (the published txnid, the snapshot id of
// each reader slot) are read and written by other threads and processes
// without locks: always through atomic operations.
inline txnid_t shared_load(const volatile txnid_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void shared_store(volatile txnid_t *p, txnid_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// The end of a read txn (txn_end's read-only half; also the whole of
// mdb_txn_reset).  It and mdb_txn_renew's check are inline so that the C
// API functions hold them directly: a reset/renew loop pays for each jump.
inline void read_txn_end(MDB_txn *txn, unsigned mode) {
	if (txn->numdbs > format::kCoreDbs) [[unlikely]]
		dbis_update(txn, mode & kEndUpdate);
	if (lock::ReaderSlot *r = txn->reader) {
		shared_store(&r->txnid, lock::kNoSnapshot);
		MDB_env *env = txn->env;
		if (!(env->flags & MDB_NOTLS)) {
			txn->reader = nullptr;
		} else if (mode & kEndSlot) {
			env->locks.release_reader(r);
			txn->reader = nullptr;
		}
	}
	txn->numdbs = 0;
	txn->flags |= kTxnFinished;
}
inline void txn_reset(MDB_txn *txn) {
	if (!txn || (txn->flags & (kTxnRdonly | kTxnDead)) != kTxnRdonly) return;
	read_txn_end(txn, kEndReset);
}
// A renew of a read txn that has ended (aborted or committed).  Upstream
// frees the txn at its end, and a renew of the freed handle works there as
// long as nothing has taken the memory since: PHP's dba relies on it (it
// aborts its iteration's txn on a key it does not find, renews the handle
// at the next dba_nextkey and goes on with the iteration's cursor).  Here
// a retired block that the calling thread still keeps (no txn took it) is
// renewed like a reset txn, its cursors with it; otherwise EINVAL.
int txn_revive(MDB_txn *txn);
inline int txn_renew(MDB_txn *txn) {
	if (!txn) return EINVAL;
	unsigned f = txn->flags & (kTxnRdonly | kTxnFinished | kTxnDead);
	if (f == (kTxnRdonly | kTxnFinished)) [[likely]]
		return read_txn_renew(txn);
	if (f == (kTxnRdonly | kTxnFinished | kTxnDead)) return txn_revive(txn);
	return EINVAL;
}
// Free a txn block (env close; blocks never handed out).
void txn_free(MDB_txn *txn);
// The end of a txn handle the caller had (read or nested txn): the block
// is kept, flagged kTxnDead, for a later txn of the env (see
// MDB_env::dead_ro).  Replaces txn_free for those.
void txn_retire(MDB_txn *txn);
// MDB_env::dead_ro for an env whose threads keep their reader slots
// (env open), and the freeing of every retired block (env close).
int dead_txns_init(MDB_env *env);
void dead_txns_free(MDB_env *env);
// A txn with room for env->maxdbs databases (and cursor lists).
MDB_txn *txn_alloc(MDB_env *env, bool with_cursors);
MDB_txn *txn0_create(MDB_env *env);

// Nested transactions (txn/nested.cpp).
int nested_txn_begin(MDB_txn *parent, MDB_txn **ret);
int nested_txn_commit(MDB_txn *txn);
void nested_txn_detach(MDB_txn *txn);

// Close (or, for a nested commit, hand back) the cursors of a write txn.
void cursors_close(MDB_txn *txn, bool merge);

}  // namespace lmdb
