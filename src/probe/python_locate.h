#ifndef EL_PROBE_PYTHON_LOCATE_H
#define EL_PROBE_PYTHON_LOCATE_H

#include <stddef.h>

#include "probe/probe.h"

/*
 * Which Python interpreter a run would use, and where it looks for
 * packages. Shared by the python and toolchain probes.
 */
typedef struct el__python {
	char *executable; /* sys.executable as the interpreter reports it */
	char *real_path;  /* the interpreter binary, symlinks resolved (no root prefix) */
	char *version;    /* "3.11.7" (sys.version's first word) */
	char **paths;     /* the package search path, NULL-terminated, no root prefix:
			     the working directory first (as `python -m pip` sees it),
			     then sys.path */
	size_t npaths;
} el__python;

/*
 * Locate the interpreter (ctx->python, else python3 then python on PATH;
 * pyenv shims are resolved the way pyenv itself does, without running
 * pyenv) and learn its version and sys.path. The result is computed once
 * per capture and cached across captures, keyed by the interpreter's
 * identity and the variables that shape sys.path, so a warm capture starts
 * no process. EL_PROBE_ABSENT when there is no interpreter.
 */
int el__probe_python_locate(el__probe_ctx *ctx, const el__python **out);

void el__python_free(el__python *py);

#endif
