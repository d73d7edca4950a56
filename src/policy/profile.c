/* SPDX-License-Identifier: Apache-2.0 */
#include "envlock/profile.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "envlock/error.h"
#include "lock/path.h"
#include "policy/lookup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

/*
 * The profile parser: one directive a line, includes read in place. Every
 * mistake is reported as "FILE:LINE: DIRECTIVE: what is wrong" and stops
 * the parse; nothing is guessed.
 */

#define MAX_INCLUDE_DEPTH 16
#define MAX_ARGS 64
#define MAX_GLOBSTARS 4 /* "**" keys in one pattern: each one multiplies the matching work */
#define MAX_CPUS 4096
#define MAX_ID 4294967294ULL /* uid_t and gid_t are 32 bits; (uid_t)-1 means "no change" to the kernel */
#define DEFAULT_ID 1000      /* the first ordinary user on most distributions */

_Static_assert(UINT_MAX >= MAX_ID, "an el_profile's uid and gid hold any ID");

/* The files being read, innermost first: an include of one of them is a cycle. */
struct chain {
	const char *id;
	const char *label;
	const struct chain *up;
};

/* Where a line comes from. */
struct place {
	const char *label; /* for messages: the path, or "NAME (built in)" */
	const char *dir;   /* for relative includes, NULL when built in */
	unsigned line;
	const struct chain *chain;
	int depth;
};

/*
 * A keepenv or a setenv of a name, numbered in the order read. keepenv is
 * settled once at the end (see settle_keepenv): a name is kept when its
 * last mark is a keepenv, which is "the later directive wins" without a
 * search of the list for each name.
 */
struct env_mark {
	char *name;
	size_t seq;
	bool keep;
};

struct parser {
	el_profile *p;
	size_t pin_cap, rule_cap, mount_cap, deny_cap, allow_cap, data_cap, trust_cap;
	struct env_mark *marks;
	size_t mark_count, mark_cap;
	el__buf flat; /* becomes p->resolved_text */
};

#define BAD(pl, argv, ...) bad_line(pl, argv[0], __VA_ARGS__)

static int __attribute__((format(printf, 3, 4))) bad_line(const struct place *pl, const char *directive,
							 const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (directive)
		return el__error(EL_EINVAL, "%s:%u: %s: %s", pl->label, pl->line, directive, what);
	return el__error(EL_EINVAL, "%s:%u: %s", pl->label, pl->line, what);
}

/* Make room for one more item of size bytes in *v, which holds *n of *cap. */
static int grow(void *v, size_t *cap, size_t n, size_t size)
{
	void **vp = v;
	void *grown;
	size_t ncap;

	if (n < *cap)
		return EL_OK;
	ncap = *cap ? *cap * 2 : 8;
	grown = realloc(*vp, ncap * size);
	if (!grown)
		return el__error_oom();
	*vp = grown;
	*cap = ncap;
	return EL_OK;
}

/* ---- small validators ---- */

static bool env_name_valid(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* An absolute path with no "." or ".." component: what it names is plain to see. */
static bool sandbox_path_valid(const char *s)
{
	if (s[0] != '/' || strlen(s) >= PATH_MAX)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c != '/')
			continue;
		if ((c[1] == '.' && (c[2] == '/' || c[2] == '\0')) ||
		    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0')))
			return false;
	}
	return true;
}

/* RFC 1123 host name: labels of letters, digits and '-' (at most 63), dot-separated. */
static bool hostname_valid(const char *s)
{
	size_t label = 0;

	if (strlen(s) > 64 || !*s)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			if (label == 0 || c[-1] == '-')
				return false;
			label = 0;
		} else if (((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    (*c == '-' && label > 0)) && label < 63) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && s[strlen(s) - 1] != '-';
}

/* "on" or "off" into *out. */
static int on_off(const struct place *pl, char **argv, bool *out)
{
	if (strcmp(argv[1], "on") == 0)
		*out = true;
	else if (strcmp(argv[1], "off") == 0)
		*out = false;
	else
		return BAD(pl, argv, "expects on or off, not '%s'", argv[1]);
	return EL_OK;
}

