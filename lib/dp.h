/* dp.h — data parallelism inside a training step: the batch is cut into
 * contiguous parts, one per thread; each part runs forward, loss and
 * backward through a replica of the network of its own (OpenBLAS held to
 * one thread meanwhile), and the replicas' gradients are summed into the
 * network's in a fixed order.  One optimiser step on the network follows,
 * as without parts:
 *
 *     htr_dp_forward(dp, x, n, w, widths, HTR_NET_TRAIN);
 *     loss = htr_dp_loss_ctc(dp, labels, label_lens, NULL, NULL);
 *     htr_dp_backward(dp);
 *     htr_net_adam_step(net, &adam);
 *
 * Why: a training step is hundreds of small sgemms and element-wise
 * passes.  OpenBLAS spreads each sgemm over the cores but gains little on
 * small ones, and the work between them is serial; whole parts of the
 * batch on separate cores share nothing until the gradient sum.
 *
 * With one part (one thread, or a batch too small to cut: fewer than
 * HTR_DP_MIN_PART samples per part) every call is exactly the network's
 * own (htr_net_forward, htr_net_loss_ctc, htr_net_zero_grad +
 * htr_net_backward): the same numbers, bit for bit.  With P parts:
 *
 *  - the parts are contiguous runs of samples, at least HTR_DP_MIN_PART
 *    each, cut where the largest part's work (samples x its own padded
 *    width) is least: each part is padded to its own widest sample only,
 *    and the batch arrives sorted by width (htr_set_epoch_order), so the
 *    narrow part takes more samples.  Samples all of one width make equal
 *    parts (the last the smaller where P does not divide N);
 *  - part 0 runs on the network itself, part k > 0 on replica k, whose
 *    parameters and batch-norm statistics are copied from the network at
 *    each forward, so the replicas hold no state of their own: a run
 *    resumed from a checkpoint continues exactly;
 *  - in TRAIN mode, batch norm normalises each part by its own statistics
 *    (as data-parallel training without synchronised batch norm does),
 *    and the network's running statistics become the mean of the parts'
 *    updated ones, weighted by their sample counts, in part order; each
 *    replica draws its dropout masks from an RNG seeded, at each forward,
 *    by a draw from the network's RNG (saved in checkpoints);
 *  - the loss is that of the whole batch: the mean over the samples not
 *    skipped, and the gradient that of this mean (each part's gradient
 *    weighted by its share of those samples, summed in part order), so
 *    learning rates mean what they mean with one thread.
 *
 * Results are bit-for-bit repeatable for the same thread count and seed;
 * they differ from one thread's (batch-norm statistics per part, sums in
 * another order).  Outside TRAIN mode a part's results do not depend on
 * the others (see net.h: padding never leaks), so EVAL gradients equal
 * the whole batch's up to rounding.
 *
 * Memory: each replica holds a copy of the parameters, its gradients and
 * the activations of its part. */
#ifndef HTR_DP_H
#define HTR_DP_H

#include "net.h"

#define HTR_DP_MAXTHREADS 16
#define HTR_DP_MIN_PART   2

struct htr_dp;

/* Data parallelism over nthreads (1..HTR_DP_MAXTHREADS) parts for net,
 * which stays the caller's.  Replicas are cloned here.  NULL + htr_fail()
 * when out of memory. */
struct htr_dp *htr_dp_create(struct htr_net *net, int nthreads);
void htr_dp_free(struct htr_dp *dp);

/* The parts a batch of N is cut into: min(nthreads, N / HTR_DP_MIN_PART),
 * at least 1. */
int htr_dp_parts(const struct htr_dp *dp, int N);
/* Part k of the last forward (k < the parts of its batch): its first
 * sample; *n gets its sample count. */
int htr_dp_part(const struct htr_dp *dp, int k, int *n);
/* The network that runs part k (0: net itself), e.g. to profile it. */
struct htr_net *htr_dp_replica(struct htr_dp *dp, int k);
/* Copies net's parameters and batch-norm statistics into the replicas
 * (as each forward does), e.g. to run them all for inference
 * (htr_set_infer_nets).  Returns the thread count: replicas 0..n-1. */
int htr_dp_sync(struct htr_dp *dp);

/* As htr_net_forward over the whole batch (same arguments), each part on
 * a thread of its own.  0 or -1 (htr_fail; the message of the first part
 * that failed). */
int htr_dp_forward(struct htr_dp *dp, const float *x, int N, int W,
    const int *widths, int mode);

/* As htr_net_loss_ctc / htr_net_loss_nll over the whole batch of the last
 * forward: the mean loss over the samples not skipped; losses [N] and
 * nskipped (may be NULL) as there. */
double htr_dp_loss_ctc(struct htr_dp *dp, const int *labels,
    const int *label_lens, float *losses, int *nskipped);
double htr_dp_loss_nll(struct htr_dp *dp, const int *targets,
    float *losses);

/* Sets net's gradients to those of the last loss (as htr_net_zero_grad
 * then htr_net_backward).  0 or -1 (htr_fail: no loss since the last
 * forward, out of memory). */
int htr_dp_backward(struct htr_dp *dp);

#endif
