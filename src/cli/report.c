#include "cli/report.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/*
 * The three ways check and diff report drift. Every finding carries the
 * severity the profile gives its path; what fails is decided here, once.
 */

#define PATH_COLUMN_MAX 44

struct counts {
	size_t n[3];  /* by el_severity */
	bool drifted; /* a refusal, or a warning under --strict */
	bool failed;  /* that, or an unmet requirement: the exit status */
};

static bool fails(el_severity s, bool strict)
{
	return s == EL_SEVERITY_REFUSE || (strict && s == EL_SEVERITY_WARN);
}

bool report_parse_format(const char *name, report_format *out)
{
	static const struct {
		const char *name;
		report_format format;
	} names[] = { { "text", REPORT_TEXT }, { "json", REPORT_JSON }, { "github", REPORT_GITHUB } };

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

/*
 * A value as one line of text: a plain printable string as it is, anything
 * else as JSON. A lock may come from anywhere: its strings never reach the
 * terminal with their control characters.
 */
bool report_plain(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return false;
		/* U+0080-U+009F, C1 controls: 0xC2 0x80-0x9F in UTF-8 (CSI is one of them). */
		if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
			return false;
	}
	return true;
}

char *report_key_text(const char *key)
{
	json_t *s;
	char *text;

	if (report_plain(key))
		return strdup(key);
	s = json_string(key);
	text = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : strdup("(not UTF-8)");
	json_decref(s);
	return text;
}

char *report_value_text(const json_t *v)
{
	if (!v)
		return strdup("(absent)");
	if (json_is_string(v) && report_plain(json_string_value(v)))
		return strdup(json_string_value(v));
	/* jansson escapes C0 controls; C1 controls (U+0080-U+009F) are escaped by ENSURE_ASCII. */
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
}

static const char *change_name(el_drift_kind kind)
{
	switch (kind) {
	case EL_DRIFT_ADDED:
		return "added";
	case EL_DRIFT_REMOVED:
		return "removed";
	case EL_DRIFT_CHANGED:
		break;
	}
	return "changed";
}

static void count_all(struct counts *c, const el_diff *diff, const el_severity *sev, const report_options *opts)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < diff->count; i++)
		c->n[sev[i]]++;
	c->drifted = c->n[EL_SEVERITY_REFUSE] || (opts->strict && c->n[EL_SEVERITY_WARN]);
	c->failed = c->drifted || opts->unmet;
}

static void summary_line(FILE *out, const struct counts *c)
{
	fprintf(out, "%zu refused, %zu warning%s, %zu ignored", c->n[EL_SEVERITY_REFUSE], c->n[EL_SEVERITY_WARN],
		c->n[EL_SEVERITY_WARN] == 1 ? "" : "s", c->n[EL_SEVERITY_IGNORE]);
}

/* ---- text ---- */

struct style {
	const char *bold, *red, *yellow, *dim, *reset;
};

static void text_section_header(FILE *out, const struct style *st, const char *section, const json_t *old_doc,
				const json_t *new_doc, const report_options *opts)
{
	fprintf(out, "%s%s%s", st->bold, section, st->reset);
	if (!json_object_get(old_doc, section))
		fprintf(out, " (not in %s)", opts->old_label);
	else if (!json_object_get(new_doc, section))
		fprintf(out, " (not in %s)", opts->new_label);
	fputc('\n', out);
}

/* A value, "(absent)" dimmed when there is none. */
static void text_value(FILE *out, const struct style *st, const json_t *v)
{
	char *text = report_value_text(v);

	fprintf(out, "%s%s%s", v ? "" : st->dim, text ? text : "?", v ? "" : st->reset);
	free(text);
}

static const char *data_change_name(el_data_change_kind kind)
{
	return kind == EL_DATA_ADDED ? "added" : kind == EL_DATA_REMOVED ? "removed" : "changed";
}

/* The files behind a data finding, one a line under it. */
static void text_data_files(FILE *out, const data_files *files)
{
	for (size_t i = 0; files && i < files->count; i++) {
		char *path = report_key_text(files->changes[i].path);

		fprintf(out, "          %-7s  %s\n", data_change_name(files->changes[i].kind), path ? path : "?");
		free(path);
	}
}

