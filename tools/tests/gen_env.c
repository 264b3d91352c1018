/* Test helper for the tools tests: builds LMDB environments of known
 * content through the public API, and plays reader processes.
 *
 *   gen_env plain|named|dupsort|intkey|mixed|text|empty DIR
 *   gen_env naive-drop DIR       empty the main database with a bare mdb_drop()
 *   gen_env nosubdir FILE
 *   gen_env big DIR COUNT        COUNT records of 100 bytes in the main DB
 *   gen_env hold DIR             keep a read transaction open; print "ready",
 *                                finish cleanly on SIGTERM or end of stdin
 *   gen_env stale DIR            begin a read transaction and _exit() with it,
 *                                leaving a stale reader slot behind
 *   gen_env count DIR [NAME]     print the number of entries of a database
 *
 * The content is fixed (a seeded generator, no clock), so that two runs
 * give environments with the same records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmdb.h"

#define MAPSIZE (8u << 20)

static void check(int rc, const char *what)
{
	if (rc) {
		const char *s = mdb_strerror(rc);
		fprintf(stderr, "gen_env: %s: %s (%d)\n", what, s ? s : "?", rc);
		exit(2);
	}
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static MDB_env *open_env_sized(const char *path, unsigned int flags, MDB_dbi maxdbs,
                               size_t mapsize)
{
	MDB_env *env;
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_mapsize(env, mapsize), "mdb_env_set_mapsize");
	if (maxdbs)
		check(mdb_env_set_maxdbs(env, maxdbs), "mdb_env_set_maxdbs");
	check(mdb_env_open(env, path, flags, 0664), "mdb_env_open");
	return env;
}

static MDB_env *open_env(const char *path, unsigned int flags, MDB_dbi maxdbs)
{
	return open_env_sized(path, flags, maxdbs, MAPSIZE);
}

static MDB_txn *begin(MDB_env *env)
{
	MDB_txn *txn;
	check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
	return txn;
}

static MDB_dbi opendb(MDB_txn *txn, const char *name, unsigned int flags)
{
	MDB_dbi dbi;
	check(mdb_dbi_open(txn, name, flags | MDB_CREATE, &dbi), "mdb_dbi_open");
	return dbi;
}

static void put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *d,
                size_t dlen, unsigned int flags)
{
	MDB_val key = { klen, (void *)k }, data = { dlen, (void *)d };
	int rc = mdb_put(txn, dbi, &key, &data, flags);
	if (rc == MDB_KEYEXIST && (flags & (MDB_NODUPDATA | MDB_NOOVERWRITE)))
		return;
	check(rc, "mdb_put");
}

static void put_str(MDB_txn *txn, MDB_dbi dbi, const char *k, const char *d)
{
	put(txn, dbi, k, strlen(k), d, strlen(d), 0);
}

static void del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
	MDB_val key = { klen, (void *)k };
	int rc = mdb_del(txn, dbi, &key, NULL);
	if (rc != MDB_NOTFOUND)
		check(rc, "mdb_del");
}

/* A value exercising every byte class of the dump formats. */
static size_t make_value(unsigned char *buf, size_t i)
{
	size_t len;
	switch (i % 7) {
	case 0: /* printable text with a backslash */
		len = (size_t)snprintf((char *)buf, 64, "value %zu \\ with text", i);
		break;
	case 1: /* all byte values */
		len = 256;
		for (size_t j = 0; j < len; j++)
			buf[j] = (unsigned char)(j + i);
		break;
	case 2: /* empty */
		len = 0;
		break;
	case 3: /* needs overflow pages */
		len = 3000 + (i % 5) * 1500;
		for (size_t j = 0; j < len; j++)
			buf[j] = (unsigned char)(rnd() & 0xff);
		break;
	default:
		len = 1 + rnd() % 120;
		for (size_t j = 0; j < len; j++)
			buf[j] = (unsigned char)(' ' + rnd() % 95);
		break;
	}
	return len;
}

/* The main database only; several transactions with deletes and updates,
 * so that the freelist has entries. */
