/*
 * lmdb.h - public C interface of this library, a drop-in reimplementation of
 * the Lightning Memory-Mapped Database (LMDB) 0.9 API and file format.
 *
 * Every type, constant and function declared here has the name, value and
 * binary layout of LMDB 0.9.33 on x86-64 Linux, so programs written and
 * compiled for upstream's header build and run against this library unchanged.
 * The text is our own.  One extension is declared (MDB_TRY_WRITE, see
 * "Transaction flags"); it uses a bit upstream leaves unused.
 *
 * Overview
 * --------
 * An environment (MDB_env) is one memory-mapped data file plus a lock file.
 * It holds the unnamed main database and, if mdb_env_set_maxdbs() allows,
 * named databases.  All access happens inside transactions (MDB_txn): any
 * number of read-only transactions, each with a stable snapshot, and at most
 * one write transaction at a time across all processes.  Readers never block
 * writers and writers never block readers.  Data returned by reads points
 * directly into the map and stays valid until the transaction ends or the
 * next write in it touches the page.
 */
#ifndef _LMDB_H_
#define _LMDB_H_

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** File permission bits used when files are created. */
#ifdef _MSC_VER
typedef int mdb_mode_t;
#else
typedef mode_t mdb_mode_t;
#endif

/** An operating-system file handle (a descriptor on POSIX systems). */
#ifdef _WIN32
typedef void *mdb_filehandle_t;
#else
typedef int mdb_filehandle_t;
#endif

/* ---- Version ---------------------------------------------------------- */

/** Major version of the API implemented. */
#define MDB_VERSION_MAJOR 0
/** Minor version of the API implemented. */
#define MDB_VERSION_MINOR 9
/** Patch level of the API implemented. */
#define MDB_VERSION_PATCH 33

/** Pack a version triple into one integer. */
#define MDB_VERINT(a, b, c) (((a) << 24) | ((b) << 16) | (c))

/** The packed version of this header. */
#define MDB_VERSION_FULL \
	MDB_VERINT(MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH)

/** Release date of the upstream version this header matches. */
#define MDB_VERSION_DATE "May 21, 2024"

/** Build a version string from its parts. */
#define MDB_VERSTR(a, b, c, d) "LMDB " #a "." #b "." #c ": (" d ")"

/** Expand the arguments, then build the version string. */
#define MDB_VERFOO(a, b, c, d) MDB_VERSTR(a, b, c, d)

/** The version string, for example "LMDB 0.9.33: (May 21, 2024)". */
#define MDB_VERSION_STRING \
	MDB_VERFOO(MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, MDB_VERSION_DATE)

/* ---- Opaque handles ---------------------------------------------------- */

/** An environment: one data file, its lock file and its memory map. */
typedef struct MDB_env MDB_env;

/** A transaction.  A write transaction may have one child at a time. */
typedef struct MDB_txn MDB_txn;

/** A handle naming one database of an environment. */
typedef unsigned int MDB_dbi;

/** A cursor over one database inside one transaction. */
typedef struct MDB_cursor MDB_cursor;

/**
 * A key or data item: a size and a pointer.
 *
 * Items returned by the library point into the memory map (or into a dirty
 * page of the current write transaction) and must not be modified.  Keys are
 * 1 to mdb_env_get_maxkeysize() bytes.  Data may be up to 0xffffffff bytes,
 * except in MDB_DUPSORT databases where it is limited like a key.
 */
typedef struct MDB_val {
	size_t mv_size; /**< size of the item in bytes */
	void *mv_data;  /**< address of the item */
} MDB_val;

/** A comparison function: negative, zero or positive like memcmp(). */
typedef int(MDB_cmp_func)(const MDB_val *a, const MDB_val *b);

/**
 * A relocation function for MDB_FIXEDMAP environments.  Accepted and stored
 * for compatibility; like upstream 0.9, the library never calls it.
 */
typedef void(MDB_rel_func)(MDB_val *item, void *oldptr, void *newptr, void *relctx);

/* ---- Environment flags (mdb_env_open, mdb_env_set_flags) -------------- */

