/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check and diff --format github: GitHub Actions workflow commands. GitHub
 * shows about ten annotations per step, so the findings are grouped: one
 * annotation per section (an ::error when anything in it fails, else a
 * ::warning), its counts in the title, its first findings in the message,
 * and line= at the lock's line for the first one. With
 * $GITHUB_STEP_SUMMARY set, a Markdown table of every section goes there
 * too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report.h"

/* The findings an annotation lists before "... and N more". */
#define FINDINGS_SHOWN 5
/* The files of a data finding it lists. */
#define FILES_SHOWN 3

void report_github_escaped(FILE *out, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (property && *s == ':')
			fputs("%3A", out);
		else if (property && *s == ',')
			fputs("%2C", out);
		else
			fputc(*s, out);
	}
}

/* One section's findings: judged[first .. first + count), those not ignored. */
typedef struct group {
	const char *section;
	size_t first, count;
	size_t failed, warned, shown;
} group;

/*
 * The line of the lock that holds path ("python.packages.numpy",
 * 'libraries["libc.so.6"].version', "gpu.devices[0].name"): each name of
 * the path found as a member ("name":) after the one before it. 0 when the
 * lock cannot be read or a name is not found: no line= then.
 */
static unsigned line_of(const char *text, const char *path)
{
	const char *at = text, *p = path;
	char key[256];

	if (!text)
		return 0;
	while (*p) {
		size_t n = 0;

		if (*p == '[' && p[1] == '"') {
			for (p += 2; *p && *p != '"' && n < sizeof(key) - 1; p++)
				key[n++] = *p;
			p += *p == '"';
			p += *p == ']';
		} else if (*p == '[') {
			/* An array index: the item is within the member found last. */
			p += strcspn(p, "]");
			p += *p == ']';
			p += *p == '.';
			continue;
		} else {
			for (; *p && *p != '.' && *p != '[' && n < sizeof(key) - 1; p++)
				key[n++] = *p;
		}
		p += *p == '.';
		key[n] = '\0';
		{
			char quoted[sizeof(key) + 4];
			const char *found;

			snprintf(quoted, sizeof(quoted), "\"%s\":", key);
			if (!(found = strstr(at, quoted)))
				return 0;
			at = found + strlen(quoted);
		}
	}
	{
		unsigned line = 1;

		for (const char *c = text; c < at; c++)
			line += *c == '\n';
		return line;
	}
}

/* The lock the annotations point at, read whole for line_of(); NULL when it cannot be (no line= then). */
static char *read_lock_text(const char *path)
{
	FILE *in = path ? fopen(path, "re") : NULL;
	char *text = NULL;
	size_t len = 0, size = 0, got;

	if (!in)
		return NULL;
	do {
		char *grown;

		if (len + 65536 + 1 > size) {
			if (size > (64u << 20) || !(grown = realloc(text, size = 2 * size + 65536 + 1))) {
				free(text);
				fclose(in);
				return NULL;
			}
			text = grown;
		}
		got = fread(text + len, 1, 65536, in);
		len += got;
	} while (got > 0);
	text[len] = '\0';
	fclose(in);
	return text;
}

static void finding_line(FILE *out, const el_verdict_finding *j)
{
	char *old_text = report_value_text(j->finding->old_value), *new_text = report_value_text(j->finding->new_value);

	report_github_escaped(out, j->finding->path, false);
	fputs(": ", out);
	report_github_escaped(out, old_text ? old_text : "?", false);
	fputs(" -> ", out);
	report_github_escaped(out, new_text ? new_text : "?", false);
	free(old_text);
	free(new_text);
	for (size_t i = 0; i < j->file_count && i < FILES_SHOWN; i++) {
		char *path = el_printable_text(j->files[i].path);

		fprintf(out, "%%0A  %s ", report_data_change_name(j->files[i].kind));
		report_github_escaped(out, path ? path : "?", false);
		free(path);
	}
	if (j->file_count > FILES_SHOWN)
		fprintf(out, "%%0A  ... and %zu more files", j->file_count - FILES_SHOWN);
}

