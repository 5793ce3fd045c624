/* serve_pool.h — a fixed set of worker threads fed from a bounded FIFO
 * queue, for htr-serve's recognition jobs.
 *
 * A job is a struct the caller owns with a struct htr_pool_job inside;
 * run() is called on a worker thread and must not touch the job after it
 * has handed it back (e.g. by resuming the connection that waits for it).
 * htr_pool_submit() never blocks: when 'queue' jobs already wait for a
 * worker it refuses, and the caller answers "busy" (HTTP 503) at once.
 */
#ifndef HTR_SERVE_POOL_H
#define HTR_SERVE_POOL_H

struct htr_pool_job {
	void (*run)(struct htr_pool_job *job);
	struct htr_pool_job *next;      /* the pool's, while queued */
};

struct htr_pool;

/* Starts 'workers' threads (>= 1) with room for 'queue' (>= 0) waiting
 * jobs.  Returns NULL (htr_fail) if a thread cannot be started. */
struct htr_pool *htr_pool_create(int workers, int queue);
/* Queues a job.  Returns 0, or -1 (htr_fail) if the queue is full or the
 * pool is stopping; the job is then untouched. */
int  htr_pool_submit(struct htr_pool *p, struct htr_pool_job *job);
/* Jobs waiting and jobs running right now. */
void htr_pool_load(struct htr_pool *p, int *waiting, int *running);
/* Lets the workers finish every queued job, joins them, frees the pool. */
void htr_pool_destroy(struct htr_pool *p);

#endif
