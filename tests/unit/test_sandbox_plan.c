/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox plan: what el_sandbox_plan_new decides from the profile, the
 * lock and the options on a fixture host root, and what --dry-run prints.
 * Nothing here runs a sandbox; every fixture tree is built at run time.
 */
#include "helpers.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/lock.h"
#include "envlock/profile.h"
#include "envlock/sandbox.h"
#include "lock/lock_internal.h"
#include "sandbox/plan.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BASE_NAMESPACES (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

/* ---- fixture ---- */

/*
 * Every test gets a host root of its own: a merged-/usr layout (/bin, /sbin,
 * /lib, /lib64 links into /usr), a real /etc, no /opt, /lib32 or /libx32,
 * no /dev, a project at /home/u/proj with a real .git directory, and four
 * CPUs to use (proc/self/status).
 * Options start from a plain run of "python3 train.py" there, with an
 * explicit host environment that holds a secret.
 */
struct fixture {
	char *root;
	el_profile *profile;
	el_lock *lock;
	el_sandbox_options opts;
};

static char *const default_argv[] = { "python3", "train.py", NULL };
static char *const default_host_env[] = {
	"HOME=/root", "PATH=/host/bin:/usr/bin", "SECRET_TOKEN=hunter2", "TERM=xterm-256color",
	"PYTHONPATH=/host/site", "LANG=de_DE.UTF-8", NULL,
};

static char *__attribute__((format(printf, 1, 2))) str(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* mkdir -p root/rel. */
static void mkdirs(const char *root, const char *rel)
{
	char *path = el_test_path(root, rel);

	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
	free(path);
}

static el_profile *parse_profile(const char *text)
{
	el_profile *p = NULL;

	if (el_profile_parse(&p, "test", "test.profile", text, strlen(text)) != EL_OK)
		fail_msg("profile refused: %s", el_error_last());
	assert_non_null(p);
	return p;
}

/* A lock as capture writes it (fingerprint included), read back the way exec reads it. */
static el_lock *make_lock(const char *json)
{
	json_error_t jerr;
	json_t *doc = json_loads(json, 0, &jerr);
	char fp[EL_FINGERPRINT_SIZE], *text;
	el_lock *lock, *parsed = NULL;
	size_t len;

	if (!doc)
		fail_msg("bad test JSON: %s", jerr.text);
	lock = el__lock_wrap(doc);
	assert_non_null(lock);
	assert_int_equal(el_lock_fingerprint(fp, lock), EL_OK);
	json_object_set_new(lock->doc, "fingerprint", json_string(fp));
	assert_int_equal(el_lock_serialize(&text, &len, lock), EL_OK);
	el_lock_free(lock);
	if (el_lock_parse(&parsed, text, len, "env.lock") != EL_OK)
		fail_msg("lock refused: %s", el_error_last());
	free(text);
	return parsed;
}

static void set_profile(struct fixture *fx, const char *text)
{
	el_profile_free(fx->profile);
	fx->profile = parse_profile(text);
	fx->opts.profile = fx->profile;
}

static void set_lock(struct fixture *fx, const char *json)
{
	el_lock_free(fx->lock);
	fx->lock = json ? make_lock(json) : NULL;
	fx->opts.lock = fx->lock;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->root = el_test_mkdtemp();
	mkdirs(fx->root, "usr/bin");
	mkdirs(fx->root, "usr/sbin");
	mkdirs(fx->root, "usr/lib");
	mkdirs(fx->root, "usr/lib64");
	el_test_script(fx->root, "usr/bin/python3.11", "exit 1");
	el_test_symlink(fx->root, "usr/bin/python3", "python3.11");
	el_test_write(fx->root, "etc/hostname", "host\n");
	el_test_symlink(fx->root, "bin", "usr/bin");
	el_test_symlink(fx->root, "sbin", "usr/sbin");
	el_test_symlink(fx->root, "lib", "usr/lib");
	el_test_symlink(fx->root, "lib64", "usr/lib64");
	el_test_write(fx->root, "home/u/proj/train.py", "print(1)\n");
	el_test_write(fx->root, "home/u/proj/.git/HEAD", "ref: refs/heads/main\n");
	/* Four CPUs, no cgroup: what "threads auto" pins to without a lock. */
	el_test_write(fx->root, "proc/self/status", "Name:\tenvlock\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n");
	fx->profile = parse_profile("");
	fx->opts.profile = fx->profile;
	fx->opts.workdir = "/home/u/proj";
	fx->opts.argv = default_argv;
	fx->opts.host_env = default_host_env;
	fx->opts.host_root = fx->root;
	fx->opts.host_uid = 1234;
	fx->opts.host_gid = 1235;
	el_error_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	el_profile_free(fx->profile);
	el_lock_free(fx->lock);
	el_test_rmtree(fx->root);
	free(fx->root);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static el_sandbox_plan *plan_ok(const el_sandbox_options *opts)
{
	el_sandbox_plan *plan = NULL;

	if (el_sandbox_plan_new(&plan, opts) != EL_OK)
		fail_msg("plan refused: %s", el_error_last());
	assert_non_null(plan);
	return plan;
}

static void expect_refused(const el_sandbox_options *opts, int code, const char *message)
{
	el_sandbox_plan *plan = (el_sandbox_plan *)1;

	assert_int_equal(el_sandbox_plan_new(&plan, opts), code);
	assert_null(plan);
	assert_string_equal(el_error_last(), message);
}

/* What --dry-run prints for plan, malloc'd. */
static char *plan_text(const el_sandbox_plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(el_sandbox_plan_write(plan, f), EL_OK);
	fclose(f);
	assert_int_equal(strlen(text), len);
	return text;
}

static const char *op_word(el__mount_op op)
{
	switch (op) {
	case EL__MOUNT_RO_BIND: return "ro-bind";
	case EL__MOUNT_BIND: return "bind";
	case EL__MOUNT_DEV: return "dev";
	case EL__MOUNT_TMPFS: return "tmpfs";
	case EL__MOUNT_PROC: return "proc";
	case EL__MOUNT_DEVPTS: return "devpts";
	case EL__MOUNT_SYMLINK: return "symlink";
	case EL__MOUNT_FILE: return "file";
	case EL__MOUNT_READONLY: return "readonly";
	case EL__MOUNT_OVERLAY: return "overlay";
	}
	return "?";
}

/*
 * The plan's mount steps, one a line, straight from the struct (not through
 * plan_print.c): "OP DEST [SOURCE] [MODE] [scratch]", SOURCE when there is
 * one, MODE in octal for tmpfs and file steps, "scratch" for the mounts
 * whose files are listed when the run ends.
 */
static char *steps_text(const el_sandbox_plan *plan)
{
	el__buf out;

	el__buf_init(&out);
	for (size_t i = 0; i < plan->mount_count; i++) {
		const struct el__mount_step *m = &plan->mounts[i];

		el__buf_printf(&out, "%s %s", op_word(m->op), m->dest);
		if (m->source)
			el__buf_printf(&out, " %s", m->source);
		if (m->op == EL__MOUNT_TMPFS || m->op == EL__MOUNT_FILE)
			el__buf_printf(&out, " %04o", m->mode);
		if (m->scratch)
			el__buf_puts(&out, " scratch");
		el__buf_putc(&out, '\n');
	}
	assert_false(el__buf_failed(&out));
	return el__buf_detach(&out, NULL);
}

static void assert_steps(const el_sandbox_plan *plan, const char *expected)
{
	char *got = steps_text(plan);

	assert_string_equal(got, expected);
	free(got);
}

/*
 * The steps whose destination is one of dests (NULL-terminated), or with
 * picked false all the others, in steps_text's form and order.
 */
static char *steps_picked(const el_sandbox_plan *plan, const char *const *dests, bool picked)
{
	char *all = steps_text(plan);
	el__buf out;

	el__buf_init(&out);
	for (const char *line = all; *line;) {
		size_t len = strcspn(line, "\n");
		const char *dest = strchr(line, ' ') + 1;
		size_t dest_len = strcspn(dest, " \n");
		bool listed = false;

		for (const char *const *d = dests; *d; d++)
			if (strlen(*d) == dest_len && strncmp(dest, *d, dest_len) == 0)
				listed = true;
		if (listed == picked)
			el__buf_printf(&out, "%.*s\n", (int)len, line);
		line += len + (line[len] == '\n');
	}
	free(all);
	return el__buf_detach(&out, NULL);
}

/* The plan's environment as "A=1\nB=2\n", also checking its count and NULL end. */
static char *env_text(const el_sandbox_plan *plan)
{
	el__buf out;
	size_t n = 0;

	el__buf_init(&out);
	for (char **e = plan->env; e && *e; e++, n++)
		el__buf_printf(&out, "%s\n", *e);
	assert_int_equal(n, plan->env_count);
	return el__buf_detach(&out, NULL);
}

static void assert_env(const el_sandbox_plan *plan, const char *expected)
{
	char *got = env_text(plan);

	assert_string_equal(got, expected);
	free(got);
}


/* Index of the first step with op and dest, or -1. */
static int step_index(const el_sandbox_plan *plan, el__mount_op op, const char *dest)
{
	for (size_t i = 0; i < plan->mount_count; i++)
		if (plan->mounts[i].op == op && strcmp(plan->mounts[i].dest, dest) == 0)
			return (int)i;
	return -1;
}

static bool has_step_dest(const el_sandbox_plan *plan, const char *dest)
{
	for (size_t i = 0; i < plan->mount_count; i++)
		if (strcmp(plan->mounts[i].dest, dest) == 0)
			return true;
	return false;
}

static bool in_deny(const el_sandbox_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->seccomp_deny_count; i++)
		if (strcmp(plan->seccomp_deny[i], name) == 0)
			return true;
	return false;
}

/* Every line of text that starts with prefix, joined. */
static char *lines_starting(const char *text, const char *prefix)
{
	el__buf out;

	el__buf_init(&out);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		if (strncmp(line, prefix, strlen(prefix)) == 0)
			el__buf_printf(&out, "%.*s\n", (int)len, line);
		line += len + (line[len] == '\n');
	}
	return el__buf_detach(&out, NULL);
}

/* A char device at root/rel, or false when this process may not make one. */
static bool make_chr(const char *root, const char *rel, unsigned maj, unsigned min)
{
	char *path = el_test_path(root, rel);
	bool ok;

	mkdirs(root, "dev");
	ok = mknod(path, S_IFCHR | 0666, makedev(maj, min)) == 0;
	free(path);
	return ok;
}

/* The steps every plan has between the system directories and the workdir (no /dev nodes, no GPU). */
#define TMP_STEPS                                                                                      \
	"tmpfs /tmp 1777 scratch\n"                                                                                \
	"tmpfs /var/tmp 1777 scratch\n"                                                                            \
	"tmpfs /run 0755 scratch\n"                                                                                \
	"tmpfs /home/envlock 0700 scratch\n"                                                                       \
	"proc /proc\n"
#define DEV_HEAD "tmpfs /dev 0755\n"
#define DEV_TAIL                                                                                       \
	"symlink /dev/fd /proc/self/fd\n"                                                                  \
	"symlink /dev/stdin /proc/self/fd/0\n"                                                             \
	"symlink /dev/stdout /proc/self/fd/1\n"                                                            \
	"symlink /dev/stderr /proc/self/fd/2\n"                                                            \
	"symlink /dev/ptmx pts/ptmx\n"                                                                     \
	"devpts /dev/pts\n"                                                                                \
	"tmpfs /dev/shm 1777 scratch\n"
#define SYSTEM_STEPS                                                                                   \
	"ro-bind /usr /usr\n"                                                                              \
	"ro-bind /etc /etc\n"                                                                              \
	"symlink /bin usr/bin\n"                                                                           \
	"symlink /sbin usr/sbin\n"                                                                         \
	"symlink /lib usr/lib\n"                                                                           \
	"symlink /lib64 usr/lib64\n"
