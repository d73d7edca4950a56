/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deciding the sandbox: everything it will be, from the profile, the lock
 * and the options, worked out on the host without running anything. The
 * setup in the sandbox only carries the plan out, so what --dry-run prints
 * is what runs, and unit tests can check it on fixture trees.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "sandbox/editable.h"
#include "sandbox/plan.h"
#include "util/buf.h"
#include "util/cpus.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

extern char **environ;

/* The host's system directories, bound read-only (or recreated as the links they are). */
static const char *const system_dirs[] = {
	"/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL,
};

/* Device nodes of the minimal /dev, bound from the host. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },  { "stdin", "/proc/self/fd/0" },  { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

#define SANDBOX_HOME "/home/envlock"
#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SANDBOX_HOSTNAME "envlock"

const char *const el__seccomp_default_deny[] = {
	/* Looking into or changing other processes (PID 1 included). */
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp",
	/* io_uring's operations bypass every argument rule below. */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* The kernel itself. */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
	"swapon", "swapoff", "bpf", "perf_event_open", "userfaultfd",
	/* The file system tree, old and new mount API. */
	"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
	"open_tree", "move_mount", "mount_setattr", "open_by_handle_at",
	/* Kernel keyrings are not namespaced. */
	"keyctl", "add_key", "request_key",
	/* New namespaces (clone's namespace flags are a rule of their own). */
	"unshare", "setns",
	NULL,
};

typedef struct plan_builder {
	el_sandbox_plan *plan;
	const el_sandbox_options *opts;
	const char *root; /* host root to inspect */
	char *workdir;    /* the working directory, resolved, once add_workdir() decided it */
	char *lock_file;  /* see lock_file() */
	bool lock_file_done;
	char **pinned;    /* what protect_path() made mount points: directories on the way, then the paths */
	size_t pinned_count;
	char **kept;      /* the paths protect_path() bound read-only */
	size_t kept_count;
	size_t mount_cap, env_cap;
} plan_builder;

static void steps_free(struct el__mount_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(steps[i].source);
		free(steps[i].dest);
	}
	free(steps);
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void el_sandbox_plan_free(el_sandbox_plan *plan)
{
	if (!plan)
		return;
	free(plan->profile_name);
	free(plan->hostname);
	free(plan->message_prefix);
	free(plan->cwd);
	steps_free(plan->mounts, plan->mount_count);
	strv_free(plan->env);
	strv_free(plan->argv);
	strv_free(plan->seccomp_deny);
	free(plan);
}

static int add_step(plan_builder *b, el__mount_op op, const char *source, const char *dest, unsigned mode)
{
	el_sandbox_plan *plan = b->plan;
	struct el__mount_step *step;

	if (plan->mount_count == b->mount_cap) {
		size_t cap = b->mount_cap ? 2 * b->mount_cap : 32;
		void *grown = realloc(plan->mounts, cap * sizeof(*plan->mounts));

		if (!grown)
			return el__error_oom();
		plan->mounts = grown;
		b->mount_cap = cap;
	}
	step = &plan->mounts[plan->mount_count];
	memset(step, 0, sizeof(*step));
	step->op = op;
	step->mode = mode;
	step->source = source ? strdup(source) : NULL;
	step->dest = strdup(dest);
	if ((source && !step->source) || !step->dest) {
		free(step->source);
		free(step->dest);
		return el__error_oom();
	}
	plan->mount_count++;
	return EL_OK;
}

/*
 * add_step for a bind of the user's own files (the working directory, the
 * options' binds): idmapped when root started the sandbox (see plan.h).
 */
static int add_user_step(plan_builder *b, el__mount_op op, const char *source, const char *dest)
{
	int ret = add_step(b, op, source, dest, 0);

	if (ret == EL_OK)
		b->plan->mounts[b->plan->mount_count - 1].idmap = b->plan->root_idmapped;
	return ret;
}

/* A tmpfs the command may leave files in (see plan.h: scratch). */
static int add_scratch_step(plan_builder *b, const char *dest, unsigned mode)
{
	int ret = add_step(b, EL__MOUNT_TMPFS, NULL, dest, mode);

	if (ret == EL_OK)
		b->plan->mounts[b->plan->mount_count - 1].scratch = true;
	return ret;
}

/* lstat of a host path, looked at under the host root. */
static int host_lstat(const plan_builder *b, const char *path, struct stat *st)
{
	el__buf full;
	int ret;

	el__buf_init(&full);
	el__root_path(&full, b->root, path);
	ret = el__buf_failed(&full) ? -1 : lstat(full.data, st);
	el__buf_free(&full);
	return ret;
}

static int host_stat(const plan_builder *b, const char *path, struct stat *st)
{
	el__buf full;
	int ret;

	el__buf_init(&full);
	el__root_path(&full, b->root, path);
	ret = el__buf_failed(&full) ? -1 : stat(full.data, st);
	el__buf_free(&full);
	return ret;
}

/*
 * A clean absolute path: "/" separated names, no ".", "..", or empty
 * names, no trailing slash. Sandbox paths are made of these, so that no
 * step can climb out of where the plan says.
 */
static int normalize_path(char **out, const char *what, const char *path)
{
	el__buf clean;
	const char *p = path;

	if (path[0] != '/')
		return el__error(EL_EINVAL, "%s '%s': not an absolute path", what, path);
	el__buf_init(&clean);
	while (*p) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			el__buf_free(&clean);
			return el__error(EL_EINVAL, "%s '%s': '.' and '..' are not allowed", what, path);
		}
		el__buf_putc(&clean, '/');
		el__buf_add(&clean, p, len);
		p += len;
	}
	if (clean.len == 0)
		el__buf_putc(&clean, '/');
	if (el__buf_failed(&clean)) {
		el__buf_free(&clean);
		return el__error_oom();
	}
	*out = el__buf_detach(&clean, NULL);
	return EL_OK;
}

/* Whether path is dir or below it ("/usr" holds "/usr/lib", not "/usrx"). */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool under_system_dir(const char *path)
{
	for (const char *const *d = system_dirs; *d; d++)
		if (path_within(path, *d))
			return true;
	return false;
}