/** Map the data file at a fixed address (kept for compatibility). */
#define MDB_FIXEDMAP 0x01
/** The path names the data file itself; the lock file is path + "-lock". */
#define MDB_NOSUBDIR 0x4000
/** Do not fsync after a commit. */
#define MDB_NOSYNC 0x10000
/** Open read-only; no writes are possible. */
#define MDB_RDONLY 0x20000
/** Flush data pages but not the meta page on commit. */
#define MDB_NOMETASYNC 0x40000
/** Write through a writable memory map instead of write() calls. */
#define MDB_WRITEMAP 0x80000
/** With MDB_WRITEMAP, flush asynchronously. */
#define MDB_MAPASYNC 0x100000
/** Reader slots belong to transactions rather than threads. */
#define MDB_NOTLS 0x200000
/** Do no locking at all; the caller serializes access. */
#define MDB_NOLOCK 0x400000
/** Disable read-ahead on the map. */
#define MDB_NORDAHEAD 0x800000
/** Do not zero unused parts of pages before writing them. */
#define MDB_NOMEMINIT 0x1000000

/* ---- Database flags (mdb_dbi_open) ------------------------------------- */

/** Compare keys from their last byte to their first. */
#define MDB_REVERSEKEY 0x02
/** Allow several sorted data items per key. */
#define MDB_DUPSORT 0x04
/** Keys are native unsigned int or size_t integers, all of one size. */
#define MDB_INTEGERKEY 0x08
/** With MDB_DUPSORT: all data items of the database have one size. */
#define MDB_DUPFIXED 0x10
/** With MDB_DUPSORT: data items are native unsigned int or size_t. */
#define MDB_INTEGERDUP 0x20
/** With MDB_DUPSORT: compare data items from last byte to first. */
#define MDB_REVERSEDUP 0x40
/** Create the named database if it does not exist. */
#define MDB_CREATE 0x40000

/* ---- Write flags (mdb_put, mdb_cursor_put, mdb_cursor_del) ------------- */

/** Fail with MDB_KEYEXIST if the key is present. */
#define MDB_NOOVERWRITE 0x10
/** With MDB_DUPSORT: fail with MDB_KEYEXIST if the pair is present; for
 * mdb_cursor_del, delete all data items of the current key. */
#define MDB_NODUPDATA 0x20
/** Replace the item at the cursor's current position. */
#define MDB_CURRENT 0x40
/** Reserve space for the data and return its address; the caller fills it
 * before the transaction ends. */
#define MDB_RESERVE 0x10000
/** The key is greater than every key present: append it. */
#define MDB_APPEND 0x20000
/** The data item is greater than every item of its key: append it. */
#define MDB_APPENDDUP 0x40000
/** With MDB_DUPFIXED: store several fixed-size items in one call. */
#define MDB_MULTIPLE 0x80000

/* ---- Copy flags (mdb_env_copy2, mdb_env_copyfd2) ----------------------- */

/** Omit free pages and renumber pages while copying. */
#define MDB_CP_COMPACT 0x01

/* ---- Transaction flags (mdb_txn_begin) --------------------------------- */

/**
 * Extension of this library, not in upstream LMDB.
 *
 * For a write transaction: if another thread or process holds the writer
 * lock, mdb_txn_begin() returns EBUSY at once instead of waiting for it.
 * Meant for callers that would rather skip a write than stall.  The bit is
 * one upstream LMDB 0.9 does not use; upstream ignores unknown bits in this
 * argument, so a program using the flag still runs there (it just waits).
 */
#define MDB_TRY_WRITE 0x02000000

/* ---- Cursor operations ------------------------------------------------- */

/** Operations of mdb_cursor_get(). */
typedef enum MDB_cursor_op {
	MDB_FIRST,          /**< first key/data item */
	MDB_FIRST_DUP,      /**< first data item of the current key (DUPSORT) */
	MDB_GET_BOTH,       /**< the given key/data pair (DUPSORT) */
	MDB_GET_BOTH_RANGE, /**< given key, first data item >= given data (DUPSORT) */
	MDB_GET_CURRENT,    /**< the item at the current position */
	MDB_GET_MULTIPLE,   /**< up to a page of items of the current key (DUPFIXED) */
	MDB_LAST,           /**< last key/data item */
	MDB_LAST_DUP,       /**< last data item of the current key (DUPSORT) */
	MDB_NEXT,           /**< next data item */
	MDB_NEXT_DUP,       /**< next data item of the current key (DUPSORT) */
	MDB_NEXT_MULTIPLE,  /**< next page of items of the current key (DUPFIXED) */
	MDB_NEXT_NODUP,     /**< first data item of the next key */
	MDB_PREV,           /**< previous data item */
	MDB_PREV_DUP,       /**< previous data item of the current key (DUPSORT) */
	MDB_PREV_NODUP,     /**< last data item of the previous key */
	MDB_SET,            /**< the given key */
	MDB_SET_KEY,        /**< the given key, returning key and data */
	MDB_SET_RANGE,      /**< first key >= the given key */
	MDB_PREV_MULTIPLE   /**< previous page of items of the current key (DUPFIXED) */
} MDB_cursor_op;

