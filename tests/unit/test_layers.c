/* test_layers.c — every layer's backward against central finite
 * differences (loss = sum(out * R) with random R, accumulated in double),
 * and the OpenBLAS sgemm against the naive loop. */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "htr.h"
#include "layers.h"
#include "rng.h"
#include "t.h"

static struct htr_rng rng;

static float *
randv(size_t n, float scale)
{
	float *p = malloc(n * sizeof *p);

	for (size_t i = 0; i < n; i++)
		p[i] = (2 * htr_rng_uniform(&rng) - 1) * scale;
	return p;
}

static float *
zeros(size_t n)
{
	return calloc(n, sizeof(float));
}

/* Distinct values spaced >= 0.05 apart (no ties or kinks within eps). */
static float *
spaced(size_t n)
{
	float *p = malloc(n * sizeof *p);
	int *perm = malloc(n * sizeof *perm);

	for (size_t i = 0; i < n; i++)
		perm[i] = (int)i;
	htr_rng_shuffle(&rng, perm, (int)n);
	for (size_t i = 0; i < n; i++)
		p[i] = 0.05f * (perm[i] - (float)n / 2) + 0.025f;
	free(perm);
	return p;
}

/* The layer under test: computes out from the current inputs. */
typedef void (*fwd_fn)(void *ctx, float *out);

static double
objective(fwd_fn f, void *ctx, float *out, const float *R, size_t nout)
{
	double s = 0;

	f(ctx, out);
	for (size_t i = 0; i < nout; i++)
		s += (double)out[i] * R[i];
	return s;
}

/* Compares analytic d objective / d x (grad) with central differences on
 * up to 300 entries of x. */
static void
fd_check(const char *name, fwd_fn f, void *ctx, float *x, size_t n,
    const float *grad, float *out, const float *R, size_t nout, float eps,
    double atol, double rtol)
{
	size_t step = n > 300 ? n / 300 + 1 : 1;
	int bad = 0;

	for (size_t i = 0; i < n; i += step) {
		float save = x[i];
		x[i] = save + eps;
		double lp = objective(f, ctx, out, R, nout);
		x[i] = save - eps;
		double lm = objective(f, ctx, out, R, nout);
		x[i] = save;
		double num = (lp - lm) / (2.0 * eps);
		if (!(fabs(grad[i] - num) <= atol + rtol * fabs(num))) {
			if (bad++ < 5)
				fprintf(stderr, "%s[%zu]: analytic %.6g numeric %.6g\n",
				    name, i, grad[i], num);
		}
	}
	CHECKF(bad == 0, "%s: %d gradient entries off", name, bad);
}

/* ---- gemm ---------------------------------------------------------------- */

static void
test_gemm(void)
{
	int shapes[][3] = { {1, 1, 1}, {7, 13, 5}, {5, 7, 13}, {33, 17, 65},
	    {1, 64, 3}, {64, 1, 129} };

	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
		for (int ta = 0; ta < 2; ta++)
			for (int tb = 0; tb < 2; tb++) {
				int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
				int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1;
				int ldc = N + 2;
				float *A = randv((size_t)(ta ? K : M) * lda, 1);
				float *B = randv((size_t)(tb ? N : K) * ldb, 1);
				float *C1 = randv((size_t)M * ldc, 1);
				float *C2 = malloc((size_t)M * ldc * sizeof *C2);
				memcpy(C2, C1, (size_t)M * ldc * sizeof *C2);
				float beta = (s & 1) ? 0.5f : 0;
				htr_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta,
				    C1, ldc);
				htr_sgemm_ref(ta, tb, M, N, K, 0.75f, A, lda, B, ldb,
				    beta, C2, ldc);
				double md = 0;
				for (int i = 0; i < M * ldc; i++)
					md = fmax(md, fabs(C1[i] - C2[i]));
				CHECKF(md <= 1e-4 * sqrt(K), "gemm %dx%dx%d ta=%d tb=%d "
				    "max diff %g", M, N, K, ta, tb, md);
				free(A), free(B), free(C1), free(C2);
			}
}

/* ---- convolution --------------------------------------------------------- */

struct conv {
	float *in, *w, *b, *col;
	size_t ncol;
	int N, Ci, H, W, Co, kh, kw, sh, sw;
};

