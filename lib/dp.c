/* dp.c — data parallelism inside a training step (dp.h): the batch cut
 * into parts, a replica of the network per part, the gradients summed in
 * part order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctc.h"
#include "dp.h"
#include "htr.h"
#include "par.h"
#include "rng.h"

/* One part of the batch and the network that runs it. */
struct part {
	struct htr_net *net;    /* part 0: the caller's network */
	int first, n, W;        /* samples first..first+n-1, padded to W */
	float *x;               /* [n][C][H][W] when repacked */
	size_t xcap;
	size_t label_off;       /* the part's first label in the batch's */
	double loss;            /* mean over the part's valid samples */
	int valid, skipped;     /* samples the loss counts / skips */
	int rc;
	char err[512];
};

struct htr_dp {
	struct htr_net *net;
	int nthreads;
	int nparts;             /* of the last forward; 0: none */
	int have_loss;          /* a loss since the last forward */
	float w[HTR_DP_MAXTHREADS];     /* weights of the parts' gradients */
	struct part p[HTR_DP_MAXTHREADS];
	/* the arguments of the phase running */
	const float *x;
	int N, W, C, H, mode;
	const int *widths, *labels, *label_lens, *targets;
	float *losses;
};

struct htr_dp *
htr_dp_create(struct htr_net *net, int nthreads)
{
	struct htr_dp *dp;

	HTR_ASSERT(nthreads >= 1 && nthreads <= HTR_DP_MAXTHREADS);
	if (!(dp = htr_zalloc(1, sizeof *dp)))
		return NULL;
	dp->net = net;
	dp->nthreads = nthreads;
	dp->p[0].net = net;
	for (int k = 1; k < nthreads; k++)
		if (!(dp->p[k].net = htr_net_clone(net))) {
			htr_dp_free(dp);
			return NULL;
		}
	return dp;
}

void
htr_dp_free(struct htr_dp *dp)
{
	if (!dp)
		return;
	for (int k = 0; k < dp->nthreads; k++) {
		if (k > 0)
			htr_net_free(dp->p[k].net);
		free(dp->p[k].x);
	}
	free(dp);
}

int
htr_dp_parts(const struct htr_dp *dp, int N)
{
	int P = N / HTR_DP_MIN_PART;

	return P < 1 ? 1 : P > dp->nthreads ? dp->nthreads : P;
}

int
htr_dp_part(const struct htr_dp *dp, int k, int *n)
{
	HTR_ASSERT(k >= 0 && k < dp->nparts);
	*n = dp->p[k].n;
	return dp->p[k].first;
}

struct htr_net *
htr_dp_replica(struct htr_dp *dp, int k)
{
	HTR_ASSERT(k >= 0 && k < dp->nthreads);
	return dp->p[k].net;
}

int
htr_dp_sync(struct htr_dp *dp)
{
	const float *s = htr_net_params(dp->net);

	for (int k = 1; k < dp->nthreads; k++)
		memcpy(htr_net_params(dp->p[k].net), s, htr_net_nstate(dp->net) *
		    sizeof *s);
	return dp->nthreads;
}

/* Records the calling thread's error as part p's. */
static void
part_fail(struct part *p)
{
	p->rc = -1;
	snprintf(p->err, sizeof p->err, "%s", htr_errmsg());
}

/* After the parts of a phase: the first failure, as the caller's error. */
static int
parts_rc(const struct htr_dp *dp)
{
	for (int k = 0; k < dp->nparts; k++)
		if (dp->p[k].rc)
			return htr_fail("%s", dp->p[k].err);
	return 0;
}

/* ---- forward ------------------------------------------------------------- */

/* Cuts samples 0..N-1 into P contiguous parts of at least HTR_DP_MIN_PART
 * whose largest work (samples x padded width) is least: each part pads
 * to its own widest sample, and the parts wait for the slowest.  Among
 * equal cuts the last part is the smallest.  widths: the samples', or
 * NULL: all W.  0 or -1 (out of memory). */