#define WORKDIR_STEPS                                                                                  \
	"bind /home/u/proj /home/u/proj\n"                                                                 \
	"ro-bind /home/u/proj/.git /home/u/proj/.git\n"
/* envlock's own directory, in every plan: the Python hook and the bytecode tmpfs. */
#define RUN_STEPS                                                                                      \
	"tmpfs /run/envlock 0755\n"                                                                        \
	"file /run/envlock/python/sitecustomize.py 0444\n"                                                 \
	"tmpfs /run/envlock/pycache 0755\n"                                                                \
	"readonly /run/envlock\n"
/* The same with the python and python3 links to the run's interpreter. */
#define RUN_STEPS_PY(exe)                                                                              \
	"tmpfs /run/envlock 0755\n"                                                                        \
	"file /run/envlock/python/sitecustomize.py 0444\n"                                                 \
	"symlink /run/envlock/bin/python " exe "\n"                                                        \
	"symlink /run/envlock/bin/python3 " exe "\n"                                                       \
	"tmpfs /run/envlock/pycache 0755\n"                                                                \
	"readonly /run/envlock\n"

/*
 * The interpreter's binds (the steps at dests) are exactly expected_binds,
 * in that order, after every system directory; every other step is the
 * plain plan's. Where among the later steps the binds go is
 * test_python_under_tmp_stays_visible's business.
 */
static void assert_python_binds(const el_sandbox_plan *plan, const char *const *dests, const char *expected_binds)
{
	char *binds = steps_picked(plan, dests, true), *rest = steps_picked(plan, dests, false);
	const char *exe = plan->mounts[step_index(plan, EL__MOUNT_SYMLINK, "/run/envlock/bin/python")].source;
	char *want = str(SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS "tmpfs /run/envlock 0755\n"
			 "file /run/envlock/python/sitecustomize.py 0444\n"
			 "symlink /run/envlock/bin/python %s\nsymlink /run/envlock/bin/python3 %s\n"
			 "tmpfs /run/envlock/pycache 0755\nreadonly /run/envlock\nreadonly /\n", exe, exe);

	assert_string_equal(binds, expected_binds);
	assert_string_equal(rest, want);
	free(binds);
	free(rest);
	free(want);
	for (const char *const *d = dests; *d; d++) {
		int i = step_index(plan, EL__MOUNT_RO_BIND, *d);

		if (i >= 0)
			assert_true(i > step_index(plan, EL__MOUNT_SYMLINK, "/lib64"));
	}
}

#define SECCOMP_DEFAULT_LINE                                                                           \
	"  EPERM      add_key bpf chroot delete_module finit_module fsconfig fsmount fsopen fspick "        \
	"init_module io_uring_enter io_uring_register io_uring_setup kcmp kexec_file_load kexec_load "      \
	"keyctl mount mount_setattr move_mount open_by_handle_at open_tree perf_event_open pidfd_getfd "    \
	"pivot_root process_madvise process_vm_readv process_vm_writev ptrace reboot "                     \
	"request_key setns swapoff swapon umount2 unshare userfaultfd\n"

#define TEXT_TAIL_FIXED                                                                                \
	"umask: 0022\n"

#define TEXT_CAPS                                                                                      \
	"capabilities: none (effective, permitted, inheritable, ambient and bounding sets cleared)\n"    \
	"no_new_privs: on\n"                                                                               \
	"session: new (setsid)\n"                                                                          \
	"file descriptors: 0, 1 and 2 only\n"

#define SET_ID_REASON                                                                                  \
	"when root starts the run, a set-id file the command leaves in a bind is set-id for root on the host"

#define TEXT_SECCOMP_ENOSYS                                                                            \
	"  ENOSYS     openat2\n"                                                                           \
	"             (its mode is in memory a filter cannot read; the C library's open() does not use it)\n" \
	"  ENOSYS     clone3\n"                                                                            \
	"             (its flags are in memory a filter cannot read; the C library falls back to clone)\n" \
	"  ENOSYS     system calls the filter does not know\n"                                             \
	"             (a C library trying a call newer than the filter falls back, as on an older kernel)\n"

#define TEXT_SECCOMP_REST                                                                              \
	"  EPERM      ioctl if its request (low 32 bits) is TIOCSTI or TIOCLINUX\n"                        \
	"             (either fakes input on the terminal, which the shell that started envlock reads "    \
	"after the run)\n"                                                                                 \
	"  EPERM      clone if its flags have CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, "    \
	"CLONE_NEWPID, CLONE_NEWNET or CLONE_NEWCGROUP\n"                                                  \
	"             (namespaces made inside the sandbox, as with unshare; a profile allows them with "   \
	"\"seccomp allow unshare\")\n"                                                                     \
	"  EPERM      chmod, fchmod, fchmodat, fchmodat2, creat, mknod, mknodat if its mode has S_ISUID "  \
	"or S_ISGID\n"                                                                                     \
	"             (" SET_ID_REASON ")\n"                                                               \
	"  EPERM      open, openat if its flags have O_CREAT or O_TMPFILE and its mode has S_ISUID or "    \
	"S_ISGID\n"                                                                                        \
	"             (" SET_ID_REASON ")\n" TEXT_SECCOMP_ENOSYS                                           \
	"  kill       calls from other architectures and x32\n"                                            \
	"             (the rules are written in this architecture's numbers, which mean other calls "      \
	"there)\n"

/* ---- the default plan ---- */

/*
 * An empty profile, no lock, no seed: system directories in their fixed
 * order, links kept as links (never followed into a bind), what does not
 * exist (/opt, /lib32) or is not a directory (/libx32 here a file) left
 * out; then the tmpfs mounts, /proc, the minimal /dev, the workdir and its
 * .git, and the root made read-only last.
 */
static void test_default_steps(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	el_test_write(fx->root, "libx32", "not a directory\n");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	/* Symlink steps carry the link's own target text, relative as it was. */
	assert_int_equal(plan->mounts[2].op, EL__MOUNT_SYMLINK);
	assert_string_equal(plan->mounts[2].source, "usr/bin");
	/* Bind-like steps without a separate source bind the same path. */
	assert_string_equal(plan->mounts[0].source, "/usr");
	assert_null(plan->mounts[6].source); /* tmpfs /tmp */
	assert_string_equal(plan->cwd, "/home/u/proj");
	assert_string_equal(plan->profile_name, "test");
	assert_string_equal(plan->hostname, "envlock");
	assert_int_equal(plan->namespaces, BASE_NAMESPACES);
	assert_int_equal(plan->uid, 1000);
	assert_int_equal(plan->gid, 1000);
	assert_int_equal(plan->host_uid, 1234);
	assert_int_equal(plan->host_gid, 1235);
	assert_int_equal(plan->cpus, 0);
	assert_true(plan->aslr);
	assert_int_equal(plan->umask, 022);
	assert_string_equal(plan->argv[0], "python3");
	assert_string_equal(plan->argv[1], "train.py");
	assert_null(plan->argv[2]);
	el_sandbox_plan_free(plan);
}

/* An absolute link target is kept as written; a real /opt and /lib32 are bound, in the list's order. */
static void test_system_dirs_real_and_absolute_links(void **state)
{
	struct fixture *fx = *state;
	char *bin = el_test_path(fx->root, "bin");
	el_sandbox_plan *plan;

	assert_int_equal(unlink(bin), 0);
	mkdirs(fx->root, "bin"); /* not merged: a real /bin */
	el_test_symlink(fx->root, "lib64", "/usr/lib64");
	mkdirs(fx->root, "opt/tool");
	mkdirs(fx->root, "lib32");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, "ro-bind /usr /usr\n"
			   "ro-bind /etc /etc\n"
			   "ro-bind /opt /opt\n"
			   "ro-bind /bin /bin\n"
			   "symlink /sbin usr/sbin\n"
			   "symlink /lib usr/lib\n"
			   "ro-bind /lib32 /lib32\n"
			   "symlink /lib64 /usr/lib64\n" TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);
	free(bin);
}

/* The whole --dry-run text of the default plan. */
static void test_default_text(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan = plan_ok(&fx->opts);
	char *text = plan_text(plan);

	assert_string_equal(text, "profile: test\n"
				  "namespaces: user mount pid ipc uts cgroup\n"
				  "user: uid 1000 gid 1000 (uid 1234 gid 1235 on the host)\n"
				  "hostname: envlock\n"
				  "mounts:\n"
				  "  tmpfs      /  (the new root)\n"
				  "  ro-bind    /usr\n"
				  "  ro-bind    /etc\n"
				  "  symlink    /bin -> usr/bin\n"
				  "  symlink    /sbin -> usr/sbin\n"
				  "  symlink    /lib -> usr/lib\n"
				  "  symlink    /lib64 -> usr/lib64\n"
				  "  tmpfs      /tmp  (mode 1777, scratch)\n"
				  "  tmpfs      /var/tmp  (mode 1777, scratch)\n"
				  "  tmpfs      /run  (mode 0755, scratch)\n"
				  "  tmpfs      /home/envlock  (mode 0700, scratch)\n"
				  "  proc       /proc\n"
				  "  tmpfs      /dev  (mode 0755)\n"
				  "  symlink    /dev/fd -> /proc/self/fd\n"
				  "  symlink    /dev/stdin -> /proc/self/fd/0\n"
				  "  symlink    /dev/stdout -> /proc/self/fd/1\n"
				  "  symlink    /dev/stderr -> /proc/self/fd/2\n"
				  "  symlink    /dev/ptmx -> pts/ptmx\n"
				  "  devpts     /dev/pts\n"
				  "  tmpfs      /dev/shm  (mode 1777, scratch)\n"
				  "  bind       /home/u/proj\n"
				  "  ro-bind    /home/u/proj/.git\n"
				  "  tmpfs      /run/envlock  (mode 0755)\n"
				  "  file       /run/envlock/python/sitecustomize.py  (mode 0444)\n"
				  "  tmpfs      /run/envlock/pycache  (mode 0755)\n"
				  "  remount-ro /run/envlock\n"
				  "  remount-ro /\n"
				  "environment:\n"
				  "  HOME=/home/envlock\n"
				  "  LC_ALL=C.UTF-8\n"
				  "  MKL_NUM_THREADS=4\n"
				  "  OMP_NUM_THREADS=4\n"
				  "  OPENBLAS_NUM_THREADS=4\n"
				  "  PATH=" DEFAULT_PATH "\n"
				  "  PYTHONPATH=/run/envlock/python\n"
				  "  TZ=UTC\n"
				  "working directory: /home/u/proj\n" TEXT_TAIL_FIXED
				  "cpus: all this process may use\n"
				  "aslr: on\n" TEXT_CAPS "seccomp:\n" SECCOMP_DEFAULT_LINE TEXT_SECCOMP_REST
				  "command: python3 train.py\n");
	free(text);
	el_sandbox_plan_free(plan);
}

/*
 * A plan with most things on, printed whole: the system interpreter, pins,
 * keepenv, --seed, net none, a GPU directory, mounts from the profile and
 * the command line, hostname, cpus, aslr, uid and gid, seccomp changes.
 */