static void
conv_f(void *c, float *out)
{
	struct conv *k = c;

	htr_conv_forward(out, k->col, k->ncol, k->in, k->w, k->b, k->N, k->Ci,
	    k->H, k->W, k->Co, k->kh, k->kw, k->sh, k->sw);
}

static void
test_conv_case(int N, int Ci, int H, int W, int Co, int kh, int kw, int sh,
    int sw)
{
	struct conv k = { 0 };
	int Ho = htr_conv_outsize(H, sh), Wo = htr_conv_outsize(W, sw);
	size_t nin = (size_t)Ci * N * H * W, nw = (size_t)Co * Ci * kh * kw;
	size_t nout = (size_t)Co * N * Ho * Wo;
	char name[64];

	k.N = N, k.Ci = Ci, k.H = H, k.W = W, k.Co = Co;
	k.kh = kh, k.kw = kw, k.sh = sh, k.sw = sw;
	k.in = randv(nin, 1);
	k.w = randv(nw, 1);
	k.b = randv(Co, 1);
	/* room for one sample only: exercises the grouping */
	k.ncol = htr_conv_colsize(Ci, kh, kw, Ho, Wo);
	k.col = zeros(k.ncol * N);
	float *out = zeros(nout), *R = randv(nout, 1);
	float *din = zeros(nin), *dw = zeros(nw), *db = zeros(Co);

	/* a direct loop as the reference for the forward */
	conv_f(&k, out);
	double md = 0;
	for (int co = 0; co < Co; co++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < Ho; y++)
				for (int x = 0; x < Wo; x++) {
					double s = k.b[co];
					for (int ci = 0; ci < Ci; ci++)
						for (int ky = 0; ky < kh; ky++)
							for (int kx = 0; kx < kw; kx++) {
								int iy = y * sh - (kh - 1) / 2 + ky;
								int ix = x * sw - (kw - 1) / 2 + kx;
								if (iy < 0 || iy >= H || ix < 0 || ix >= W)
									continue;
								s += (double)k.w[((co * Ci + ci) * kh + ky) *
								    kw + kx] * k.in[(((size_t)ci * N + n) *
								    H + iy) * W + ix];
							}
					md = fmax(md, fabs(s - out[(((size_t)co * N + n) *
					    Ho + y) * Wo + x]));
				}
	snprintf(name, sizeof name, "conv %dx%d/%d,%d", kh, kw, sh, sw);
	CHECKF(md < 1e-4, "%s forward differs from the direct loop by %g",
	    name, md);
	/* all samples in one group gives the same result */
	float *out2 = zeros(nout);
	k.ncol *= N;
	conv_f(&k, out2);
	k.ncol /= N;
	md = 0;
	for (size_t i = 0; i < nout; i++)
		md = fmax(md, fabs(out[i] - out2[i]));
	CHECKF(md < 1e-5, "%s: grouped and per-sample sgemm differ by %g",
	    name, md);
	/* row tiles (room for one output row) give the same result too */
	size_t nrow = htr_conv_colsize(Ci, kh, kw, 1, Wo);
	k.ncol = nrow;
	conv_f(&k, out2);
	k.ncol = htr_conv_colsize(Ci, kh, kw, Ho, Wo);
	md = 0;
	for (size_t i = 0; i < nout; i++)
		md = fmax(md, fabs(out[i] - out2[i]));
	CHECKF(md < 1e-5, "%s: row tiles and per-sample sgemm differ by %g",
	    name, md);

	htr_conv_backward(din, dw, db, k.col, k.ncol, R, k.in, k.w, N, Ci, H,
	    W, Co, kh, kw, sh, sw);
	fd_check(name, conv_f, &k, k.in, nin, din, out, R, nout, 1e-2f, 1e-3,
	    1e-3);
	fd_check(name, conv_f, &k, k.w, nw, dw, out, R, nout, 1e-2f, 1e-3,
	    1e-3);
	fd_check(name, conv_f, &k, k.b, Co, db, out, R, nout, 1e-2f, 1e-3,
	    1e-3);
	/* row tiles give the same gradients */
	float *din3 = zeros(nin), *dw3 = zeros(nw), *db3 = zeros(Co);
	htr_conv_backward(din3, dw3, db3, k.col, nrow, R, k.in, k.w, N, Ci, H,
	    W, Co, kh, kw, sh, sw);
	md = 0;
	for (size_t i = 0; i < nin; i++)
		md = fmax(md, fabs(din[i] - din3[i]));
	for (size_t i = 0; i < nw; i++)
		md = fmax(md, fabs(dw[i] - dw3[i]));
	for (int i = 0; i < Co; i++)
		md = fmax(md, fabs(db[i] - db3[i]));
	CHECKF(md < 1e-4, "%s: row-tile gradients differ by %g", name, md);
	free(din3), free(dw3), free(db3);
	/* backward adds */
	float *dw2 = malloc(nw * sizeof *dw2);
	memcpy(dw2, dw, nw * sizeof *dw2);
	htr_conv_backward(NULL, dw, db, k.col, k.ncol, R, k.in, k.w, N, Ci, H,
	    W, Co, kh, kw, sh, sw);
	md = 0;
	for (size_t i = 0; i < nw; i++)
		md = fmax(md, fabs(dw[i] - 2 * dw2[i]));
	CHECKF(md < 1e-4, "%s backward does not add (%g)", name, md);
	free(k.in), free(k.w), free(k.b), free(k.col), free(out), free(out2);
	free(R), free(din), free(dw), free(db), free(dw2);
}