static int add_system_dirs(plan_builder *b)
{
	char target[PATH_MAX];
	el__buf full;
	struct stat st;
	int ret = EL_OK;

	el__buf_init(&full);
	for (const char *const *d = system_dirs; *d && ret == EL_OK; d++) {
		if (host_lstat(b, *d, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* Merged /usr: /bin -> usr/bin stays a link, into the bound /usr. */
			ssize_t n;

			el__buf_reset(&full);
			el__root_path(&full, b->root, *d);
			n = readlink(full.data, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			ret = add_step(b, EL__MOUNT_SYMLINK, target, *d, 0);
		} else if (S_ISDIR(st.st_mode)) {
			ret = add_step(b, EL__MOUNT_RO_BIND, *d, *d, 0);
		}
	}
	el__buf_free(&full);
	return ret;
}

/* What the sandbox makes itself: an image's own entries of these names are not shown. */
static const char *const image_skipped[] = { "proc", "dev", "sys", "tmp", "run", "home", "root", "lost+found", NULL };

static bool image_skips(const char *name)
{
	for (const char *const *s = image_skipped; *s; s++)
		if (strcmp(name, *s) == 0)
			return true;
	return false;
}

/*
 * exec --image: the image's top-level directories bound read-only and its
 * links made as links (merged /usr), in name order, in place of the host's
 * system directories.
 */
static int add_image_dirs(plan_builder *b)
{
	const char *image = b->opts->image_root;
	struct dirent **names = NULL;
	el__buf full;
	int count = scandir(image, &names, NULL, alphasort), ret = EL_OK;

	if (count < 0)
		return el__error_errno(EL_ERROR, "image root %s", image);
	el__buf_init(&full);
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		char target[PATH_MAX], dest[NAME_MAX + 2];
		struct stat st;
		ssize_t n;

		if (ret != EL_OK || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || image_skips(name))
			continue;
		el__buf_reset(&full);
		el__buf_printf(&full, "%s/%s", image, name);
		snprintf(dest, sizeof(dest), "/%s", name);
		if (el__buf_failed(&full)) {
			ret = el__error_oom();
		} else if (lstat(full.data, &st) != 0) {
			ret = el__error_errno(EL_ERROR, "image root %s", full.data);
		} else if (S_ISDIR(st.st_mode)) {
			ret = add_step(b, EL__MOUNT_RO_BIND, full.data, dest, 0);
			/*
			 * In the cache, out of the sandbox user's reach when root runs it:
			 * opened by envlock, not idmapped (its files stay the image's,
			 * readable as any user may read them).
			 */
			if (ret == EL_OK)
				b->plan->mounts[b->plan->mount_count - 1].premade = b->plan->root_idmapped;
		} else if (S_ISLNK(st.st_mode) && (n = readlink(full.data, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			ret = add_step(b, EL__MOUNT_SYMLINK, target, dest, 0);
		}
	}
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	el__buf_free(&full);
	return ret;
}

/* exec --image: whether the image has the directory path (absolute). */
static bool image_has_dir(const plan_builder *b, const char *path)
{
	el__buf full;
	struct stat st;
	bool has;

	el__buf_init(&full);
	el__buf_printf(&full, "%s%s", b->opts->image_root, path);
	has = !el__buf_failed(&full) && lstat(full.data, &st) == 0 && S_ISDIR(st.st_mode);
	el__buf_free(&full);
	return has;
}

/* Some entry of dir (under the root) whose name starts with prefix. */
static bool has_entry_starting(const plan_builder *b, const char *dir, const char *prefix)
{
	el__buf full;
	struct dirent *e;
	bool found = false;
	DIR *d;

	el__buf_init(&full);
	el__root_path(&full, b->root, dir);
	d = el__buf_failed(&full) ? NULL : opendir(full.data);
	while (d && !found && (e = readdir(d)))
		found = el__startswith(e->d_name, prefix);
	if (d)
		closedir(d);
	el__buf_free(&full);
	return found;
}

/*
 * Whether prefix is a Python installation that runs exe_name, reached
 * without a symbolic link on the way. The lock names the interpreter and
 * anyone can edit a lock (its fingerprint is a digest, not a signature):
 * what it names must not choose an arbitrary directory to show inside the
 * sandbox. A prefix qualifies when bin/exe_name is an executable file and
 * it holds a venv's pyvenv.cfg or a lib/python3.* directory; and it is
 * bound at its real path only, so a link cannot redirect the bind.
 */
static bool is_python_prefix(const plan_builder *b, const char *prefix, const char *exe_name)
{
	el__buf path, real;
	struct stat st;
	bool runs, venv = false, install = false, direct;

	el__buf_init(&path);
	el__buf_init(&real);
	el__buf_printf(&path, "%s/bin/%s", prefix, exe_name);
	/* Links resolved inside the root, as in the sandbox (a venv's python is one). */
	runs = el__startswith(exe_name, "python") && !el__buf_failed(&path) &&
	       el__resolve_in_root(&real, b->root, path.data) == EL_OK && host_stat(b, real.data, &st) == 0 &&
	       S_ISREG(st.st_mode) && (st.st_mode & 0111);
	if (runs) {
		el__buf_reset(&path);
		el__buf_printf(&path, "%s/pyvenv.cfg", prefix);
		venv = !el__buf_failed(&path) && host_lstat(b, path.data, &st) == 0 && S_ISREG(st.st_mode);
	}
	if (runs && !venv) {
		el__buf_reset(&path);
		el__buf_printf(&path, "%s/lib", prefix);
		install = !el__buf_failed(&path) && has_entry_starting(b, path.data, "python3");
	}
	direct = el__resolve_in_root(&real, b->root, prefix) == EL_OK && strcmp(real.data, prefix) == 0;
	el__buf_free(&path);
	el__buf_free(&real);
	return (venv || install) && direct;
}

/* The interpreter the run uses: --python, else the lock's; NULL when neither names an absolute path. */
static const char *chosen_python(const plan_builder *b)
{
	/* In an image the interpreter is the image's, on its PATH: none of the host's is bound. */
	const char *exe = b->opts->image_root ? NULL
			  : b->opts->python ? b->opts->python
			  : b->opts->lock ? el_lock_python_executable(b->opts->lock)
					  : NULL;

	return exe && exe[0] == '/' ? exe : NULL;
}

/* Whether dir is an entry of the sandbox's default PATH. */
static bool on_default_path(const char *dir)
{
	size_t n = strlen(dir);

	for (const char *p = SANDBOX_PATH; *p; p += strcspn(p, ":"), p += *p == ':')
		if (strncmp(p, dir, n) == 0 && (p[n] == ':' || p[n] == '\0'))
			return true;
	return false;
}

static int pin_way_to(plan_builder *b, const char *workdir, const char *path);

/*
 * The interpreter the run uses, when it lives outside the system
 * directories (pyenv under $HOME, a venv): its prefix is bound read-only,
 * the venv's base install too. Its bin directory goes first on PATH (a
 * venv's python must be run from there to be the venv's), unless the
 * default PATH has it already. Only prefixes is_python_prefix() accepts
 * are bound.
 */
/*
 * In an image or a bundle, the lock's interpreter (a venv, a pyenv) is one
 * of the tree's, where the bundle carried it: its directory leads PATH as
 * on the host, and nothing is bound.
 */
static int add_image_python(plan_builder *b, el__buf *path_var)
{
	const char *exe = b->opts->lock ? el_lock_python_executable(b->opts->lock) : NULL;
	el__buf dir;

	if (!exe || exe[0] != '/')
		return EL_OK;
	el__buf_init(&dir);
	el__buf_puts(&dir, exe);
	el__path_parent(&dir);
	if (!el__buf_failed(&dir) && !on_default_path(dir.data) && image_has_dir(b, dir.data)) {
		el__buf_puts(path_var, dir.data);
		el__buf_puts(path_var, ":");
	}
	el__buf_free(&dir);
	return el__buf_failed(path_var) ? el__error_oom() : EL_OK;
}

static int add_python(plan_builder *b, el__buf *path_var)
{
	const char *exe = chosen_python(b);
	el__buf dir, real, resolved;
	char *prefixes[2] = { NULL, NULL };
	const char *bin = NULL;
	int ret = EL_OK;

	if (b->opts->image_root)
		return add_image_python(b, path_var);
	if (!exe)
		return EL_OK;
	el__buf_init(&dir);
	el__buf_init(&real);
	el__buf_init(&resolved);
	el__buf_puts(&dir, exe);
	el__path_parent(&dir);
	el__buf_puts(&real, dir.data);
	/* The venv's interpreter is a link to its base install: follow it, within the root. */
	if (el__resolve_in_root(&resolved, b->root, exe) == EL_OK) {
		el__buf_reset(&real);
		el__buf_puts(&real, resolved.data);
		el__path_parent(&real);
	}
	for (int i = 0; i < 2; i++) {
		el__buf prefix;

		el__buf_init(&prefix);
		el__buf_puts(&prefix, i == 0 ? dir.data : real.data);
		if (strcmp(el__basename(prefix.data), "bin") == 0)
			el__path_parent(&prefix);
		if (!el__buf_failed(&prefix) && strcmp(prefix.data, "/") != 0 && !under_system_dir(prefix.data) &&
		    (i == 0 || !prefixes[0] || strcmp(prefixes[0], prefix.data) != 0))
			ret = normalize_path(&prefixes[i], "python prefix", prefix.data);
		el__buf_free(&prefix);
		if (ret != EL_OK)
			goto done;
	}
	for (int i = 0; i < 2 && ret == EL_OK; i++) {
		/* The base install (behind a venv's link) must run the interpreter the link names. */
		const char *name = el__basename(i == 1 && resolved.len ? resolved.data : exe);

		if (!prefixes[i] || !is_python_prefix(b, prefixes[i], name))
			continue; /* nothing there to run, or nothing that may be shown */
		/*
		 * Opened by envlock when root runs it (a pyenv under /root is out of
		 * the sandbox user's reach) but not idmapped: the lock chose it, so
		 * the sandbox gets no more of it than any user may read.
		 */
		/* A venv in the working directory: its way pinned, so the command cannot swap in its own. */
		ret = b->workdir ? pin_way_to(b, b->workdir, prefixes[i]) : EL_OK;
		if (ret == EL_OK)
			ret = add_step(b, EL__MOUNT_RO_BIND, prefixes[i], prefixes[i], 0);
		if (ret == EL_OK)
			b->plan->mounts[b->plan->mount_count - 1].premade = b->plan->root_idmapped;
		/* The first one bound gives PATH its interpreter: the venv's, else the real one's. */
		if (!bin)
			bin = i == 0 ? dir.data : real.data;
	}
	if (!bin && under_system_dir(dir.data))
		bin = dir.data; /* /opt/conda/bin, /usr/bin: nothing to bind, but it leads PATH */
	if (bin && !on_default_path(bin)) {
		el__buf_puts(path_var, bin);
		el__buf_putc(path_var, ':');
	}
done:
	free(prefixes[0]);
	free(prefixes[1]);
	el__buf_free(&dir);
	el__buf_free(&real);
	el__buf_free(&resolved);
	return ret;
}

/*
 * The lock's file, its links resolved inside the root (a relative path is
 * relative to the current directory), worked out once for the plan; NULL
 * without a lock or when it cannot be resolved.
 */
static const char *lock_file(plan_builder *b)
{
	const char *given = b->opts->lock_path;
	char cwd[PATH_MAX];
	el__buf path, real;

	if (!given || b->lock_file_done)
		return b->lock_file;
	b->lock_file_done = true;
	el__buf_init(&path);
	el__buf_init(&real);
	if (given[0] != '/' && getcwd(cwd, sizeof(cwd)))
		el__buf_printf(&path, "%s/", cwd);
	el__buf_puts(&path, given);
	if (!el__buf_failed(&path) && el__resolve_in_root(&real, b->root, path.data) == EL_OK && !el__buf_failed(&real))
		b->lock_file = el__buf_detach(&real, NULL);
	el__buf_free(&path);
	el__buf_free(&real);
	return b->lock_file;
}

/* The lock's directory, resolved, for its relative data paths; NULL without a lock (or out of memory). */
static char *lock_dir(plan_builder *b)
{
	const char *file = lock_file(b);
	el__buf dir;
	char *out;

	if (!file)
		return NULL;
	el__buf_init(&dir);
	el__buf_puts(&dir, file);
	el__path_parent(&dir);
	out = el__buf_failed(&dir) ? NULL : el__buf_detach(&dir, NULL);
	el__buf_free(&dir);
	return out;
}

/*
 * The kernel's and the host's live state: a read-only bind of /proc or
 * /sys would show the host's processes, and /run's sockets still connect
 * (net none notwithstanding). No input is taken from there.
 */
static bool under_kernel_dir(const char *path)
{
	static const char *const dirs[] = { "/proc", "/sys", "/dev", "/run", NULL };

	for (const char *const *d = dirs; *d; d++)
		if (path_within(path, *d))
			return true;
	return false;
}

/*
 * A read-only view of an input the run depends on but does not own (the
 * lock's data, an editable install's source), bound at its real path. Not
 * idmapped when root runs: the sandbox sees no more of it than any user
 * may read. Skipped when it is not there (the drift check says so), or
 * already shown read-only (a system directory).
 */
static int add_input(plan_builder *b, const char *path)
{
	el__buf real;
	char *clean = NULL;
	struct stat st;
	int ret = EL_OK;

	el__buf_init(&real);
	if (path[0] == '/' && el__resolve_in_root(&real, b->root, path) == EL_OK &&
	    host_stat(b, real.data, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) &&
	    !under_system_dir(real.data) && !under_kernel_dir(real.data) &&
	    normalize_path(&clean, "input", real.data) == EL_OK && strcmp(clean, "/") != 0) {
		ret = add_step(b, EL__MOUNT_RO_BIND, clean, clean, 0);
		if (ret == EL_OK)
			b->plan->mounts[b->plan->mount_count - 1].premade = b->plan->root_idmapped;
	}
	free(clean);
	el__buf_free(&real);
	return ret == EL_ENOMEM ? ret : EL_OK;
}

/*
 * Whether the site directories of exe may choose what is shown: its
 * direct_url.json files name directories to bind, so they must be files
 * only root and the user can change, as for running it (capture.c).
 */
static bool interpreter_trusted(const plan_builder *b, const char *exe)
{
	return el__path_safe_to_run(b->root, exe);
}

/*
 * What a run reads beside its working directory: the lock's data entries
 * (relative ones are relative to the lock's directory, as check hashes
 * them: "../data" from a repository's root), and the sources of the
 * interpreter's editable installs. Without them a run fails the way the
 * application would ("Error downloading", ModuleNotFoundError), with no
 * word from envlock.
 */
static int add_inputs(plan_builder *b)
{
	const char *exe = chosen_python(b);
	el_lock_entry *data = NULL;
	size_t count = 0;
	char *dir = NULL;
	/* In a bundle the data is the tree's, at the paths the run had it (or bound by the caller). */
	int ret = b->opts->lock && !b->opts->image_root ? el_lock_data(&data, &count, b->opts->lock) : EL_OK;

	if (ret == EL_OK && count)
		dir = lock_dir(b);
	for (size_t i = 0; i < count && dir && ret == EL_OK; i++) {
		const char *key = data[i].name;
		char *path;

		if (asprintf(&path, "%s/%s", key[0] == '/' ? "" : dir, key[0] == '/' ? key + 1 : key) < 0) {
			ret = el__error_oom();
			break;
		}
		ret = add_input(b, path);
		free(path);
	}
	free(dir);
	free(data);
	if (ret == EL_OK && exe) {
		el__buf prefix, real;
		el__path_list sources = { 0 };
		const char *prefixes[3] = { NULL, NULL, NULL };

		el__buf_init(&prefix);
		el__buf_init(&real);
		el__buf_puts(&prefix, exe);
		el__path_parent(&prefix);
		el__path_parent(&prefix);
		prefixes[0] = prefix.data;
		/* A venv's interpreter is a link to its base install, whose site directories count too. */
		if (el__resolve_in_root(&real, b->root, exe) == EL_OK) {
			el__path_parent(&real);
			el__path_parent(&real);
			if (strcmp(real.data, prefix.data) != 0)
				prefixes[1] = real.data;
		}
		if (el__buf_failed(&prefix) || el__buf_failed(&real))
			ret = el__error_oom();
		else if (interpreter_trusted(b, exe))
			ret = el__editable_sources(&sources, b->root, prefixes);
		for (size_t i = 0; ret == EL_OK && i < sources.count; i++)
			if (!b->workdir || !path_within(sources.paths[i], b->workdir))
				ret = add_input(b, sources.paths[i]);
		el__path_list_free(&sources);
		el__buf_free(&prefix);
		el__buf_free(&real);
	}
	return ret;
}

static int add_dev(plan_builder *b)
{
	el_gpu_mode gpu = b->opts->profile->gpu;
	bool found_gpu = false;
	el__buf name;
	struct stat st;
	DIR *dir;
	int ret;

	ret = add_step(b, EL__MOUNT_TMPFS, NULL, "/dev", 0755);
	for (const char *const *n = dev_nodes; *n && ret == EL_OK; n++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", *n);
		if (host_stat(b, path, &st) == 0 && S_ISCHR(st.st_mode))
			ret = add_step(b, EL__MOUNT_DEV, path, path, 0);
	}
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]) && ret == EL_OK; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", dev_links[i].name);
		ret = add_step(b, EL__MOUNT_SYMLINK, dev_links[i].target, path, 0);
	}
	if (ret == EL_OK)
		ret = add_step(b, EL__MOUNT_DEVPTS, NULL, "/dev/pts", 0);
	if (ret == EL_OK)
		ret = add_scratch_step(b, "/dev/shm", 01777);
	if (ret != EL_OK || gpu == EL_GPU_NONE)
		return ret;

	/* GPU nodes: /dev/nvidia0.., nvidiactl, nvidia-uvm*, nvidia-modeset, nvidia-caps/, dri/. */
	el__buf_init(&name);
	el__root_path(&name, b->root, "/dev");
	dir = opendir(name.data);
	if (dir) {
		struct dirent *e;
		char **names = NULL;
		size_t count = 0;

		while ((e = readdir(dir))) {
			char **grown;

			if (strncmp(e->d_name, "nvidia", 6) != 0 && strcmp(e->d_name, "dri") != 0)
				continue;
			grown = realloc(names, (count + 1) * sizeof(*names));
			if (!grown || !(grown[count] = strdup(e->d_name))) {
				names = grown ? grown : names;
				ret = el__error_oom();
				break;
			}
			names = grown;
			count++;
		}
		closedir(dir);
		/* readdir's order is the file system's: sort, so the plan reads the same every time. */
		qsort(names, count, sizeof(*names), el__strcmp_ptr);
		for (size_t i = 0; i < count; i++) {
			char path[300];

			snprintf(path, sizeof(path), "/dev/%s", names[i]);
			if (ret == EL_OK && host_stat(b, path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISDIR(st.st_mode))) {
				ret = add_step(b, EL__MOUNT_DEV, path, path, 0);
				found_gpu = true;
			}
			free(names[i]);
		}
		free(names);
	}
	el__buf_free(&name);
	if (ret == EL_OK && gpu == EL_GPU_REQUIRE && !found_gpu)
		return el__error(EL_ENOTFOUND, "the profile requires a GPU (gpu require), but there is no /dev/nvidia* or /dev/dri here");
	return ret;
}

