/* Progress reports on standard error: see tool_progress.h. */
#define _GNU_SOURCE
#include "tool_progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tool_progress_init(struct tool_progress *p, const char *prog, int forced,
                        const char *unit, uint64_t total)
{
	p->tty = isatty(STDERR_FILENO);
	p->on = forced || p->tty;
	p->prog = prog;
	p->unit = unit;
	p->total = total;
	p->done = 0;
	p->next_check = 1;
	p->start = now();
	p->last = p->start;
	p->shown = 0;
}

void tool_progress_set_total(struct tool_progress *p, uint64_t total)
{
	p->total = total;
}

double tool_progress_elapsed(const struct tool_progress *p)
{
	return now() - p->start;
}

static void hms(char *buf, size_t len, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%02lu:%02lu", t / 60, t % 60);
}

static void report(struct tool_progress *p, double t, int final)
{
	char line[256], left[32];
	double elapsed = t - p->start;
	double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	int n;
	if (p->total)
		n = snprintf(line, sizeof line, "%s: %llu/%llu %s (%.0f%%)", p->prog,
		             (unsigned long long)p->done, (unsigned long long)p->total, p->unit,
		             p->done >= p->total ? 100.0 : 100.0 * (double)p->done / (double)p->total);
	else
		n = snprintf(line, sizeof line, "%s: %llu %s", p->prog,
		             (unsigned long long)p->done, p->unit);
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	if (rate > 0)
		n += snprintf(line + n, sizeof line - (size_t)n, ", %.0f %s/s", rate, p->unit);
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	if (final) {
		hms(left, sizeof left, elapsed);
		snprintf(line + n, sizeof line - (size_t)n, ", done in %s (%.2f s)", left, elapsed);
	} else if (p->total && rate > 0 && p->done < p->total) {
		hms(left, sizeof left, (double)(p->total - p->done) / rate);
		snprintf(line + n, sizeof line - (size_t)n, ", %s left", left);
	}
	if (p->tty)
		fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
	p->shown = 1;
	p->last = t;
}

void tool_progress_update(struct tool_progress *p, uint64_t done)
{
	double t;
	p->done = done;
	if (!p->on || done < p->next_check)
		return;
	/* Read the clock about every 1/20 s worth of items. */
	t = now();
	{
		double elapsed = t - p->start;
		double rate = elapsed > 0 ? (double)done / elapsed : 0;
		uint64_t step = rate > 0 ? (uint64_t)(rate / 20) : 64;
		p->next_check = done + (step ? step : 1);
	}
	if (t - p->last >= (p->tty ? 0.25 : 1.0))
		report(p, t, 0);
}

void tool_progress_finish(struct tool_progress *p)
{
	if (!p->on)
		return;
	report(p, now(), 1);
}
