/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_TRACE_H
#define EL_SANDBOX_TRACE_H

#include <stdbool.h>

/*
 * exec --trace, envlock's side: the files a run opened or executed,
 * learnt through seccomp user notification rather than ptrace. The
 * command's process installs a filter that notifies on open, openat,
 * execve and execveat (el__seccomp_trace_listener), and sends the
 * listener over the status socket as "T" with one descriptor. A thread of
 * envlock's receives each notification, reads the path out of the
 * caller's memory, writes it as one line to the observer's file (the same
 * lines the LD_AUDIT observer writes, checked the same way afterwards by
 * el_sandbox_observed) and lets the call continue: the trace denies
 * nothing and changes no result.
 */

/* A call the trace is notified of, and where its path is. */
struct el__trace_call {
	const char *name;  /* NULL ends el__trace_calls */
	int path_arg;      /* the path's argument */
	int dirfd_arg;     /* the directory a relative path starts from, or -1: the working directory */
	int flags_arg;     /* the flags that may hold AT_EMPTY_PATH (then not notified), or -1 */
	bool replaces;     /* the call executes a program: the process's memory is new after it */
};

extern const struct el__trace_call el__trace_calls[];

typedef struct el__tracer el__tracer;

/*
 * Start the thread: it waits on status_fd (taken: closed by the thread's
 * end) for the listener, then answers notifications until no process of
 * the run is left. Lines go to out_fd (borrowed, opened O_APPEND).
 * EL_OK, or an error with nothing started (status_fd closed).
 */
int el__tracer_start(el__tracer **out, int status_fd, int out_fd);

/*
 * Once the sandbox's PID 1 has been reaped (or killed): end the thread
 * and free. Accepts NULL.
 */
void el__tracer_stop(el__tracer *tracer);

/* How many notifications the thread answered (for tests and the note on a run). */
unsigned long el__tracer_answered(const el__tracer *tracer);

#endif