static void test_full_text(void **state)
{
	struct fixture *fx = *state;
	static const el_mount mounts[] = {
		{ EL_MOUNT_RO_BIND, "/data/ref", "/ref", NULL },
		{ EL_MOUNT_TMPFS, NULL, "/cache", NULL },
	};
	el_sandbox_plan *plan;
	char *text;

	mkdirs(fx->root, "data/in");
	mkdirs(fx->root, "data/ref");
	mkdirs(fx->root, "dev/dri");
	set_profile(fx, "setenv OMP_NUM_THREADS 1\n"
			"keepenv TERM\n"
			"net none\n"
			"gpu require\n"
			"bind /data/in\n"
			"hostname trainer\n"
			"cpus 4\n"
			"aslr off\n"
			"uid 0\n"
			"gid 0\n"
			"seccomp allow ptrace\n"
			"seccomp deny personality\n");
	set_lock(fx, "{\"envlock\":1,\"python\":{\"executable\":\"/usr/bin/python3\"},"
		     "\"env\":{\"CUBLAS_WORKSPACE_CONFIG\":\":4096:8\",\"OMP_NUM_THREADS\":\"1\"}}");
	fx->opts.mounts = mounts;
	fx->opts.mount_count = 2;
	fx->opts.seed = "42";
	plan = plan_ok(&fx->opts);
	text = plan_text(plan);
	assert_string_equal(text,
			    "profile: test\n"
			    "namespaces: user mount pid ipc uts cgroup net (loopback only)\n"
			    "user: uid 0 gid 0 (uid 1234 gid 1235 on the host)\n"
			    "hostname: trainer\n"
			    "mounts:\n"
			    "  tmpfs      /  (the new root)\n"
			    "  ro-bind    /usr\n"
			    "  ro-bind    /etc\n"
			    "  symlink    /bin -> usr/bin\n"
			    "  symlink    /sbin -> usr/sbin\n"
			    "  symlink    /lib -> usr/lib\n"
			    "  symlink    /lib64 -> usr/lib64\n"
			    "  tmpfs      /tmp  (mode 1777, scratch)\n"
			    "  tmpfs      /var/tmp  (mode 1777, scratch)\n"
			    "  tmpfs      /run  (mode 0755, scratch)\n"
			    "  tmpfs      /home/envlock  (mode 0700, scratch)\n"
			    "  proc       /proc\n"
			    "  tmpfs      /dev  (mode 0755)\n"
			    "  symlink    /dev/fd -> /proc/self/fd\n"
			    "  symlink    /dev/stdin -> /proc/self/fd/0\n"
			    "  symlink    /dev/stdout -> /proc/self/fd/1\n"
			    "  symlink    /dev/stderr -> /proc/self/fd/2\n"
			    "  symlink    /dev/ptmx -> pts/ptmx\n"
			    "  devpts     /dev/pts\n"
			    "  tmpfs      /dev/shm  (mode 1777, scratch)\n"
			    "  dev-bind   /dev/dri\n"
			    "  bind       /home/u/proj\n"
			    "  ro-bind    /home/u/proj/.git\n"
			    "  tmpfs      /run/envlock  (mode 0755)\n"
			    "  file       /run/envlock/python/sitecustomize.py  (mode 0444)\n"
			    "  symlink    /run/envlock/bin/python -> /usr/bin/python3\n"
			    "  symlink    /run/envlock/bin/python3 -> /usr/bin/python3\n"
			    "  tmpfs      /run/envlock/pycache  (mode 0755)\n"
			    "  remount-ro /run/envlock\n"
			    "  bind       /data/in\n"
			    "  ro-bind    /ref  from /data/ref\n"
			    "  tmpfs      /cache  (mode 0755, scratch)\n"
			    "  remount-ro /\n"
			    "environment:\n"
			    "  CUBLAS_WORKSPACE_CONFIG=:4096:8\n"
			    "  ENVLOCK_SEED=42\n"
			    "  HOME=/home/envlock\n"
			    "  LC_ALL=C.UTF-8\n"
			    "  OMP_NUM_THREADS=1\n"
			    "  PATH=/run/envlock/bin:" DEFAULT_PATH "\n"
			    "  PYTHONHASHSEED=42\n"
			    "  PYTHONPATH=/run/envlock/python\n"
			    "  TERM=xterm-256color\n"
			    "  TZ=UTC\n"
			    "working directory: /home/u/proj\n" TEXT_TAIL_FIXED
			    "cpus: 4 (the first 4 this process may use)\n"
			    "aslr: off\n" TEXT_CAPS "seccomp:\n"
			    "  EPERM      add_key bpf chroot delete_module finit_module fsconfig fsmount fsopen fspick "
			    "init_module io_uring_enter io_uring_register io_uring_setup kcmp kexec_file_load "
			    "kexec_load keyctl mount mount_setattr move_mount open_by_handle_at open_tree "
			    "perf_event_open personality pidfd_getfd pivot_root process_madvise process_vm_readv "
			    "process_vm_writev reboot request_key setns swapoff swapon umount2 unshare userfaultfd\n"
			    TEXT_SECCOMP_REST
			    "command: python3 train.py\n");
	free(text);
	el_sandbox_plan_free(plan);
}

/* ---- environment ---- */

/*
 * Cleared, then the fixed four, the lock's pins, the profile's setenv
 * (overriding the lock), keepenv of what host_env has: sorted by name, and
 * nothing else of the host (its HOME, PATH, LANG, secret, PYTHONPATH).
 */
static void test_env(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text;

	set_profile(fx, "setenv OMP_NUM_THREADS 4\n"
			"setenv ZZ_LAST z\n"
			"setenv A_FIRST a\n"
			"keepenv TERM NOT_ON_HOST\n");
	set_lock(fx, "{\"envlock\":1,\"env\":{\"OMP_NUM_THREADS\":\"1\",\"CUBLAS_WORKSPACE_CONFIG\":\":4096:8\","
		     "\"PYTHONHASHSEED\":\"0\"}}");
	plan = plan_ok(&fx->opts);
	assert_env(plan, "A_FIRST=a\n"
			 "CUBLAS_WORKSPACE_CONFIG=:4096:8\n"
			 "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "OMP_NUM_THREADS=4\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONHASHSEED=0\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TERM=xterm-256color\n"
			 "TZ=UTC\n"
			 "ZZ_LAST=z\n");
	assert_null(plan->env[plan->env_count]);
	text = plan_text(plan);
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "SECRET_TOKEN"));
	assert_null(strstr(text, "de_DE"));
	assert_null(strstr(text, "/host/"));
	/* No seed: nothing seeded (the hook is there for the bytecode cache). */
	assert_null(strstr(text, "ENVLOCK_SEED"));
	free(text);
	el_sandbox_plan_free(plan);
}

/*
 * observe: the audit library in /run/envlock, read-only and executable,
 * and the two variables that load it; a profile cannot pin them away.
 */
static void test_observe(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	int i;

	set_profile(fx, "setenv LD_AUDIT /tmp/other.so\nsetenv ENVLOCK_AUDIT_FD 7\n");
	fx->opts.observe = true;
	plan = plan_ok(&fx->opts);
	assert_true(plan->observe);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS
		     "tmpfs /run/envlock 0755\n"
		     "file /run/envlock/python/sitecustomize.py 0444\n"
		     "file /run/envlock/audit.so 0555\n"
		     "tmpfs /run/envlock/pycache 0755\n"
		     "readonly /run/envlock\n"
		     "readonly /\n");
	i = step_index(plan, EL__MOUNT_FILE, "/run/envlock/audit.so");
	assert_true(i >= 0);
	assert_int_equal(plan->mounts[i].content_len, el__audit_so_len);
	/* The observer is an ELF shared object. */
	assert_true(el__audit_so_len > 4);
	assert_memory_equal(plan->mounts[i].content, "\177ELF", 4);
	assert_string_equal(el__plan_env_get(plan, "LD_AUDIT"), "/run/envlock/audit.so");
	assert_string_equal(el__plan_env_get(plan, "ENVLOCK_AUDIT_FD"), "3");
	el_sandbox_plan_free(plan);
	/* Without observe, neither the file nor the variables (the profile's pins stand). */
	fx->opts.observe = false;
	plan = plan_ok(&fx->opts);
	assert_false(plan->observe);
	assert_false(has_step_dest(plan, "/run/envlock/audit.so"));
	assert_string_equal(el__plan_env_get(plan, "LD_AUDIT"), "/tmp/other.so");
	el_sandbox_plan_free(plan);
}

/* Sorted by name, not by the whole entry: "A=..." before "A_B=..." whatever the values. */
static void test_env_sorted_by_name(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	set_profile(fx, "setenv A_B 1\nsetenv A ~~~\nsetenv AB 0\n");
	plan = plan_ok(&fx->opts);
	assert_env(plan, "A=~~~\n"
			 "AB=0\n"
			 "A_B=1\n"
			 "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "MKL_NUM_THREADS=4\n"
			 "OMP_NUM_THREADS=4\n"
			 "OPENBLAS_NUM_THREADS=4\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TZ=UTC\n");
	el_sandbox_plan_free(plan);
}

/*
 * keepenv passes a variable the host has, even empty, and overrides pins, the thread count (the
 * other thread variables keep it) and the fixed defaults.
 */
static void test_keepenv_overrides(void **state)
{
	struct fixture *fx = *state;
	char *const host_env[] = { "TZ=Europe/Berlin", "EMPTY=", "OMP_NUM_THREADS=8", "TERMX=no", NULL };
	el_sandbox_plan *plan;

	set_profile(fx, "setenv OMP_NUM_THREADS 1\nkeepenv TZ EMPTY OMP_NUM_THREADS TERM\n");
	fx->opts.host_env = host_env;
	plan = plan_ok(&fx->opts);
	assert_env(plan, "EMPTY=\n"
			 "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "MKL_NUM_THREADS=4\n"
			 "OMP_NUM_THREADS=8\n"
			 "OPENBLAS_NUM_THREADS=4\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TZ=Europe/Berlin\n");
	el_sandbox_plan_free(plan);
}

/* Without host_env, keepenv reads this process's environment. */
static void test_keepenv_environ(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	setenv("EL_TEST_SANDBOX_KEEP", "kept", 1);
	setenv("EL_TEST_SANDBOX_OTHER", "not kept", 1);
	set_profile(fx, "keepenv EL_TEST_SANDBOX_KEEP\n");
	fx->opts.host_env = NULL;
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "EL_TEST_SANDBOX_KEEP"), "kept");
	assert_null(el__plan_env_get(plan, "EL_TEST_SANDBOX_OTHER"));
	assert_string_equal(el__plan_env_get(plan, "HOME"), "/home/envlock");
	el_sandbox_plan_free(plan);
	unsetenv("EL_TEST_SANDBOX_KEEP");
	unsetenv("EL_TEST_SANDBOX_OTHER");
}

/* ---- thread pins ---- */

/*
 * Without a lock, threads auto pins the CPUs a run may use: the affinity
 * mask (four here), fewer under a cgroup quota on the cgroup or an
 * ancestor (the tightest, rounded up), fewer again with cpus N.
 */
static void test_threads_auto_no_lock(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	el_test_write(fx->root, "proc/self/cgroup", "0::/job/step\n");
	el_test_write(fx->root, "sys/fs/cgroup/job/cpu.max", "250000 100000\n");
	el_test_write(fx->root, "sys/fs/cgroup/job/step/cpu.max", "max 100000\n");
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "OMP_NUM_THREADS"), "3");
	assert_string_equal(el__plan_env_get(plan, "MKL_NUM_THREADS"), "3");
	assert_string_equal(el__plan_env_get(plan, "OPENBLAS_NUM_THREADS"), "3");
	el_sandbox_plan_free(plan);
	set_profile(fx, "cpus 2\n");
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "OMP_NUM_THREADS"), "2");
	assert_int_equal(plan->cpus, 2);
	el_sandbox_plan_free(plan);
}

/* threads N pins N, whatever the CPUs; setenv wins, and keepenv of a variable the host lacks leaves it unset. */
static void test_threads_fixed_no_lock(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	set_profile(fx, "threads 16\nsetenv OMP_NUM_THREADS 2\nkeepenv OPENBLAS_NUM_THREADS\n");
	plan = plan_ok(&fx->opts);
	assert_env(plan, "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "MKL_NUM_THREADS=16\n"
			 "OMP_NUM_THREADS=2\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TZ=UTC\n");
	el_sandbox_plan_free(plan);
}

