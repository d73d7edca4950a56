#ifndef EL_CLI_CLI_H
#define EL_CLI_CLI_H

/*
 * The envlock command-line tool. It uses libenvlock's public headers only
 * and is the one place that turns library results into exit statuses.
 */

/* Exit statuses shared by capture, show and profiles (see README.md). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* a runtime failure */
	CLI_EXIT_USAGE = 2,   /* bad usage or bad input */
};

/* One command: cmd_<name>() gets argv with argv[0] = "<name>". */
int cmd_capture(int argc, char **argv);

/* "envlock: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage error every command gives: the message, then a pointer to --help. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flush stdout and report a failed write (a full disk, a closed pipe). */
int cli_finish_stdout(int status);

#endif