/* ---- Return codes ------------------------------------------------------ */
/* Library codes lie just below Berkeley DB's range (-30800..-30999).  Other
 * non-zero values are errno values from the operating system. */

/** Success. */
#define MDB_SUCCESS 0
/** The key (or key/data pair) is already present. */
#define MDB_KEYEXIST (-30799)
/** No matching key/data pair, or no more items. */
#define MDB_NOTFOUND (-30798)
/** A requested page was not found: the file is damaged. */
#define MDB_PAGE_NOTFOUND (-30797)
/** A page has unexpected content: the file is damaged. */
#define MDB_CORRUPTED (-30796)
/** An unrecoverable error; the environment must be closed. */
#define MDB_PANIC (-30795)
/** The file was written by an incompatible library version. */
#define MDB_VERSION_MISMATCH (-30794)
/** The file is not an LMDB data file. */
#define MDB_INVALID (-30793)
/** The map size is exhausted. */
#define MDB_MAP_FULL (-30792)
/** More named databases than mdb_env_set_maxdbs() allows. */
#define MDB_DBS_FULL (-30791)
/** All reader slots are in use. */
#define MDB_READERS_FULL (-30790)
/** Thread-local storage keys exhausted. */
#define MDB_TLS_FULL (-30789)
/** The transaction has too many dirty pages. */
#define MDB_TXN_FULL (-30788)
/** Cursor stack too deep: the file is damaged. */
#define MDB_CURSOR_FULL (-30787)
/** A page has no room left. */
#define MDB_PAGE_FULL (-30786)
/** Another process grew the map beyond this environment's map size. */
#define MDB_MAP_RESIZED (-30785)
/** The operation does not fit the database: wrong flags, a named database
 * opened as data, a changed DUPFIXED size, and similar. */
#define MDB_INCOMPATIBLE (-30784)
/** Invalid reuse of a reader slot. */
#define MDB_BAD_RSLOT (-30783)
/** The transaction must be aborted: it failed, or has a child. */
#define MDB_BAD_TXN (-30782)
/** Key or data size out of range, or a misused MDB_MULTIPLE. */
#define MDB_BAD_VALSIZE (-30781)
/** The database handle changed or is unknown. */
#define MDB_BAD_DBI (-30780)
/** The highest (least negative) library code. */
#define MDB_LAST_ERRCODE MDB_BAD_DBI

/* ---- Statistics -------------------------------------------------------- */

/** Statistics of one database (mdb_stat, mdb_env_stat). */
typedef struct MDB_stat {
	unsigned int ms_psize;    /**< page size in bytes */
	unsigned int ms_depth;    /**< height of the B+tree */
	size_t ms_branch_pages;   /**< interior pages */
	size_t ms_leaf_pages;     /**< leaf pages */
	size_t ms_overflow_pages; /**< overflow pages */
	size_t ms_entries;        /**< data items */
} MDB_stat;

/** Information about an environment (mdb_env_info). */
typedef struct MDB_envinfo {
	void *me_mapaddr;          /**< address of the map if MDB_FIXEDMAP, else NULL */
	size_t me_mapsize;         /**< size of the map in bytes */
	size_t me_last_pgno;       /**< highest page number in use */
	size_t me_last_txnid;      /**< id of the last committed transaction */
	unsigned int me_maxreaders;/**< reader slots in the lock file */
	unsigned int me_numreaders;/**< reader slots ever used */
} MDB_envinfo;

/* ---- Library ----------------------------------------------------------- */

/** Return the version string; store its parts where the pointers are non-NULL. */
char *mdb_version(int *major, int *minor, int *patch);

/** Describe a return code (library code or errno value). */
char *mdb_strerror(int err);

/* ---- Environment ------------------------------------------------------- */

/** Allocate an environment handle; configure it, then mdb_env_open() it. */
int mdb_env_create(MDB_env **env);

