/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_VERDICT_H
#define ENVLOCK_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/api.h"
#include "envlock/data.h"
#include "envlock/diff.h"
#include "envlock/profile.h"

/*
 * The drift verdict: a diff judged under a profile. Whether drift refuses
 * a run is decided here, once, for every command (check, diff, exec,
 * replay); a report only shows the verdict it is given.
 *
 * A verdict borrows the diff it judged: free the verdict first.
 */
typedef struct el_verdict el_verdict;

/* What the findings add up to. */
typedef enum el_outcome {
	EL_OUTCOME_CLEAN,  /* no finding at warn or refuse (ignored ones allowed) */
	EL_OUTCOME_WARN,   /* warnings, none of which fails */
	EL_OUTCOME_REFUSE, /* a finding fails: refused drift, or a warning under EL_VERDICT_STRICT */
} el_outcome;

/* Flags of el_drift_verdict(). */
#define EL_VERDICT_STRICT 0x1u /* a warning fails as a refusal does (check --strict) */

/* One finding as judged. */
typedef struct el_verdict_finding {
	const el_finding *finding;   /* the diff's */
	el_severity severity;        /* the profile's last matching rule; refuse where none matches */
	bool fails;                  /* refuse, or warn under EL_VERDICT_STRICT */
	/*
	 * A data finding's changed files, in path order, once
	 * el_verdict_explain_data() found both trees (then never NULL, even
	 * when no file changed); else NULL and 0. Owned by the verdict.
	 */
	const el_data_change *files;
	size_t file_count;
} el_verdict_finding;

/*
 * Judge every finding of diff by the severity profile gives its path
 * (el_profile_severity()). flags: 0 or EL_VERDICT_STRICT. On success *out
 * is a new verdict for el_verdict_free(); it keeps a copy of the profile's
 * name but points into diff.
 */
EL_API int el_drift_verdict(el_verdict **out, const el_diff *diff, const el_profile *profile, unsigned flags);

EL_API el_outcome el_verdict_outcome(const el_verdict *verdict);

/* The judged findings, one per finding of the diff and in its order; *count of them. Borrowed. */
EL_API const el_verdict_finding *el_verdict_findings(const el_verdict *verdict, size_t *count);

/* How many findings have severity. */
EL_API size_t el_verdict_count(const el_verdict *verdict, el_severity severity);

/* Whether the verdict was made with EL_VERDICT_STRICT. */
EL_API bool el_verdict_strict(const el_verdict *verdict);

/* The name of the profile that judged ("default", or the path it was given as). Borrowed. */
EL_API const char *el_verdict_profile(const el_verdict *verdict);

/*
 * Name the files behind each data finding whose old and new addresses are
 * both directory manifests in the store under cache_dir (as in
 * el_capture_options; NULL: the default): the capture just stored the new
 * one, and the old one is there when this machine captured or checked it
 * before. A finding whose manifests are not stored keeps no files; that is
 * not an error. Fails only when out of memory, and then no finding has
 * files.
 */
EL_API int el_verdict_explain_data(el_verdict *verdict, const char *cache_dir);

/*
 * The verdict as check and diff print it with --format json: one object
 * (drift, old, new, profile, strict, counts, findings: path, section,
 * change, severity, old, new and, for a data finding with files, files:
 * change, path; unmet when given), two-space indent, ASCII only, and a
 * newline. old_label and new_label name the two sides ("env.lock", "this
 * machine"); unmet is a requirement of the profile the run does not meet
 * (el_profile_unmet()), or NULL: with one, "drift" is true whatever the
 * findings. *out is NUL-terminated, for free(); *len (may be NULL)
 * excludes the NUL.
 */
EL_API int el_verdict_json(char **out, size_t *len, const el_verdict *verdict, const char *old_label,
			   const char *new_label, const char *unmet);

EL_API void el_verdict_free(el_verdict *verdict);

#endif
