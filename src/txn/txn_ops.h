// Transaction operations used by the C API layer.
#pragma once

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
void txn_reset(MDB_txn *txn);
int txn_renew(MDB_txn *txn);
void txn_end(MDB_txn *txn, unsigned mode);
void txn_free(MDB_txn *txn);
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
