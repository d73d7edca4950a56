/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verdict as JSON: the document check and diff print with --format
 * json, and the findings a run record keeps. One shape for both, made in
 * one place.
 */
#include "policy/verdict_internal.h"

#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "util/error.h"
#include "util/printable.h"

static const char *change_name(el_drift_kind kind)
{
	return kind == EL_DRIFT_ADDED ? "added" : kind == EL_DRIFT_REMOVED ? "removed" : "changed";
}

static const char *data_change_name(el_data_change_kind kind)
{
	return kind == EL_DATA_ADDED ? "added" : kind == EL_DATA_REMOVED ? "removed" : "changed";
}

/* A label (a file name need not be UTF-8; a JSON string must be). */
static json_t *label_json(const char *label)
{
	json_t *s = json_string(label);

	return s ? s : json_string("(not UTF-8)");
}

/* "files": [{"change", "path"}]; a path that is not UTF-8 as the printable text of its bytes. */
static int add_files(json_t *item, const el_verdict_finding *f)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < f->file_count; i++) {
		const char *path = f->files[i].path;
		json_t *name = json_string(path);

		if (!name) {
			char *escaped = el__printable_text(path);

			name = escaped ? label_json(escaped) : NULL;
			free(escaped);
		}
		if (json_array_append_new(list, json_pack("{s:s,s:o}", "change", data_change_name(f->files[i].kind),
							  "path", name)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list ? json_object_set_new(item, "files", list) : -1;
}

json_t *el__verdict_findings_json(const el_verdict *verdict, bool files)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < verdict->count; i++) {
		const el_verdict_finding *f = &verdict->findings[i];
		json_t *old = el__finding_value(f->finding->old_value), *new = el__finding_value(f->finding->new_value);
		json_t *item = NULL;

		if ((old || !f->finding->old_value) && (new || !f->finding->new_value))
			item = json_pack("{s:s,s:s,s:s,s:s,s:O?,s:O?}", "path", f->finding->path, "section",
					 f->finding->section, "change", change_name(f->finding->kind), "severity",
					 el_severity_name(f->severity), "old", old, "new", new);
		json_decref(old);
		json_decref(new);
		if (item && files && f->files && add_files(item, f) != 0) {
			json_decref(item);
			item = NULL;
		}
		if (json_array_append_new(list, item) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (!list)
		el__error_oom();
	return list;
}

int el_verdict_json(char **out, size_t *len, const el_verdict *verdict, const char *old_label, const char *new_label,
		    const char *unmet)
{
	json_t *doc;
	char *text;
	size_t n;

	*out = NULL;
	doc = json_pack("{s:b,s:o,s:o,s:s,s:b,s:{s:I,s:I,s:I},s:o}", "drift",
			verdict->outcome == EL_OUTCOME_REFUSE || unmet, "old", label_json(old_label), "new",
			label_json(new_label), "profile", verdict->profile, "strict", el_verdict_strict(verdict),
			"counts", "refuse", (json_int_t)verdict->counts[EL_SEVERITY_REFUSE], "warn",
			(json_int_t)verdict->counts[EL_SEVERITY_WARN], "ignore",
			(json_int_t)verdict->counts[EL_SEVERITY_IGNORE], "findings",
			el__verdict_findings_json(verdict, true));
	/* Only check and exec evaluate requirements; diff's document stays as it was. */
	if (doc && unmet && json_object_set_new(doc, "unmet", json_pack("[s]", unmet)) != 0) {
		json_decref(doc);
		doc = NULL;
	}
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	if (!text)
		return el__error_oom();
	n = strlen(text);
	if (!(*out = realloc(text, n + 2))) {
		free(text);
		return el__error_oom();
	}
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return EL_OK;
}