/**
 * Open an environment.  path is a directory holding data.mdb and lock.mdb,
 * or with MDB_NOSUBDIR the data file itself.  flags combine the environment
 * flags above; mode is used when files are created.  On failure the handle
 * must still be released with mdb_env_close().
 * Returns 0, MDB_VERSION_MISMATCH, MDB_INVALID, ENOENT, EACCES, EAGAIN, ...
 */
int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode);

/** Copy the environment to the directory path (consistent snapshot).  The
 * copy is synced before 0 is returned.  EDEADLK in a thread that holds the
 * write transaction (the copy would wait for it; MDB_CP_COMPACT does not). */
int mdb_env_copy(MDB_env *env, const char *path);

/** Copy the environment to an open file descriptor. */
int mdb_env_copyfd(MDB_env *env, mdb_filehandle_t fd);

/** mdb_env_copy() with flags (MDB_CP_COMPACT). */
int mdb_env_copy2(MDB_env *env, const char *path, unsigned int flags);

/** mdb_env_copyfd() with flags (MDB_CP_COMPACT). */
int mdb_env_copyfd2(MDB_env *env, mdb_filehandle_t fd, unsigned int flags);

/** Statistics of the main database. */
int mdb_env_stat(MDB_env *env, MDB_stat *stat);

/** Information about the environment. */
int mdb_env_info(MDB_env *env, MDB_envinfo *stat);

/** Flush the data file to disk; with force zero, only if not MDB_NOSYNC etc. */
int mdb_env_sync(MDB_env *env, int force);

/** Close the environment and release the handle.  Close every dbi and
 * cursor and end every transaction first. */
void mdb_env_close(MDB_env *env);

/** Set (onoff non-zero) or clear run-time changeable environment flags. */
int mdb_env_set_flags(MDB_env *env, unsigned int flags, int onoff);

/** Return the environment flags. */
int mdb_env_get_flags(MDB_env *env, unsigned int *flags);

/** Return the path given to mdb_env_open(). */
int mdb_env_get_path(MDB_env *env, const char **path);

/** Return the descriptor of the data file. */
int mdb_env_get_fd(MDB_env *env, mdb_filehandle_t *fd);

/**
 * Set the map size (default 1 MiB), a multiple of the OS page size.  May be
 * called on an open environment when no transaction is active; size 0 then
 * adopts the size currently recorded in the file.
 */
int mdb_env_set_mapsize(MDB_env *env, size_t size);

/** Set the number of reader slots (default 126); before mdb_env_open(). */
int mdb_env_set_maxreaders(MDB_env *env, unsigned int readers);

/** Return the number of reader slots. */
int mdb_env_get_maxreaders(MDB_env *env, unsigned int *readers);

/** Set the number of named databases (default 0); before mdb_env_open(). */
int mdb_env_set_maxdbs(MDB_env *env, MDB_dbi dbs);

/** Return the largest key size accepted (511). */
int mdb_env_get_maxkeysize(MDB_env *env);

/** Attach an application pointer to the environment. */
int mdb_env_set_userctx(MDB_env *env, void *ctx);

/** Return the application pointer. */
void *mdb_env_get_userctx(MDB_env *env);

/** An assertion callback. */
typedef void MDB_assert_func(MDB_env *env, const char *msg);

/** Install an assertion callback. */
int mdb_env_set_assert(MDB_env *env, MDB_assert_func *func);

/* ---- Transactions ------------------------------------------------------ */

/**
 * Begin a transaction.  parent is NULL or a write transaction that becomes
 * the parent of a nested one.  flags: MDB_RDONLY, MDB_NOSYNC, MDB_NOMETASYNC,
 * and this library's MDB_TRY_WRITE.
 * Returns 0, MDB_PANIC, MDB_MAP_RESIZED, MDB_READERS_FULL, ENOMEM, EBUSY
 * (MDB_TRY_WRITE only), EDEADLK (a write transaction begun in a thread that
 * already holds one on this environment, through any handle), EINVAL (a
 * write transaction in a fork child of the opener; a read transaction there
 * gets MDB_BAD_RSLOT), ...
 */
int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn);

/** The transaction's environment. */
MDB_env *mdb_txn_env(MDB_txn *txn);

/** The transaction's id: its snapshot for readers, the id it will commit
 * as for writers; 0 for a reset read transaction. */
size_t mdb_txn_id(MDB_txn *txn);

