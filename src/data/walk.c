/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The walk of a data tree on several threads: see walk.h. A warm re-check
 * of a tree is this walk and nothing else (every digest comes from the
 * cache), so its cost is the stats, spread over the cores.
 */
#include "data/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/cpus.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/sha256.h"
#include "util/text.h"

/* Names stat'ed per task: about 100 us of work, far above the cost of taking a task. */
#define BATCH 64
#define MAX_THREADS 64

enum { SLOT_NONE, SLOT_ENTRY, SLOT_DIR };

typedef struct node node;

/*
 * One name of a directory, and what its fstatat made of it: small (72
 * bytes), since a tree of a million files has a million of them until
 * they become the tree's entries.
 */
typedef struct slot {
	const char *name;     /* in the directory's names */
	char *path;           /* SLOT_ENTRY: its path (malloc'd), until it is the tree's */
	union {
		node *dir;         /* SLOT_DIR */
		struct stat *miss; /* SLOT_ENTRY: a regular file the cache did not know (malloc'd), or NULL */
	} u;
	unsigned long long size;
	mode_t mode;
	unsigned char kind;   /* SLOT_NONE: left out (python_source), or not stat'ed after a failure */
	unsigned char md[32]; /* SLOT_ENTRY but a miss: the digest */
} slot;

typedef struct task {
	struct task *next;
	node *dir;
	bool open;            /* open and read dir; else stat slots [from, to) */
	size_t from, to;
} task;

struct node {
	node *parent;         /* NULL for the top */
	node *free_next;      /* freeing without recursion */
	const char *name;     /* in the parent's names */
	char *prefix;         /* "a/b/" ("" for the top); freed once the names are stat'ed */
	size_t prefix_len;
	size_t depth;         /* the top at 0 */
	dev_t dev;            /* what the parent's fstatat saw here */
	ino_t ino;
	DIR *dir;             /* open while refs > 0 */
	atomic_size_t refs;   /* the reader, each batch, each subdirectory not opened yet */
	atomic_size_t batches_left;
	slot *slots;          /* then the batches, then the names (NUL-separated), in one allocation */
	size_t count;
	task open;
	task *batches;
};

typedef struct walk {
	const el__data_walk_in *in;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	task *stack;          /* last in, first out: depth first, so few directories are open at once */
	size_t queued, busy;
	atomic_bool workers_started;
	pthread_t caller;     /* the thread that called el__data_walk */
	pthread_t tids[MAX_THREADS];
	unsigned started;
	atomic_bool failed;
	int rc;
	char error[1024];
	atomic_size_t files;  /* entries (files and links) found */
	atomic_size_t misses;
	atomic_size_t depth;  /* the deepest directory, the top at 0 */
	node *root;
} walk;

static void where(el__buf *out, const char *top, const char *prefix, const char *name)
{
	size_t len = prefix ? strlen(prefix) : 0;

	el__buf_init(out);
	el__buf_puts(out, top);
	if (name && *name) {
		el__buf_putc(out, '/');
		if (len)
			el__buf_add(out, prefix, len);
		el__buf_puts(out, name);
	} else if (len) {
		el__buf_putc(out, '/');
		el__buf_add(out, prefix, len - 1);
	}
}

int el__data_fail(const char *top, const char *prefix, const char *name, int code, const char *what)
{
	int err = errno, ret;
	el__buf b;

	where(&b, top, prefix, name);
	if (el__buf_failed(&b))
		ret = el__error_oom();
	else if (what)
		ret = el__error(code, "%s: %s", b.data, what);
	else
		ret = el__error(code, "%s: %s", b.data, strerror(err));
	el__buf_free(&b);
	return ret;
}

static const char *kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFSOCK: return "a socket";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "not a file, directory or symbolic link";
	}
}

int el__data_refuse_kind(const char *top, const char *prefix, const char *name, mode_t mode)
{
	char what[128];

	snprintf(what, sizeof(what), "%s cannot be locked as data (only files, directories and symbolic links)",
		 kind_name(mode));
	return el__data_fail(top, prefix, name, EL_EINVAL, what);
}

