/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_STATE_WATCH_H
#define EL_STATE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * What a capture read of the machine, call by call: every path it looked
 * at (stat, open, a directory listed, a link read, access) with what the
 * call found, and every environment variable it asked for (of its own
 * environment, el__env_get(), or of the process's, getenv()). The libc
 * wrappers (wrap.c) fill the active watch; el__dep_holds() makes the same
 * call again and says whether it finds the same thing.
 *
 * A path's outcome is the identity of the object it named (device, inode,
 * size, mtime and ctime in nanoseconds, mode), taken before anything was
 * read from it, or the errno the call met. ctime moves on every write,
 * chmod, rename and link and cannot be set from user space, so the same
 * identity means the same bytes and the same metadata; a directory's
 * identity moves when an entry is added, removed or renamed in it, so it
 * stands for the listing too. What the identity cannot stand for (a file of
 * /proc or /sys, a program run, a library loaded) makes the watch unusable.
 */

/* How a dependency is looked at again. */
typedef enum el__dep_kind {
	EL__DEP_STAT,     /* stat(name): the identity, or the errno */
	EL__DEP_LSTAT,    /* lstat(name) */
	EL__DEP_NOLINKS,  /* name opened with no symbolic link on the way (openat2 RESOLVE_NO_SYMLINKS) */
	EL__DEP_ACCESS,   /* access(name, arg): 0 or the errno */
	EL__DEP_READLINK, /* readlink(name): the text, or the errno */
	EL__DEP_REALPATH, /* realpath(name): the text, or the errno */
	EL__DEP_GETENV,   /* getenv(name), the process's: the value, or unset (err ENOENT) */
	EL__DEP_ENV,      /* name in the capture's environment (el_capture_options.env), as getenv */
	EL__DEP_KINDS
} el__dep_kind;

typedef struct el__ident {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode, uid, gid;
} el__ident;

/*
 * A STAT or LSTAT dependency's arg when only the shape counted (a walk of
 * el__fs_shape_walk()): the same object (dev, ino) with the same type,
 * mode and owner; its content and times may move.
 */
#define EL__DEP_SHAPE 1


typedef struct el__dep {
	el__dep_kind kind;
	int arg;       /* ACCESS: the mode asked; READLINK: the buffer's size; STAT, LSTAT: EL__DEP_SHAPE or 0 */
	int err;       /* 0, or the errno the call met */
	char *name;    /* the path (absolute, or as given relative to the working directory), or the variable */
	char *text;    /* READLINK, REALPATH, ENV when err is 0 */
	el__ident id;  /* STAT, LSTAT, NOLINKS when err is 0 */
} el__dep;

typedef struct el__watch el__watch;

/*
 * A new, empty watch. Paths under skip_dir (the cache directory, whose
 * facts are checked by the identities of their own sources; NULL for none)
 * are not recorded. EL_OK or EL_ENOMEM.
 */
int el__watch_new(el__watch **out, const char *skip_dir);
void el__watch_free(el__watch *w);

/*
 * Record into w from now on, in every thread, until el__watch_end(w). One
 * watch at a time: one begun while another is active leaves both
 * unusable. The calls between begin and end are the capture's.
 */
void el__watch_begin(el__watch *w);
void el__watch_end(el__watch *w);

/*
 * Why w cannot stand for what it watched (static text), or NULL when it
 * can. An identity with an mtime or ctime in the last two seconds is not
 * trusted: a second change within the same tick of the kernel's clock
 * would leave it as it is.
 */
const char *el__watch_unusable(const el__watch *w);

/* Its dependencies, in the order first met. */
const el__dep *el__watch_deps(const el__watch *w, size_t *count);

/* The warnings the watched calls gave, "section\tmessage" each. */
const char *const *el__watch_warnings(const el__watch *w, size_t *count);

/* Whether the same call finds the same thing now (replay.c); env is the capture's environment. */
bool el__dep_holds(const el__dep *d, const char *const *env);

/* The identity in st. */
void el__ident_of(el__ident *id, const struct stat *st);

/* Whether b is the identity a, as a dependency with arg looks at it (all of it, or its shape). */
bool el__ident_same(int arg, const el__ident *a, const el__ident *b);

/*
 * The recording side, for wrap.c and the capture. el__watch_on() is true
 * when a watch is active and the calling thread is not recording already
 * (the recorder's own calls go through the same wrappers); the others are
 * no-ops otherwise. dirfd and path are as the call took them; kind is
 * EL__DEP_STAT when the call followed a final link, EL__DEP_LSTAT when it
 * did not, EL__DEP_NOLINKS when it followed none at all.
 */
bool el__watch_on(void);
/* A stat-like call's result: st on success, else err. */
void el__watch_stat(el__dep_kind kind, int dirfd, const char *path, int err, const struct stat *st);
/* A path opened as fd, before anything is read from it. */
void el__watch_opened(el__dep_kind kind, int dirfd, const char *path, int fd);
/* A path that could not be opened (err). */
void el__watch_failed(el__dep_kind kind, int dirfd, const char *path, int err);
/* A call whose result is text (READLINK, REALPATH) or a status (ACCESS, arg its mode). */
void el__watch_text(el__dep_kind kind, int arg, int dirfd, const char *path, int err, const char *text);
/* A variable asked for (EL__DEP_GETENV or EL__DEP_ENV), and its value or NULL. */
void el__watch_env(el__dep_kind kind, const char *name, const char *value);
void el__watch_warning(const char *section, const char *message);
/* Something a path's identity cannot stand for happened (why: static text). */
void el__watch_refuse(const char *why);

#endif
