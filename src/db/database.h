// Database handles: opening named databases (records in the main db),
// closing handles, emptying and deleting databases.
#pragma once

#include "txn/transaction.h"

namespace lmdb {

int dbi_open(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *dbi);
void dbi_close(MDB_env *env, MDB_dbi dbi);
int drop(MDB_txn *txn, MDB_dbi dbi, int del);
// Delete a key (or one key/data pair) through a temporary tracked cursor.
int del0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int put0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int get0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);

// Cursors handed out by mdb_cursor_open (with room for the sub-cursor).
int cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **ret);
void cursor_close(MDB_cursor *mc);
int cursor_renew(MDB_txn *txn, MDB_cursor *mc);

}  // namespace lmdb
