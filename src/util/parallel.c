/* SPDX-License-Identifier: Apache-2.0 */
#include "util/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define MAX_THREADS 64

struct pool {
	size_t n;
	atomic_size_t next;
	void (*fn)(void *data, size_t i);
	void *data;
};

static void *work(void *arg)
{
	struct pool *pool = arg;
	size_t i;

	while ((i = atomic_fetch_add(&pool->next, 1)) < pool->n)
		pool->fn(pool->data, i);
	return NULL;
}

unsigned el__online_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 0 ? (unsigned)cpus : 1;
}

void el__parallel_for(size_t n, unsigned threads, void (*fn)(void *data, size_t i), void *data)
{
	struct pool pool = { .n = n, .fn = fn, .data = data };
	pthread_t tids[MAX_THREADS];
	unsigned started = 0;

	if (threads == 0)
		threads = el__online_cpus();
	if (threads > n)
		threads = (unsigned)n;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	atomic_init(&pool.next, 0);
	/* A thread that cannot be started only means fewer hands: the caller works too. */
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&tids[started], NULL, work, &pool) != 0)
			break;
		started++;
	}
	work(&pool);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}
