/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_DEST_H
#define EL_BUNDLE_DEST_H

/*
 * A new directory made the way el_unpack makes one: el__dest_open checks
 * that dir does not exist or is empty, and makes a directory beside it
 * (top, to fill); el__dest_close renames it to dir when ret is EL_OK, else
 * removes it, keeping ret's message; it returns ret, or the rename's error.
 */
typedef struct el__dest {
	const char *dir;
	int parent, top;
	char *base;
	char tmp[300];
} el__dest;

int el__dest_open(el__dest *d, const char *dir);
int el__dest_close(el__dest *d, int ret);

#endif
