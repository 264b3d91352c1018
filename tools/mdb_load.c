/* mdb_load: load text produced by mdb_dump (or Berkeley DB's db_dump, or
 * plain key/value line pairs with -T) into an LMDB environment.
 *
 * Unlike LMDB 0.9's tool, which commits every 100 records, the whole input
 * is loaded in a single write transaction: when anything is wrong with the
 * input (or the map fills up) nothing at all is committed, and the message
 * names the input line.
 */
#define _GNU_SOURCE /* getopt() permutes arguments, as in LMDB's tools */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tool_common.h"
#include "tool_progress.h"

/* Database handles to reserve when the input cannot be scanned in advance
 * (a pipe).  Every database of the input stays open until the final commit. */
#define MAXDBS_UNSCANNED 4096

struct options {
	const char *envpath;
	const char *infile;    /* -f */
	const char *subdb;     /* -s */
	int append;            /* -a */
	int text;              /* -T */
	unsigned int putflags; /* -N */
	unsigned int envflags; /* -n */
	int progress;          /* -P: progress on stderr even when not a terminal */
};

/* Progress: bytes of input read when it is a regular file (so the total is
 * known), otherwise records loaded. */
static struct tool_progress progress;
static int progress_bytes;
static uint64_t records_done;

/* ---- reading lines ---------------------------------------------------------- */

struct input {
	FILE *fp;
	size_t lineno;
	char *line; /* current line without its newline */
	size_t len;
	size_t cap;
};

enum { LINE_OK = 1, LINE_EOF = 0, LINE_ERROR = -1 };

/* Read the next line.  A last line that lacks its newline means the input
 * was cut off, and is an error like any other malformed input. */
static int next_line(struct input *in)
{
	errno = 0;
	ssize_t n = getline(&in->line, &in->cap, in->fp);
	if (n < 0) {
		if (ferror(in->fp) || errno == ENOMEM || errno == EOVERFLOW) {
			tool_error("line %zu: cannot read input: %s", in->lineno + 1,
			           strerror(errno ? errno : EIO));
			return LINE_ERROR;
		}
		return LINE_EOF;
	}
	in->lineno++;
	if (n == 0 || in->line[n - 1] != '\n') {
		tool_error("line %zu: unexpected end of input (incomplete last line)",
		           in->lineno);
		return LINE_ERROR;
	}
	in->line[--n] = '\0';
	in->len = (size_t)n;
	if (memchr(in->line, '\0', in->len)) {
		tool_error("line %zu: NUL byte in input", in->lineno);
		return LINE_ERROR;
	}
	return LINE_OK;
}

/* ---- the header -------------------------------------------------------------- */

struct header {
	int printable;
	char *database;       /* database=, or NULL */
	unsigned int dbflags; /* from dupsort=1, integerkey=1, ... */
	size_t mapsize;       /* 0 = not given */
	int fixedmap;         /* mapaddr= was given */
	unsigned int maxreaders;
};

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "0" or "1" for the boolean header keys. */
static int parse_bool(const char *s)
{
	if (!strcmp(s, "1"))
		return 1;
	if (!strcmp(s, "0"))
		return 0;
	return -1;
}

/* Keys that Berkeley DB writes for btrees and that mean nothing to LMDB. */
static const char *const ignored_keys[] = { "db_pagesize", "bt_minkey", "chksum",
                                            "db_lorder", NULL };

