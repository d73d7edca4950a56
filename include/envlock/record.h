/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_RECORD_H
#define ENVLOCK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <time.h>

#include "envlock/api.h"
#include "envlock/profile.h"

/*
 * A run record: what `envlock exec --record` writes about one run and what
 * `envlock replay` reads back. The file is an in-toto Statement v1 whose
 * subjects are the run's outputs and whose predicate is SLSA Provenance v1,
 * so that provenance tools can read it as well; src/record/record.c maps
 * every field below onto the document. A Statement needs a subject: when
 * no output has a digest, two stand-ins are the subjects, "envlock:lock"
 * (the lock's fingerprint; only with a lock) and "envlock:argv" (SHA-256 of
 * the argv words, each followed by a NUL byte), which the reader checks
 * against the lock and argv it reads. Every descriptor has a digest: the
 * byproducts (drift findings, the run) carry that of their annotations.
 *
 * Ownership: a record and everything it points to belong to whoever holds
 * the record. el_record_read() and el_record_parse() allocate every member
 * (strings and arrays with malloc, drift and sandbox as the setters below
 * make them), and el_record_free() releases all of them with the record
 * itself. A record built by hand may be given to el_record_free() only if
 * it was built the same way, starting from el_record_new(). The functions
 * that write a record only read it.
 */

/* 32 lowercase hex digits (128 random bits) + NUL. */
#define EL_RECORD_ID_SIZE 33

/* 64 lowercase hex digits + NUL. */
#define EL_RECORD_SHA256_SIZE 65

/* A pinned variable (name, value), or a data path and its "sha256:<hex>". */
typedef struct el_record_pair {
	char *name;
	char *value;
} el_record_pair;

/* A mount given on the command line. */
typedef struct el_record_mount {
	el_mount_kind kind;
	char *source; /* NULL for a tmpfs, and only for one */
	char *dest;
} el_record_mount;

/*
 * What the record keeps as the file has it, opaque: the drift findings
 * (el_record_set_drift()) and the sandbox settings
 * (el_record_set_sandbox(), el_record_sandbox_cwd()).
 */
typedef struct el_record_drift el_record_drift;
typedef struct el_record_sandbox el_record_sandbox;

/* An --output of the run. */
typedef struct el_record_output {
	char *path;                          /* as given to --output */
	char sha256[EL_RECORD_SHA256_SIZE];  /* lowercase hex; "" when it did not exist after the run */
} el_record_output;

typedef struct el_record {
	char **argv;               /* the command; argc >= 1 */
	size_t argc;
	char *workdir;             /* absolute host path of the working directory */
	char *lock_path;           /* as given; NULL: the run had no lock (--no-lock) */
	char *lock_fingerprint;    /* "sha256:<hex>" of that lock; NULL exactly when lock_path is */
	char *profile;             /* profile name */
	char *seed;                /* the --seed value; NULL when none */
	char *python;              /* the --python the run used; NULL: the lock's interpreter */
	el_severity on_drift;      /* what --on-drift said; el_record_new() sets refuse, exec's default */
	el_record_pair *env;       /* pinned variables, as set in the sandbox; names unique */
	size_t env_count;
	el_record_mount *mounts;   /* --bind/--ro-bind/--tmpfs, in command-line order */
	size_t mount_count;
	el_record_pair *data;      /* the lock's data section: path -> "sha256:<hex>" */
	size_t data_count;
	char *git_commit;          /* 40 (SHA-1) or 64 (SHA-256 repository) lowercase hex
				      digits, the gitCommit digest; NULL: not a git checkout */
	int git_dirty;             /* 1 dirty, 0 clean, -1 unknown (always -1 without git_commit) */
	el_record_drift *drift;    /* the findings (each with at least a path and a severity),
				      maybe none; NULL: no drift check was made */
	char *envlock_version;
	el_record_sandbox *sandbox; /* the sandbox settings (namespaces, net, hostname, cpus,
				      aslr, seccomp summary, cwd); NULL: not recorded */
	char invocation_id[EL_RECORD_ID_SIZE]; /* "" until known: see el_record_serialize() */
	struct timespec started;   /* CLOCK_REALTIME */
	struct timespec finished;
	int exit_status;           /* as envlock exec exits: the command's status, 128+N on
				      signal N, 125 when envlock refused; 0..255 */
	struct rusage usage;       /* RUSAGE_CHILDREN of the run; only ru_utime, ru_stime and
				      ru_maxrss are recorded */
	el_record_output *outputs; /* --output paths, in order; paths unique */
	size_t output_count;
	el_record_pair *observed;  /* the shared objects the run loaded (exec --record observes):
				      absolute host path -> "sha256:<hex>", sorted by path, paths
				      unique; none when not observed */
	size_t observed_count;
	bool traced;               /* exec --trace: observed holds every file the run opened or
				      executed, not only the shared objects it loaded */
	el_record_pair *links;     /* with traced: the symbolic links met on the way to an observed
				      file: absolute host path -> the link's text as read; sorted by
				      path, paths unique and none an observed object's */
	size_t link_count;
	el_record_pair *launcher;  /* where the launcher placed the run: under Slurm (srun), its
				      rank, node and devices, as srun set them (SLURM_PROCID,
				      SLURMD_NODENAME, CUDA_VISIBLE_DEVICES...), name -> value,
				      sorted by name; none outside a launcher */
	size_t launcher_count;
} el_record;

