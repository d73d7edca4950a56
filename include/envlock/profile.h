/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_PROFILE_H
#define ENVLOCK_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/api.h"
#include "envlock/lock.h"

/*
 * Profiles: plain text, one directive a line, that say which variables a
 * run is pinned to, how much drift from the lock is tolerated and how the
 * sandbox is set up. profiles/README.md documents the format.
 *
 * A profile is found by name in $XDG_CONFIG_HOME/envlock/profiles (else
 * ~/.config/envlock/profiles), /etc/envlock/profiles, the installed data
 * directory, then the copies built into envlock; or it is given as a path
 * (anything with a '/').
 */

typedef enum el_severity {
	EL_SEVERITY_IGNORE,
	EL_SEVERITY_WARN,
	EL_SEVERITY_REFUSE,
} el_severity;

typedef enum el_net {
	EL_NET_HOST, /* the host's network namespace */
	EL_NET_NONE, /* a new one with loopback only */
} el_net;

typedef enum el_gpu_mode {
	EL_GPU_AUTO,    /* pass the GPU device nodes through when present */
	EL_GPU_NONE,    /* never */
	EL_GPU_REQUIRE, /* and refuse to run without them */
} el_gpu_mode;

typedef enum el_mount_kind {
	EL_MOUNT_BIND,    /* writable bind of source at dest */
	EL_MOUNT_RO_BIND, /* read-only bind */
	EL_MOUNT_TMPFS,   /* an empty tmpfs at dest; source is NULL */
} el_mount_kind;

/* The largest count "threads N" and a lock's "threads" take. */
#define EL_THREADS_MAX 4096

typedef struct el_pin {
	char *name;
	char *value;
} el_pin;

typedef struct el_mount {
	el_mount_kind kind;
	char *source;
	char *dest;
	char *origin; /* "FILE:LINE" of the profile line, for messages; NULL on the command line */
} el_mount;

typedef struct el_drift_rule {
	el_severity severity;
	char *pattern; /* a leaf path where '*' and '?' match within a key, "**" any number of keys */
	char *origin;  /* "FILE:LINE" that set it, for messages */
} el_drift_rule;

/*
 * A profile with its includes applied, in the order they were read: a
 * later setenv of the same name replaces an earlier one, drift rules keep
 * their order (the last that matches wins). Read-only for callers.
 */
typedef struct el_profile {
	char *name;   /* "default", or the path it was given as */
	char *source; /* the file it was read from, or "(built in)" */

	el_pin *pins; /* setenv: pinned in the sandbox and locked in env, sorted by name */
	size_t pin_count;
	char **keepenv; /* variables passed through from the host, never locked */
	size_t keepenv_count;
	el_drift_rule *rules;
	size_t rule_count;

	el_net net;
	char **data;      /* data PATH: hashed into the lock's data section, in order (relative: to the working directory) */
	size_t data_count;
	el_mount *mounts; /* in order */
	size_t mount_count;
	char **seccomp_deny; /* syscall names, sorted, on top of the built-in set */
	size_t seccomp_deny_count;
	char **seccomp_allow; /* taken out of the built-in set */
	size_t seccomp_allow_count;
	el_gpu_mode gpu;
	char *hostname;   /* NULL: envlock's default */
	unsigned cpus;    /* 0: all the CPUs envlock may use */
	unsigned threads; /* "threads N": the thread pools' size; 0 ("threads auto", the default): the CPUs a run may use */
	unsigned uid;     /* the user ID the command sees inside the sandbox ("uid N"), default 1000 */
	unsigned gid;     /* the group ID it sees there ("gid N"), default 1000 */
	bool aslr;        /* true unless "aslr off" */
	bool python_seed; /* "python-seed on" */
	bool require_clean_tree; /* "require clean-tree": see el_profile_unmet() */
	bool sign_records;   /* "sign-records on": exec --record signs the record (as --sign) */
	bool require_signed; /* "require-signed on": check, exec and replay refuse what no trusted key signed */
	char **trust;        /* "trust PUBKEY...": public key files, absolute, in order */
	size_t trust_count;
	/*
	 * The profile's text with each include replaced by a comment and the
	 * included text (includes are read in place): it parses to this profile
	 * without the files it came from, which is what a bundle carries.
	 */
	char *resolved_text;
} el_profile;

/*
 * Load the profile called name_or_path with its includes. EL_ENOTFOUND when
 * no such profile exists; EL_EINVAL for a bad file, with el_error_last()
 * as "FILE:LINE: what is wrong". On success *out is for el_profile_free().
 */
EL_API int el_profile_load(el_profile **out, const char *name_or_path);

/*
 * Parse text as a profile read from file (used in messages and to resolve
 * a relative include). Includes by name are looked up as in
 * el_profile_load().
 */
EL_API int el_profile_parse(el_profile **out, const char *name, const char *file, const char *text, size_t len);

EL_API void el_profile_free(el_profile *profile);

/*
 * The variables "threads" pins to the thread count, in the order envlock
 * show names them: OpenMP's (PyTorch's intra-op pool follows it), oneMKL's
 * and OpenBLAS's. A setenv or keepenv of one of them in the profile wins.
 */
typedef struct el_thread_var {
	const char *name;  /* "OMP_NUM_THREADS" */
	const char *label; /* "OMP" */
} el_thread_var;

EL_API extern const el_thread_var el_thread_vars[];
EL_API extern const size_t el_thread_var_count;

/* Whether the profile leaves name to "threads": no setenv or keepenv of it. */
EL_API bool el_profile_threads_pin(const el_profile *profile, const char *name);

/* The severity the profile gives drift at a leaf path; refuse where no rule matches. */
EL_API el_severity el_profile_severity(const el_profile *profile, const char *path);

/*
 * The profile's requirements on the run ("require clean-tree") against the
 * capture of this machine now (its meta.code). *why is NULL when they are
 * met, else one line saying what is not, for the caller to free().
 */
EL_API int el_profile_unmet(char **why, const el_profile *profile, const el_lock *now);

/* Whether a drift pattern matches path (exposed for tests). */
EL_API bool el_drift_pattern_match(const char *pattern, const char *path);

/* Whether name can name a profile in the lookup: letters, digits, '_' and '-', at most 64. */
EL_API bool el_profile_name_valid(const char *name);

/*
 * The one name table of each vocabulary, for the profile parser, the
 * command line and the run record alike: "refuse", "warn", "ignore";
 * "bind", "ro-bind", "tmpfs". A name is NULL for a value outside the enum;
 * parsing anything else is EL_EINVAL ("'X' is not refuse, warn or ignore").
 */
EL_API const char *el_severity_name(el_severity severity);
EL_API int el_severity_parse(el_severity *out, const char *name);
EL_API const char *el_mount_kind_name(el_mount_kind kind);
EL_API int el_mount_kind_parse(el_mount_kind *out, const char *name);

/* One profile that the lookup can find. */
typedef struct el_profile_entry {
	char *name;
	char *source;      /* the file, or "(built in)" */
	char *shadowed_by; /* the source that wins over it for this name, or NULL */
} el_profile_entry;

/*
 * Every profile the lookup can find, sorted by name and then by lookup
 * order. *out is for el_profile_entries_free().
 */
EL_API int el_profile_list(el_profile_entry **out, size_t *count);
EL_API void el_profile_entries_free(el_profile_entry *entries, size_t count);

/* The directories searched, in order, NULL-terminated; for messages and `envlock profiles`. */
EL_API int el_profile_search_path(char ***dirs);
EL_API void el_profile_search_path_free(char **dirs);

#endif
