/* SPDX-License-Identifier: Apache-2.0 */
#include "bundle/archive_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "util/error.h"

#ifndef EL_LIBARCHIVE_SONAME
#define EL_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

static struct el__archive_lib lib;
static const struct el__archive_lib *loaded;
static char failure[300];
static int failure_code;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* Local: its symbols must not take the place of anything envlock links itself. */
	void *handle = dlopen(EL_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		failure_code = EL_ENOTFOUND;
		snprintf(failure, sizeof(failure), "%s is not installed (Debian: libarchive13; Fedora: libarchive): %s",
			 EL_LIBARCHIVE_SONAME, dlerror());
		return;
	}
#define EL__ARCHIVE_RESOLVE(name)                                                                         \
	if (!(*(void **)&lib.name = dlsym(handle, #name))) {                                               \
		failure_code = EL_ERROR;                                                                   \
		snprintf(failure, sizeof(failure), "%s has no %s: libarchive 3.4 or later is needed",      \
			 EL_LIBARCHIVE_SONAME, #name);                                                     \
		dlclose(handle);                                                                           \
		return;                                                                                    \
	}
	EL__ARCHIVE_CALLS(EL__ARCHIVE_RESOLVE)
#undef EL__ARCHIVE_RESOLVE
	/* Kept loaded for the process: the table points into it. */
	loaded = &lib;
}

const struct el__archive_lib *el__archive_lib(void)
{
	pthread_once(&once, load);
	if (!loaded)
		el__error(failure_code, "%s", failure);
	return loaded;
}
