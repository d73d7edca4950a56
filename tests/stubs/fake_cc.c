/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in compiler binary (an ELF file, unlike a shell script) for the
 * toolchain tests: `<self> --version` prints the first line of <self>.version
 * and appends a line to <self>.count, so a test can tell whether it ran;
 * <self> is the real file, so that a link to it (cc -> gcc) answers the same.
 * The probe passes no variables but LC_ALL and PATH, hence files, not env.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 16], line[256] = "";
	FILE *f;

	if (argc != 2 || strcmp(argv[1], "--version") != 0 || !realpath(argv[0], self))
		return 2;
	snprintf(path, sizeof(path), "%s.count", self);
	if ((f = fopen(path, "a"))) {
		fputs("run\n", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s.version", self);
	if ((f = fopen(path, "r"))) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	fputs(line, stdout);
	return 0;
}
