/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_SIGNING_H
#define EL_CLI_SIGNING_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/envlock.h"
#include "envlock/sandbox.h"
#include "envlock/sign.h"

/*
 * Signatures as check, exec and replay use them: --require-signed makes
 * them refuse a lock or record that no trusted key signed; the trusted
 * keys are each --trust, or, when there are none, the public half of the
 * signing key (--key, else $ENVLOCK_KEY, else the default in the user's
 * config directory). A profile's "require-signed on" and "trust" count
 * only when the user named that profile (--profile): a profile chosen by
 * the lock or record being judged (meta.profile) must not choose how it
 * is judged. exec also signs the records it writes.
 */
typedef struct cli_signing {
	bool require;        /* --require-signed */
	bool sign, no_sign;  /* exec: --sign, --no-sign */
	const char *key;     /* --key FILE */
	char **trust;        /* --trust FILE, in order */
	size_t trust_count;
	const el_profile *policy; /* the profile named with --profile, or NULL */
	/* loaded by cli_signing_verify(), once */
	el_key **keys;
	size_t key_count;
	bool keys_loaded;
} cli_signing;

/* getopt_long values of the options, for the commands' option tables. */
enum {
	CLI_OPT_REQUIRE_SIGNED = 0x1000,
	CLI_OPT_TRUST,
	CLI_OPT_KEY,
	CLI_OPT_SIGN,
	CLI_OPT_NO_SIGN,
};

/* The options' help, as check, exec and replay print it. */
#define CLI_SIGNING_HELP \
	"      --require-signed   refuse a lock (or record) no trusted key signed\n" \
	"      --trust PUBKEY     trust this public key's signatures (repeatable; with\n" \
	"                         none, and none in a --profile, the signing key's)\n" \
	"      --key FILE         the signing key (default: $ENVLOCK_KEY, else\n" \
	"                         ~/.config/envlock/signing-key.pem)\n"

/* Take option c (one of the above) with its argument; false for another option. */
bool cli_signing_option(cli_signing *s, int c, char *arg);

/* Room for argc --trust options; false when out of memory (said). */
bool cli_signing_init(cli_signing *s, int argc);
void cli_signing_free(cli_signing *s);

/*
 * A note when the profile in use says require-signed or trust but was
 * named by the lock, not the user: it does not count, and the user should
 * know rather than believe the lock was checked.
 */
void cli_signing_note_unnamed(const cli_signing *s, const el_profile *profile);

/* Whether signatures are required: --require-signed, or require-signed on in the policy profile. */
bool cli_signing_required(const cli_signing *s);

/*
 * Check that path + ".sig" is a signature by a trusted key over exactly
 * text (the bytes the caller read and goes on to use), of payload type
 * type. Prints one line "envlock: COMMAND: ..." naming the file and the
 * key id and returns false when not; the caller exits 2 (check, replay)
 * or 125 (exec).
 */
bool cli_signing_verify(cli_signing *s, const char *command, const char *path, const void *text, size_t len,
			const char *type);

/*
 * When signatures are required, verify the lock read from path over the
 * bytes it was read from; as cli_signing_verify(). True when not required.
 */
bool cli_signing_check_lock(cli_signing *s, const char *command, const char *path, const el_lock *lock);

/*
 * exec: the file of the key that is to sign the run record, or NULL for
 * none (for free()), decided before the run: --no-sign: none; --sign or
 * the profile's sign-records on: the signing key, and an error when there
 * is none; else the signing key when there is one. The key is read once
 * here (a bad key stops the run before it starts) and let go: the caller
 * reads it again to sign, after the run, so that no secret is in the
 * memory of the process the sandbox forks. A key the sandbox would show
 * (the plan binds a directory that holds it) is refused. *failed is set
 * when an error was printed (exit 125).
 */
char *cli_signing_record_key(const cli_signing *s, const el_profile *profile, const el_sandbox_plan *plan,
			     bool *failed);

/* Read a whole regular file of at most max bytes, NUL-terminated, for free(); prints the error. */
bool cli_read_file(char **text, size_t *len, const char *path, size_t max, const char *command);

#endif