static int report_text(FILE *out, const el_diff *diff, const el_severity *sev, const el_profile *profile,
		       const json_t *old_doc, const json_t *new_doc, const report_options *opts, const struct counts *c)
{
	static const struct style plain = { "", "", "", "", "" };
	static const struct style ansi = { "\033[1m", "\033[1;31m", "\033[33m", "\033[2m", "\033[0m" };
	const struct style *st = opts->color ? &ansi : &plain;
	const char *arrow = opts->unicode ? "\u2192" : "->";
	const char *section = NULL;
	int width = 0;

	for (size_t i = 0; i < diff->count; i++) {
		int len = (int)strlen(diff->findings[i].path);

		if (sev[i] != EL_SEVERITY_IGNORE && len > width)
			width = len < PATH_COLUMN_MAX ? len : PATH_COLUMN_MAX;
	}
	fprintf(out, "%s%s%s against %s (profile %s)\n\n", st->bold, opts->new_label, st->reset, opts->old_label,
		profile->name);
	for (size_t i = 0; i < diff->count; i++) {
		const el_finding *f = &diff->findings[i];
		const char *color = sev[i] == EL_SEVERITY_REFUSE ? st->red : st->yellow;

		if (sev[i] == EL_SEVERITY_IGNORE)
			continue; /* counted in the summary, listed by --format json */
		if (!section || strcmp(section, f->section) != 0) {
			if (section)
				fputc('\n', out);
			section = f->section;
			text_section_header(out, st, section, old_doc, new_doc, opts);
		}
		fprintf(out, "  %s%-6s%s  %-*s  ", color, el_severity_name(sev[i]), st->reset, width, f->path);
		text_value(out, st, f->old_value);
		fprintf(out, " %s ", arrow);
		text_value(out, st, f->new_value);
		fputc('\n', out);
		text_data_files(out, data_files_for(opts->data_files, f));
	}
	if (section)
		fputc('\n', out);
	if (opts->unmet)
		fprintf(out, "%sthe profile%s\n  %srefuse%s  %s\n\n", st->bold, st->reset, st->red, st->reset, opts->unmet);
	if (diff->count == 0 && !opts->unmet) {
		fprintf(out, "no drift\n");
		return 0;
	}
	fprintf(out, "%s", c->failed ? st->red : "");
	summary_line(out, c);
	fprintf(out, "%s%s\n",
		!c->failed ? ": nothing refused"
		: c->n[EL_SEVERITY_REFUSE] ? ": drift refused"
		: opts->unmet		   ? ": a requirement of the profile is not met"
					   : ": drift refused (--strict: warnings fail)",
		c->failed ? st->reset : "");
	/* Re-locking answers drift; an unmet requirement is the working tree's to fix. */
	if (c->drifted && opts->hint)
		fprintf(out, "%s\n", opts->hint);
	return 0;
}

/* ---- json ---- */

static json_t *label_json(const char *label)
{
	json_t *s = json_string(label);

	return s ? s : json_string("(not UTF-8)");
}

