/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_PROGRESS_H
#define EL_CLI_PROGRESS_H

#include <stdbool.h>

#include "envlock/envlock.h"

/*
 * One line of progress on stderr while data is hashed, rewritten in place:
 *
 *   envlock: hashing data/train: 3.2 GiB of 10.0 GiB (32%), 1204 of 5000 files, 412 MiB/s, 0:18 left
 *
 * Only where stderr is a terminal (and TERM is not "dumb"), not with
 * --quiet, and only for work worth watching (64 MiB or more to read):
 * small jobs finish before a line could be read. At most ten updates a
 * second; the line is cleared when the work is done.
 */
typedef struct cli_progress {
	bool on;       /* stderr is a terminal, not quieted */
	bool shown;    /* a line is on the screen */
	double start;  /* when the current path began (seconds, monotonic) */
	double last;   /* the last update */
	const char *path;
} cli_progress;

/* Set p up; quiet: --quiet was given. */
void cli_progress_init(cli_progress *p, bool quiet);

/* The callback for el_capture_options.progress and el_data_options.progress, with p as its data. */
void cli_progress_report(void *p, const el_data_progress *progress);

/* Clear a line still shown (the work failed, or ended between updates). */
void cli_progress_end(cli_progress *p);

/* el_capture(out, opts) with its data hashing shown as above (opts->progress set for it); its result. */
int cli_capture_shown(el_lock **out, el_capture_options *opts, bool quiet);

#endif