/*
 * A new, empty record (every pointer NULL, git_dirty -1, on_drift refuse) for the caller to
 * fill with malloc'd members and release with el_record_free(). NULL when
 * out of memory.
 */
EL_API el_record *el_record_new(void);

/*
 * The drift the run's check found: the verdict's findings, as check
 * --format json lists them (path, section, change, severity, old, new),
 * replace record->drift.
 */
struct el_verdict;
EL_API int el_record_set_drift(el_record *record, const struct el_verdict *verdict);

/* The settings of the sandbox plan the run had replace record->sandbox. */
struct el_sandbox_plan;
EL_API int el_record_set_sandbox(el_record *record, const struct el_sandbox_plan *plan);

/*
 * How many of the drift findings the record holds have this severity;
 * -1 when the run made no drift check (exec --no-lock, --no-check).
 */
EL_API long el_record_drift_count(const el_record *record, el_severity severity);

/*
 * The directory inside the sandbox the command started in (sandbox.cwd),
 * borrowed from the record: EL_ENOTFOUND (*cwd NULL) when the record does
 * not say, EL_EINVAL (*cwd NULL) when what it says is not a string.
 */
EL_API int el_record_sandbox_cwd(const char **cwd, const el_record *record);

/*
 * The record as its file holds it: UTF-8 JSON, keys sorted, two-space
 * indent, a newline at the end (as locks are written). When
 * record->invocation_id is "", the document gets a fresh random one (the
 * record itself is left as it is, so two calls give two ids). The document
 * is checked as el_record_parse() checks a file, so nothing written is
 * refused when read back: EL_EINVAL, with a message that starts "run
 * record: " and names the field, for a record that could not be read
 * back as it is (a required member NULL, text that is not UTF-8, a
 * malformed digest or time, an on_drift or mount kind outside its enum, a
 * repeated variable or output, git_dirty known without git_commit...).
 * *text is NUL-terminated and freed by the caller with free(); *len (may
 * be NULL) excludes the NUL.
 */
EL_API int el_record_serialize(char **text, size_t *len, const el_record *record);

/*
 * Write the record durably and atomically (the file and its directory are
 * fsync'd). path names either
 *  - an existing directory: a new file run-YYYYMMDDTHHMMSSZ-XXXXXXXX.json is
 *    made in it (the start time in UTC, 8 random hex digits); an existing
 *    file is never replaced, another random name is taken instead;
 *  - or a file to create or replace: a temporary file in the same directory
 *    is renamed over it, so a symlink planted at path is replaced, never
 *    followed; a path.sig beside it, which signed what it replaced, is
 *    removed.
 * A final symlink is never followed, even one that points to a directory:
 * write "DIR/" (a trailing slash) to write into the directory a link names.
 * On success *written (when not NULL) receives the path of the file written,
 * malloc'd for the caller to free(). On failure nothing is left behind, an
 * existing file at path is untouched and *written is NULL.
 */
EL_API int el_record_write(const el_record *record, const char *path, char **written);

/*
 * The same into the directory dirfd stands for, opened beforehand by a
 * caller who must not let the path be re-resolved later (exec opens it
 * before the command runs, and the command may write there): name is the
 * file to create or replace, or NULL for a new run-....json in it. display
 * names the target in messages and in *written.
 */