static void
test_conv(void)
{
	test_conv_case(2, 2, 5, 7, 3, 3, 3, 1, 1);
	test_conv_case(3, 2, 6, 9, 2, 3, 5, 2, 3);   /* odd kernel, stride */
	test_conv_case(2, 3, 4, 6, 2, 2, 4, 1, 2);   /* even kernel */
	test_conv_case(2, 3, 3, 5, 4, 1, 1, 1, 1);   /* 1x1: no im2col */
	test_conv_case(1, 1, 7, 4, 2, 5, 5, 1, 1);   /* kernel > width */
}

/* ---- pooling ------------------------------------------------------------- */

struct pool {
	float *in;
	int P, H, W, kh, kw, sh, sw;
};

static void
pool_f(void *c, float *out)
{
	struct pool *p = c;

	htr_maxpool_forward(out, p->in, p->P, p->H, p->W, p->kh, p->kw, p->sh,
	    p->sw);
}

static void
test_pool_case(int P, int H, int W, int kh, int kw, int sh, int sw)
{
	struct pool p = { NULL, P, H, W, kh, kw, sh, sw };
	int Ho = htr_pool_outsize(H, kh, sh), Wo = htr_pool_outsize(W, kw, sw);
	size_t nin = (size_t)P * H * W, nout = (size_t)P * Ho * Wo;

	p.in = spaced(nin);
	float *out = zeros(nout), *R = randv(nout, 1), *din = zeros(nin);
	pool_f(&p, out);
	/* reference forward */
	int ok = 1;
	for (int q = 0; q < P; q++)
		for (int y = 0; y < Ho; y++)
			for (int x = 0; x < Wo; x++) {
				float m = -1e30f;
				for (int a = 0; a < kh; a++)
					for (int b = 0; b < kw; b++)
						m = fmaxf(m, p.in[((size_t)q * H + y * sh + a) * W +
						    x * sw + b]);
				ok &= m == out[((size_t)q * Ho + y) * Wo + x];
			}
	CHECKF(ok, "maxpool %dx%d/%d,%d forward", kh, kw, sh, sw);
	htr_maxpool_backward(din, R, p.in, P, H, W, kh, kw, sh, sw);
	fd_check("maxpool", pool_f, &p, p.in, nin, din, out, R, nout, 1e-2f,
	    1e-4, 1e-4);
	/* the writing variant: the same values over whatever was there */
	float *din2 = randv(nin, 5);
	htr_maxpool_backward_set(din2, R, p.in, P, H, W, kh, kw, sh, sw);
	CHECKF(!memcmp(din, din2, nin * sizeof *din),
	    "maxpool %dx%d/%d,%d: backward_set differs from backward", kh, kw,
	    sh, sw);
	free(p.in), free(out), free(R), free(din), free(din2);
}

