/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a planned sandbox for exec and replay: start it, check drift
 * while it sets itself up, let the command go only after the verdict,
 * pass signals on, wait.
 */
#include "cli/exec_run.h"
#include "cli/progress.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exec_scratch.h"
#include "cli/report.h"

#define EL_STR_(x) #x
#define EL_STR(x) EL_STR_(x)

static volatile sig_atomic_t sandbox_pid, command_started, signal_before_start;

/*
 * Signals to envlock are the command's: passed to the sandbox's PID 1,
 * which passes them on. One that comes before the command started stops
 * the run instead (there is no command yet to tell).
 */
static void forward_signal(int sig)
{
	if (!command_started)
		signal_before_start = sig;
	else if (sandbox_pid > 0)
		kill((pid_t)sandbox_pid, sig);
}

static void forward_signals(pid_t pid)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	size_t count;
	const int *signals = el_sandbox_forwarded_signals(&count);

	sandbox_pid = pid;
	command_started = 0;
	signal_before_start = 0;
	for (size_t i = 0; i < count; i++)
		sigaction(signals[i], &sa, NULL);
}

/* The command whose messages these are: "exec" unless the caller said. */
static const char *run_name(const exec_run *run)
{
	return run->command ? run->command : "exec";
}

/* What a bundle cannot carry: the machine under it. */
static const char *const uncarried[] = { "host.arch", "host.kernel", "cpu", "gpu.driver", "gpu.cuda_driver", "gpu.devices",
					 NULL };

static bool uncarried_path(const char *path)
{
	for (const char *const *u = uncarried; *u; u++) {
		size_t n = strlen(*u);

		if (strncmp(path, *u, n) == 0 && (path[n] == '\0' || path[n] == '.' || path[n] == '['))
			return true;
	}
	return false;
}

/*
 * exec --bundle or --image: keep the findings about the machine itself;
 * the others are about what the tree brings, and are said (by section) to
 * be skipped, not judged.
 */
static void keep_uncarried(exec_run *run)
{
	el_diff *diff = run->diff;
	struct {
		char text[256]; /* the sections skipped, "libraries, python" */
		size_t len;
		size_t last; /* where the last name in text starts */
	} skipped = { .len = 0 };
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < diff->count; i++) {
		el_finding *f = &diff->findings[i];

		if (uncarried_path(f->path)) {
			diff->findings[kept++] = *f;
			continue;
		}
		/* The findings come section by section: a section is new when it is not the last one named. */
		if ((!skipped.len || strcmp(skipped.text + skipped.last, f->section) != 0) &&
		    skipped.len + strlen(f->section) + 3 < sizeof(skipped.text)) {
			skipped.last = skipped.len + (skipped.len ? 2 : 0);
			skipped.len += (size_t)snprintf(skipped.text + skipped.len, sizeof(skipped.text) - skipped.len,
							"%s%s", skipped.len ? ", " : "", f->section);
		}
		free(f->path);
		free(f->section);
		free(f->old_value);
		free(f->new_value);
		dropped++;
	}
	diff->count = kept;
	if (dropped)
		fprintf(stderr, "envlock: note: %s: %zu finding%s not judged: the %s carries %s\n", run_name(run),
			dropped, dropped == 1 ? "" : "s", run->carried_by,
			skipped.text);
}

/*
 * The machine the check describes, for its messages: under Slurm (srun
 * sets SLURMD_NODENAME in each task), the node by its name, so that of a
 * step's many refusals each says which node drifted.
 */
static const char *machine_label(char *buf, size_t size)
{
	const char *node = getenv("SLURMD_NODENAME");

	if (!node || !*node || strlen(node) > 64 || strpbrk(node, " \t\n\r"))
		return "this machine";
	snprintf(buf, size, "node %s", node);
	return buf;
}

/*
 * The drift check, while the sandbox sets itself up. Returns 0 to go on,
 * or EXEC_FAILED; the findings go to stderr, the verdict into run.
 */
static int check_drift(exec_run *run)
{
	char label[80];
	const char *machine = machine_label(label, sizeof(label));
	report_options ropts = { .old_label = run->lock_path, .new_label = machine,
				 .unicode = report_unicode_auto(), .color = false, .format = REPORT_TEXT };
	el_capture_options copts = { .warn = cli_print_warning, .env = cli_environment(), .profile = run->profile, .python = run->python,
				     .checking = run->lock, .workdir = run->lock_dir, .sandbox = run->plan };
	char *hint = NULL, *unmet = NULL;
	bool refuse = false;

	if (cli_capture_shown(&run->now, &copts, run->quiet) != EL_OK) {
		cli_error("%s: %s", run_name(run), el_error_last());
		return EXEC_FAILED;
	}
	if (el_lock_diff(&run->diff, run->lock, run->now) == EL_OK && run->carried_by)
		keep_uncarried(run);
	if (!run->diff || el_drift_verdict(&run->verdict, run->diff, run->profile, 0) != EL_OK) {
		cli_error("%s: %s", run_name(run), el_error_last());
		return EXEC_FAILED;
	}
	report_not_compared(run->diff, run->lock_path, machine);
	/* A requirement of the profile (a clean tree) is policy: --on-drift does not lift it. */
	if (el_profile_unmet(&unmet, run->profile, run->now) != EL_OK) {
		cli_error("%s: out of memory", run_name(run));
		refuse = true;
	} else if (unmet) {
		cli_error("%s: refusing to run: the profile's %s", run_name(run), unmet);
		refuse = true;
	} else if (run->diff->count > 0 && run->on_drift != EL_SEVERITY_IGNORE) {
		ropts.hint = hint = cli_relock_hint(run->profile, run->lock, run->lock_path, run->python);
		/* Without the files the report is shorter, not wrong: out of memory is not a refusal. */
		if (el_verdict_explain_data(run->verdict, copts.cache_dir) != EL_OK)
			el_error_clear();
		ropts.color = report_color_auto(STDERR_FILENO);
		if (report_drift(stderr, run->verdict, run->lock, run->now, &ropts) != 0) {
			refuse = true; /* the drift could not be shown: nothing runs unseen */
		} else if (el_verdict_outcome(run->verdict) == EL_OUTCOME_REFUSE && run->on_drift == EL_SEVERITY_WARN) {
			cli_error("%s: running despite the drift (--on-drift warn)", run_name(run));
		} else if (el_verdict_outcome(run->verdict) == EL_OUTCOME_REFUSE) {
			cli_error("%s: refusing to run: %s has drifted from %s (--on-drift warn runs anyway)",
				  run_name(run), machine, run->lock_path);
			refuse = true;
		}
	}
	free(hint);
	free(unmet);
	return refuse ? EXEC_FAILED : 0;
}

