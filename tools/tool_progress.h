/* Progress reports of the long-running tools (mdb_dump, mdb_load, mdb_copy,
 * mdb_chk) on standard error.
 *
 * Shown when standard error is a terminal (one line, redrawn in place), or
 * always when the tool was given -P (then, when stderr is not a terminal, one
 * line per report, at most about one a second, and a last line at the end).
 * Standard output is never touched.  A report reads
 *     mdb_dump: 120000/500000 records (24%), 81234 records/s, 00:04 left
 * with "of N"/percent/time left only when the total is known.
 */
#ifndef LMDB_TOOL_PROGRESS_H
#define LMDB_TOOL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tool_progress {
	int on;            /* reports are printed */
	int tty;           /* stderr is a terminal: redraw one line */
	const char *prog;  /* message prefix */
	const char *unit;  /* "records", "pages", "bytes" */
	uint64_t total;    /* 0: unknown */
	uint64_t done;
	uint64_t next_check; /* done value at which the clock is read again */
	double start;      /* seconds, CLOCK_MONOTONIC */
	double last;       /* time of the last report */
	int shown;         /* something has been printed */
};

/* forced: -P was given.  total 0 = unknown (can be set later). */
void tool_progress_init(struct tool_progress *p, const char *prog, int forced,
                        const char *unit, uint64_t total);
void tool_progress_set_total(struct tool_progress *p, uint64_t total);
/* Cheap to call for every item: the clock is read only now and then. */
void tool_progress_update(struct tool_progress *p, uint64_t done);
/* Final report (with the elapsed time) and end of the line. */
void tool_progress_finish(struct tool_progress *p);
/* Seconds since init. */
double tool_progress_elapsed(const struct tool_progress *p);

#ifdef __cplusplus
}
#endif

#endif
