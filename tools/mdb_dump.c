/* mdb_dump: write databases of an LMDB environment as text.
 *
 * The text is the Berkeley DB "db_dump" format that LMDB 0.9 uses: a header
 * of key=value lines up to HEADER=END, then one line per key and one per
 * value, each starting with a space, then DATA=END.  Values are written as
 * hex pairs, or with -p printable bytes as themselves and the others as
 * \hh (a backslash as \\).
 */
#define _GNU_SOURCE /* getopt() permutes arguments, as in LMDB's tools */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_common.h"
#include "tool_progress.h"

struct options {
	const char *envpath;
	const char *subdb;     /* -s */
	const char *outfile;   /* -f */
	int all;               /* -a, or -l */
	int list_only;         /* -l */
	int printable;         /* -p */
	int progress;          /* -P: progress on stderr even when not a terminal */
	unsigned int envflags; /* -n */
};

/* An output line is assembled in a tool_buf and written with one fwrite(). */
static const char hexdigits[] = "0123456789abcdef";

/* Records dumped so far, out of all the databases being dumped. */
static struct tool_progress progress;
static uint64_t records_done;

/* A write error other than a closed pipe (a full disk, say): LMDB 0.9 does
 * not look at those and ends with status 0.  We stop there, and main() says
 * what went wrong, with the same status.  A closed pipe (SIGPIPE, caught)
 * ends the dump with status 1, as in 0.9. */
#define WRITE_FAILED (-1)

/* Worst case: every byte becomes three characters, plus space and newline. */
static int write_value(struct tool_buf *b, const MDB_val *v, int printable)
{
	const unsigned char *s = v->mv_data;
	size_t n = 0;
	if (tool_buf_reserve(b, v->mv_size * 3 + 2))
		return ENOMEM;
	b->p[n++] = ' ';
	for (size_t i = 0; i < v->mv_size; i++) {
		unsigned char c = s[i];
		if (printable && c >= 0x20 && c < 0x7f) {
			if (c == '\\')
				b->p[n++] = '\\';
			b->p[n++] = (char)c;
			continue;
		}
		if (printable)
			b->p[n++] = '\\';
		b->p[n++] = hexdigits[c >> 4];
		b->p[n++] = hexdigits[c & 0xf];
	}
	b->p[n++] = '\n';
	errno = 0;
	if (fwrite(b->p, 1, n, stdout) == n)
		return 0;
	if (errno == EPIPE || tool_interrupted())
		return EPIPE;
	return WRITE_FAILED;
}

static int print_header(MDB_txn *txn, MDB_dbi dbi, const char *name, int printable)
{
	unsigned int flags;
	MDB_stat st;
	MDB_envinfo info;
	int rc = mdb_dbi_flags(txn, dbi, &flags);
	if (!rc)
		rc = mdb_stat(txn, dbi, &st);
	if (!rc)
		rc = mdb_env_info(mdb_txn_env(txn), &info);
	if (rc)
		return rc;

	printf("VERSION=3\n");
	printf("format=%s\n", printable ? "print" : "bytevalue");
	if (name)
		printf("database=%s\n", name);
	printf("type=btree\n");
	printf("mapsize=%zu\n", info.me_mapsize);
	if (info.me_mapaddr)
		printf("mapaddr=%p\n", info.me_mapaddr);
	printf("maxreaders=%u\n", info.me_maxreaders);
	if (flags & MDB_DUPSORT)
		printf("duplicates=1\n");
	for (const struct tool_dbflag *f = tool_dbflags; f->bit; f++)
		if (flags & f->bit)
			printf("%s=1\n", f->name);
	printf("db_pagesize=%u\n", st.ms_psize);
	printf("HEADER=END\n");
	return 0;
}

