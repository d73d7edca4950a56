/* SPDX-License-Identifier: Apache-2.0 */
#include "util/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

#define MAX_OUTPUT (256 * 1024)

extern char **environ;

long long el__monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for pid until deadline, then kill it and reap it; false when it had
 * to be killed.
 */
static bool reap_by(pid_t pid, int *status, long long deadline)
{
	const struct timespec pause = { 0, 2 * 1000 * 1000 };

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		if (el__monotonic_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		nanosleep(&pause, NULL);
	}
}

int el__run_capture(el__buf *out, int *status, char *const argv[], char *const envp[], int timeout_ms)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], ret = EL_OK, err;
	long long deadline = el__monotonic_ms() + timeout_ms;
	pid_t pid;

	el__buf_reset(out);
	*status = -1;
	/*
	 * posix_spawn reports a failed exec only where the libc can (glibc's
	 * vfork path does; a fork fallback, as under valgrind, exits 127
	 * instead): say "not found" the same way everywhere.
	 */
	if (access(argv[0], X_OK) != 0)
		return el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR, "%s", argv[0]);
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return el__error_errno(EL_ERROR, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err != 0) {
		close(pipefd[0]);
		errno = err;
		return el__error_errno(err == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", argv[0]);
	}

	/*
	 * Read until EOF, or until the program itself has exited: a daemon it
	 * left behind may hold the pipe open forever, and its output is not
	 * the program's answer.
	 */
	for (bool exited = false;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		long long left = deadline - el__monotonic_ms();
		char chunk[4096];
		ssize_t n;
		int pr;

		if (left <= 0) {
			ret = el__error(EL_ERROR, "%s: timed out after %d ms", argv[0], timeout_ms);
			if (pid > 0)
				kill(pid, SIGKILL);
			break;
		}
		pr = poll(&pfd, 1, exited ? 0 : (int)(left < 20 ? left : 20));
		if (pr < 0 && errno != EINTR) {
			ret = el__error_errno(EL_ERROR, "%s: poll", argv[0]);
			if (pid > 0)
				kill(pid, SIGKILL);
			break;
		}
		if (pr <= 0) {
			if (exited)
				break; /* drained what it wrote before exiting */
			if (waitpid(pid, status, WNOHANG) == pid) {
				pid = -1;
				exited = true;
			}
			continue;
		}
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > MAX_OUTPUT) {
			ret = el__error(EL_EINVAL, "%s: printed more than %d bytes", argv[0], MAX_OUTPUT);
			if (pid > 0)
				kill(pid, SIGKILL);
			break;
		}
		el__buf_add(out, chunk, (size_t)n);
	}
	close(pipefd[0]);
	/* A program that closed stdout may still linger: the limit holds for it too. */
	if (pid > 0 && !reap_by(pid, status, deadline) && ret == EL_OK)
		ret = el__error(EL_ERROR, "%s: timed out after %d ms", argv[0], timeout_ms);
	if (ret == EL_OK && el__buf_failed(out))
		ret = el__error_oom();
	return ret;
}