/* Handle one "key=value" line (key and value already split). */
static int header_entry(struct header *h, const char *key, const char *val, size_t lineno)
{
	unsigned long long num;

	if (!strcmp(key, "VERSION")) {
		if (parse_uint(val, INT_MAX, &num)) {
			tool_error("line %zu: invalid VERSION %s", lineno, val);
			return -1;
		}
		if (num > 3) {
			tool_error("line %zu: unsupported VERSION %s", lineno, val);
			return -1;
		}
	} else if (!strcmp(key, "format")) {
		if (!strcmp(val, "print")) {
			h->printable = 1;
		} else if (!strcmp(val, "bytevalue")) {
			h->printable = 0;
		} else {
			tool_error("line %zu: unsupported format %s"
			           " (expected print or bytevalue)", lineno, val);
			return -1;
		}
	} else if (!strcmp(key, "type")) {
		if (strcmp(val, "btree")) {
			tool_error("line %zu: unsupported type %s (only btree)", lineno, val);
			return -1;
		}
	} else if (!strcmp(key, "database")) {
		free(h->database);
		h->database = strdup(val);
		if (!h->database) {
			tool_error("line %zu: out of memory", lineno);
			return -1;
		}
	} else if (!strcmp(key, "mapsize")) {
		if (parse_uint(val, SIZE_MAX, &num)) {
			tool_error("line %zu: invalid mapsize %s", lineno, val);
			return -1;
		}
		h->mapsize = (size_t)num;
	} else if (!strcmp(key, "mapaddr")) {
		void *addr;
		char extra;
		if (sscanf(val, "%p%c", &addr, &extra) != 1) {
			tool_error("line %zu: invalid mapaddr %s", lineno, val);
			return -1;
		}
		h->fixedmap = addr != NULL;
	} else if (!strcmp(key, "maxreaders")) {
		if (parse_uint(val, UINT_MAX, &num)) {
			tool_error("line %zu: invalid maxreaders %s", lineno, val);
			return -1;
		}
		h->maxreaders = (unsigned int)num;
	} else {
		/* BDB's "duplicates" (unsorted duplicates) can only be kept as
		 * sorted duplicates in LMDB; dropping them would lose records. */
		unsigned int bit = !strcmp(key, "duplicates") ? MDB_DUPSORT : 0;
		for (const struct tool_dbflag *f = tool_dbflags; !bit && f->bit; f++)
			if (!strcmp(key, f->name))
				bit = f->bit;
		if (bit) {
			int on = parse_bool(val);
			if (on < 0) {
				tool_error("line %zu: invalid value for %s: %s (expected 0 or 1)",
				           lineno, key, val);
				return -1;
			}
			if (on)
				h->dbflags |= bit;
			return 0;
		}
		for (const char *const *k = ignored_keys; *k; k++) {
			if (!strcmp(key, *k)) {
				if (parse_uint(val, UINT_MAX, &num)) {
					tool_error("line %zu: invalid %s %s", lineno, key, val);
					return -1;
				}
				return 0;
			}
		}
		tool_error("line %zu: unknown header keyword \"%s\"", lineno, key);
		return -1;
	}
	return 0;
}

enum { HDR_OK = 1, HDR_NONE = 0, HDR_ERROR = -1 };

/* Read one header, up to and including HEADER=END.  At a clean end of input
 * before the first line, returns HDR_NONE (the normal end of a dump holding
 * several databases), unless a header is required. */
static int read_header(struct input *in, struct header *h, int required)
{
	int r;
	h->printable = 0;
	h->dbflags = 0;
	free(h->database);
	h->database = NULL;

	for (int first = 1;; first = 0) {
		r = next_line(in);
		if (r == LINE_ERROR)
			return HDR_ERROR;
		if (r == LINE_EOF) {
			if (first && !required)
				return HDR_NONE;
			if (first)
				tool_error("the input is empty (no header)");
			else
				tool_error("line %zu: unexpected end of input in the header"
				           " (no HEADER=END)", in->lineno);
			return HDR_ERROR;
		}
		if (!strcmp(in->line, "HEADER=END"))
			return HDR_OK;
		if (!strcmp(in->line, "DATA=END")) {
			tool_error("line %zu: DATA=END without a database before it", in->lineno);
			return HDR_ERROR;
		}
		char *eq = strchr(in->line, '=');
		if (!eq || eq == in->line) {
			if (in->line[0] == ' ')
				tool_error("line %zu: data line inside the header"
				           " (no HEADER=END before it)", in->lineno);
			else
				tool_error("line %zu: malformed header line"
				           " (expected keyword=value)", in->lineno);
			return HDR_ERROR;
		}
		*eq = '\0';
		if (header_entry(h, in->line, eq + 1, in->lineno))
			return HDR_ERROR;
	}
}