EL_API int el_record_write_at(const el_record *record, int dirfd, const char *name, const char *display,
			      char **written);

/*
 * As el_record_write_at(), and signed with key (a private key, sign.h):
 * NAME.sig beside the record is the DSSE envelope of the record's exact
 * bytes, written and renamed into place after the record itself, the
 * directory fsync'd once for both. A failure after the record is in
 * place leaves it there, unsigned (*written is set): it reads as unsigned,
 * never as signed.
 */
struct el_key;
EL_API int el_record_write_signed_at(const el_record *record, const struct el_key *key, int dirfd, const char *name,
				     const char *display, char **written);

/*
 * Read a record back: the text must be JSON (duplicate keys refused) of
 * exactly the shape el_record_serialize() writes. Anything else is EL_EINVAL
 * with one line "DISPLAY: what is wrong", naming the member where there is
 * one, for example:
 *   run.json:3:7: invalid JSON: ...
 *   run.json: not an in-toto Statement v1 (_type is "https://in-toto.io/Statement/v0.1")
 *   run.json: predicate.buildDefinition.externalParameters.argv: missing
 *   run.json: subject[1].digest.sha256: not 64 lowercase hex digits
 *   run.json: subject[1]: not the sha256 of predicate.buildDefinition.externalParameters.argv (each word followed by a NUL byte)
 *   run.json: predicate.runDetails.byproducts[1].digest.sha256: not the sha256 of the annotations (keys sorted, no whitespace)
 * Records written before stand-in subjects and byproduct digests (an empty
 * subject, byproducts of name and annotations only) are read as well.
 * On success *out is a new record for the caller to el_record_free(); env
 * comes back in strcmp order of the names, everything else in the order
 * it was written.
 */
EL_API int el_record_parse(el_record **out, const char *text, size_t len, const char *display);

/*
 * The same for a file, named by its path in messages. A missing file is
 * EL_ENOTFOUND; a file larger than 16 MiB or anything but a regular file is
 * EL_EINVAL.
 */
EL_API int el_record_read(el_record **out, const char *path);

/*
 * Whether path can name a run's output: relative to the working directory
 * and inside it, with no empty, "." or ".." name and no trailing slash.
 * exec refuses other --output paths, and replay other records.
 */
EL_API bool el_record_output_path_valid(const char *path);

/*
 * A Slurm step's job record (srun --envlock-record DIR writes
 * DIR/job-J.S.json when the step ends): where each rank ran and its run
 * record, each node's capture, the lock the nodes were judged by.
 * Paths are the job record's directory joined with the plain file names
 * it holds.
 */
typedef struct el_job_rank {
	long rank;
	char *node;        /* SLURMD_NODENAME; NULL when the record did not say */
	char *record;      /* the rank's run record */
	int exit_status;
} el_job_rank;

typedef struct el_job_node {
	char *name;
	char *capture;     /* its check's capture (a lock); NULL when it saved none */
	char *fingerprint; /* that capture's; NULL with it */
	long drift_refused;
} el_job_node;

typedef struct el_job_record {
	char *job, *step;  /* Slurm's ids, digits */
	long tasks;
	char *lock_path;   /* the lock the nodes were judged by, as given; NULL: none */
	char *lock_fingerprint;
	char *profile;     /* NULL with lock_path */
	el_job_rank *ranks; /* the ranks that left a record, by rank */
	size_t rank_count;
	el_job_node *nodes; /* by name */
	size_t node_count;
	bool nodes_alike;
	bool agree;
} el_job_record;

/*
 * Read a job record. It must have the shape the plugin writes; a rank's
 * record or a node's capture named by anything but a plain file name
 * (no "/", not "." or "..") is refused, as is a rank listed twice or out
 * of order. EL_ENOTFOUND for a missing file, EL_EINVAL otherwise, with
 * a message naming the file and the member. On success *out is for
 * el_job_record_free().
 */
EL_API int el_job_record_read(el_job_record **out, const char *path);

/* The same for text read from path (named in messages; its directory holds what the record names). */
EL_API int el_job_record_parse(el_job_record **out, const char *text, size_t len, const char *path);

/* The node called name, or NULL. */
EL_API const el_job_node *el_job_record_node(const el_job_record *job, const char *name);

EL_API void el_job_record_free(el_job_record *job);

/* Release the record and everything it points to; accepts NULL. */
EL_API void el_record_free(el_record *record);

#endif