/* "files": [{"change", "path"}] on a data finding; a path that is not UTF-8 as a JSON-escaped text of its bytes. */
static int json_add_data_files(json_t *item, const data_files *files)
{
	json_t *list;

	if (!item)
		return -1;
	if (!files)
		return 0;
	list = json_array();
	for (size_t i = 0; list && i < files->count; i++) {
		const char *path = files->changes[i].path;
		json_t *name = json_string(path);

		if (!name) {
			char *escaped = report_key_text(path);

			name = escaped ? json_string(escaped) : NULL;
			free(escaped);
		}
		if (json_array_append_new(list, json_pack("{s:s,s:o}", "change",
							  data_change_name(files->changes[i].kind), "path", name)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list ? json_object_set_new(item, "files", list) : -1;
}

/* The findings as a JSON array (NULL when out of memory). */
static json_t *findings_json(const el_diff *diff, const el_severity *sev, const data_files_list *files)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < diff->count; i++) {
		const el_finding *f = &diff->findings[i];
		json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:O?,s:O?}", "path", f->path, "section", f->section, "change",
					 change_name(f->kind), "severity", el_severity_name(sev[i]), "old",
					 f->old_value, "new", f->new_value);

		if (json_add_data_files(item, data_files_for(files, f)) != 0) {
			json_decref(item);
			item = NULL;
		}
		if (json_array_append_new(list, item) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list;
}

json_t *report_findings_json(const el_diff *diff, const el_profile *profile)
{
	el_severity *sev = calloc(diff->count ? diff->count : 1, sizeof(*sev));
	json_t *list;

	if (!sev)
		return NULL;
	for (size_t i = 0; i < diff->count; i++)
		sev[i] = el_profile_severity(profile, diff->findings[i].path);
	list = findings_json(diff, sev, NULL);
	free(sev);
	return list;
}

static int report_json(FILE *out, const el_diff *diff, const el_severity *sev, const el_profile *profile,
		       const report_options *opts, const struct counts *c)
{
	json_t *doc, *list;
	int ret;

	list = findings_json(diff, sev, opts->data_files);
	/* A file name need not be UTF-8; JSON strings must be. */
	doc = json_pack("{s:b,s:o,s:o,s:s,s:b,s:{s:I,s:I,s:I},s:o}", "drift", c->failed, "old", label_json(opts->old_label),
			"new", label_json(opts->new_label), "profile", profile->name, "strict", opts->strict, "counts", "refuse",
			(json_int_t)c->n[EL_SEVERITY_REFUSE], "warn", (json_int_t)c->n[EL_SEVERITY_WARN], "ignore",
			(json_int_t)c->n[EL_SEVERITY_IGNORE], "findings", list);
	/* Only check and exec evaluate requirements; diff's document stays as it was. */
	if (doc && opts->unmet && json_object_set_new(doc, "unmet", json_pack("[s]", opts->unmet))) {
		json_decref(doc);
		doc = NULL;
	}
	if (!doc) {
		cli_error("out of memory");
		return -1;
	}
	ret = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', out);
	json_decref(doc);
	return ret == 0 ? 0 : -1;
}

/* ---- github ---- */

/* Workflow-command escaping: data escapes %, CR and LF; properties also ':' and ','. */
static void github_escaped(FILE *out, const char *s, bool property)
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

/* One annotation per file behind a data finding: "data.train: changed a/b.bin". */
static void github_data_files(FILE *out, const data_files *files, bool fail, const report_options *opts)
{
	for (size_t i = 0; files && i < files->count; i++) {
		char *path = report_key_text(files->changes[i].path);

		fprintf(out, "::%s ", fail ? "error" : "warning");
		if (opts->annotate_file) {
			fputs("file=", out);
			github_escaped(out, opts->annotate_file, true);
			fputc(',', out);
		}
		fputs("title=envlock data drift::", out);
		github_escaped(out, files->finding->path, false);
		fprintf(out, ": %s ", data_change_name(files->changes[i].kind));
		github_escaped(out, path ? path : "?", false);
		fputc('\n', out);
		free(path);
	}
}

static int report_github(FILE *out, const el_diff *diff, const el_severity *sev, const report_options *opts,
			 const struct counts *c)
{
	for (size_t i = 0; i < diff->count; i++) {
		const el_finding *f = &diff->findings[i];
		bool fail = fails(sev[i], opts->strict);
		char *old_text, *new_text;

		if (sev[i] == EL_SEVERITY_IGNORE)
			continue;
		old_text = report_value_text(f->old_value);
		new_text = report_value_text(f->new_value);
		fprintf(out, "::%s ", fail ? "error" : "warning");
		if (opts->annotate_file) {
			fputs("file=", out);
			github_escaped(out, opts->annotate_file, true);
			fputc(',', out);
		}
		fprintf(out, "title=envlock drift (%s)::", el_severity_name(sev[i]));
		github_escaped(out, f->path, false);
		fputs(": ", out);
		github_escaped(out, old_text ? old_text : "?", false);
		fputs(" -> ", out);
		github_escaped(out, new_text ? new_text : "?", false);
		fputc('\n', out);
		free(old_text);
		free(new_text);
		github_data_files(out, data_files_for(opts->data_files, f), fail, opts);
	}
	if (opts->unmet) {
		fputs("::error title=envlock requirement::", out);
		github_escaped(out, opts->unmet, false);
		fputc('\n', out);
	}
	fputs("envlock: ", out);
	summary_line(out, c);
	fputc('\n', out);
	return 0;
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

int report_drift(FILE *out, const el_diff *diff, const el_profile *profile, const json_t *old_doc,
		 const json_t *new_doc, const report_options *opts)
{
	el_severity *sev = calloc(diff->count ? diff->count : 1, sizeof(*sev));
	struct counts c;
	int ret;

	if (!sev) {
		cli_error("out of memory");
		return CLI_EXIT_USAGE; /* 1 would read as drift */
	}
	for (size_t i = 0; i < diff->count; i++)
		sev[i] = el_profile_severity(profile, diff->findings[i].path);
	count_all(&c, diff, sev, opts);
	switch (opts->format) {
	case REPORT_JSON:
		ret = report_json(out, diff, sev, profile, opts, &c);
		break;
	case REPORT_GITHUB:
		ret = report_github(out, diff, sev, opts, &c);
		break;
	default:
		ret = report_text(out, diff, sev, profile, old_doc, new_doc, opts, &c);
		break;
	}
	free(sev);
	if (ret == 0 && (fflush(out) != 0 || ferror(out))) {
		cli_error("cannot write the report");
		ret = -1;
	}
	if (ret < 0)
		return CLI_EXIT_USAGE; /* out of memory or a failed write: check and diff have no other code */
	return c.failed ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
}
