/* SPDX-License-Identifier: Apache-2.0 */
/*
 * el_hashbench PATH CACHE_DIR THREADS: hash PATH as capture --data does
 * (CACHE_DIR "" for no digest cache, THREADS 0 for every core) and print
 * its address. The data path alone, without a capture's probes around it,
 * for tests/bench/data.sh to time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "envlock/data.h"
#include "envlock/error.h"

int main(int argc, char **argv)
{
	el_data_options opts = { 0 };
	el_data_tree *tree = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: el_hashbench PATH CACHE_DIR THREADS\n");
		return 2;
	}
	opts.cache_dir = argv[2];
	opts.threads = (unsigned)strtoul(argv[3], NULL, 10);
	if (el_data_hash(&tree, argv[1], &opts) != EL_OK) {
		fprintf(stderr, "el_hashbench: %s\n", el_error_last());
		return 1;
	}
	puts(tree->digest);
	el_data_tree_free(tree);
	return 0;
}
