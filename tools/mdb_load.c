/* mdb_load: load text produced by mdb_dump (or Berkeley DB's db_dump, or
 * plain key/value line pairs with -T) into an LMDB environment.
 *
 * The input is read the way LMDB 0.9's mdb_load reads it, so that every
 * input loads the same records and ends with the same exit status (see
 * tools/README.md for the deliberate differences).  In particular:
 *
 *  - header lines are matched by their beginning ("format=printable" is
 *    print, "dupsort=0" sets dupsort, "HEADER=END\r" ends the header);
 *    a keyword it does not know is reported and ignored, a line without
 *    '=' ends the load with an error;
 *  - the end of the input ends the load, wherever it comes: an empty
 *    input, a header without HEADER=END or data without DATA=END load
 *    what is there (and create the database the header names);
 *  - a line that cannot be a key (no leading space, bad hex digits, an odd
 *    number of them, a bad escape, an incomplete last line) ends the input:
 *    what came before it is loaded and the status is 0, after a message;
 *    the same trouble in a value line is an error;
 *  - header values persist into the next header unless given again: the
 *    database name (which starts as -s's) and the print format.
 *
 * Unlike LMDB 0.9's tool, which commits every 100 records and after each
 * database, the whole input is loaded in a single write transaction: when
 * the load fails (status 1), nothing at all is committed.
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
 * (a pipe).  Every database of the input stays open until the commit; when
 * a pipe brings more databases than this, the load is committed in parts. */
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

/* ---- reading lines -------------------------------------------------------- */

/* A line buffer.  Its size decides where a long header line is cut (each
 * piece counts as a line of its own, as in LMDB 0.9), and it doubles when a
 * record line does not fit. */
struct linebuf {
	char *p;
	size_t size;
};

struct input {
	FILE *fp;
	size_t lineno;
	int end;  /* the input has ended (or a line ended it): no more headers */
	int text; /* -T: no headers, no leading spaces */
	/* Keys are read into kb; values and header lines into vb.  Header
	 * lines are looked at in the whole of vb, bytes left over from earlier
	 * longer lines included, as LMDB 0.9 does: a short line without '='
	 * (an empty line, say) in a header passes as an unknown keyword when
	 * an earlier line had its '=' further right. */
	struct linebuf kb, vb;
};

/* Like fgets(p, size): at most size - 1 bytes, up to and including a
 * newline, then a NUL.  Returns the number of bytes read (NUL bytes in the
 * input count), 0 at the end of the input. */
static size_t read_piece(FILE *fp, char *p, size_t size)
{
	size_t n = 0;
	int c;
	while (n + 1 < size && (c = getc_unlocked(fp)) != EOF) {
		p[n++] = (char)c;
		if (c == '\n')
			break;
	}
	p[n] = '\0';
	return n;
}

static int read_failed(const struct input *in)
{
	if (!ferror(in->fp))
		return 0;
	tool_error("line %zu: cannot read input: %s", in->lineno + 1,
	           strerror(errno ? errno : EIO));
	return 1;
}

static int linebuf_init(struct linebuf *b, size_t size)
{
	b->p = calloc(1, size);
	b->size = size;
	return b->p ? 0 : ENOMEM;
}

/* Double the buffer; the new half starts zeroed. */
static int linebuf_grow(struct linebuf *b)
{
	if (b->size > SIZE_MAX / 2)
		return ENOMEM;
	char *p = realloc(b->p, b->size * 2);
	if (!p)
		return ENOMEM;
	memset(p + b->size, 0, b->size);
	b->p = p;
	return 0;
}

/* ---- the header ----------------------------------------------------------- */

struct header {
	char *name;           /* database=, starting as -s; kept between headers */
	int printable;        /* format=print; kept between headers */
	unsigned int dbflags; /* dupsort=, integerkey=, ...: this header's */
	/* The environment's settings; those of the first header are used. */
	size_t mapsize;
	void *mapaddr;
	unsigned int maxreaders;
};

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Cut the value of a header line at the first newline in the buffer. */
static void cut_newline(struct linebuf *b)
{
	char *nl = memchr(b->p, '\n', b->size);
	if (nl)
		*nl = '\0';
}