/* ---- string lists ---- */

static ssize_t list_find(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (ssize_t)i;
	return -1;
}

static int list_add(char ***v, size_t *n, size_t *cap, const char *s)
{
	char *copy;

	if (list_find(*v, *n, s) >= 0)
		return EL_OK;
	if (grow(v, cap, *n, sizeof(**v)) != EL_OK || !(copy = strdup(s)))
		return el__error_oom();
	(*v)[(*n)++] = copy;
	return EL_OK;
}

static void list_remove(char **v, size_t *n, const char *s)
{
	ssize_t i = list_find(v, *n, s);

	if (i < 0)
		return;
	free(v[i]);
	memmove(v + i, v + i + 1, (*n - (size_t)i - 1) * sizeof(*v));
	(*n)--;
}

/* A keepenv (keep) or setenv of name, after every mark before it. */
static int env_mark(struct parser *ps, const char *name, bool keep)
{
	char *copy;

	if (grow(&ps->marks, &ps->mark_cap, ps->mark_count, sizeof(*ps->marks)) != EL_OK || !(copy = strdup(name)))
		return el__error_oom();
	ps->marks[ps->mark_count] = (struct env_mark){ copy, ps->mark_count, keep };
	ps->mark_count++;
	return EL_OK;
}

static void free_marks(struct parser *ps)
{
	for (size_t i = 0; i < ps->mark_count; i++)
		free(ps->marks[i].name);
	free(ps->marks);
	ps->marks = NULL;
	ps->mark_count = ps->mark_cap = 0;
}

