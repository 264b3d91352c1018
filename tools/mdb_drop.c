/* mdb_drop: empty a database of an LMDB environment, or delete it (-d). */
#define _GNU_SOURCE /* getopt() permutes arguments, as in LMDB's tools */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_common.h"

struct options {
	const char *envpath;
	const char *subdb;     /* -s */
	int del;               /* -d */
	unsigned int envflags; /* -n */
};

/* The names of the named databases, collected before any of them goes away
 * (deleting while walking the main database would move the walk). */
struct names {
	char **v;
	size_t n, cap;
};

static int collect_name(MDB_txn *txn, const char *name, MDB_dbi dbi, void *ctx)
{
	struct names *ns = ctx;
	(void)txn;
	(void)dbi;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof *v);
		if (!v)
			return ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	if (!(ns->v[ns->n] = strdup(name)))
		return ENOMEM;
	ns->n++;
	return 0;
}

/* Delete one named database in a nested transaction, so that a failure
 * (a damaged database) leaves the main transaction usable.  Returns 0, or
 * the error after reporting it. */
static int delete_one(MDB_txn *txn, const char *envpath, const char *name)
{
	MDB_txn *child;
	MDB_dbi dbi;
	int rc = mdb_txn_begin(mdb_txn_env(txn), txn, 0, &child);
	if (rc) {
		tool_error("%s: cannot begin a nested transaction: %s", envpath, tool_strerror(rc));
		return rc;
	}
	rc = mdb_dbi_open(child, name, 0, &dbi);
	if (!rc)
		rc = mdb_drop(child, dbi, 1); /* also closes the handle */
	if (!rc)
		rc = mdb_txn_commit(child);
	else
		mdb_txn_abort(child);
	if (rc)
		tool_error("%s: cannot delete database \"%s\": %s; emptying the main database"
		           " all the same, its pages stay lost (as with LMDB's mdb_drop)",
		           envpath, name, tool_strerror(rc));
	return rc;
}

/* Emptying the main database removes the records of the named databases
 * too.  Delete those databases properly first, so that their pages return
 * to the freelist instead of being lost to the environment.  A database
 * that cannot be deleted (damaged) is left to go with the main database,
 * as LMDB's mdb_drop does with all of them: a warning, no failure. */
static int drop_named_databases(MDB_txn *txn, MDB_dbi main_dbi, const char *envpath)
{
	struct names ns = { NULL, 0, 0 };
	int rc = tool_each_subdb(txn, main_dbi, collect_name, &ns, NULL);
	if (rc)
		tool_error("%s: cannot list the named databases: %s", envpath,
		           tool_strerror(rc));
	for (size_t i = 0; i < ns.n && !rc; i++)
		if (delete_one(txn, envpath, ns.v[i]) == ENOMEM)
			rc = ENOMEM;
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	return rc;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;
	memset(o, 0, sizeof *o);
	if (argc < 2)
		tool_usage();
	while ((c = getopt(argc, argv, "dns:V")) != -1) {
		switch (c) {
		case 'V':
			tool_version();
		case 'd':
			o->del = 1;
			break;
		case 'n':
			o->envflags |= MDB_NOSUBDIR;
			break;
		case 's':
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
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc = tool_env_open(&env, o->envpath, o->envflags, 2, 0664);
	if (rc)
		return rc;
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc) {
		tool_error("%s: cannot begin a write transaction: %s", o->envpath,
		           tool_strerror(rc));
		mdb_env_close(env);
		return rc;
	}
	rc = tool_db_open(txn, o->envpath, o->subdb, 0, &dbi);
	if (!rc && !o->subdb)
		rc = drop_named_databases(txn, dbi, o->envpath);
	if (!rc) {
		/* The main database can only be emptied, never deleted. */
		rc = mdb_drop(txn, dbi, o->del && o->subdb);
		if (rc)
			tool_error("%s: cannot %s %s%s%s: %s", o->envpath,
			           o->del && o->subdb ? "delete" : "empty",
			           o->subdb ? "database \"" : "the main database",
			           o->subdb ? o->subdb : "", o->subdb ? "\"" : "", tool_strerror(rc));
	}
	if (rc) {
		mdb_txn_abort(txn);
	} else {
		rc = mdb_txn_commit(txn);
		if (rc)
			tool_error("%s: cannot commit: %s", o->envpath, tool_strerror(rc));
	}
	mdb_env_close(env);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	tool_init(argv[0], "[-V] [-n] [-d] [-s subdb] dbpath");
	parse_options(argc, argv, &o);
	tool_catch_signals();
	return run(&o) ? EXIT_FAILURE : EXIT_SUCCESS;
}
