/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drift check of one node, once per step, before any of its tasks
 * starts: `envlock check --format json` as the step's user, and its
 * report made one line that names the node.
 *
 * It runs as a program, not in the plugin's process: slurmstepd is
 * threaded and, in user_init, only temporarily the user (its real uid
 * is still root). A child that becomes the user for good and then
 * execs envlock has neither problem: nothing the check runs (the lock's
 * Python, git) could take root back.
 */
#include "slurm/node_check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What is kept of the check's output: a report of every section fits. */
#define JSON_MAX (8u << 20)
#define ERR_MAX 4096
/* The findings a message names before "and N more". */
#define FINDINGS_NAMED 3

typedef struct sink {
	char *data;
	size_t len, max;
	bool truncated;
} sink;

static void append(char *message, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *message, size_t size, const char *fmt, ...)
{
	size_t used = strlen(message);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(message + used, size - used, fmt, ap);
	va_end(ap);
}

/* A value of the report, as the message shows it: short, one line, printable. */
static void put_value(char *message, size_t size, json_t *value)
{
	const char *text = json_string_value(value);
	char shown[40];
	size_t n = 0;

	if (!text) {
		append(message, size, "%s", "absent");
		return;
	}
	/* "sha256:" and 8 hex digits tell two digests apart; a version is shorter. */
	for (; text[n] && n < 15; n++)
		shown[n] = (text[n] >= 0x20 && text[n] < 0x7f) ? text[n] : '?';
	shown[n] = '\0';
	append(message, size, "%s%s", shown, text[n] ? "\u2026" : "");
}

/* What came from the lock or the check's output may not break the line the message is. */
static void keep_one_line(char *message)
{
	for (char *c = message; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
}

int node_check_summary(char *message, size_t size, const char *json, const char *node, const char *lock)
{
	json_t *root = json_loads(json, 0, NULL), *findings, *f;
	size_t index, refused = 0;
	const char *label;

	findings = json_object_get(root, "findings");
	if (!json_is_array(findings)) {
		json_decref(root);
		return -1;
	}
	label = lock ? lock : json_string_value(json_object_get(root, "old"));
	message[0] = '\0';
	append(message, size, "node %s has drifted from %s: ", node, label ? label : "the lock");
	json_array_foreach(findings, index, f) {
		const char *severity = json_string_value(json_object_get(f, "severity"));
		const char *path = json_string_value(json_object_get(f, "path"));

		if (!severity || strcmp(severity, "refuse") != 0 || !path)
			continue;
		if (++refused > FINDINGS_NAMED)
			continue;
		append(message, size, "%s%s (", refused > 1 ? ", " : "", path);
		put_value(message, size, json_object_get(f, "old"));
		append(message, size, "%s", " \u2192 ");
		put_value(message, size, json_object_get(f, "new"));
		append(message, size, "%s", ")");
	}
	if (refused > FINDINGS_NAMED)
		append(message, size, ", and %zu more", refused - FINDINGS_NAMED);
	else if (refused == 0)
		append(message, size, "%s", "what changed is refused by the profile's requirements");
	json_decref(root);
	keep_one_line(message);
	return 0;
}

/* The child: become the user for good, then run the check. Never returns. */
__attribute__((noreturn)) static void run_check(const node_check *check, int out, int err)
{
	const char *argv[12];
	size_t n = 0;
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(126);
	if (getuid() == 0 || geteuid() == 0) {
		/* slurmstepd dropped root only for now: take it back, to drop it for good. */
		if (seteuid(0) != 0 || setgroups((size_t)check->user.group_count, check->user.groups) != 0 ||
		    setresgid(check->user.gid, check->user.gid, check->user.gid) != 0 ||
		    setresuid(check->user.uid, check->user.uid, check->user.uid) != 0) {
			dprintf(STDERR_FILENO, "envlock: becoming uid %u: %s\n", (unsigned)check->user.uid,
				strerror(errno));
			_exit(126);
		}
	}
	argv[n++] = "envlock";
	argv[n++] = "check";
	argv[n++] = "--format";
	argv[n++] = "json";
	if (check->lock) {
		argv[n++] = "--lock";
		argv[n++] = check->lock;
	}
	if (check->profile) {
		argv[n++] = "--profile";
		argv[n++] = check->profile;
	}
	if (check->save_capture) {
		argv[n++] = "--save-capture";
		argv[n++] = check->save_capture;
	}
	argv[n] = NULL;
	/* execve's prototype takes what it never writes as char *const[]. */
	union {
		const char **in;
		char *const *out;
	} args = { .in = argv };
	execve(check->envlock, args.out, check->env);
	dprintf(STDERR_FILENO, "envlock: %s: %s\n", check->envlock, strerror(errno));
	_exit(127);
}

static void take(sink *s, int fd, bool *open_fd)
{
	char buf[65536];
	ssize_t got = read(fd, buf, sizeof(buf));

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		*open_fd = false;
		return;
	}
	if (s->len + (size_t)got > s->max) {
		s->truncated = true;
		got = (ssize_t)(s->max - s->len);
	}
	memcpy(s->data + s->len, buf, (size_t)got);
	s->len += (size_t)got;
	s->data[s->len] = '\0';
}

/* Both of the child's outputs, to the end (one could fill while the other is read). */
static void drain(int out, int err, sink *json, sink *text)
{
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd p[2] = { { .fd = out_open ? out : -1, .events = POLLIN },
				       { .fd = err_open ? err : -1, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents)
			take(json, out, &out_open);
		if (p[1].revents)
			take(text, err, &err_open);
	}
}

/* The check's own first line, without its "envlock: " (the plugin's message has one). */
static void first_line(char *message, size_t size, const char *node, const char *text)
{
	size_t n;

	if (strncmp(text, "envlock: ", 9) == 0)
		text += 9;
	n = strcspn(text, "\n");
	if (n == 0) {
		snprintf(message, size, "node %s: the check failed and said nothing", node);
		return;
	}
	snprintf(message, size, "node %s: %.*s", node, (int)n, text);
	keep_one_line(message);
}

int node_check_run(const node_check *check, char *message, size_t size)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, status = 0, result = NODE_FAILED;
	sink json = { .max = JSON_MAX }, text = { .max = ERR_MAX };
	pid_t pid;

	message[0] = '\0';
	json.data = malloc(json.max + 1);
	text.data = malloc(text.max + 1);
	if (!json.data || !text.data || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		snprintf(message, size, "node %s: the check could not start: %s", check->node, strerror(errno));
		goto done;
	}
	json.data[0] = text.data[0] = '\0';
	pid = fork();
	if (pid < 0) {
		snprintf(message, size, "node %s: the check could not start: %s", check->node, strerror(errno));
		goto done;
	}
	if (pid == 0)
		run_check(check, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	drain(out[0], err[0], &json, &text);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(message, size, "node %s: the check's status: %s", check->node, strerror(errno));
			goto done;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		result = NODE_CLEAN;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && !json.truncated &&
		   node_check_summary(message, size, json.data, check->node, check->lock) == 0) {
		result = NODE_DRIFTED;
	} else if (WIFSIGNALED(status)) {
		snprintf(message, size, "node %s: the check died of signal %d", check->node, WTERMSIG(status));
	} else {
		first_line(message, size, check->node, text.data);
	}
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(json.data);
	free(text.data);
	return result;
}