/* Record the first failure (its message is this thread's last error) and stop every thread. */
static void fail(walk *w, int rc)
{
	pthread_mutex_lock(&w->lock);
	if (!atomic_load(&w->failed)) {
		w->rc = rc;
		snprintf(w->error, sizeof(w->error), "%s", el_error_last());
		atomic_store(&w->failed, true);
		pthread_cond_broadcast(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* What el_data_options.python_source leaves out, by name (see data.h). */
static bool python_byproduct(const node *n, const char *name, mode_t mode)
{
	static const char *const dirs[] = { "__pycache__", ".eggs", ".tox", ".nox", ".mypy_cache",
					    ".pytest_cache", ".ruff_cache", ".hg", ".svn", NULL };

	if (strcmp(name, ".git") == 0)
		return true;
	if (S_ISREG(mode))
		return ends_with(name, ".pyc") || ends_with(name, ".pyo");
	if (!S_ISDIR(mode))
		return false;
	for (const char *const *d = dirs; *d; d++)
		if (strcmp(name, *d) == 0)
			return true;
	if (ends_with(name, ".egg-info"))
		return true;
	return !n->parent && (strcmp(name, "build") == 0 || strcmp(name, "dist") == 0);
}

static void *work(void *arg);

unsigned el__data_threads(unsigned requested)
{
	unsigned threads = requested;

	/* Unknown is not an error: as many as are online. */
	if (!threads && el__cpus_usable(&threads, "", 0) != EL_OK) {
		el_error_clear();
		threads = el__online_cpus();
	}
	return threads < MAX_THREADS ? threads : MAX_THREADS;
}

/*
 * More hands, once there is work for them: more than one task waiting, or
 * a directory whose listing promises some (more names than a batch, or
 * several subdirectories by their d_type), so that the workers' start
 * overlaps the first stats. A small tree is walked on the calling thread
 * alone. Before the workers exist only the calling thread runs: it alone
 * can get here first, and it alone reads tids and started, after joining.
 */
static void want_workers(walk *w)
{
	bool no = false;
	unsigned threads;

	if (atomic_load_explicit(&w->workers_started, memory_order_relaxed) ||
	    !atomic_compare_exchange_strong(&w->workers_started, &no, true))
		return;
	threads = el__data_threads(w->in->threads);
	/* A thread that cannot be started only means fewer hands. */
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&w->tids[w->started], NULL, work, w) != 0)
			break;
		w->started++;
	}
}

/* Queue the tasks first..last (n of them, linked by next). */
static void push(walk *w, task *first, task *last, size_t n)
{
	size_t queued;

	pthread_mutex_lock(&w->lock);
	last->next = w->stack;
	w->stack = first;
	queued = w->queued += n;
	if (n > 1)
		pthread_cond_broadcast(&w->wake);
	else
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (queued >= 2)
		want_workers(w);
}

/* One hold on n's descriptor given back; the last closes it. */
static void release(node *n)
{
	if (atomic_fetch_sub(&n->refs, 1) == 1) {
		closedir(n->dir);
		n->dir = NULL;
	}
}

static node *new_node(walk *w, node *parent, const char *name, const struct stat *st)
{
	node *n = calloc(1, sizeof(*n));
	size_t len = strlen(name), deepest = atomic_load(&w->depth), depth = parent ? parent->depth + 1 : 0;

	if (!n)
		return NULL;
	n->prefix_len = parent ? parent->prefix_len + len + 1 : 0;
	n->prefix = malloc(n->prefix_len + 1);
	if (!n->prefix) {
		free(n);
		return NULL;
	}
	if (parent) {
		memcpy(n->prefix, parent->prefix, parent->prefix_len);
		memcpy(n->prefix + parent->prefix_len, name, len);
		n->prefix[n->prefix_len - 1] = '/';
	}
	n->prefix[n->prefix_len] = '\0';
	n->parent = parent;
	n->depth = depth;
	n->name = name;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->open = (task){ .dir = n, .open = true };
	while (depth > deepest && !atomic_compare_exchange_weak(&w->depth, &deepest, depth))
		;
	return n;
}

/* A file's or link's slot: its path, mode and size. */
static bool fill_entry(const node *n, slot *s, const struct stat *st)
{
	size_t len = strlen(s->name);
	char *path = malloc(n->prefix_len + len + 1);

	if (!path)
		return false;
	memcpy(path, n->prefix, n->prefix_len);
	memcpy(path + n->prefix_len, s->name, len + 1);
	s->path = path;
	s->mode = st->st_mode & (S_IFMT | 07777);
	s->size = (unsigned long long)st->st_size;
	s->kind = SLOT_ENTRY;
	return true;
}

