#include "util/heap.h"
#include "db/database.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "db/cursor_box.h"
#include "txn/txn_ops.h"
#include "util/fault.h"

namespace lmdb {

using namespace format;

inline constexpr unsigned kValidDbFlags = MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY |
                                          MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEDUP | MDB_CREATE;

int dbi_open(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *dbi) {
	if (flags & ~kValidDbFlags) return EINVAL;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;

	if (!name) {
		*dbi = kMainDbi;
		if (flags & kPersistentDbFlags) {
			uint16_t f2 = uint16_t(flags & kPersistentDbFlags);
			// DUPFIXED without DUPSORT makes a db upstream stores empty keys
			// in (data lost); a record with it is refused on reading.
			if (!db_flags_sane(uint16_t(txn->dbs[kMainDbi].flags | f2))) return EINVAL;
			if ((txn->dbs[kMainDbi].flags | f2) != txn->dbs[kMainDbi].flags) {
				txn->dbs[kMainDbi].flags |= f2;
				txn->flags |= kTxnDirty;
			}
		}
		set_default_cmp(txn, kMainDbi);
		return MDB_SUCCESS;
	}
	if (txn->dbxs[kMainDbi].cmp == nullptr) set_default_cmp(txn, kMainDbi);

	size_t len = std::strlen(name);
	unsigned unused = 0;
	for (unsigned i = kCoreDbs; i < txn->numdbs; i++) {
		if (!txn->dbxs[i].name.mv_size) {
			if (!unused) unused = i;
			continue;
		}
		if (len == txn->dbxs[i].name.mv_size && !std::strncmp(name, static_cast<char *>(txn->dbxs[i].name.mv_data), len)) {
			*dbi = i;
			return MDB_SUCCESS;
		}
	}
	if (!unused && txn->numdbs >= txn->env->maxdbs) return MDB_DBS_FULL;
	if (txn->dbs[kMainDbi].flags & (MDB_DUPSORT | MDB_INTEGERKEY))
		return (flags & MDB_CREATE) ? MDB_INCOMPATIBLE : MDB_NOTFOUND;

	uint8_t dbflag = kDbNew | kDbValid | kDbUserValid;
	int exact = 0;
	MDB_val key{len, const_cast<char *>(name)}, data;
	MDB_cursor mc;
	cursor_init(&mc, txn, kMainDbi);
	int rc = cursor_set(&mc, &key, &data, MDB_SET, &exact);
	if (rc == MDB_SUCCESS) {
		Node *node = node_at(mc.pg[mc.top], mc.ki[mc.top]);
		if ((node->flags & (F_DUPDATA | F_SUBDATA)) != F_SUBDATA) return MDB_INCOMPATIBLE;
		if (data.mv_size != sizeof(DbRecord)) return MDB_CORRUPTED;
		// The record's own fields, once, where they enter the txn.
		DbRecord rec;
		std::memcpy(&rec, data.mv_data, sizeof rec);
		if (!db_flags_sane(rec.flags)) return MDB_INVALID;
		if (rec.depth > kCursorStack) return MDB_CORRUPTED;
	} else {
		if (rc != MDB_NOTFOUND || !(flags & MDB_CREATE)) return rc;
		if (txn->flags & kTxnRdonly) return EACCES;
		if (!db_flags_sane(uint16_t(flags & kPersistentDbFlags))) return EINVAL;  // (as for the main db)
	}
	char *namedup = static_cast<char *>(lmdb::os::sys_malloc(len + 1));
	if (!namedup) return ENOMEM;
	std::memcpy(namedup, name, len + 1);

	DbRecord dummy;
	if (rc) {
		std::memset(&dummy, 0, sizeof dummy);
		dummy.root = kInvalidPgno;
		dummy.flags = uint16_t(flags & kPersistentDbFlags);
		data.mv_size = sizeof(DbRecord);
		data.mv_data = &dummy;
		rc = with_tracking(&mc, [&] { return cursor_put(&mc, &key, &data, F_SUBDATA); });
		dbflag |= kDbDirty;
	}
	if (rc) {
		std::free(namedup);
		return rc;
	}
	unsigned slot = unused ? unused : txn->numdbs;
	txn->dbxs[slot].name = MDB_val{len, namedup};
	txn->dbxs[slot].rel = nullptr;
	txn->dbflags[slot] = dbflag;
	unsigned seq = ++txn->env->dbiseqs[slot];
	txn->dbiseqs[slot] = seq;
	std::memcpy(&txn->dbs[slot], data.mv_data, sizeof(DbRecord));
	*dbi = slot;
	set_default_cmp(txn, slot);
	if (!unused) txn->numdbs++;
	return MDB_SUCCESS;
}

void dbi_close(MDB_env *env, MDB_dbi dbi) {
	if (dbi < kCoreDbs || dbi >= env->maxdbs) return;
	char *ptr = static_cast<char *>(env->dbxs[dbi].name.mv_data);
	if (ptr) {
		env->dbxs[dbi].name = MDB_val{0, nullptr};
		env->dbflags[dbi] = 0;
		env->dbiseqs[dbi]++;
		std::free(ptr);
	}
}

int del0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags) {
	XCursor mx;
	MDB_cursor mc;
	cursor_init(&mc, txn, dbi, &mx);
	MDB_cursor_op op;
	MDB_val rdata, *xdata;
	int exact = 0;
	if (data) {
		op = MDB_GET_BOTH;
		rdata = *data;
		xdata = &rdata;
	} else {
		op = MDB_SET;
		xdata = nullptr;
		flags |= MDB_NODUPDATA;
	}
	int rc = cursor_set(&mc, key, xdata, op, &exact);
	if (rc == 0) {
		mc.flags |= kCursorUntrack;
		rc = with_tracking(&mc, [&] { return cursor_del(&mc, flags); });
	}
	return rc;
}

