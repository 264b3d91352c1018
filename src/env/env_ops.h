// Environment operations used by the C API layer.
#pragma once

#include "env/environment.h"

namespace lmdb {

int env_create(MDB_env **out);
int env_open(MDB_env *env, const char *path, unsigned flags, mdb_mode_t mode);
void env_close(MDB_env *env);
int env_set_mapsize(MDB_env *env, size_t size);
void stat_from_record(const MDB_env *env, const format::DbRecord *db, MDB_stat *st);

}  // namespace lmdb
