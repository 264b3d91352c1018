// Storage of a caller-visible cursor: the cursor and its sub-cursor for
// sorted duplicates, allocated together (also used for the backups that
// nested transactions keep of their parent's cursors).
#pragma once

#include "btree/dupsort.h"

namespace lmdb {

struct CursorBox {
	MDB_cursor c;
	XCursor x;
};

}  // namespace lmdb