static int by_name_then_seq(const void *a, const void *b)
{
	const struct env_mark *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * The keepenv list from the marks: each name whose last mark is a keepenv,
 * once, in strcmp order. One sort, then one pass.
 */
static int settle_keepenv(struct parser *ps)
{
	el_profile *p = ps->p;
	size_t n = 0;

	if (ps->mark_count == 0)
		return EL_OK;
	qsort(ps->marks, ps->mark_count, sizeof(*ps->marks), by_name_then_seq);
	if (!(p->keepenv = calloc(ps->mark_count, sizeof(*p->keepenv))))
		return el__error_oom();
	for (size_t i = 0; i < ps->mark_count; i++) {
		struct env_mark *m = &ps->marks[i];

		if (i + 1 < ps->mark_count && strcmp(m->name, ps->marks[i + 1].name) == 0)
			continue; /* not the name's last mark */
		if (m->keep) {
			p->keepenv[n++] = m->name;
			m->name = NULL;
		}
	}
	p->keepenv_count = n;
	if (n == 0) {
		free(p->keepenv);
		p->keepenv = NULL;
	}
	return EL_OK;
}

/* ---- directives ---- */

static void pin_remove(el_profile *p, const char *name)
{
	for (size_t i = 0; i < p->pin_count; i++) {
		if (strcmp(p->pins[i].name, name) != 0)
			continue;
		free(p->pins[i].name);
		free(p->pins[i].value);
		memmove(p->pins + i, p->pins + i + 1, (p->pin_count - i - 1) * sizeof(*p->pins));
		p->pin_count--;
		return;
	}
}

static int do_setenv(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el_profile *p = ps->p;
	el_pin pin;

	if (!env_name_valid(argv[1]))
		return BAD(pl, argv, "'%s' is not a variable name", argv[1]);
	/* The later directive wins: a pin replaces a pin or a keepenv of the same name. */
	pin_remove(p, argv[1]);
	if (env_mark(ps, argv[1], false) != EL_OK)
		return el__error_oom();
	pin.name = strdup(argv[1]);
	pin.value = strdup(argv[2]);
	if (!pin.name || !pin.value || grow(&p->pins, &ps->pin_cap, p->pin_count, sizeof(*p->pins)) != EL_OK) {
		free(pin.name);
		free(pin.value);
		return el__error_oom();
	}
	p->pins[p->pin_count++] = pin;
	return EL_OK;
}

static int do_unsetenv(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	if (!env_name_valid(argv[1]))
		return BAD(pl, argv, "'%s' is not a variable name", argv[1]);
	pin_remove(ps->p, argv[1]);
	return EL_OK;
}

static int do_keepenv(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el_profile *p = ps->p;

	for (int i = 1; i < argc; i++)
		if (!env_name_valid(argv[i]))
			return BAD(pl, argv, "'%s' is not a variable name", argv[i]);
	for (int i = 1; i < argc; i++) {
		pin_remove(p, argv[i]);
		if (env_mark(ps, argv[i], true) != EL_OK)
			return el__error_oom();
	}
	return EL_OK;
}

static int check_pattern(const struct place *pl, char **argv, const char *pattern)
{
	el__path_seg *segs;
	size_t n, globstars = 0;
	int ret = el__path_split(pattern, true, &segs, &n);

	if (ret == EL_ENOMEM)
		return ret;
	if (ret != EL_OK)
		return BAD(pl, argv, "%s", el_error_last());
	for (size_t i = 0; i < n; i++)
		globstars += !segs[i].index && strcmp(segs[i].text, "**") == 0;
	el__path_segs_free(segs, n);
	if (globstars > MAX_GLOBSTARS)
		return BAD(pl, argv, "'%s' has more than %d '**' keys", pattern, MAX_GLOBSTARS);
	return EL_OK;
}

static int do_drift(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el_profile *p = ps->p;
	el_severity severity;
	int ret;

	if (el_severity_parse(&severity, argv[1]) != EL_OK)
		return BAD(pl, argv, "severity must be refuse, warn or ignore, not '%s'", argv[1]);
	for (int i = 2; i < argc; i++)
		if ((ret = check_pattern(pl, argv, argv[i])) != EL_OK)
			return ret;
	for (int i = 2; i < argc; i++) {
		el_drift_rule rule = { .severity = severity };
		el__buf origin;

		el__buf_init(&origin);
		el__buf_printf(&origin, "%s:%u", pl->label, pl->line);
		rule.pattern = strdup(argv[i]);
		rule.origin = el__buf_detach(&origin, NULL);
		if (!rule.pattern || !rule.origin ||
		    grow(&p->rules, &ps->rule_cap, p->rule_count, sizeof(*p->rules)) != EL_OK) {
			free(rule.pattern);
			free(rule.origin);
			return el__error_oom();
		}
		p->rules[p->rule_count++] = rule;
	}
	return EL_OK;
}

static int do_net(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	if (strcmp(argv[1], "none") == 0)
		ps->p->net = EL_NET_NONE;
	else if (strcmp(argv[1], "host") == 0)
		ps->p->net = EL_NET_HOST;
	else
		return BAD(pl, argv, "expects none or host, not '%s'", argv[1]);
	return EL_OK;
}

/* data PATH...: files and trees every capture hashes into the lock's data section. */
static int do_data(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	for (int i = 1; i < argc; i++)
		if (!argv[i][0])
			return BAD(pl, argv, "%s", "an empty path");
	for (int i = 1; i < argc; i++)
		if (list_add(&ps->p->data, &ps->p->data_count, &ps->data_cap, argv[i]) != EL_OK)
			return el__error_oom();
	return EL_OK;
}

static int do_mount(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el_profile *p = ps->p;
	el_mount m = { 0 };
	bool tmpfs;

	for (int i = 1; i < argc; i++)
		if (!sandbox_path_valid(argv[i]))
			return BAD(pl, argv, "'%s' is not an absolute path without '.' or '..' components", argv[i]);
	/* The directive's own name is the kind: the directive table lists only the three. */
	if (el_mount_kind_parse(&m.kind, argv[0]) != EL_OK)
		return el_error_last_code();
	tmpfs = m.kind == EL_MOUNT_TMPFS;
	m.source = tmpfs ? NULL : strdup(argv[1]);
	m.dest = strdup(argv[argc - 1]);
	if (asprintf(&m.origin, "%s:%u", pl->label, pl->line) < 0)
		m.origin = NULL;
	if (!m.dest || (!tmpfs && !m.source) || !m.origin ||
	    grow(&p->mounts, &ps->mount_cap, p->mount_count, sizeof(*p->mounts)) != EL_OK) {
		free(m.source);
		free(m.dest);
		free(m.origin);
		return el__error_oom();
	}
	p->mounts[p->mount_count++] = m;
	return EL_OK;
}

/*
 * The system call names of argv[2...], comma-separated, into *names (one
 * copy, split in place; free (*names)[0] and *names). Every name is checked
 * before any is used, so that a bad one changes nothing.
 */
static int seccomp_names(const struct place *pl, char **argv, int argc, char ***names, size_t *count)
{
	el__buf joined;
	char *save = NULL;
	int ret = EL_OK;

	*names = NULL;
	*count = 0;
	el__buf_init(&joined);
	for (int i = 2; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (!len || argv[i][0] == ',' || argv[i][len - 1] == ',' || strstr(argv[i], ",,")) {
			el__buf_free(&joined);
			return BAD(pl, argv, "an empty system call name in '%s'", argv[i]);
		}
		el__buf_printf(&joined, "%s%s", i > 2 ? "," : "", argv[i]);
	}
	*names = calloc(joined.len / 2 + 2, sizeof(**names)); /* "a,b,c": at most len/2 + 1 names */
	if (el__buf_failed(&joined) || !*names) {
		el__buf_free(&joined);
		free(*names);
		*names = NULL;
		return el__error_oom();
	}
	for (char *name = strtok_r(el__buf_detach(&joined, NULL), ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		(*names)[(*count)++] = name;
		if (ret == EL_OK && seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
			ret = BAD(pl, argv, "unknown system call '%s'", name);
	}
	return ret;
}

static int do_seccomp(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el_profile *p = ps->p;
	char **names;
	size_t count;
	bool deny;
	int ret;

	if (strcmp(argv[1], "deny") == 0)
		deny = true;
	else if (strcmp(argv[1], "allow") == 0)
		deny = false;
	else
		return BAD(pl, argv, "expects deny or allow, not '%s'", argv[1]);
	ret = seccomp_names(pl, argv, argc, &names, &count);
	/* A name moves from one list to the other: the later directive wins. */
	for (size_t i = 0; ret == EL_OK && i < count; i++) {
		if (deny) {
			list_remove(p->seccomp_allow, &p->seccomp_allow_count, names[i]);
			ret = list_add(&p->seccomp_deny, &p->seccomp_deny_count, &ps->deny_cap, names[i]);
		} else {
			list_remove(p->seccomp_deny, &p->seccomp_deny_count, names[i]);
			ret = list_add(&p->seccomp_allow, &p->seccomp_allow_count, &ps->allow_cap, names[i]);
		}
	}
	if (names)
		free(names[0]);
	free(names);
	return ret;
}

static int do_gpu(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	if (strcmp(argv[1], "auto") == 0)
		ps->p->gpu = EL_GPU_AUTO;
	else if (strcmp(argv[1], "none") == 0)
		ps->p->gpu = EL_GPU_NONE;
	else if (strcmp(argv[1], "require") == 0)
		ps->p->gpu = EL_GPU_REQUIRE;
	else
		return BAD(pl, argv, "expects auto, none or require, not '%s'", argv[1]);
	return EL_OK;
}

static int do_hostname(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	char *copy;

	if (!hostname_valid(argv[1]))
		return BAD(pl, argv, "'%s' is not a host name (letters, digits, '-' and '.'; labels of at most 63, 64 in all)", argv[1]);
	if (!(copy = strdup(argv[1])))
		return el__error_oom();
	free(ps->p->hostname);
	ps->p->hostname = copy;
	return EL_OK;
}

static int do_cpus(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	const char *s = argv[1];
	unsigned long v = 0;

	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > MAX_CPUS)
			return BAD(pl, argv, "expects a number of CPUs from 1 to %d, not '%s'", MAX_CPUS, s);
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < 1 || v > MAX_CPUS)
		return BAD(pl, argv, "expects a number of CPUs from 1 to %d, not '%s'", MAX_CPUS, s);
	ps->p->cpus = (unsigned)v;
	return EL_OK;
}

/* threads auto|N: the count capture pins the thread pools to; auto is 0. */
static int do_threads(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	const char *s = argv[1];
	unsigned long v = 0;

	if (strcmp(s, "auto") == 0) {
		ps->p->threads = 0;
		return EL_OK;
	}
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > EL_THREADS_MAX)
			return BAD(pl, argv, "expects auto or a number of threads from 1 to %d, not '%s'",
				   EL_THREADS_MAX, s);
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < 1 || v > EL_THREADS_MAX)
		return BAD(pl, argv, "expects auto or a number of threads from 1 to %d, not '%s'", EL_THREADS_MAX, s);
	ps->p->threads = (unsigned)v;
	return EL_OK;
}