/* With a lock its env decides: the count is not worked out again, even where it cannot be. */
static void test_threads_from_lock(void **state)
{
	struct fixture *fx = *state;
	char *status = el_test_path(fx->root, "proc/self/status");
	el_sandbox_plan *plan;

	assert_int_equal(unlink(status), 0);
	set_profile(fx, "threads 16\n");
	set_lock(fx, "{\"envlock\":1,\"threads\":64,\"env\":{\"OMP_NUM_THREADS\":\"64\",\"MKL_NUM_THREADS\":\"64\"}}");
	plan = plan_ok(&fx->opts);
	assert_env(plan, "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "MKL_NUM_THREADS=64\n"
			 "OMP_NUM_THREADS=64\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TZ=UTC\n");
	el_sandbox_plan_free(plan);
	free(status);
}

/* Without a lock, a count that cannot be worked out refuses the plan, naming the file. */
static void test_threads_auto_unknown(void **state)
{
	struct fixture *fx = *state;
	char *status = el_test_path(fx->root, "proc/self/status");
	char *message = str("threads auto: %s: No such file or directory", status);

	assert_int_equal(unlink(status), 0);
	expect_refused(&fx->opts, EL_ENOTFOUND, message);
	free(message);
	free(status);
}

/* ---- seeding ---- */

static void test_seed(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	const struct el__mount_step *file;
	int i;

	set_lock(fx, "{\"envlock\":1,\"env\":{\"PYTHONHASHSEED\":\"0\"}}");
	fx->opts.seed = "42";
	plan = plan_ok(&fx->opts);
	/* --seed wins over the pinned hash seed. */
	assert_env(plan, "ENVLOCK_SEED=42\n"
			 "HOME=/home/envlock\n"
			 "LC_ALL=C.UTF-8\n"
			 "PATH=" DEFAULT_PATH "\n"
			 "PYTHONHASHSEED=42\n"
			 "PYTHONPATH=/run/envlock/python\n"
			 "TZ=UTC\n");
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	i = step_index(plan, EL__MOUNT_FILE, EL__PYTHON_HOOK_DIR "/sitecustomize.py");
	assert_true(i >= 0);
	file = &plan->mounts[i];
	assert_null(file->source);
	assert_ptr_equal(file->content, el__python_hook);
	assert_int_equal(file->content_len, el__python_hook_len);
	assert_true(file->content_len > 0);
	assert_int_equal(file->mode, 0444);
	el_sandbox_plan_free(plan);
}

/* Boundary values are taken as they are. */
static void test_seed_bounds(void **state)
{
	struct fixture *fx = *state;
	static const char *const good[] = { "0", "4294967295", "0000000001", NULL };

	for (const char *const *s = good; *s; s++) {
		el_sandbox_plan *plan;

		fx->opts.seed = *s;
		plan = plan_ok(&fx->opts);
		assert_string_equal(el__plan_env_get(plan, "PYTHONHASHSEED"), *s);
		assert_string_equal(el__plan_env_get(plan, "ENVLOCK_SEED"), *s);
		el_sandbox_plan_free(plan);
	}
}

static void test_seed_invalid(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = { "-1", "abc", "4294967296", "", "+1", " 1", "1 ", "0x10",
					   "99999999999", "18446744073709551617", NULL };

	for (const char *const *s = bad; *s; s++) {
		char *message = str("--seed '%s': not a number from 0 to 4294967295", *s);

		fx->opts.seed = *s;
		expect_refused(&fx->opts, EL_EINVAL, message);
		free(message);
	}
}

/* keepenv PYTHONPATH: the hook's directory first, the host's entries after; an empty one adds no ':'. */
static void test_seed_keeps_pythonpath(void **state)
{
	struct fixture *fx = *state;
	char *const empty_env[] = { "PYTHONPATH=", NULL };
	el_sandbox_plan *plan;

	set_profile(fx, "keepenv PYTHONPATH\n");
	fx->opts.seed = "7";
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "PYTHONPATH"), "/run/envlock/python:/host/site");
	el_sandbox_plan_free(plan);

	fx->opts.host_env = empty_env;
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "PYTHONPATH"), "/run/envlock/python");
	el_sandbox_plan_free(plan);

	/* A pinned PYTHONPATH is kept after the hook the same way. */
	set_profile(fx, "setenv PYTHONPATH /opt/lib\n");
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "PYTHONPATH"), "/run/envlock/python:/opt/lib");
	el_sandbox_plan_free(plan);

	/* Without a seed the hook still leads (it keeps bytecode out of the repository), unseeded. */
	set_profile(fx, "keepenv PYTHONPATH\n");
	fx->opts.host_env = default_host_env;
	fx->opts.seed = NULL;
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "PYTHONPATH"), "/run/envlock/python:/host/site");
	assert_null(el__plan_env_get(plan, "ENVLOCK_SEED"));
	assert_true(step_index(plan, EL__MOUNT_TMPFS, "/run/envlock/pycache") >= 0);
	el_sandbox_plan_free(plan);
}

/*
 * The plan's PYTHONHASHSEED and ENVLOCK_SEED, copied out and the plan freed
 * before comparing, so a failure leaves valgrind nothing to report but the
 * library's own errors.
 */
static void expect_seeds(struct fixture *fx, const char *hash_seed, const char *envlock_seed)
{
	el_sandbox_plan *plan = plan_ok(&fx->opts);
	const char *h = el__plan_env_get(plan, "PYTHONHASHSEED"), *e = el__plan_env_get(plan, "ENVLOCK_SEED");
	char *got_hash = h ? strdup(h) : NULL, *got_envlock = e ? strdup(e) : NULL;
	bool ok = got_hash && got_envlock && strcmp(got_hash, hash_seed) == 0 && strcmp(got_envlock, envlock_seed) == 0;
	char *message = ok ? NULL
			   : str("PYTHONHASHSEED=%s ENVLOCK_SEED=%s, expected %s and %s", got_hash ? got_hash : "(unset)",
				 got_envlock ? got_envlock : "(unset)", hash_seed, envlock_seed);

	el_sandbox_plan_free(plan);
	free(got_hash);
	free(got_envlock);
	if (!ok) {
		/* cmocka copies nothing: print, free, then fail. */
		print_error("%s\n", message);
		free(message);
		fail();
	}
}

/*
 * python-seed on without --seed: the pinned PYTHONHASHSEED seeds the rest
 * too (run under valgrind: the seed must not be read after its entry is
 * replaced); no usable pin gives 0; --seed wins over both.
 */
static void test_python_seed_profile(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	set_profile(fx, "python-seed on\n");
	set_lock(fx, "{\"envlock\":1,\"env\":{\"PYTHONHASHSEED\":\"123\"}}");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	assert_string_equal(el__plan_env_get(plan, "PYTHONPATH"), "/run/envlock/python");
	el_sandbox_plan_free(plan);
	expect_seeds(fx, "123", "123");

	/* The profile's own pin counts the same. */
	set_profile(fx, "python-seed on\nsetenv PYTHONHASHSEED 9\n");
	expect_seeds(fx, "9", "9");

	/* "random" is no seed: 0. */
	set_profile(fx, "python-seed on\nsetenv PYTHONHASHSEED random\n");
	expect_seeds(fx, "0", "0");

	/* No pin at all: 0. */
	set_profile(fx, "python-seed on\n");
	set_lock(fx, NULL);
	expect_seeds(fx, "0", "0");

	fx->opts.seed = "5";
	expect_seeds(fx, "5", "5");
}

/* ---- the lock's interpreter ---- */

static const char *const pyenv_dests[] = { "/home/u/venv", "/home/u/.pyenv/versions/3.11.2", NULL };

static void pyenv(struct fixture *fx)
{
	el_test_script(fx->root, "home/u/.pyenv/versions/3.11.2/bin/python3.11", "exit 0");
	el_test_symlink(fx->root, "home/u/.pyenv/versions/3.11.2/bin/python3", "python3.11");
	el_test_write(fx->root, "home/u/.pyenv/versions/3.11.2/lib/python3.11/os.py", "");
}

/* Outside the system directories: its prefix ro-bound after them, its bin first on PATH. */
static void test_python_prefix(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	pyenv(fx);
	set_lock(fx, "{\"envlock\":1,\"python\":{\"executable\":\"/home/u/.pyenv/versions/3.11.2/bin/python3\"}}");
	plan = plan_ok(&fx->opts);
	assert_python_binds(plan, pyenv_dests, "ro-bind /home/u/.pyenv/versions/3.11.2 /home/u/.pyenv/versions/3.11.2\n");
	assert_string_equal(el__plan_env_get(plan, "PATH"),
			    "/home/u/.pyenv/versions/3.11.2/bin:/run/envlock/bin:" DEFAULT_PATH);
	el_sandbox_plan_free(plan);
}

/*
 * Anyone can edit a lock: what it names as the interpreter binds nothing
 * unless it is a Python installation running that interpreter, reached
 * without a link on the way.
 */
static void test_python_lock_cannot_pick_a_directory(void **state)
{
	static const char *const exes[] = {
		"/home/u/secrets/bin/python3", /* no installation there: an executable alone */
		"/home/u/.pyenv/versions/3.11.2/bin/cat", /* not an interpreter's name */
		"/home/u/plain/bin/python3", /* not executable */
		"/home/u/link/bin/python3", /* the prefix is a link (its real prefix is another step) */
		NULL,
	};
	struct fixture *fx = *state;

	pyenv(fx);
	el_test_script(fx->root, "home/u/secrets/bin/python3", "exit 0");
	el_test_write(fx->root, "home/u/secrets/id_rsa", "key\n");
	el_test_script(fx->root, "home/u/.pyenv/versions/3.11.2/bin/cat", "exit 0");
	el_test_write(fx->root, "home/u/plain/bin/python3", "");
	el_test_write(fx->root, "home/u/plain/lib/python3.11/os.py", "");
	el_test_symlink(fx->root, "home/u/link", ".pyenv/versions/3.11.2");
	for (const char *const *exe = exes; *exe; exe++) {
		char *json = str("{\"envlock\":1,\"python\":{\"executable\":\"%s\"}}", *exe);
		el_sandbox_plan *plan;

		set_lock(fx, json);
		plan = plan_ok(&fx->opts);
		if (exe == &exes[3]) {
			/* The link's target is a real installation: bound at its own path only. */
			assert_python_binds(plan, pyenv_dests,
					    "ro-bind /home/u/.pyenv/versions/3.11.2 /home/u/.pyenv/versions/3.11.2\n");
		} else {
			assert_python_binds(plan, pyenv_dests, "");
			/* The links dangle: what they name is not in the sandbox. */
			assert_string_equal(el__plan_env_get(plan, "PATH"), "/run/envlock/bin:" DEFAULT_PATH);
		}
		el_sandbox_plan_free(plan);
		free(json);
	}
}

/*
 * Started by root: the user's own binds (workdir, its .git, the options')
 * are idmapped, the system directories are not, and the plan says whom the
 * user is on the host.
 */
static void test_root_idmapped_binds(void **state)
{
	static const el_mount mounts[] = { { EL_MOUNT_RO_BIND, "/data/in", "/in", NULL },
					   { EL_MOUNT_TMPFS, NULL, "/scratch", NULL } };
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text;

	pyenv(fx);
	mkdirs(fx->root, "data/in");
	set_lock(fx, "{\"envlock\":1,\"python\":{\"executable\":\"/home/u/.pyenv/versions/3.11.2/bin/python3\"}}");
	fx->opts.mounts = mounts;
	fx->opts.mount_count = 2;
	fx->opts.host_uid = 0;
	fx->opts.host_gid = 0;
	plan = plan_ok(&fx->opts);
	assert_true(plan->root_idmapped);
	for (size_t i = 0; i < plan->mount_count; i++) {
		const struct el__mount_step *m = &plan->mounts[i];
		bool want = (m->op == EL__MOUNT_BIND || m->op == EL__MOUNT_RO_BIND) &&
			    (strcmp(m->dest, "/home/u/proj") == 0 || strcmp(m->dest, "/home/u/proj/.git") == 0 ||
			     strcmp(m->dest, "/in") == 0);
		/* The lock chose the Python installation: opened by envlock, never idmapped. */
		bool premade = strcmp(m->dest, "/home/u/.pyenv/versions/3.11.2") == 0;

		if (m->idmap != want || m->premade != premade)
			fail_msg("%s: idmap %d premade %d", m->dest, m->idmap, m->premade);
	}
	text = plan_text(plan);
	assert_non_null(strstr(text, "\nuser: uid 1000 gid 1000 (uid 65534 gid 65534 on the host; in the binds marked "
				     "idmapped, root's files are its own and what it writes is root's)\n"));
	assert_non_null(strstr(text, "\n  bind       /home/u/proj  (idmapped)\n"));
	assert_non_null(strstr(text, "\n  ro-bind    /in  from /data/in  (idmapped)\n"));
	assert_non_null(strstr(text, "\n  ro-bind    /usr\n"));
	free(text);
	el_sandbox_plan_free(plan);

	/* Anyone else: nothing idmapped, the user is the invoking one. */
	fx->opts.host_uid = 1234;
	plan = plan_ok(&fx->opts);
	assert_false(plan->root_idmapped);
	text = plan_text(plan);
	assert_null(strstr(text, "idmapped"));
	free(text);
	el_sandbox_plan_free(plan);
}