static void
test_pool(void)
{
	test_pool_case(3, 6, 8, 2, 2, 2, 2);
	test_pool_case(2, 7, 9, 3, 2, 2, 1);   /* overlapping, odd sizes */
	test_pool_case(2, 4, 5, 2, 1, 2, 1);
	test_pool_case(2, 7, 9, 2, 2, 2, 2);   /* rows, columns left over */
	test_pool_case(2, 5, 3, 2, 1, 2, 1);
	CHECK(htr_pool_outsize(1, 2, 2) == 0);
	CHECK(htr_pool_outsize(5, 2, 2) == 2);
}

/* ---- batch norm ---------------------------------------------------------- */

struct bn {
	float *in, *g, *b, *mean, *rstd, *rm, *rv;
	int C, M, train;
};

static void
bn_f(void *c, float *out)
{
	struct bn *k = c;
	float rm[8], rv[8];

	memcpy(rm, k->rm, k->C * sizeof *rm);
	memcpy(rv, k->rv, k->C * sizeof *rv);
	htr_batchnorm_forward(out, k->mean, k->rstd, rm, rv, k->in, k->g, k->b,
	    k->C, k->M, 0.1f, 1e-5f, k->train);
}

static void
test_batchnorm(void)
{
	struct bn k = { 0 };
	int C = 3, M = 12;
	size_t n = (size_t)C * M;

	k.C = C, k.M = M;
	k.in = randv(n, 2);
	k.g = randv(C, 1), k.b = randv(C, 1);
	k.mean = zeros(C), k.rstd = zeros(C);
	k.rm = randv(C, 0.5f), k.rv = randv(C, 0.5f);
	for (int c = 0; c < C; c++)
		k.rv[c] += 1;
	float *out = zeros(n), *R = randv(n, 1), *din = zeros(n);
	float *dg = zeros(C), *db = zeros(C);

	/* train: normalised output has mean beta, var gamma^2 */
	k.train = 1;
	bn_f(&k, out);
	for (int c = 0; c < C; c++) {
		double s = 0, ss = 0;
		for (int i = 0; i < M; i++)
			s += out[c * M + i];
		for (int i = 0; i < M; i++)
			ss += pow(out[c * M + i] - s / M, 2);
		CHECK_NEAR(s / M, k.b[c], 1e-5, 0);
		CHECK_NEAR(ss / M, k.g[c] * k.g[c], 1e-3, 1e-3);
	}
	/* running statistics move by momentum towards the batch's */
	float rm0 = k.rm[0], rv0 = k.rv[0];
	htr_batchnorm_forward(out, k.mean, k.rstd, k.rm, k.rv, k.in, k.g, k.b,
	    C, M, 0.1f, 1e-5f, 1);
	double mu = 0, var = 0;
	for (int i = 0; i < M; i++)
		mu += k.in[i];
	mu /= M;
	for (int i = 0; i < M; i++)
		var += pow(k.in[i] - mu, 2);
	var /= M - 1;
	CHECK_NEAR(k.rm[0], 0.9 * rm0 + 0.1 * mu, 1e-6, 1e-5);
	CHECK_NEAR(k.rv[0], 0.9 * rv0 + 0.1 * var, 1e-6, 1e-5);

	htr_batchnorm_backward(din, dg, db, R, k.in, k.mean, k.rstd, k.g, C, M);
	fd_check("batchnorm train in", bn_f, &k, k.in, n, din, out, R, n, 1e-2f,
	    1e-3, 1e-3);
	fd_check("batchnorm train gamma", bn_f, &k, k.g, C, dg, out, R, n,
	    1e-2f, 1e-3, 1e-3);
	fd_check("batchnorm train beta", bn_f, &k, k.b, C, db, out, R, n,
	    1e-2f, 1e-3, 1e-3);

	/* eval: a fixed affine map from the running statistics */
	k.train = 0;
	memset(din, 0, n * sizeof *din);
	memset(dg, 0, C * sizeof *dg);
	memset(db, 0, C * sizeof *db);
	htr_batchnorm_backward_eval(din, dg, db, R, k.in, k.rm, k.rv, k.g, C, M,
	    1e-5f);
	fd_check("batchnorm eval in", bn_f, &k, k.in, n, din, out, R, n, 1e-2f,
	    1e-3, 1e-3);
	fd_check("batchnorm eval gamma", bn_f, &k, k.g, C, dg, out, R, n,
	    1e-2f, 1e-3, 1e-3);
	free(k.in), free(k.g), free(k.b), free(k.mean), free(k.rstd);
	free(k.rm), free(k.rv), free(out), free(R), free(din), free(dg), free(db);
}

