/* mdb_stat: show statistics of an LMDB environment and its databases.
 *
 * Output is line-for-line what the LMDB 0.9 tool prints, so that scripts
 * parsing it keep working.
 */
#define _GNU_SOURCE /* getopt() permutes arguments, as in LMDB's tools */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "tool_common.h"

struct options {
	const char *envpath;
	const char *subdb;     /* -s */
	int all;               /* -a */
	int envinfo;           /* -e */
	int freelist;          /* -f, repeated for more detail */
	int readers;           /* -r, repeated to also clear stale slots */
	unsigned int envflags; /* -n */
	int json;              /* -j */
};

static void print_stat(const MDB_stat *st)
{
	printf("  Tree depth: %u\n", st->ms_depth);
	printf("  Branch pages: %zu\n", st->ms_branch_pages);
	printf("  Leaf pages: %zu\n", st->ms_leaf_pages);
	printf("  Overflow pages: %zu\n", st->ms_overflow_pages);
	printf("  Entries: %zu\n", st->ms_entries);
}

static void print_envinfo(MDB_env *env)
{
	MDB_stat st;
	MDB_envinfo info;
	memset(&st, 0, sizeof st);
	memset(&info, 0, sizeof info);
	(void)mdb_env_stat(env, &st);
	(void)mdb_env_info(env, &info);
	printf("Environment Info\n");
	printf("  Map address: %p\n", info.me_mapaddr);
	printf("  Map size: %zu\n", info.me_mapsize);
	printf("  Page size: %u\n", st.ms_psize);
	printf("  Max pages: %zu\n", st.ms_psize ? info.me_mapsize / st.ms_psize : 0);
	printf("  Number of pages used: %zu\n", info.me_last_pgno + 1);
	printf("  Last transaction ID: %zu\n", info.me_last_txnid);
	printf("  Max readers: %u\n", info.me_maxreaders);
	printf("  Number of readers used: %u\n", info.me_numreaders);
}

/* LMDB 0.9's mdb_stat passes fputs() itself as the callback, so the
 * positive result of a successful fputs() comes back from mdb_reader_list()
 * and, when -r is all that was asked, becomes the exit status: 1.  Scripts
 * may depend on that, so the callback reports success the same way. */
static int print_line(const char *msg, void *ctx)
{
	return fputs(msg, (FILE *)ctx) < 0 ? -1 : 1;
}

static int print_readers(MDB_env *env, int clear_stale)
{
	printf("Reader Table Status\n");
	int rc = mdb_reader_list(env, print_line, stdout);
	if (clear_stale) {
		int dead = 0;
		(void)mdb_reader_check(env, &dead);
		printf("  %d stale readers cleared.\n", dead);
		rc = mdb_reader_list(env, print_line, stdout);
	}
	return rc;
}

/* One record of the freelist: the key is the id of the transaction that
 * freed the pages, the value a count followed by that many page numbers in
 * descending order. */
struct free_entry {
	size_t txnid;
	size_t count;
	size_t *pages;
};

static int read_free_entry(const MDB_val *key, const MDB_val *data, struct free_entry *fe)
{
	const unsigned char *p = data->mv_data;
	size_t stored;
	memset(fe, 0, sizeof *fe);
	if (key->mv_size >= sizeof fe->txnid)
		memcpy(&fe->txnid, key->mv_data, sizeof fe->txnid);
	if (data->mv_size < sizeof fe->count)
		return 0;
	memcpy(&fe->count, p, sizeof fe->count);
	/* Never trust the count beyond what the record holds. */
	stored = data->mv_size / sizeof(size_t) - 1;
	if (fe->count > stored)
		fe->count = stored;
	if (fe->count) {
		fe->pages = malloc(fe->count * sizeof(size_t));
		if (!fe->pages)
			return -1;
		memcpy(fe->pages, p + sizeof(size_t), fe->count * sizeof(size_t));
	}
	return 0;
}

