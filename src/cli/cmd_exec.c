/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "envlock/sandbox.h"

#include "cli/cli.h"
#include "cli/exec_bundle.h"
#include "cli/exec_record.h"
#include "cli/exec_run.h"
#include "cli/exec_scratch.h"
#include "cli/signing.h"

static const char usage_text[] =
	"usage: envlock exec [options] [--] CMD [ARG]...\n"
	"\n"
	"Check this machine against the lock, then run CMD in a sandbox with the\n"
	"environment pinned: new user, mount, PID, IPC, UTS and cgroup namespaces,\n"
	"the host's system directories read-only, the working directory writable,\n"
	"no capabilities, a seccomp filter.\n"
	"\n"
	"  -l, --lock FILE        the lock (default: env.lock here or in the nearest\n"
	"                         directory above, up to the repository root)\n"
	"      --no-lock          run without a lock: no drift check, the profile's pins\n"
	"      --profile P        the profile (default: the one named in the lock)\n"
	"      --on-drift WHAT    refuse (default), warn or ignore\n"
	"      --no-check         take the lock's pins and profile without checking this\n"
	"                         machine against it: the caller did (srun --envlock\n"
	"                         checks each node once, before its tasks start)\n"
	"      --quiet            no progress line while the check hashes data (shown on\n"
	"                         a terminal, for 64 MiB or more to read)\n"
	"      --seed N           PYTHONHASHSEED=N and ENVLOCK_SEED=N; seeds Python's\n"
	"                         random, numpy, torch and tensorflow at their import\n"
	"  -C, --workdir DIR      the writable working directory (default: the lock's\n"
	"                         directory when the current one is in it, else the\n"
	"                         current one); the command starts where you are\n"
	"      --bind SRC[:DEST]  bind a host path, writable\n"
	"      --ro-bind SRC[:DEST]  bind a host path, read-only\n"
	"      --tmpfs DEST       an empty tmpfs\n"
	"      --keep-scratch DIR copy the files the command leaves outside the working\n"
	"                         directory (/tmp, /var/tmp, /run, $HOME, /dev/shm, tmpfs\n"
	"                         mounts) into DIR; without it they are listed, then go\n"
	"                         with the sandbox\n"
	"      --python EXE       the Python interpreter to check and run (default: the lock's)\n"
	"      --image PATH       run in the root file system of an OCI image (a layout\n"
	"                         directory, or a podman or docker save archive) instead\n"
	"                         of the host's system directories; made once in the\n"
	"                         cache, every blob checked against its digest; with\n"
	"                         --lock FILE the drift check judges only what the image\n"
	"                         cannot carry (kernel, CPU, GPU driver); not recorded yet\n"
	"      --bundle FILE      run in a bundle (envlock pack): its root tree instead of\n"
	"                         the host's system directories, a scratch copy of its\n"
	"                         code as the working directory (at the recorded path),\n"
	"                         its lock and profile; the drift check judges only what\n"
	"                         the bundle cannot carry (kernel, CPU, GPU driver)\n"
	"      --record FILE|DIR  write the run record (in-toto, SLSA provenance) to FILE,\n"
	"                         or to a new file in DIR (a path ending in '/', made\n"
	"                         when missing), also when the run fails\n"
	"      --output PATH      a file or directory the command makes, relative to the\n"
	"                         working directory and inside it: its SHA-256 goes in\n"
	"                         the record\n"
	"      --no-observe       leave out of the record the shared objects the run\n"
	"                         loaded (observed with an LD_AUDIT library, passed\n"
	"                         the command as descriptor 3)\n"
	"      --trace            put in the record every file the run opened or executed\n"
	"                         (seccomp user notification, no ptrace; the calls go on\n"
	"                         unchanged), with the links on the way to each: what\n"
	"                         envlock pack needs to carry the run elsewhere\n"
	"      --sign, --no-sign  sign the record (RECORD.sig) with the signing key, or\n"
	"                         not; default: sign when there is a signing key\n"
	CLI_SIGNING_HELP
	"      --dry-run          print the sandbox's plan and run nothing\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: the command's; 128+N when it died of signal N; 125 when envlock\n"
	"failed or refused (drift, a bad lock, the sandbox could not be set up);\n"
	"126 the command is not executable; 127 it was not found.\n";