static void annotate(FILE *out, const el_verdict_finding *judged, const group *g, const char *lock_text,
		     const report_options *opts)
{
	unsigned line = 0;
	size_t shown = 0;

	for (size_t i = g->first; i < g->first + g->count && !line; i++)
		if (judged[i].severity != EL_SEVERITY_IGNORE)
			line = line_of(lock_text, judged[i].finding->path);
	fprintf(out, "::%s ", g->failed ? "error" : "warning");
	if (opts->annotate_file) {
		fputs("file=", out);
		report_github_escaped(out, opts->annotate_file, true);
		if (line)
			fprintf(out, ",line=%u", line);
		fputc(',', out);
	}
	fputs("title=envlock drift in ", out);
	report_github_escaped(out, g->section, true);
	fprintf(out, " (%zu failed%%2C %zu warned)::", g->failed, g->warned);
	for (size_t i = g->first; i < g->first + g->count; i++) {
		if (judged[i].severity == EL_SEVERITY_IGNORE)
			continue;
		if (shown == FINDINGS_SHOWN) {
			fprintf(out, "%%0A... and %zu more", g->shown - shown);
			break;
		}
		if (shown++)
			fputs("%0A", out);
		finding_line(out, &judged[i]);
	}
	fputc('\n', out);
}

/* Markdown table text: one line, no '|' to break the table. */
static void cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '<')
			fputs("&lt;", out);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

/* $GITHUB_STEP_SUMMARY: the counts and a table of the sections, appended. */
static void step_summary(const el_verdict *v, const el_verdict_finding *judged, const group *groups, size_t ngroups)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	FILE *out;
	int fd;

	if (!path || !*path)
		return;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644)) < 0 ||
	    !(out = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		cli_error("GITHUB_STEP_SUMMARY: %s: %s", path, strerror(errno));
		return;
	}
	fprintf(out, "### envlock: %zu refused, %zu warned, %zu ignored\n\n", el_verdict_count(v, EL_SEVERITY_REFUSE),
		el_verdict_count(v, EL_SEVERITY_WARN), el_verdict_count(v, EL_SEVERITY_IGNORE));
	if (ngroups) {
		fputs("| section | failed | warned | first findings |\n|---|---:|---:|---|\n", out);
		for (size_t g = 0; g < ngroups; g++) {
			size_t listed = 0;

			if (!groups[g].shown)
				continue;
			fputs("| ", out);
			cell(out, groups[g].section);
			fprintf(out, " | %zu | %zu | ", groups[g].failed, groups[g].warned);
			for (size_t i = groups[g].first; i < groups[g].first + groups[g].count && listed < 3; i++) {
				char *old_text, *new_text;

				if (judged[i].severity == EL_SEVERITY_IGNORE)
					continue;
				old_text = report_value_text(judged[i].finding->old_value);
				new_text = report_value_text(judged[i].finding->new_value);
				fputs(listed++ ? "<br>" : "", out);
				cell(out, judged[i].finding->path);
				fputs(": ", out);
				cell(out, old_text ? old_text : "?");
				fputs(" → ", out);
				cell(out, new_text ? new_text : "?");
				free(old_text);
				free(new_text);
			}
			if (groups[g].shown > 3)
				fprintf(out, "<br>and %zu more", groups[g].shown - 3);
			fputs(" |\n", out);
		}
	}
	fputc('\n', out);
	if (fclose(out) != 0)
		cli_error("GITHUB_STEP_SUMMARY: %s: %s", path, strerror(errno));
}

int report_github(FILE *out, const el_verdict *v, const report_options *opts)
{
	size_t count, ngroups = 0;
	const el_verdict_finding *judged = el_verdict_findings(v, &count);
	group *groups = calloc(count ? count : 1, sizeof(*groups));
	char *lock_text;

	if (!groups) {
		cli_error("out of memory");
		return -1;
	}
	/* The findings come in document order: a section's are together. */
	for (size_t i = 0; i < count; i++) {
		group *g = ngroups ? &groups[ngroups - 1] : NULL;

		if (!g || strcmp(g->section, judged[i].finding->section) != 0) {
			g = &groups[ngroups++];
			g->section = judged[i].finding->section;
			g->first = i;
		}
		g->count++;
		if (judged[i].severity == EL_SEVERITY_IGNORE)
			continue;
		g->shown++;
		if (judged[i].fails)
			g->failed++;
		else
			g->warned++;
	}
	lock_text = read_lock_text(opts->annotate_file);
	for (size_t g = 0; g < ngroups; g++)
		if (groups[g].shown)
			annotate(out, judged, &groups[g], lock_text, opts);
	free(lock_text);
	if (opts->unmet) {
		fputs("::error title=envlock requirement::", out);
		report_github_escaped(out, opts->unmet, false);
		fputc('\n', out);
	}
	fprintf(out, "envlock: %zu refused, %zu warning%s, %zu ignored\n", el_verdict_count(v, EL_SEVERITY_REFUSE),
		el_verdict_count(v, EL_SEVERITY_WARN), el_verdict_count(v, EL_SEVERITY_WARN) == 1 ? "" : "s",
		el_verdict_count(v, EL_SEVERITY_IGNORE));
	step_summary(v, judged, groups, ngroups);
	free(groups);
	return 0;
}
