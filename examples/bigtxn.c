/* One write transaction of several GiB: dirty pages spill to the file once
 * past the budget, so resident memory stays bounded.  Used by
 * scripts/soak_bigtxn.sh (not part of CI).
 *   lmdb_bigtxn DIR GIB   -> writes GIB GiB of 4000-byte values in one txn,
 *                            commits, then verifies every record. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define CHECK(expr)                                                         \
	do {                                                                    \
		int rc_ = (expr);                                                   \
		if (rc_ != 0) {                                                     \
			fprintf(stderr, "%s: %s\n", #expr, mdb_strerror(rc_));          \
			return 1;                                                       \
		}                                                                   \
	} while (0)

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: lmdb_bigtxn DIR GIB\n");
		return 2;
	}
	size_t gib = (size_t)atol(argv[2]);
	size_t vsize = 4000, n = gib * (1UL << 30) / vsize;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	CHECK(mdb_env_create(&env));
	CHECK(mdb_env_set_mapsize(env, (gib + 2) * (1UL << 30) * 2));
	CHECK(mdb_env_open(env, argv[1], MDB_NOSYNC, 0644));
	CHECK(mdb_txn_begin(env, NULL, 0, &txn));
	CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
	char *val = malloc(vsize);
	if (!val) return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned long long key = __builtin_bswap64(i); /* big-endian: sorted */
		memset(val, (int)(i & 0xff), vsize);
		memcpy(val, &i, sizeof i);
		MDB_val k = {sizeof key, &key}, v = {vsize, val};
		CHECK(mdb_put(txn, dbi, &k, &v, MDB_APPEND));
	}
	CHECK(mdb_txn_commit(txn));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	/* Before the read-back below, which maps the whole file in. */
	printf("peak RSS while writing: %ld MiB\n", ru.ru_maxrss / 1024);
	CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	MDB_cursor *c;
	CHECK(mdb_cursor_open(txn, dbi, &c));
	MDB_val k, v;
	size_t seen = 0;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		size_t i;
		memcpy(&i, v.mv_data, sizeof i);
		if (i != seen || v.mv_size != vsize || ((unsigned char *)v.mv_data)[vsize - 1] != (i & 0xff)) {
			fprintf(stderr, "record %zu is wrong\n", seen);
			return 1;
		}
		seen++;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	free(val);
	printf("%zu records (%zu GiB) written in one transaction and verified\n", seen, gib);
	return seen == n ? 0 : 1;
}
