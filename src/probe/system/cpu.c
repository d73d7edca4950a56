/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

#define CPUINFO_MAX (16 << 20)

/*
 * /proc/cpuinfo: one block per logical CPU, "key<tabs>: value" lines,
 * blocks separated by blank lines. The first block describes the model;
 * the number of "processor" lines is the logical CPU count.
 */
struct cpu_fields {
	char *vendor, *model, *family, *model_id, *stepping, *microcode, *flags;
	int processors;
};

/* Split "key\t\t: value" in place; NULL when the line is not of that form. */
static char *split_line(char *line, char **value)
{
	char *colon = strchr(line, ':');

	if (!colon)
		return NULL;
	*colon = '\0';
	*value = el__strtrim(colon + 1);
	return el__strtrim(line);
}

static void take(char **slot, char *value)
{
	if (!*slot)
		*slot = value;
}

static void parse_cpuinfo(char *text, struct cpu_fields *f)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value, *key = split_line(line, &value);

		if (!key)
			continue;
		if (strcmp(key, "processor") == 0)
			f->processors++;
		else if (strcmp(key, "vendor_id") == 0 || strcmp(key, "CPU implementer") == 0)
			take(&f->vendor, value);
		else if (strcmp(key, "model name") == 0)
			take(&f->model, value);
		else if (strcmp(key, "cpu family") == 0)
			take(&f->family, value);
		else if (strcmp(key, "model") == 0 || strcmp(key, "CPU part") == 0)
			take(&f->model_id, value);
		else if (strcmp(key, "stepping") == 0 || strcmp(key, "CPU revision") == 0)
			take(&f->stepping, value);
		else if (strcmp(key, "microcode") == 0)
			take(&f->microcode, value);
		else if (strcmp(key, "flags") == 0 || strcmp(key, "Features") == 0)
			take(&f->flags, value);
	}
}

/* Collapse runs of blanks in place: some firmware pads the model name. */
static char *collapse_blanks(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (!isspace((unsigned char)*r))
			*w++ = *r;
		else if (w > s && w[-1] != ' ')
			*w++ = ' ';
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/* A text field: blank ones are left out, as absent; non-UTF-8 ones with a warning. */
static void set_text(el__probe_ctx *ctx, json_t *cpu, const char *key, char *value)
{
	if (!value || !*collapse_blanks(value))
		return;
	if (el__json_set_text(cpu, key, value) == EL_EINVAL)
		el__warn(ctx, "cpu", "%s left out: not UTF-8", key);
}

static void set_number(el__probe_ctx *ctx, json_t *cpu, const char *key, const char *text)
{
	char *end;
	long long v;

	if (!text)
		return;
	errno = 0;
	/* Decimal on x86 ("cpu family : 6"), hexadecimal on Arm ("CPU part : 0xd0c"). */
	v = strtoll(text, &end, el__startswith(text, "0x") ? 16 : 10);
	if (errno || end == text || *end || v < 0) {
		el__warn(ctx, "cpu", "%s left out: \"%s\" is not a number", key, text);
		return;
	}
	json_object_set_new(cpu, key, json_integer(v));
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *sorted_flags(char *text)
{
	char *words[4096], *save = NULL;
	size_t n = 0;
	json_t *arr = json_array();

	for (char *w = strtok_r(text, " \t", &save); w && n < 4096; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	qsort(words, n, sizeof(words[0]), compare_strings);
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || strcmp(words[i], words[i - 1]) != 0) && el__utf8_valid(words[i], strlen(words[i])))
			json_array_append_new(arr, json_string(words[i]));
	return arr;
}

int el__probe_cpu(el__probe_ctx *ctx, json_t **section)
{
	struct cpu_fields f = { 0 };
	el__buf path, text;
	json_t *cpu = NULL, *flags, *topology;
	int ret;

	el__buf_init(&path);
	el__buf_init(&text);
	el__root_path(&path, ctx->root, "/proc/cpuinfo");
	ret = el__read_file(&text, path.data, CPUINFO_MAX, false);
	if (ret != EL_OK)
		goto done;
	if (memchr(text.data, '\0', text.len)) {
		ret = el__error(EL_EINVAL, "%s: binary content", path.data);
		goto done;
	}
	parse_cpuinfo(text.data, &f);
	if (f.processors == 0) {
		ret = el__error(EL_EINVAL, "%s: no \"processor\" entries", path.data);
		goto done;
	}
	cpu = json_object();
	if (!cpu) {
		ret = el__error_oom();
		goto done;
	}
	set_text(ctx, cpu, "vendor", f.vendor);
	set_text(ctx, cpu, "model", f.model);
	set_number(ctx, cpu, "family", f.family);
	set_number(ctx, cpu, "model_id", f.model_id);
	set_number(ctx, cpu, "stepping", f.stepping);
	set_text(ctx, cpu, "microcode", f.microcode);
	flags = f.flags ? sorted_flags(f.flags) : NULL;
	if (json_array_size(flags))
		json_object_set_new(cpu, "flags", flags);
	else {
		json_decref(flags);
		el__warn(ctx, "cpu", "flags left out: %s lists none", path.data);
	}
	json_object_set_new(cpu, "logical_cpus", json_integer(f.processors));
	if ((topology = el__cpu_topology(ctx)))
		json_object_set_new(cpu, "topology", topology);
	*section = cpu;
done:
	el__buf_free(&path);
	el__buf_free(&text);
	return ret;
}