/*
 * Under /usr (or any system directory): nothing bound. python and python3
 * lead PATH as links to it (Debian's /usr/bin has no "python", and
 * /usr/local/bin/python3 would come first); its bin directory leads too
 * when the default PATH lacks it (a conda under /opt).
 */
static void test_python_system(void **state)
{
	struct fixture *fx = *state;
	static const char *const exes[] = { "/usr/bin/python3", "/usr/local/bin/python3.12", "/bin/python3",
					    "/opt/conda/bin/python", NULL };

	for (const char *const *exe = exes; *exe; exe++) {
		char *json = str("{\"envlock\":1,\"python\":{\"executable\":\"%s\"}}", *exe);
		el_sandbox_plan *plan;
		char *steps = str(SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS "tmpfs /run/envlock 0755\n"
			    "file /run/envlock/python/sitecustomize.py 0444\nsymlink /run/envlock/bin/python %s\n"
			    "symlink /run/envlock/bin/python3 %s\ntmpfs /run/envlock/pycache 0755\n"
			    "readonly /run/envlock\nreadonly /\n", *exe, *exe);
		set_lock(fx, json);
		plan = plan_ok(&fx->opts);
		assert_steps(plan, steps);
		assert_string_equal(el__plan_env_get(plan, "PATH"), exe == &exes[3]
					    ? "/opt/conda/bin:/run/envlock/bin:" DEFAULT_PATH
					    : "/run/envlock/bin:" DEFAULT_PATH);
		el_sandbox_plan_free(plan);
		free(steps);
		free(json);
	}
}

/* A venv whose interpreter links to a pyenv install: both bound, the venv's bin first on PATH. */
static void test_python_venv(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	pyenv(fx);
	el_test_symlink(fx->root, "home/u/venv/bin/python3", "/home/u/.pyenv/versions/3.11.2/bin/python3.11");
	el_test_symlink(fx->root, "home/u/venv/bin/python", "python3");
	el_test_write(fx->root, "home/u/venv/pyvenv.cfg", "home = /home/u/.pyenv/versions/3.11.2/bin\n");
	set_lock(fx, "{\"envlock\":1,\"python\":{\"executable\":\"/home/u/venv/bin/python\"}}");
	plan = plan_ok(&fx->opts);
	assert_python_binds(plan, pyenv_dests,
			    "ro-bind /home/u/venv /home/u/venv\n"
			    "ro-bind /home/u/.pyenv/versions/3.11.2 /home/u/.pyenv/versions/3.11.2\n");
	assert_string_equal(el__plan_env_get(plan, "PATH"), "/home/u/venv/bin:/run/envlock/bin:" DEFAULT_PATH);
	el_sandbox_plan_free(plan);

	/* A venv on the system interpreter: only the venv. */
	el_test_symlink(fx->root, "home/u/venv/bin/python3", "/usr/bin/python3");
	plan = plan_ok(&fx->opts);
	assert_python_binds(plan, pyenv_dests, "ro-bind /home/u/venv /home/u/venv\n");
	assert_string_equal(el__plan_env_get(plan, "PATH"), "/home/u/venv/bin:/run/envlock/bin:" DEFAULT_PATH);
	el_sandbox_plan_free(plan);
}

/*
 * An interpreter under a directory the plan mounts a tmpfs on (/tmp here,
 * a CI runner's venv): its bind must come after that tmpfs, or the tmpfs
 * hides it and "python3" on PATH finds the system interpreter instead of
 * the locked one.
 */
static void test_python_under_tmp_stays_visible(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	int bind, tmp;

	el_test_script(fx->root, "tmp/venv/bin/python3", "exit 0");
	el_test_write(fx->root, "tmp/venv/pyvenv.cfg", "home = /usr/bin\n");
	set_lock(fx, "{\"envlock\":1,\"python\":{\"executable\":\"/tmp/venv/bin/python3\"}}");
	plan = plan_ok(&fx->opts);
	bind = step_index(plan, EL__MOUNT_RO_BIND, "/tmp/venv");
	tmp = step_index(plan, EL__MOUNT_TMPFS, "/tmp");
	assert_true(bind >= 0);
	assert_true(tmp >= 0);
	assert_string_equal(el__plan_env_get(plan, "PATH"), "/tmp/venv/bin:/run/envlock/bin:" DEFAULT_PATH);
	el_sandbox_plan_free(plan);
	if (bind < tmp)
		fail_msg("ro-bind /tmp/venv is step %d, before tmpfs /tmp (step %d) that hides it", bind, tmp);
}

/* No lock, or a lock without python.executable: nothing added. */
static void test_python_absent(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	set_lock(fx, "{\"envlock\":1,\"python\":{\"version\":\"3.11.2\"}}");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	assert_string_equal(el__plan_env_get(plan, "PATH"), DEFAULT_PATH);
	el_sandbox_plan_free(plan);
}


/* --python: that interpreter leads PATH and gets the links, not the lock's. */
static void test_python_option_wins(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	pyenv(fx);
	set_lock(fx, "{\"envlock\":2,\"python\":{\"executable\":\"/usr/bin/python3\"}}");
	fx->opts.python = "/home/u/.pyenv/versions/3.11.2/bin/python3";
	plan = plan_ok(&fx->opts);
	assert_python_binds(plan, pyenv_dests, "ro-bind /home/u/.pyenv/versions/3.11.2 /home/u/.pyenv/versions/3.11.2\n");
	assert_string_equal(plan->mounts[step_index(plan, EL__MOUNT_SYMLINK, "/run/envlock/bin/python")].source,
			    "/home/u/.pyenv/versions/3.11.2/bin/python3");
	assert_string_equal(el__plan_env_get(plan, "PATH"),
			    "/home/u/.pyenv/versions/3.11.2/bin:/run/envlock/bin:" DEFAULT_PATH);
	el_sandbox_plan_free(plan);
}

/* PYTHONDONTWRITEBYTECODE set on the host is kept; nothing else of the host's Python settings. */
static void test_no_bytecode_kept(void **state)
{
	struct fixture *fx = *state;
	char *const host_env[] = { "PYTHONDONTWRITEBYTECODE=1", "PYTHONPYCACHEPREFIX=/host/cache", NULL };
	el_sandbox_plan *plan;

	fx->opts.host_env = host_env;
	plan = plan_ok(&fx->opts);
	assert_string_equal(el__plan_env_get(plan, "PYTHONDONTWRITEBYTECODE"), "1");
	assert_null(el__plan_env_get(plan, "PYTHONPYCACHEPREFIX"));
	el_sandbox_plan_free(plan);
	fx->opts.host_env = default_host_env;
	plan = plan_ok(&fx->opts);
	assert_null(el__plan_env_get(plan, "PYTHONDONTWRITEBYTECODE"));
	el_sandbox_plan_free(plan);
}

/* The command starts where the user stands when that is inside the working directory. */
static void test_start_in_subdirectory(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	mkdirs(fx->root, "home/u/proj/src");
	fx->opts.cwd = "/home/u/proj/src";
	plan = plan_ok(&fx->opts);
	assert_string_equal(plan->cwd, "/home/u/proj/src");
	assert_true(step_index(plan, EL__MOUNT_BIND, "/home/u/proj") >= 0);
	el_sandbox_plan_free(plan);
	/* Outside it (a sibling, a prefix of the name): the working directory itself. */
	fx->opts.cwd = "/home/u/project";
	plan = plan_ok(&fx->opts);
	assert_string_equal(plan->cwd, "/home/u/proj");
	el_sandbox_plan_free(plan);
	fx->opts.cwd = "/home/u";
	plan = plan_ok(&fx->opts);
	assert_string_equal(plan->cwd, "/home/u/proj");
	el_sandbox_plan_free(plan);
}

/*
 * The lock's data entries are bound read-only at their real paths,
 * relative ones from the lock's directory (../data beside the
 * repository), inside the working directory too; a missing one or one in
 * a system directory adds nothing. Root's run does not idmap them.
 */
static void test_data_bound_read_only(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *binds;

	el_test_write(fx->root, "home/u/data/train.csv", "1\n");
	el_test_write(fx->root, "home/u/proj/inputs/a.bin", "x");
	el_test_write(fx->root, "srv/real/c.txt", "c");
	el_test_symlink(fx->root, "srv/corpus", "real");
	el_test_write(fx->root, "home/u/proj/env.lock", "{}");
	set_lock(fx, "{\"envlock\":2,\"data\":{\"../data\":\"sha256:" HEX64 "\",\"inputs\":\"sha256:" HEX64 "\","
		     "\"/srv/corpus\":\"sha256:" HEX64 "\",\"../gone\":\"sha256:" HEX64 "\","
		     "\"/usr/share\":\"sha256:" HEX64 "\"}}");
	fx->opts.lock_path = "/home/u/proj/env.lock";
	mkdirs(fx->root, "usr/share");
	plan = plan_ok(&fx->opts);
	binds = steps_picked(plan, (const char *const[]){ "/home/u/data", "/home/u/proj/inputs", "/srv/real", NULL }, true);
	/* In the lock's key order (sorted bytewise): "../data", "/srv/corpus", "inputs". */
	assert_string_equal(binds, "ro-bind /home/u/data /home/u/data\n"
				   "ro-bind /srv/real /srv/real\n"
				   "ro-bind /home/u/proj/inputs /home/u/proj/inputs\n");
	free(binds);
	/* After the working directory, so the one inside it is read-only on top of it. */
	assert_true(step_index(plan, EL__MOUNT_RO_BIND, "/home/u/proj/inputs") > step_index(plan, EL__MOUNT_BIND, "/home/u/proj"));
	assert_int_equal(step_index(plan, EL__MOUNT_RO_BIND, "/usr/share"), -1);
	el_sandbox_plan_free(plan);
	fx->opts.host_uid = 0;
	plan = plan_ok(&fx->opts);
	assert_true(plan->mounts[step_index(plan, EL__MOUNT_RO_BIND, "/home/u/data")].premade);
	assert_false(plan->mounts[step_index(plan, EL__MOUNT_RO_BIND, "/home/u/data")].idmap);
	el_sandbox_plan_free(plan);
}

