/* A small program built against an installed lmdb-cpp tree: it writes and
 * reads back a few records and prints the library version it was linked with
 * and the path of the liblmdb it actually runs on (from /proc/self/maps; a
 * static link shows none). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#define CHECK(expr)                                                              \
	do {                                                                     \
		int rc_ = (expr);                                                \
		if (rc_) {                                                       \
			fprintf(stderr, "%s: %s\n", #expr, mdb_strerror(rc_));   \
			exit(1);                                                 \
		}                                                                \
	} while (0)

static void print_loaded_lmdb(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	const char *shown = NULL;
	static char path[4096];
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, "/liblmdb.so")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(path, sizeof path, "%s", p);
			shown = path;
			break;
		}
	}
	fclose(f);
	printf("loaded: %s\n", shown ? shown : "(static)");
}

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	MDB_stat st;
	char key[16], val[32];
	int major, minor, patch, i;
	if (argc != 2) {
		fprintf(stderr, "usage: consumer DIR\n");
		return 2;
	}
	mdb_version(&major, &minor, &patch);
	printf("version: %d.%d.%d (header %d.%d.%d)\n", major, minor, patch,
	       MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH);
	print_loaded_lmdb();

	CHECK(mdb_env_create(&env));
	CHECK(mdb_env_set_maxdbs(env, 4));
	CHECK(mdb_env_open(env, argv[1], 0, 0644));
	CHECK(mdb_txn_begin(env, NULL, 0, &txn));
	CHECK(mdb_dbi_open(txn, "things", MDB_CREATE, &dbi));
	for (i = 0; i < 1000; i++) {
		k.mv_size = (size_t)snprintf(key, sizeof key, "k%05d", i);
		k.mv_data = key;
		v.mv_size = (size_t)snprintf(val, sizeof val, "value %d", i * 7);
		v.mv_data = val;
		CHECK(mdb_put(txn, dbi, &k, &v, 0));
	}
	CHECK(mdb_txn_commit(txn));

	CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	k.mv_data = "k00777";
	k.mv_size = 6;
	CHECK(mdb_get(txn, dbi, &k, &v));
	CHECK(mdb_stat(txn, dbi, &st));
	printf("k00777 = %.*s, entries %zu\n", (int)v.mv_size, (const char *)v.mv_data,
	       st.ms_entries);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}
