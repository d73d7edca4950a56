/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/python/pyversion.h"

#include <string.h>
#include <strings.h>

void el__pep503_normalize(el__buf *out, const char *name)
{
	bool in_run = false;

	el__buf_reset(out);
	for (const char *p = name; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			if (!in_run)
				el__buf_putc(out, '-');
			in_run = true;
			continue;
		}
		in_run = false;
		el__buf_putc(out, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
	}
}

/*
 * PEP 440 as packaging 21.3 matches it:
 *
 *   \s* v? (N!)? N(.N)* (pre)? (post)? (dev)? (+local)? \s*
 *
 * case-insensitively. Each optional part is tried at the cursor, greedily,
 * and the cursor moves only when the part matched. The regular expression's
 * backtracking never finds another answer, because what a part consumes (a
 * trailing separator, its digits) cannot start the parts after it; a
 * quarter of a million generated strings agree with packaging itself.
 */
typedef struct span {
	const char *s;
	size_t len;
} span;

typedef struct pep440 {
	span epoch;
	span release;      /* digits and dots */
	const char *pre_l; /* normalized letter, NULL when no pre-release */
	span pre_n;
	bool post;
	span post_n;
	bool dev;
	span dev_n;
	span local;
} pep440;

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Bytes of one character Python's \s matches at s (str.isspace()), or 0. */
static size_t space_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if ((u[0] >= 0x09 && u[0] <= 0x0d) || (u[0] >= 0x1c && u[0] <= 0x20))
		return 1;
	if (u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

static const char *skip_space(const char *p)
{
	size_t n;

	while ((n = space_len(p)))
		p += n;
	return p;
}

static span digits(const char *p)
{
	span d = { p, 0 };

	while (is_digit(p[d.len]))
		d.len++;
	return d;
}

/* Match one of words (longest first) at p, case-insensitively; its index or -1. */
static int word(const char *p, const char *const *words, size_t *len)
{
	for (int i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);

		if (strncasecmp(p, words[i], n) == 0) {
			*len = n;
			return i;
		}
	}
	return -1;
}

/*
 * [-_.]? WORD [-_.]? N? at *p. On a match *p moves past it, *which is the
 * word's index and n the number (len 0 when absent).
 */
static bool lettered(const char **p, const char *const *words, int *which, span *n)
{
	const char *q = *p;
	size_t len;

	if (is_sep(*q))
		q++;
	*which = word(q, words, &len);
	if (*which < 0)
		return false;
	q += len;
	if (is_sep(*q))
		q++;
	*n = digits(q);
	*p = q + n->len;
	return true;
}

static const char *const pre_words[] = { "preview", "alpha", "beta", "pre", "rc", "a", "b", "c", NULL };
static const char *const pre_norm[] = { "rc", "a", "b", "rc", "rc", "a", "b", "rc" };
static const char *const post_words[] = { "post", "rev", "r", NULL };
static const char *const dev_words[] = { "dev", NULL };

static void parse_post(const char **p, pep440 *v)
{
	int which;

	if ((*p)[0] == '-' && is_digit((*p)[1])) {
		v->post = true;
		v->post_n = digits(*p + 1);
		*p += 1 + v->post_n.len;
		return;
	}
	v->post = lettered(p, post_words, &which, &v->post_n);
}

static void parse_local(const char **p, pep440 *v)
{
	const char *q = *p + 1;

	if (**p != '+' || !is_alnum(*q))
		return;
	for (;;) {
		while (is_alnum(*q))
			q++;
		if (!is_sep(*q) || !is_alnum(q[1]))
			break;
		q++;
	}
	v->local = (span){ *p + 1, (size_t)(q - *p - 1) };
	*p = q;
}

static bool parse(pep440 *v, const char *s)
{
	const char *p = skip_space(s);
	span d;
	int which;

	memset(v, 0, sizeof(*v));
	if (*p == 'v' || *p == 'V')
		p++;
	d = digits(p);
	if (d.len && p[d.len] == '!') {
		v->epoch = d;
		p += d.len + 1;
	}
	d = digits(p);
	if (!d.len)
		return false;
	p += d.len;
	while (p[0] == '.' && is_digit(p[1]))
		p += 1 + digits(p + 1).len;
	v->release = (span){ d.s, (size_t)(p - d.s) };
	if (lettered(&p, pre_words, &which, &v->pre_n))
		v->pre_l = pre_norm[which];
	parse_post(&p, v);
	v->dev = lettered(&p, dev_words, &which, &v->dev_n);
	parse_local(&p, v);
	return *skip_space(p) == '\0';
}

/* A number as Python's int() prints it: no leading zeros, "0" when empty. */
static void put_int(el__buf *out, span n)
{
	while (n.len > 1 && n.s[0] == '0') {
		n.s++;
		n.len--;
	}
	if (n.len)
		el__buf_add(out, n.s, n.len);
	else
		el__buf_putc(out, '0');
}

/* Dot-separated numbers (a release) or local parts, each part normalized. */
static void put_parts(el__buf *out, span s, bool numeric)
{
	const char *p = s.s, *end = s.s + s.len;

	while (p < end) {
		const char *q = p;
		bool all_digits = true;

		while (q < end && !is_sep(*q))
			all_digits &= is_digit(*q++);
		if (p != s.s)
			el__buf_putc(out, '.');
		if (numeric || all_digits) {
			put_int(out, (span){ p, (size_t)(q - p) });
		} else {
			for (; p < q; p++)
				el__buf_putc(out, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
		}
		p = q + 1;
	}
}

bool el__pep440_normalize(el__buf *out, const char *s)
{
	pep440 v;

	el__buf_reset(out);
	if (!parse(&v, s)) {
		el__buf_puts(out, s);
		return false;
	}
	if (v.epoch.len && strspn(v.epoch.s, "0") < v.epoch.len) {
		put_int(out, v.epoch);
		el__buf_putc(out, '!');
	}
	put_parts(out, v.release, true);
	if (v.pre_l) {
		el__buf_puts(out, v.pre_l);
		put_int(out, v.pre_n);
	}
	if (v.post) {
		el__buf_puts(out, ".post");
		put_int(out, v.post_n);
	}
	if (v.dev) {
		el__buf_puts(out, ".dev");
		put_int(out, v.dev_n);
	}
	if (v.local.len) {
		el__buf_putc(out, '+');
		put_parts(out, v.local, false);
	}
	return true;
}