/* Keywords that mdb_dump writes in every header and that mean nothing to
 * mdb_load (the flags come from dupsort= etc.): not worth a message. */
static int silently_ignored(const char *key)
{
	return !strcmp(key, "duplicates") || !strcmp(key, "db_pagesize");
}

/* Read one header, up to HEADER=END or the end of the input (which is not
 * an error: the database it names is still opened, and created).  Returns
 * 0, or -1 after reporting an error. */
static int read_header(struct input *in, struct header *h)
{
	struct linebuf *b = &in->vb;
	h->dbflags = 0;
	while (read_piece(in->fp, b->p, b->size) > 0) {
		char *s = b->p;
		in->lineno++;
		if (starts_with(s, "VERSION=")) {
			int version = (int)strtol(s + 8, NULL, 10);
			if (version > 3) {
				tool_error("line %zu: unsupported VERSION %d", in->lineno, version);
				return -1;
			}
		} else if (starts_with(s, "HEADER=END")) {
			return 0;
		} else if (starts_with(s, "format=")) {
			if (starts_with(s + 7, "print")) {
				h->printable = 1;
			} else if (starts_with(s + 7, "bytevalue")) {
				h->printable = 0;
			} else {
				cut_newline(b);
				tool_error("line %zu: unsupported format %s (expected print or bytevalue)",
				           in->lineno, s + 7);
				return -1;
			}
		} else if (starts_with(s, "database=")) {
			cut_newline(b);
			free(h->name);
			if (!(h->name = strdup(s + 9))) {
				tool_error("line %zu: out of memory", in->lineno);
				return -1;
			}
		} else if (starts_with(s, "type=")) {
			if (!starts_with(s + 5, "btree")) {
				cut_newline(b);
				tool_error("line %zu: unsupported type %s (only btree)", in->lineno, s + 5);
				return -1;
			}
		} else if (starts_with(s, "mapaddr=")) {
			cut_newline(b);
			if (sscanf(s + 8, "%p", &h->mapaddr) != 1) {
				tool_error("line %zu: invalid mapaddr %s", in->lineno, s + 8);
				return -1;
			}
		} else if (starts_with(s, "mapsize=")) {
			cut_newline(b);
			if (sscanf(s + 8, "%zu", &h->mapsize) != 1) {
				tool_error("line %zu: invalid mapsize %s", in->lineno, s + 8);
				return -1;
			}
		} else if (starts_with(s, "maxreaders=")) {
			cut_newline(b);
			if (sscanf(s + 11, "%u", &h->maxreaders) != 1) {
				tool_error("line %zu: invalid maxreaders %s", in->lineno, s + 11);
				return -1;
			}
		} else {
			/* A flag is set by its keyword, whatever the value. */
			const struct tool_dbflag *f;
			for (f = tool_dbflags; f->bit; f++) {
				size_t len = strlen(f->name);
				if (!strncmp(s, f->name, len) && s[len] == '=') {
					h->dbflags |= f->bit;
					break;
				}
			}
			if (f->bit)
				continue;
			char *eq = memchr(b->p, '=', b->size);
			if (!eq) {
				tool_error("line %zu: malformed header line (expected keyword=value)",
				           in->lineno);
				return -1;
			}
			*eq = '\0';
			if (!silently_ignored(s))
				tool_error("line %zu: unrecognized keyword ignored: %.*s", in->lineno,
				           (int)strcspn(s, "\n"), s);
		}
	}
	return read_failed(in) ? -1 : 0;
}

/* ---- record lines ----------------------------------------------------------- */

enum { REC_OK, REC_DATA_END, REC_STOP, REC_ERROR };

/* Why a record line ended the input (REC_STOP with a reason). */
struct why {
	char text[128];
	int no_space;   /* the line does not start with a space */
	int incomplete; /* the input ends within the line */
};

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

/* Decode the line in b (its newline already replaced by a NUL, len bytes
 * before it) in place.  Returns the decoded size, or (size_t)-1 with the
 * reason in *why.  col0: columns before the text (the leading space). */