static bool listed(char *const *list, size_t count, const char *path)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(list[i], path) == 0)
			return true;
	return false;
}

static int list_push(char ***list, size_t *count, const char *path)
{
	char **grown = realloc(*list, (*count + 1) * sizeof(**list));

	if (!grown)
		return el__error_oom();
	*list = grown;
	if (!(grown[*count] = strdup(path)))
		return el__error_oom();
	(*count)++;
	return EL_OK;
}

/* Whether path is, or lies under, a path protect_path() already bound read-only. */
static bool already_kept(const plan_builder *b, const char *path)
{
	for (size_t i = 0; i < b->kept_count; i++)
		if (path_within(path, b->kept[i]))
			return true;
	return false;
}

/*
 * Pin the directories on the way from the working directory down to path
 * (path itself excluded): each is bound onto itself, which makes it a
 * mount point, and the kernel refuses to rename or remove a mount point
 * (EBUSY). The command may still write in them, but it cannot swap one
 * of them, or anything above path, for a directory of its own: path
 * names the same file when the run ends as when it started. Nothing to
 * do outside the working directory, nor when the working directory is an
 * overlay or a copy (replay: nothing written there reaches the host).
 * Each directory is bound once; a later bind of it would hide the ones
 * made inside it.
 */
static int pin_way_to(plan_builder *b, const char *workdir, const char *path)
{
	size_t n = strlen(workdir);
	el__buf dir;
	struct stat st;
	int ret = EL_OK;

	if (b->opts->workdir_overlay || b->opts->workdir_copy || !path_within(path, workdir) ||
	    strcmp(path, workdir) == 0 || strcmp(workdir, "/") == 0)
		return EL_OK;
	el__buf_init(&dir);
	for (const char *p = strchr(path + n + 1, '/'); p && ret == EL_OK; p = strchr(p + 1, '/')) {
		el__buf_reset(&dir);
		el__buf_printf(&dir, "%.*s", (int)(p - path), path);
		if (el__buf_failed(&dir))
			ret = el__error_oom();
		else if (already_kept(b, dir.data) || listed(b->pinned, b->pinned_count, dir.data))
			continue;
		/* Resolved when the plan was made: a link here now was planted since. */
		else if (host_lstat(b, dir.data, &st) != 0 || !S_ISDIR(st.st_mode))
			ret = el__error(EL_EINVAL, "%s: not a directory (it changed while the sandbox was planned)", dir.data);
		else if ((ret = add_user_step(b, EL__MOUNT_BIND, dir.data, dir.data)) == EL_OK)
			ret = list_push(&b->pinned, &b->pinned_count, dir.data);
	}
	el__buf_free(&dir);
	return ret;
}

