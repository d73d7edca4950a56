/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for unpacking: whatever the bytes, el__unpack_into
 * either unpacks them or refuses them with one line naming the archive,
 * and nothing appears outside the directory it was given (its parent
 * holds that directory alone afterwards). Limits are small so that each
 * input costs little.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/unpack.h"
#include "envlock/error.h"
#include "util/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parent = -1;

/* The parent's entries: "t" alone. */
static void check_contained(void)
{
	int copy = dup(parent);
	DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && strcmp(e->d_name, "t") != 0)
			abort();
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el__unpack_options opts = { .limits = { .max_bytes = 8u << 20, .max_entries = 2000, .max_ratio = 200 } };
	int fd = memfd_create("fuzz.tar", MFD_CLOEXEC), top, ret;

	if (parent < 0) {
		char path[] = "/tmp/envlock-fuzz-unpack.XXXXXX";

		if (!mkdtemp(path) || (parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			abort();
	}
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (mkdirat(parent, "t", 0700) != 0 || (top = openat(parent, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	ret = el__unpack_into("fuzz.tar", fd, top, &opts);
	if (ret != EL_OK) {
		if (ret != EL_EINVAL && ret != EL_ENOMEM && ret != EL_ERROR)
			abort();
		if (strncmp(el_error_last(), "fuzz.tar:", 9) != 0 || strchr(el_error_last(), '\n'))
			abort();
	}
	check_contained();
	close(top);
	close(fd);
	if (el__tree_remove(parent, "t") != EL_OK)
		abort();
	return 0;
}
