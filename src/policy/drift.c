/* SPDX-License-Identifier: Apache-2.0 */
#include "envlock/profile.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lock/path.h"

/*
 * Drift rules: a pattern is a leaf path whose keys may hold '*' and '?',
 * or be "**" for any number of keys. It matches a leaf when it matches the
 * leaf's path or a path above it, so "cpu" covers every leaf of cpu.
 */

/*
 * '*' and '?' are the only wildcards: '[' and '\' (in a quoted key, such as
 * a data path) are escaped before fnmatch() sees them.
 */
static bool seg_match(const el__path_seg *pat, const el__path_seg *seg)
{
	size_t len = strlen(pat->text);
	char small[256], *glob, *o;
	bool hit;

	/* [*] is any index; a bare '*' any key or index. Decided before any allocation. */
	if (pat->index && !seg->index)
		return false;
	glob = len * 2 < sizeof(small) ? small : malloc(len * 2 + 1);
	if (!glob)
		return false;
	o = glob;
	for (const char *c = pat->text; *c; c++) {
		if (*c == '[' || *c == '\\')
			*o++ = '\\';
		*o++ = *c;
	}
	*o = '\0';
	hit = fnmatch(glob, seg->text, 0) == 0;
	if (glob != small)
		free(glob);
	return hit;
}

static bool match_from(const el__path_seg *pat, size_t np, const el__path_seg *path, size_t n)
{
	if (np == 0)
		return true; /* the pattern ran out: everything below matches */
	if (!pat->index && pat->text[0] == '*' && pat->text[1] == '*' && pat->text[2] == '\0') {
		for (size_t skip = 0; skip <= n; skip++)
			if (match_from(pat + 1, np - 1, path + skip, n - skip))
				return true;
		return false;
	}
	return n > 0 && seg_match(pat, path) && match_from(pat + 1, np - 1, path + 1, n - 1);
}

bool el_drift_pattern_match(const char *pattern, const char *path)
{
	el__path_seg *pat = NULL, *leaf = NULL;
	size_t np = 0, n = 0;
	bool hit = false;

	if (el__path_split(pattern, true, &pat, &np) == 0 && el__path_split(path, false, &leaf, &n) == 0)
		hit = match_from(pat, np, leaf, n);
	el__path_segs_free(pat, np);
	el__path_segs_free(leaf, n);
	return hit;
}

el_severity el_profile_severity(const el_profile *profile, const char *path)
{
	for (size_t i = profile->rule_count; i-- > 0;)
		if (el_drift_pattern_match(profile->rules[i].pattern, path))
			return profile->rules[i].severity;
	return EL_SEVERITY_REFUSE;
}