/** Commit the transaction and free the handle. */
int mdb_txn_commit(MDB_txn *txn);

/** Abandon the transaction and free the handle. */
void mdb_txn_abort(MDB_txn *txn);

/** Release a read-only transaction's snapshot, keeping the handle for
 * mdb_txn_renew(). */
void mdb_txn_reset(MDB_txn *txn);

/** Give a reset read-only transaction a new snapshot. */
int mdb_txn_renew(MDB_txn *txn);

/** Old names. */
#define mdb_open(txn, name, flags, dbi) mdb_dbi_open(txn, name, flags, dbi)
#define mdb_close(env, dbi) mdb_dbi_close(env, dbi)

/* ---- Databases --------------------------------------------------------- */

/**
 * Open a database: name NULL for the main database, else a named one (needs
 * mdb_env_set_maxdbs()).  flags: the database flags above.
 * Returns 0, MDB_NOTFOUND, MDB_DBS_FULL, MDB_INCOMPATIBLE, ...
 */
int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi);

/** Statistics of a database. */
int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat);

/** The flags of a database. */
int mdb_dbi_flags(MDB_txn *txn, MDB_dbi dbi, unsigned int *flags);

/** Release a database handle. */
void mdb_dbi_close(MDB_env *env, MDB_dbi dbi);

/** Empty a database (del 0) or delete it and close its handle (del 1). */
int mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);

/** Set the key order of a database; must be the same in every use. */
int mdb_set_compare(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp);

/** Set the data-item order of an MDB_DUPSORT database. */
int mdb_set_dupsort(MDB_txn *txn, MDB_dbi dbi, MDB_cmp_func *cmp);

/** Set a relocation function (stored, never called). */
int mdb_set_relfunc(MDB_txn *txn, MDB_dbi dbi, MDB_rel_func *rel);

/** Set the relocation function's context (stored, never used). */
int mdb_set_relctx(MDB_txn *txn, MDB_dbi dbi, void *ctx);

/* ---- Items ------------------------------------------------------------- */

/** Look up key; on success data points at the (first) data item. */
int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);

/** Store a key/data pair.  flags: MDB_NODUPDATA, MDB_NOOVERWRITE,
 * MDB_RESERVE, MDB_APPEND, MDB_APPENDDUP. */
int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags);

/** Delete key (all its data items), or with data non-NULL in an
 * MDB_DUPSORT database only that pair. */
int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);

/* ---- Cursors ----------------------------------------------------------- */

/** Open a cursor on a database. */
int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor);

/** Close a cursor. */
void mdb_cursor_close(MDB_cursor *cursor);

/** Bind a read-only transaction's cursor to a new read-only transaction. */
int mdb_cursor_renew(MDB_txn *txn, MDB_cursor *cursor);

/** The cursor's transaction. */
MDB_txn *mdb_cursor_txn(MDB_cursor *cursor);

/** The cursor's database. */
MDB_dbi mdb_cursor_dbi(MDB_cursor *cursor);

/** Position the cursor and return the key/data pair there. */
int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op);

/** Store a key/data pair through the cursor and leave the cursor on it.
 * flags: MDB_CURRENT, MDB_NODUPDATA, MDB_NOOVERWRITE, MDB_RESERVE,
 * MDB_APPEND, MDB_APPENDDUP, MDB_MULTIPLE. */
int mdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *data, unsigned int flags);

/** Delete the pair at the cursor; MDB_NODUPDATA deletes all items of the key. */
int mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);

/** Count the data items of the current key. */
int mdb_cursor_count(MDB_cursor *cursor, size_t *countp);

/** Compare two keys with the database's key order. */
int mdb_cmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b);

/** Compare two data items with the database's data order. */
int mdb_dcmp(MDB_txn *txn, MDB_dbi dbi, const MDB_val *a, const MDB_val *b);

/* ---- Reader table ------------------------------------------------------ */

/** A message callback: called with one line of text; negative stops. */
typedef int(MDB_msg_func)(const char *msg, void *ctx);

/** Describe the reader table through func, a line per slot in use. */
int mdb_reader_list(MDB_env *env, MDB_msg_func *func, void *ctx);

/** Clear slots of processes that no longer exist; dead gets the count. */
int mdb_reader_check(MDB_env *env, int *dead);

#ifdef __cplusplus
}
#endif
#endif /* _LMDB_H_ */
