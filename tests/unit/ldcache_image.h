/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_TEST_LDCACHE_IMAGE_H
#define EL_TEST_LDCACHE_IMAGE_H

/*
 * Writes ld.so.cache images the way glibc's ldconfig lays them out, in this
 * machine's byte order, so tests can build valid caches and then corrupt
 * single fields (the offsets below) to check every refusal.
 */
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

#define LDI_OLD_HEADER 16
#define LDI_OLD_ENTRY 12
#define LDI_NEW_HEADER 48
#define LDI_NEW_ENTRY 24
#define LDI_NEW_NLIBS 20
#define LDI_NEW_LEN_STRINGS 24
#define LDI_NEW_FLAGS 28
#define LDI_ALIGN 8 /* a u64 in the new header, on the 64-bit ABIs the tests run on */

#define LDI_X8664 0x0303
#define LDI_I386 0x0003
#define LDI_AARCH64 0x0a03

enum ldi_format { LDI_NEW, LDI_OLD, LDI_BOTH };

struct ldi_entry {
	int32_t flags;
	const char *soname;
	const char *path;
	uint64_t hwcap;
};

static inline void ldi_put_u32(el__buf *b, size_t off, uint32_t v)
{
	memcpy(b->data + off, &v, sizeof(v));
}

static inline void ldi_add_u32(el__buf *b, uint32_t v)
{
	el__buf_add(b, &v, sizeof(v));
}

static inline void ldi_add_zeros(el__buf *b, size_t n)
{
	while (n--)
		el__buf_putc(b, '\0');
}

/* Offset of the new header in an image built with format fmt. */
static inline size_t ldi_new_offset(enum ldi_format fmt, const struct ldi_entry *e, size_t n)
{
	size_t old = LDI_OLD_HEADER;

	if (fmt != LDI_BOTH)
		return 0;
	for (size_t i = 0; i < n; i++)
		old += e[i].hwcap ? 0 : LDI_OLD_ENTRY;
	return (old + LDI_ALIGN - 1) & ~(size_t)(LDI_ALIGN - 1);
}

/*
 * The image for entries e[0..n) in out. The old part leaves out hwcap
 * entries, as ldconfig does; unlike recent ldconfig it does not pad the old
 * entry count to an even number, so LDI_BOTH with an odd count of baseline
 * entries exercises the alignment padding older caches have.
 */
static inline void ldi_build(el__buf *out, enum ldi_format fmt, const struct ldi_entry *e, size_t n)
{
	el__buf strings;
	size_t old_count = 0, old_size, new_off, new_size = LDI_NEW_HEADER + n * LDI_NEW_ENTRY;
	uint32_t old_base, new_base, off;

	el__buf_init(&strings);
	el__buf_reset(out);
	for (size_t i = 0; i < n; i++)
		old_count += e[i].hwcap ? 0 : 1;
	old_size = LDI_OLD_HEADER + old_count * LDI_OLD_ENTRY;
	new_off = ldi_new_offset(fmt, e, n);
	/* Old offsets count from the end of the old entries, new ones from the new header. */
	old_base = fmt == LDI_BOTH ? (uint32_t)(new_off - old_size + new_size) : 0;
	new_base = (uint32_t)new_size;

	if (fmt != LDI_NEW) {
		el__buf_add(out, "ld.so-1.7.0", 11);
		ldi_add_zeros(out, 1);
		ldi_add_u32(out, (uint32_t)old_count);
		off = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t key = off, value = off + (uint32_t)strlen(e[i].soname) + 1;

			off = value + (uint32_t)strlen(e[i].path) + 1;
			if (e[i].hwcap)
				continue;
			ldi_add_u32(out, (uint32_t)e[i].flags);
			ldi_add_u32(out, old_base + key);
			ldi_add_u32(out, old_base + value);
		}
		if (fmt == LDI_BOTH)
			ldi_add_zeros(out, new_off - out->len);
	}
	if (fmt != LDI_OLD) {
		size_t strings_len = 0;

		for (size_t i = 0; i < n; i++)
			strings_len += strlen(e[i].soname) + strlen(e[i].path) + 2;
		el__buf_add(out, "glibc-ld.so.cache1.1", 20);
		ldi_add_u32(out, (uint32_t)n);
		ldi_add_u32(out, (uint32_t)strings_len);
		el__buf_putc(out, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 3 : 2);
		ldi_add_zeros(out, 3 + 4 + 12);
		off = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t key = off, value = off + (uint32_t)strlen(e[i].soname) + 1;

			off = value + (uint32_t)strlen(e[i].path) + 1;
			ldi_add_u32(out, (uint32_t)e[i].flags);
			ldi_add_u32(out, new_base + key);
			ldi_add_u32(out, new_base + value);
			ldi_add_u32(out, 0);
			el__buf_add(out, &e[i].hwcap, sizeof(e[i].hwcap));
		}
	}
	for (size_t i = 0; i < n; i++) {
		el__buf_add(&strings, e[i].soname, strlen(e[i].soname) + 1);
		el__buf_add(&strings, e[i].path, strlen(e[i].path) + 1);
	}
	el__buf_add(out, strings.data, strings.len);
	el__buf_free(&strings);
}

#endif
