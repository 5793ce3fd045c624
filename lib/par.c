/* par.c — parallel for on short-lived POSIX threads. */
#include <cblas.h>
#include <pthread.h>
#include <string.h>

#include "par.h"

#define MAXT      16
#define MIN_WORK  (1u << 16)   /* floats per thread worth a thread start */

struct chunk {
	void (*fn)(void *, size_t, size_t);
	void *ctx;
	size_t lo, hi;
};

static void *
run(void *p)
{
	struct chunk *c = p;

	c->fn(c->ctx, c->lo, c->hi);
	return NULL;
}

int
htr_par_threads(void)
{
	int t = openblas_get_num_threads();

	return t < 1 ? 1 : t > MAXT ? MAXT : t;
}

void
htr_par_for(size_t n, size_t cost, void (*fn)(void *, size_t, size_t),
    void *ctx)
{
	size_t nt = (size_t)htr_par_threads();
	size_t work = n * (cost ? cost : 1);

	if (nt > n)
		nt = n;
	if (nt > work / MIN_WORK)
		nt = work / MIN_WORK;
	if (nt <= 1) {
		if (n)
			fn(ctx, 0, n);
		return;
	}
	struct chunk c[MAXT];
	pthread_t th[MAXT];
	int started[MAXT] = { 0 };
	for (size_t i = 0; i < nt; i++) {
		c[i].fn = fn, c[i].ctx = ctx;
		c[i].lo = n * i / nt, c[i].hi = n * (i + 1) / nt;
	}
	for (size_t i = 1; i < nt; i++)
		started[i] = pthread_create(&th[i], NULL, run, &c[i]) == 0;
	run(&c[0]);
	for (size_t i = 1; i < nt; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			run(&c[i]);   /* no thread: do it here */
	}
}

struct task {
	void (*fn)(void *, int);
	void *ctx;
	int i;
};

static void *
run_task(void *p)
{
	struct task *t = p;

	t->fn(t->ctx, t->i);
	return NULL;
}

void
htr_par_tasks(int n, void (*fn)(void *, int), void *ctx)
{
	int nt = openblas_get_num_threads();

	if (nt < 2 || n < 2 || n > MAXT) {
		for (int i = 0; i < n; i++)
			fn(ctx, i);
		return;
	}
	struct task t[MAXT];
	pthread_t th[MAXT];
	int started[MAXT] = { 0 };
	openblas_set_num_threads(1);
	for (int i = 0; i < n; i++)
		t[i].fn = fn, t[i].ctx = ctx, t[i].i = i;
	for (int i = 1; i < n; i++)
		started[i] = pthread_create(&th[i], NULL, run_task, &t[i]) == 0;
	run_task(&t[0]);
	for (int i = 1; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			run_task(&t[i]);
	}
	openblas_set_num_threads(nt);
}

static void
zero_chunk(void *ctx, size_t lo, size_t hi)
{
	memset((float *)ctx + lo, 0, (hi - lo) * sizeof (float));
}

void
htr_par_zero(float *p, size_t n)
{
	htr_par_for(n, 1, zero_chunk, p);
}
