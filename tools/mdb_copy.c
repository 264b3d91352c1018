/* mdb_copy: make a consistent backup of an LMDB environment, optionally
 * compacted, into an empty directory (or a file with -n) or to stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool_common.h"
#include "tool_progress.h"

struct options {
	const char *src;
	const char *dst;       /* NULL: standard output */
	unsigned int envflags; /* -n */
	unsigned int cpflags;  /* -c */
	int progress;          /* -P */
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
		else if (!strcmp(a, "-P"))
			o->progress = 1;
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

/* ---- progress ----------------------------------------------------------------
 * The library copies in one call, so progress is watched from outside: the
 * copy runs in a thread while this one follows the size of the target file,
 * or, for standard output, passes the copy on through a pipe and counts it.
 * Pages to write: all up to the last one; with -c, those not free. */

struct copy_job {
	MDB_env *env;
	const struct options *o;
	int fd;            /* copyfd target, or -1 for o->dst */
	int rc;
	atomic_int done;
};

static void *copy_thread(void *arg)
{
	struct copy_job *j = arg;
	if (j->fd >= 0) {
		j->rc = mdb_env_copyfd2(j->env, j->fd, j->o->cpflags);
		close(j->fd);
	} else {
		j->rc = mdb_env_copy2(j->env, j->o->dst, j->o->cpflags);
	}
	atomic_store(&j->done, 1);
	return NULL;
}

static uint64_t pages_to_copy(MDB_env *env, unsigned int cpflags, unsigned int *psize)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t total, free_pages = 0;
	if (mdb_env_info(env, &info) || mdb_env_stat(env, &st))
		return 0;
	*psize = st.ms_psize;
	total = (uint64_t)info.me_last_pgno + 1;
	if (!(cpflags & MDB_CP_COMPACT))
		return total;
	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
		return total;
	if (mdb_cursor_open(txn, 0, &cur) == 0) {
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
			size_t n = 0;
			if (v.mv_size >= sizeof n)
				memcpy(&n, v.mv_data, sizeof n);
			free_pages += n;
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return free_pages < total ? total - free_pages : total;
}

static int copy_with_progress(MDB_env *env, const struct options *o, struct tool_progress *p)
{
	struct copy_job job = { env, o, -1, 0, 0 };
	pthread_t th;
	unsigned int psize = 4096;
	int pfd[2] = { -1, -1 };
	uint64_t bytes = 0;
	tool_progress_set_total(p, pages_to_copy(env, o->cpflags, &psize));
	if (!o->dst) {
		if (pipe(pfd) != 0)
			return errno;
		job.fd = pfd[1];
	}
	if (pthread_create(&th, NULL, copy_thread, &job) != 0) {
		if (pfd[0] >= 0) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return EAGAIN;
	}
	if (!o->dst) {
		static char buf[1 << 20];
		int werr = 0;
		for (;;) {
			ssize_t n = read(pfd[0], buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			for (ssize_t off = 0; off < n && !werr;) {
				ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					werr = errno;
				else
					off += w;
			}
			if (werr)
				break; /* closing the pipe fails the copy's writes */
			bytes += (uint64_t)n;
			tool_progress_update(p, bytes / psize);
		}
		close(pfd[0]);
		pthread_join(th, NULL);
		if (!job.rc && werr)
			job.rc = werr;
	} else {
		char *file = NULL;
		if (asprintf(&file, "%s%s", o->dst, (o->envflags & MDB_NOSUBDIR) ? "" : "/data.mdb") < 0)
			file = NULL;
		while (!atomic_load(&job.done)) {
			struct stat st;
			usleep(100000);
			if (file && stat(file, &st) == 0)
				tool_progress_update(p, (uint64_t)st.st_size / psize);
		}
		pthread_join(th, NULL);
		free(file);
	}
	if (!job.rc) {
		p->done = p->total ? p->total : p->done;
		tool_progress_finish(p);
	}
	return job.rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct tool_progress progress;
	MDB_env *env;
	int rc = 0;

	/* The synopsis is LMDB 0.9's, byte for byte; the options of our own (-P, -j)
	 * are in the man page. */
	tool_init(argv[0], "[-V] [-c] [-n] srcpath [dstpath]");
	parse_options(argc, argv, &o);
	/* Let an interrupted or broken output fail the copy cleanly. */
	tool_catch_signals();

	rc = tool_env_open(&env, o.src, o.envflags | MDB_RDONLY, 0, 0600);
	if (rc)
		return EXIT_FAILURE;
	tool_progress_init(&progress, tool_prog(), o.progress, "pages", 0);
	if (progress.on)
		rc = copy_with_progress(env, &o, &progress);
	else if (o.dst)
		rc = mdb_env_copy2(env, o.dst, o.cpflags);
	else
		rc = mdb_env_copyfd2(env, STDOUT_FILENO, o.cpflags);
	if (rc && o.dst)
		tool_error("%s: cannot copy to %s: %s%s", o.src, o.dst, tool_strerror(rc),
		           rc == ENOENT && !(o.envflags & MDB_NOSUBDIR)
		               ? " (the target directory must exist)" : "");
	else if (rc)
		tool_error("%s: cannot copy to standard output: %s", o.src, tool_strerror(rc));
	mdb_env_close(env);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
