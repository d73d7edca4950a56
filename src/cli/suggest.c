/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Did you mean": the command or option nearest to a mistyped one, when it
 * is near enough to be a typo. Nearness is the edit distance counting a
 * swap of two neighbours as one edit ("chekc" is one from "check"), as
 * git and most shells' completions judge it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define WORD_MAX 64

/* Optimal string alignment distance of a and b (each at most WORD_MAX bytes). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[WORD_MAX + 1][WORD_MAX + 1];

	if (la > WORD_MAX || lb > WORD_MAX)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Near enough to be a typo: one edit in a short word, two in a longer one. */
static bool near(const char *typed, const char *name, size_t *best)
{
	size_t d = distance(typed, name), allowed = strlen(name) <= 4 ? 1 : 2;

	if (d == 0 || d > allowed || d >= *best)
		return false;
	*best = d;
	return true;
}

const char *cli_closest(const char *typed, const char *const *names, size_t count)
{
	const char *closest = NULL;
	size_t best = (size_t)-1;

	for (size_t i = 0; i < count; i++)
		if (near(typed, names[i], &best))
			closest = names[i];
	return closest;
}

/*
 * getopt_long takes an unambiguous prefix of a long option and refuses
 * one that several share: say which ("--s": --save-capture, --strict).
 */
static bool ambiguous(const char *typed, const struct option *longopts, char *message, size_t size, const char *bad)
{
	size_t len = strlen(typed), used, matches = 0;

	if (!len)
		return false;
	used = (size_t)snprintf(message, size, "ambiguous option '%.512s' (", bad);
	for (const struct option *o = longopts; o && o->name && used < size; o++) {
		if (strncmp(o->name, typed, len) != 0)
			continue;
		used += (size_t)snprintf(message + used, size - used, "%s--%s", matches ? ", " : "", o->name);
		matches++;
	}
	if (matches < 2 || used >= size - 2)
		return false;
	snprintf(message + used, size - used, ")");
	return true;
}

const char *cli_unknown_option(char **argv, const struct option *longopts)
{
	static char message[1024];
	const char *bad = cli_bad_option(argv), *closest = NULL;
	char typed[WORD_MAX + 1] = "";
	size_t best = (size_t)-1, n;

	/* A long option, without its "=VALUE", against every long option the command takes. */
	if (strncmp(bad, "--", 2) == 0 && (n = strcspn(bad + 2, "=")) <= WORD_MAX) {
		memcpy(typed, bad + 2, n);
		typed[n] = '\0';
		for (const struct option *o = longopts; o && o->name; o++)
			if (near(typed, o->name, &best))
				closest = o->name;
	}
	if (strncmp(bad, "--", 2) == 0 && ambiguous(typed, longopts, message, sizeof(message), bad))
		return message;
	if (closest)
		snprintf(message, sizeof(message), "unknown option '%.512s'; did you mean '--%s'?", bad, closest);
	else
		snprintf(message, sizeof(message), "unknown option '%.512s'", bad);
	return message;
}