static size_t decode_in_place(char *line, size_t len, int printable, size_t col0,
                              struct why *why)
{
	unsigned char *in = (unsigned char *)line, *out = in, *end = in + len;
	if (printable) {
		while (in < end) {
			if (*in != '\\') {
				*out++ = *in++;
			} else if (in[1] == '\\') {
				*out++ = '\\';
				in += 2;
			} else if (end - in >= 3 && hexval(in[1]) >= 0 && hexval(in[2]) >= 0) {
				*out++ = (unsigned char)(hexval(in[1]) << 4 | hexval(in[2]));
				in += 3;
			} else {
				snprintf(why->text, sizeof why->text,
				         "invalid escape sequence at column %zu"
				         " (expected \\\\ or \\ and two hex digits)",
				         col0 + (size_t)(in - (unsigned char *)line) + 1);
				return (size_t)-1;
			}
		}
	} else {
		if (len % 2) {
			snprintf(why->text, sizeof why->text, "odd number of hex digits");
			return (size_t)-1;
		}
		for (; in < end; in += 2) {
			int hi = hexval(in[0]), lo = hexval(in[1]);
			if (hi < 0 || lo < 0) {
				snprintf(why->text, sizeof why->text, "invalid hex digit at column %zu",
				         col0 + (size_t)(in - (unsigned char *)line) + (hi < 0 ? 1 : 2));
				return (size_t)-1;
			}
			*out++ = (unsigned char)(hi << 4 | lo);
		}
	}
	return (size_t)(out - (unsigned char *)line);
}

/* Read the next key or value line into b.
 *   REC_OK        *out is the decoded line
 *   REC_DATA_END  a DATA=END line (only where a line without a leading
 *                 space may come, i.e. not with -T)
 *   REC_STOP      the input ends here: its end (why empty), or a line that
 *                 cannot be a record (why says what is wrong with it)
 *   REC_ERROR     the input cannot be read (reported) */
static int read_record_line(struct input *in, struct linebuf *b, int printable,
                            MDB_val *out, struct why *why)
{
	why->text[0] = '\0';
	why->no_space = 0;
	why->incomplete = 0;
	if (!in->text) {
		int c = getc_unlocked(in->fp);
		if (c == EOF) {
			in->end = 1;
			return read_failed(in) ? REC_ERROR : REC_STOP;
		}
		if (c != ' ') {
			in->lineno++;
			if (read_piece(in->fp, b->p, b->size) == 0) {
				if (read_failed(in))
					return REC_ERROR;
				in->end = 1;
				why->incomplete = 1;
				snprintf(why->text, sizeof why->text, "incomplete last line");
				return REC_STOP;
			}
			if (c == 'D' && starts_with(b->p, "ATA=END"))
				return REC_DATA_END;
			in->end = 1;
			why->no_space = 1;
			snprintf(why->text, sizeof why->text,
			         "expected a key (a line starting with a space) or DATA=END");
			return REC_STOP;
		}
	}
	if (read_piece(in->fp, b->p, b->size) == 0) {
		in->end = 1;
		return read_failed(in) ? REC_ERROR : REC_STOP;
	}
	in->lineno++;
	size_t len = strlen(b->p);
	while (len == 0 || b->p[len - 1] != '\n') {
		size_t room = b->size + 1;
		if (linebuf_grow(b)) {
			tool_error("line %zu: out of memory, line too long", in->lineno);
			return REC_ERROR;
		}
		if (read_piece(in->fp, b->p + len, room) == 0) {
			if (read_failed(in))
				return REC_ERROR;
			in->end = 1;
			why->incomplete = 1;
			snprintf(why->text, sizeof why->text, "incomplete last line");
			return REC_STOP;
		}
		b->size *= 2;
		len += strlen(b->p + len);
	}
	b->p[--len] = '\0';
	size_t n = decode_in_place(b->p, len, printable, in->text ? 0 : 1, why);
	if (n == (size_t)-1) {
		in->end = 1;
		return REC_STOP;
	}
	out->mv_data = b->p;
	out->mv_size = n;
	return REC_OK;
}

