/* A short tour of the API: create an environment, write, read back, iterate. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(expr)                                                         \
	do {                                                                    \
		int rc_ = (expr);                                                   \
		if (rc_ != 0) {                                                     \
			fprintf(stderr, "%s: %s\n", #expr, mdb_strerror(rc_));          \
			exit(1);                                                        \
		}                                                                   \
	} while (0)

int main(void) {
	char dir[] = "/tmp/lmdb-demo-XXXXXX";
	if (!mkdtemp(dir)) return 1;
	printf("%s, environment in %s\n", mdb_version(NULL, NULL, NULL), dir);

	MDB_env *env;
	CHECK(mdb_env_create(&env));
	CHECK(mdb_env_set_maxdbs(env, 4));
	CHECK(mdb_env_open(env, dir, 0, 0644));

	MDB_txn *txn;
	MDB_dbi dbi;
	CHECK(mdb_txn_begin(env, NULL, 0, &txn));
	CHECK(mdb_dbi_open(txn, "fruit", MDB_CREATE, &dbi));
	const char *names[] = {"cherry", "apple", "banana", "damson"};
	for (int i = 0; i < 4; i++) {
		MDB_val k = {strlen(names[i]), (void *)names[i]};
		char buf[32];
		int n = snprintf(buf, sizeof buf, "%d letters", (int)strlen(names[i]));
		MDB_val v = {(size_t)n, buf};
		CHECK(mdb_put(txn, dbi, &k, &v, 0));
	}
	CHECK(mdb_txn_commit(txn));

	CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	MDB_cursor *cur;
	CHECK(mdb_cursor_open(txn, dbi, &cur));
	MDB_val k, v;
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
		printf("  %.*s -> %.*s\n", (int)k.mv_size, (char *)k.mv_data, (int)v.mv_size,
		       (char *)v.mv_data);
	mdb_cursor_close(cur);
	MDB_stat st;
	CHECK(mdb_stat(txn, dbi, &st));
	printf("entries=%zu depth=%u page size=%u\n", st.ms_entries, st.ms_depth, st.ms_psize);
	mdb_txn_abort(txn);
	mdb_env_close(env);

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