static void gen_plain(const char *path)
{
	static unsigned char val[16384];
	MDB_env *env = open_env(path, 0, 0);
	MDB_txn *txn = begin(env);
	MDB_dbi dbi = opendb(txn, NULL, 0);
	for (size_t i = 0; i < 400; i++) {
		char key[32];
		int klen = snprintf(key, sizeof key, "key%05zu", i * 7 % 400);
		put(txn, dbi, key, (size_t)klen, val, make_value(val, i), 0);
	}
	/* binary keys, one of them holding a newline and a backslash */
	for (uint32_t i = 0; i < 20; i++) {
		unsigned char key[4] = { 0, (unsigned char)(i * 13), '\n', '\\' };
		put(txn, dbi, key, sizeof key, &i, sizeof i, 0);
	}
	check(mdb_txn_commit(txn), "commit");

	for (int round = 0; round < 3; round++) {
		txn = begin(env);
		for (size_t i = (size_t)round; i < 400; i += 3 + (size_t)round) {
			char key[32];
			int klen = snprintf(key, sizeof key, "key%05zu", i);
			if (i % 2)
				del(txn, dbi, key, (size_t)klen);
			else
				put(txn, dbi, key, (size_t)klen, val, make_value(val, i + 3), 0);
		}
		check(mdb_txn_commit(txn), "commit");
	}
	mdb_env_close(env);
}

static void fill_named(MDB_txn *txn, MDB_dbi dbi, size_t n, const char *prefix)
{
	static unsigned char val[16384];
	for (size_t i = 0; i < n; i++) {
		char key[64];
		int klen = snprintf(key, sizeof key, "%s-%04zu", prefix, i);
		put(txn, dbi, key, (size_t)klen, val, make_value(val, i), 0);
	}
}