/* A regular file: its digest from the cache, or a miss to hash. */
static int add_file(walk *w, const node *n, slot *s, const struct stat *st, size_t *misses)
{
	/* Hex for the manifest later, on one thread: 32 bytes here, not 65. */
	if (!fill_entry(n, s, st))
		return el__error_oom();
	if (el__datacache_get(w->in->cache, st, s->md))
		return EL_OK;
	if (!(s->u.miss = malloc(sizeof(*s->u.miss))))
		return el__error_oom();
	*s->u.miss = *st;
	(*misses)++;
	return EL_OK;
}

/* A symbolic link: recorded by its target's text, never followed. */
static int add_link(walk *w, const node *n, slot *s, const struct stat *st)
{
	char target[4097];
	ssize_t len = readlinkat(dirfd(n->dir), s->name, target, sizeof(target));

	if (len < 0)
		return el__data_fail(w->in->top, n->prefix, s->name, EL_ERROR, NULL);
	if ((size_t)len >= sizeof(target))
		return el__data_fail(w->in->top, n->prefix, s->name, EL_EINVAL, "link target too long");
	if (!fill_entry(n, s, st))
		return el__error_oom();
	s->size = (unsigned long long)len;
	return el__sha256(s->md, target, (size_t)len);
}

/*
 * Byte order of full paths among siblings: a directory compares as its
 * name and a '/', since every path below it is that and more ("a.b" comes
 * before "a/x", "a/x" before "a0").
 */
static int compare_slots(const void *a, const void *b)
{
	const slot *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name, *q = (const unsigned char *)y->name;
	unsigned c, d;

	while (*p && *p == *q)
		p++, q++;
	c = *p ? *p : x->kind == SLOT_DIR ? '/' : 0;
	d = *q ? *q : y->kind == SLOT_DIR ? '/' : 0;
	return (c > d) - (c < d);
}

/* Every name of n stat'ed: its slots in order; its prefix is no longer needed. */
static void finish_dir(node *n)
{
	if (n->count > 1)
		qsort(n->slots, n->count, sizeof(*n->slots), compare_slots);
	free(n->prefix);
	n->prefix = NULL;
}

