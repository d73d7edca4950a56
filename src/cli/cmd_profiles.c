/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

static const char usage_text[] =
	"usage: envlock profiles\n"
	"\n"
	"List the profiles envlock can find by name, and where. Where two places\n"
	"hold a profile of the same name, the first one in the lookup order wins.\n"
	"\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 ok, 1 runtime failure, 2 bad usage.\n";

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_profiles(int argc, char **argv)
{
	el_profile_entry *entries = NULL;
	char **dirs = NULL;
	size_t count = 0;
	int c, width = 4;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			return cli_usage_error("profiles", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (optind < argc)
		return cli_usage_error("profiles", "unexpected argument '%s'", argv[optind]);
	if (el_profile_list(&entries, &count) != EL_OK || el_profile_search_path(&dirs) != EL_OK) {
		cli_error("%s", el_error_last());
		el_profile_entries_free(entries, count);
		return CLI_EXIT_FAILURE;
	}
	for (size_t i = 0; i < count; i++)
		if ((int)strlen(entries[i].name) > width)
			width = (int)strlen(entries[i].name);
	for (size_t i = 0; i < count; i++) {
		if (entries[i].shadowed_by)
			printf("%-*s  %s (shadowed)\n", width, "", entries[i].source);
		else
			printf("%-*s  %s\n", width, entries[i].name, entries[i].source);
	}
	printf("\nLooked up in this order:");
	for (char **d = dirs; *d; d++)
		printf("\n  %s", *d);
	printf("\n  %s\n", "(built in)");
	el_profile_entries_free(entries, count);
	el_profile_search_path_free(dirs);
	return cli_finish_stdout(CLI_EXIT_OK);
}
