#ifndef EL_CLI_SIGNING_H
#define EL_CLI_SIGNING_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/envlock.h"
#include "envlock/sign.h"

/*
 * Signatures as check, exec and replay use them: --require-signed (or the
 * profile's "require-signed on") makes them refuse a lock or record that
 * no trusted key signed; the trusted keys are each --trust and the
 * profile's "trust" keys, or, when there are none, the public half of the
 * signing key (--key, else $ENVLOCK_KEY, else the default in the user's
 * config directory). exec also signs the records it writes.
 */
typedef struct cli_signing {
	bool require;        /* --require-signed */
	bool sign, no_sign;  /* exec: --sign, --no-sign */
	const char *key;     /* --key FILE */
	char **trust;        /* --trust FILE, in order */
	size_t trust_count;
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
	"                         none, and none in the profile, the signing key's)\n" \
	"      --key FILE         the signing key (default: $ENVLOCK_KEY, else\n" \
	"                         ~/.config/envlock/signing-key.pem)\n"

/* Take option c (one of the above) with its argument; false for another option. */
bool cli_signing_option(cli_signing *s, int c, char *arg);

/* Room for argc --trust options; false when out of memory (said). */
bool cli_signing_init(cli_signing *s, int argc);
void cli_signing_free(cli_signing *s);

/* Whether signatures are required: --require-signed, or the profile's require-signed on. */
bool cli_signing_required(const cli_signing *s, const el_profile *profile);

/*
 * Check that path + ".sig" is a signature by a trusted key over exactly
 * text (the bytes the caller read and goes on to use), of payload type
 * type. Prints one line "envlock: COMMAND: ..." naming the file and the
 * key id and returns false when not; the caller exits 2 (check, replay)
 * or 125 (exec).
 */
bool cli_signing_verify(cli_signing *s, const el_profile *profile, const char *command, const char *path,
			const void *text, size_t len, const char *type);

/*
 * When signatures are required, verify the lock read from path over the
 * bytes it was read from; as cli_signing_verify(). True when not required.
 */
bool cli_signing_check_lock(cli_signing *s, const el_profile *profile, const char *command, const char *path,
			    const el_lock *lock);

/*
 * exec: the key that signs the run record, or NULL for none, decided
 * before the run: --no-sign: none; --sign or the profile's sign-records
 * on: the signing key, and an error when there is none; else the signing
 * key when there is one. A key inside what the sandbox shows (the working
 * directory, a bind) is refused: the command could read it. *failed is
 * set when an error was printed (exit 125).
 */
el_key *cli_signing_record_key(const cli_signing *s, const el_profile *profile, const char *workdir,
			       const el_mount *mounts, size_t mount_count, bool *failed);

/* Read a whole regular file of at most max bytes, NUL-terminated, for free(); prints the error. */
bool cli_read_file(char **text, size_t *len, const char *path, size_t max, const char *command);

#endif