static const struct option longopts[] = {
	{ "lock", required_argument, NULL, 'l' },
	{ "no-lock", no_argument, NULL, 'N' },
	{ "profile", required_argument, NULL, 'p' },
	{ "on-drift", required_argument, NULL, 'd' },
	{ "no-check", no_argument, NULL, 'c' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "seed", required_argument, NULL, 's' },
	{ "workdir", required_argument, NULL, 'C' },
	{ "bind", required_argument, NULL, 'b' },
	{ "ro-bind", required_argument, NULL, 'r' },
	{ "tmpfs", required_argument, NULL, 't' },
	{ "python", required_argument, NULL, 'P' },
	{ "image", required_argument, NULL, 'I' },
	{ "bundle", required_argument, NULL, 'B' },
	{ "record", required_argument, NULL, 'R' },
	{ "output", required_argument, NULL, 'o' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "keep-scratch", required_argument, NULL, 'K' },
	{ "no-observe", no_argument, NULL, 'O' },
	{ "trace", no_argument, NULL, 'T' },
	{ "require-signed", no_argument, NULL, CLI_OPT_REQUIRE_SIGNED },
	{ "trust", required_argument, NULL, CLI_OPT_TRUST },
	{ "key", required_argument, NULL, CLI_OPT_KEY },
	{ "sign", no_argument, NULL, CLI_OPT_SIGN },
	{ "no-sign", no_argument, NULL, CLI_OPT_NO_SIGN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef struct exec_args {
	const char *lock_path, *profile_name, *workdir, *seed, *python, *record, *keep_scratch, *image, *bundle;
	bool no_lock, no_check, dry_run, lock_given, no_observe, trace, quiet;
	el_severity drift;
	el_mount *mounts;
	size_t mount_count;
	const char **outputs;
	size_t output_count;
	char **argv;
	cli_signing signing;
} exec_args;

__attribute__((format(printf, 1, 2))) static int exec_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("envlock: exec: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'envlock exec --help' for more information.\n", stderr);
	return EXEC_FAILED;
}

/* 0 to go on, or the exit status. */
static int parse_args(exec_args *a, int argc, char **argv)
{
	int c;

	opterr = 0;
	optind = 1;
	/* "+": the command's own options are not envlock's, even without "--". */
	while ((c = getopt_long(argc, argv, "+:l:C:h", longopts, NULL)) != -1) {
		if (cli_signing_option(&a->signing, c, optarg))
			continue;
		switch (c) {
		case 'l': a->lock_path = optarg; a->lock_given = true; break;
		case 'N': a->no_lock = true; break;
		case 'c': a->no_check = true; break;
		case 'q': a->quiet = true; break;
		case 'I': a->image = optarg; break;
		case 'B': a->bundle = optarg; break;
		case 'p': a->profile_name = optarg; break;
		case 's': a->seed = optarg; break;
		case 'C': a->workdir = optarg; break;
		case 'P': a->python = optarg; break;
		case 'n': a->dry_run = true; break;
		case 'O': a->no_observe = true; break;
		case 'T': a->trace = true; break;
		case 'R':
			if (!*optarg)
				return exec_usage_error("%s", "--record needs a path");
			a->record = optarg;
			break;
		case 'K':
			if (!*optarg)
				return exec_usage_error("%s", "--keep-scratch needs a directory");
			a->keep_scratch = optarg;
			break;
		case 'o':
			if (!*optarg)
				return exec_usage_error("%s", "--output needs a path");
			/* The record hashes it after the run, as envlock (perhaps root): never outside. */
			if (!exec_output_path_ok("exec", "--output", optarg))
				return EXEC_FAILED;
			a->outputs[a->output_count++] = optarg;
			break;
		case 'd':
			if (el_severity_parse(&a->drift, optarg) != EL_OK)
				return exec_usage_error("--on-drift takes refuse, warn or ignore, not '%s'", optarg);
			break;
		case 'b':
		case 'r':
		case 't':
			if (!cli_mount_add(&a->mounts, &a->mount_count,
					   c == 'b' ? EL_MOUNT_BIND : c == 'r' ? EL_MOUNT_RO_BIND : EL_MOUNT_TMPFS, optarg))
				return exec_usage_error("cannot use '%s' as a mount", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK) == CLI_EXIT_OK ? -1 : EXEC_FAILED;
		case ':':
			return exec_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return exec_usage_error("%s", cli_unknown_option(argv, longopts));
		}
	}
	if (a->no_lock && a->lock_given)
		return exec_usage_error("%s", "--lock and --no-lock contradict each other");
	if (optind >= argc)
		return exec_usage_error("%s", "no command to run (envlock exec [options] -- CMD [ARG]...)");
	if (a->no_check && a->no_lock)
		return exec_usage_error("%s", "--no-check takes a lock's pins: --no-lock has none");
	/* A record says what the check found and which commit ran: both come from the check's capture. */
	if (a->no_check && a->record)
		return exec_usage_error("%s", "--no-check does not go with --record: the record holds the check's findings");
	if (a->no_check && (a->image || a->bundle))
		return exec_usage_error("--no-check does not go with %s: the check is what judges the machine under it",
					a->image ? "--image" : "--bundle");
	if (a->output_count && !a->record)
		return exec_usage_error("%s", "--output names what goes in the run record: it needs --record");
	if (a->trace && !a->record)
		return exec_usage_error("%s", "--trace writes what the run opened into the run record: it needs --record");
	if (a->trace && a->no_observe)
		return exec_usage_error("%s", "--trace and --no-observe contradict each other: the trace extends what is observed");
	if (a->signing.sign && !a->record)
		return exec_usage_error("%s", "--sign signs the run record: it needs --record");
	if (a->signing.require && a->no_lock)
		return exec_usage_error("%s", "--require-signed checks the lock's signature: --no-lock has none");
	a->argv = argv + optind;
	/*
	 * With a lock, an image's run is judged on what the image cannot carry
	 * (the kernel, the CPU, the GPU driver), as a bundle's; a record would
	 * not name the image, and the interpreter is the image's.
	 */
	if (a->image && !a->no_lock && !a->lock_given)
		return exec_usage_error("%s", "--image takes the lock to check the machine against with --lock FILE, "
					"or runs without one: --no-lock");
	if (a->image && a->record)
		return exec_usage_error("%s", "--image cannot be recorded yet: the record would not name the image");
	if (a->image && a->python)
		return exec_usage_error("%s", "--python does not go with --image: the image's interpreter is on its PATH");
	/* A bundle brings its own lock, tree, interpreter and working directory. */
	if (a->bundle && (a->image || a->lock_given || a->python || a->workdir || a->record))
		return exec_usage_error("--bundle brings its own lock, root, interpreter and working directory: "
					"it does not go with %s",
					a->image ? "--image" : a->lock_given ? "--lock" : a->python ? "--python"
					: a->workdir ? "--workdir" : "--record (for now)");
	return 0;
}

/*
 * A task of a Slurm step of several tasks (srun sets SLURM_STEP_NUM_TASKS
 * in each) reaches the others over the network: a profile's "net none"
 * would leave it waiting at the rendezvous, so it is refused at once.
 */
static bool ranks_can_meet(const el_profile *profile)
{
	const char *tasks = getenv("SLURM_STEP_NUM_TASKS");

	if (profile->net != EL_NET_NONE || !tasks || strtol(tasks, NULL, 10) < 2)
		return true;
	cli_error("exec: the profile %s says \"net none\", which would cut this task off from the other %ld of its "
		  "Slurm step: use a profile with the host's network, such as distributed", profile->name,
		  strtol(tasks, NULL, 10) - 1);
	return false;
}

/* The working directory's absolute path and a descriptor of it, for the record. */
static bool open_workdir(char **path, int *fd, const char *given)
{
	*path = realpath(given ? given : ".", NULL);
	*fd = *path ? open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (*fd < 0) {
		cli_error("exec: working directory %s: %s", given ? given : ".", strerror(errno));
		return false;
	}
	return true;
}

/*
 * The sandbox's working directory and where the command starts: -C DIR
 * when given; else the lock's directory when it is a repository's root
 * and the user stands in it or below (src/); else the current directory.
 * Only a repository's root: a stray env.lock in $HOME must not make all
 * of $HOME writable. The command starts in the current directory when
 * that lies inside, as the user typed it.
 */
static bool choose_workdir(char **workdir, char **cwd, const char *lock_dir, const char *given)
{
	size_t n = lock_dir ? strlen(lock_dir) : 0;

	*workdir = *cwd = NULL;
	if (!(*cwd = realpath(".", NULL))) {
		cli_error("exec: the current directory: %s", strerror(errno));
		return false;
	}
	if (given)
		*workdir = strdup(given);
	else if (lock_dir && strncmp(*cwd, lock_dir, n) == 0 && ((*cwd)[n] == '/' || (*cwd)[n] == '\0' || n == 1) &&
		 cli_repository_root(lock_dir))
		*workdir = strdup(lock_dir);
	else
		*workdir = strdup(*cwd);
	if (!*workdir) {
		cli_error("out of memory");
		return false;
	}
	return true;
}

/*
 * A record directory that is the working directory itself would leave the
 * earlier records there to the run to rewrite: refused, with where to
 * write them instead.
 */
static bool record_dir_apart(const exec_record_target *t, const char *workdir)
{
	char *real = realpath(workdir, NULL);
	bool same = !t->name && real && strcmp(real, t->protect[0]) == 0;

	free(real);
	if (same)
		cli_error("exec: --record %s: the working directory itself, where the run could rewrite earlier "
			  "records; write them to a directory of their own (--record runs/)", t->path);
	return !same;
}

/*
 * What the sandbox keeps as it is where it lies in the working directory
 * (el_sandbox_options.protect): the record's target, and the profile's
 * own file and the keys it trusts, which decide the next run too. *out
 * holds *count paths for the caller to free, each and all.
 */
static bool collect_protected(char ***out, size_t *count, const exec_record_target *t, const el_profile *profile)
{
	char **list = calloc(t->protect_count + profile->trust_count + 1, sizeof(*list));
	size_t n = 0;

	*out = list;
	*count = 0;
	if (!list) {
		cli_error("out of memory");
		return false;
	}
	for (size_t i = 0; i < t->protect_count; i++, n++) {
		if (!(list[n] = strdup(t->protect[i]))) {
			*count = n;
			cli_error("out of memory");
			return false;
		}
	}
	/* Where they really are (a missing one has nothing to protect). */
	if (strcmp(profile->source, "(built in)") != 0 && (list[n] = realpath(profile->source, NULL)))
		n++;
	for (size_t i = 0; i < profile->trust_count; i++)
		if ((list[n] = realpath(profile->trust[i], NULL)))
			n++;
	*count = n;
	return true;
}

int cmd_exec(int argc, char **argv)
{
	exec_args a = { .drift = EL_SEVERITY_REFUSE };
	el_sandbox_options sopts = { 0 };
	el_sandbox_plan *plan = NULL;
	el_profile *profile = NULL;
	el_lock *lock = NULL;
	el_key *sign_key = NULL;
	char *sign_path = NULL;
	char **protect = NULL;
	size_t protect_count = 0;
	exec_run run = { 0 };
	exec_record_target target = { .dirfd = -1 };
	exec_bundle bundle = { 0 };
	el_mount *bundle_mounts = NULL; /* with --bundle: its data's binds, then the command line's */
	size_t bundle_mount_count = 0;
	char *workdir = NULL, *lock_abs = NULL, *found = NULL, *lock_dir = NULL, *here = NULL, *run_dir = NULL;
	char *python_abs = NULL, *image_root = NULL;
	int workdir_fd = -1, keep_fd = -1, status;

	/*
	 * With 0, 1 or 2 closed, a pipe envlock opens could take the number and
	 * reach the command as its standard input or output.
	 */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			return EXEC_FAILED;
	/* At most one --output per argument. */
	if (!(a.outputs = calloc((size_t)argc, sizeof(*a.outputs))) || !cli_signing_init(&a.signing, argc)) {
		free(a.outputs);
		cli_error("out of memory");
		return EXEC_FAILED;
	}
	status = parse_args(&a, argc, argv);
	if (status != 0) {
		status = status < 0 ? CLI_EXIT_OK : status;
		goto done;
	}
	status = EXEC_FAILED;
	if (a.bundle) {
		if (!exec_bundle_open(&bundle, "exec", a.bundle))
			goto done;
		a.lock_path = bundle.bundle->lock;
		a.no_lock = a.no_lock || !a.lock_path;
	}
	if (!a.no_lock && !a.lock_path) {
		if (!cli_find_lock(&found, "exec", ", or run without one: --no-lock"))
			goto done;
		a.lock_path = found;
	}
	if (!a.no_lock && access(a.lock_path, F_OK) != 0 && errno == ENOENT) {
		cli_error("exec: %s: no such file; capture one with 'envlock capture -o %s', "
			  "or run without a lock: --no-lock", a.lock_path, a.lock_path);
		goto done;
	}
	if (!a.no_lock && (!cli_read_lock(&lock, a.lock_path) || !(lock_dir = cli_lock_dir(a.lock_path))))
		goto done;
	if (a.bundle) {
		if (!(run_dir = strdup(bundle.bundle->workdir)) || (bundle.cwd && !(here = strdup(bundle.cwd)))) {
			cli_error("exec: out of memory");
			goto done;
		}
	} else if (!choose_workdir(&run_dir, &here, lock_dir, a.workdir)) {
		goto done;
	}
	if (a.bundle && !a.profile_name ? !exec_bundle_profile(&profile, &bundle, "exec")
					 : !cli_load_profile(&profile, a.profile_name, lock))
		goto done;
	/* Only a profile the user named decides how the lock is judged, not one the lock names. */
	if (!ranks_can_meet(profile))
		goto done;
	a.signing.policy = a.profile_name ? profile : NULL;
	cli_signing_note_unnamed(&a.signing, profile);
	if (lock && !cli_signing_check_lock(&a.signing, "exec", a.lock_path, lock))
		goto done;
	if (!lock && cli_signing_required(&a.signing)) {
		cli_error("exec: the profile requires signatures (require-signed on): --no-lock has no lock to check");
		goto done;
	}
	sopts.profile = profile;
	sopts.lock = lock;
	sopts.lock_path = lock ? a.lock_path : NULL;
	sopts.workdir = run_dir;
	sopts.cwd = here;
	/*
	 * The sandbox puts its directory first on PATH: the interpreter itself,
	 * found as the check finds it (a pyenv shim is a script that needs
	 * pyenv); one that cannot be found is the check's to report.
	 */
	if (a.python && el_python_find(&python_abs, a.python, here, cli_environment()) != EL_OK)
		el_error_clear();
	sopts.python = python_abs;
	if (a.image) {
		el_image_options image_opts = { .env = cli_environment() };

		if (el_image_root(&image_root, a.image, &image_opts) != EL_OK) {
			cli_error("exec: %s", el_error_last());
			goto done;
		}
		sopts.image_root = image_root;
	}
	sopts.mounts = a.mounts;
	sopts.mount_count = a.mount_count;
	if (a.bundle) {
		if (!exec_bundle_check_data(&bundle, a.mounts, a.mount_count, "exec") ||
		    !exec_bundle_mounts(&bundle_mounts, &bundle_mount_count, &bundle, a.mounts, a.mount_count, "exec"))
			goto done;
		sopts.image_root = bundle.bundle->root;
		sopts.workdir_copy = bundle.copy;
		sopts.mounts = bundle_mounts;
		sopts.mount_count = bundle_mount_count;
	}
	sopts.seed = a.seed;
	sopts.argv = a.argv;
	sopts.host_uid = geteuid();
	sopts.host_gid = getegid();
	/* A record says what the run loaded, unless told not to. */
	sopts.observe = a.record && !a.no_observe;
	sopts.trace = a.trace;
	sopts.message_prefix = "envlock: exec: ";
	/*
	 * Where the record goes, fixed before the command can change it; the
	 * sandbox keeps a record directory (or a named record) read-only, so
	 * that a run cannot rewrite the records of earlier runs (nor plant one).
	 */
	if (a.record && !a.dry_run && (!exec_record_target_open(&target, a.record) || !record_dir_apart(&target, run_dir)))
		goto done;
	if (!collect_protected(&protect, &protect_count, &target, profile))
		goto done;
	sopts.protect = (const char *const *)protect;
	sopts.protect_count = protect_count;
	if (el_sandbox_plan_new(&plan, &sopts) != EL_OK) {
		cli_error("exec: %s", el_error_last());
		goto done;
	}
	/*
	 * A job that could write the cache could change the image's tree, and
	 * every later run of that image with it (the working directory holds
	 * the cache, say): refused.
	 */
	if (sopts.image_root && el_sandbox_plan_shows(plan, sopts.image_root)) {
		cli_error("exec: --image: the sandbox would show %s, where the image's tree is kept (the cache is in a "
			  "directory it binds: set ENVLOCK_CACHE_DIR outside it)",
			  image_root);
		goto done;
	}
	if (a.dry_run) {
		status = el_sandbox_plan_write(plan, stdout) == EL_OK ? CLI_EXIT_OK : EXEC_FAILED;
		if (status != CLI_EXIT_OK)
			cli_error("exec: %s", el_error_last());
		goto done;
	}
	/* Checked now, against what the plan shows: a missing or exposed key stops the run before it starts. */
	if (a.record) {
		bool failed;

		sign_path = cli_signing_record_key(&a.signing, profile, plan, &failed);
		if (failed)
			goto done;
	}
	/* The outputs are hashed beneath the working directory, opened before the command can change it. */
	if (a.record && !open_workdir(&workdir, &workdir_fd, run_dir))
		goto done;
	if (a.record && lock && !(lock_abs = realpath(a.lock_path, NULL))) {
		cli_error("exec: %s: %s", a.lock_path, strerror(errno));
		goto done;
	}
	if (a.keep_scratch && (keep_fd = exec_keep_dir_open("exec", "--keep-scratch", a.keep_scratch)) < 0)
		goto done;
	run.plan = plan;
	run.lock = lock;
	run.lock_path = a.lock_path;
	run.lock_dir = lock_dir;
	run.profile = profile;
	run.python = a.python;
	run.on_drift = a.drift;
	run.no_check = a.no_check;
	run.quiet = a.quiet;
	run.scratch = true;
	run.keep_scratch = a.keep_scratch;
	run.keep_scratch_fd = keep_fd;
	run.observe = sopts.observe;
	run.carried_by = a.bundle ? "bundle" : a.image ? "image" : NULL;
	status = exec_run_sandbox(&run);
	/* Read only now, so that the sandbox's processes never had the secret in their memory. */
	if (a.record && sign_path && el_key_load_private(&sign_key, sign_path) != EL_OK) {
		cli_error("exec: the record is not signed: %s", el_error_last());
		status = status == 0 ? EXEC_FAILED : status;
	}
	if (a.record) {
		exec_record_input in = {
			.argv = a.argv, .workdir = workdir, .workdir_fd = workdir_fd, .lock_path = lock_abs,
			.lock = lock, .profile = profile, .seed = a.seed, .python = a.python, .on_drift = a.drift, .mounts = a.mounts,
			.mount_count = a.mount_count, .plan = plan, .trace = a.trace, .outputs = a.outputs,
			.output_count = a.output_count, .run = &run, .status = status, .sign_key = sign_key,
		};

		/* The command's status stands; a record that could not be written is envlock's failure. */
		if (!exec_record_write(&target, &in) && status == 0)
			status = EXEC_FAILED;
	}
	exec_run_release(&run);
	el_sandbox_objects_free(run.observed);
done:
	exec_bundle_close(&bundle);
	exec_record_target_close(&target);
	if (workdir_fd >= 0)
		close(workdir_fd);
	if (keep_fd >= 0)
		close(keep_fd);
	free(workdir);
	free(lock_abs);
	free(found);
	free(lock_dir);
	free(here);
	free(run_dir);
	free(python_abs);
	free(image_root);
	free(a.outputs);
	el_sandbox_plan_free(plan);
	el_profile_free(profile);
	el_lock_free(lock);
	el_key_free(sign_key);
	free(sign_path);
	for (size_t i = 0; i < protect_count; i++)
		free(protect[i]);
	free(protect);
	cli_signing_free(&a.signing);
	cli_mounts_free(a.mounts, a.mount_count);
	cli_mounts_free(bundle_mounts, bundle_mount_count);
	return status;
}