/* ---- decoding values ---------------------------------------------------------- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..len) into out (room for len bytes).  Returns the decoded size,
 * or (size_t)-1 after reporting what is wrong; s starts at column col0 + 1
 * of its line. */
static size_t decode(const char *s, size_t len, int printable, unsigned char *out,
                     size_t lineno, size_t col0)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	if (!printable) {
		if (len % 2) {
			tool_error("line %zu: odd number of hex digits", lineno);
			return (size_t)-1;
		}
		for (size_t i = 0; i < len; i += 2) {
			int hi = hexval(p[i]), lo = hexval(p[i + 1]);
			if (hi < 0 || lo < 0) {
				tool_error("line %zu: invalid hex digit at column %zu", lineno,
				           col0 + (hi < 0 ? i : i + 1) + 1);
				return (size_t)-1;
			}
			out[n++] = (unsigned char)(hi << 4 | lo);
		}
		return n;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\\') {
			out[n++] = p[i];
			continue;
		}
		if (i + 1 < len && p[i + 1] == '\\') {
			out[n++] = '\\';
			i++;
			continue;
		}
		int hi = i + 2 < len ? hexval(p[i + 1]) : -1;
		int lo = hi >= 0 ? hexval(p[i + 2]) : -1;
		if (lo < 0) {
			tool_error("line %zu: invalid escape sequence at column %zu"
			           " (expected \\\\ or \\ and two hex digits)", lineno, col0 + i + 1);
			return (size_t)-1;
		}
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return n;
}

/* Decode the current line (skipping `skip` leading characters) into b. */
static int decode_line(struct input *in, size_t skip, int printable, struct tool_buf *b)
{
	size_t len = in->len - skip;
	if (tool_buf_reserve(b, len + 1)) {
		tool_error("line %zu: out of memory", in->lineno);
		return -1;
	}
	size_t n = decode(in->line + skip, len, printable, b->p, in->lineno, skip);
	if (n == (size_t)-1)
		return -1;
	b->size = n;
	return 0;
}

/* ---- loading ----------------------------------------------------------------- */

struct loader {
	const struct options *o;
	struct input in;
	struct header hdr;
	MDB_env *env;
	MDB_txn *txn;
	struct tool_buf key, data, prevkey;
};

/* With -a the input is taken to be in the database's order already: every
 * new key goes to the end, and so does every duplicate of the same key. */
static int always_greater(const MDB_val *a, const MDB_val *b)
{
	(void)a;
	(void)b;
	return 1;
}

/* Extra words for the one error a user can fix from the dump itself. */
static const char *map_full_hint(int rc)
{
	return rc == MDB_MAP_FULL ? " (the map is full; give a larger mapsize= in the header)" : "";
}

/* Store one key/value pair.  Returns 0, or -1 after reporting. */
static int put_record(struct loader *ld, MDB_cursor *cur, unsigned int dbflags,
                      size_t lineno)
{
	MDB_val key = { ld->key.size, ld->key.p };
	MDB_val data = { ld->data.size, ld->data.p };
	unsigned int flags = ld->o->putflags;

	if (ld->o->append) {
		flags |= MDB_APPEND;
		if (dbflags & MDB_DUPSORT) {
			if (ld->prevkey.size == key.mv_size &&
			    !memcmp(ld->prevkey.p, key.mv_data, key.mv_size)) {
				/* same key again: the cursor is on it, add a duplicate */
				flags = (flags & ~(unsigned int)MDB_APPEND) | MDB_CURRENT | MDB_APPENDDUP;
			} else {
				if (tool_buf_reserve(&ld->prevkey, key.mv_size + 1)) {
					tool_error("line %zu: out of memory", lineno);
					return -1;
				}
				memcpy(ld->prevkey.p, key.mv_data, key.mv_size);
				ld->prevkey.size = key.mv_size;
			}
		}
	}
	int rc = mdb_cursor_put(cur, &key, &data, flags);
	if (rc == MDB_KEYEXIST && ld->o->putflags)
		return 0; /* -N: keep what is there */
	if (rc) {
		tool_error("line %zu: cannot store the record: %s%s", lineno, tool_strerror(rc),
		           map_full_hint(rc));
		return -1;
	}
	return 0;
}

