/* SPDX-License-Identifier: Apache-2.0 */
/* The --bind, --ro-bind and --tmpfs arguments of exec and replay --bundle. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool cli_mount_add(el_mount **mounts, size_t *count, el_mount_kind kind, const char *arg)
{
	el_mount *grown = realloc(*mounts, (*count + 1) * sizeof(**mounts));
	el_mount *m;
	const char *colon;

	if (!grown)
		return false;
	*mounts = grown;
	m = &grown[*count];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if (kind == EL_MOUNT_TMPFS) {
		m->dest = strdup(arg);
	} else {
		char *source;

		colon = strchr(arg, ':');
		source = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
		m->source = source ? cli_absolute_path(source) : NULL;
		free(source);
		m->dest = colon ? strdup(colon + 1) : NULL;
		if (!m->source || (colon && !m->dest)) {
			free(m->source);
			free(m->dest);
			return false;
		}
	}
	if (kind == EL_MOUNT_TMPFS && !m->dest)
		return false;
	(*count)++;
	return true;
}

void cli_mounts_free(el_mount *mounts, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(mounts[i].source);
		free(mounts[i].dest);
	}
	free(mounts);
}
