// The public C ABI: argument checks with upstream's return codes, then one
// call into the engine.  Nothing here throws (the library is built without
// exceptions); allocation failures surface as ENOMEM from the engine.
#include <cerrno>
#include <climits>
#include <cstring>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "db/database.h"
#include "env/env_ops.h"
#include "lmdb.h"
#include "txn/txn_ops.h"
#include "util/visibility.h"

using namespace lmdb;
using format::kCoreDbs;
using format::kFreeDbi;
using format::kMainDbi;

// ---- environment ------------------------------------------------------------

LMDB_API int mdb_env_create(MDB_env **env) {
	if (!env) return EINVAL;
	return env_create(env);
}

LMDB_API int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode) {
	if (!env || !path) return EINVAL;
	return env_open(env, path, flags, mode);
}

LMDB_API void mdb_env_close(MDB_env *env) { env_close(env); }

LMDB_API int mdb_env_set_mapsize(MDB_env *env, size_t size) {
	if (!env) return EINVAL;
	return env_set_mapsize(env, size);
}

LMDB_API int mdb_env_set_maxreaders(MDB_env *env, unsigned int readers) {
	if (!env || env->map || readers < 1) return EINVAL;
	env->maxreaders = readers;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_get_maxreaders(MDB_env *env, unsigned int *readers) {
	if (!env || !readers) return EINVAL;
	*readers = env->maxreaders;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_set_maxdbs(MDB_env *env, MDB_dbi dbs) {
	// With the two core dbs the count must not wrap (upstream's wraps to
	// 0 or 1 and overruns its arrays on the first write).
	if (!env || env->map || dbs > UINT_MAX - kCoreDbs) return EINVAL;
	env->maxdbs = dbs + kCoreDbs;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_get_maxkeysize(MDB_env *) { return int(format::kMaxKeySize); }

LMDB_API int mdb_env_set_flags(MDB_env *env, unsigned int flags, int onoff) {
	if (!env || (flags & ~kEnvChangeableFlags)) return EINVAL;
	if (onoff)
		env->flags |= flags;
	else
		env->flags &= ~flags;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_get_flags(MDB_env *env, unsigned int *flags) {
	if (!env || !flags) return EINVAL;
	*flags = env->flags & kEnvOpenFlags;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_get_path(MDB_env *env, const char **path) {
	if (!env || !path) return EINVAL;
	*path = env->path;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_get_fd(MDB_env *env, mdb_filehandle_t *fd) {
	if (!env || !fd) return EINVAL;
	*fd = env->fd.valid() ? env->fd.get() : -1;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_set_userctx(MDB_env *env, void *ctx) {
	if (!env) return EINVAL;
	env->userctx = ctx;
	return MDB_SUCCESS;
}

LMDB_API void *mdb_env_get_userctx(MDB_env *env) { return env ? env->userctx : nullptr; }

LMDB_API int mdb_env_set_assert(MDB_env *env, MDB_assert_func *func) {
	if (!env) return EINVAL;
	env->assert_func = func;
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_sync(MDB_env *env, int force) {
	if (!env) return EINVAL;
	// The fork check is for an open env.  One that is not open syncs the
	// descriptor it does not have, as upstream does: EBADF, unless
	// MDB_NOSYNC spares a non-forced sync (EACCES with MDB_RDONLY left
	// by a failed read-only open).
	if (env->map && env_in_fork_child(env)) return EINVAL;
	return env_sync(env, force != 0);
}

LMDB_API int mdb_env_stat(MDB_env *env, MDB_stat *stat) {
	if (!env || !stat || !env->map) return EINVAL;
	stat_from_record(env, &pick_meta(env)->dbs[kMainDbi], stat);
	return MDB_SUCCESS;
}

LMDB_API int mdb_env_info(MDB_env *env, MDB_envinfo *info) {
	if (!env || !info) return EINVAL;
	if (!env->map) {
		std::memset(info, 0, sizeof *info);
		info->me_mapsize = env->mapsize;
		info->me_maxreaders = env->maxreaders;
		return MDB_SUCCESS;
	}
	format::Meta *meta = pick_meta(env);
	info->me_mapaddr = reinterpret_cast<void *>(meta->address);
	info->me_last_pgno = meta->last_pgno;
	info->me_last_txnid = meta->txnid;
	info->me_mapsize = env->mapsize;
	info->me_maxreaders = env->maxreaders;
	info->me_numreaders = env->locks.num_readers();
	return MDB_SUCCESS;
}

// ---- transactions ----------------------------------------------------------------

LMDB_API int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn) {
	if (!env || !txn) return EINVAL;
	if (!env->map) {
		// Not open (upstream crashes, except for a write txn after a
		// failed read-only open: EACCES, its first check).
		return (env->flags & MDB_RDONLY & ~flags) ? EACCES : EINVAL;
	}
	return txn_begin(env, parent, flags, txn);
}

LMDB_API MDB_env *mdb_txn_env(MDB_txn *txn) { return txn ? txn->env : nullptr; }

LMDB_API size_t mdb_txn_id(MDB_txn *txn) { return txn ? size_t(txn->txnid) : 0; }

LMDB_API int mdb_txn_commit(MDB_txn *txn) { return txn_commit(txn); }

LMDB_API void mdb_txn_abort(MDB_txn *txn) { txn_abort(txn); }

LMDB_API void mdb_txn_reset(MDB_txn *txn) { txn_reset(txn); }

LMDB_API int mdb_txn_renew(MDB_txn *txn) { return txn_renew(txn); }

// ---- databases -------------------------------------------------------------------

LMDB_API int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi) {
	if (!txn || !dbi) return EINVAL;
	return dbi_open(txn, name, flags, dbi);
}

LMDB_API int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat) {
	if (!stat || !txn_dbi_exists(txn, dbi, kDbValid)) return EINVAL;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	if (txn->dbflags[dbi] & kDbStale) {
		XCursor mx;
		MDB_cursor mc;
		cursor_init(&mc, txn, dbi, &mx);
	}
	stat_from_record(txn->env, &txn->dbs[dbi], stat);
	return MDB_SUCCESS;
}

LMDB_API int mdb_dbi_flags(MDB_txn *txn, MDB_dbi dbi, unsigned int *flags) {
	if (!flags || !txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	*flags = txn->dbs[dbi].flags & format::kPersistentDbFlags;
	return MDB_SUCCESS;
}

LMDB_API void mdb_dbi_close(MDB_env *env, MDB_dbi dbi) {
	if (env && env->dbxs) dbi_close(env, dbi);
}

LMDB_API int mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del) {
	if (unsigned(del) > 1 || !txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	if (txn->flags & kTxnRdonly) return EACCES;
	if (txn_dbi_changed(txn, dbi)) return MDB_BAD_DBI;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	return drop(txn, dbi, del);
}

LMDB_API int mdb_set_compare(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp) {
	if (!txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	txn->dbxs[dbi].cmp = cmp;
	return MDB_SUCCESS;
}

LMDB_API int mdb_set_dupsort(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp) {
	if (!txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	txn->dbxs[dbi].dcmp = cmp;
	return MDB_SUCCESS;
}

LMDB_API int mdb_set_relfunc(MDB_txn *txn, MDB_dbi dbi, MDB_rel_func *rel) {
	if (!txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	txn->dbxs[dbi].rel = rel;
	return MDB_SUCCESS;
}

LMDB_API int mdb_set_relctx(MDB_txn *txn, MDB_dbi dbi, void *ctx) {
	if (!txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	txn->dbxs[dbi].relctx = ctx;
	return MDB_SUCCESS;
}

// ---- items ---------------------------------------------------------------------------

LMDB_API int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) {
	if (!key || !data || !txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	return get0(txn, dbi, key, data);
}

LMDB_API int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags) {
	if (!key || !data || !txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	if (flags & ~(MDB_NOOVERWRITE | MDB_NODUPDATA | MDB_RESERVE | MDB_APPEND | MDB_APPENDDUP))
		return EINVAL;
	if (txn->flags & (kTxnRdonly | kTxnBlocked)) return (txn->flags & kTxnRdonly) ? EACCES : MDB_BAD_TXN;
	return put0(txn, dbi, key, data, flags);
}

LMDB_API int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) {
	if (!key || !txn_dbi_exists(txn, dbi, kDbUserValid)) return EINVAL;
	if (txn->flags & (kTxnRdonly | kTxnBlocked)) return (txn->flags & kTxnRdonly) ? EACCES : MDB_BAD_TXN;
	if (!(txn->dbs[dbi].flags & MDB_DUPSORT)) data = nullptr;
	return del0(txn, dbi, key, data, 0);
}

// ---- cursors ---------------------------------------------------------------------------

LMDB_API int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor) {
	if (!cursor || !txn_dbi_exists(txn, dbi, kDbValid)) return EINVAL;
	if (txn->flags & kTxnBlocked) return MDB_BAD_TXN;
	if (dbi == kFreeDbi && !(txn->flags & kTxnRdonly)) return EINVAL;
	return cursor_open(txn, dbi, cursor);
}

LMDB_API void mdb_cursor_close(MDB_cursor *cursor) { cursor_close(cursor); }

LMDB_API int mdb_cursor_renew(MDB_txn *txn, MDB_cursor *cursor) { return cursor_renew(txn, cursor); }

LMDB_API MDB_txn *mdb_cursor_txn(MDB_cursor *cursor) {
	return cursor && cursor->txn != kEndedTxn ? cursor->txn : nullptr;
}

LMDB_API MDB_dbi mdb_cursor_dbi(MDB_cursor *cursor) { return cursor ? cursor->dbi : 0; }

LMDB_API int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
	if (!cursor) return EINVAL;
	if ((op == MDB_NEXT || op == MDB_PREV) && !(cursor->txn->flags & kTxnBlocked)) [[likely]] {
		// Scans: straight to the move, without the general dispatch.
		int rc = op == MDB_NEXT ? cursor_next(cursor, key, data, op) : cursor_prev(cursor, key, data, op);
		end_deleted_state(cursor);  // as cursor_get
		return rc;
	}
	return cursor_get(cursor, key, data, op);
}

LMDB_API int mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data, unsigned int flags) {
	if (!cursor || !key || !data) return EINVAL;
	if (cursor->txn == kEndedTxn) return MDB_BAD_TXN;
	// F_DUPDATA is a node flag, not a put flag (its value is MDB_DUPSORT's):
	// taken from the caller it would mark a new node as holding duplicates
	// (upstream crashes on the next read of it).  Ignored, as upstream
	// ignores it when the key exists.
	return cursor_put(cursor, key, data, flags & ~unsigned(format::F_DUPDATA));
}

LMDB_API int mdb_cursor_del(MDB_cursor *cursor, unsigned int flags) {
	if (!cursor) return EINVAL;
	return cursor_del(cursor, flags);
}

LMDB_API int mdb_cursor_count(MDB_cursor *cursor, size_t *countp) {
	if (!cursor || !countp) return EINVAL;
	return cursor_count(cursor, countp);
}

LMDB_API int mdb_cmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b) {
	MDB_cmp_func *cmp = txn->dbxs[dbi].cmp;
	if (cmp == cmp_cint) return cmp_cint_value(a, b);
	return cmp(a, b);
}

LMDB_API int mdb_dcmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b) {
	MDB_cmp_func *dcmp = txn->dbxs[dbi].dcmp;
	if (dcmp == cmp_int && a->mv_size == sizeof(size_t)) dcmp = cmp_long;
	if (dcmp == cmp_cint) return cmp_cint_value(a, b);
	return dcmp(a, b);
}

// ---- reader table ---------------------------------------------------------------------

LMDB_API int mdb_reader_list(MDB_env *env, MDB_msg_func *func, void *ctx) {
	if (!env || !func) return -1;
	return env->locks.reader_list(func, ctx);
}

LMDB_API int mdb_reader_check(MDB_env *env, int *dead) {
	if (!env) return EINVAL;
	if (dead) *dead = 0;
	return env->locks.reader_check(dead);
}

