/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_STATE_CAPTURE_STATE_H
#define EL_STATE_CAPTURE_STATE_H

#include <stdbool.h>

#include <jansson.h>

#include "envlock/capture.h"
#include "probe/probe.h"
#include "state/record.h"
#include "state/watch.h"

/*
 * The state record in a capture that checks a lock (check, exec, replay).
 * The probes marked replayable in el__probes[] describe files only: what
 * they find is a function of the paths they look at and the variables they
 * ask for. A capture of them whose result equalled the lock's sections is
 * kept as a record (record.h) of those calls; while every call finds the
 * same again, and nothing else they depend on changed (the key), they
 * would find the lock's sections again, so those are taken without
 * running the probes. The other probes (host, cpu, gpu, threads, env,
 * code), which read /proc and /sys or the process itself, run every time.
 */
typedef struct el__capture_state {
	int dirfd;          /* the cache directory, or -1: no record here */
	el__buf key;
	char name[32];
	bool hit;           /* the record holds: take the lock's sections */
	el__watch *watch;   /* otherwise: what the replayable probes look at */
	const json_t *lock; /* the checked lock's document */
} el__capture_state;

/*
 * Look for a record for this capture and replay it (s->hit), or prepare
 * to watch the probes. Without a lock to check, with a root other than
 * "/", observed paths, no usable cache directory, or a sandbox that shows
 * the cache directory (its job could write a record), s stays without
 * one. Warnings the record holds go to ctx->warn. EL_OK or EL_ENOMEM.
 */
int el__state_begin(el__capture_state *s, el__probe_ctx *ctx, const el_capture_options *opts);

/* Watch the calls from here (on) or stop (off); a no-op without a watch. */
void el__state_watch(el__capture_state *s, bool on);

/*
 * The probed document doc of a finished capture: write the record when
 * what was watched can stand for it and its replayable sections are the
 * lock's. A record that cannot be written is a warning to ctx.
 */
void el__state_end(el__capture_state *s, el__probe_ctx *ctx, const json_t *doc);

void el__state_release(el__capture_state *s);

/*
 * The key of a capture's record, appended to key: everything besides the
 * watched calls that the replayable probes' result depends on. envlock's
 * own binary (its identity, binary being its path: a rebuild may probe
 * differently, whatever its version says), the lock (its fingerprint,
 * which must have been checked against its content when it was read,
 * else false: the record stands for that content), the options, the directories a relative path starts
 * from, and the user (what may be run and read depends on who asks). The
 * profile is not read by those probes (its pins, data and threads go to
 * the env, data and threads sections, captured every time); it is in the
 * key all the same, so that a record never stands for another profile.
 * False when something in it cannot be known.
 */
bool el__state_key(el__buf *key, const char *workdir, const el_capture_options *opts, const char *binary);

#endif