/* Named databases only; one of them empty, names with odd characters. */
static void gen_named(const char *path)
{
	MDB_env *env = open_env(path, 0, 16);
	MDB_txn *txn = begin(env);
	fill_named(txn, opendb(txn, "alpha", 0), 150, "a");
	fill_named(txn, opendb(txn, "beta", 0), 20, "b");
	(void)opendb(txn, "empty", 0);
	fill_named(txn, opendb(txn, "with space", 0), 3, "s");
	fill_named(txn, opendb(txn, "back\\slash", 0), 3, "k");
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

/* Sorted duplicates in all their variants. */
static void gen_dupsort(const char *path)
{
	MDB_env *env = open_env(path, 0, 16);
	MDB_txn *txn = begin(env);
	MDB_dbi dups = opendb(txn, "dups", MDB_DUPSORT);
	MDB_dbi fixed = opendb(txn, "dupfixed", MDB_DUPSORT | MDB_DUPFIXED);
	MDB_dbi intdup = opendb(txn, "intdup", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP);
	MDB_dbi revdup = opendb(txn, "revdup", MDB_DUPSORT | MDB_REVERSEDUP);
	/* DUPFIXED items of 1 byte (their sub-pages' upper passes the node's
	 * end) and of 2 bytes (enough of them for a sub-database) */
	MDB_dbi fixed1 = opendb(txn, "dupfixed1", MDB_DUPSORT | MDB_DUPFIXED);
	MDB_dbi fixed2 = opendb(txn, "dupfixed2", MDB_DUPSORT | MDB_DUPFIXED);
	for (unsigned k = 0; k < 20; k++) {
		char key[16];
		int klen = snprintf(key, sizeof key, "f%03u", k);
		for (unsigned d = 0; d < (k * 37) % 257; d++) {
			unsigned char b = (unsigned char)(d * 5);
			put(txn, fixed1, key, (size_t)klen, &b, 1, 0);
		}
		for (unsigned d = 0; d < (k == 3 ? 3000u : k); d++) {
			unsigned char w[2] = { (unsigned char)(d >> 8), (unsigned char)d };
			put(txn, fixed2, key, (size_t)klen, w, 2, 0);
		}
	}
	for (unsigned k = 0; k < 60; k++) {
		char key[16];
		int klen = snprintf(key, sizeof key, "k%03u", k);
		unsigned ndup = k == 7 ? 600 : 1 + k % 9;
		for (unsigned d = 0; d < ndup; d++) {
			char val[48];
			int vlen = snprintf(val, sizeof val, "dup %u of %u%s", d, k,
			                    d % 5 == 0 ? " \x01\xfe" : "");
			put(txn, dups, key, (size_t)klen, val, (size_t)vlen, 0);
			uint64_t f = (uint64_t)d * 2654435761u;
			put(txn, fixed, key, (size_t)klen, &f, sizeof f, 0);
			uint32_t u = d * 7 + k;
			put(txn, intdup, key, (size_t)klen, &u, sizeof u, 0);
			put(txn, revdup, key, (size_t)klen, val, (size_t)vlen, 0);
		}
	}
	/* one key with many fixed-size duplicates (several LEAF2 pages) */
	for (uint64_t d = 0; d < 3000; d++)
		put(txn, fixed, "many", 4, &d, sizeof d, 0);
	check(mdb_txn_commit(txn), "commit");
	/* and some deletions of duplicates */
	txn = begin(env);
	for (unsigned k = 0; k < 60; k += 4) {
		char key[16], val[48];
		int klen = snprintf(key, sizeof key, "k%03u", k);
		int vlen = snprintf(val, sizeof val, "dup 0 of %u \x01\xfe", k);
		MDB_val kv = { (size_t)klen, key }, dv = { (size_t)vlen, val };
		int rc = mdb_del(txn, dups, &kv, &dv);
		if (rc != MDB_NOTFOUND)
			check(rc, "mdb_del dup");
	}
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

/* Integer keys of both sizes, and reversed keys. */
static void gen_intkey(const char *path)
{
	MDB_env *env = open_env(path, 0, 8);
	MDB_txn *txn = begin(env);
	MDB_dbi u32 = opendb(txn, "u32", MDB_INTEGERKEY);
	MDB_dbi u64 = opendb(txn, "u64", MDB_INTEGERKEY);
	MDB_dbi rev = opendb(txn, "revkey", MDB_REVERSEKEY);
	for (uint32_t i = 0; i < 1200; i++) {
		uint32_t k = i * 2654435761u;
		size_t k64 = (size_t)k << 20 | i;
		char val[32];
		int vlen = snprintf(val, sizeof val, "n=%u", i);
		put(txn, u32, &k, sizeof k, val, (size_t)vlen, 0);
		put(txn, u64, &k64, sizeof k64, val, (size_t)vlen, 0);
		char key[32];
		int klen = snprintf(key, sizeof key, "%u.rev", i);
		put(txn, rev, key, (size_t)klen, val, (size_t)vlen, 0);
	}
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

/* Plain records and named databases side by side in the main database. */
static void gen_mixed(const char *path)
{
	MDB_env *env = open_env(path, 0, 8);
	MDB_txn *txn = begin(env);
	MDB_dbi main_dbi = opendb(txn, NULL, 0);
	put_str(txn, main_dbi, "aaa-plain", "a plain record before the databases");
	fill_named(txn, opendb(txn, "db1", 0), 10, "x");
	MDB_dbi db2 = opendb(txn, "db2", MDB_DUPSORT);
	for (int i = 0; i < 12; i++) {
		char val[16];
		snprintf(val, sizeof val, "v%d", i * 37 % 12);
		put_str(txn, db2, i % 3 ? "dupkey" : "other", val);
	}
	put_str(txn, main_dbi, "zzz-plain", "a plain record after them");
	static const unsigned char nul_key[] = { 'n', 0, 'l' };
	put(txn, main_dbi, nul_key, sizeof nul_key, "nul in key", 10, 0);
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

/* Printable and unprintable bytes, but no backslash: the -p format of
 * LMDB before 0.9.25 (Debian's lmdb-utils) only round-trips such data. */
static void gen_text(const char *path)
{
	MDB_env *env = open_env(path, 0, 0);
	MDB_txn *txn = begin(env);
	MDB_dbi dbi = opendb(txn, NULL, 0);
	for (unsigned i = 0; i < 300; i++) {
		char key[32];
		unsigned char val[200];
		int klen = snprintf(key, sizeof key, "text key %u", i * 31 % 300);
		size_t vlen = rnd() % sizeof val;
		for (size_t j = 0; j < vlen; j++) {
			unsigned char c = (unsigned char)(rnd() & 0xff);
			val[j] = c == '\\' ? '/' : c;
		}
		put(txn, dbi, key, (size_t)klen, val, vlen, 0);
	}
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

/* Empty the main database the way LMDB 0.9's mdb_drop does, with a bare
 * mdb_drop(): the pages of the named databases are lost. */
static void naive_drop(const char *path)
{
	MDB_env *env = open_env(path, 0, 16);
	MDB_txn *txn = begin(env);
	check(mdb_drop(txn, opendb(txn, NULL, 0), 0), "mdb_drop");
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

static void gen_empty(const char *path)
{
	MDB_env *env = open_env(path, 0, 0);
	mdb_env_close(env);
}

static void gen_nosubdir(const char *path)
{
	MDB_env *env = open_env(path, MDB_NOSUBDIR, 4);
	MDB_txn *txn = begin(env);
	fill_named(txn, opendb(txn, NULL, 0), 30, "m");
	fill_named(txn, opendb(txn, "sub", 0), 5, "s");
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

static void gen_big(const char *path, size_t count)
{
	size_t mapsize = MAPSIZE + count * 256;
	MDB_env *env = open_env_sized(path, 0, 0, mapsize - mapsize % 65536);
	MDB_txn *txn = begin(env);
	MDB_dbi dbi = opendb(txn, NULL, 0);
	char val[100];
	memset(val, 'v', sizeof val);
	for (size_t i = 0; i < count; i++) {
		char key[32];
		int klen = snprintf(key, sizeof key, "big%08zu", i);
		put(txn, dbi, key, (size_t)klen, val, sizeof val, 0);
	}
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void hold(const char *path)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	MDB_env *env;
	MDB_txn *txn;
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_maxdbs(env, 16), "mdb_env_set_maxdbs");
	check(mdb_env_open(env, path, 0, 0664), "mdb_env_open");
	check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	printf("ready\n");
	fflush(stdout);
	char c;
	while (!stop && read(STDIN_FILENO, &c, 1) > 0)
		;
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

static void stale(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_open(env, path, 0, 0664), "mdb_env_open");
	check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	_exit(0);
}

static void count(const char *path, const char *name)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat st;
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_maxdbs(env, 16), "mdb_env_set_maxdbs");
	check(mdb_env_open(env, path, MDB_RDONLY, 0664), "mdb_env_open");
	check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	check(mdb_dbi_open(txn, name, 0, &dbi), "mdb_dbi_open");
	check(mdb_stat(txn, dbi, &st), "mdb_stat");
	printf("%zu\n", st.ms_entries);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen_env KIND PATH [ARG]\n");
		return 2;
	}
	const char *kind = argv[1], *path = argv[2];
	if (!strcmp(kind, "plain"))
		gen_plain(path);
	else if (!strcmp(kind, "named"))
		gen_named(path);
	else if (!strcmp(kind, "dupsort"))
		gen_dupsort(path);
	else if (!strcmp(kind, "intkey"))
		gen_intkey(path);
	else if (!strcmp(kind, "mixed"))
		gen_mixed(path);
	else if (!strcmp(kind, "text"))
		gen_text(path);
	else if (!strcmp(kind, "naive-drop"))
		naive_drop(path);
	else if (!strcmp(kind, "empty"))
		gen_empty(path);
	else if (!strcmp(kind, "nosubdir"))
		gen_nosubdir(path);
	else if (!strcmp(kind, "big") && argc > 3)
		gen_big(path, (size_t)strtoul(argv[3], NULL, 10));
	else if (!strcmp(kind, "hold"))
		hold(path);
	else if (!strcmp(kind, "stale"))
		stale(path);
	else if (!strcmp(kind, "count"))
		count(path, argc > 3 ? argv[3] : NULL);
	else {
		fprintf(stderr, "gen_env: unknown kind %s\n", kind);
		return 2;
	}
	return 0;
}