static int
split(struct part *p, int P, int N, const int *widths, int W)
{
	enum { M = HTR_DP_MIN_PART };
	long *best = htr_alloc((size_t)(P + 1) * (N + 1), sizeof *best);
	int *cut = htr_alloc((size_t)(P + 1) * (N + 1), sizeof *cut);

	if (!best || !cut) {
		free(best);
		free(cut);
		return -1;
	}
	/* best[k][i]: the least largest work of k parts over samples < i */
#define B(k, i) best[(size_t)(k) * (N + 1) + (i)]
#define C(k, i) cut[(size_t)(k) * (N + 1) + (i)]
#define w(j) (widths ? widths[j] : W)
	for (int k = 1; k <= P; k++)
		for (int i = k * M; i <= N - (P - k) * M; i++) {
			int wmax = 0;
			B(k, i) = -1;
			for (int j = i - 1; j >= (k - 1) * M; j--) {
				wmax = w(j) > wmax ? w(j) : wmax;
				if (i - j < M || (k == 1 && j > 0))
					continue;
				long c = (long)(i - j) * wmax;
				if (k > 1 && B(k - 1, j) > c)
					c = B(k - 1, j);
				if (B(k, i) < 0 || c < B(k, i))
					B(k, i) = c, C(k, i) = j;
			}
		}
	for (int k = P, i = N; k >= 1; i = p[--k].first) {
		p[k - 1].first = C(k, i);
		p[k - 1].n = i - C(k, i);
		p[k - 1].W = 0;
		for (int n = C(k, i); n < i; n++)
			p[k - 1].W = w(n) > p[k - 1].W ? w(n) : p[k - 1].W;
	}
#undef B
#undef C
#undef w
	free(best);
	free(cut);
	return 0;
}

static void
forward_part(void *ctx, int k)
{
	struct htr_dp *dp = ctx;
	struct part *p = &dp->p[k];
	size_t per = (size_t)dp->C * dp->H;
	const float *x = dp->x + p->first * per * dp->W;

	if (p->W < dp->W) {
		/* the part's rows at its own width */
		size_t need = p->n * per * p->W;
		if (need > p->xcap) {
			free(p->x);
			p->xcap = 0;
			if (!(p->x = htr_alloc(need, sizeof *p->x))) {
				part_fail(p);
				return;
			}
			p->xcap = need;
		}
		for (size_t r = 0; r < p->n * per; r++)
			memcpy(p->x + r * p->W, x + r * dp->W, p->W * sizeof *x);
		x = p->x;
	}
	if (htr_net_forward(p->net, x, p->n, p->W, dp->widths ? dp->widths +
	    p->first : NULL, dp->mode))
		part_fail(p);
}

int
htr_dp_forward(struct htr_dp *dp, const float *x, int N, int W,
    const int *widths, int mode)
{
	struct htr_net *net = dp->net;
	int P = htr_dp_parts(dp, N);
	size_t ns = htr_net_nstate(net), np = htr_net_nparams(net);
	float *s = htr_net_params(net);

	dp->nparts = 0;
	dp->have_loss = 0;
	if (P == 1) {
		if (htr_net_forward(net, x, N, W, widths, mode))
			return -1;
		dp->nparts = 1;
		return 0;
	}
	if (W < 1)
		return htr_fail("empty batch (%d x %d)", N, W);
	for (int n = 0; widths && n < N; n++)
		if (widths[n] < 1 || widths[n] > W)
			return htr_fail("sample %d: width %d outside 1..%d", n,
			    widths[n], W);
	dp->x = x, dp->N = N, dp->W = W, dp->widths = widths, dp->mode = mode;
	dp->C = htr_net_input_channels(net);
	dp->H = htr_net_input_height(net);
	/* (a network of fixed input width takes all W wide) */
	if (split(dp->p, P, N, htr_net_input_width(net) ? NULL : widths, W))
		return -1;
	for (int k = 0; k < P; k++) {
		struct part *p = &dp->p[k];
		p->rc = 0;
		if (k == 0)
			continue;
		/* the replica: the network's parameters and statistics, and
		 * a dropout stream of its own drawn from the network's */
		memcpy(htr_net_params(p->net), s, ns * sizeof *s);
		if (mode == HTR_NET_TRAIN)
			htr_rng_seed(htr_net_rng(p->net),
			    htr_rng_u64(htr_net_rng(net)));
	}
	dp->nparts = P;
	htr_par_tasks(P, forward_part, dp);
	if (parts_rc(dp)) {
		dp->nparts = 0;
		return -1;
	}
	if (mode == HTR_NET_TRAIN)
		/* running statistics: the parts' mean, weighted by samples */
		for (size_t i = np; i < ns; i++) {
			float v = (float)dp->p[0].n / N * s[i];
			for (int k = 1; k < P; k++)
				v += (float)dp->p[k].n / N *
				    htr_net_params(dp->p[k].net)[i];
			s[i] = v;
		}
	return 0;
}

/* ---- losses -------------------------------------------------------------- */

static void
ctc_part(void *ctx, int k)
{
	struct htr_dp *dp = ctx;
	struct part *p = &dp->p[k];
	const int *lab = dp->labels + p->label_off;
	const int *len = dp->label_lens + p->first;

	p->loss = htr_net_loss_ctc(p->net, lab, len, dp->losses ? dp->losses +
	    p->first : NULL, &p->skipped);
	if (p->loss < 0) {
		part_fail(p);
		return;
	}
	/* the samples the mean counts, as htr_net_loss_ctc counts them */
	const int *frames = htr_net_output_lengths(p->net);
	p->valid = 0;
	for (int n = 0; n < p->n; n++) {
		int need = htr_ctc_min_frames(lab, len[n]);
		p->valid += frames[n] > 0 && frames[n] >= need;
		lab += len[n];
	}
}

