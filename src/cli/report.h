/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_REPORT_H
#define EL_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "envlock/envlock.h"

/* How check and diff print what they found. */
typedef enum report_format {
	REPORT_TEXT,   /* grouped by section, for people */
	REPORT_JSON,   /* one object, for programs */
	REPORT_GITHUB, /* ::error and ::warning workflow commands */
	REPORT_JUNIT,  /* JUnit XML, a testcase per section */
} report_format;

typedef struct report_options {
	report_format format;
	bool color;     /* text: ANSI colours */
	bool unicode;   /* text: "→" rather than "->" */
	const char *old_label; /* "env.lock", or the first file of diff */
	const char *new_label; /* "this machine", or the second file */
	const char *hint;      /* text: what to do about refused drift, or NULL */
	const char *annotate_file; /* github: the file the annotations point at, or NULL */
	const char *unmet; /* a requirement of the profile the run does not meet (fails), or NULL */
} report_options;

/*
 * Parse a --format value; false for an unknown one.
 */
bool report_parse_format(const char *name, report_format *out);

/*
 * "envlock: note: LABEL: a schema-N lock: cpu.topology, which a later
 * schema added, is not compared; re-lock to compare it" on stderr when the
 * comparison left something out for the older side (el_diff.not_compared);
 * the label is old_label's or new_label's, whichever lock is older.
 */
void report_not_compared(const el_diff *diff, const char *old_label, const char *new_label);

/*
 * Print the verdict to out, between old_lock and new_lock (to tell a
 * section that one side lacks). It only shows what the verdict decided:
 * the caller takes the exit status from el_verdict_outcome() (and unmet).
 * 0, or -1 when the report could not be made or written (said on stderr).
 */
int report_drift(FILE *out, const el_verdict *verdict, const el_lock *old_lock, const el_lock *new_lock,
		 const report_options *opts);

/* --format github (report_github.c): annotations grouped by section, and $GITHUB_STEP_SUMMARY. */
int report_github(FILE *out, const el_verdict *verdict, const report_options *opts);

/* s in a workflow command: data escapes %, CR and LF; a property (title=, file=) also ':' and ','. */
void report_github_escaped(FILE *out, const char *s, bool property);

/* --format junit (report_junit.c). */
int report_junit(FILE *out, const el_verdict *verdict, const el_lock *old_lock, const el_lock *new_lock,
		 const report_options *opts);

/* A finding's value as one printable line, "(absent)" for none; malloc'd (NULL when out of memory). */
char *report_value_text(const char *json);

/* "added", "removed" or "changed". */
const char *report_data_change_name(el_data_change_kind kind);

/* Whether colour suits fd: a terminal, NO_COLOR unset or empty, TERM not "dumb". */
bool report_color_auto(int fd);

/* Whether the locale's character set is UTF-8 (after setlocale(LC_CTYPE, "")). */
bool report_unicode_auto(void);

#endif