/* A user or group ID, what ("user" or "group"), into *out: plain decimal digits, 0 to MAX_ID. */
static int parse_id(const struct place *pl, char **argv, const char *what, unsigned *out)
{
	const char *s = argv[1];
	unsigned long long v = 0;

	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > MAX_ID)
			return BAD(pl, argv, "expects a %s ID from 0 to %llu, not '%s'", what, MAX_ID, s);
		v = v * 10 + (unsigned long long)(*c - '0');
	}
	if (!*s || v > MAX_ID)
		return BAD(pl, argv, "expects a %s ID from 0 to %llu, not '%s'", what, MAX_ID, s);
	*out = (unsigned)v;
	return EL_OK;
}

static int do_uid(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return parse_id(pl, argv, "user", &ps->p->uid);
}

static int do_gid(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return parse_id(pl, argv, "group", &ps->p->gid);
}

static int do_aslr(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return on_off(pl, argv, &ps->p->aslr);
}

static int do_python_seed(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return on_off(pl, argv, &ps->p->python_seed);
}

static int do_sign_records(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return on_off(pl, argv, &ps->p->sign_records);
}

static int do_require_signed(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	return on_off(pl, argv, &ps->p->require_signed);
}

/*
 * trust PUBKEY...: public keys whose signatures check, exec and replay
 * accept. A relative path is relative to the profile's own directory, as
 * an include is: the profile and its keys travel together.
 */