static int dump_db(MDB_txn *txn, MDB_dbi dbi, const char *name, int printable)
{
	MDB_cursor *cur;
	MDB_val key, data;
	struct tool_buf buf = { NULL, 0, 0 };
	int rc = print_header(txn, dbi, name, printable);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	while ((rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) == 0) {
		if (tool_interrupted()) {
			rc = EINTR;
			break;
		}
		rc = write_value(&buf, &key, printable);
		if (!rc)
			rc = write_value(&buf, &data, printable);
		if (rc)
			break;
		tool_progress_update(&progress, ++records_done);
	}
	mdb_cursor_close(cur);
	free(buf.p);
	printf("DATA=END\n");
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct walk {
	const struct options *o;
};

static int dump_subdb(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	const struct options *o = ((struct walk *)ctx)->o;
	if (o->list_only) {
		printf("%s\n", name);
		return 0;
	}
	return dump_db(txn, dbi, name, o->printable);
}

/* The total for the progress report: entries of every database dumped. */
static int count_subdb(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	MDB_stat st;
	(void)name;
	if (mdb_stat(txn, dbi, &st) == 0)
		*(uint64_t *)ctx += st.ms_entries;
	return 0;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;
	memset(o, 0, sizeof *o);
	if (argc < 2)
		tool_usage();
	while ((c = getopt(argc, argv, "af:lnPps:V")) != -1) {
		switch (c) {
		case 'V':
			/* 0.9 has opened -f's file by now: the version goes there */
			if (o->outfile && !freopen(o->outfile, "w", stdout)) {
				tool_error("%s: cannot open for writing: %s", o->outfile, strerror(errno));
				exit(EXIT_FAILURE);
			}
			tool_version();
		case 'l': /* listing walks all databases like -a */
		case 'a':
			if (o->subdb)
				tool_usage();
			if (c == 'l')
				o->list_only = 1;
			o->all++;
			break;
		case 'f':
			o->outfile = optarg;
			break;
		case 'n':
			o->envflags |= MDB_NOSUBDIR;
			break;
		case 'p':
			o->printable = 1;
			break;
		case 'P':
			o->progress = 1;
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
	                   (o->all || o->subdb) ? 2 : 0, 0664);
	if (rc)
		return rc;
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		tool_error("%s: cannot begin a read transaction: %s", o->envpath,
		           tool_strerror(rc));
		goto done;
	}
	rc = tool_db_open(txn, o->envpath, o->subdb, 0, &dbi);
	if (rc)
		goto done;

	/* Only now that there is something to dump, replace the output file:
	 * a mistyped environment path must not destroy an earlier dump. */
	if (o->outfile && !freopen(o->outfile, "w", stdout)) {
		rc = errno;
		tool_error("%s: cannot open for writing: %s", o->outfile, strerror(rc));
		goto done;
	}

	tool_progress_init(&progress, tool_prog(), o->progress, "records", 0);
	if (o->list_only)
		progress.on = 0;
	if (progress.on) {
		uint64_t total = 0;
		if (o->all)
			(void)tool_each_subdb(txn, dbi, count_subdb, &total, NULL);
		else
			(void)count_subdb(txn, NULL, dbi, &total);
		tool_progress_set_total(&progress, total);
	}
	if (o->all) {
		struct walk w = { o };
		size_t names = 0;
		rc = tool_each_subdb(txn, dbi, dump_subdb, &w, &names);
		if (rc == 0 && names == 0) {
			fprintf(stderr, "%s: %s does not contain multiple databases\n",
			        tool_prog(), o->envpath);
			rc = MDB_NOTFOUND;
			goto done;
		}
	} else {
		rc = dump_db(txn, dbi, o->subdb, o->printable);
	}
	if (rc == WRITE_FAILED)
		rc = 0; /* reported by main() */
	if (rc == 0)
		tool_progress_finish(&progress);
	if (rc)
		tool_error("%s: %s", o->envpath, tool_strerror(rc));

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
	tool_init(argv[0], "[-V] [-f output] [-l] [-n] [-p] [-a|-s subdb] dbpath");
	parse_options(argc, argv, &o);
	tool_catch_signals();
	rc = run(&o);
	if (rc)
		fflush(stdout); /* the failure has been reported already */
	else
		(void)tool_flush_stdout(o.outfile ? o.outfile : "standard output"); /* status 0 */
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
