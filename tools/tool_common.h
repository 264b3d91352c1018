/* Helpers shared by the mdb_* command-line tools.
 *
 * Every tool follows the same pattern: parse options with getopt(3), open an
 * environment, open one database or walk all named databases, do its work,
 * and exit with EXIT_SUCCESS or EXIT_FAILURE.  The pieces of that pattern
 * that are identical between tools live here; everything in this file uses
 * only the public API of lmdb.h.
 */
#ifndef LMDB_TOOL_COMMON_H
#define LMDB_TOOL_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "lmdb.h"

#if defined(__GNUC__)
#define TOOL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TOOL_PRINTF(f, a)
#endif

/* ---- program identity, usage, diagnostics ------------------------------ */

/* Remember argv[0] (used as the message prefix, as upstream does) and the
 * option synopsis printed by tool_usage(). */
void tool_init(const char *argv0, const char *synopsis);

/* The program name given to tool_init(). */
const char *tool_prog(void);

/* "usage: <prog> <synopsis>" on stderr, then exit(EXIT_FAILURE). */
_Noreturn void tool_usage(void);

/* Print the version string of the API we were built against and exit(0),
 * which is what -V does in every tool. */
_Noreturn void tool_version(void);

/* mdb_strerror() that never returns NULL. */
const char *tool_strerror(int rc);

/* "<prog>: <formatted message>\n" on stderr. */
void tool_error(const char *fmt, ...) TOOL_PRINTF(1, 2);

/* Catch SIGPIPE, SIGHUP, SIGINT and SIGTERM so that the tool can finish
 * (close its transaction and environment) instead of dying on the spot.
 * tool_interrupted() tells whether one of them arrived. */
void tool_catch_signals(void);
int tool_interrupted(void);

/* Flush stdout and report a write error (e.g. disk full, closed pipe).
 * Returns 0 when everything written so far reached its destination. */
int tool_flush_stdout(const char *what);

/* A growable byte buffer: p holds cap bytes, size of them in use. */
struct tool_buf {
	unsigned char *p;
	size_t size;
	size_t cap;
};
/* Make room for `need` bytes; 0, or ENOMEM (the buffer is unchanged). */
int tool_buf_reserve(struct tool_buf *b, size_t need);

/* ---- environments and databases ---------------------------------------- */

/* Create and open an environment, reporting any failure with the path and
 * the reason.  maxdbs == 0 leaves the library default.  On failure *envp is
 * NULL and the error code is returned. */
int tool_env_open(MDB_env **envp, const char *path, unsigned int flags,
                  MDB_dbi maxdbs, mdb_mode_t mode);

/* Report that mdb_env_open(path, flags) failed with rc. */
void tool_env_open_error(const char *path, unsigned int flags, int rc);

/* Open a database (name NULL = the main database) and report a failure in
 * words: a missing name, a key that is not a database, incompatible flags. */
int tool_db_open(MDB_txn *txn, const char *envpath, const char *name,
                 unsigned int flags, MDB_dbi *dbi);

/* The named databases of an environment are the keys of its main database
 * that can be opened as databases.  tool_each_subdb() opens each of them in
 * key order (keys containing a NUL byte cannot be names and are skipped,
 * keys that are plain records are skipped too), calls fn, and closes the
 * handle again.  *candidates (may be NULL) receives the number of keys
 * without a NUL byte.  Stops at the first nonzero return of fn and returns
 * it; returns 0 after a complete walk, or a cursor error. */
typedef int tool_subdb_fn(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx);
int tool_each_subdb(MDB_txn *txn, MDB_dbi main_dbi, tool_subdb_fn *fn, void *ctx,
                    size_t *candidates);

/* ---- the dump format ---------------------------------------------------- */

/* Database flags that travel in the header of a dump as "<name>=1". */
struct tool_dbflag {
	unsigned int bit;
	const char *name;
};
/* Terminated by an entry with bit == 0; in the order mdb_dump prints them. */
extern const struct tool_dbflag tool_dbflags[];

#endif
