/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drift verdict: every finding's severity under the profile, and what
 * they add up to. check, diff, exec and replay all decide from this, so
 * that "does this drift refuse?" has one answer.
 */
#include "policy/verdict_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int el_drift_verdict(el_verdict **out, const el_diff *diff, const el_profile *profile, unsigned flags)
{
	el_verdict *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!v || !(v->findings = calloc(diff->count ? diff->count : 1, sizeof(*v->findings))) ||
	    !(v->profile = strdup(profile->name))) {
		el_verdict_free(v);
		return el__error_oom();
	}
	v->count = diff->count;
	v->flags = flags;
	for (size_t i = 0; i < diff->count; i++) {
		el_verdict_finding *f = &v->findings[i];

		f->finding = &diff->findings[i];
		f->severity = el_profile_severity(profile, f->finding->path);
		f->fails = f->severity == EL_SEVERITY_REFUSE || ((flags & EL_VERDICT_STRICT) && f->severity == EL_SEVERITY_WARN);
		v->counts[f->severity]++;
		if (f->fails)
			v->outcome = EL_OUTCOME_REFUSE;
		else if (f->severity == EL_SEVERITY_WARN && v->outcome == EL_OUTCOME_CLEAN)
			v->outcome = EL_OUTCOME_WARN;
	}
	*out = v;
	return EL_OK;
}

el_outcome el_verdict_outcome(const el_verdict *verdict)
{
	return verdict->outcome;
}

const el_verdict_finding *el_verdict_findings(const el_verdict *verdict, size_t *count)
{
	*count = verdict->count;
	return verdict->findings;
}

size_t el_verdict_count(const el_verdict *verdict, el_severity severity)
{
	return (unsigned)severity < 3 ? verdict->counts[severity] : 0;
}

bool el_verdict_strict(const el_verdict *verdict)
{
	return verdict->flags & EL_VERDICT_STRICT;
}

const char *el_verdict_profile(const el_verdict *verdict)
{
	return verdict->profile;
}

void el_verdict_free(el_verdict *verdict)
{
	if (!verdict)
		return;
	el__verdict_forget_files(verdict);
	free(verdict->findings);
	free(verdict->profile);
	free(verdict);
}