int put0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags) {
	XCursor mx;
	MDB_cursor mc;
	cursor_init(&mc, txn, dbi, &mx);
	return with_tracking(&mc, [&] { return cursor_put(&mc, key, data, flags); });
}

int get0(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) {
	XCursor mx;
	MDB_cursor mc;
	int exact = 0;
	cursor_init(&mc, txn, dbi, &mx);
	return cursor_set(&mc, key, data, MDB_SET, &exact);
}


// A cursor block kept in env->dead_cursors (see there).
inline constexpr unsigned kCursorPooled = 0x80000000u;

void dead_cursors_free(MDB_env *env) {
	for (MDB_cursor *mc = env->dead_cursors, *next; mc; mc = next) {
		next = mc->next;
		heap_delete(reinterpret_cast<CursorBox *>(mc));
	}
	env->dead_cursors = nullptr;
}

// A user cursor of a write txn that is ending: kept for reuse.
static void cursor_retire(MDB_env *env, MDB_cursor *mc) {
	mc->txn = kEndedTxn;
	mc->flags = kCursorPooled | kCursorUntrack;
	mc->next = env->dead_cursors;
	env->dead_cursors = mc;
}

int cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **ret) {
	MDB_env *env = txn->env;
	CursorBox *box;
	// Only a write txn (the writer lock is held) touches the pool: read
	// txns of other threads may open cursors at the same time.
	MDB_cursor *d = txn->cursors ? env->dead_cursors : nullptr;
	if (d) {
		env->dead_cursors = d->next;
		box = reinterpret_cast<CursorBox *>(d);
	} else {
		box = heap_new<CursorBox>();
		if (!box) return ENOMEM;
	}
	MDB_cursor *mc = &box->c;
	cursor_init(mc, txn, dbi, &box->x);
	if (txn->cursors) {
		mc->next = txn->cursors[dbi];
		txn->cursors[dbi] = mc;
		mc->flags |= kCursorUntrack;
	} else {
		mc->next = txn->ro_cursors;
		txn->ro_cursors = mc;
	}
	*ret = mc;
	return MDB_SUCCESS;
}