static void stat_batch(walk *w, node *n, size_t from, size_t to)
{
	const el_data_options *o = w->in->options;
	size_t files = 0, misses = 0, pushed = 0;
	task *first = NULL, *last = NULL;
	int fd = dirfd(n->dir), ret = EL_OK;

	for (size_t i = from; i < to && ret == EL_OK && !atomic_load_explicit(&w->failed, memory_order_relaxed); i++) {
		slot *s = &n->slots[i];
		struct stat st;

		if (fstatat(fd, s->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			ret = el__data_fail(w->in->top, n->prefix, s->name, EL_ERROR, NULL);
			break;
		}
		if (o->python_source && python_byproduct(n, s->name, st.st_mode))
			continue;
		if (o->max_entries && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
		    atomic_fetch_add(&w->files, 1) >= o->max_entries) {
			ret = el__error(EL_ERROR, "%s: more than %zu files, not hashed", w->in->top, o->max_entries);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			node *child = new_node(w, n, s->name, &st);

			if (!child) {
				ret = el__error_oom();
				break;
			}
			s->kind = SLOT_DIR;
			s->u.dir = child;
			atomic_fetch_add(&n->refs, 1);
			child->open.next = first;
			first = &child->open;
			if (!last)
				last = first;
			pushed++;
			continue;
		}
		if (S_ISREG(st.st_mode))
			ret = add_file(w, n, s, &st, &misses);
		else if (S_ISLNK(st.st_mode))
			ret = add_link(w, n, s, &st);
		else
			ret = el__data_refuse_kind(w->in->top, n->prefix, s->name, st.st_mode);
		files++;
	}
	if (ret != EL_OK)
		fail(w, ret);
	if (!o->max_entries)
		atomic_fetch_add(&w->files, files);
	atomic_fetch_add(&w->misses, misses);
	if (first)
		push(w, first, last, pushed);
	if (atomic_fetch_sub(&n->batches_left, 1) == 1)
		finish_dir(n);
	release(n);
}

/* Open n below its parent, as the parent saw it; the parent's hold for it given back. */
static int open_below(walk *w, node *n, int *fd)
{
	struct stat opened;

	if (!n->parent) {
		*fd = dup(w->in->rootfd);
		return *fd >= 0 ? EL_OK : el__data_fail(w->in->top, n->prefix, NULL, EL_ERROR, NULL);
	}
	*fd = openat(dirfd(n->parent->dir), n->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	release(n->parent);
	if (*fd < 0 && errno != ELOOP && errno != ENOTDIR && errno != ENOENT)
		return el__data_fail(w->in->top, n->prefix, NULL, EL_ERROR, NULL);
	/* Replaced since the parent's fstatat (by a link, say): the walk does not go there. */
	if (*fd < 0 || fstat(*fd, &opened) != 0 || opened.st_dev != n->dev || opened.st_ino != n->ino) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return el__data_fail(w->in->top, n->prefix, NULL, EL_ERROR, "changed while it was hashed");
	}
	return EL_OK;
}

/*
 * Every name of a directory, then its batches: all but the first queued,
 * the first stat'ed here. The names are read into this thread's scratch
 * buffer first, so that the slots, the batches and the names take one
 * allocation of the right size: memory touched for the first time costs
 * a page fault, and a fault costs about what a stat does.
 */
static void open_dir(walk *w, node *n, el__buf *scratch)
{
	struct dirent *d;
	size_t batches, dirs = 0;
	char *names;
	int fd, ret = open_below(w, n, &fd);

	if (ret != EL_OK) {
		fail(w, ret);
		return;
	}
	if (!(n->dir = fdopendir(fd))) {
		close(fd);
		fail(w, el__data_fail(w->in->top, n->prefix, NULL, EL_ERROR, NULL));
		return;
	}
	atomic_init(&n->refs, 1);
	el__buf_reset(scratch);
	for (;;) {
		errno = 0;
		if (!(d = readdir(n->dir))) {
			if (errno)
				ret = el__data_fail(w->in->top, n->prefix, NULL, EL_ERROR, NULL);
			break;
		}
		if (d->d_name[0] == '.' && (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])))
			continue;
		el__buf_add(scratch, d->d_name, strlen(d->d_name) + 1);
		n->count++;
		/* Only a forecast, for starting the workers: what each name is, its fstatat says. */
		dirs += d->d_type == DT_DIR || d->d_type == DT_UNKNOWN;
	}
	if (ret == EL_OK && el__buf_failed(scratch))
		ret = el__error_oom();
	batches = (n->count + BATCH - 1) / BATCH;
	if (ret == EL_OK &&
	    !(n->slots = malloc(n->count * sizeof(*n->slots) + batches * sizeof(*n->batches) + scratch->len + 1)))
		ret = el__error_oom();
	if (ret != EL_OK) {
		n->count = 0; /* no slot holds anything */
		fail(w, ret);
		release(n);
		return;
	}
	n->batches = (task *)(n->slots + n->count);
	names = memcpy(n->batches + batches, scratch->data, scratch->len);
	/* The names lie one after the other, in the order read. */
	for (size_t i = 0; i < n->count; i++) {
		n->slots[i] = (slot){ .name = names };
		names += strlen(names) + 1;
	}
	if (batches > 1 || dirs > 1)
		want_workers(w);
	atomic_init(&n->batches_left, batches);
	atomic_fetch_add(&n->refs, batches);
	for (size_t b = 0; b < batches; b++) {
		n->batches[b] = (task){ .dir = n, .from = b * BATCH,
					.to = (b + 1) * BATCH < n->count ? (b + 1) * BATCH : n->count };
		if (b > 1)
			n->batches[b].next = &n->batches[b - 1];
	}
	if (batches > 1)
		push(w, &n->batches[batches - 1], &n->batches[1], batches - 1);
	if (batches)
		stat_batch(w, n, 0, n->batches[0].to);
	else
		finish_dir(n);
	release(n);
}