/* The flags a dump header can carry. */
#define HEADER_DB_FLAGS                                                       \
	(MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED |          \
	 MDB_INTEGERDUP | MDB_REVERSEDUP)

static void flag_names(unsigned int flags, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const struct tool_dbflag *f = tool_dbflags; f->bit; f++)
		if ((flags & f->bit) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", f->name);
	if (!n)
		snprintf(buf, size, "none");
}

/* Open (or create) the database a header names, making sure that an
 * existing database has the flags the header gives: LMDB 0.9 would silently
 * load e.g. duplicates into a database without MDB_DUPSORT, losing all but
 * the last of them.  Only an empty main database may still get new flags. */
static int open_target(struct loader *ld, const char *name, unsigned int want,
                       MDB_dbi *dbi)
{
	const size_t line = ld->in.lineno;
	char what[64 + 32], have_s[80], want_s[80];
	unsigned int have = 0;
	MDB_stat st;
	int rc;

	if (name)
		snprintf(what, sizeof what, "database \"%.64s\"", name);
	else
		snprintf(what, sizeof what, "the main database");

	rc = mdb_dbi_open(ld->txn, name, 0, dbi);
	if (rc == 0)
		rc = mdb_dbi_flags(ld->txn, *dbi, &have);
	if (rc == 0 && (have & HEADER_DB_FLAGS) == want)
		return 0;
	if (rc == 0 && !name && mdb_stat(ld->txn, *dbi, &st) == 0 && st.ms_entries == 0)
		rc = MDB_NOTFOUND; /* an empty main database takes the header's flags */
	if (rc == MDB_NOTFOUND) {
		rc = mdb_dbi_open(ld->txn, name, want | MDB_CREATE, dbi);
		if (rc == 0)
			rc = mdb_dbi_flags(ld->txn, *dbi, &have);
		if (rc == 0 && (have & HEADER_DB_FLAGS) == want)
			return 0;
	}
	if (rc == 0) {
		flag_names(have & HEADER_DB_FLAGS, have_s, sizeof have_s);
		flag_names(want, want_s, sizeof want_s);
		tool_error("line %zu: %s already exists with flags %s, but the header gives %s",
		           line, what, have_s, want_s);
	} else if (rc == MDB_DBS_FULL) {
		tool_error("line %zu: too many databases in the input (at most %d when"
		           " reading from a pipe: use -f)", line, MAXDBS_UNSCANNED);
	} else if (rc == MDB_INCOMPATIBLE && name) {
		tool_error("line %zu: cannot create %s: the name is a record of the main"
		           " database, or the main database cannot hold named databases",
		           line, what);
	} else {
		tool_error("line %zu: cannot open %s: %s%s", line, what, tool_strerror(rc),
		           map_full_hint(rc));
	}
	return -1;
}

/* Load the records that follow a header (or all of the input with -T) into
 * the database the header names.  Returns 0 or -1 after reporting. */
