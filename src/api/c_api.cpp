// TEMPORARY placeholder so that dependent targets link while the engine is written.
// Every function fails with ENOSYS. Replaced by the real C API layer.
#include <cerrno>
#include "lmdb.h"
extern "C" {
__attribute__((visibility("default"))) char *mdb_version(int *major, int *minor, int *patch) { return nullptr; }
__attribute__((visibility("default"))) char *mdb_strerror(int err) { return nullptr; }
__attribute__((visibility("default"))) int mdb_env_create(MDB_env **env) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_copy(MDB_env *env, const char *path) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_copyfd(MDB_env *env, mdb_filehandle_t fd) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_copy2(MDB_env *env, const char *path, unsigned int flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_copyfd2(MDB_env *env, mdb_filehandle_t fd, unsigned int flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_stat(MDB_env *env, MDB_stat *stat) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_info(MDB_env *env, MDB_envinfo *stat) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_sync(MDB_env *env, int force) { return ENOSYS; }
__attribute__((visibility("default"))) void mdb_env_close(MDB_env *env) {  }
__attribute__((visibility("default"))) int mdb_env_set_flags(MDB_env *env, unsigned int flags, int onoff) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_get_flags(MDB_env *env, unsigned int *flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_get_path(MDB_env *env, const char **path) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_get_fd(MDB_env *env, mdb_filehandle_t *fd) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_set_mapsize(MDB_env *env, size_t size) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_set_maxreaders(MDB_env *env, unsigned int readers) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_get_maxreaders(MDB_env *env, unsigned int *readers) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_set_maxdbs(MDB_env *env, MDB_dbi dbs) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_get_maxkeysize(MDB_env *env) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_env_set_userctx(MDB_env *env, void *ctx) { return ENOSYS; }
__attribute__((visibility("default"))) void *mdb_env_get_userctx(MDB_env *env) { return nullptr; }
__attribute__((visibility("default"))) int mdb_env_set_assert(MDB_env *env, MDB_assert_func *func) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn) { return ENOSYS; }
__attribute__((visibility("default"))) MDB_env *mdb_txn_env(MDB_txn *txn) { return nullptr; }
__attribute__((visibility("default"))) size_t mdb_txn_id(MDB_txn *txn) { return 0; }
__attribute__((visibility("default"))) int mdb_txn_commit(MDB_txn *txn) { return ENOSYS; }
__attribute__((visibility("default"))) void mdb_txn_abort(MDB_txn *txn) {  }
__attribute__((visibility("default"))) void mdb_txn_reset(MDB_txn *txn) {  }
__attribute__((visibility("default"))) int mdb_txn_renew(MDB_txn *txn) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_dbi_flags(MDB_txn *txn, MDB_dbi dbi, unsigned int *flags) { return ENOSYS; }
__attribute__((visibility("default"))) void mdb_dbi_close(MDB_env *env, MDB_dbi dbi) {  }
__attribute__((visibility("default"))) int mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_set_compare(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_set_dupsort(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_set_relfunc(MDB_txn *txn, MDB_dbi dbi, MDB_rel_func *rel) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_set_relctx(MDB_txn *txn, MDB_dbi dbi, void *ctx) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor) { return ENOSYS; }
__attribute__((visibility("default"))) void mdb_cursor_close(MDB_cursor *cursor) {  }
__attribute__((visibility("default"))) int mdb_cursor_renew(MDB_txn *txn, MDB_cursor *cursor) { return ENOSYS; }
__attribute__((visibility("default"))) MDB_txn *mdb_cursor_txn(MDB_cursor *cursor) { return nullptr; }
__attribute__((visibility("default"))) MDB_dbi mdb_cursor_dbi(MDB_cursor *cursor) { return 0; }
__attribute__((visibility("default"))) int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data, unsigned int flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_cursor_del(MDB_cursor *cursor, unsigned int flags) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_cursor_count(MDB_cursor *cursor, size_t *countp) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_cmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_dcmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_reader_list(MDB_env *env, MDB_msg_func *func, void *ctx) { return ENOSYS; }
__attribute__((visibility("default"))) int mdb_reader_check(MDB_env *env, int *dead) { return ENOSYS; }
}
