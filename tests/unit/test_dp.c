/* test_dp.c — data parallelism inside a training step (dp.h):
 *  - one part is the network's own step, bit for bit;
 *  - in EVAL mode the gradient of a batch cut into parts equals the whole
 *    batch's (CTC with a skipped sample, and a classifier);
 *  - in TRAIN mode it equals the parts' own gradients, each with its
 *    batch-norm statistics, weighted by their valid samples; the running
 *    statistics are the parts' mean;
 *  - the same seed gives the same run, a run resumed from a checkpoint
 *    continues exactly, and a toy task is learnt;
 *  - errors name the sample and the cause. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "htr.h"
#include "model.h"
#include "net.h"
#include "rng.h"
#include "t.h"
#include "toy.h"

static struct htr_rng rng;

/* A batch of n random images; widths[i] <= W, padding 0. */
static float *
batch(int n, int C, int H, int W, const int *widths)
{
	float *x = calloc((size_t)n * C * H * W, sizeof *x);

	for (int i = 0; i < n; i++)
		for (int c = 0; c < C; c++)
			for (int y = 0; y < H; y++)
				for (int k = 0; k < (widths ? widths[i] : W); k++)
					x[(((size_t)i * C + c) * H + y) * W + k] =
					    htr_rng_uniform(&rng);
	return x;
}

/* Largest |a - b| over n, relative to the largest |b|. */
static double
reldiff(const float *a, const float *b, size_t n)
{
	double md = 0, mb = 0;

	for (size_t i = 0; i < n; i++) {
		md = fmax(md, fabs((double)a[i] - b[i]));
		mb = fmax(mb, fabs(b[i]));
	}
	return mb > 0 ? md / mb : md;
}

static float *
copy_grads(struct htr_net *net)
{
	size_t n = htr_net_nparams(net);
	float *g = malloc(n * sizeof *g);

	memcpy(g, htr_net_grads(net), n * sizeof *g);
	return g;
}

/* ---- training on the toy CTC task of toy.h ------------------------------- */

/* Steps of training on the toy task from data seed, batches of B, through
 * dp (or the network's own calls when dp is NULL). */
static void
train(struct htr_net *net, struct htr_dp *dp, int B, uint64_t seed,
    int steps, double *losses)
{
	struct htr_rng r;
	float x[16 * TH * 24];
	int W, widths[16], labels[16 * 4], llen[16];
	struct htr_adam a;

	HTR_ASSERT(B <= 16);
	htr_adam_defaults(&a);
	a.lr = 0.01f;
	a.clip = 5;
	htr_rng_seed(&r, seed);
	for (int s = 0; s < steps; s++) {
		toy_batch(&r, B, x, &W, widths, labels, llen);
		if (dp) {
			CHECK(htr_dp_forward(dp, x, B, W, widths,
			    HTR_NET_TRAIN) == 0);
			losses[s] = htr_dp_loss_ctc(dp, labels, llen, NULL, NULL);
			CHECK(htr_dp_backward(dp) == 0);
		} else {
			CHECK(htr_net_forward(net, x, B, W, widths,
			    HTR_NET_TRAIN) == 0);
			losses[s] = htr_net_loss_ctc(net, labels, llen, NULL,
			    NULL);
			htr_net_zero_grad(net);
			htr_net_backward(net);
		}
		htr_net_adam_step(net, &a);
	}
}

/* One part (one thread, or too small a batch for two) is the network's
 * own step: the same losses and weights, bit for bit. */
static void
test_one_part(void)
{
	for (int nt = 1; nt <= 2; nt++) {
		/* nt 2 with batches of 3: one part each */
		int B = nt == 1 ? 8 : 3;
		double l1[4], l2[4];
		struct htr_net *a = htr_net_create(toy_vgsl, 0, 11);
		struct htr_net *b = htr_net_create(toy_vgsl, 0, 11);
		struct htr_dp *dp = htr_dp_create(b, nt);

		CHECK(htr_dp_parts(dp, B) == 1);
		train(a, NULL, B, 5, 4, l1);
		train(b, dp, B, 5, 4, l2);
		for (int i = 0; i < 4; i++)
			CHECKF(l1[i] == l2[i], "%d threads, step %d: %.9g vs %.9g",
			    nt, i, l1[i], l2[i]);
		CHECK(memcmp(htr_net_params(a), htr_net_params(b),
		    htr_net_nstate(a) * sizeof(float)) == 0);
		htr_dp_free(dp);
		htr_net_free(a);
		htr_net_free(b);
	}
}

