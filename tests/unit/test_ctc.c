/* test_ctc.c — the CTC loss against brute-force enumeration of every
 * alignment (T <= 5, C <= 3, repeated labels), its gradient against the
 * enumerated posteriors and against finite differences, infeasible labels,
 * and the batch form. */
#include <stdlib.h>
#include <string.h>

#include "ctc.h"
#include "htr.h"
#include "layers.h"
#include "rng.h"
#include "t.h"

static struct htr_rng rng;

/* Collapses path (repeats, then blanks) and compares with label. */
static int
emits(const int *path, int T, const int *label, int L)
{
	int n = 0, prev = -1;

	for (int t = 0; t < T; t++) {
		if (path[t] != prev && path[t] != 0) {
			if (n == L || label[n] != path[t])
				return 0;
			n++;
		}
		prev = path[t];
	}
	return n == L;
}

/* -log p(label) and d/dlogp by enumeration of all C^T paths. */
static double
brute(double *grad, const float *logp, int T, int C, const int *label,
    int L)
{
	int path[8];
	long total = 1;
	double p = 0;

	for (int t = 0; t < T; t++)
		total *= C;
	memset(grad, 0, sizeof *grad * T * C);
	for (long k = 0; k < total; k++) {
		long r = k;
		double lp = 0;
		for (int t = 0; t < T; t++) {
			path[t] = r % C;
			r /= C;
			lp += logp[t * C + path[t]];
		}
		if (!emits(path, T, label, L))
			continue;
		double pp = exp(lp);
		p += pp;
		for (int t = 0; t < T; t++)
			grad[t * C + path[t]] += pp;
	}
	for (int i = 0; i < T * C; i++)
		grad[i] = p > 0 ? -grad[i] / p : 0;
	return p > 0 ? -log(p) : INFINITY;
}

static void
random_logp(float *logp, int T, int C)
{
	float x[64];

	for (int i = 0; i < T * C; i++)
		x[i] = 3 * htr_rng_normal(&rng) * 0.5f;
	htr_logsoftmax_forward(logp, x, T, C);
}

static void
test_brute(void)
{
	static const int labels[][4] = { {0}, {1}, {1, 1}, {1, 2}, {2, 1, 2},
	    {1, 1, 2}, {2, 2, 2}, {1, 2, 1, 1} };
	static const int lens[] = { 0, 1, 2, 2, 3, 3, 3, 4 };
	float logp[15], grad[15];
	double bg[15];
	int cases = 0, infeasible = 0;

	for (int C = 2; C <= 3; C++)
		for (int T = 1; T <= 5; T++)
			for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
				const int *lab = labels[k];
				int L = lens[k], ok = 1;
				for (int i = 0; i < L; i++)
					ok &= lab[i] < C;
				if (!ok)
					continue;
				random_logp(logp, T, C);
				double loss;
				memset(grad, 0, sizeof grad);
				int rc = htr_ctc_loss(&loss, grad, logp, T, C, C, lab,
				    L, 1);
				double want = brute(bg, logp, T, C, lab, L);
				if (!isfinite(want)) {
					CHECKF(rc == 1, "T=%d C=%d label %zu: infeasible, "
					    "rc %d", T, C, k, rc);
					CHECK(T < htr_ctc_min_frames(lab, L) || T == 0);
					infeasible++;
					continue;
				}
				cases++;
				CHECKF(rc == 0, "T=%d C=%d label %zu: rc %d", T, C, k, rc);
				CHECK_NEAR(loss, want, 1e-9, 1e-9);
				for (int i = 0; i < T * C; i++)
					CHECK_NEAR(grad[i], bg[i], 1e-6, 1e-5);
			}
	CHECK(cases > 30);
	CHECK(infeasible > 5);
}

/* Finite differences on unnormalised inputs (the loss is defined for
 * any scores; the gradient must match it exactly). */