static int do_trust(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	for (int i = 1; i < argc; i++) {
		char *path = NULL;
		int ret;

		if (!argv[i][0])
			return BAD(pl, argv, "%s", "an empty path");
		if (argv[i][0] != '/' && !pl->dir)
			return BAD(pl, argv, "a built-in profile cannot name the relative path '%s'", argv[i]);
		if (argv[i][0] == '/' ? !(path = strdup(argv[i])) : asprintf(&path, "%s/%s", pl->dir, argv[i]) < 0)
			return el__error_oom();
		ret = list_add(&ps->p->trust, &ps->p->trust_count, &ps->trust_cap, path);
		free(path);
		if (ret != EL_OK)
			return el__error_oom();
	}
	return EL_OK;
}

/*
 * require clean-tree: what the working tree must be when check and exec
 * run. A policy on the run, not drift from the lock (the lock does not
 * fingerprint the code).
 */
static int do_require(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	if (strcmp(argv[1], "clean-tree") != 0)
		return BAD(pl, argv, "unknown requirement '%s' (clean-tree)", argv[1]);
	ps->p->require_clean_tree = true;
	return EL_OK;
}

static int parse_source(struct parser *ps, const el__profile_source *src, const char *label,
			const struct chain *up, int depth);

static bool in_chain(const char *id, const void *data)
{
	for (const struct chain *c = data; c; c = c->up)
		if (c->id && strcmp(c->id, id) == 0)
			return true;
	return false;
}

