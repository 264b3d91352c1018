/* mdb_copy: make a consistent backup of an LMDB environment, optionally
 * compacted, into an empty directory (or a file with -n) or to stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_common.h"

struct options {
	const char *src;
	const char *dst;       /* NULL: standard output */
	unsigned int envflags; /* -n */
	unsigned int cpflags;  /* -c */
};

/* Options come first and each stands alone ("-c -n", not "-cn"), as in
 * LMDB 0.9; anything else starting with '-' is a usage error. */
static void parse_options(int argc, char **argv, struct options *o)
{
	int i = 1;
	memset(o, 0, sizeof *o);
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-n"))
			o->envflags |= MDB_NOSUBDIR;
		else if (!strcmp(a, "-c"))
			o->cpflags |= MDB_CP_COMPACT;
		else if (!strcmp(a, "-V"))
			tool_version();
		else
			tool_usage();
	}
	if (argc - i < 1 || argc - i > 2)
		tool_usage();
	o->src = argv[i];
	o->dst = argc - i == 2 ? argv[i + 1] : NULL;
}

int main(int argc, char **argv)
{
	struct options o;
	MDB_env *env;
	int rc;

	tool_init(argv[0], "[-V] [-c] [-n] srcpath [dstpath]");
	parse_options(argc, argv, &o);
	/* Let an interrupted or broken output fail the copy cleanly. */
	tool_catch_signals();

	rc = tool_env_open(&env, o.src, o.envflags | MDB_RDONLY, 0, 0600);
	if (rc)
		return EXIT_FAILURE;
	if (o.dst) {
		rc = mdb_env_copy2(env, o.dst, o.cpflags);
		if (rc)
			tool_error("%s: cannot copy to %s: %s%s", o.src, o.dst, tool_strerror(rc),
			           rc == ENOENT && !(o.envflags & MDB_NOSUBDIR)
			               ? " (the target directory must exist)" : "");
	} else {
		rc = mdb_env_copyfd2(env, STDOUT_FILENO, o.cpflags);
		if (rc)
			tool_error("%s: cannot copy to standard output: %s", o.src,
			           tool_strerror(rc));
	}
	mdb_env_close(env);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
