#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "capture", cmd_capture, "probe this machine and print its lock" },
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

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("envlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
	if (name[0] == '-')
		cli_error("unknown option '%s'. See 'envlock --help'.", name);
	else
		cli_error("'%s' is not an envlock command. See 'envlock --help'.", name);
	return CLI_EXIT_USAGE;
}