static int do_include(struct parser *ps, const struct place *pl, char **argv, int argc)
{
	el__profile_source src = { 0 };
	el__buf label;
	bool cycle = false;
	int ret;

	el__buf_init(&src.text);
	el__buf_init(&label);
	if (pl->depth >= MAX_INCLUDE_DEPTH) {
		ret = BAD(pl, argv, "includes nest deeper than %d", MAX_INCLUDE_DEPTH);
		goto done;
	}
	if (strchr(argv[1], '/')) {
		if (argv[1][0] != '/' && !pl->dir) {
			ret = BAD(pl, argv, "a built-in profile cannot include the relative path '%s'", argv[1]);
			goto done;
		}
		ret = el__profile_read_path(&src, argv[1], pl->dir);
		cycle = ret == EL_OK && in_chain(src.id, pl->chain);
	} else {
		/* A profile that includes its own name gets the next one down the lookup. */
		ret = el__profile_find(&src, argv[1], in_chain, pl->chain, &cycle);
	}
	if (cycle) {
		ret = BAD(pl, argv, "include cycle: '%s' is already being read", argv[1]);
		goto done;
	}
	if (ret == EL_ENOMEM)
		goto done;
	if (ret != EL_OK) {
		ret = BAD(pl, argv, "%s", el_error_last());
		goto done;
	}
	if (strcmp(src.file, EL_PROFILE_BUILTIN) == 0)
		el__buf_printf(&label, "%s %s", argv[1], EL_PROFILE_BUILTIN);
	else
		el__buf_puts(&label, src.file);
	{
		const struct chain link = { src.id, label.data, pl->chain };

		ret = el__buf_failed(&label) ? el__error_oom() : parse_source(ps, &src, label.data, &link, pl->depth + 1);
	}
done:
	el__profile_source_free(&src);
	el__buf_free(&label);
	return ret;
}

static const struct directive {
	const char *name;
	int min_args, max_args; /* after the keyword */
	const char *usage;
	int (*apply)(struct parser *ps, const struct place *pl, char **argv, int argc);
} directives[] = {
	{ "include", 1, 1, "NAME|PATH", do_include },
	{ "setenv", 2, 2, "NAME VALUE", do_setenv },
	{ "unsetenv", 1, 1, "NAME", do_unsetenv },
	{ "keepenv", 1, MAX_ARGS, "NAME...", do_keepenv },
	{ "drift", 2, MAX_ARGS, "refuse|warn|ignore PATTERN...", do_drift },
	{ "net", 1, 1, "none|host", do_net },
	{ "bind", 1, 2, "SRC [DEST]", do_mount },
	{ "ro-bind", 1, 2, "SRC [DEST]", do_mount },
	{ "tmpfs", 1, 1, "DEST", do_mount },
	{ "data", 1, MAX_ARGS, "PATH...", do_data },
	{ "seccomp", 2, MAX_ARGS, "deny|allow SYSCALL[,SYSCALL...]", do_seccomp },
	{ "gpu", 1, 1, "auto|none|require", do_gpu },
	{ "hostname", 1, 1, "NAME", do_hostname },
	{ "cpus", 1, 1, "N", do_cpus },
	{ "threads", 1, 1, "auto|N", do_threads },
	{ "uid", 1, 1, "N", do_uid },
	{ "gid", 1, 1, "N", do_gid },
	{ "aslr", 1, 1, "on|off", do_aslr },
	{ "python-seed", 1, 1, "on|off", do_python_seed },
	{ "require", 1, 1, "clean-tree", do_require },
	{ "sign-records", 1, 1, "on|off", do_sign_records },
	{ "require-signed", 1, 1, "on|off", do_require_signed },
	{ "trust", 1, MAX_ARGS, "PUBKEY...", do_trust },
};

