/* serve_pool.c — worker threads and a bounded job queue (serve_pool.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "serve_pool.h"

struct htr_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* a job was queued, or stopping */
	struct htr_pool_job *head, *tail;
	int waiting, running, queue, stop;
	int nthread;
	pthread_t *thread;              /* [nthread] */
};

static void *
worker(void *arg)
{
	struct htr_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct htr_pool_job *j;

		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->head)
			break;                  /* stopping, queue drained */
		j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		j->next = NULL;
		j->run(j);
		pthread_mutex_lock(&p->mu);
		p->running--;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct htr_pool *
htr_pool_create(int workers, int queue)
{
	struct htr_pool *p;

	HTR_ASSERT(workers >= 1 && queue >= 0);
	if (!(p = htr_zalloc(1, sizeof *p)))
		return NULL;
	if (!(p->thread = htr_zalloc((size_t)workers, sizeof *p->thread))) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->queue = queue;
	for (int i = 0; i < workers; i++) {
		int e = pthread_create(&p->thread[i], NULL, worker, p);

		if (e) {
			htr_pool_destroy(p);
			htr_fail("cannot start worker thread %d: %s", i + 1,
			    strerror(e));
			return NULL;
		}
		p->nthread++;
	}
	return p;
}

int
htr_pool_submit(struct htr_pool *p, struct htr_pool_job *job)
{
	pthread_mutex_lock(&p->mu);
	/* A job that an idle worker takes at once does not count against
	 * the queue: 'queue' bounds the jobs that wait for a busy worker. */
	if (p->stop || p->waiting + p->running >= p->nthread + p->queue) {
		int stop = p->stop;

		pthread_mutex_unlock(&p->mu);
		return htr_fail(stop ? "server is stopping" :
		    "all %d workers busy and %d requests queued", p->nthread,
		    p->queue);
	}
	job->next = NULL;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->waiting++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void
htr_pool_load(struct htr_pool *p, int *waiting, int *running)
{
	pthread_mutex_lock(&p->mu);
	*waiting = p->waiting;
	*running = p->running;
	pthread_mutex_unlock(&p->mu);
}

void
htr_pool_destroy(struct htr_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthread; i++)
		pthread_join(p->thread[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->thread);
	free(p);
}