static void *work(void *arg)
{
	walk *w = arg;
	el__buf scratch;

	/*
	 * The address at the end needs SHA-256 fetched from OpenSSL (0.3 ms,
	 * once per process): done on a worker, it overlaps the walk instead
	 * of following it.
	 */
	if (!pthread_equal(pthread_self(), w->caller))
		el__sha256_prepare();
	el__buf_init(&scratch);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		task *t;

		while (!w->stack && w->busy && !atomic_load(&w->failed))
			pthread_cond_wait(&w->wake, &w->lock);
		/* Done when nothing is queued and nothing runs that could queue more. */
		if (atomic_load(&w->failed) || !w->stack)
			break;
		t = w->stack;
		w->stack = t->next;
		w->queued--;
		w->busy++;
		pthread_mutex_unlock(&w->lock);
		if (t->open)
			open_dir(w, t->dir, &scratch);
		else
			stat_batch(w, t->dir, t->from, t->to);
		pthread_mutex_lock(&w->lock);
		if (--w->busy == 0 && !w->stack)
			pthread_cond_broadcast(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	el__buf_free(&scratch);
	return NULL;
}

/* Every node, without recursion (a tree may be deeper than a stack). */
static void free_nodes(node *root)
{
	node *todo = root;

	while (todo) {
		node *n = todo;

		todo = n->free_next;
		for (size_t i = 0; i < n->count; i++) {
			slot *s = &n->slots[i];

			if (s->kind == SLOT_DIR) {
				s->u.dir->free_next = todo;
				todo = s->u.dir;
			} else if (s->kind == SLOT_ENTRY) {
				free(s->path);
				free(s->u.miss);
			}
		}
		/* Left open only when the walk stopped on a failure. */
		if (n->dir)
			closedir(n->dir);
		free(n->prefix);
		free(n->slots); /* the batches and names too */
		free(n);
	}
}

/* The entries in manifest order: each directory's sorted slots, depth first. */
static int collect(walk *w, el_data_tree *tree, el__data_miss **misses, size_t *miss_count)
{
	size_t files = atomic_load(&w->files), miss_total = atomic_load(&w->misses), depth = atomic_load(&w->depth);
	size_t top = 0, m = 0;
	el_data_entry *grown = realloc(tree->entries, (tree->count + files + 1) * sizeof(*grown));
	el__data_miss *out = malloc((miss_total + 1) * sizeof(*out));
	struct frame { node *n; size_t i; } *stack = malloc((depth + 1) * sizeof(*stack));

	if (grown)
		tree->entries = grown;
	if (!grown || !out || !stack) {
		free(out);
		free(stack);
		return el__error_oom();
	}
	el__prefault(tree->entries + tree->count, files * sizeof(*tree->entries));
	stack[0] = (struct frame){ w->root, 0 };
	for (;;) {
		struct frame *f = &stack[top];
		slot *s;

		if (f->i == f->n->count) {
			if (top-- == 0)
				break;
			continue;
		}
		s = &f->n->slots[f->i++];
		if (s->kind == SLOT_DIR) {
			stack[++top] = (struct frame){ s->u.dir, 0 };
		} else if (s->kind == SLOT_ENTRY) {
			el_data_entry *e = &tree->entries[tree->count];

			e->path = s->path;
			e->mode = s->mode;
			e->size = s->size;
			if (s->u.miss) {
				e->sha256[0] = '\0';
				out[m++] = (el__data_miss){ .entry = tree->count, .st = *s->u.miss };
				free(s->u.miss);
			} else {
				el__hex(e->sha256, s->md, 32);
			}
			tree->count++;
			s->kind = SLOT_NONE; /* the path is the tree's now */
		}
	}
	free(stack);
	*misses = out;
	*miss_count = m;
	return EL_OK;
}

int el__data_walk(el_data_tree *tree, el__data_miss **misses, size_t *miss_count, const el__data_walk_in *in)
{
	walk w = { .in = in };
	struct stat st;
	int ret;

	*misses = NULL;
	*miss_count = 0;
	if (fstat(in->rootfd, &st) != 0)
		return el__data_fail(in->top, "", NULL, EL_ERROR, NULL);
	atomic_init(&w.failed, false);
	atomic_init(&w.workers_started, false);
	w.caller = pthread_self();
	atomic_init(&w.files, 0);
	atomic_init(&w.misses, 0);
	atomic_init(&w.depth, 0);
	if (!(w.root = new_node(&w, NULL, "", &st)))
		return el__error_oom();
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.wake, NULL);
	push(&w, &w.root->open, &w.root->open, 1);
	work(&w);
	for (unsigned t = 0; t < w.started; t++)
		pthread_join(w.tids[t], NULL);
	pthread_cond_destroy(&w.wake);
	pthread_mutex_destroy(&w.lock);
	if (atomic_load(&w.failed))
		ret = el__error(w.rc, "%s", w.error);
	else
		ret = collect(&w, tree, misses, miss_count);
	free_nodes(w.root);
	return ret;
}
