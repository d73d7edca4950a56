/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_PYTHON_LOCATE_H
#define EL_PROBE_PYTHON_LOCATE_H

#include <stddef.h>

#include "probe/probe.h"
#include "util/buf.h"

/*
 * Which Python interpreter a run would use, and where it looks for
 * packages. Shared by the python and toolchain probes.
 *
 * All paths are absolute and inside ctx->root (no root prefix), like every
 * other path a probe reports; ctx->workdir is read inside ctx->root too.
 */
typedef struct el__python {
	char *executable; /* sys.executable as the interpreter reports it */
	char *real_path;  /* the interpreter binary, symlinks resolved */
	char *version;    /* "3.11.7" (sys.version's first word) */
	/* The interpreter's build; each NULL when the interpreter did not say. */
	char *build_version;  /* sys.version in full: "3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]" */
	char *build_compiler; /* the "[...]" of sys.version ("GCC 12.2.0"), else sysconfig's CC */
	char *config_args;    /* sysconfig's CONFIG_ARGS: the configure command line */
	char **paths;     /* the package search path, NULL-terminated: sys.path as
			     `python -m pip` sees it, that is without the entry
			     pip/__main__.py removes ('' or the working directory) */
	size_t npaths;
	char *error; /* internal: the message of a failed locate, raised again
			by later calls in the same capture */
} el__python;

/*
 * Locate the interpreter (ctx->python, a path or a name looked up on PATH;
 * else python3 then python on PATH; pyenv shims are resolved the way pyenv
 * itself does, without running pyenv: see pyenv.h) and learn its version
 * and sys.path by running it once. The result is computed once per capture
 * (later calls return the same answer) and kept in the stat cache, keyed by
 * the interpreter's path and identity and by the variables that shape
 * sys.path, and checked against the modification times of the directories
 * on sys.path, so a warm capture starts no process.
 *
 * Returns EL_OK with *out borrowed from ctx (freed by el__probe_ctx_release);
 * EL__PROBE_ABSENT when no python3 or python is on PATH; EL_ENOTFOUND when the
 * interpreter asked for does not exist or a pyenv shim selects no installed
 * version; EL_EINVAL or EL_ERROR when the interpreter fails or prints
 * garbage. The message (el_error_last()) says which.
 */
int el__probe_python_locate(el__probe_ctx *ctx, const el__python **out);

void el__python_free(el__python *py);

#endif
