/* par.h — a minimal parallel for over the cores OpenBLAS uses, for the
 * element-wise work between sgemm calls (im2col, batch norm, pooling,
 * LSTM gates).  Chunks write disjoint outputs, so results do not depend on
 * the thread count. */
#ifndef HTR_PAR_H
#define HTR_PAR_H

#include <stddef.h>

/* Threads used: OpenBLAS's count (OPENBLAS_NUM_THREADS, else all cores). */
int htr_par_threads(void);

/* Calls fn(ctx, lo, hi) on disjoint ranges covering [0, n), in parallel
 * when n * cost (rough work per item, in floats touched) is large enough
 * to pay for starting threads; otherwise fn(ctx, 0, n). */
void htr_par_for(size_t n, size_t cost, void (*fn)(void *ctx, size_t lo,
    size_t hi), void *ctx);

/* p[0..n-1] = 0, in parallel when n is large. */
void htr_par_zero(float *p, size_t n);

/* Calls fn(ctx, i) for i in [0, n) (n <= 16) at once, one thread each,
 * with OpenBLAS held to one thread meanwhile: for independent chains of
 * small sgemms that OpenBLAS cannot spread over the cores itself (the two
 * directions of an LSTM).  In order, in the caller's thread, when
 * htr_par_threads() is 1 or n is 1.  It changes OpenBLAS's thread count
 * for the whole process while it runs: callers that use OpenBLAS from
 * several threads of their own must run OpenBLAS with one thread (as
 * htr-serve does), which makes this plain serial. */
void htr_par_tasks(int n, void (*fn)(void *ctx, int i), void *ctx);

#endif
