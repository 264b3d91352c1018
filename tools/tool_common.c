/* Helpers shared by the mdb_* command-line tools (see tool_common.h). */
#define _GNU_SOURCE
#include "tool_common.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *prog_name = "mdb_tool";
static const char *usage_synopsis = "";

void tool_init(const char *argv0, const char *synopsis)
{
	if (argv0 && *argv0)
		prog_name = argv0;
	usage_synopsis = synopsis;
}

const char *tool_prog(void)
{
	return prog_name;
}

_Noreturn void tool_usage(void)
{
	fprintf(stderr, "usage: %s %s\n", prog_name, usage_synopsis);
	exit(EXIT_FAILURE);
}

_Noreturn void tool_version(void)
{
	printf("%s\n", MDB_VERSION_STRING);
	exit(EXIT_SUCCESS);
}

const char *tool_strerror(int rc)
{
	const char *s = mdb_strerror(rc);
	if (s)
		return s;
	s = strerror(rc);
	return s ? s : "unknown error";
}

void tool_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- signals -------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void note_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

void tool_catch_signals(void)
{
	static const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGTERM };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = note_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked write() must come back with EINTR/EPIPE. */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

int tool_interrupted(void)
{
	return got_signal != 0;
}

int tool_flush_stdout(const char *what)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	int err = errno;
	tool_error("%s: write error: %s", what, strerror(err ? err : EIO));
	return -1;
}

/* ---- environments and databases ------------------------------------------- */

/* A hint for the most common way to get the -n option wrong. */
static const char *layout_hint(const char *path, unsigned int flags)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return "";
	if (S_ISREG(st.st_mode) && !(flags & MDB_NOSUBDIR))
		return " (the path is a file: use -n for an environment without a subdirectory)";
	if (S_ISDIR(st.st_mode) && (flags & MDB_NOSUBDIR))
		return " (the path is a directory: -n expects the data file itself)";
	return "";
}

void tool_env_open_error(const char *path, unsigned int flags, int rc)
{
	tool_error("%s: cannot open environment: %s%s", path, tool_strerror(rc),
	           layout_hint(path, flags));
}

int tool_env_open(MDB_env **envp, const char *path, unsigned int flags,
                  MDB_dbi maxdbs, mdb_mode_t mode)
{
	MDB_env *env = NULL;
	int rc = mdb_env_create(&env);
	*envp = NULL;
	if (rc) {
		tool_error("cannot create an environment handle: %s", tool_strerror(rc));
		return rc;
	}
	if (maxdbs) {
		rc = mdb_env_set_maxdbs(env, maxdbs);
		if (rc) {
			tool_error("%s: cannot set the number of databases: %s", path,
			           tool_strerror(rc));
			mdb_env_close(env);
			return rc;
		}
	}
	rc = mdb_env_open(env, path, flags, mode);
	if (rc) {
		tool_env_open_error(path, flags, rc);
		mdb_env_close(env);
		return rc;
	}
	*envp = env;
	return 0;
}

int tool_db_open(MDB_txn *txn, const char *envpath, const char *name,
                 unsigned int flags, MDB_dbi *dbi)
{
	int rc = mdb_dbi_open(txn, name, flags, dbi);
	if (rc == 0)
		return 0;
	if (!name) {
		tool_error("%s: cannot open the main database: %s", envpath, tool_strerror(rc));
	} else if (rc == MDB_NOTFOUND) {
		tool_error("%s: no database named \"%s\"", envpath, name);
	} else if (rc == MDB_INCOMPATIBLE) {
		if (flags & ~(unsigned int)MDB_CREATE)
			tool_error("%s: database \"%s\" exists with different flags"
			           " (or is a record of the main database)", envpath, name);
		else
			tool_error("%s: \"%s\" is a record of the main database,"
			           " not a named database", envpath, name);
	} else if (rc == MDB_DBS_FULL) {
		tool_error("%s: cannot open database \"%s\": too many databases", envpath, name);
	} else {
		tool_error("%s: cannot open database \"%s\": %s", envpath, name,
		           tool_strerror(rc));
	}
	return rc;
}

int tool_each_subdb(MDB_txn *txn, MDB_dbi main_dbi, tool_subdb_fn *fn, void *ctx,
                    size_t *candidates)
{
	MDB_cursor *cur;
	MDB_val key, data;
	size_t seen = 0;
	char *name = NULL;
	size_t name_cap = 0;
	int rc = mdb_cursor_open(txn, main_dbi, &cur);
	if (rc)
		return rc;
	while ((rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT_NODUP)) == 0) {
		if (key.mv_size && memchr(key.mv_data, '\0', key.mv_size))
			continue;
		seen++;
		if (key.mv_size + 1 > name_cap) {
			char *bigger = realloc(name, key.mv_size + 1);
			if (!bigger) {
				rc = ENOMEM;
				break;
			}
			name = bigger;
			name_cap = key.mv_size + 1;
		}
		if (key.mv_size)
			memcpy(name, key.mv_data, key.mv_size);
		name[key.mv_size] = '\0';
		MDB_dbi dbi;
		if (mdb_dbi_open(txn, name, 0, &dbi) != 0)
			continue; /* a plain record, not a database */
		int cb_rc = fn(txn, name, dbi, ctx);
		mdb_dbi_close(mdb_txn_env(txn), dbi);
		if (cb_rc) {
			rc = cb_rc;
			goto out;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_cursor_close(cur);
	free(name);
	if (candidates)
		*candidates = seen;
	return rc;
}

/* ---- the dump format ------------------------------------------------------ */

const struct tool_dbflag tool_dbflags[] = {
	{ MDB_REVERSEKEY, "reversekey" },
	{ MDB_DUPSORT, "dupsort" },
	{ MDB_INTEGERKEY, "integerkey" },
	{ MDB_DUPFIXED, "dupfixed" },
	{ MDB_INTEGERDUP, "integerdup" },
	{ MDB_REVERSEDUP, "reversedup" },
	{ 0, NULL },
};

int tool_buf_reserve(struct tool_buf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	unsigned char *p = realloc(b->p, cap);
	if (!p)
		return ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}