/* EVAL mode: a sample's results do not depend on its batch, so the parts
 * together give the whole batch's loss and gradient.  Sample 6's label
 * needs more frames than it has: skipped, and the parts' weights must
 * count only the valid samples. */
static void
test_eval_ctc(void)
{
	const char *s = "[1,12,0,1 Cr3,3,6 Bnr Mp2,2 Cr3,3,8 Mp2,1 Lbx10 "
	    "O1c6]";
	enum { N = 7 };
	int widths[N] = { 20, 23, 25, 31, 33, 36, 16 };
	int llen[N] = { 2, 3, 1, 4, 2, 3, 12 }, labels[64];
	int W = 36, sk1 = -1, sk2 = -1;
	float *x = batch(N, 1, 12, W, widths), l1[N], l2[N];

	for (int i = 0, o = 0; i < N; o += llen[i++])
		for (int k = 0; k < llen[i]; k++)
			labels[o + k] = 1 + (i * 3 + k) % 5;
	for (int P = 2; P <= 3; P++) {
		struct htr_net *a = htr_net_create(s, 0, 7);
		struct htr_net *b = htr_net_clone(a);
		struct htr_dp *dp = htr_dp_create(b, P);

		CHECK(htr_dp_parts(dp, N) == P);
		CHECK(htr_net_forward(a, x, N, W, widths, HTR_NET_EVAL) == 0);
		double la = htr_net_loss_ctc(a, labels, llen, l1, &sk1);
		CHECK(htr_net_zero_grad(a) == 0 && htr_net_backward(a) == 0);
		CHECK(htr_dp_forward(dp, x, N, W, widths, HTR_NET_EVAL) == 0);
		double lb = htr_dp_loss_ctc(dp, labels, llen, l2, &sk2);
		CHECK(htr_dp_backward(dp) == 0);
		CHECK(sk1 == 1 && sk2 == 1 && l2[6] == -1);
		CHECK_NEAR(lb, la, 1e-6, 1e-6);
		for (int i = 0; i < N; i++)
			CHECK_NEAR(l2[i], l1[i], 1e-5, 1e-5);
		double d = reldiff(htr_net_grads(b), htr_net_grads(a),
		    htr_net_nparams(a));
		CHECKF(d < 1e-5, "%d parts: gradients differ by %g (relative)",
		    P, d);
		/* EVAL leaves the running statistics alone */
		CHECK(memcmp(htr_net_params(a), htr_net_params(b),
		    htr_net_nstate(a) * sizeof(float)) == 0);
		htr_dp_free(dp);
		htr_net_free(a);
		htr_net_free(b);
	}
	free(x);
}

/* A classifier (fixed width, three channels, NLL) likewise, with a batch
 * that does not divide evenly. */
static void
test_eval_nll(void)
{
	const char *s = "[1,6,6,3 Ck3,3,4 Bnk Mp2,2 Ft5 O0s3]";
	enum { N = 5 };
	int targets[N] = { 0, 2, 1, 2, 1 };
	float *x = batch(N, 3, 6, 6, NULL), l1[N], l2[N];
	struct htr_net *a = htr_net_create(s, 0, 9);
	struct htr_net *b = htr_net_clone(a);
	struct htr_dp *dp = htr_dp_create(b, 2);

	CHECK(htr_net_forward(a, x, N, 6, NULL, HTR_NET_EVAL) == 0);
	double la = htr_net_loss_nll(a, targets, l1);
	CHECK(htr_net_zero_grad(a) == 0 && htr_net_backward(a) == 0);
	CHECK(htr_dp_forward(dp, x, N, 6, NULL, HTR_NET_EVAL) == 0);
	/* all of one width: the last part the smaller */
	int n0 = 0, n1 = 0;
	CHECK(htr_dp_part(dp, 0, &n0) == 0 && n0 == 3);
	CHECK(htr_dp_part(dp, 1, &n1) == 3 && n1 == 2);
	double lb = htr_dp_loss_nll(dp, targets, l2);
	CHECK(htr_dp_backward(dp) == 0);
	CHECK_NEAR(lb, la, 1e-6, 1e-6);
	for (int i = 0; i < N; i++)
		CHECK_NEAR(l2[i], l1[i], 1e-6, 1e-6);
	double d = reldiff(htr_net_grads(b), htr_net_grads(a),
	    htr_net_nparams(a));
	CHECKF(d < 1e-5, "classifier: gradients differ by %g (relative)", d);
	htr_dp_free(dp);
	htr_net_free(a);
	htr_net_free(b);
	free(x);
}

/* Where two parts of a batch sorted by width are cut: least largest
 * samples x widest, the smaller last part on ties (dp.h). */
