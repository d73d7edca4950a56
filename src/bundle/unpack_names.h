/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_UNPACK_NAMES_H
#define EL_BUNDLE_UNPACK_NAMES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Entry names of an archive that may be hostile: their checks, and the set
 * of names unpacked so far (for duplicates and hard links).
 */

typedef enum {
	EL__NAME_OK,
	EL__NAME_TOP,      /* ".", "./": the top directory itself */
	EL__NAME_EMPTY,
	EL__NAME_ABSOLUTE,
	EL__NAME_DOTDOT,   /* a ".." component */
	EL__NAME_TOO_LONG, /* PATH_MAX or more */
	EL__NAME_NOMEM,
} el__name_status;

/*
 * The name as unpacked: "./" prefixes, "." components, repeated and
 * trailing slashes dropped ("./a//b/./c/" is "a/b/c"). *out (malloc'd) is
 * set only with EL__NAME_OK, else NULL.
 */
el__name_status el__name_normalize(char **out, const char *raw);

/*
 * A normalized name's last component (a pointer into name), and in *dir
 * (malloc'd; NULL when out of memory) what comes before it, "" at the top.
 */
const char *el__name_split(const char *name, char **dir);

/*
 * A path given by the user, trailing slashes dropped, as its directory
 * ("." when it has no slash) and its last name, both malloc'd.
 * EL_OK or EL_ENOMEM.
 */
int el__name_split_path(const char *path, char **dir, char **base);

/*
 * What a refusal of the entry name says, made printable (a hostile name or
 * link target may hold control characters): shown gets the name, reason
 * fmt's text. For the one-line messages of el_unpack and the bundle writer.
 */
void el__entry_refusal(char shown[256], char reason[600], const char *name, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/*
 * A symbolic link named name (normalized) with this target stays inside
 * the tree: an absolute target does (it names a path of the tree once the
 * tree is a root); a relative one must never climb above the top,
 * counting from the link's own directory.
 */
bool el__link_stays_inside(const char *name, const char *target);

typedef enum {
	EL__NAME_NONE, /* not in the set */
	EL__NAME_FILE,
	EL__NAME_DIR,
	EL__NAME_IMPLIED_DIR, /* made as a parent of another entry, with no entry of its own (yet) */
	EL__NAME_LINK,
} el__name_kind;

typedef struct el__name_set {
	struct el__name_slot *slots;
	size_t cap, count;
} el__name_set;

el__name_kind el__name_find(const el__name_set *set, const char *name);

/* Add name, or set its kind when it is there; EL_OK or EL_ENOMEM. */
int el__name_add(el__name_set *set, const char *name, el__name_kind kind);

void el__name_set_free(el__name_set *set);

#endif