static int load_db(struct loader *ld)
{
	const struct options *o = ld->o;
	const char *name = ld->hdr.database ? ld->hdr.database : o->subdb;
	unsigned int dbflags = ld->hdr.dbflags;
	int printable = o->text || ld->hdr.printable;
	MDB_dbi dbi;
	MDB_cursor *cur;
	int rc, r, ret = -1;

	if (open_target(ld, name, dbflags, &dbi))
		return -1;
	if (o->append) {
		mdb_set_compare(ld->txn, dbi, always_greater);
		if (dbflags & MDB_DUPSORT)
			mdb_set_dupsort(ld->txn, dbi, always_greater);
	}
	ld->prevkey.size = 0;
	rc = mdb_cursor_open(ld->txn, dbi, &cur);
	if (rc) {
		tool_error("cannot open a cursor: %s", tool_strerror(rc));
		return -1;
	}

	for (;;) {
		r = next_line(&ld->in);
		if (r == LINE_ERROR)
			goto out;
		if (r == LINE_EOF) {
			if (o->text)
				break;
			tool_error("line %zu: unexpected end of input (no DATA=END)",
			           ld->in.lineno);
			goto out;
		}
		if (!o->text) {
			if (!strcmp(ld->in.line, "DATA=END"))
				break;
			if (ld->in.line[0] != ' ') {
				tool_error("line %zu: expected a key (a line starting with a space)"
				           " or DATA=END", ld->in.lineno);
				goto out;
			}
		}
		if (decode_line(&ld->in, o->text ? 0 : 1, printable, &ld->key))
			goto out;

		size_t keyline = ld->in.lineno;
		r = next_line(&ld->in);
		if (r == LINE_ERROR)
			goto out;
		if (r == LINE_EOF) {
			tool_error("line %zu: unexpected end of input (the key on line %zu"
			           " has no value)", ld->in.lineno, keyline);
			goto out;
		}
		if (!o->text && ld->in.line[0] != ' ') {
			tool_error("line %zu: expected the value of the key on line %zu"
			           " (a line starting with a space)", ld->in.lineno, keyline);
			goto out;
		}
		if (decode_line(&ld->in, o->text ? 0 : 1, printable, &ld->data))
			goto out;
		if (put_record(ld, cur, dbflags, ld->in.lineno))
			goto out;
		records_done++;
		if (progress.on)
			tool_progress_update(&progress, progress_bytes
			                     ? (uint64_t)ftello(ld->in.fp) : records_done);
	}
	ret = 0;
out:
	mdb_cursor_close(cur);
	return ret;
}

/* How many databases the input holds, counting its "database=" lines when
 * the input is a regular file (data lines start with a space, so they never
 * match).  The position in the file is left unchanged. */
static MDB_dbi count_databases(FILE *fp)
{
	struct stat st;
	off_t start;
	char *line = NULL;
	size_t cap = 0;
	MDB_dbi n = 1;

	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode) || (start = ftello(fp)) < 0)
		return MAXDBS_UNSCANNED;
	while (getline(&line, &cap, fp) >= 0)
		if (!strncmp(line, "database=", 9) && n < UINT_MAX - 1)
			n++;
	free(line);
	clearerr(fp);
	if (fseeko(fp, start, SEEK_SET))
		return MAXDBS_UNSCANNED;
	return n < 2 ? 2 : n;
}

/* The header's map size is that of the dumped environment.  A new
 * environment gets it; an existing one keeps its map if that is larger
 * (LMDB 0.9 would shrink it). */
static size_t map_size(const struct options *o, size_t wanted)
{
	MDB_env *probe;
	MDB_envinfo info;
	size_t size = wanted;
	if (mdb_env_create(&probe))
		return size;
	if (mdb_env_open(probe, o->envpath, o->envflags | MDB_RDONLY, 0664) == 0 &&
	    mdb_env_info(probe, &info) == 0 && info.me_mapsize > size)
		size = info.me_mapsize;
	mdb_env_close(probe);
	return size;
}

static int open_env(struct loader *ld)
{
	const struct options *o = ld->o;
	/* No sync per commit: there is a single commit, followed by a sync. */
	unsigned int flags = o->envflags | MDB_NOSYNC;
	int rc = mdb_env_create(&ld->env);
	if (rc) {
		tool_error("cannot create an environment handle: %s", tool_strerror(rc));
		ld->env = NULL;
		return -1;
	}
	rc = mdb_env_set_maxdbs(ld->env, o->text ? 2 : count_databases(ld->in.fp));
	if (!rc && ld->hdr.maxreaders)
		rc = mdb_env_set_maxreaders(ld->env, ld->hdr.maxreaders);
	if (!rc && ld->hdr.mapsize)
		rc = mdb_env_set_mapsize(ld->env, map_size(o, ld->hdr.mapsize));
	if (rc) {
		tool_error("%s: cannot configure the environment: %s", o->envpath,
		           tool_strerror(rc));
		return -1;
	}
	if (ld->hdr.fixedmap)
		flags |= MDB_FIXEDMAP;
	rc = mdb_env_open(ld->env, o->envpath, flags, 0664);
	if (rc) {
		tool_env_open_error(o->envpath, flags, rc);
		return -1;
	}
	return 0;
}

