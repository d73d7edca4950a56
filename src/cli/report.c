/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/report.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/*
 * The three ways check and diff report drift. What fails was decided by
 * the library (el_drift_verdict); a report only shows it.
 */

#define PATH_COLUMN_MAX 44

bool report_parse_format(const char *name, report_format *out)
{
	static const struct {
		const char *name;
		report_format format;
	} names[] = { { "text", REPORT_TEXT }, { "json", REPORT_JSON }, { "github", REPORT_GITHUB }, { "junit", REPORT_JUNIT } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].format;
			return true;
		}
	return false;
}

bool report_color_auto(int fd)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	if (no_color && *no_color)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd);
}

bool cli_parse_color(const char *when, bool *color)
{
	if (strcmp(when, "auto") == 0)
		*color = report_color_auto(STDOUT_FILENO);
	else if (strcmp(when, "always") == 0)
		*color = true;
	else if (strcmp(when, "never") == 0)
		*color = false;
	else
		return false;
	return true;
}

bool report_unicode_auto(void)
{
	const char *codeset = nl_langinfo(CODESET);

	return codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* What the report says at its end: the verdict, and a requirement of the profile the run does not meet. */
struct summary {
	bool drifted; /* the verdict refuses */
	bool failed;  /* that, or an unmet requirement */
};

static struct summary summarize(const el_verdict *v, const report_options *opts)
{
	struct summary sum = { .drifted = el_verdict_outcome(v) == EL_OUTCOME_REFUSE };

	sum.failed = sum.drifted || opts->unmet;
	return sum;
}

static void summary_line(FILE *out, const el_verdict *v)
{
	size_t warned = el_verdict_count(v, EL_SEVERITY_WARN);

	fprintf(out, "%zu refused, %zu warning%s, %zu ignored", el_verdict_count(v, EL_SEVERITY_REFUSE), warned,
		warned == 1 ? "" : "s", el_verdict_count(v, EL_SEVERITY_IGNORE));
}

/* ---- text ---- */

struct style {
	const char *bold, *red, *yellow, *dim, *reset;
};

static void text_section_header(FILE *out, const struct style *st, const char *section, const el_lock *old_lock,
				const el_lock *new_lock, const report_options *opts)
{
	fprintf(out, "%s%s%s", st->bold, section, st->reset);
	if (!el_lock_has_section(old_lock, section))
		fprintf(out, " (not in %s)", opts->old_label);
	else if (!el_lock_has_section(new_lock, section))
		fprintf(out, " (not in %s)", opts->new_label);
	fputc('\n', out);
}

/* A finding's value as one line, "(absent)" dimmed when there is none. */
char *report_value_text(const char *json)
{
	return json ? el_printable_json(json) : strdup("(absent)");
}

static void text_value(FILE *out, const struct style *st, const char *v)
{
	char *text = report_value_text(v);

	fprintf(out, "%s%s%s", v ? "" : st->dim, text ? text : "?", v ? "" : st->reset);
	free(text);
}

const char *report_data_change_name(el_data_change_kind kind)
{
	return kind == EL_DATA_ADDED ? "added" : kind == EL_DATA_REMOVED ? "removed" : "changed";
}

/* The files behind a data finding, one a line under it. */
static void text_data_files(FILE *out, const el_verdict_finding *f)
{
	for (size_t i = 0; i < f->file_count; i++) {
		char *path = el_printable_text(f->files[i].path);

		fprintf(out, "          %-7s  %s\n", report_data_change_name(f->files[i].kind), path ? path : "?");
		free(path);
	}
}

static int report_text(FILE *out, const el_verdict *v, const el_lock *old_lock, const el_lock *new_lock,
		       const report_options *opts)
{
	static const struct style plain = { "", "", "", "", "" };
	static const struct style ansi = { "\033[1m", "\033[1;31m", "\033[33m", "\033[2m", "\033[0m" };
	const struct style *st = opts->color ? &ansi : &plain;
	const char *arrow = opts->unicode ? "\u2192" : "->";
	const char *section = NULL;
	struct summary sum = summarize(v, opts);
	size_t count;
	const el_verdict_finding *judged = el_verdict_findings(v, &count);
	int width = 0;

	for (size_t i = 0; i < count; i++) {
		int len = (int)strlen(judged[i].finding->path);

		if (judged[i].severity != EL_SEVERITY_IGNORE && len > width)
			width = len < PATH_COLUMN_MAX ? len : PATH_COLUMN_MAX;
	}
	fprintf(out, "%s%s%s against %s (profile %s)\n\n", st->bold, opts->new_label, st->reset, opts->old_label,
		el_verdict_profile(v));
	for (size_t i = 0; i < count; i++) {
		const el_verdict_finding *j = &judged[i];
		const el_finding *f = j->finding;
		const char *color = j->severity == EL_SEVERITY_REFUSE ? st->red : st->yellow;

		if (j->severity == EL_SEVERITY_IGNORE)
			continue; /* counted in the summary, listed by --format json */
		if (!section || strcmp(section, f->section) != 0) {
			if (section)
				fputc('\n', out);
			section = f->section;
			text_section_header(out, st, section, old_lock, new_lock, opts);
		}
		fprintf(out, "  %s%-6s%s  %-*s  ", color, el_severity_name(j->severity), st->reset, width, f->path);
		text_value(out, st, f->old_value);
		fprintf(out, " %s ", arrow);
		text_value(out, st, f->new_value);
		fputc('\n', out);
		text_data_files(out, j);
	}
	if (section)
		fputc('\n', out);
	if (opts->unmet)
		fprintf(out, "%sthe profile%s\n  %srefuse%s  %s\n\n", st->bold, st->reset, st->red, st->reset, opts->unmet);
	if (count == 0 && !opts->unmet) {
		fprintf(out, "no drift\n");
		return 0;
	}
	fprintf(out, "%s", sum.failed ? st->red : "");
	summary_line(out, v);
	fprintf(out, "%s%s\n",
		!sum.failed				      ? ": nothing refused"
		: el_verdict_count(v, EL_SEVERITY_REFUSE) ? ": drift refused"
		: opts->unmet				      ? ": a requirement of the profile is not met"
							      : ": drift refused (--strict: warnings fail)",
		sum.failed ? st->reset : "");
	/* Re-locking answers drift; an unmet requirement is the working tree's to fix. */
	if (sum.drifted && opts->hint)
		fprintf(out, "%s\n", opts->hint);
	return 0;
}

/* ---- json ---- */

static int report_json(FILE *out, const el_verdict *v, const report_options *opts)
{
	char *doc;
	size_t len;
	int ret;

	if (el_verdict_json(&doc, &len, v, opts->old_label, opts->new_label, opts->unmet) != EL_OK) {
		cli_error("%s", el_error_last());
		return -1;
	}
	ret = fwrite(doc, 1, len, out) == len ? 0 : -1;
	free(doc);
	return ret;
}

void report_not_compared(const el_diff *diff, const char *old_label, const char *new_label)
{
	if (!diff->not_compared)
		return;
	fprintf(stderr, "envlock: note: %s: a schema-%d lock: %s, which a later schema added, %s not compared; "
		"re-lock to compare %s\n", diff->older_is_new ? new_label : old_label, diff->older_schema,
		diff->not_compared, strchr(diff->not_compared, ',') ? "are" : "is",
		strchr(diff->not_compared, ',') ? "them" : "it");
}

int report_drift(FILE *out, const el_verdict *verdict, const el_lock *old_lock, const el_lock *new_lock,
		 const report_options *opts)
{
	int ret;

	switch (opts->format) {
	case REPORT_JSON:
		ret = report_json(out, verdict, opts);
		break;
	case REPORT_GITHUB:
		ret = report_github(out, verdict, opts);
		break;
	case REPORT_JUNIT:
		ret = report_junit(out, verdict, old_lock, new_lock, opts);
		break;
	default:
		ret = report_text(out, verdict, old_lock, new_lock, opts);
		break;
	}
	if (ret == 0 && (fflush(out) != 0 || ferror(out))) {
		cli_error("cannot write the report");
		ret = -1;
	}
	return ret;
}
