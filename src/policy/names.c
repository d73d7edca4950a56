/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The words of the two vocabularies a profile, the command line and a run
 * record share: drift severities and mount kinds. Each has one table, so
 * that the parser, the writer and the reader cannot disagree on a word.
 */
#include "envlock/profile.h"

#include <string.h>

#include "util/error.h"

static const char *const severity_names[] = {
	[EL_SEVERITY_IGNORE] = "ignore",
	[EL_SEVERITY_WARN] = "warn",
	[EL_SEVERITY_REFUSE] = "refuse",
};

static const char *const mount_kind_names[] = {
	[EL_MOUNT_BIND] = "bind",
	[EL_MOUNT_RO_BIND] = "ro-bind",
	[EL_MOUNT_TMPFS] = "tmpfs",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *el_severity_name(el_severity severity)
{
	return (unsigned)severity < COUNT(severity_names) ? severity_names[severity] : NULL;
}

int el_severity_parse(el_severity *out, const char *name)
{
	for (size_t i = 0; i < COUNT(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (el_severity)i;
			return EL_OK;
		}
	return el__error(EL_EINVAL, "'%s' is not refuse, warn or ignore", name);
}

const char *el_mount_kind_name(el_mount_kind kind)
{
	return (unsigned)kind < COUNT(mount_kind_names) ? mount_kind_names[kind] : NULL;
}

int el_mount_kind_parse(el_mount_kind *out, const char *name)
{
	for (size_t i = 0; i < COUNT(mount_kind_names); i++)
		if (strcmp(name, mount_kind_names[i]) == 0) {
			*out = (el_mount_kind)i;
			return EL_OK;
		}
	return el__error(EL_EINVAL, "'%s' is not bind, ro-bind or tmpfs", name);
}