static void
nll_part(void *ctx, int k)
{
	struct htr_dp *dp = ctx;
	struct part *p = &dp->p[k];

	p->loss = htr_net_loss_nll(p->net, dp->targets + p->first,
	    dp->losses ? dp->losses + p->first : NULL);
	p->valid = p->n;
	if (p->loss < 0)
		part_fail(p);
}

/* The batch's mean loss from the parts', and the weights of their
 * gradients: each part's is that of its own mean. */
static double
combine_loss(struct htr_dp *dp)
{
	double sum = 0;
	int valid = 0;

	if (parts_rc(dp))
		return -1;
	for (int k = 0; k < dp->nparts; k++) {
		sum += dp->p[k].loss * dp->p[k].valid;
		valid += dp->p[k].valid;
	}
	for (int k = 0; k < dp->nparts; k++)
		dp->w[k] = valid ? (float)dp->p[k].valid / valid : 0;
	dp->have_loss = 1;
	return valid ? sum / valid : 0;
}

double
htr_dp_loss_ctc(struct htr_dp *dp, const int *labels,
    const int *label_lens, float *losses, int *nskipped)
{
	size_t off = 0;

	if (dp->nparts == 0)
		return htr_fail("CTC loss: no forward pass");
	if (dp->nparts == 1)
		return htr_net_loss_ctc(dp->net, labels, label_lens, losses,
		    nskipped);
	for (int k = 0; k < dp->nparts; k++) {
		struct part *p = &dp->p[k];
		p->label_off = off;
		p->rc = 0;
		for (int n = p->first; n < p->first + p->n; n++) {
			if (label_lens[n] < 0)
				return htr_fail("CTC loss: sample %d: negative "
				    "label length", n);
			off += label_lens[n];
		}
	}
	dp->labels = labels, dp->label_lens = label_lens, dp->losses = losses;
	htr_par_tasks(dp->nparts, ctc_part, dp);
	double loss = combine_loss(dp);
	if (loss >= 0 && nskipped) {
		*nskipped = 0;
		for (int k = 0; k < dp->nparts; k++)
			*nskipped += dp->p[k].skipped;
	}
	return loss;
}

double
htr_dp_loss_nll(struct htr_dp *dp, const int *targets, float *losses)
{
	if (dp->nparts == 0)
		return htr_fail("NLL loss: no forward pass");
	if (dp->nparts == 1)
		return htr_net_loss_nll(dp->net, targets, losses);
	for (int k = 0; k < dp->nparts; k++)
		dp->p[k].rc = 0;
	dp->targets = targets, dp->losses = losses;
	htr_par_tasks(dp->nparts, nll_part, dp);
	return combine_loss(dp);
}

/* ---- backward ------------------------------------------------------------ */

static void
backward_part(void *ctx, int k)
{
	struct part *p = &((struct htr_dp *)ctx)->p[k];

	if (htr_net_zero_grad(p->net) || htr_net_backward(p->net))
		part_fail(p);
}

/* grads[i] = sum over parts k, in order, of w[k] * (part k's grads)[i] */
static void
sum_chunk(void *ctx, size_t lo, size_t hi)
{
	struct htr_dp *dp = ctx;
	float *g = htr_net_grads(dp->net);

	for (int k = 0; k < dp->nparts; k++) {
		const float *gk = htr_net_grads(dp->p[k].net);
		float w = dp->w[k];
		if (k == 0)
			for (size_t i = lo; i < hi; i++)
				g[i] = w * g[i];
		else
			for (size_t i = lo; i < hi; i++)
				g[i] += w * gk[i];
	}
}

int
htr_dp_backward(struct htr_dp *dp)
{
	if (dp->nparts == 0)
		return htr_fail("backward: no forward pass");
	if (dp->nparts == 1)
		return htr_net_zero_grad(dp->net) || htr_net_backward(dp->net) ?
		    -1 : 0;
	if (!dp->have_loss)
		return htr_fail("backward: no loss since the last forward");
	for (int k = 0; k < dp->nparts; k++)
		dp->p[k].rc = 0;
	htr_par_tasks(dp->nparts, backward_part, dp);
	if (parts_rc(dp))
		return -1;
	htr_par_for(htr_net_nparams(dp->net), (size_t)dp->nparts, sum_chunk,
	    dp);
	return 0;
}
