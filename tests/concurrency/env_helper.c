/*
 * A helper process for the concurrency tests: it reads one command per line
 * on stdin, runs it against an LMDB environment through the public C API and
 * answers with one line on stdout ("ok ...", "err <rc> <text>" or
 * "bad <reason>").  The same source is built twice: linked against this
 * project's liblmdb.so.0 ("ours") and linked directly against Debian's
 * upstream liblmdb.so.0 ("upstream", a test oracle only), so the tests can
 * put both libraries on one environment at the same time.
 *
 * The data model shared with tests/concurrency/concur_util.h: keys
 * "k000".."k<n-1>" hold signed 64-bit balances (8 bytes, native order)
 * whose sum never changes, and "counter" holds the number of transfer
 * commits so far.  A transfer moves an amount between two balances and
 * increments the counter in one write transaction.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lmdb.h"

enum { kBalance = 1000 };

static MDB_env *env;
static MDB_txn *txn;
static MDB_dbi dbi;
static unsigned nkeys;
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void) {
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int reply(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return 0;
}

static int reply_err(int rc) { return reply("err %d %s", rc, mdb_strerror(rc)); }

static void key_name(char *buf, unsigned i) { snprintf(buf, 16, "k%03u", i); }

static int get_i64(MDB_txn *t, const char *name, int64_t *out) {
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc = mdb_get(t, dbi, &k, &v);
	if (rc)
		return rc;
	if (v.mv_size != sizeof(int64_t))
		return MDB_CORRUPTED;
	memcpy(out, v.mv_data, sizeof *out);
	return 0;
}

static int put_i64(MDB_txn *t, const char *name, int64_t x) {
	MDB_val k = {strlen(name), (void *)name}, v = {sizeof x, &x};
	return mdb_put(t, dbi, &k, &v, 0);
}

/* Scan the balances with a cursor: their number, their sum and the counter. */
static int scan(MDB_txn *t, unsigned *count, int64_t *sum, int64_t *counter) {
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(t, dbi, &c);
	if (rc)
		return rc;
	*count = 0;
	*sum = 0;
	*counter = -1;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		int64_t x;
		if (v.mv_size != sizeof x)
			continue;
		memcpy(&x, v.mv_data, sizeof x);
		if (k.mv_size == 4 && ((char *)k.mv_data)[0] == 'k') {
			++*count;
			*sum += x;
		} else if (k.mv_size == 7 && !memcmp(k.mv_data, "counter", 7)) {
			*counter = x;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One transfer inside the current write txn (no commit). */
static int move(MDB_txn *t) {
	char a[16], b[16];
	unsigned i = (unsigned)(rng() % nkeys), j = (unsigned)(rng() % nkeys);
	int64_t amount = (int64_t)(rng() % 100), x, y, c;
	int rc;
	key_name(a, i);
	key_name(b, j);
	if ((rc = get_i64(t, a, &x)) || (rc = put_i64(t, a, x - amount)))
		return rc;
	if ((rc = get_i64(t, b, &y)) || (rc = put_i64(t, b, y + amount)))
		return rc;
	if ((rc = get_i64(t, "counter", &c)) || (rc = put_i64(t, "counter", c + 1)))
		return rc;
	return 0;
}

/* A read txn that checks the invariant twice; *counter gets its counter. */
static int read_check(int64_t *counter, char *why, size_t whylen) {
	MDB_txn *r;
	unsigned n1, n2;
	int64_t s1, s2, c1, c2;
	int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &r);
	if (rc) {
		snprintf(why, whylen, "begin %d", rc);
		return -1;
	}
	rc = scan(r, &n1, &s1, &c1);
	if (!rc)
		rc = scan(r, &n2, &s2, &c2);
	mdb_txn_abort(r);
	if (rc) {
		snprintf(why, whylen, "scan %d", rc);
		return -1;
	}
	if (n1 != nkeys || s1 != (int64_t)nkeys * kBalance) {
		snprintf(why, whylen, "sum %" PRId64 " over %u keys", s1, n1);
		return -1;
	}
	if (n1 != n2 || s1 != s2 || c1 != c2) {
		snprintf(why, whylen, "snapshot changed: counter %" PRId64 " -> %" PRId64, c1, c2);
		return -1;
	}
	*counter = c1;
	return 0;
}

static int transfer_commit(void) {
	MDB_txn *w;
	int rc = mdb_txn_begin(env, NULL, 0, &w);
	if (rc)
		return rc;
	if ((rc = move(w))) {
		mdb_txn_abort(w);
		return rc;
	}
	return mdb_txn_commit(w);
}

static int print_msg(const char *msg, void *ctx) {
	(void)ctx;
	fputs(msg, stdout);
	return 0;
}

static int command(char *line) {
	char op[32] = "";
	int rc, n = 0;
	sscanf(line, "%31s %n", op, &n);
	char *arg = line + n;

	if (!strcmp(op, "pid")) {
		reply("ok %d", (int)getpid());
	} else if (!strcmp(op, "open")) {
		char path[4096];
		unsigned flags = 0, maxreaders = 0;
		unsigned long long mapsize = 0;
		if (sscanf(arg, "%4095s %x %llu %u %u", path, &flags, &mapsize, &maxreaders, &nkeys) != 5)
			return reply("bad usage");
		if ((rc = mdb_env_create(&env)))
			return reply_err(rc);
		if (mapsize && (rc = mdb_env_set_mapsize(env, (size_t)mapsize)))
			return reply_err(rc);
		if (maxreaders && (rc = mdb_env_set_maxreaders(env, maxreaders)))
			return reply_err(rc);
		if ((rc = mdb_env_open(env, path, flags, 0644))) {
			mdb_env_close(env);
			env = NULL;
			return reply_err(rc);
		}
		MDB_txn *t;
		if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &t)) || (rc = mdb_dbi_open(t, NULL, 0, &dbi)) ||
		    (rc = mdb_txn_commit(t)))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "init")) {
		/* Balances k000.. of kBalance each and counter 0, in one commit. */
		MDB_txn *w;
		char name[16];
		if ((rc = mdb_txn_begin(env, NULL, 0, &w)))
			return reply_err(rc);
		for (unsigned i = 0; i < nkeys && !rc; i++) {
			key_name(name, i);
			rc = put_i64(w, name, kBalance);
		}
		if (!rc)
			rc = put_i64(w, "counter", 0);
		if (rc) {
			mdb_txn_abort(w);
			return reply_err(rc);
		}
		if ((rc = mdb_txn_commit(w)))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "close")) {
		mdb_env_close(env);
		env = NULL;
		reply("ok");
	} else if (!strcmp(op, "seed")) {
		rng_state = strtoull(arg, NULL, 10) * 2654435761u + 1;
		reply("ok");
	} else if (!strcmp(op, "wbegin") || !strcmp(op, "trywbegin")) {
		unsigned flags = op[0] == 't' ? MDB_TRY_WRITE : 0;
		if ((rc = mdb_txn_begin(env, NULL, flags, &txn)))
			return reply_err(rc);
		reply("ok %zu", mdb_txn_id(txn));
	} else if (!strcmp(op, "rbegin")) {
		if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)))
			return reply_err(rc);
		reply("ok %zu", mdb_txn_id(txn));
	} else if (!strcmp(op, "commit")) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc)
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "abort")) {
		mdb_txn_abort(txn);
		txn = NULL;
		reply("ok");
	} else if (!strcmp(op, "reset")) {
		mdb_txn_reset(txn);
		reply("ok");
	} else if (!strcmp(op, "renew")) {
		if ((rc = mdb_txn_renew(txn)))
			return reply_err(rc);
		reply("ok %zu", mdb_txn_id(txn));
	} else if (!strcmp(op, "get")) {
		int64_t x;
		if ((rc = get_i64(txn, arg, &x)))
			return reply_err(rc);
		reply("ok %" PRId64, x);
	} else if (!strcmp(op, "put")) {
		char name[64];
		long long x;
		if (sscanf(arg, "%63s %lld", name, &x) != 2)
			return reply("bad usage");
		if ((rc = put_i64(txn, name, x)))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "move")) {
		if ((rc = move(txn)))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "scan")) {
		unsigned count;
		int64_t sum, counter;
		if ((rc = scan(txn, &count, &sum, &counter)))
			return reply_err(rc);
		reply("ok %u %" PRId64 " %" PRId64, count, sum, counter);
	} else if (!strcmp(op, "work")) {
		/* Interleaved transfers (own write txns) and checked reads. */
		unsigned writes = 0, reads = 0;
		char why[128];
		int64_t last = -1, c;
		if (sscanf(arg, "%u %u", &writes, &reads) != 2)
			return reply("bad usage");
		unsigned w = 0, r = 0;
		while (w < writes || r < reads) {
			if (w < writes && (r >= reads || rng() % 2)) {
				if ((rc = transfer_commit()))
					return reply_err(rc);
				w++;
			} else {
				if (read_check(&c, why, sizeof why))
					return reply("bad %s", why);
				if (c < last)
					return reply("bad counter went back from %" PRId64 " to %" PRId64, last, c);
				last = c;
				r++;
			}
		}
		reply("ok %" PRId64, last);
	} else if (!strcmp(op, "waitfor")) {
		/* Checked reads until the counter reaches a value. */
		long long target, timeout_ms;
		char why[128];
		int64_t c = -1;
		if (sscanf(arg, "%lld %lld", &target, &timeout_ms) != 2)
			return reply("bad usage");
		long long deadline = now_ms() + timeout_ms;
		for (;;) {
			if (read_check(&c, why, sizeof why))
				return reply("bad %s", why);
			if (c >= target)
				break;
			if (now_ms() > deadline)
				return reply("bad timeout at counter %" PRId64, c);
			usleep(1000);
		}
		reply("ok %" PRId64, c);
	} else if (!strcmp(op, "check")) {
		char why[128];
		int64_t c;
		if (read_check(&c, why, sizeof why))
			return reply("bad %s", why);
		reply("ok %" PRId64, c);
	} else if (!strcmp(op, "fill")) {
		/* One write txn adding n records of `size` bytes (to grow the data). */
		unsigned start, count, size;
		if (sscanf(arg, "%u %u %u", &start, &count, &size) != 3)
			return reply("bad usage");
		MDB_txn *w;
		if ((rc = mdb_txn_begin(env, NULL, 0, &w)))
			return reply_err(rc);
		char *buf = calloc(1, size);
		for (unsigned i = 0; i < count && !rc; i++) {
			char name[16];
			snprintf(name, sizeof name, "f%08u", start + i);
			MDB_val k = {strlen(name), name}, v = {size, buf};
			memset(buf, (int)(i & 0xff), size);
			rc = mdb_put(w, dbi, &k, &v, 0);
		}
		free(buf);
		if (rc) {
			mdb_txn_abort(w);
			return reply_err(rc);
		}
		if ((rc = mdb_txn_commit(w)))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "setmap")) {
		if ((rc = mdb_env_set_mapsize(env, (size_t)strtoull(arg, NULL, 10))))
			return reply_err(rc);
		reply("ok");
	} else if (!strcmp(op, "info")) {
		MDB_envinfo info;
		if ((rc = mdb_env_info(env, &info)))
			return reply_err(rc);
		reply("ok %zu %zu %zu %u %u", info.me_mapsize, info.me_last_pgno, info.me_last_txnid,
		      info.me_numreaders, info.me_maxreaders);
	} else if (!strcmp(op, "rlist")) {
		/* The text as it comes, then a line "end". */
		mdb_reader_list(env, print_msg, NULL);
		reply("end");
	} else if (!strcmp(op, "rcheck")) {
		int dead = -1;
		if ((rc = mdb_reader_check(env, &dead)))
			return reply_err(rc);
		reply("ok %d", dead);
	} else if (!strcmp(op, "time")) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		reply("ok %lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	} else if (!strcmp(op, "libpath")) {
		/* The file the library was actually loaded from. */
		Dl_info info;
		char real[PATH_MAX];
		if (!dladdr((void *)mdb_version, &info) || !info.dli_fname)
			return reply("bad dladdr");
		if (!realpath(info.dli_fname, real))
			return reply("bad realpath");
		reply("ok %s", real);
	} else if (!strcmp(op, "version")) {
		reply("ok %s", mdb_version(NULL, NULL, NULL));
	} else {
		reply("bad unknown command '%s'", op);
	}
	return 0;
}

int main(void) {
	char line[8192];
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "quit"))
			break;
		command(line);
	}
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return 0;
}
