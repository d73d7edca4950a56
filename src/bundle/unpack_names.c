/* SPDX-License-Identifier: Apache-2.0 */
#include "bundle/unpack_names.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/checksum.h"
#include "util/error.h"
#include "util/text.h"

el__name_status el__name_normalize(char **out, const char *raw)
{
	size_t len = strlen(raw), n = 0;
	char *name;

	*out = NULL;
	if (!len)
		return EL__NAME_EMPTY;
	if (raw[0] == '/')
		return EL__NAME_ABSOLUTE;
	if (len >= PATH_MAX)
		return EL__NAME_TOO_LONG;
	if (!(name = malloc(len + 1)))
		return EL__NAME_NOMEM;
	for (const char *p = raw; *p;) {
		size_t c = strcspn(p, "/");

		if (c == 2 && p[0] == '.' && p[1] == '.') {
			free(name);
			return EL__NAME_DOTDOT;
		}
		if (c && !(c == 1 && p[0] == '.')) {
			if (n)
				name[n++] = '/';
			memcpy(name + n, p, c);
			n += c;
		}
		p += c;
		while (*p == '/')
			p++;
	}
	name[n] = '\0';
	if (!n) {
		free(name);
		return EL__NAME_TOP;
	}
	*out = name;
	return EL__NAME_OK;
}

const char *el__name_split(const char *name, char **dir)
{
	const char *slash = strrchr(name, '/');

	*dir = slash ? strndup(name, (size_t)(slash - name)) : strdup("");
	return slash ? slash + 1 : name;
}

int el__name_split_path(const char *path, char **dir, char **base)
{
	size_t len = strlen(path);
	const char *slash;

	/* "out/" names out. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (!slash)
		*dir = strdup(".");
	else
		*dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	*base = slash ? strndup(slash + 1, len - (size_t)(slash + 1 - path)) : strndup(path, len);
	if (*dir && *base)
		return EL_OK;
	free(*dir);
	free(*base);
	*dir = *base = NULL;
	return el__error_oom();
}

bool el__link_stays_inside(const char *name, const char *target)
{
	long depth = 0;

	if (target[0] == '/')
		return true;
	/* The link's own directory: one level per slash in its name. */
	for (const char *p = name; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p;) {
		size_t c = strcspn(p, "/");

		if (c == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (c && !(c == 1 && p[0] == '.')) {
			depth++;
		}
		p += c;
		while (*p == '/')
			p++;
	}
	return true;
}

struct el__name_slot {
	char *name; /* NULL: empty */
	uint64_t hash;
	el__name_kind kind;
};

static uint64_t hash_of(const char *name)
{
	return el__checksum64(name, strlen(name)) | 1; /* never 0 */
}

static struct el__name_slot *slot_for(const el__name_set *set, const char *name, uint64_t hash)
{
	size_t i = (size_t)hash & (set->cap - 1);

	while (set->slots[i].name && (set->slots[i].hash != hash || strcmp(set->slots[i].name, name) != 0))
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

el__name_kind el__name_find(const el__name_set *set, const char *name)
{
	const struct el__name_slot *s;

	if (!set->cap)
		return EL__NAME_NONE;
	s = slot_for(set, name, hash_of(name));
	return s->name ? s->kind : EL__NAME_NONE;
}

static int grow(el__name_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	el__name_set bigger = { .slots = calloc(cap, sizeof(*bigger.slots)), .cap = cap, .count = set->count };

	if (!bigger.slots)
		return el__error_oom();
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i].name)
			*slot_for(&bigger, set->slots[i].name, set->slots[i].hash) = set->slots[i];
	free(set->slots);
	*set = bigger;
	return EL_OK;
}

int el__name_add(el__name_set *set, const char *name, el__name_kind kind)
{
	const uint64_t hash = hash_of(name);
	struct el__name_slot *s;

	/* At most half full: probes stay short. */
	if ((set->count + 1) * 2 > set->cap && grow(set) != EL_OK)
		return EL_ENOMEM;
	s = slot_for(set, name, hash);
	if (!s->name) {
		if (!(s->name = strdup(name)))
			return el__error_oom();
		s->hash = hash;
		set->count++;
	}
	s->kind = kind;
	return EL_OK;
}

void el__name_set_free(el__name_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].name);
	free(set->slots);
	set->slots = NULL;
	set->cap = set->count = 0;
}

void el__entry_refusal(char shown[256], char reason[600], const char *name, const char *fmt, va_list ap)
{
	el__printable_copy(shown, 256, name, strlen(name));
	vsnprintf(reason, 600, fmt, ap);
	/* A reason may quote a link's target or a path of the archive's. */
	el__printable(reason, strlen(reason));
}
