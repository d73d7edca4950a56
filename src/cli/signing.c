/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signatures for check, exec and replay: what they require and trust,
 * and exec signing its run records (see signing.h).
 */
#include "cli/signing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/trust.h"

bool cli_signing_init(cli_signing *s, int argc)
{
	memset(s, 0, sizeof(*s));
	if (!(s->trust = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*s->trust)))) {
		cli_error("out of memory");
		return false;
	}
	return true;
}

void cli_signing_free(cli_signing *s)
{
	cli_trust_free(s->keys, s->key_count);
	free(s->trust);
	memset(s, 0, sizeof(*s));
}

bool cli_signing_option(cli_signing *s, int c, char *arg)
{
	switch (c) {
	case CLI_OPT_REQUIRE_SIGNED: s->require = true; return true;
	case CLI_OPT_TRUST: s->trust[s->trust_count++] = arg; return true;
	case CLI_OPT_KEY: s->key = arg; return true;
	case CLI_OPT_SIGN: s->sign = true; s->no_sign = false; return true;
	case CLI_OPT_NO_SIGN: s->no_sign = true; s->sign = false; return true;
	default: return false;
	}
}

void cli_signing_note_unnamed(const cli_signing *s, const el_profile *profile)
{
	if (s->policy || !(profile->require_signed || profile->trust_count))
		return;
	fprintf(stderr,
		"envlock: note: the profile %s says %s, but it was not given with --profile, and a lock cannot choose "
		"how it is judged: that counts only with --profile %s (or --require-signed)\n",
		profile->name, profile->require_signed ? "require-signed on" : "trust", profile->name);
}

bool cli_signing_required(const cli_signing *s)
{
	return s->require || (s->policy && s->policy->require_signed);
}

/* The --trust keys and the policy profile's, or the signing key's public half when there are none. */
static bool load_keys(cli_signing *s, const char *command)
{
	const el_profile *profile = s->policy;
	size_t n = s->trust_count + (profile ? profile->trust_count : 0);
	char **files = calloc(n ? n : 1, sizeof(*files));
	bool ok;

	if (!files) {
		cli_error("out of memory");
		return false;
	}
	for (size_t i = 0; i < s->trust_count; i++)
		files[i] = s->trust[i];
	for (size_t i = s->trust_count; i < n; i++)
		files[i] = profile->trust[i - s->trust_count];
	ok = cli_trust_load(&s->keys, &s->key_count, files, n, s->key, command);
	free(files);
	s->keys_loaded = ok;
	return ok;
}

bool cli_signing_verify(cli_signing *s, const char *command, const char *path, const void *text, size_t len,
			const char *type)
{
	char keyid[EL_KEYID_SIZE];

	if (!s->keys_loaded && !load_keys(s, command))
		return false;
	if (el_verify_file(path, text, len, type, s->keys, s->key_count, keyid) == EL_OK)
		return true;
	if (el_error_last_code() == EL_ENOTFOUND)
		cli_error("%s: %s, and %s", command, el_error_last(),
			  s->require ? "--require-signed refuses it" : "the profile requires signatures (require-signed on)");
	else
		cli_error("%s: %s", command, el_error_last());
	return false;
}

bool cli_signing_check_lock(cli_signing *s, const char *command, const char *path, const el_lock *lock)
{
	size_t len = 0;
	const char *text;

	if (!cli_signing_required(s))
		return true;
	text = el_lock_text(lock, &len);
	return text && cli_signing_verify(s, command, path, text, len, EL_DSSE_TYPE_LOCK);
}

char *cli_signing_record_key(const cli_signing *s, const el_profile *profile, const el_sandbox_plan *plan,
			     bool *failed)
{
	bool wanted = s->sign || profile->sign_records;
	char *path = s->key ? strdup(s->key) : el_key_default_path(), *real = NULL;
	const char *shown;
	el_key *key = NULL;
	int ret;

	*failed = false;
	if (s->no_sign || !path) {
		if (!s->no_sign && wanted) {
			cli_error("exec: no signing key: no home directory to find it in; name one with --key");
			*failed = true;
		}
		free(path);
		return NULL;
	}
	ret = el_key_load_private(&key, path);
	el_key_free(key);
	if (ret == EL_ENOTFOUND && !wanted && !s->key) {
		el_error_clear();
	} else if (ret == EL_ENOTFOUND) {
		cli_error("exec: no signing key at %s (make one with 'envlock key generate'%s)", path,
			  s->sign ? ", or leave out --sign" : "; the profile says sign-records on");
		*failed = true;
	} else if (ret != EL_OK) {
		cli_error("exec: %s", el_error_last());
		*failed = true;
	} else if (!(real = realpath(path, NULL))) {
		cli_error("exec: %s: %s", path, strerror(errno));
		*failed = true;
	} else if ((shown = el_sandbox_plan_shows(plan, real))) {
		cli_error("exec: the signing key %s lies in %s, which the sandbox shows: the command could read it; "
			  "keep it outside", path, shown);
		*failed = true;
	} else {
		free(real);
		return path;
	}
	free(real);
	free(path);
	return NULL;
}

bool cli_read_file(char **text, size_t *len, const char *path, size_t max, const char *command)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;

	*text = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		cli_error("%s: %s: %s", command, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		cli_error("%s: %s: %s", command, path, S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		goto fail;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		cli_error("out of memory");
		goto fail;
	}
	/* Read to the end: a file that grew meanwhile is refused rather than cut. */
	while ((n = read(fd, buf + got, (size_t)st.st_size + 1 - got)) > 0) {
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			cli_error("%s: %s: changed while it was read", command, path);
			goto fail;
		}
	}
	if (n < 0) {
		cli_error("%s: %s: %s", command, path, strerror(errno));
		goto fail;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return true;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return false;
}
