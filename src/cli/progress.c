/* SPDX-License-Identifier: Apache-2.0 */
/* Progress on a terminal while data is hashed (progress.h). */
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Less to read than this is over before a line could be read. */
#define WORTH_SHOWING (64ull << 20)
#define UPDATE_EVERY 0.1

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, bool quiet)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

/* "412.0 KiB", "3.2 GiB": one decimal, binary units. */
static void size_text(char *out, size_t size, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

void cli_progress_report(void *data, const el_data_progress *progress)
{
	cli_progress *p = data;
	char done[32], total[32], rate[32], left[32] = "", shown[256];
	double t = now(), elapsed, speed;

	if (!p->on || progress->bytes_total < WORTH_SHOWING)
		return;
	if (p->path != progress->path) {
		p->path = progress->path;
		p->start = t;
		p->last = 0;
	}
	if (progress->files_done == progress->files_total) {
		cli_progress_end(p);
		return;
	}
	if (p->shown && t - p->last < UPDATE_EVERY)
		return;
	p->last = t;
	elapsed = t - p->start;
	speed = elapsed > 0 ? (double)progress->bytes_done / elapsed : 0;
	size_text(done, sizeof(done), (double)progress->bytes_done);
	size_text(total, sizeof(total), (double)progress->bytes_total);
	size_text(rate, sizeof(rate), speed);
	if (speed > 0 && progress->bytes_done > 0) {
		long secs = (long)((double)(progress->bytes_total - progress->bytes_done) / speed + 0.5);

		snprintf(left, sizeof(left), ", %ld:%02ld left", secs / 60, secs % 60);
	}
	/* \r and erase-to-end: the line is written over in place. */
	/* The path may come from a lock: no control character reaches the terminal. */
	snprintf(shown, sizeof(shown), "%s", progress->path);
	for (char *c = shown; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "\r\033[Kenvlock: %s %s: %s of %s (%d%%), %zu of %zu files, %s/s%s",
		progress->doing ? progress->doing : "hashing", shown, done,
		total, (int)(100.0 * (double)progress->bytes_done / (double)progress->bytes_total),
		progress->files_done, progress->files_total, rate, left);
	fflush(stderr);
	p->shown = true;
}

void cli_progress_end(cli_progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
}

int cli_capture_shown(el_lock **out, el_capture_options *opts, bool quiet)
{
	cli_progress progress;
	int rc;

	cli_progress_init(&progress, quiet);
	opts->progress = cli_progress_report;
	opts->progress_data = &progress;
	rc = el_capture(out, opts);
	cli_progress_end(&progress);
	opts->progress = NULL;
	opts->progress_data = NULL;
	return rc;
}