/* Batch norm with its activation fused: the same values as the two
 * separate layers, and the fused backward writes din over anything. */
static void
test_batchnorm_act_case(int act, int C, int M)
{
	size_t n = (size_t)C * M;
	float *in = randv(n, 2), *g = randv(C, 1), *b = randv(C, 1);
	float *mean = zeros(C), *rstd = zeros(C), *mean2 = zeros(C);
	float *rstd2 = zeros(C), *rm = zeros(C), *rv = zeros(C);
	float *rm2 = zeros(C), *rv2 = zeros(C);
	float *out = zeros(n), *out2 = zeros(n), *R = randv(n, 1);
	float *t = zeros(n), *din = zeros(n), *din2 = randv(n, 3);
	float *dg = zeros(C), *db = zeros(C), *dg2 = zeros(C), *db2 = zeros(C);
	int same = 1;

	CHECK(htr_batchnorm_fuses(act));
	htr_batchnorm_forward(out, mean, rstd, rm, rv, in, g, b, C, M, 0.1f,
	    1e-5f, 1);
	htr_act_forward(out, out, n, act);
	htr_batchnorm_act_forward(out2, mean2, rstd2, rm2, rv2, in, g, b, C, M,
	    0.1f, 1e-5f, 1, act);
	for (size_t i = 0; i < n; i++)
		same &= out[i] == out2[i];
	for (int c = 0; c < C; c++)
		same &= mean[c] == mean2[c] && rstd[c] == rstd2[c] &&
		    rm[c] == rm2[c] && rv[c] == rv2[c];
	CHECKF(same, "batchnorm+act %d (M %d): fused forward differs", act, M);
	htr_act_grad(t, R, out, n, act);
	htr_batchnorm_backward(din, dg, db, t, in, mean, rstd, g, C, M);
	htr_batchnorm_act_backward(din2, dg2, db2, R, out2, in, mean2, rstd2, g,
	    C, M, act);
	same = 1;
	for (size_t i = 0; i < n; i++)
		same &= din[i] == din2[i];
	for (int c = 0; c < C; c++)
		same &= dg[c] == dg2[c] && db[c] == db2[c];
	CHECKF(same, "batchnorm+act %d (M %d): fused backward differs", act, M);
	CHECK(!htr_batchnorm_fuses(HTR_ACT_TANH));
	free(in), free(g), free(b), free(mean), free(rstd), free(mean2);
	free(rstd2), free(rm), free(rv), free(rm2), free(rv2), free(out);
	free(out2), free(R), free(t), free(din), free(din2), free(dg), free(db);
	free(dg2), free(db2);
}

static void
test_batchnorm_act(void)
{
	int acts[] = { HTR_ACT_LINEAR, HTR_ACT_RELU, HTR_ACT_LEAKY };

	for (int i = 0; i < 3; i++) {
		test_batchnorm_act_case(acts[i], 3, 13);
		test_batchnorm_act_case(acts[i], 2, 4200);  /* > one 4096 block */
	}
}

/* ---- element-wise, softmax, dropout ------------------------------------- */

struct ew {
	float *in, *mask;
	size_t n;
	int act, C;
	size_t cs, M, ms;
	int kind;   /* 0 act, 1 softmax, 2 log-softmax, 3 dropout */
};

static void
ew_f(void *c, float *out)
{
	struct ew *k = c;

	switch (k->kind) {
	case 0: htr_act_forward(out, k->in, k->n, k->act); break;
	case 1: htr_softmax_forward(out, k->in, k->C, k->cs, k->M, k->ms); break;
	case 2: htr_logsoftmax_forward(out, k->in, k->M, k->C); break;
	case 3: htr_dropout_forward(out, k->in, k->mask, k->n); break;
	}
}