/*
 * What the run loaded, for the record. Not knowing it is said, not fatal:
 * the run itself happened, and its record says everything else.
 */
static void observe(exec_run *run, const el_sandbox *sandbox, int status)
{
	const el_sandbox_objects *o;

	if (el_sandbox_observed(&run->observed, sandbox, NULL) != EL_OK) {
		cli_print_warning(NULL, run_name(run), el_error_last());
		return;
	}
	o = run->observed;
	/* 126 and 127: the command could not be run at all, which was said already. */
	if (o->reported == 0 && status != 126 && status != 127)
		fputs("envlock: note: the command loaded no shared object envlock could observe "
		      "(a static or set-id program)\n", stderr);
	if (o->refused)
		cli_print_warning(NULL, run_name(run),
				  o->refused == 1 ? "the observer's file held 1 line that is not a path"
						  : "the observer's file held lines that are not paths");
	if (o->too_many)
		cli_print_warning(NULL, run_name(run),
				  "the run reported more shared objects than envlock records "
				  "(" EL_STR(EL_SANDBOX_OBSERVED_MAX) "): the rest are left out");
}

void exec_run_release(exec_run *run)
{
	/* The verdict points into the diff. */
	el_verdict_free(run->verdict);
	el_diff_free(run->diff);
	el_lock_free(run->now);
	run->verdict = NULL;
	run->diff = NULL;
	run->now = NULL;
}

int exec_run_sandbox(exec_run *run)
{
	el_sandbox *sandbox = NULL;
	int status = EXEC_FAILED;

	run->diff = NULL;
	run->verdict = NULL;
	run->now = NULL;
	run->observed = NULL;
	run->sandbox = NULL;
	run->overlay_refused = false;
	clock_gettime(CLOCK_REALTIME, &run->started);
	/* The sandbox's status comes from waitpid: a SIGCHLD our caller ignored would lose it. */
	signal(SIGCHLD, SIG_DFL);
	if (el_sandbox_start(&sandbox, run->plan) != EL_OK) {
		cli_error("%s: %s", run_name(run), el_error_last());
		goto done;
	}
	if (el_sandbox_warning(sandbox))
		cli_print_warning(NULL, run_name(run), el_sandbox_warning(sandbox));
	forward_signals(el_sandbox_pid(sandbox));
	/* The sandbox sets itself up meanwhile; the command starts only after the verdict. */
	if (run->lock && !run->no_check && check_drift(run) != 0)
		goto done;
	if (el_sandbox_ready(sandbox) != EL_OK) {
		/* The caller says it, and may start again without the overlay. */
		if (el_error_last_code() == EL_ENOTSUP) {
			run->overlay_refused = true;
			snprintf(run->overlay_reason, sizeof(run->overlay_reason), "%s", el_error_last());
		} else {
			cli_error("%s: %s", run_name(run), el_error_last());
		}
		goto done;
	}
	/* From here a signal is forwarded; one that came before ends the run as it would have. */
	command_started = 1;
	if (signal_before_start) {
		status = 128 + signal_before_start;
		goto done;
	}
	if (el_sandbox_go(sandbox) != EL_OK || el_sandbox_wait(sandbox, &status) != EL_OK) {
		cli_error("%s: %s", run_name(run), el_error_last());
		status = EXEC_FAILED;
		goto done;
	}
	/* The run ends with the command; what it left is looked at after. */
	sandbox_pid = 0;
	clock_gettime(CLOCK_REALTIME, &run->finished);
	getrusage(RUSAGE_CHILDREN, &run->usage);
	if (run->observe)
		observe(run, sandbox, status);
	if (run->scratch)
		status = exec_scratch_report(sandbox, run->keep_scratch_fd, run->keep_scratch, status);
	if (run->hold) {
		run->sandbox = sandbox;
		sandbox = NULL;
	}
	el_sandbox_free(sandbox);
	return status;
done:
	/* No forwarding to a PID that may be reused once the sandbox is reaped. */
	sandbox_pid = 0;
	el_sandbox_free(sandbox);
	clock_gettime(CLOCK_REALTIME, &run->finished);
	getrusage(RUSAGE_CHILDREN, &run->usage);
	return status;
}
