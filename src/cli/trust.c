/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/trust.h"

void cli_trust_free(el_key **keys, size_t count)
{
	for (size_t i = 0; keys && i < count; i++)
		el_key_free(keys[i]);
	free(keys);
}

/*
 * The signing key's public half: its .pub first, so that verifying does
 * not need the secret (nor its strict mode), else the key file itself.
 * EL_ENOTFOUND when neither is there.
 */
static int load_own(el_key **out, const char *path)
{
	char *pub = NULL;
	int ret;

	if (asprintf(&pub, "%s.pub", path) < 0) {
		cli_error("out of memory");
		return EL_ENOMEM;
	}
	ret = el_key_load_public(out, pub);
	if (ret == EL_ENOTFOUND)
		ret = el_key_load_public(out, path);
	free(pub);
	return ret;
}

bool cli_trust_load(el_key ***keys, size_t *count, char *const *files, size_t nfiles, const char *key_path,
		    const char *command)
{
	char *default_path = NULL;
	el_key **list = calloc(nfiles ? nfiles : 1, sizeof(*list));
	int ret;

	*keys = NULL;
	*count = 0;
	if (!list) {
		cli_error("out of memory");
		return false;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (el_key_load_public(&list[i], files[i]) != EL_OK) {
			cli_error("%s", el_error_last());
			cli_trust_free(list, i);
			return false;
		}
	}
	if (nfiles) {
		*keys = list;
		*count = nfiles;
		return true;
	}
	if (!key_path)
		key_path = default_path = el_key_default_path();
	ret = key_path ? load_own(&list[0], key_path) : EL_ENOTFOUND;
	free(default_path);
	if (ret == EL_ENOTFOUND) {
		fprintf(stderr, "envlock %s: no trusted key: give --trust PUBKEY or make a signing key\n", command);
	} else if (ret != EL_OK) {
		if (ret != EL_ENOMEM)
			cli_error("%s", el_error_last());
	} else {
		*keys = list;
		*count = 1;
		return true;
	}
	free(list);
	return false;
}