/* Walk from the lowest page number up, flagging any step that does not go
 * strictly upwards, and grow the longest run of consecutive pages whenever
 * the run that starts at the current page is longer than the best so far. */
static void print_free_summary(const struct free_entry *fe, size_t announced)
{
	const char *bad = "";
	size_t prev = 1;
	ssize_t longest = 0;
	for (ssize_t i = (ssize_t)fe->count - 1; i >= 0; i--) {
		size_t pg = fe->pages[i];
		if (pg <= prev)
			bad = " [bad sequence]";
		prev = pg;
		while (i >= longest && fe->pages[i - longest] == pg + (size_t)longest)
			longest++;
	}
	printf("    Transaction %zu, %zd pages, maxspan %zd%s\n", fe->txnid,
	       (ssize_t)announced, longest, bad);
}

/* Every run of consecutive pages, lowest first: "first[length]". */
static void print_free_pages(const struct free_entry *fe)
{
	ssize_t j = (ssize_t)fe->count - 1;
	while (j >= 0) {
		size_t first = fe->pages[j];
		ssize_t len = 1;
		while (--j >= 0 && fe->pages[j] == first + (size_t)len)
			len++;
		if (len > 1)
			printf("     %9zu[%zd]\n", first, len);
		else
			printf("     %9zu\n", first);
	}
}

static int print_freelist(MDB_txn *txn, const char *envpath, int detail)
{
	const MDB_dbi free_dbi = 0;
	MDB_cursor *cur;
	MDB_stat st;
	MDB_val key, data;
	size_t total = 0;
	int rc;

	printf("Freelist Status\n");
	rc = mdb_cursor_open(txn, free_dbi, &cur);
	if (rc) {
		tool_error("%s: cannot read the freelist: %s", envpath, tool_strerror(rc));
		return rc;
	}
	rc = mdb_stat(txn, free_dbi, &st);
	if (rc) {
		tool_error("%s: cannot read the freelist: %s", envpath, tool_strerror(rc));
		mdb_cursor_close(cur);
		return rc;
	}
	print_stat(&st);
	while ((rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) == 0) {
		struct free_entry fe;
		size_t announced = 0;
		if (data.mv_size >= sizeof announced)
			memcpy(&announced, data.mv_data, sizeof announced);
		total += announced;
		if (detail < 2)
			continue;
		if (read_free_entry(&key, &data, &fe) != 0) {
			rc = ENOMEM;
			break;
		}
		print_free_summary(&fe, announced);
		if (detail > 2)
			print_free_pages(&fe);
		free(fe.pages);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		tool_error("%s: cannot read the freelist: %s", envpath, tool_strerror(rc));
		return rc;
	}
	printf("  Free pages: %zu\n", total);
	return 0;
}

static int stat_one(MDB_txn *txn, const char *envpath, const char *label, MDB_dbi dbi)
{
	MDB_stat st;
	int rc = mdb_stat(txn, dbi, &st);
	if (rc) {
		tool_error("%s: cannot read statistics of %s: %s", envpath, label,
		           tool_strerror(rc));
		return rc;
	}
	print_stat(&st);
	return 0;
}

struct walk {
	const char *envpath;
	int reported; /* the callback already printed its error */
};

static int stat_subdb(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	struct walk *w = ctx;
	printf("Status of %s\n", name);
	int rc = stat_one(txn, w->envpath, name, dbi);
	w->reported = rc != 0;
	return rc;
}

/* ---- -j: the same facts as one JSON object ------------------------------- */

/* A JSON string: control characters and non-ASCII bytes as \u00XX. */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_stat(const MDB_stat *st)
{
	printf("\"depth\": %u, \"branch_pages\": %zu, \"leaf_pages\": %zu, "
	       "\"overflow_pages\": %zu, \"entries\": %zu",
	       st->ms_depth, st->ms_branch_pages, st->ms_leaf_pages, st->ms_overflow_pages,
	       st->ms_entries);
}

struct json_walk {
	const char *envpath;
	int reported;
};

