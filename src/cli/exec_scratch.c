/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nothing is lost silently: what a command wrote outside the working
 * directory goes with the sandbox, and exec says so when the run ends
 * (naming the first few files), or keeps it with --keep-scratch DIR.
 */
#include "cli/exec_scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"

#include "cli/cli.h"
#include "cli/exec_run.h"
#include "cli/report.h"

static const char *files_word(size_t n)
{
	return n == 1 ? "file" : "files";
}

static const char *was_word(size_t n)
{
	return n == 1 ? "was" : "were";
}

/* The walk's bounds, when it reached one: not everything was looked at. */
static bool report_bounds(const el_sandbox_files *f)
{
	if (f->too_deep) {
		char *name = el_printable_text(f->too_deep);

		cli_error("exec: %s: more than %d directories deep: what is below it was not looked at",
			  name ? name : "?", EL_SANDBOX_FILES_MAX_DEPTH);
		free(name);
	}
	if (f->too_many)
		cli_error("exec: more than %d entries outside the working directory: the rest were not looked at",
			  EL_SANDBOX_FILES_MAX_ENTRIES);
	return f->too_deep || f->too_many;
}

static int list(const el_sandbox *sb, int status)
{
	el_sandbox_files *f = NULL;

	if (el_sandbox_scratch_list(&f, sb, EXEC_SCRATCH_SHOWN) != EL_OK) {
		cli_error("exec: the files written outside the working directory: %s", el_error_last());
		return status == 0 ? EXEC_FAILED : status;
	}
	if (f->count > 0) {
		cli_error("exec: %zu %s written outside the working directory %s discarded with the sandbox "
			  "(--keep-scratch DIR keeps them):", f->count, files_word(f->count), was_word(f->count));
		for (size_t i = 0; i < f->path_count; i++) {
			char *name = el_printable_text(f->paths[i]);

			cli_error("  %s", name ? name : "?");
			free(name);
		}
		if (f->count > f->path_count)
			cli_error("  ... and %zu more", f->count - f->path_count);
	}
	report_bounds(f);
	el_sandbox_files_free(f);
	return status;
}

static int keep(const el_sandbox *sb, int keep_fd, const char *keep_path, int status)
{
	el_sandbox_files *f = NULL;
	bool failed = false;

	if (el_sandbox_scratch_keep(&f, sb, keep_fd) != EL_OK) {
		cli_error("exec: --keep-scratch %s: %s", keep_path, el_error_last());
		failed = true;
	}
	if (f && f->kept > 0)
		cli_error("exec: %zu %s written outside the working directory %s kept in %s", f->kept,
			  files_word(f->kept), was_word(f->kept), keep_path);
	if (f && f->skipped > 0)
		cli_error("exec: %zu %s written outside the working directory %s not kept: not a regular file or a "
			  "symbolic link", f->skipped, files_word(f->skipped), was_word(f->skipped));
	/* Past a bound, not everything was kept: that is a failure to do what was asked. */
	if (f && report_bounds(f))
		failed = true;
	el_sandbox_files_free(f);
	return failed && status == 0 ? EXEC_FAILED : status;
}

int exec_scratch_report(const el_sandbox *sb, int keep_fd, const char *keep_path, int status)
{
	return keep_path ? keep(sb, keep_fd, keep_path, status) : list(sb, status);
}

int exec_keep_dir_open(const char *what, const char *option, const char *path)
{
	int fd = cli_make_dirs(path) ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd < 0)
		cli_error("%s: %s %s: %s", what, option, path, strerror(errno));
	return fd;
}