static int
cut2(const int *widths, int N)
{
	int best = -1;
	long bc = 0;

	for (int c = HTR_DP_MIN_PART; c <= N - HTR_DP_MIN_PART; c++) {
		long a = (long)c * widths[c - 1], b = (long)(N - c) * widths[N - 1];
		long m = a > b ? a : b;
		if (best < 0 || m <= bc)
			best = c, bc = m;
	}
	return best;
}

/* TRAIN mode, batch norm, no dropout: each part is normalised by its own
 * statistics, so the gradient is that of the parts run alone (each at its
 * own width), weighted by their valid samples; the running statistics
 * are the parts' mean weighted by samples. */
static void
test_train_parts(void)
{
	const char *s = "[1,12,0,1 Cr3,3,6 Bnr Mp2,2 Cr3,3,8 Bnt Mp2,1 "
	    "Lbx10 O1c6]";
	enum { N = 7, P = 2 };
	int widths[N] = { 16, 20, 23, 25, 31, 33, 36 };
	int llen[N] = { 2, 3, 1, 4, 2, 20, 3 }, labels[64], W = 36;
	float *x = batch(N, 1, 12, W, widths);
	struct htr_net *net = htr_net_create(s, 0, 3);
	struct htr_net *ref[P];
	size_t np = htr_net_nparams(net), ns = htr_net_nstate(net);
	/* parts of 4 (4 x 25 columns) and 3 (3 x 36); sample 5's label is
	 * too long for its frames: skipped */
	int c = cut2(widths, N);
	int first[P] = { 0, c }, n[P] = { c, N - c };
	int valid[P] = { c, N - c - 1 }, lab0[P] = { 0, 0 };
	float *g[P], *stats = calloc(ns - np + 1, sizeof *stats);

	CHECK(c == 4);
	for (int i = 0, o = 0; i < N; o += llen[i++]) {
		for (int k = 0; k < llen[i]; k++)
			labels[o + k] = 1 + (i * 3 + k) % 5;
		if (i == first[1])
			lab0[1] = o;
	}
	/* the parts alone, at their own widths */
	for (int k = 0; k < P; k++) {
		int Wk = widths[first[k] + n[k] - 1];
		float *xk = calloc((size_t)n[k] * 12 * Wk, sizeof *xk);
		for (int r = 0; r < n[k] * 12; r++)
			memcpy(xk + (size_t)r * Wk, x + ((size_t)first[k] * 12 + r) *
			    W, Wk * sizeof *xk);
		ref[k] = htr_net_clone(net);
		CHECK(htr_net_forward(ref[k], xk, n[k], Wk, widths + first[k],
		    HTR_NET_TRAIN) == 0);
		CHECK(htr_net_loss_ctc(ref[k], labels + lab0[k], llen + first[k],
		    NULL, NULL) >= 0);
		CHECK(htr_net_zero_grad(ref[k]) == 0);
		CHECK(htr_net_backward(ref[k]) == 0);
		g[k] = copy_grads(ref[k]);
		for (size_t i = np; i < ns; i++)
			stats[i - np] += (float)n[k] / N * htr_net_params(ref[k])[i];
		free(xk);
	}
	float *want = malloc(np * sizeof *want);
	for (size_t i = 0; i < np; i++)
		want[i] = (valid[0] * g[0][i] + valid[1] * g[1][i]) /
		    (valid[0] + valid[1]);

	struct htr_dp *dp = htr_dp_create(net, P);
	int skipped = -1;
	CHECK(htr_dp_forward(dp, x, N, W, widths, HTR_NET_TRAIN) == 0);
	CHECK(htr_dp_loss_ctc(dp, labels, llen, NULL, &skipped) >= 0);
	CHECK(skipped == 1);
	for (int k = 0, nk; k < P; k++)
		CHECK(htr_dp_part(dp, k, &nk) == first[k] && nk == n[k]);
	CHECK(htr_dp_backward(dp) == 0);
	double d = reldiff(htr_net_grads(net), want, np);
	CHECKF(d < 1e-5, "gradients differ from the parts' by %g", d);
	d = reldiff(htr_net_params(net) + np, stats, ns - np);
	CHECKF(d < 1e-6, "running statistics differ by %g", d);
	/* and they moved: the parts' statistics were used */
	CHECK(reldiff(htr_net_params(net) + np, htr_net_params(ref[0]) + np,
	    ns - np) > 1e-3);
	htr_dp_free(dp);
	for (int k = 0; k < P; k++) {
		htr_net_free(ref[k]);
		free(g[k]);
	}
	htr_net_free(net);
	free(want);
	free(stats);
	free(x);
}

