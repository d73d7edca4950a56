/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/report.h"

extern char **environ;

const char *const *cli_environment(void)
{
	return (const char *const *)environ;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "capture", cmd_capture, "probe this machine and print its lock" },
	{ "check", cmd_check, "compare this machine with a lock and report drift" },
	{ "diff", cmd_diff, "compare two locks" },
	{ "show", cmd_show, "summarize a lock" },
	{ "exec", cmd_exec, "run a command in the sandbox, with the environment pinned" },
	{ "replay", cmd_replay, "run recorded runs again and compare their outputs bit for bit" },
	{ "key", cmd_key, "make the key pair that signs locks and run records, or print a key's id" },
	{ "sign", cmd_sign, "sign locks and run records (FILE.sig)" },
	{ "verify", cmd_verify, "check that a lock or run record is signed by a trusted key" },
	{ "profiles", cmd_profiles, "list the profiles envlock can find, and where" },
	{ "pack", cmd_pack, "pack a traced run into one file that carries it to another machine" },
	{ "unpack", cmd_unpack, "unpack a bundle or tar archive into a new directory, safely" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: envlock [--version] [--help] <command> [<args>]\n"
		"\n"
		"Lock the environment a training run depends on.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nSee 'envlock <command> --help' for a command's options.\n");
}

/* --format github: errors become workflow commands too (cli_errors_as_github). */
static bool errors_as_github;

void cli_errors_as_github(void)
{
	errors_as_github = true;
}

/* The error again, as an ::error on stdout (GitHub reads workflow commands there), escaped. */
static void github_error(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	fputs("::error title=envlock::", stdout);
	report_github_escaped(stdout, line, false);
	fputc('\n', stdout);
	fflush(stdout);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("envlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (errors_as_github) {
		va_start(ap, fmt);
		github_error(fmt, ap);
		va_end(ap);
	}
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "envlock %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'envlock %s --help'.\n", command);
	return CLI_EXIT_USAGE;
}

void cli_print_warning(void *data, const char *section, const char *message)
{
	fprintf(stderr, "envlock: warning: %s: %s\n", section, message);
}

bool cli_read_lock(el_lock **out, const char *path)
{
	int ret = el_lock_read_file(out, path);

	if (ret == EL_OK) {
		if (el_lock_note(*out))
			fprintf(stderr, "envlock: note: %s\n", el_lock_note(*out));
		return true;
	}
	if (ret == EL_ENOTFOUND)
		cli_error("%s: no such lock file (create one with 'envlock capture -o %s')", path, path);
	else
		cli_error("%s", el_error_last());
	return false;
}

bool cli_load_profile(el_profile **out, const char *named, const el_lock *lock)
{
	const char *name = named ? named : "default", *by_lock = NULL;

	if (!named && lock) {
		/*
		 * meta is not fingerprinted: anyone can edit it. A lock names a
		 * profile, never a file to read (which a parse error would quote).
		 */
		int ret = el_lock_profile_name(&by_lock, lock);

		if (ret == EL_EINVAL) {
			cli_error("the lock's meta.profile is not a profile name; choose the profile with --profile");
			return false;
		}
		el_error_clear();
		if (by_lock)
			name = by_lock;
	}
	if (el_profile_load(out, name) == EL_OK)
		return true;
	if (!named && by_lock)
		cli_error("%s (the profile the lock was captured with; choose one with --profile)", el_error_last());
	else
		cli_error("%s", el_error_last());
	return false;
}

const char *cli_bad_option(char **argv)
{
	static char short_opt[3] = "-?";

	if (optopt) {
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	return argv[optind - 1];
}

int cli_finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		return status == CLI_EXIT_OK ? CLI_EXIT_FAILURE : status;
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	/* The character set only: reports print "→" where the terminal takes UTF-8. */
	setlocale(LC_CTYPE, "");
	if (!name) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return cli_finish_stdout(CLI_EXIT_OK);
	}
	if (strcmp(name, "--version") == 0) {
		printf("envlock %s\n", EL_VERSION);
		return cli_finish_stdout(CLI_EXIT_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (name[0] == '-') {
		cli_error("unknown option '%s'. See 'envlock --help'.", name);
		return CLI_EXIT_USAGE;
	}
	{
		const char *names[sizeof(commands) / sizeof(commands[0])], *closest;

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			names[i] = commands[i].name;
		closest = cli_closest(name, names, sizeof(commands) / sizeof(commands[0]));
		if (closest)
			cli_error("'%s' is not an envlock command; did you mean '%s'? See 'envlock --help'.", name, closest);
		else
			cli_error("'%s' is not an envlock command. See 'envlock --help'.", name);
	}
	return CLI_EXIT_USAGE;
}