static void
test_fd(void)
{
	int T = 6, C = 4, label[] = { 1, 1, 3, 2 }, L = 4;
	float x[24], grad[24] = { 0 };
	double loss, lp, lm;

	for (int i = 0; i < T * C; i++)
		x[i] = htr_rng_normal(&rng);
	CHECK(htr_ctc_loss(&loss, grad, x, T, C, C, label, L, 0.5f) == 0);
	for (int i = 0; i < T * C; i++) {
		float s = x[i];
		x[i] = s + 1e-2f;
		htr_ctc_loss(&lp, NULL, x, T, C, C, label, L, 1);
		x[i] = s - 1e-2f;
		htr_ctc_loss(&lm, NULL, x, T, C, C, label, L, 1);
		x[i] = s;
		CHECK_NEAR(grad[i], 0.5 * (lp - lm) / 2e-2, 1e-4, 1e-3);
	}
	/* chained through log-softmax, the logit gradient is softmax - gamma,
	 * which sums to zero per frame */
	float y[24], dl[24] = { 0 }, g2[24] = { 0 };
	htr_logsoftmax_forward(y, x, T, C);
	htr_ctc_loss(&loss, g2, y, T, C, C, label, L, 1);
	htr_logsoftmax_backward(dl, g2, y, T, C);
	for (int t = 0; t < T; t++) {
		double s = 0;
		for (int k = 0; k < C; k++)
			s += dl[t * C + k];
		CHECK_NEAR(s, 0, 1e-6, 0);
	}
}

static void
test_edge(void)
{
	float logp[3 * 3], grad[9] = { 0 };
	int rep[] = { 1, 1 }, bad[] = { 0 }, big[] = { 3 };
	double loss = 7;

	random_logp(logp, 3, 3);
	/* "aa" needs 3 frames: 2 is infeasible, 3 is fine */
	CHECK(htr_ctc_min_frames(rep, 2) == 3);
	CHECK(htr_ctc_loss(&loss, grad, logp, 2, 3, 3, rep, 2, 1) == 1);
	CHECK(loss == 0);
	for (int i = 0; i < 9; i++)
		CHECK(grad[i] == 0);
	CHECK(htr_ctc_loss(&loss, grad, logp, 3, 3, 3, rep, 2, 1) == 0);
	CHECK(isfinite(loss) && loss > 0);
	CHECK(htr_ctc_loss(&loss, NULL, logp, 3, 3, 3, bad, 1, 1) == -1);
	CHECK(strstr(htr_errmsg(), "label") != NULL);
	CHECK(htr_ctc_loss(&loss, NULL, logp, 3, 3, 3, big, 1, 1) == -1);
	/* a very long sequence stays finite (log space) */
	int T = 2000, C = 5, lab[50];
	float *lp = malloc(sizeof *lp * T * C);
	random_logp(lp, 1, C);
	for (int t = 0; t < T; t++)
		memcpy(lp + t * C, lp, C * sizeof *lp);
	for (int i = 0; i < 50; i++)
		lab[i] = 1 + i % 4;
	CHECK(htr_ctc_loss(&loss, NULL, lp, T, C, C, lab, 50, 1) == 0);
	CHECK(isfinite(loss) && loss > 0);
	free(lp);
}

/* The batch form: layout [T][N][C], per-sample lengths, skipping. */
static void
test_batch(void)
{
	enum { T = 5, N = 3, C = 3 };
	float logp[T * N * C], grad[T * N * C] = { 0 }, losses[N];
	int lens[N] = { 5, 3, 2 }, labels[] = { 1, 2, 2, 1, 1, 2 };
	int llen[N] = { 2, 1, 3 };   /* third: "122" in 2 frames, skipped */
	int nskip = -1;

	random_logp(logp, T * N, C);
	double sum = htr_ctc_batch(losses, &nskip, grad, logp, lens, labels,
	    llen, T, N, C, 0.5f);
	CHECK(nskip == 1);
	CHECK(losses[2] == -1);
	/* each sample as its own sequence */
	double want = 0;
	for (int n = 0; n < 2; n++) {
		float one[T * C], g1[T * C] = { 0 };
		double l;
		for (int t = 0; t < lens[n]; t++)
			memcpy(one + t * C, logp + (t * N + n) * C, C * sizeof *one);
		htr_ctc_loss(&l, g1, one, lens[n], C, C, labels + (n ? 2 : 0),
		    llen[n], 0.5f);
		CHECK_NEAR(losses[n], l, 1e-5, 1e-6);
		want += l;
		for (int t = 0; t < T; t++)
			for (int k = 0; k < C; k++)
				CHECK_NEAR(grad[(t * N + n) * C + k],
				    t < lens[n] ? g1[t * C + k] : 0, 1e-7, 0);
	}
	CHECK_NEAR(sum, want, 1e-9, 1e-9);
	for (int i = 0; i < T * C; i++)
		CHECK(grad[(i / C * N + 2) * C + i % C] == 0);
}

int
main(void)
{
	htr_rng_seed(&rng, 99);
	test_brute();
	test_fd();
	test_edge();
	test_batch();
	return T_DONE();
}