/* A venv with editable installs (PEP 610 direct_url.json): their sources bound read-only. */
static void test_editable_sources_bound(void **state)
{
	struct fixture *fx = *state;
	const char *site = "home/u/venv/lib/python3.11/site-packages";
	el_sandbox_plan *plan;
	char *path, *binds;

	pyenv(fx);
	el_test_symlink(fx->root, "home/u/venv/bin/python", "/home/u/.pyenv/versions/3.11.2/bin/python3.11");
	el_test_write(fx->root, "home/u/venv/pyvenv.cfg", "home = /home/u/.pyenv/versions/3.11.2/bin\n");
	mkdirs(fx->root, "home/u/src/my+lib");
	mkdirs(fx->root, "home/u/proj/inrepo");
	mkdirs(fx->root, "home/u/other");
#define DIST(name, json)                                                                  \
	path = str("%s/" name ".dist-info/direct_url.json", site);                         \
	el_test_write(fx->root, path, json);                                                \
	free(path)
	DIST("mylib-0.1", "{\"url\": \"file:///home/u/src/my%2Blib\", \"dir_info\": {\"editable\": true}}");
	DIST("inrepo-1.0", "{\"url\": \"file:///home/u/proj/inrepo\", \"dir_info\": {\"editable\": true}}");
	DIST("plain-2.0", "{\"url\": \"file:///home/u/other\", \"dir_info\": {}}");
	DIST("vcs-1.0", "{\"url\": \"https://example.invalid/x.git\", \"vcs_info\": {\"vcs\": \"git\"}}");
	DIST("broken-1.0", "{not json");
	DIST("gone-1.0", "{\"url\": \"file:///home/u/nowhere\", \"dir_info\": {\"editable\": true}}");
#undef DIST
	set_lock(fx, "{\"envlock\":2,\"python\":{\"executable\":\"/home/u/venv/bin/python\"}}");
	plan = plan_ok(&fx->opts);
	binds = steps_picked(plan, (const char *const[]){ "/home/u/src/my+lib", "/home/u/proj/inrepo", "/home/u/other",
							  "/home/u/nowhere", NULL }, true);
	/* Only what is editable, exists and lies outside the (writable) working directory. */
	assert_string_equal(binds, "ro-bind /home/u/src/my+lib /home/u/src/my+lib\n");
	free(binds);
	el_sandbox_plan_free(plan);
	/* An interpreter others can change (its bin writable by all): its site directories choose nothing. */
	path = el_test_path(fx->root, "home/u/venv/bin");
	assert_int_equal(chmod(path, 0777), 0);
	free(path);
	plan = plan_ok(&fx->opts);
	assert_int_equal(step_index(plan, EL__MOUNT_RO_BIND, "/home/u/src/my+lib"), -1);
	el_sandbox_plan_free(plan);
}

/* ---- the working directory ---- */

/* Bound writable at its own path and made current; a trailing '/' or doubled '/' cleaned. */
static void test_workdir(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	fx->opts.workdir = "//home/u//proj/";
	plan = plan_ok(&fx->opts);
	assert_string_equal(plan->cwd, "/home/u/proj");
	assert_true(step_index(plan, EL__MOUNT_BIND, "/home/u/proj") >= 0);
	assert_string_equal(plan->mounts[step_index(plan, EL__MOUNT_BIND, "/home/u/proj")].source, "/home/u/proj");
	assert_int_equal(step_index(plan, EL__MOUNT_RO_BIND, "/home/u/proj/.git"),
			 step_index(plan, EL__MOUNT_BIND, "/home/u/proj") + 1);
	el_sandbox_plan_free(plan);
}

/*
 * Exactly the scratch mounts are marked (their files are listed when the
 * run ends): the fixed tmpfs mounts but /dev and envlock's /run/envlock,
 * and every tmpfs of the profile and the options, in plan order.
 */
static void test_scratch_steps(void **state)
{
	static const el_mount mounts[] = { { EL_MOUNT_TMPFS, NULL, "/cli", NULL },
					   { EL_MOUNT_BIND, "/data/in", "/in", NULL } };
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	el__buf got;

	mkdirs(fx->root, "data/in");
	set_profile(fx, "tmpfs /profile\n");
	fx->opts.mounts = mounts;
	fx->opts.mount_count = 2;
	fx->opts.seed = "1";
	plan = plan_ok(&fx->opts);
	el__buf_init(&got);
	for (size_t i = 0; i < plan->mount_count; i++) {
		if (plan->mounts[i].scratch)
			el__buf_printf(&got, "%s\n", plan->mounts[i].dest);
		/* Only tmpfs steps are scratch, and only scratch steps and the overlay are sent to envlock. */
		assert_true(!plan->mounts[i].scratch || plan->mounts[i].op == EL__MOUNT_TMPFS);
		assert_int_equal(el__step_sent(&plan->mounts[i]), plan->mounts[i].scratch);
	}
	assert_string_equal(got.data, "/tmp\n/var/tmp\n/run\n/home/envlock\n/dev/shm\n/profile\n/cli\n");
	assert_false(plan->mounts[step_index(plan, EL__MOUNT_TMPFS, "/dev")].scratch);
	assert_false(plan->mounts[step_index(plan, EL__MOUNT_TMPFS, "/run/envlock")].scratch);
	el__buf_free(&got);
	el_sandbox_plan_free(plan);
}

/*
 * Replay's working directory: an overlay step in the bind's place (its .git
 * and lock still bound read-only over it), sent to envlock, idmapped when
 * root runs it; and as --dry-run shows it.
 */
static void test_workdir_overlay(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *lines;
	int i;

	fx->opts.workdir_overlay = true;
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL
			   "overlay /home/u/proj /home/u/proj\n"
			   "ro-bind /home/u/proj/.git /home/u/proj/.git\n" RUN_STEPS
			   "readonly /\n");
	i = step_index(plan, EL__MOUNT_OVERLAY, "/home/u/proj");
	assert_true(el__step_sent(&plan->mounts[i]));
	assert_false(plan->mounts[i].scratch);
	assert_false(plan->mounts[i].idmap);
	assert_string_equal(plan->cwd, "/home/u/proj");
	text = plan_text(plan);
	lines = lines_starting(text, "  overlay");
	assert_string_equal(lines, "  overlay    /home/u/proj  (read-only, its writes kept in a tmpfs)\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);

	fx->opts.host_uid = 0;
	fx->opts.host_gid = 0;
	plan = plan_ok(&fx->opts);
	assert_true(plan->mounts[step_index(plan, EL__MOUNT_OVERLAY, "/home/u/proj")].idmap);
	text = plan_text(plan);
	lines = lines_starting(text, "  overlay");
	assert_string_equal(lines, "  overlay    /home/u/proj  (read-only, its writes kept in a tmpfs)  (idmapped)\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);
}

/* Where no overlay can be had: the copy bound writable at the working directory's path. */
static void test_workdir_copy(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *lines;

	mkdirs(fx->root, "var/tmp/envlock-replay.abc");
	fx->opts.workdir_copy = "/var/tmp//envlock-replay.abc/";
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL
			   "bind /home/u/proj /var/tmp/envlock-replay.abc\n"
			   "ro-bind /home/u/proj/.git /home/u/proj/.git\n" RUN_STEPS
			   "readonly /\n");
	assert_string_equal(plan->cwd, "/home/u/proj");
	text = plan_text(plan);
	lines = lines_starting(text, "  bind ");
	assert_string_equal(lines, "  bind       /home/u/proj  from /var/tmp/envlock-replay.abc\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);

	fx->opts.workdir_copy = "/var/tmp/nosuch";
	expect_refused(&fx->opts, EL_ENOTFOUND, "working directory copy /var/tmp/nosuch: not a directory");
	fx->opts.workdir_copy = "relative";
	expect_refused(&fx->opts, EL_EINVAL, "working directory copy 'relative': not an absolute path");
	fx->opts.workdir_copy = "/var/tmp/envlock-replay.abc";
	fx->opts.workdir_overlay = true;
	expect_refused(&fx->opts, EL_EINVAL,
		       "working directory /home/u/proj: an overlay and a copy contradict each other");
}

/* A .git that is a link (or a file, as in a worktree) is not bound: only a real directory is. */
static void test_workdir_git_not_followed(void **state)
{
	struct fixture *fx = *state;
	char *git = el_test_path(fx->root, "home/u/proj/.git");
	el_sandbox_plan *plan;

	el_test_rmtree(git);
	mkdirs(fx->root, "home/u/elsewhere/.git");
	el_test_symlink(fx->root, "home/u/proj/.git", "../elsewhere/.git");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL "bind /home/u/proj /home/u/proj\n" RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);

	assert_int_equal(unlink(git), 0);
	el_test_write(fx->root, "home/u/proj/.git", "gitdir: /home/u/elsewhere/.git\n");
	plan = plan_ok(&fx->opts);
	assert_false(has_step_dest(plan, "/home/u/proj/.git"));
	el_sandbox_plan_free(plan);

	/* No .git at all. */
	assert_int_equal(unlink(git), 0);
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL "bind /home/u/proj /home/u/proj\n" RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);
	free(git);
}

/* "/" or a system directory (real or a link) would become writable: refused, naming it. */
static void test_workdir_system_refused(void **state)
{
	struct fixture *fx = *state;

	fx->opts.workdir = "/";
	expect_refused(&fx->opts, EL_EINVAL,
		       "working directory /: it would make /usr writable; choose another with --workdir");
	fx->opts.workdir = "/usr";
	expect_refused(&fx->opts, EL_EINVAL,
		       "working directory /usr: it would make /usr writable; choose another with --workdir");
	fx->opts.workdir = "//etc/";
	expect_refused(&fx->opts, EL_EINVAL,
		       "working directory /etc: it would make /etc writable; choose another with --workdir");
	fx->opts.workdir = "/lib64";
	expect_refused(&fx->opts, EL_EINVAL,
		       "working directory /usr/lib64: it would make /usr/lib64 writable; choose another with --workdir");
}

/* Below a system directory is the caller's choice (it only makes that directory writable). */
static void test_workdir_below_system_dir(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	mkdirs(fx->root, "usr/src/proj");
	fx->opts.workdir = "/usr/src/proj";
	plan = plan_ok(&fx->opts);
	assert_true(step_index(plan, EL__MOUNT_BIND, "/usr/src/proj") > step_index(plan, EL__MOUNT_RO_BIND, "/usr"));
	assert_string_equal(plan->cwd, "/usr/src/proj");
	el_sandbox_plan_free(plan);
}

static void test_workdir_invalid(void **state)
{
	struct fixture *fx = *state;

	fx->opts.workdir = "/home/u/missing";
	expect_refused(&fx->opts, EL_ENOTFOUND, "working directory /home/u/missing: No such file or directory");
	fx->opts.workdir = "/home/u/proj/train.py";
	expect_refused(&fx->opts, EL_EINVAL, "working directory /home/u/proj/train.py: not a directory");
	/* Relative: to the current directory (as git -C), then looked at under the root. */
	{
		char cwd[4096], want[4200];

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		snprintf(want, sizeof(want), "working directory %s/no-such-dir: No such file or directory",
			 strcmp(cwd, "/") ? cwd : "");
		fx->opts.workdir = "no-such-dir";
		expect_refused(&fx->opts, EL_ENOTFOUND, want);
	}
	fx->opts.workdir = "/home/u/x/../proj";
	expect_refused(&fx->opts, EL_EINVAL, "working directory '/home/u/x/../proj': '.' and '..' are not allowed");
	fx->opts.workdir = "/home/u/./proj";
	expect_refused(&fx->opts, EL_EINVAL, "working directory '/home/u/./proj': '.' and '..' are not allowed");
}

/* ---- user mounts ---- */

/*
 * The profile's bind, ro-bind and tmpfs first, then the options', in
 * order, after everything else but the final read-only root; a bind's
 * destination is its source unless given.
 */