/* Same seed, two threads: the same losses and weights, bit for bit (the
 * parts really run at once when OpenBLAS has two threads). */
static void
test_determinism(void)
{
	double l1[6], l2[6], l0[6];
	struct htr_net *a = htr_net_create(toy_vgsl, 0, 11);
	struct htr_net *b = htr_net_create(toy_vgsl, 0, 11);
	struct htr_net *c = htr_net_create(toy_vgsl, 0, 11);
	struct htr_dp *da = htr_dp_create(a, 2), *db = htr_dp_create(b, 2);

	openblas_set_num_threads(2);
	train(a, da, 8, 5, 6, l1);
	train(b, db, 8, 5, 6, l2);
	openblas_set_num_threads(1);
	train(c, NULL, 8, 5, 6, l0);
	for (int i = 0; i < 6; i++)
		CHECKF(l1[i] == l2[i], "step %d: %.9g vs %.9g", i, l1[i], l2[i]);
	CHECK(memcmp(htr_net_params(a), htr_net_params(b),
	    htr_net_nstate(a) * sizeof(float)) == 0);
	/* the first loss is of the same weights, batch and dropout rate */
	CHECK_NEAR(l1[0], l0[0], 0.2, 0.1);
	htr_dp_free(da);
	htr_dp_free(db);
	htr_net_free(a);
	htr_net_free(b);
	htr_net_free(c);
}

/* Two threads: training, saving model + checkpoint, loading into a fresh
 * network with fresh replicas and going on gives exactly the losses and
 * weights of the uninterrupted run: the replicas hold no state of their
 * own. */
static void
test_resume(void)
{
	const char *tmp = getenv("TMPDIR");
	char mpath[512], cpath[512];
	double l0[3], la[3], lb[3];
	const char *alpha[4] = { "", "|", "^", "_" };

	snprintf(mpath, sizeof mpath, "%s/dp-resume.htrm", tmp ? tmp : "/tmp");
	snprintf(cpath, sizeof cpath, "%s/dp-resume.htrc", tmp ? tmp : "/tmp");
	struct htr_model *m = htr_model_new(htr_net_create(toy_vgsl, 0, 4),
	    alpha, 4, HTR_LEVEL_WORD, "toy");
	CHECK(m != NULL);
	if (!m)
		return;
	openblas_set_num_threads(2);
	struct htr_dp *dp = htr_dp_create(m->net, 2);
	train(m->net, dp, 10, 1, 3, l0);
	CHECK(htr_model_save(m, mpath) == 0);
	CHECK(htr_net_ckpt_save(m->net, cpath, "") == 0);
	train(m->net, dp, 10, 2, 3, la);

	struct htr_model *m2 = htr_model_load(mpath);
	CHECKF(m2 != NULL, "%s", htr_errmsg());
	if (m2) {
		CHECK(htr_net_ckpt_load(m2->net, cpath, NULL, 0) == 0);
		struct htr_dp *dp2 = htr_dp_create(m2->net, 2);
		train(m2->net, dp2, 10, 2, 3, lb);
		for (int i = 0; i < 3; i++)
			CHECKF(la[i] == lb[i], "step %d: %.9g vs %.9g", i, la[i],
			    lb[i]);
		CHECK(memcmp(htr_net_params(m->net), htr_net_params(m2->net),
		    htr_net_nstate(m->net) * sizeof(float)) == 0);
		htr_dp_free(dp2);
		htr_model_free(m2);
	}
	openblas_set_num_threads(1);
	htr_dp_free(dp);
	htr_model_free(m);
}

/* Two threads learn the toy task as one does. */
static void
test_learns(void)
{
	enum { STEPS = 150 };
	double losses[STEPS];
	struct htr_net *net = htr_net_create(toy_vgsl, 0, 2);
	struct htr_dp *dp = htr_dp_create(net, 2);

	openblas_set_num_threads(2);
	train(net, dp, 16, 3, STEPS, losses);
	openblas_set_num_threads(1);
	double first = (losses[0] + losses[1] + losses[2]) / 3;
	double last = (losses[STEPS - 1] + losses[STEPS - 2] +
	    losses[STEPS - 3]) / 3;
	CHECKF(last < 0.3 && last < first / 5, "loss %.3f -> %.3f", first,
	    last);
	htr_dp_free(dp);
	htr_net_free(net);
}

/* The cut: contiguous parts of at least HTR_DP_MIN_PART covering the
 * batch, whose largest samples x widest is the least of all cuts
 * (enumerated here for up to 3 parts). */
