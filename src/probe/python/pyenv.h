/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_PYENV_H
#define EL_PROBE_PYENV_H

#include <stdbool.h>

#include "util/buf.h"

/*
 * pyenv puts a shim for every command (python3, pip...) in $PYENV_ROOT/shims:
 * a small bash script that runs `pyenv exec`, which costs 50 ms and more.
 * envlock does not run it: it picks the interpreter the shim would run, by
 * pyenv's own rules (libexec/pyenv-version-name, -version-file,
 * -version-file-read, -latest, -which):
 *
 *   - the selected versions: $PYENV_VERSION (':'-separated), else the first
 *     .python-version file found from $PYENV_DIR, then the working directory,
 *     upwards to "/", else $PYENV_ROOT/version; a file lists one version per
 *     line (the first word; empty lines and '#' comments skipped). None, or
 *     exactly "system", means "system";
 *   - each name is a directory under $PYENV_ROOT/versions (pyenv-virtualenv
 *     environments included), the same without a "python-" prefix, or a
 *     prefix such as "3.11" standing for the latest installed 3.11.x;
 *   - the first selected version whose bin/<command> is executable wins;
 *     "system", also tried last of all, is the next <command> on PATH with the
 *     shims directory left out.
 *
 * PYENV_ROOT is the one the shim itself exports, else $PYENV_ROOT, else
 * $HOME/.pyenv. Every path, environment values included, is read inside root.
 * The environment is env (el__env_get), never the process's.
 */

/*
 * If path (an absolute path inside root, found on PATH) is a pyenv shim,
 * put the interpreter it would run into out (absolute, inside root) and set
 * *shim. A file that is no shim leaves out alone, clears *shim and returns
 * EL_OK. EL_ENOTFOUND (message set) when no selected version provides the
 * command, as `pyenv exec` would fail.
 */
int el__pyenv_resolve(el__buf *out, bool *shim, const char *root, const char *path,
		      const char *workdir, const char *const *env);

#endif