/*
 * A path in the working directory that the command must not change (the
 * lock, its signature, the directory of the run records): bound
 * read-only, and the way to it pinned (pin_way_to). Missing, or outside
 * the working directory: nothing to do.
 */
static int protect_path(plan_builder *b, const char *workdir, const char *path)
{
	char *clean = NULL;
	struct stat st;
	int ret = normalize_path(&clean, "protected path", path);

	if (ret != EL_OK)
		return ret;
	if (b->opts->workdir_overlay || b->opts->workdir_copy || !path_within(clean, workdir) ||
	    strcmp(clean, workdir) == 0 || already_kept(b, clean) || host_lstat(b, clean, &st) != 0 ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		free(clean);
		return EL_OK;
	}
	ret = pin_way_to(b, workdir, clean);
	if (ret == EL_OK)
		ret = add_user_step(b, EL__MOUNT_RO_BIND, clean, clean);
	if (ret == EL_OK)
		ret = list_push(&b->kept, &b->kept_count, clean);
	free(clean);
	return ret;
}

/*
 * What the next run is checked against, when it lies in the working
 * directory: the lock and its signature (and what its binds come from),
 * and the options' protected paths (the record directory: earlier records
 * stay as they were written). A replay's overlay keeps the host's files
 * as they are anyway, but its lock is still bound read-only.
 */