static void
test_split(void)
{
	struct htr_net *net = htr_net_create("[1,4,0,1 Lbx2 O1c3]", 0, 1);
	struct htr_dp *dp = htr_dp_create(net, 3);
	struct htr_rng r;
	enum { M = HTR_DP_MIN_PART };

	htr_rng_seed(&r, 3);
	for (int trial = 0; trial < 200; trial++) {
		int N = 4 + (int)htr_rng_below(&r, 12), widths[16], W = 0;
		for (int i = 0; i < N; i++) {
			widths[i] = 1 + (int)htr_rng_below(&r, trial % 2 ? 40 : 3);
			W = widths[i] > W ? widths[i] : W;
		}
		float *x = batch(N, 1, 4, W, widths);
		int P = htr_dp_parts(dp, N), end = 0;
		long got = 0, want = -1;
		CHECK(P == (N / M < 3 ? N / M : 3));
		CHECK(htr_dp_forward(dp, x, N, W, widths, HTR_NET_INFER) == 0);
		for (int k = 0; k < P; k++) {
			int n, f = htr_dp_part(dp, k, &n), wm = 0;
			CHECK(f == end && n >= M);
			for (int i = f; i < f + n && i < N; i++)
				wm = widths[i] > wm ? widths[i] : wm;
			got = (long)n * wm > got ? (long)n * wm : got;
			end = f + n;
		}
		CHECK(end == N);
		/* every cut a | b | rest (b empty for 2 parts) */
		for (int a = M; a <= N - M; a++)
			for (int b = P == 3 ? a + M : a; b <= (P == 3 ?
			    N - M : a); b++) {
				int cuts[4] = { 0, a, b, N }, nc = P == 3 ? 4 : 3;
				long m = 0;
				if (P == 2)
					cuts[2] = N;
				for (int k = 0; k + 1 < nc; k++) {
					int wm = 0;
					for (int i = cuts[k]; i < cuts[k + 1]; i++)
						wm = widths[i] > wm ? widths[i] : wm;
					long c = (long)(cuts[k + 1] - cuts[k]) * wm;
					m = c > m ? c : m;
				}
				if (want < 0 || m < want)
					want = m;
			}
		CHECKF(got == want, "N %d, %d parts: largest part %ld, best %ld",
		    N, P, got, want);
		free(x);
	}
	htr_dp_free(dp);
	htr_net_free(net);
}

static void
test_errors(void)
{
	struct htr_net *net = htr_net_create(toy_vgsl, 0, 1);
	struct htr_dp *dp = htr_dp_create(net, 2);
	int widths[4] = { 12, 1, 12, 12 }, llen[4] = { 1, 1, 1, -1 };
	int labels[4] = { 1, 2, 3, 1 };
	float *x = batch(4, 1, TH, 12, widths);

	CHECK(htr_dp_backward(dp) == -1);
	CHECK(strstr(htr_errmsg(), "no forward") != NULL);
	/* part 0's sample 1 is too narrow for the net */
	CHECK(htr_dp_forward(dp, x, 4, 12, widths, HTR_NET_TRAIN) == 0);
	widths[1] = 13;
	CHECK(htr_dp_forward(dp, x, 4, 12, widths, HTR_NET_TRAIN) == -1);
	CHECKF(strstr(htr_errmsg(), "sample 1: width 13") != NULL, "%s",
	    htr_errmsg());
	CHECK(htr_dp_loss_ctc(dp, labels, llen, NULL, NULL) == -1);
	widths[1] = 12;
	CHECK(htr_dp_forward(dp, x, 4, 1, NULL, HTR_NET_TRAIN) == -1);
	CHECKF(strstr(htr_errmsg(), "narrow") != NULL, "%s", htr_errmsg());
	CHECK(htr_dp_forward(dp, x, 4, 12, widths, HTR_NET_TRAIN) == 0);
	CHECK(htr_dp_backward(dp) == -1);
	CHECK(strstr(htr_errmsg(), "no loss") != NULL);
	CHECK(htr_dp_loss_ctc(dp, labels, llen, NULL, NULL) == -1);
	CHECKF(strstr(htr_errmsg(), "sample 3") != NULL, "%s", htr_errmsg());
	htr_dp_free(dp);
	htr_net_free(net);
	free(x);
}

int
main(void)
{
	openblas_set_num_threads(1);
	htr_rng_seed(&rng, 17);
	test_one_part();
	test_eval_ctc();
	test_eval_nll();
	test_train_parts();
	test_determinism();
	test_resume();
	test_learns();
	test_split();
	test_errors();
	return T_DONE();
}
