// Nested write transactions.  Not available yet (issue 5): beginning one
// fails cleanly with ENOTSUP and leaves the parent usable.
#include <cerrno>

#include "txn/txn_ops.h"

namespace lmdb {

int nested_txn_begin(MDB_txn *, MDB_txn **) { return ENOTSUP; }
int nested_txn_commit(MDB_txn *) { return ENOTSUP; }
void nested_txn_detach(MDB_txn *) {}

}  // namespace lmdb