static void
test_elementwise(void)
{
	size_t n = 60;
	struct ew k = { 0 };
	float *out = zeros(n), *R = randv(n, 1), *din = zeros(n);
	const char *names[] = { "linear", "relu", "leaky relu", "tanh",
	    "sigmoid" };

	k.in = spaced(n);   /* no entry within eps of the kink at 0 */
	k.n = n;
	for (int a = HTR_ACT_LINEAR; a <= HTR_ACT_SIGMOID; a++) {
		k.act = a;
		ew_f(&k, out);
		memset(din, 0, n * sizeof *din);
		htr_act_backward(din, R, out, n, a);
		fd_check(names[a], ew_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-3,
		    1e-3);
	}
	/* in place */
	float *y = malloc(n * sizeof *y);
	memcpy(y, k.in, n * sizeof *y);
	htr_act_forward(y, y, n, HTR_ACT_LEAKY);
	for (size_t i = 0; i < n; i++)
		CHECK(y[i] == (k.in[i] > 0 ? k.in[i] : 0.01f * k.in[i]));
	free(y);

	/* softmax over 5 channels of a [5][12] map (stride 12) */
	k.kind = 1, k.C = 5, k.cs = 12, k.M = 12, k.ms = 1;
	ew_f(&k, out);
	double s = 0;
	for (int c = 0; c < 5; c++)
		s += out[c * 12 + 3];
	CHECK_NEAR(s, 1, 1e-6, 0);
	memset(din, 0, n * sizeof *din);
	htr_softmax_backward(din, R, out, 5, 12, 12, 1);
	fd_check("softmax", ew_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-3,
	    1e-3);

	/* log-softmax over rows [6][10] */
	k.kind = 2, k.C = 10, k.M = 6;
	ew_f(&k, out);
	s = 0;
	for (int c = 0; c < 10; c++)
		s += exp(out[20 + c]);
	CHECK_NEAR(s, 1, 1e-6, 0);
	memset(din, 0, n * sizeof *din);
	htr_logsoftmax_backward(din, R, out, 6, 10);
	fd_check("log-softmax", ew_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-3,
	    1e-3);

	/* dropout with a fixed mask, and the mask's statistics */
	k.kind = 3;
	k.mask = zeros(n);
	htr_dropout_mask(k.mask, n, 0.25f, &rng);
	ew_f(&k, out);
	memset(din, 0, n * sizeof *din);
	htr_dropout_backward(din, R, k.mask, n);
	fd_check("dropout", ew_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-4,
	    1e-4);
	size_t big = 100000, zero = 0;
	float *m = zeros(big);
	htr_dropout_mask(m, big, 0.25f, &rng);
	for (size_t i = 0; i < big; i++) {
		zero += m[i] == 0;
		CHECK(m[i] == 0 || m[i] == 1 / 0.75f);
	}
	CHECK_NEAR((double)zero / big, 0.25, 0.01, 0);
	free(m), free(k.mask), free(k.in), free(out), free(R), free(din);
}

/* ---- linear -------------------------------------------------------------- */

struct lin {
	float *in, *w, *b;
	int M, I, O;
};

static void
lin_f(void *c, float *out)
{
	struct lin *k = c;

	htr_linear_forward(out, k->in, k->w, k->b, k->M, k->I, k->O);
}

static void
test_linear(void)
{
	struct lin k = { NULL, NULL, NULL, 7, 5, 3 };
	size_t nin = 35, nw = 15, nout = 21;

	k.in = randv(nin, 1), k.w = randv(nw, 1), k.b = randv(3, 1);
	float *out = zeros(nout), *R = randv(nout, 1);
	float *din = zeros(nin), *dw = zeros(nw), *db = zeros(3);
	lin_f(&k, out);
	double r = k.b[2];
	for (int i = 0; i < 5; i++)
		r += (double)k.w[2 * 5 + i] * k.in[4 * 5 + i];
	CHECK_NEAR(out[4 * 3 + 2], r, 1e-5, 0);
	htr_linear_backward(din, dw, db, R, k.in, k.w, 7, 5, 3);
	fd_check("linear in", lin_f, &k, k.in, nin, din, out, R, nout, 1e-2f,
	    1e-3, 1e-3);
	fd_check("linear w", lin_f, &k, k.w, nw, dw, out, R, nout, 1e-2f, 1e-3,
	    1e-3);
	fd_check("linear b", lin_f, &k, k.b, 3, db, out, R, nout, 1e-2f, 1e-3,
	    1e-3);
	free(k.in), free(k.w), free(k.b), free(out), free(R), free(din);
	free(dw), free(db);
}

