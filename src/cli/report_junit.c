/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check and diff --format junit: a JUnit XML report, for Jenkins and
 * GitLab (their test report views read it). One testsuite; one testcase
 * per section of the locks (host, cpu, python...), which fails when the
 * profile refuses anything in it: its <failure> lists every finding that
 * fails, one a line, and its message counts them; warnings go to the
 * testcase's <system-out>. A section with nothing refused passes, so the
 * report shows what was compared, not only what drifted.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

/* The lock's sections, in the order a lock holds them (lock/read.c); others found in the findings follow. */
static const char *const sections[] = { "host",	  "cpu", "toolchain", "libraries", "python", "frameworks",
					"gpu",	  "env", "threads",   "data",	   "code" };

/* Text for XML, in an attribute or an element: the five entities, and no character XML 1.0 forbids. */
static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&apos;", out);
		else if (c < 0x20 && c != '\t' && c != '\n')
			fputc('?', out);
		else
			fputc(*s, out);
	}
}

static void finding_text(FILE *out, const el_verdict_finding *j)
{
	char *old_text = report_value_text(j->finding->old_value), *new_text = report_value_text(j->finding->new_value);

	xml_text(out, j->finding->path);
	fputs(": ", out);
	xml_text(out, old_text ? old_text : "?");
	fputs(" -> ", out);
	xml_text(out, new_text ? new_text : "?");
	fputc('\n', out);
	free(old_text);
	free(new_text);
}

/* The judged findings of section: how many fail, and how many are warnings that do not. */
static void count(const el_verdict_finding *judged, size_t n, const char *section, size_t *failed, size_t *warned)
{
	*failed = *warned = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(judged[i].finding->section, section) != 0 || judged[i].severity == EL_SEVERITY_IGNORE)
			continue;
		if (judged[i].fails)
			++*failed;
		else
			++*warned;
	}
}

static void testcase(FILE *out, const el_verdict_finding *judged, size_t n, const char *section)
{
	size_t failed, warned;

	count(judged, n, section, &failed, &warned);
	fputs("    <testcase classname=\"envlock.drift\" name=\"", out);
	xml_text(out, section);
	fputs("\">\n", out);
	if (failed) {
		fprintf(out, "      <failure type=\"drift\" message=\"%zu finding%s failed in ", failed, failed == 1 ? "" : "s");
		xml_text(out, section);
		fputs("\">", out);
		for (size_t i = 0; i < n; i++)
			if (judged[i].fails && strcmp(judged[i].finding->section, section) == 0)
				finding_text(out, &judged[i]);
		fputs("</failure>\n", out);
	}
	if (warned) {
		fputs("      <system-out>", out);
		for (size_t i = 0; i < n; i++)
			if (!judged[i].fails && judged[i].severity == EL_SEVERITY_WARN &&
			    strcmp(judged[i].finding->section, section) == 0)
				finding_text(out, &judged[i]);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

static bool listed(const char *section)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i], section) == 0)
			return true;
	return false;
}

int report_junit(FILE *out, const el_verdict *v, const el_lock *old_lock, const el_lock *new_lock,
		 const report_options *opts)
{
	size_t n, cases = 0, failures = 0, failed, warned;
	const el_verdict_finding *judged = el_verdict_findings(v, &n);
	const char *seen[64];
	size_t nseen = 0;

	/* The sections either lock has, then any other a finding names (each once). */
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (el_lock_has_section(old_lock, sections[i]) || el_lock_has_section(new_lock, sections[i]))
			seen[nseen++] = sections[i];
	for (size_t i = 0; i < n && nseen < sizeof(seen) / sizeof(seen[0]); i++) {
		bool known = listed(judged[i].finding->section);

		for (size_t k = 0; k < nseen && !known; k++)
			known = strcmp(seen[k], judged[i].finding->section) == 0;
		if (!known)
			seen[nseen++] = judged[i].finding->section;
	}
	for (size_t k = 0; k < nseen; k++) {
		count(judged, n, seen[k], &failed, &warned);
		cases++;
		failures += failed > 0;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", cases + (opts->unmet != NULL),
		failures + (opts->unmet != NULL));
	fputs("  <testsuite name=\"envlock: ", out);
	xml_text(out, opts->new_label ? opts->new_label : "B");
	fputs(" against ", out);
	xml_text(out, opts->old_label ? opts->old_label : "A");
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", cases + (opts->unmet != NULL),
		failures + (opts->unmet != NULL));
	for (size_t k = 0; k < nseen; k++)
		testcase(out, judged, n, seen[k]);
	if (opts->unmet) {
		fputs("    <testcase classname=\"envlock.profile\" name=\"requirements\">\n"
		      "      <failure type=\"requirement\" message=\"",
		      out);
		xml_text(out, opts->unmet);
		fputs("\"/>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
	return 0;
}