/* Everything in one write transaction. */
static int load_all(struct loader *ld)
{
	int rc = mdb_txn_begin(ld->env, NULL, 0, &ld->txn);
	if (rc) {
		tool_error("%s: cannot begin a write transaction: %s", ld->o->envpath,
		           tool_strerror(rc));
		ld->txn = NULL;
		return -1;
	}
	for (;;) {
		if (load_db(ld))
			goto fail;
		if (ld->o->text)
			break;
		int h = read_header(&ld->in, &ld->hdr, 0);
		if (h == HDR_ERROR)
			goto fail;
		if (h == HDR_NONE)
			break;
	}
	rc = mdb_txn_commit(ld->txn);
	ld->txn = NULL;
	if (rc) {
		tool_error("%s: cannot commit: %s%s", ld->o->envpath, tool_strerror(rc),
		           map_full_hint(rc));
		return -1;
	}
	rc = mdb_env_sync(ld->env, 1);
	if (rc) {
		tool_error("%s: cannot flush to disk: %s", ld->o->envpath, tool_strerror(rc));
		return -1;
	}
	if (progress.on) {
		if (progress_bytes)
			progress.done = progress.total;
		tool_progress_finish(&progress);
	}
	return 0;
fail:
	mdb_txn_abort(ld->txn);
	ld->txn = NULL;
	return -1;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;
	memset(o, 0, sizeof *o);
	if (argc < 2)
		tool_usage();
	while ((c = getopt(argc, argv, "af:nPs:NTV")) != -1) {
		switch (c) {
		case 'V':
			tool_version();
		case 'a':
			o->append = 1;
			break;
		case 'f':
			o->infile = optarg;
			break;
		case 'n':
			o->envflags |= MDB_NOSUBDIR;
			break;
		case 's':
			o->subdb = optarg;
			break;
		case 'N':
			o->putflags = MDB_NOOVERWRITE | MDB_NODUPDATA;
			break;
		case 'T':
			o->text = 1;
			break;
		case 'P':
			o->progress = 1;
			break;
		default:
			tool_usage();
		}
	}
	if (optind != argc - 1)
		tool_usage();
	o->envpath = argv[optind];
}

int main(int argc, char **argv)
{
	struct options o;
	struct loader ld;
	int ok = 0;

	/* The synopsis is LMDB 0.9's, byte for byte; the options of our own (-P, -j)
	 * are in the man page. */
	tool_init(argv[0], "[-V] [-a] [-f input] [-n] [-s name] [-N] [-T] dbpath");
	parse_options(argc, argv, &o);
	memset(&ld, 0, sizeof ld);
	ld.o = &o;
	ld.in.fp = stdin;
	if (o.infile && !(ld.in.fp = fopen(o.infile, "r"))) {
		tool_error("%s: cannot open for reading: %s", o.infile, strerror(errno));
		return EXIT_FAILURE;
	}

	{
		struct stat st;
		progress_bytes = fstat(fileno(ld.in.fp), &st) == 0 && S_ISREG(st.st_mode) &&
		                 st.st_size > 0;
		tool_progress_init(&progress, tool_prog(), o.progress,
		                   progress_bytes ? "bytes" : "records",
		                   progress_bytes ? (uint64_t)st.st_size : 0);
	}
	/* The first header tells how to set up the environment; read it before
	 * creating anything, so that a bad input leaves no trace. */
	if (!o.text && read_header(&ld.in, &ld.hdr, 1) != HDR_OK)
		goto out;
	if (open_env(&ld))
		goto out;
	ok = load_all(&ld) == 0;
out:
	if (ld.env)
		mdb_env_close(ld.env);
	free(ld.key.p);
	free(ld.data.p);
	free(ld.prevkey.p);
	free(ld.hdr.database);
	free(ld.in.line);
	if (ld.in.fp != stdin)
		fclose(ld.in.fp);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