static void test_user_mounts(void **state)
{
	struct fixture *fx = *state;
	static const el_mount mounts[] = {
		{ EL_MOUNT_RO_BIND, "/data/opts", NULL, NULL },
		{ EL_MOUNT_TMPFS, NULL, "/cache", NULL },
		{ EL_MOUNT_BIND, "/data/in", "/out/", NULL },
	};
	el_sandbox_plan *plan;
	int i;

	mkdirs(fx->root, "data/in");
	mkdirs(fx->root, "data/ref");
	mkdirs(fx->root, "data/opts");
	el_test_write(fx->root, "data/one.csv", "a,b\n");
	set_profile(fx, "bind /data/in\n"
			"ro-bind /data/ref /ref\n"
			"tmpfs /scratch\n"
			"ro-bind /data/one.csv /input.csv\n");
	fx->opts.mounts = mounts;
	fx->opts.mount_count = 3;
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS
			   "bind /data/in /data/in\n"
			   "ro-bind /ref /data/ref\n"
			   "tmpfs /scratch 0755 scratch\n"
			   "ro-bind /input.csv /data/one.csv\n"
			   "ro-bind /data/opts /data/opts\n"
			   "tmpfs /cache 0755 scratch\n"
			   "bind /out /data/in\n"
			   "readonly /\n");
	el_sandbox_plan_free(plan);

	/* With the seed's steps, user mounts still come after them. */
	fx->opts.seed = "1";
	plan = plan_ok(&fx->opts);
	i = step_index(plan, EL__MOUNT_READONLY, "/run/envlock");
	assert_true(i >= 0);
	assert_int_equal(step_index(plan, EL__MOUNT_BIND, "/data/in"), i + 1);
	assert_int_equal(step_index(plan, EL__MOUNT_READONLY, "/"), (int)plan->mount_count - 1);
	el_sandbox_plan_free(plan);
}

/* HOST for a path inside the sandbox, or "-" when no host file shows there. */
static void assert_host_path(const el_sandbox_plan *plan, const char *inside, const char *host)
{
	el__buf out;
	int ret;

	el__buf_init(&out);
	ret = el__sandbox_plan_host_path(plan, inside, &out);
	assert_string_equal(ret == EL_OK ? out.data : "-", host);
	if (ret != EL_OK)
		assert_int_equal(ret, EL_ENOTFOUND);
	el__buf_free(&out);
}

/*
 * A file the command names is the host file of the last bind at or above
 * it: SRC for a bind SRC:DEST, nothing under a tmpfs that covers a bind,
 * the plan's own links followed.
 */
static void test_host_path(void **state)
{
	struct fixture *fx = *state;
	static const el_mount mounts[] = {
		{ EL_MOUNT_RO_BIND, "/data/in", "/opt/in", NULL },
		{ EL_MOUNT_TMPFS, NULL, "/data/ref/hidden", NULL },
		{ EL_MOUNT_BIND, "/data/opts", "/out", NULL },
		{ EL_MOUNT_BIND, "/data/in", "/out/sub", NULL },
	};
	el_sandbox_plan *plan;

	mkdirs(fx->root, "data/in");
	mkdirs(fx->root, "data/ref/hidden");
	mkdirs(fx->root, "data/opts");
	set_profile(fx, "ro-bind /data/ref\n");
	fx->opts.mounts = mounts;
	fx->opts.mount_count = 4;
	plan = plan_ok(&fx->opts);
	assert_host_path(plan, "/opt/in/libfoo.so", "/data/in/libfoo.so");
	assert_host_path(plan, "/opt/in", "/data/in");
	assert_host_path(plan, "/opt/input/libfoo.so", "-");
	assert_host_path(plan, "/data/ref/libbar.so", "/data/ref/libbar.so");
	assert_host_path(plan, "/data/ref/hidden/libbar.so", "-");
	assert_host_path(plan, "/out/libbaz.so", "/data/opts/libbaz.so");
	assert_host_path(plan, "/out/sub/libbaz.so", "/data/in/libbaz.so");
	assert_host_path(plan, "/usr/lib/libc.so.6", "/usr/lib/libc.so.6");
	assert_host_path(plan, "/bin/sh", "/usr/bin/sh");
	assert_host_path(plan, "/tmp/libfake.so", "-");
	assert_host_path(plan, "/proc/self/exe", "-");
	assert_host_path(plan, "/run/envlock/audit.so", "-");
	/* Shown: what a bind holds, unless a later mount covers its place inside. */
	assert_string_equal(el_sandbox_plan_shows(plan, "/data/in/key.pem"), "/data/in");
	assert_string_equal(el_sandbox_plan_shows(plan, "/data/ref/key.pem"), "/data/ref");
	assert_null(el_sandbox_plan_shows(plan, "/data/ref/hidden/key.pem"));
	assert_string_equal(el_sandbox_plan_shows(plan, "/data/opts/key.pem"), "/data/opts");
	/* /data/opts/sub is under /out/sub, where /data/in is bound later. */
	assert_null(el_sandbox_plan_shows(plan, "/data/opts/sub/key.pem"));
	assert_string_equal(el_sandbox_plan_shows(plan, "/usr/lib/libc.so.6"), "/usr");
	assert_null(el_sandbox_plan_shows(plan, "/root/key.pem"));
	el_sandbox_plan_free(plan);
}

static void test_user_mounts_invalid(void **state)
{
	struct fixture *fx = *state;
	el_mount m = { 0 };

	mkdirs(fx->root, "data/in");
	fx->opts.mounts = &m;
	fx->opts.mount_count = 1;

	m = (el_mount){ EL_MOUNT_BIND, "data/in", NULL, NULL };
	expect_refused(&fx->opts, EL_EINVAL, "bind source 'data/in': not an absolute path");
	m = (el_mount){ EL_MOUNT_BIND, "data/in", "/in", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "bind source 'data/in': not an absolute path");
	m = (el_mount){ EL_MOUNT_RO_BIND, "/data/in", "in", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "bind destination 'in': not an absolute path");
	m = (el_mount){ EL_MOUNT_RO_BIND, "/data/in", "/a/../b", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "bind destination '/a/../b': '.' and '..' are not allowed");
	m = (el_mount){ EL_MOUNT_BIND, "/data/../etc", "/x", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "bind source '/data/../etc': '.' and '..' are not allowed");
	m = (el_mount){ EL_MOUNT_TMPFS, NULL, "scratch", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "tmpfs 'scratch': not an absolute path");
	m = (el_mount){ EL_MOUNT_TMPFS, NULL, "/scratch/..", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "tmpfs '/scratch/..': '.' and '..' are not allowed");

	/* Over the root, however written. */
	m = (el_mount){ EL_MOUNT_TMPFS, NULL, "/", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "command line: cannot mount over the sandbox's root");
	m = (el_mount){ EL_MOUNT_BIND, "/data/in", "//", NULL };
	expect_refused(&fx->opts, EL_EINVAL, "command line: cannot mount over the sandbox's root");

	/* A source that does not exist; from a profile, its FILE:LINE. */
	m = (el_mount){ EL_MOUNT_RO_BIND, "/data/nope", "/nope", NULL };
	expect_refused(&fx->opts, EL_ENOTFOUND, "command line: bind source /data/nope: No such file or directory");
	m = (el_mount){ EL_MOUNT_RO_BIND, "/data/nope", "/nope", "/etc/envlock/profiles/team:7" };
	expect_refused(&fx->opts, EL_ENOTFOUND,
		       "/etc/envlock/profiles/team:7: bind source /data/nope: No such file or directory");

	/* The profile's are named by its file and line. */
	fx->opts.mount_count = 0;
	set_profile(fx, "tmpfs /\n");
	expect_refused(&fx->opts, EL_EINVAL, "test.profile:1: cannot mount over the sandbox's root");
	set_profile(fx, "# data\n\nbind /data/nope /x\n");
	expect_refused(&fx->opts, EL_ENOTFOUND, "test.profile:3: bind source /data/nope: No such file or directory");
}

/* ---- /dev and the GPU ---- */

/* The minimal /dev: the nodes that exist as character devices, in a fixed order; anything else is left out. */
static void test_dev_nodes(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;

	if (!make_chr(fx->root, "dev/null", 1, 3))
		el_test_skip_case("making a device node needs CAP_MKNOD: the minimal /dev check");
	assert_true(make_chr(fx->root, "dev/urandom", 1, 9));
	assert_true(make_chr(fx->root, "dev/zero", 1, 5));
	assert_true(make_chr(fx->root, "dev/tty", 5, 0));
	el_test_write(fx->root, "dev/full", "not a device\n");
	mkdirs(fx->root, "dev/random"); /* a directory is not a device node either */
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD
			   "dev /dev/null /dev/null\n"
			   "dev /dev/zero /dev/zero\n"
			   "dev /dev/urandom /dev/urandom\n"
			   "dev /dev/tty /dev/tty\n" DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);
}

/*
 * gpu auto: /dev/dri and /dev/nvidia* (character devices or directories)
 * dev-bound after the minimal /dev, sorted; other names and other kinds of
 * file left out.
 */
static void test_gpu_auto(void **state)
{
	struct fixture *fx = *state;
	bool chr;
	el_sandbox_plan *plan;

	mkdirs(fx->root, "dev/dri");
	mkdirs(fx->root, "dev/nvidia-caps");
	el_test_write(fx->root, "dev/nvidia9", "a plain file\n");
	mkdirs(fx->root, "dev/input");
	mkdirs(fx->root, "dev/driver"); /* not "dri" */
	chr = make_chr(fx->root, "dev/nvidiactl", 195, 255) && make_chr(fx->root, "dev/nvidia0", 195, 0);
	plan = plan_ok(&fx->opts);
	if (chr)
		assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL
				   "dev /dev/dri /dev/dri\n"
				   "dev /dev/nvidia-caps /dev/nvidia-caps\n"
				   "dev /dev/nvidia0 /dev/nvidia0\n"
				   "dev /dev/nvidiactl /dev/nvidiactl\n" WORKDIR_STEPS RUN_STEPS "readonly /\n");
	else
		assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL
				   "dev /dev/dri /dev/dri\n"
				   "dev /dev/nvidia-caps /dev/nvidia-caps\n" WORKDIR_STEPS RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);

	/* gpu require is content with them. */
	set_profile(fx, "gpu require\n");
	plan = plan_ok(&fx->opts);
	assert_true(step_index(plan, EL__MOUNT_DEV, "/dev/dri") >= 0);
	el_sandbox_plan_free(plan);

	/* gpu none leaves them out. */
	set_profile(fx, "gpu none\n");
	plan = plan_ok(&fx->opts);
	assert_steps(plan, SYSTEM_STEPS TMP_STEPS DEV_HEAD DEV_TAIL WORKDIR_STEPS RUN_STEPS "readonly /\n");
	el_sandbox_plan_free(plan);
}

static void test_gpu_require_missing(void **state)
{
	struct fixture *fx = *state;
	static const char message[] =
		"the profile requires a GPU (gpu require), but there is no /dev/nvidia* or /dev/dri here";

	set_profile(fx, "gpu require\n");
	/* No /dev at all. */
	expect_refused(&fx->opts, EL_ENOTFOUND, message);
	/* A /dev with other things, and a GPU name that is a plain file. */
	mkdirs(fx->root, "dev/input");
	el_test_write(fx->root, "dev/nvidia0", "a plain file\n");
	expect_refused(&fx->opts, EL_ENOTFOUND, message);
}

/* ---- the profile's other settings ---- */

static void test_net_none(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *line;

	set_profile(fx, "net none\n");
	plan = plan_ok(&fx->opts);
	assert_int_equal(plan->namespaces, BASE_NAMESPACES | CLONE_NEWNET);
	text = plan_text(plan);
	line = lines_starting(text, "namespaces:");
	assert_string_equal(line, "namespaces: user mount pid ipc uts cgroup net (loopback only)\n");
	free(line);
	free(text);
	el_sandbox_plan_free(plan);

	set_profile(fx, "net none\nnet host\n");
	plan = plan_ok(&fx->opts);
	assert_int_equal(plan->namespaces, BASE_NAMESPACES);
	assert_int_equal(plan->namespaces & CLONE_NEWNET, 0);
	el_sandbox_plan_free(plan);
}