static int json_db(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	struct json_walk *w = ctx;
	MDB_stat st;
	int rc = mdb_stat(txn, dbi, &st);
	if (rc) {
		tool_error("%s: cannot read statistics of %s: %s", w->envpath,
		           name ? name : "the main database", tool_strerror(rc));
		w->reported = 1;
		return rc;
	}
	printf(",\n    {\"name\": ");
	if (name)
		json_str(name);
	else
		printf("null");
	printf(", ");
	json_stat(&st);
	printf("}");
	return 0;
}

/* mdb_reader_list() lines: a title line, then "pid thread txnid" per slot
 * (txnid "-" when the slot holds no snapshot), or "(no active readers)". */
struct json_readers {
	int count;
	FILE *out;
};

static int json_reader_line(const char *msg, void *ctx)
{
	struct json_readers *r = ctx;
	long pid;
	char thread[64], txnid[64];
	if (sscanf(msg, "%ld %63s %63s", &pid, thread, txnid) != 3)
		return 0;
	fprintf(r->out, "%s\n    {\"pid\": %ld, \"thread\": \"%s\", \"txnid\": %s}",
	        r->count ? "," : "", pid, thread, strcmp(txnid, "-") == 0 ? "null" : txnid);
	r->count++;
	return 0;
}

static int run_json(const struct options *o)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_cursor *cur;
	MDB_stat st;
	MDB_envinfo info;
	MDB_val key, data;
	MDB_dbi dbi;
	size_t free_total = 0;
	int rc, dead = 0;
	char *readers = NULL;
	size_t readers_len = 0;
	struct json_readers r = { 0, NULL };

	rc = tool_env_open(&env, o->envpath, o->envflags | MDB_RDONLY,
	                   (o->all || o->subdb) ? 4 : 0, 0664);
	if (rc)
		return rc;
	/* The reader table before this process takes a slot of its own. */
	if (o->readers) {
		if (o->readers > 1)
			(void)mdb_reader_check(env, &dead);
		r.out = open_memstream(&readers, &readers_len);
		if (!r.out) {
			rc = errno;
			tool_error("%s: %s", o->envpath, strerror(rc));
			goto done;
		}
		(void)mdb_reader_list(env, json_reader_line, &r);
		fclose(r.out);
	}
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		tool_error("%s: cannot begin a read transaction: %s", o->envpath,
		           tool_strerror(rc));
		goto done;
	}
	/* Everything that can fail is read before the first byte is printed:
	 * the database to report, the free list. */
	rc = tool_db_open(txn, o->envpath, o->subdb, 0, &dbi);
	if (rc)
		goto done;
	rc = mdb_cursor_open(txn, 0, &cur);
	if (rc == 0) {
		while ((rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) == 0) {
			size_t n = 0;
			if (data.mv_size >= sizeof n)
				memcpy(&n, data.mv_data, sizeof n);
			free_total += n;
		}
		mdb_cursor_close(cur);
		rc = rc == MDB_NOTFOUND ? 0 : rc;
	}
	if (!rc)
		rc = mdb_stat(txn, 0, &st);
	if (rc) {
		tool_error("%s: cannot read the freelist: %s", o->envpath, tool_strerror(rc));
		goto done;
	}
	memset(&info, 0, sizeof info);
	(void)mdb_env_info(env, &info);

	printf("{\n  \"path\": ");
	json_str(o->envpath);
	printf(",\n  \"version\": ");
	json_str(mdb_version(NULL, NULL, NULL));
	printf(",\n  \"environment\": {\"map_size\": %zu, \"page_size\": %u, \"max_pages\": %zu, "
	       "\"pages_used\": %zu, \"last_txnid\": %zu, \"max_readers\": %u, \"readers_used\": %u}",
	       info.me_mapsize, st.ms_psize, st.ms_psize ? info.me_mapsize / st.ms_psize : 0,
	       info.me_last_pgno + 1, info.me_last_txnid, info.me_maxreaders, info.me_numreaders);
	printf(",\n  \"freelist\": {");
	json_stat(&st);
	printf(", \"free_pages\": %zu}", free_total);
	if (o->readers) {
		if (o->readers > 1)
			printf(",\n  \"stale_readers_cleared\": %d", dead);
		printf(",\n  \"readers\": [%s%s]", readers ? readers : "", r.count ? "\n  " : "");
	}
	printf(",\n  \"databases\": [");
	{
		struct json_walk w = { o->envpath, 0 };
		/* The first element: the main database or the one of -s. */
		MDB_stat dst;
		rc = mdb_stat(txn, dbi, &dst);
		if (rc) {
			tool_error("%s: cannot read statistics: %s", o->envpath, tool_strerror(rc));
			goto done;
		}
		printf("\n    {\"name\": ");
		if (o->subdb)
			json_str(o->subdb);
		else
			printf("null");
		printf(", ");
		json_stat(&dst);
		printf("}");
		if (o->all) {
			rc = tool_each_subdb(txn, dbi, json_db, &w, NULL);
			if (rc && !w.reported)
				tool_error("%s: cannot list the named databases: %s", o->envpath,
				           tool_strerror(rc));
			if (rc)
				goto done;
		}
	}
	printf("\n  ]\n}\n");