/* The bytes of the UTF-8 character at s (1 for anything else), for messages. */
static int utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	int n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	for (int i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/*
 * Split line (NUL-terminated, modified in place) into argv. A word that
 * starts with a double quote is a quoted string: it loses its quotes and
 * escapes. Quotes inside a word are plain characters, so that a drift
 * pattern is written as findings print it: libraries["libc.so.6"].version.
 * A '#' at the start of a word begins a comment.
 */
static int split_words(const struct place *pl, char *line, char **argv, int *argc)
{
	char *r = line;

	*argc = 0;
	for (;;) {
		char *w, *out;

		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0' || *r == '#')
			return EL_OK;
		if (*argc == MAX_ARGS)
			return bad_line(pl, NULL, "more than %d words", MAX_ARGS);
		w = r;
		argv[(*argc)++] = w;
		if (*r != '"') {
			while (*r && *r != ' ' && *r != '\t')
				r++;
			if (*r)
				*r++ = '\0';
			continue;
		}
		for (out = w, r++;; r++) {
			if (*r == '\0' || (*r == '\\' && r[1] == '\0'))
				return bad_line(pl, NULL, "unterminated quote");
			if (*r == '"')
				break;
			if (*r == '\\') {
				if (r[1] != '"' && r[1] != '\\')
					return bad_line(pl, NULL, "unknown escape '\\%.*s' (only \\\" and \\\\)",
							utf8_len(r + 1), r + 1);
				r++;
			}
			*out++ = *r;
		}
		r++;
		if (*r && *r != ' ' && *r != '\t')
			return bad_line(pl, NULL, "text right after a closing quote");
		*out = '\0';
		if (*r)
			r++;
	}
}

static int parse_line(struct parser *ps, const struct place *pl, char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc, ret;

	for (const char *c = line; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return bad_line(pl, NULL, "control character 0x%02x", (unsigned char)*c);
	if (!el__utf8_valid(line, strlen(line)))
		return bad_line(pl, NULL, "not valid UTF-8");
	ret = split_words(pl, line, argv, &argc);
	if (ret != EL_OK || argc == 0)
		return ret;
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		const struct directive *d = &directives[i];

		if (strcmp(argv[0], d->name) != 0)
			continue;
		if (argc - 1 < d->min_args || argc - 1 > d->max_args)
			return BAD(pl, argv, "expects %s", d->usage);
		return d->apply(ps, pl, argv, argc);
	}
	return bad_line(pl, NULL, "unknown directive '%s'", argv[0]);
}

/*
 * The line into the resolved text: as it is, except an include, which
 * becomes a comment the included lines then follow (includes are read in
 * place, so the text parses to the same profile without its files).
 */
static void flatten_line(struct parser *ps, const char *line)
{
	const char *word = line + strspn(line, " \t");

	if (strncmp(word, "include", 7) == 0 && (word[7] == ' ' || word[7] == '\t'))
		el__buf_printf(&ps->flat, "# %s\n", word);
	else
		el__buf_printf(&ps->flat, "%s\n", line);
}

static int parse_source(struct parser *ps, const el__profile_source *src, const char *label,
			const struct chain *up, int depth)
{
	struct place pl = { .label = label, .dir = src->dir, .chain = up, .depth = depth };
	const char *text = src->text.data, *end = text + src->text.len;
	el__buf line;
	int ret = EL_OK;

	if (memchr(text, '\0', src->text.len)) {
		const char *nul = memchr(text, '\0', src->text.len);

		pl.line = 1;
		for (const char *c = text; c < nul; c++)
			pl.line += *c == '\n';
		return bad_line(&pl, NULL, "a NUL byte: not a text file");
	}
	if (src->text.len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3; /* a byte-order mark, as some editors write */
	el__buf_init(&line);
	while (text < end && ret == EL_OK) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t raw = nl ? (size_t)(nl - text) : (size_t)(end - text), len = raw;

		pl.line++;
		if (len && text[len - 1] == '\r')
			len--; /* written on Windows */
		el__buf_reset(&line);
		el__buf_add(&line, text, len);
		flatten_line(ps, line.data);
		ret = el__buf_failed(&line) ? el__error_oom() : parse_line(ps, &pl, line.data);
		text += raw + (nl != NULL);
	}
	el__buf_free(&line);
	return ret;
}

static int by_pin_name(const void *a, const void *b)
{
	return strcmp(((const el_pin *)a)->name, ((const el_pin *)b)->name);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_strings(char **v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), by_string);
}