// Take a read-txn cursor off its (live) txn's list.
static void ro_cursor_unlink(MDB_cursor *mc) {
	MDB_txn *txn = mc->txn;
	if (txn == kEndedTxn || txn->cursors) return;
	MDB_cursor **prev = &txn->ro_cursors;
	while (*prev && *prev != mc) prev = &(*prev)->next;
	if (*prev == mc) *prev = mc->next;
	mc->next = nullptr;
}

void cursor_close(MDB_cursor *mc) {
	// A write txn's cursor after the txn ended is already closed.
	if (!mc || mc->backup || (mc->flags & kCursorPooled)) return;
	if (!(mc->flags & kCursorUntrack)) ro_cursor_unlink(mc);
	if ((mc->flags & kCursorUntrack) && mc->txn->cursors) {
		MDB_cursor **prev = &mc->txn->cursors[mc->dbi];
		while (*prev && *prev != mc) prev = &(*prev)->next;
		if (*prev == mc) *prev = mc->next;
	}
	heap_delete(reinterpret_cast<CursorBox *>(mc));
}

int cursor_renew(MDB_txn *txn, MDB_cursor *mc) {
	if (!mc || !txn_dbi_exists(txn, mc->dbi, kDbValid)) return EINVAL;
	if ((mc->flags & kCursorUntrack) || txn->cursors) return EINVAL;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	ro_cursor_unlink(mc);
	cursor_init(mc, txn, mc->dbi, &reinterpret_cast<CursorBox *>(mc)->x);
	mc->next = txn->ro_cursors;
	txn->ro_cursors = mc;
	return MDB_SUCCESS;
}

void cursors_close(MDB_txn *txn, bool merge) {
	if (!txn->cursors) return;
	for (unsigned i = txn->numdbs; i-- > 0;) {
		MDB_cursor *next;
		for (MDB_cursor *mc = txn->cursors[i]; mc; mc = next) {
			next = mc->next;
			if (MDB_cursor *bk = mc->backup) {
				if (merge) {
					mc->next = bk->next;
					mc->backup = bk->backup;
					mc->txn = bk->txn;
					mc->db = bk->db;
					mc->dbflag = bk->dbflag;
					if (mc->xcursor) mc->xcursor->cursor.txn = bk->txn;
				} else {
					*mc = *bk;
					if (mc->xcursor) *mc->xcursor = reinterpret_cast<CursorBox *>(bk)->x;
				}
				heap_delete(reinterpret_cast<CursorBox *>(bk));
				continue;
			}
			cursor_retire(txn->env, mc);
		}
		txn->cursors[i] = nullptr;
	}
}

int drop(MDB_txn *txn, MDB_dbi dbi, int del) {
	MDB_cursor *mc;
	int rc = cursor_open(txn, dbi, &mc);
	if (rc) return rc;
	rc = drop_tree(mc, (mc->db->flags & MDB_DUPSORT) != 0);
	for (MDB_cursor *m2 = txn->cursors[dbi]; m2; m2 = m2->next)
		m2->flags &= ~(kCursorInitialized | kCursorEof | kCursorDel);  // unpositioned, as new
	if (rc) goto leave;
	if (del && dbi >= kCoreDbs) {
		rc = del0(txn, kMainDbi, &mc->dbx->name, nullptr, F_SUBDATA);
		if (!rc) {
			txn->dbflags[dbi] = kDbStale;
			dbi_close(txn->env, dbi);
		} else {
			txn->flags |= kTxnError;
		}
	} else {
		txn->dbflags[dbi] |= kDbDirty;
		DbRecord &d = txn->dbs[dbi];
		d.depth = 0;
		d.branch_pages = 0;
		d.leaf_pages = 0;
		d.overflow_pages = 0;
		d.entries = 0;
		d.root = kInvalidPgno;
		txn->flags |= kTxnDirty;
	}
leave:
	cursor_close(mc);
	return rc;
}

}  // namespace lmdb