static int add_protected(plan_builder *b, const char *workdir)
{
	const char *file = lock_file(b);
	char *clean = NULL, *sig = NULL;
	struct stat st;
	int ret = EL_OK;

	if (file && normalize_path(&clean, "lock", file) == EL_OK && path_within(clean, workdir) &&
	    host_lstat(b, clean, &st) == 0 && S_ISREG(st.st_mode)) {
		if (b->opts->workdir_overlay || b->opts->workdir_copy)
			ret = add_user_step(b, EL__MOUNT_RO_BIND, clean, clean);
		else
			ret = protect_path(b, workdir, clean);
		if (ret == EL_OK && asprintf(&sig, "%s.sig", clean) < 0)
			ret = el__error_oom();
		if (ret == EL_OK)
			ret = protect_path(b, workdir, sig);
	}
	for (size_t i = 0; ret == EL_OK && i < b->opts->protect_count; i++)
		ret = protect_path(b, workdir, b->opts->protect[i]);
	free(clean);
	free(sig);
	return ret;
}

static int resolve_source(plan_builder *b, char **path);

/*
 * The working directory's own step: bound writable, or (replay) read-only
 * under an overlay whose writes stay in the sandbox, or a copy of it bound
 * in its place where the kernel has no overlay for us.
 */
static int add_workdir_step(plan_builder *b, const char *workdir)
{
	const char *copy = b->opts->workdir_copy;
	char *clean = NULL;
	struct stat st;
	int ret;

	if (b->opts->workdir_overlay && copy)
		return el__error(EL_EINVAL, "working directory %s: an overlay and a copy contradict each other", workdir);
	if (b->opts->workdir_overlay)
		return add_user_step(b, EL__MOUNT_OVERLAY, workdir, workdir);
	if (!copy)
		return add_user_step(b, EL__MOUNT_BIND, workdir, workdir);
	ret = normalize_path(&clean, "working directory copy", copy);
	if (ret == EL_OK && (host_stat(b, clean, &st) != 0 || !S_ISDIR(st.st_mode)))
		ret = el__error(EL_ENOTFOUND, "working directory copy %s: not a directory", clean);
	/* Bound from where it really is, as the options' binds. */
	if (ret == EL_OK)
		ret = resolve_source(b, &clean);
	if (ret == EL_OK)
		ret = add_user_step(b, EL__MOUNT_BIND, clean, workdir);
	free(clean);
	return ret;
}

/* The working directory: bound writable at its own path, its .git read-only. */
static int check_destination_makeable(const plan_builder *b, const char *dest, const char *what, const char *where);

/*
 * The working directory *clean (taken) is the plan's; the command starts
 * where the user stands when that is inside it (src/ of a repository).
 */
static int settle_workdir(plan_builder *b, char **clean)
{
	if (b->opts->cwd && path_within(b->opts->cwd, *clean)) {
		int ret = normalize_path(&b->plan->cwd, "current directory", b->opts->cwd);

		if (ret != EL_OK)
			return ret;
	}
	if (!b->plan->cwd && !(b->plan->cwd = strdup(*clean)))
		return el__error_oom();
	b->workdir = *clean;
	*clean = NULL;
	return EL_OK;
}

/*
 * exec --bundle: the working directory is a path of the bundle's tree (it
 * packs the directory, empty), and the copy of the bundle's code is bound
 * there; nothing of the host's is looked at.
 */
static int add_bundle_workdir(plan_builder *b, const char *given)
{
	char *clean = NULL;
	int ret = normalize_path(&clean, "working directory", given);

	if (ret == EL_OK && !image_has_dir(b, clean))
		ret = el__error(EL_EINVAL, "working directory %s: not a directory of the bundle's tree", clean);
	if (ret == EL_OK)
		ret = add_workdir_step(b, clean);
	if (ret == EL_OK)
		ret = settle_workdir(b, &clean);
	free(clean);
	return ret;
}