done:
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	free(readers);
	return rc;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;
	memset(o, 0, sizeof *o);
	if (argc < 2)
		tool_usage();
	while ((c = getopt(argc, argv, "Vaefjnrs:")) != -1) {
		switch (c) {
		case 'V':
			tool_version();
		case 'a':
			if (o->subdb)
				tool_usage();
			o->all++;
			break;
		case 'e':
			o->envinfo++;
			break;
		case 'f':
			o->freelist++;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'n':
			o->envflags |= MDB_NOSUBDIR;
			break;
		case 'r':
			o->readers++;
			break;
		case 's':
			if (o->all)
				tool_usage();
			o->subdb = optarg;
			break;
		default:
			tool_usage();
		}
	}
	if (optind != argc - 1)
		tool_usage();
	o->envpath = argv[optind];
}

static int run(const struct options *o)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int rc;

	rc = tool_env_open(&env, o->envpath, o->envflags | MDB_RDONLY,
	                   (o->all || o->subdb) ? 4 : 0, 0664);
	if (rc)
		return rc;

	if (o->envinfo)
		print_envinfo(env);

	if (o->readers) {
		rc = print_readers(env, o->readers > 1);
		if (!(o->subdb || o->all || o->freelist))
			goto done;
	}

	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		tool_error("%s: cannot begin a read transaction: %s", o->envpath,
		           tool_strerror(rc));
		goto done;
	}

	if (o->freelist) {
		rc = print_freelist(txn, o->envpath, o->freelist);
		if (rc)
			goto done;
	}

	rc = tool_db_open(txn, o->envpath, o->subdb, 0, &dbi);
	if (rc)
		goto done;
	printf("Status of %s\n", o->subdb ? o->subdb : "Main DB");
	rc = stat_one(txn, o->envpath, o->subdb ? o->subdb : "the main database", dbi);
	if (rc == 0 && o->all) {
		struct walk w = { o->envpath, 0 };
		rc = tool_each_subdb(txn, dbi, stat_subdb, &w, NULL);
		if (rc && !w.reported)
			tool_error("%s: cannot list the named databases: %s", o->envpath,
			           tool_strerror(rc));
	}

done:
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;
	/* The synopsis is LMDB 0.9's, byte for byte; the options of our own (-P, -j)
	 * are in the man page. */
	tool_init(argv[0], "[-V] [-n] [-e] [-r[r]] [-f[f[f]]] [-a|-s subdb] dbpath");
	parse_options(argc, argv, &o);
	rc = o.json ? run_json(&o) : run(&o);
	if (rc)
		fflush(stdout); /* the failure has been reported already */
	else /* a write error is reported; the status stays 0, as in LMDB 0.9 */
		(void)tool_flush_stdout("standard output");
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