/* ---- reshapes ------------------------------------------------------------ */

struct shp {
	float *in;
	int vec;
};

static void
shp_f(void *c, float *out)
{
	struct shp *k = c;

	if (k->vec)
		htr_map2vec_forward(out, k->in, 3, 2, 4, 5);
	else
		htr_map2seq_forward(out, k->in, 3, 2, 4, 5);
}

static void
test_reshape(void)
{
	size_t n = 3 * 2 * 4 * 5;
	struct shp k = { randv(n, 1), 0 };
	float *out = zeros(n), *R = randv(n, 1), *din = zeros(n);

	shp_f(&k, out);
	/* out[x][n][c*H + y] = in[c][n][y][x]: c=2 n=1 y=3 x=4 */
	CHECK(out[(4 * 2 + 1) * 12 + 2 * 4 + 3] ==
	    k.in[((2 * 2 + 1) * 4 + 3) * 5 + 4]);
	htr_map2seq_backward(din, R, 3, 2, 4, 5);
	fd_check("map->seq", shp_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-4,
	    1e-4);
	k.vec = 1;
	shp_f(&k, out);
	CHECK(out[1 * 60 + (2 * 4 + 3) * 5 + 4] ==
	    k.in[((2 * 2 + 1) * 4 + 3) * 5 + 4]);
	memset(din, 0, n * sizeof *din);
	htr_map2vec_backward(din, R, 3, 2, 4, 5);
	fd_check("map->vec", shp_f, &k, k.in, n, din, out, R, n, 1e-2f, 1e-4,
	    1e-4);
	float nchw[2 * 3 * 2 * 2], cnhw[24];
	for (int i = 0; i < 24; i++)
		nchw[i] = i;
	htr_nchw2cnhw(cnhw, nchw, 2, 3, 2, 2);
	CHECK(cnhw[((2 * 2 + 1) * 2 + 1) * 2 + 0] ==
	    nchw[((1 * 3 + 2) * 2 + 1) * 2 + 0]);
	free(k.in), free(out), free(R), free(din);
}

/* ---- LSTM ---------------------------------------------------------------- */

struct lstm {
	float *x, *wx, *wh, *b, *h, *c, *g;
	const int *len;
	int T, N, I, H, ldh, rev;
};

static void
lstm_f(void *p, float *out)
{
	struct lstm *k = p;

	htr_lstm_forward(out, k->c, k->g, k->x, k->wx, k->wh, k->b, k->len,
	    k->T, k->N, k->I, k->H, k->ldh, k->rev);
}

static void
test_lstm_case(int rev, const int *len, int ldh)
{
	struct lstm k = { 0 };
	int T = 5, N = 3, I = 4, H = 3, G = 12;
	size_t nx = (size_t)T * N * I, nout = (size_t)T * N * ldh;
	char name[64];

	k.T = T, k.N = N, k.I = I, k.H = H, k.ldh = ldh, k.rev = rev;
	k.len = len;
	k.x = randv(nx, 1);
	k.wx = randv((size_t)G * I, 0.7f);
	k.wh = randv((size_t)G * H, 0.7f);
	k.b = randv(G, 0.5f);
	k.c = zeros((size_t)T * N * H);
	k.g = zeros((size_t)T * N * 5 * H);
	float *out = zeros(nout), *R = randv(nout, 1);
	/* the unused columns of a strided output carry no gradient */
	for (size_t r = 0; r < (size_t)T * N; r++)
		for (int j = H; j < ldh; j++)
			R[r * ldh + j] = 0;
	float *dx = zeros(nx), *dwx = zeros((size_t)G * I);
	float *dwh = zeros((size_t)G * H), *db = zeros(G);
	float *scr = zeros(htr_lstm_scratch(T, N, H));

	lstm_f(&k, out);
	if (len)
		for (int t = 0; t < T; t++)
			for (int n = 0; n < N; n++)
				if (t >= len[n])
					for (int j = 0; j < H; j++)
						CHECK(out[((size_t)t * N + n) * ldh + j] == 0);
	htr_lstm_backward(dx, dwx, dwh, db, scr, R, out, k.c, k.g, k.x, k.wx,
	    k.wh, len, T, N, I, H, ldh, rev);
	snprintf(name, sizeof name, "lstm%s%s", rev ? " reverse" : "",
	    len ? " masked" : "");
	fd_check(name, lstm_f, &k, k.x, nx, dx, out, R, nout, 1e-2f, 1e-3,
	    2e-3);
	fd_check(name, lstm_f, &k, k.wx, (size_t)G * I, dwx, out, R, nout,
	    1e-2f, 1e-3, 2e-3);
	fd_check(name, lstm_f, &k, k.wh, (size_t)G * H, dwh, out, R, nout,
	    1e-2f, 1e-3, 2e-3);
	fd_check(name, lstm_f, &k, k.b, G, db, out, R, nout, 1e-2f, 1e-3,
	    2e-3);
	free(k.x), free(k.wx), free(k.wh), free(k.b), free(k.c), free(k.g);
	free(out), free(R), free(dx), free(dwx), free(dwh), free(db), free(scr);
}

