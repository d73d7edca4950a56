/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "envlock/sandbox.h"

#include "cli/cli.h"
#include "cli/exec_run.h"
#include "cli/progress.h"

static const char usage_text[] =
	"usage: envlock capture [-o FILE] [--profile P] [--data PATH]... [--python EXE]\n"
	"                       [--root DIR [--trust-root]] [--quiet] [--observe -- CMD [ARG]...]\n"
	"\n"
	"Probe this machine and print its lock (schema 3) on standard output.\n"
	"\n"
	"  -o, --output FILE  write the lock to FILE atomically instead\n"
	"      --profile P    pin the variables of profile P (a name or a path; default:\n"
	"                     default) and name it in the lock\n"
	"      --data PATH    lock a file or directory tree by content (SHA-256), under\n"
	"                     the key PATH; repeatable\n"
	"      --python EXE   describe this Python interpreter (default: python3 on PATH)\n"
	"      --root DIR     probe the tree at DIR instead of / (a mounted image, a fixture)\n"
	"      --trust-root   run DIR's programs and load its libraries to ask their\n"
	"                     versions (never done otherwise: only for trees you trust)\n"
	"  -q, --quiet        no progress line while data is hashed (shown on a\n"
	"                     terminal, for 64 MiB or more to read)\n"
	"      --observe      run CMD once in the sandbox (no lock checked) and add the\n"
	"                     shared objects it loaded to libraries, marked observed,\n"
	"                     so that check compares them; CMD must succeed\n"
	"  -h, --help         show this help\n"
	"\n"
	"Fields that cannot be read are left out with a warning on standard error.\n"
	"Exit status: 0 ok, 1 runtime failure, 2 bad usage, a bad profile, or a\n"
	"--root, --python or --data path that does not exist or cannot be used.\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "profile", required_argument, NULL, 'p' },
	{ "python", required_argument, NULL, 'P' },
	{ "data", required_argument, NULL, 'D' },
	{ "root", required_argument, NULL, 'R' },
	{ "trust-root", no_argument, NULL, 'T' },
	{ "observe", no_argument, NULL, 'O' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * capture --observe: CMD once in the sandbox, as exec --no-lock runs it,
 * and the shared objects it loaded (*out, for el_sandbox_objects_free()).
 * False with the reason said.
 */
static bool observe_command(el_sandbox_objects **out, const el_profile *profile, const char *python, char **cmd)
{
	el_sandbox_options sopts = { 0 };
	el_sandbox_plan *plan = NULL;
	exec_run run = { 0 };
	char *python_abs = NULL;
	int status;

	*out = NULL;
	if (python && el_python_find(&python_abs, python, NULL, cli_environment()) != EL_OK)
		el_error_clear();
	sopts.profile = profile;
	sopts.python = python_abs;
	sopts.argv = cmd;
	sopts.host_uid = geteuid();
	sopts.host_gid = getegid();
	sopts.observe = true;
	sopts.message_prefix = "envlock: capture: ";
	if (el_sandbox_plan_new(&plan, &sopts) != EL_OK) {
		cli_error("capture: --observe: %s", el_error_last());
		free(python_abs);
		return false;
	}
	run.command = "capture";
	run.plan = plan;
	run.profile = profile;
	run.observe = true;
	status = exec_run_sandbox(&run);
	exec_run_release(&run);
	if (status != 0 || !run.observed) {
		if (status != 0)
			cli_error("capture: --observe: %s exited with status %d: no lock written", cmd[0], status);
		el_sandbox_objects_free(run.observed);
		run.observed = NULL;
	}
	*out = run.observed;
	el_sandbox_plan_free(plan);
	free(python_abs);
	return *out != NULL;
}

int cmd_capture(int argc, char **argv)
{
	el_capture_options opts = { .warn = cli_print_warning, .env = cli_environment() };
	const char *output = NULL, *profile_name = NULL;
	el_profile *profile = NULL;
	el_lock *lock = NULL;
	char *text = NULL;
	/* At most one --data per argument. */
	const char **data = calloc((size_t)argc, sizeof(*data));
	size_t len, data_count = 0;
	int c, status = CLI_EXIT_FAILURE;
	bool observe = false;
	el_sandbox_objects *objects = NULL;
	const char **observed = NULL;
	bool quiet = false;

	if (!data) {
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'q': quiet = true; break;
		case 'p': profile_name = optarg; break;
		case 'P': opts.python = optarg; break;
		case 'R': opts.root = optarg; break;
		case 'T': opts.trust_root = true; break;
		case 'O': observe = true; break;
		case 'D':
			if (!*optarg) {
				status = cli_usage_error("capture", "--data needs a path");
				goto done;
			}
			data[data_count++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_finish_stdout(CLI_EXIT_OK);
			goto done;
		case ':':
			status = cli_usage_error("capture", "option '%s' needs a value", argv[optind - 1]);
			goto done;
		default:
			status = cli_usage_error("capture", "%s", cli_unknown_option(argv, longopts));
			goto done;
		}
	}
	status = CLI_EXIT_USAGE;
	if (optind < argc && !observe) {
		status = cli_usage_error("capture", "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (observe && optind >= argc) {
		status = cli_usage_error("capture", "--observe needs a command (envlock capture --observe -- CMD [ARG]...)");
		goto done;
	}
	if (observe && opts.root) {
		status = cli_usage_error("capture", "--observe runs the command on this machine: not with --root");
		goto done;
	}
	if (output && !*output) {
		status = cli_usage_error("capture", "the output path is empty");
		goto done;
	}
	if (!cli_load_profile(&profile, profile_name, NULL))
		goto done;
	status = CLI_EXIT_FAILURE;
	opts.profile = profile;
	opts.data = data;
	opts.data_count = data_count;
	if (observe) {
		if (!observe_command(&objects, profile, opts.python, argv + optind))
			goto done;
		if (!(observed = calloc(objects->count + 1, sizeof(*observed)))) {
			cli_error("out of memory");
			goto done;
		}
		for (size_t i = 0; i < objects->count; i++)
			observed[i] = objects->items[i].path;
		opts.observed = observed;
		opts.observed_count = objects->count;
	}

	switch (cli_capture_shown(&lock, &opts, quiet)) {
	case EL_OK:
		break;
	case EL_ENOTFOUND:
	case EL_EINVAL:
		/* Something named on the command line is missing or unusable. */
		cli_error("%s", el_error_last());
		status = CLI_EXIT_USAGE;
		goto done;
	default:
		cli_error("capture failed: %s", el_error_last());
		goto done;
	}
	if (output) {
		if (el_lock_write_file(lock, output) != EL_OK) {
			cli_error("%s", el_error_last());
			goto done;
		}
		status = CLI_EXIT_OK;
		goto done;
	}
	if (el_lock_serialize(&text, &len, lock) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	fwrite(text, 1, len, stdout);
	status = cli_finish_stdout(CLI_EXIT_OK);
done:
	free(observed);
	el_sandbox_objects_free(objects);
	free(data);
	free(text);
	el_lock_free(lock);
	el_profile_free(profile);
	return status;
}