static int parse_top(el_profile **out, const char *name, const el__profile_source *src, const char *label)
{
	struct parser ps = { 0 };
	const struct chain top = { src->id, label, NULL };
	int ret;

	*out = NULL;
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p)
		return el__error_oom();
	el__buf_init(&ps.flat);
	ps.p->aslr = true;
	ps.p->uid = DEFAULT_ID;
	ps.p->gid = DEFAULT_ID;
	ps.p->name = strdup(name);
	ps.p->source = strdup(src->file ? src->file : label);
	if (!ps.p->name || !ps.p->source) {
		el_profile_free(ps.p);
		return el__error_oom();
	}
	ret = parse_source(&ps, src, label, &top, 0);
	if (ret == EL_OK)
		ret = settle_keepenv(&ps);
	free_marks(&ps);
	if (ret == EL_OK && el__buf_failed(&ps.flat))
		ret = el__error_oom();
	if (ret == EL_OK)
		ps.p->resolved_text = el__buf_detach(&ps.flat, NULL);
	el__buf_free(&ps.flat);
	if (ret != EL_OK) {
		el_profile_free(ps.p);
		return ret;
	}
	/* An empty list is still NULL, which qsort() may not be given. */
	if (ps.p->pin_count)
		qsort(ps.p->pins, ps.p->pin_count, sizeof(*ps.p->pins), by_pin_name);
	sort_strings(ps.p->seccomp_deny, ps.p->seccomp_deny_count);
	sort_strings(ps.p->seccomp_allow, ps.p->seccomp_allow_count);
	*out = ps.p;
	return EL_OK;
}

int el_profile_parse(el_profile **out, const char *name, const char *file, const char *text, size_t len)
{
	el__profile_source src = { 0 };
	int ret;

	el__buf_init(&src.text);
	el__buf_add(&src.text, text, len);
	src.file = strdup(file);
	if (strchr(file, '/')) {
		el__buf dir;

		el__buf_init(&dir);
		el__buf_puts(&dir, file);
		el__path_parent(&dir);
		src.dir = el__buf_detach(&dir, NULL);
	}
	ret = el__buf_failed(&src.text) || !src.file ? el__error_oom() : parse_top(out, name, &src, file);
	el__profile_source_free(&src);
	return ret;
}

int el_profile_load(el_profile **out, const char *name_or_path)
{
	el__profile_source src = { 0 };
	el__buf label;
	bool unused;
	int ret;

	*out = NULL;
	el__buf_init(&src.text);
	el__buf_init(&label);
	if (strchr(name_or_path, '/'))
		ret = el__profile_read_path(&src, name_or_path, NULL);
	else
		ret = el__profile_find(&src, name_or_path, NULL, NULL, &unused);
	if (ret == EL_OK) {
		if (strcmp(src.file, EL_PROFILE_BUILTIN) == 0)
			el__buf_printf(&label, "%s %s", name_or_path, EL_PROFILE_BUILTIN);
		else
			el__buf_puts(&label, src.file);
		ret = el__buf_failed(&label) ? el__error_oom() : parse_top(out, name_or_path, &src, label.data);
	}
	el__profile_source_free(&src);
	el__buf_free(&label);
	return ret;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void el_profile_free(el_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->source);
	free(p->resolved_text);
	for (size_t i = 0; i < p->pin_count; i++) {
		free(p->pins[i].name);
		free(p->pins[i].value);
	}
	free(p->pins);
	free_strings(p->keepenv, p->keepenv_count);
	free_strings(p->data, p->data_count);
	free_strings(p->trust, p->trust_count);
	for (size_t i = 0; i < p->rule_count; i++) {
		free(p->rules[i].pattern);
		free(p->rules[i].origin);
	}
	free(p->rules);
	for (size_t i = 0; i < p->mount_count; i++) {
		free(p->mounts[i].source);
		free(p->mounts[i].dest);
		free(p->mounts[i].origin);
	}
	free(p->mounts);
	free_strings(p->seccomp_deny, p->seccomp_deny_count);
	free_strings(p->seccomp_allow, p->seccomp_allow_count);
	free(p->hostname);
	free(p);
}