static int add_workdir(plan_builder *b)
{
	const char *given = b->opts->workdir;
	char cwd[PATH_MAX], *clean = NULL;
	el__buf git;
	struct stat st;
	int ret;

	if (b->opts->image_root && b->opts->workdir_copy && given && given[0] == '/')
		return add_bundle_workdir(b, given);

	if (!given || given[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return el__error_errno(EL_ERROR, "the current directory");
		/* -C DIR relative to the current directory, as git -C. */
		if (given && snprintf(cwd + strlen(cwd), sizeof(cwd) - strlen(cwd), "/%s", given) >=
				     (int)(sizeof(cwd) - strlen(cwd)))
			return el__error(EL_EINVAL, "working directory %s: too long", given);
		given = cwd;
	}
	ret = normalize_path(&clean, "working directory", given);
	if (ret != EL_OK)
		return ret;
	if (host_stat(b, clean, &st) != 0) {
		ret = el__error_errno(EL_ENOTFOUND, "working directory %s", clean);
		goto done;
	}
	/* Where it really is: a link to /usr must meet the checks below as /usr. */
	el__buf_init(&git);
	if (el__resolve_in_root(&git, b->root, clean) == EL_OK) {
		free(clean);
		clean = NULL;
		ret = normalize_path(&clean, "working directory", git.data);
	}
	el__buf_free(&git);
	if (ret != EL_OK)
		goto done;
	if (!S_ISDIR(st.st_mode)) {
		ret = el__error(EL_EINVAL, "working directory %s: not a directory", clean);
		goto done;
	}
	if (path_within(clean, "/proc") || path_within(clean, "/dev") || path_within(clean, "/sys")) {
		ret = el__error(EL_EINVAL, "working directory %s: the sandbox has its own; choose another with --workdir",
				clean);
		goto done;
	}
	for (const char *const *d = system_dirs; *d; d++) {
		el__buf real;
		bool hit;

		/* A merged-/usr link counts as where it leads too (/lib64 is /usr/lib64). */
		el__buf_init(&real);
		hit = path_within(*d, clean) ||
		      (el__resolve_in_root(&real, b->root, *d) == EL_OK && path_within(real.data, clean));
		if (hit)
			ret = el__error(EL_EINVAL, "working directory %s: it would make %s writable; choose another with --workdir",
					clean, path_within(*d, clean) ? *d : real.data);
		el__buf_free(&real);
		if (hit)
			goto done;
	}
	/* Under one of an image's read-only directories, its mount point cannot be made. */
	if (b->opts->image_root)
		ret = check_destination_makeable(b, clean, "working directory", "--image");
	if (ret == EL_OK)
		ret = add_workdir_step(b, clean);
	el__buf_init(&git);
	el__buf_printf(&git, "%s/.git", strcmp(clean, "/") ? clean : "");
	/* A real directory only: a planted link must not choose what gets bound. */
	if (ret == EL_OK && host_lstat(b, git.data, &st) == 0 && S_ISDIR(st.st_mode))
		ret = add_user_step(b, EL__MOUNT_RO_BIND, git.data, git.data);
	el__buf_free(&git);
	if (ret == EL_OK)
		ret = add_protected(b, clean);
	if (ret == EL_OK)
		ret = settle_workdir(b, &clean);
done:
	free(clean);
	return ret;
}

/* Replace *path (normalized, existing) by its real path inside the root. */
static int resolve_source(plan_builder *b, char **path)
{
	el__buf real;
	char *clean = NULL;
	int ret;

	el__buf_init(&real);
	ret = el__resolve_in_root(&real, b->root, *path);
	if (ret == EL_OK)
		ret = normalize_path(&clean, "bind source", real.data);
	if (ret == EL_OK) {
		free(*path);
		*path = clean;
	}
	el__buf_free(&real);
	return ret;
}

/*
 * A destination that does not exist inside a read-only bind (a new
 * directory under /opt, which the sandbox shows read-only) cannot be made
 * when the sandbox is set up: said now, naming the read-only directory,
 * instead of by the kernel's "Read-only file system" at setup.
 */
static int check_destination_makeable(const plan_builder *b, const char *dest, const char *what, const char *where)
{
	const struct el__mount_step *under = NULL;
	size_t len = 0;
	el__buf inside;
	struct stat st;
	int ret = EL_OK;

	for (size_t i = 0; i < b->plan->mount_count; i++) {
		const struct el__mount_step *m = &b->plan->mounts[i];
		size_t n = strlen(m->dest);

		if (n > len && strncmp(dest, m->dest, n) == 0 && dest[n] == '/')
			under = m, len = n;
	}
	if (!under || under->op != EL__MOUNT_RO_BIND)
		return EL_OK;
	el__buf_init(&inside);
	el__buf_printf(&inside, "%s%s", under->source, dest + len);
	if (el__buf_failed(&inside))
		ret = el__error_oom();
	else if (host_lstat(b, inside.data, &st) != 0 && errno == ENOENT)
		ret = el__error(EL_EINVAL,
				"%s: %s %s: the sandbox shows %s read-only, and %s is not in it to mount "
				"onto (choose a path that is there, or a new one outside %s)",
				where, what, dest, under->dest, dest + len + 1, under->dest);
	el__buf_free(&inside);
	return ret;
}

static int add_user_mounts(plan_builder *b, const el_mount *mounts, size_t count, const char *origin)
{
	int ret = EL_OK;

	for (size_t i = 0; i < count && ret == EL_OK; i++) {
		const el_mount *m = &mounts[i];
		/* The profile's FILE:LINE, else where the list came from. */
		const char *where = m->origin ? m->origin : origin;
		char *dest = NULL, *source = NULL;
		struct stat st;

		if (m->kind != EL_MOUNT_TMPFS) {
			ret = normalize_path(&source, "bind source", m->source);
			if (ret == EL_OK && host_stat(b, source, &st) != 0)
				ret = el__error_errno(EL_ENOTFOUND, "%s: bind source %s", where, source);
			/*
			 * Bound from where it really is: setup then follows no link,
			 * so one planted after the plan cannot redirect the bind.
			 */
			if (ret == EL_OK)
				ret = resolve_source(b, &source);
		}
		if (ret == EL_OK)
			ret = normalize_path(&dest, m->kind == EL_MOUNT_TMPFS ? "tmpfs" : "bind destination",
					     m->dest ? m->dest : m->source);
		if (ret == EL_OK && strcmp(dest, "/") == 0)
			ret = el__error(EL_EINVAL, "%s: cannot mount over the sandbox's root", where);
		if (ret == EL_OK)
			ret = check_destination_makeable(b, dest, m->kind == EL_MOUNT_TMPFS ? "tmpfs" : "bind destination",
							 where);
		if (ret == EL_OK) {
			el__mount_op op = m->kind == EL_MOUNT_TMPFS ? EL__MOUNT_TMPFS
					  : m->kind == EL_MOUNT_BIND ? EL__MOUNT_BIND : EL__MOUNT_RO_BIND;

			/* The profile's and the options' tmpfs mounts are scratch, as /tmp is. */
			ret = op == EL__MOUNT_TMPFS ? add_scratch_step(b, dest, 0755)
						    : add_user_step(b, op, source, dest);
		}
		free(dest);
		free(source);
	}
	return ret;
}

/* Set NAME=value in the plan's environment, replacing an earlier value. */
static int env_set(plan_builder *b, const char *name, const char *value)
{
	el_sandbox_plan *plan = b->plan;
	size_t n = strlen(name);
	char *entry;

	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return el__error_oom();
	for (size_t i = 0; i < plan->env_count; i++) {
		if (strncmp(plan->env[i], name, n) == 0 && plan->env[i][n] == '=') {
			free(plan->env[i]);
			plan->env[i] = entry;
			return EL_OK;
		}
	}
	if (plan->env_count + 1 >= b->env_cap) {
		size_t cap = b->env_cap ? 2 * b->env_cap : 32;
		char **grown = realloc(plan->env, cap * sizeof(*plan->env));

		if (!grown) {
			free(entry);
			return el__error_oom();
		}
		plan->env = grown;
		b->env_cap = cap;
	}
	plan->env[plan->env_count++] = entry;
	plan->env[plan->env_count] = NULL;
	return EL_OK;
}

const char *el__plan_env_get(const el_sandbox_plan *plan, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < plan->env_count; i++)
		if (strncmp(plan->env[i], name, n) == 0 && plan->env[i][n] == '=')
			return plan->env[i] + n + 1;
	return NULL;
}