/* A sample alone gives the same outputs as inside a padded batch. */
static void
test_lstm_padding(void)
{
	int T = 6, N = 2, I = 3, H = 4, G = 16, len[2] = { 6, 3 };
	float *x = randv((size_t)T * N * I, 1);
	float *wx = randv((size_t)G * I, 0.5f), *wh = randv((size_t)G * H, 0.5f);
	float *b = randv(G, 0.5f);
	float *h = zeros((size_t)T * N * H), *c = zeros((size_t)T * N * H);
	float *g = zeros((size_t)T * N * 5 * H);
	float x1[3 * 3], h1[3 * 4], c1[3 * 4], g1[3 * 20];

	for (int rev = 0; rev < 2; rev++) {
		htr_lstm_forward(h, c, g, x, wx, wh, b, len, T, N, I, H, H, rev);
		for (int t = 0; t < 3; t++)
			memcpy(x1 + t * I, x + ((size_t)t * N + 1) * I,
			    I * sizeof *x);
		htr_lstm_forward(h1, c1, g1, x1, wx, wh, b, NULL, 3, 1, I, H, H,
		    rev);
		double md = 0;
		for (int t = 0; t < 3; t++)
			for (int j = 0; j < H; j++)
				md = fmax(md, fabs(h1[t * H + j] -
				    h[((size_t)t * N + 1) * H + j]));
		CHECKF(md < 1e-6, "lstm rev=%d: padded sample differs by %g", rev,
		    md);
	}
	free(x), free(wx), free(wh), free(b), free(h), free(c), free(g);
}

static void
test_lstm(void)
{
	int len[3] = { 5, 2, 4 };

	test_lstm_case(0, NULL, 3);
	test_lstm_case(1, NULL, 3);
	test_lstm_case(0, len, 3);
	test_lstm_case(1, len, 5);   /* strided, as one half of a Lbx */
	test_lstm_padding();
}

/* htr_act_grad writes exactly what zero + htr_act_backward adds. */
static void
test_act_grad(void)
{
	enum { n = 1003 };
	float out[n], dout[n], a[n], b[n];
	int acts[] = { HTR_ACT_LINEAR, HTR_ACT_RELU, HTR_ACT_LEAKY, HTR_ACT_TANH,
	    HTR_ACT_SIGMOID };

	for (int k = 0; k < 5; k++) {
		for (int i = 0; i < n; i++) {
			out[i] = 2 * htr_rng_uniform(&rng) - 1;
			dout[i] = 2 * htr_rng_uniform(&rng) - 1;
			a[i] = 7;   /* overwritten */
			b[i] = 0;
		}
		htr_act_grad(a, dout, out, n, acts[k]);
		htr_act_backward(b, dout, out, n, acts[k]);
		int same = 1;
		for (int i = 0; i < n; i++)
			same &= a[i] == b[i];
		CHECKF(same, "act %d: htr_act_grad differs from htr_act_backward",
		    acts[k]);
	}
}

int
main(void)
{
	htr_rng_seed(&rng, 1234);
	test_gemm();
	test_conv();
	test_pool();
	test_batchnorm();
	test_batchnorm_act();
	test_elementwise();
	test_act_grad();
	test_linear();
	test_reshape();
	test_lstm();
	return T_DONE();
}