/* ---- loading ----------------------------------------------------------------- */

struct loader {
	const struct options *o;
	struct input in;
	struct header hdr;
	MDB_env *env;
	MDB_txn *txn;
	struct tool_buf prevkey;
	MDB_dbi *opened; /* databases opened in the current transaction */
	size_t nopened, capopened;
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
static int put_record(struct loader *ld, MDB_cursor *cur, MDB_val *key, MDB_val *data,
                      unsigned int dbflags)
{
	unsigned int flags = ld->o->putflags;

	if (ld->o->append) {
		flags |= MDB_APPEND;
		if (dbflags & MDB_DUPSORT) {
			if (ld->prevkey.size == key->mv_size &&
			    !memcmp(ld->prevkey.p, key->mv_data, key->mv_size)) {
				/* same key again: the cursor is on it, add a duplicate */
				flags = (flags & ~(unsigned int)MDB_APPEND) | MDB_CURRENT | MDB_APPENDDUP;
			} else {
				if (tool_buf_reserve(&ld->prevkey, key->mv_size + 1)) {
					tool_error("line %zu: out of memory", ld->in.lineno);
					return -1;
				}
				memcpy(ld->prevkey.p, key->mv_data, key->mv_size);
				ld->prevkey.size = key->mv_size;
			}
		}
	}
	int rc = mdb_cursor_put(cur, key, data, flags);
	if (rc == MDB_KEYEXIST && ld->o->putflags)
		return 0; /* -N: keep what is there */
	if (rc) {
		tool_error("line %zu: cannot store the record: %s%s", ld->in.lineno,
		           tool_strerror(rc), map_full_hint(rc));
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

static int begin_txn(struct loader *ld)
{
	int rc = mdb_txn_begin(ld->env, NULL, 0, &ld->txn);
	if (rc) {
		tool_error("%s: cannot begin a write transaction: %s", ld->o->envpath,
		           tool_strerror(rc));
		ld->txn = NULL;
		return -1;
	}
	return 0;
}

static int commit_txn(struct loader *ld)
{
	int rc = mdb_txn_commit(ld->txn);
	ld->txn = NULL;
	if (rc) {
		tool_error("%s: cannot commit: %s%s", ld->o->envpath, tool_strerror(rc),
		           map_full_hint(rc));
		return -1;
	}
	return 0;
}

/* All database handles are in use (a pipe brought more databases than
 * MAXDBS_UNSCANNED): commit what is loaded, close the handles, go on in a
 * new transaction. */
static int commit_and_continue(struct loader *ld)
{
	if (commit_txn(ld))
		return -1;
	for (size_t i = 0; i < ld->nopened; i++)
		mdb_dbi_close(ld->env, ld->opened[i]);
	ld->nopened = 0;
	return begin_txn(ld);
}

static int remember_dbi(struct loader *ld, MDB_dbi dbi)
{
	for (size_t i = 0; i < ld->nopened; i++)
		if (ld->opened[i] == dbi)
			return 0;
	if (ld->nopened == ld->capopened) {
		size_t cap = ld->capopened ? ld->capopened * 2 : 16;
		MDB_dbi *v = realloc(ld->opened, cap * sizeof *v);
		if (!v) {
			tool_error("out of memory");
			return -1;
		}
		ld->opened = v;
		ld->capopened = cap;
	}
	ld->opened[ld->nopened++] = dbi;
	return 0;
}

static int found_subdb(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	(void)txn;
	(void)name;
	(void)dbi;
	(void)ctx;
	return 1;
}

/* Flags that LMDB 0.9 may add to a main database holding records without
 * harm: sorted duplicates, as long as it has none yet (its records stay
 * single values) and it holds no named databases (which a main database
 * with duplicates cannot). */
static int may_add_main_flags(MDB_txn *txn, MDB_dbi dbi, unsigned int have,
                              unsigned int added)
{
	if (added & ~(unsigned int)(MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEDUP))
		return 0; /* the keys' order would change */
	if (have & MDB_DUPSORT)
		return 0; /* the order of the duplicates there would change */
	return tool_each_subdb(txn, dbi, found_subdb, NULL, NULL) == 0;
}

/* Open (or create) the database a header names, as LMDB 0.9 does: an
 * existing named database keeps its flags whatever the header says, the
 * main database takes the header's flags in addition to its own.
 * Refused, where LMDB 0.9 would damage data: a header with dupsort for an
 * existing named database without it (all but one value of each key would
 * be lost), and flags for a main database holding records that change
 * their order or hide its named databases (0.9 goes on with a damaged
 * database, or crashes). */
static int open_target(struct loader *ld, const char *name, unsigned int want,
                       MDB_dbi *dbi)
{
	char at[48], what[64 + 32], have_s[80], want_s[80];
	unsigned int have = 0;
	MDB_stat st;
	int rc;

	/* -T has no header: no line to name */
	at[0] = '\0';
	if (ld->in.lineno)
		snprintf(at, sizeof at, "line %zu: ", ld->in.lineno);
	if (name)
		snprintf(what, sizeof what, "database \"%.64s\"", name);
	else
		snprintf(what, sizeof what, "the main database");

	rc = mdb_dbi_open(ld->txn, name, 0, dbi);
	if (rc == MDB_DBS_FULL && ld->nopened) {
		if (commit_and_continue(ld))
			return -1;
		rc = mdb_dbi_open(ld->txn, name, 0, dbi);
	}
	if (rc == 0)
		rc = mdb_dbi_flags(ld->txn, *dbi, &have);
	if (rc == 0) {
		have &= HEADER_DB_FLAGS;
		if (name ? !(want & MDB_DUPSORT) || (have & MDB_DUPSORT) : !(want & ~have))
			return name ? remember_dbi(ld, *dbi) : 0;
		if (!name && mdb_stat(ld->txn, *dbi, &st) == 0 &&
		    (st.ms_entries == 0 || may_add_main_flags(ld->txn, *dbi, have, want & ~have)))
			rc = MDB_NOTFOUND; /* the main database takes the header's flags */
	}
	if (rc == MDB_NOTFOUND) {
		rc = mdb_dbi_open(ld->txn, name, want | MDB_CREATE, dbi);
		if (rc == 0)
			return name ? remember_dbi(ld, *dbi) : 0;
	}
	if (rc == 0) {
		flag_names(have, have_s, sizeof have_s);
		flag_names(want, want_s, sizeof want_s);
		if (name)
			tool_error("%s%s already exists with flags %s, but the header gives %s",
			           at, what, have_s, want_s);
		else
			tool_error("%sthe main database holds records with flags %s: the header's"
			           " flags %s would change their order or hide its named databases",
			           at, have_s, want_s);
	} else if (rc == MDB_INCOMPATIBLE && name) {
		tool_error("%scannot create %s: the name is a record of the main"
		           " database, or the main database cannot hold named databases",
		           at, what);
	} else {
		tool_error("%scannot open %s: %s%s", at, what, tool_strerror(rc),
		           map_full_hint(rc));
	}
	return -1;
}

/* Report why the value of the key on line keyline could not be read. */
static void value_error(const struct input *in, int r, const struct why *why,
                        size_t keyline)
{
	if (why->no_space)
		tool_error("line %zu: expected the value of the key on line %zu"
		           " (a line starting with a space)", in->lineno, keyline);
	else if (why->incomplete)
		tool_error("line %zu: unexpected end of input (incomplete last line)", in->lineno);
	else if (why->text[0])
		tool_error("line %zu: %s", in->lineno, why->text);
	else if (r == REC_DATA_END)
		tool_error("line %zu: expected the value of the key on line %zu, found DATA=END",
		           in->lineno, keyline);
	else
		tool_error("line %zu: unexpected end of input (the key on line %zu has no value)",
		           in->lineno, keyline);
}

/* Load the records that follow a header (or all of the input with -T) into
 * the database the header names.  Returns 0 or -1 after reporting. */
static int load_db(struct loader *ld)
{
	const struct options *o = ld->o;
	const char *name = ld->hdr.name;
	unsigned int dbflags = ld->hdr.dbflags;
	int printable = o->text || ld->hdr.printable;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val key, data;
	struct why why;
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
		r = read_record_line(&ld->in, &ld->in.kb, printable, &key, &why);
		if (r == REC_ERROR)
			goto out;
		if (r != REC_OK) {
			/* DATA=END, the end of the input, or a line that ends it */
			if (why.text[0])
				tool_error("line %zu: unexpected end of input (%s;"
				           " the rest of the input is ignored)",
				           ld->in.lineno, why.text);
			break;
		}
		size_t keyline = ld->in.lineno;
		r = read_record_line(&ld->in, &ld->in.vb, printable, &data, &why);
		if (r == REC_ERROR)
			goto out;
		if (r != REC_OK) {
			value_error(&ld->in, r, &why, keyline);
			goto out;
		}
		if (put_record(ld, cur, &key, &data, dbflags))
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

/* How many databases the input can hold: the main one, -s's, and one per
 * line starting with "database=" when the input is a regular file (data
 * lines start with a space, so they never match).  The position in the
 * file is left unchanged. */
static MDB_dbi count_databases(FILE *fp)
{
	struct stat st;
	off_t start;
	char *line = NULL;
	size_t cap = 0;
	MDB_dbi n = 2;

	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode) || (start = ftello(fp)) < 0)
		return MAXDBS_UNSCANNED;
	while (getline(&line, &cap, fp) >= 0)
		if (!strncmp(line, "database=", 9) && n < UINT_MAX - 1)
			n++;
	free(line);
	clearerr(fp);
	if (fseeko(fp, start, SEEK_SET))
		return MAXDBS_UNSCANNED;
	return n;
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
	/* No sync per commit: the load ends with a sync. */
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
	if (ld->hdr.mapaddr)
		flags |= MDB_FIXEDMAP;
	rc = mdb_env_open(ld->env, o->envpath, flags, 0664);
	if (rc) {
		tool_env_open_error(o->envpath, flags, rc);
		return -1;
	}
	/* Key lines are read in pieces of this size, as LMDB 0.9 does. */
	if (linebuf_init(&ld->in.kb, (size_t)mdb_env_get_maxkeysize(ld->env) * 2 + 2)) {
		tool_error("out of memory");
		return -1;
	}
	return 0;
}

/* The first header has been read.  Everything in one write transaction. */
static int load_all(struct loader *ld)
{
	if (begin_txn(ld))
		return -1;
	for (int first = 1;; first = 0) {
		if (!first && !ld->o->text && read_header(&ld->in, &ld->hdr))
			goto fail;
		if (load_db(ld))
			goto fail;
		if (ld->in.end)
			break;
	}
	if (commit_txn(ld))
		return -1;
	int rc = mdb_env_sync(ld->env, 1);
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
			/* 0.9 has opened -f's file by now, or failed to */
			if (o->infile) {
				FILE *fp = fopen(o->infile, "r");
				if (!fp) {
					tool_error("%s: cannot open for reading: %s", o->infile,
					           strerror(errno));
					exit(EXIT_FAILURE);
				}
				fclose(fp);
			}
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
	ld.in.text = o.text;
	if (o.infile && !(ld.in.fp = fopen(o.infile, "r"))) {
		tool_error("%s: cannot open for reading: %s", o.infile, strerror(errno));
		return EXIT_FAILURE;
	}
	if (o.subdb && !(ld.hdr.name = strdup(o.subdb))) {
		tool_error("out of memory");
		goto out;
	}
	if (linebuf_init(&ld.in.vb, 4096)) {
		tool_error("out of memory");
		goto out;
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
	 * creating anything, so that an input rejected there leaves no trace. */
	if (!o.text && read_header(&ld.in, &ld.hdr))
		goto out;
	if (open_env(&ld))
		goto out;
	ok = load_all(&ld) == 0;
out:
	if (ld.env)
		mdb_env_close(ld.env);
	free(ld.prevkey.p);
	free(ld.opened);
	free(ld.hdr.name);
	free(ld.in.kb.p);
	free(ld.in.vb.p);
	if (ld.in.fp != stdin)
		fclose(ld.in.fp);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