static const char *host_getenv(const plan_builder *b, const char *name)
{
	char *const *env = b->opts->host_env ? b->opts->host_env : environ;
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static bool seed_valid(const char *seed)
{
	/* PYTHONHASHSEED takes 0..4294967295. */
	char *end;
	unsigned long long v;

	if (!seed[0] || strspn(seed, "0123456789") != strlen(seed) || strlen(seed) > 10)
		return false;
	v = strtoull(seed, &end, 10);
	return v <= 4294967295ULL;
}

static int add_python_env(plan_builder *b);

/*
 * Without a lock, the thread pins capture would have written: the
 * profile's "threads N", or the CPUs a run here may use (auto). With one,
 * its env holds them already.
 */
static int thread_pins(plan_builder *b)
{
	const el_profile *profile = b->opts->profile;
	unsigned count = profile->threads;
	char text[16];
	int ret = EL_OK;

	if (!count && (ret = el__cpus_usable(&count, b->root, profile->cpus)) != EL_OK)
		return ret == EL_ENOMEM ? ret : el__error_prefix("threads auto");
	snprintf(text, sizeof(text), "%u", count);
	for (size_t i = 0; i < el_thread_var_count && ret == EL_OK; i++)
		if (el_profile_threads_pin(profile, el_thread_vars[i].name))
			ret = env_set(b, el_thread_vars[i].name, text);
	return ret;
}

/*
 * The environment: fixed defaults, then the lock's pins (without a lock,
 * the thread pins), the profile's (the same unless they drifted, which
 * the check reports), what keepenv passes through, and the seed. Nothing
 * else from the host.
 */
static int build_env(plan_builder *b, const char *path_var)
{
	const el_profile *profile = b->opts->profile;
	const char *seed = b->opts->seed;
	char pinned_seed[16];
	el_lock_entry *pins = NULL;
	size_t pin_count = 0;
	int ret;

	ret = env_set(b, "HOME", SANDBOX_HOME);
	if (ret == EL_OK)
		ret = env_set(b, "PATH", path_var);
	if (ret == EL_OK)
		ret = env_set(b, "LC_ALL", "C.UTF-8");
	if (ret == EL_OK)
		ret = env_set(b, "TZ", "UTC");
	if (ret == EL_OK && b->opts->lock)
		ret = el_lock_env(&pins, &pin_count, b->opts->lock);
	for (size_t i = 0; i < pin_count && ret == EL_OK; i++)
		ret = env_set(b, pins[i].name, pins[i].value);
	free(pins);
	if (ret == EL_OK && !b->opts->lock)
		ret = thread_pins(b);
	for (size_t i = 0; i < profile->pin_count && ret == EL_OK; i++)
		ret = env_set(b, profile->pins[i].name, profile->pins[i].value);
	for (size_t i = 0; i < profile->keepenv_count && ret == EL_OK; i++) {
		const char *v = host_getenv(b, profile->keepenv[i]);

		if (v)
			ret = env_set(b, profile->keepenv[i], v);
	}
	if (ret != EL_OK)
		return ret;
	if (seed && !seed_valid(seed))
		return el__error(EL_EINVAL, "--seed '%s': not a number from 0 to 4294967295", seed);
	if (!seed && profile->python_seed) {
		/* python-seed on alone: the pinned hash seed seeds the rest too. */
		const char *pinned = el__plan_env_get(b->plan, "PYTHONHASHSEED");

		/* A copy: setting PYTHONHASHSEED again frees the entry it points into. */
		snprintf(pinned_seed, sizeof(pinned_seed), "%s", pinned && seed_valid(pinned) ? pinned : "0");
		seed = pinned_seed;
	}
	if (seed) {
		ret = env_set(b, "PYTHONHASHSEED", seed);
		if (ret == EL_OK)
			ret = env_set(b, "ENVLOCK_SEED", seed);
	}
	if (ret == EL_OK)
		ret = add_python_env(b);
	/* Set last: the profile cannot turn the observer off (or point it elsewhere) by pinning these. */
	if (ret == EL_OK && b->plan->observe)
		ret = env_set(b, "LD_AUDIT", EL__AUDIT_SO);
	if (ret == EL_OK && b->plan->observe)
		ret = env_set(b, "ENVLOCK_AUDIT_FD", EL__AUDIT_FD_TEXT);
	return ret;
}

/*
 * Python's side of every run. The hook directory leads PYTHONPATH: the
 * hook seeds (with ENVLOCK_SEED) and sends the bytecode of writable trees
 * to a tmpfs of the run's (sys.pycache_prefix), so that a run leaves no
 * __pycache__ in the repository, while read-only trees (the system's, a
 * venv's) use the caches they ship; see sitecustomize.py for why the
 * hook sets it and PYTHONPYCACHEPREFIX does not. A host that turned
 * bytecode off (PYTHONDONTWRITEBYTECODE) keeps it off.
 */
static int add_python_env(plan_builder *b)
{
	const char *python_path = el__plan_env_get(b->plan, "PYTHONPATH");
	const char *no_bytecode = host_getenv(b, "PYTHONDONTWRITEBYTECODE");
	char *joined;
	int ret;

	if (asprintf(&joined, "%s%s%s", EL__PYTHON_HOOK_DIR, python_path && *python_path ? ":" : "",
		     python_path ? python_path : "") < 0)
		return el__error_oom();
	ret = env_set(b, "PYTHONPATH", joined);
	free(joined);
	if (ret == EL_OK && no_bytecode)
		ret = env_set(b, "PYTHONDONTWRITEBYTECODE", no_bytecode);
	return ret;
}

/*
 * /run/envlock, read-only: the Python hook, the observer (with observe),
 * python and python3 links to
 * the run's interpreter (so "#!/usr/bin/env python" reaches it where its
 * bin directory has no "python", as Debian's /usr/bin), and the bytecode
 * tmpfs (sys.pycache_prefix), writable.
 */
static int add_run_dir(plan_builder *b)
{
	const char *exe = chosen_python(b);
	int ret = add_step(b, EL__MOUNT_TMPFS, NULL, EL__RUN_DIR, 0755);

	if (ret == EL_OK) {
		ret = add_step(b, EL__MOUNT_FILE, NULL, EL__PYTHON_HOOK_DIR "/sitecustomize.py", 0444);
		if (ret == EL_OK) {
			b->plan->mounts[b->plan->mount_count - 1].content = el__python_hook;
			b->plan->mounts[b->plan->mount_count - 1].content_len = el__python_hook_len;
		}
	}
	if (ret == EL_OK && b->plan->observe) {
		ret = add_step(b, EL__MOUNT_FILE, NULL, EL__AUDIT_SO, 0555);
		if (ret == EL_OK) {
			b->plan->mounts[b->plan->mount_count - 1].content = (const char *)el__audit_so;
			b->plan->mounts[b->plan->mount_count - 1].content_len = el__audit_so_len;
		}
	}
	if (ret == EL_OK && exe)
		ret = add_step(b, EL__MOUNT_SYMLINK, exe, EL__RUN_BIN "/python", 0);
	if (ret == EL_OK && exe)
		ret = add_step(b, EL__MOUNT_SYMLINK, exe, EL__RUN_BIN "/python3", 0);
	if (ret == EL_OK)
		ret = add_step(b, EL__MOUNT_TMPFS, NULL, EL__PYCACHE_DIR, 0755);
	if (ret == EL_OK)
		ret = add_step(b, EL__MOUNT_READONLY, NULL, EL__RUN_DIR, 0);
	return ret;
}

static int env_compare(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
	int c = strncmp(x, y, nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

static bool in_list(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int build_seccomp(plan_builder *b)
{
	const el_profile *profile = b->opts->profile;
	el_sandbox_plan *plan = b->plan;
	size_t cap = profile->seccomp_deny_count + 1, n = 0;

	for (const char *const *d = el__seccomp_default_deny; *d; d++)
		cap++;
	plan->seccomp_deny = calloc(cap, sizeof(*plan->seccomp_deny));
	if (!plan->seccomp_deny)
		return el__error_oom();
	for (const char *const *d = el__seccomp_default_deny; *d; d++)
		if (!in_list(profile->seccomp_allow, profile->seccomp_allow_count, *d) &&
		    !(plan->seccomp_deny[n++] = strdup(*d)))
			return el__error_oom();
	for (size_t i = 0; i < profile->seccomp_deny_count; i++)
		if (!in_list(plan->seccomp_deny, n, profile->seccomp_deny[i]) &&
		    !(plan->seccomp_deny[n++] = strdup(profile->seccomp_deny[i])))
			return el__error_oom();
	plan->seccomp_deny_count = n;
	qsort(plan->seccomp_deny, n, sizeof(*plan->seccomp_deny), el__strcmp_ptr);
	/* "seccomp allow unshare" is the profile's way to allow nested namespaces, clone's included. */
	plan->deny_clone_namespaces = !in_list(profile->seccomp_allow, profile->seccomp_allow_count, "unshare");
	return EL_OK;
}

static int copy_argv(el_sandbox_plan *plan, char *const *argv)
{
	size_t n = 0;

	while (argv && argv[n])
		n++;
	if (n == 0)
		return el__error(EL_EINVAL, "no command to run");
	plan->argv = calloc(n + 1, sizeof(*plan->argv));
	if (!plan->argv)
		return el__error_oom();
	for (size_t i = 0; i < n; i++)
		if (!(plan->argv[i] = strdup(argv[i])))
			return el__error_oom();
	return EL_OK;
}

int el_sandbox_plan_new(el_sandbox_plan **out, const el_sandbox_options *opts)
{
	const el_profile *profile = opts->profile;
	plan_builder b = { .opts = opts, .root = opts->host_root ? opts->host_root : "/" };
	el_sandbox_plan *plan = calloc(1, sizeof(*plan));
	el__buf path_var;
	int ret;

	*out = NULL;
	if (opts->trace && !opts->observe) {
		free(plan);
		return el__error(EL_EINVAL, "a trace is written with the observer's lines: trace needs observe");
	}
	if (!plan)
		return el__error_oom();
	b.plan = plan;
	el__buf_init(&path_var);
	plan->namespaces = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (profile->net == EL_NET_NONE)
		plan->namespaces |= CLONE_NEWNET;
	plan->uid = profile->uid;
	plan->gid = profile->gid;
	plan->host_uid = opts->host_uid;
	plan->host_gid = opts->host_gid;
	plan->root_idmapped = opts->host_uid == 0;
	plan->cpus = profile->cpus;
	plan->aslr = profile->aslr;
	plan->umask = 022;
	plan->observe = opts->observe;
	plan->trace = opts->trace;
	plan->profile_name = strdup(profile->name);
	plan->hostname = strdup(profile->hostname ? profile->hostname : SANDBOX_HOSTNAME);
	plan->message_prefix = strdup(opts->message_prefix ? opts->message_prefix : "");
	if (!plan->profile_name || !plan->hostname || !plan->message_prefix) {
		ret = el__error_oom();
		goto done;
	}
	ret = copy_argv(plan, opts->argv);
	if (ret == EL_OK)
		ret = opts->image_root ? add_image_dirs(&b) : add_system_dirs(&b);
	/* Scratch: what the command leaves there is listed (or kept) when it ends. */
	if (ret == EL_OK)
		ret = add_scratch_step(&b, "/tmp", 01777);
	/* An image's /var is read-only: its /var/tmp is scratch only where there is one to mount on. */
	if (ret == EL_OK && (!opts->image_root || !image_has_dir(&b, "/var") || image_has_dir(&b, "/var/tmp")))
		ret = add_scratch_step(&b, "/var/tmp", 01777);
	if (ret == EL_OK)
		ret = add_scratch_step(&b, "/run", 0755);
	if (ret == EL_OK)
		ret = add_scratch_step(&b, SANDBOX_HOME, 0700);
	if (ret == EL_OK)
		ret = add_step(&b, EL__MOUNT_PROC, NULL, "/proc", 0);
	if (ret == EL_OK)
		ret = add_dev(&b);
	if (ret == EL_OK)
		ret = add_workdir(&b);
	/*
	 * After the tmpfs mounts and the working directory, which would hide
	 * it (an interpreter under /tmp) or make it writable (a .venv in the
	 * working directory).
	 */
	if (ret == EL_OK)
		ret = add_python(&b, &path_var);
	if (ret == EL_OK)
		ret = add_inputs(&b);
	if (chosen_python(&b))
		el__buf_puts(&path_var, EL__RUN_BIN ":");
	el__buf_puts(&path_var, SANDBOX_PATH);
	if (ret == EL_OK && el__buf_failed(&path_var))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = build_env(&b, path_var.data);
	if (ret == EL_OK)
		ret = add_run_dir(&b);
	if (ret == EL_OK)
		ret = add_user_mounts(&b, profile->mounts, profile->mount_count, profile->source);
	if (ret == EL_OK)
		ret = add_user_mounts(&b, opts->mounts, opts->mount_count, "command line");
	/* Last: nothing can be created in the sandbox's root itself. */
	if (ret == EL_OK)
		ret = add_step(&b, EL__MOUNT_READONLY, NULL, "/", 0);
	if (ret == EL_OK)
		ret = build_seccomp(&b);
	if (ret == EL_OK)
		qsort(plan->env, plan->env_count, sizeof(*plan->env), env_compare);
done:
	el__buf_free(&path_var);
	free(b.workdir);
	free(b.lock_file);
	for (size_t i = 0; i < b.pinned_count; i++)
		free(b.pinned[i]);
	free(b.pinned);
	for (size_t i = 0; i < b.kept_count; i++)
		free(b.kept[i]);
	free(b.kept);
	if (ret != EL_OK) {
		el_sandbox_plan_free(plan);
		return ret;
	}
	*out = plan;
	return EL_OK;
}
