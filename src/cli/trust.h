/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_TRUST_H
#define EL_CLI_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/sign.h"

/*
 * The keys a command trusts to sign locks and run records: each of files
 * (public or private key files, as --trust names them), or else the
 * public half of the signing key (key_path, else el_key_default_path():
 * its ".pub" when there is one, else the key file itself). *keys gets
 * *count keys, for cli_trust_free(). Prints the error, naming command
 * where the user must act; false is bad input (exit 2).
 */
bool cli_trust_load(el_key ***keys, size_t *count, char *const *files, size_t nfiles, const char *key_path,
		    const char *command);

void cli_trust_free(el_key **keys, size_t count);

#endif