static void test_profile_settings(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *lines;

	set_profile(fx, "hostname box-1.lab\ncpus 2\naslr off\nuid 0\ngid 100\n");
	plan = plan_ok(&fx->opts);
	assert_string_equal(plan->hostname, "box-1.lab");
	assert_int_equal(plan->cpus, 2);
	assert_false(plan->aslr);
	assert_int_equal(plan->uid, 0);
	assert_int_equal(plan->gid, 100);
	assert_int_equal(plan->host_uid, 1234);
	assert_int_equal(plan->host_gid, 1235);
	text = plan_text(plan);
	lines = lines_starting(text, "user:");
	assert_string_equal(lines, "user: uid 0 gid 100 (uid 1234 gid 1235 on the host)\n");
	free(lines);
	lines = lines_starting(text, "hostname:");
	assert_string_equal(lines, "hostname: box-1.lab\n");
	free(lines);
	lines = lines_starting(text, "cpus:");
	assert_string_equal(lines, "cpus: 2 (the first 2 this process may use)\n");
	free(lines);
	lines = lines_starting(text, "aslr:");
	assert_string_equal(lines, "aslr: off\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);

	/* The largest IDs a profile takes. */
	set_profile(fx, "uid 4294967294\ngid 65534\n");
	plan = plan_ok(&fx->opts);
	assert_int_equal(plan->uid, 4294967294U);
	assert_int_equal(plan->gid, 65534);
	el_sandbox_plan_free(plan);
}

/* ---- seccomp ---- */

static size_t default_deny_count(void)
{
	size_t n = 0;

	while (el__seccomp_default_deny[n])
		n++;
	return n;
}

static void assert_sorted_deny(const el_sandbox_plan *plan)
{
	assert_null(plan->seccomp_deny[plan->seccomp_deny_count]);
	for (size_t i = 1; i < plan->seccomp_deny_count; i++)
		if (strcmp(plan->seccomp_deny[i - 1], plan->seccomp_deny[i]) >= 0)
			fail_msg("seccomp deny list not sorted and unique at %s, %s", plan->seccomp_deny[i - 1],
				 plan->seccomp_deny[i]);
}

static void test_seccomp_default(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan = plan_ok(&fx->opts);

	assert_int_equal(plan->seccomp_deny_count, default_deny_count());
	for (const char *const *d = el__seccomp_default_deny; *d; d++)
		assert_true(in_deny(plan, *d));
	assert_sorted_deny(plan);
	assert_string_equal(plan->seccomp_deny[0], "add_key");
	assert_string_equal(plan->seccomp_deny[plan->seccomp_deny_count - 1], "userfaultfd");
	assert_true(plan->deny_clone_namespaces);
	el_sandbox_plan_free(plan);
}

static void test_seccomp_changes(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *lines;

	/* allow takes one out of the built-in list. */
	set_profile(fx, "seccomp allow ptrace\n");
	plan = plan_ok(&fx->opts);
	assert_false(in_deny(plan, "ptrace"));
	assert_int_equal(plan->seccomp_deny_count, default_deny_count() - 1);
	assert_sorted_deny(plan);
	assert_true(plan->deny_clone_namespaces);
	el_sandbox_plan_free(plan);

	/* deny adds, in sorted place; one already denied is not doubled. */
	set_profile(fx, "seccomp deny personality,mount\n");
	plan = plan_ok(&fx->opts);
	assert_true(in_deny(plan, "personality"));
	assert_int_equal(plan->seccomp_deny_count, default_deny_count() + 1);
	assert_sorted_deny(plan);
	for (size_t i = 0; i < plan->seccomp_deny_count; i++)
		if (strcmp(plan->seccomp_deny[i], "personality") == 0) {
			assert_string_equal(plan->seccomp_deny[i - 1], "perf_event_open");
			assert_string_equal(plan->seccomp_deny[i + 1], "pidfd_getfd");
		}
	el_sandbox_plan_free(plan);

	/* allow unshare also lets clone make namespaces. */
	set_profile(fx, "seccomp allow unshare\n");
	plan = plan_ok(&fx->opts);
	assert_false(in_deny(plan, "unshare"));
	assert_true(in_deny(plan, "setns"));
	assert_false(plan->deny_clone_namespaces);
	text = plan_text(plan);
	assert_null(strstr(text, "clone if"));
	assert_null(strstr(text, "namespaces made inside the sandbox"));
	lines = lines_starting(text, "  ENOSYS");
	assert_string_equal(lines, "  ENOSYS     openat2\n"
				   "  ENOSYS     clone3\n"
				   "  ENOSYS     system calls the filter does not know\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);

	/* The later directive wins: deny after allow denies again. */
	set_profile(fx, "seccomp allow unshare\nseccomp deny unshare\n");
	plan = plan_ok(&fx->opts);
	assert_true(in_deny(plan, "unshare"));
	assert_true(plan->deny_clone_namespaces);
	assert_int_equal(plan->seccomp_deny_count, default_deny_count());
	el_sandbox_plan_free(plan);
}

/* ---- the command and the text ---- */

static void test_no_command(void **state)
{
	struct fixture *fx = *state;
	char *const empty[] = { NULL };

	fx->opts.argv = NULL;
	expect_refused(&fx->opts, EL_EINVAL, "no command to run");
	fx->opts.argv = empty;
	expect_refused(&fx->opts, EL_EINVAL, "no command to run");
}

/* Values from the host and the lock print with their control characters (and '\') escaped. */
static void test_text_escapes_env(void **state)
{
	struct fixture *fx = *state;
	char *const host_env[] = { "TITLE=\x1b]0;pwned\x07", "MULTI=a\nb\tc\x7f", "WIN=C:\\dir", NULL };
	el_sandbox_plan *plan;
	char *text, *lines;

	set_profile(fx, "keepenv TITLE MULTI WIN\n");
	fx->opts.host_env = host_env;
	plan = plan_ok(&fx->opts);
	/* The plan itself keeps the bytes. */
	assert_string_equal(el__plan_env_get(plan, "TITLE"), "\x1b]0;pwned\x07");
	text = plan_text(plan);
	lines = lines_starting(text, "  ");
	assert_non_null(strstr(lines, "  TITLE=\\x1b]0;pwned\\x07\n"));
	assert_non_null(strstr(lines, "  MULTI=a\\x0ab\\x09c\\x7f\n"));
	assert_non_null(strstr(lines, "  WIN=C:\\\\dir\n"));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	assert_null(strchr(text, '\t'));
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);
}

/* A workdir whose name holds a newline prints on one line, in the mounts and as the working directory. */
static void test_text_escapes_paths(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan;
	char *text, *lines;

	mkdirs(fx->root, "home/u/a\nb");
	fx->opts.workdir = "/home/u/a\nb";
	plan = plan_ok(&fx->opts);
	text = plan_text(plan);
	lines = lines_starting(text, "working directory:");
	assert_string_equal(lines, "working directory: /home/u/a\\x0ab\n");
	free(lines);
	lines = lines_starting(text, "  bind ");
	assert_string_equal(lines, "  bind       /home/u/a\\x0ab\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);
}

/* argv words are quoted the shell's way only where needed. */
static void test_text_command_quoting(void **state)
{
	struct fixture *fx = *state;
	char *const argv[] = { "sh", "-c", "echo $HOME; ls *.py", "it's", "", "plain-word_1.0=x,y:z@h/p%",
			       "a b", "back\\slash", "~user", "#c", NULL };
	el_sandbox_plan *plan;
	char *text, *lines;

	fx->opts.argv = argv;
	plan = plan_ok(&fx->opts);
	text = plan_text(plan);
	lines = lines_starting(text, "command:");
	assert_string_equal(lines, "command: sh -c 'echo $HOME; ls *.py' 'it'\\''s' '' plain-word_1.0=x,y:z@h/p% "
				   "'a b' 'back\\slash' '~user' '#c'\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);
}

/* A word with only a control character is escaped like other host text. */
static void test_text_command_control_plain(void **state)
{
	struct fixture *fx = *state;
	char *const argv[] = { "printf", "a\x1b" "b", NULL };
	el_sandbox_plan *plan;
	char *text, *lines;

	fx->opts.argv = argv;
	plan = plan_ok(&fx->opts);
	text = plan_text(plan);
	lines = lines_starting(text, "command:");
	assert_string_equal(lines, "command: printf a\\x1bb\n");
	free(lines);
	free(text);
	el_sandbox_plan_free(plan);
}

/*
 * A word that needs quoting AND holds a control character: the escape
 * sequence must not reach the terminal raw either (the quoted branch
 * must escape like put_text does).
 */
static void test_text_command_control_quoted(void **state)
{
	struct fixture *fx = *state;
	char *const argv[] = { "echo", "red \x1b[31mtext", "x\x1b]0;title\x07 y", NULL };
	el_sandbox_plan *plan;
	char *text, *line;
	bool raw, escaped;

	fx->opts.argv = argv;
	plan = plan_ok(&fx->opts);
	text = plan_text(plan);
	el_sandbox_plan_free(plan);
	line = lines_starting(text, "command:");
	free(text);
	raw = strchr(line, '\x1b') || strchr(line, '\x07');
	escaped = strstr(line, "\\x1b[31m") && strstr(line, "\\x1b]0;title\\x07");
	if (raw || !escaped) {
		/* Shown with cat -v's notation, so the report itself stays printable. */
		for (char *c = line; *c; c++)
			if (*c == '\x1b' || *c == '\x07')
				*c = '^';
		print_error("printed as: %s", line);
		free(line);
		fail_msg("a quoted argv word printed its control characters raw (or not as \\xHH)");
	}
	free(line);
}

/* Writing to a stream that fails is an error, not a silent truncation. */
static void test_write_error(void **state)
{
	struct fixture *fx = *state;
	el_sandbox_plan *plan = plan_ok(&fx->opts);
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		el_sandbox_plan_free(plan);
		el_test_skip_case("no /dev/full to write to");
	}
	assert_int_equal(el_sandbox_plan_write(plan, full), EL_ERROR);
	assert_string_equal(el_error_last(), "writing the plan: No space left on device");
	fclose(full);
	el_sandbox_plan_free(plan);
}

static void test_free_null(void **state)
{
	(void)state;
	el_sandbox_plan_free(NULL);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_default_steps),
		TEST(test_system_dirs_real_and_absolute_links),
		TEST(test_default_text),
		TEST(test_full_text),
		TEST(test_env),
		TEST(test_observe),
		TEST(test_env_sorted_by_name),
		TEST(test_keepenv_overrides),
		TEST(test_keepenv_environ),
		TEST(test_threads_auto_no_lock),
		TEST(test_threads_fixed_no_lock),
		TEST(test_threads_from_lock),
		TEST(test_threads_auto_unknown),
		TEST(test_seed),
		TEST(test_seed_bounds),
		TEST(test_seed_invalid),
		TEST(test_seed_keeps_pythonpath),
		TEST(test_python_seed_profile),
		TEST(test_python_prefix),
		TEST(test_python_system),
		TEST(test_python_lock_cannot_pick_a_directory),
		TEST(test_root_idmapped_binds),
		TEST(test_python_venv),
		TEST(test_python_under_tmp_stays_visible),
		TEST(test_python_absent),
		TEST(test_python_option_wins),
		TEST(test_no_bytecode_kept),
		TEST(test_start_in_subdirectory),
		TEST(test_data_bound_read_only),
		TEST(test_editable_sources_bound),
		TEST(test_workdir),
		TEST(test_scratch_steps),
		TEST(test_workdir_overlay),
		TEST(test_workdir_copy),
		TEST(test_workdir_git_not_followed),
		TEST(test_workdir_system_refused),
		TEST(test_workdir_below_system_dir),
		TEST(test_workdir_invalid),
		TEST(test_user_mounts),
		TEST(test_user_mounts_invalid),
		TEST(test_host_path),
		TEST(test_dev_nodes),
		TEST(test_gpu_auto),
		TEST(test_gpu_require_missing),
		TEST(test_net_none),
		TEST(test_profile_settings),
		TEST(test_seccomp_default),
		TEST(test_seccomp_changes),
		TEST(test_no_command),
		TEST(test_text_escapes_env),
		TEST(test_text_escapes_paths),
		TEST(test_text_command_quoting),
		TEST(test_text_command_control_plain),
		TEST(test_text_command_control_quoted),
		TEST(test_write_error),
		TEST(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
