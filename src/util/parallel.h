/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_PARALLEL_H
#define EL_UTIL_PARALLEL_H

#include <stddef.h>

/*
 * Run fn(data, i) for every i in [0, n) on up to threads threads (0: one
 * per online CPU, at most 64), the calling thread among them. Items are
 * handed out one at a time, so a few large ones do not leave threads idle.
 * fn reports its own results through data; the call fails only when no
 * thread at all could run, which cannot happen (the caller always works),
 * so it returns nothing.
 */
void el__parallel_for(size_t n, unsigned threads, void (*fn)(void *data, size_t i), void *data);

/* The number of online CPUs, at least 1. */
unsigned el__online_cpus(void);

#endif
