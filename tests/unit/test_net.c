/* test_net.c — networks built from VGSL: parser errors, parameter counts
 * against formulas, whole-net gradients against finite differences,
 * padding invariance, determinism, save/load/continue, and a tiny net that
 * must learn a toy CTC task. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "model.h"
#include "net.h"
#include "rng.h"
#include "vgsl.h"
#include "t.h"
#include "toy.h"

static struct htr_rng rng;

static void
test_vgsl(void)
{
	struct htr_vgsl v;
	char buf[256];
	static const struct { const char *s, *err; } bad[] = {
		{ "1,32,0,1 Cr3,3,32 O1c10", "enclosed" },
		{ "[1,32,0,1 Cx3,3,32 O1c10]", "'Cx3,3,32'" },
		{ "[1,32,0,1 Cr3,3 O1c10]", "'Cr3,3'" },
		{ "[1,32,0,1 Mp2 O1c10]", "'Mp2'" },
		{ "[1,32,0,1 Do1.5 O1c10]", "'Do1.5'" },
		{ "[1,32,0,1 Lfy32 O1c10]", "'Lfy32'" },
		{ "[1,32,0,1 Q3 O1c10]", "'Q3'" },
		{ "[1,32,0,1 Cr3,3,8]", "last layer" },
		{ "[1,32,0,1 O1c10 Cr3,3,8]", "'Cr3,3,8'" },
		{ "[1,0,0,1 O1c10]", "height" },
		{ "[1,32,0 O1c10]", "'1,32,0'" },
		{ "[1,32,0,1 O2c10]", "'O2c10'" },
		{ "[1,32,0,1 Bnx O1c10]", "'Bnx'" },
		{ "[1,32,0,1 S2(1x0)1,3 O1c10]", "'S2(1x0)1,3'" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECKF(htr_vgsl_parse(&v, bad[i].s) == -1, "%s", bad[i].s);
		CHECKF(strstr(htr_errmsg(), bad[i].err) != NULL, "%s: '%s'",
		    bad[i].s, htr_errmsg());
		CHECK(strchr(htr_errmsg(), '\n') == NULL);
	}
	const char *s = "[1,32,0,1 Ck3,3,16,1,2 Bnr Mp2,2 Mp2,1,2,1 Do "
	    "Lbx64 Lrx32 Do0.25 Fl20 O1c11]";
	CHECK(htr_vgsl_parse(&v, s) == 0);
	CHECK(v.nlayer == 10);
	CHECK(v.layer[0].act == 2 && v.layer[0].sw == 2 && v.layer[0].n == 16);
	CHECK(v.layer[3].sh == 2 && v.layer[3].sw == 1);
	CHECK(v.layer[4].rate == 0.5f);
	CHECK(htr_vgsl_format(buf, sizeof buf, &v) == 0);
	CHECKF(!strcmp(buf, "[1,32,0,1 Ck3,3,16,1,2 Bnr Mp2,2 Mp2,1 Do0.5 "
	    "Lbx64 Lrx32 Do0.25 Fl20 O1c11]"), "%s", buf);
	CHECK(htr_vgsl_format(buf, 10, &v) == -1);

	/* shape errors come from htr_net_create */
	struct htr_net *net;
	CHECK(!(net = htr_net_create("[1,8,0,1 Mp2,2 Mp2,2 Mp2,2 Mp2,2 O1c3]",
	    0, 1)));
	CHECKF(strstr(htr_errmsg(), "Mp2,2") != NULL, "%s", htr_errmsg());
	CHECK(!(net = htr_net_create("[1,8,0,1 Cr3,3,4 O0s3]", 0, 1)));
	CHECKF(strstr(htr_errmsg(), "O0s3") != NULL, "%s", htr_errmsg());
	CHECK(!(net = htr_net_create("[1,8,0,1 Lbx4 Cr3,3,4 O1c3]", 0, 1)));
	CHECKF(strstr(htr_errmsg(), "Cr3,3,4") != NULL, "%s", htr_errmsg());
	CHECK(!(net = htr_net_create("[1,8,0,1 Lbx4 S1(1x0)1,3 O1c3]", 0, 1)));
	CHECKF(strstr(htr_errmsg(), "S1(1x0)1,3") != NULL, "%s", htr_errmsg());
	/* Kraken's explicit fold (and its strided convolution syntax) */
	net = htr_net_create("[1,48,0,1 Cr4,2,32,4,2 Cr3,3,64 Mp4,2,4,2 "
	    "S1(1x0)1,3 Lbx16 Do0.5 O1c5]", 0, 1);
	CHECKF(net != NULL, "%s", htr_errmsg());
	if (net) {
		CHECK(strstr(htr_net_vgsl(net), "S1(1x0)1,3 Lbx16") != NULL);
		CHECK(htr_net_nparams(net) == (32 * 8 + 32) + (64 * 32 * 9 + 64) +
		    2 * 4 * 16 * (64 * 3 + 16 + 1) + (5 * 32 + 5));
		CHECK(htr_net_out_width(net, 100) == 25);
		htr_net_free(net);
	}
}

static void
test_params(void)
{
	/* SimpleHTR's shape */
	struct htr_net *net = htr_net_create("[1,32,128,1 Cl5,5,32 Bnr Mp2,2 "
	    "Cl5,5,64 Bnr Mp2,2 Cl3,3,128 Bnr Mp2,1 Cl3,3,128 Bnr Mp2,1 "
	    "Cl3,3,256 Bnr Mp2,1 Lbx256 Lbx256 O1c10]", 80, 1);
	CHECK(net != NULL);
	if (!net)
		return;
	size_t conv = (32 * 1 * 25 + 32) + (64 * 32 * 25 + 64) +
	    (128 * 64 * 9 + 128) + (128 * 128 * 9 + 128) +
	    (256 * 128 * 9 + 256);
	size_t bn = 2 * (32 + 64 + 128 + 128 + 256);
	size_t lstm = 2 * 4 * 256 * (256 + 256 + 1) +
	    2 * 4 * 256 * (512 + 256 + 1);
	size_t out = 80 * 512 + 80;
	CHECK(htr_net_nparams(net) == conv + bn + lstm + out);
	CHECK(htr_net_nstate(net) == conv + bn + lstm + out + bn);
	CHECK(htr_net_nclass(net) == 80 && htr_net_is_ctc(net));
	CHECK(strstr(htr_net_vgsl(net), "O1c80]") != NULL);
	CHECK(htr_net_out_width(net, 128) == 32);
	CHECK(htr_net_out_width(net, 4) == 1);
	CHECK(htr_net_min_width(net) == 128);   /* fixed width */
	struct htr_net_layer_info li;
	size_t sum = 0;
	for (int i = 0; i < htr_net_nlayers(net); i++) {
		htr_net_layer_info(net, i, &li);
		sum += li.nparams;
	}
	CHECK(sum == htr_net_nparams(net));
	htr_net_layer_info(net, 0, &li);
	CHECK(li.nparams == 32 * 25 + 32 && !strcmp(li.tok, "Cl5,5,32"));
	htr_net_free(net);

	/* variable width, F over a sequence, unidirectional LSTMs */
	net = htr_net_create("[1,16,0,1 Cr3,3,8 Mp2,2 Mp2,2 Lfx10 Lrx6 Fr7 "
	    "O1c5]", 0, 1);
	CHECK(net != NULL);
	CHECK(htr_net_nparams(net) == (8 * 9 + 8) + 4 * 10 * (32 + 10 + 1) +
	    4 * 6 * (10 + 6 + 1) + (7 * 6 + 7) + (5 * 7 + 5));
	CHECK(htr_net_out_width(net, 9) == 2);
	CHECK(htr_net_out_width(net, 3) == 0);
	CHECK(htr_net_min_width(net) == 4);
	htr_net_free(net);

	/* MNIST-style classifier: F after a fixed-width map flattens */
	net = htr_net_create("[1,28,28,1 Cr3,3,8 Mp2,2 Cr3,3,16 Mp2,2 Do0.25 "
	    "Fr32 O0s10]", 0, 1);
	CHECK(net != NULL && !htr_net_is_ctc(net));
	CHECK(htr_net_nparams(net) == (8 * 9 + 8) + (16 * 8 * 9 + 16) +
	    (32 * 16 * 7 * 7 + 32) + (10 * 32 + 10));
	htr_net_free(net);
}

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

struct fdnet {
	struct htr_net *net;
	const float *x;
	int N, W, mode;
	const int *widths, *labels, *llen;
};

static double
fdloss(struct fdnet *f)
{
	if (htr_net_forward(f->net, f->x, f->N, f->W, f->widths, f->mode) < 0)
		return NAN;
	return htr_net_is_ctc(f->net) ?
	    htr_net_loss_ctc(f->net, f->labels, f->llen, NULL, NULL) :
	    htr_net_loss_nll(f->net, f->labels, NULL);
}

/* Gradient of the whole net's loss against central differences on every
 * k-th parameter. */
static void
fd_net(const char *name, struct fdnet *f, int stride, double atol,
    double rtol)
{
	size_t n = htr_net_nparams(f->net);
	float *p = htr_net_params(f->net);
	int bad = 0, checked = 0;

	CHECK(fdloss(f) >= 0);
	CHECK(htr_net_zero_grad(f->net) == 0);
	CHECK(htr_net_backward(f->net) == 0);
	float *g = malloc(n * sizeof *g);
	memcpy(g, htr_net_grads(f->net), n * sizeof *g);
	for (size_t i = 0; i < n; i += stride, checked++) {
		float s = p[i], eps = 1e-2f;
		p[i] = s + eps;
		double lp = fdloss(f);
		p[i] = s - eps;
		double lm = fdloss(f);
		p[i] = s;
		double num = (lp - lm) / (2.0 * eps);
		if (!(fabs(g[i] - num) <= atol + rtol * fabs(num)) &&
		    bad++ < 5)
			fprintf(stderr, "%s: param %zu: analytic %.6g numeric %.6g\n",
			    name, i, g[i], num);
	}
	CHECKF(bad == 0, "%s: %d of %d parameter gradients off", name, bad,
	    checked);
	free(g);
}

static void
test_grad_net(void)
{
	/* conv (stride), batch norm (train), pooling, stacked bi/uni LSTMs,
	 * linear, CTC over variable widths */
	struct htr_net *net = htr_net_create("[1,6,0,1 Ct3,3,3 Bnt Mp2,2 "
	    "Cs3,2,4,1,2 Lbx3 Lfx3 Ft4 O1c4]", 0, 5);
	int widths[3] = { 16, 12, 9 }, labels[] = { 1, 1, 2, 3, 2 };
	int llen[3] = { 3, 1, 1 };
	float *x = batch(3, 1, 6, 16, widths);
	struct fdnet f = { net, x, 3, 16, HTR_NET_TRAIN, widths, labels, llen };

	CHECK(net != NULL);
	fd_net("cnn+lstm ctc (train)", &f, 3, 2e-3, 1e-2);
	CHECK(htr_net_output_lengths(net)[1] == 3);
	/* eval mode: batch norm from running statistics */
	f.mode = HTR_NET_EVAL;
	fd_net("cnn+lstm ctc (eval)", &f, 5, 2e-3, 1e-2);
	free(x);
	htr_net_free(net);

	/* classifier: 3 input channels, flatten, dropout (eval), NLL */
	net = htr_net_create("[1,6,6,3 Ck3,3,4 Bnk Mp2,2 Do0.5 Ft5 O0s3]", 0, 9);
	int targets[4] = { 0, 2, 1, 2 };
	x = batch(4, 3, 6, 6, NULL);
	struct fdnet g = { net, x, 4, 6, HTR_NET_EVAL, NULL, targets, NULL };
	CHECK(net != NULL);
	fd_net("classifier nll (eval)", &g, 2, 2e-3, 1e-2);
	free(x);
	htr_net_free(net);
}

/* A sample in a zero-padded batch gives the same frames as alone. */
/* The parallel-for paths (2 threads) agree with the serial ones. */
static void
test_threads(void)
{
	const char *s = "[1,32,0,1 Cr3,3,16 Bnr Mp2,2 Cr3,3,16 Mp2,1 Lbx256 "
	    "O1c10]";
	int widths[16], labels[16 * 3], llen[16];
	double loss[2];
	float *g[2];

	for (int i = 0; i < 16; i++) {
		widths[i] = 40 + i;
		llen[i] = 3;
		for (int k = 0; k < 3; k++)
			labels[i * 3 + k] = 1 + (i + k) % 9;
	}
	float *x = batch(16, 1, 32, 56, widths);
	for (int r = 0; r < 2; r++) {
		openblas_set_num_threads(r + 1);
		struct htr_net *net = htr_net_create(s, 0, 3);
		CHECK(htr_net_forward(net, x, 16, 56, widths, HTR_NET_TRAIN) == 0);
		loss[r] = htr_net_loss_ctc(net, labels, llen, NULL, NULL);
		htr_net_zero_grad(net);
		htr_net_backward(net);
		g[r] = malloc(htr_net_nparams(net) * sizeof *g[r]);
		memcpy(g[r], htr_net_grads(net), htr_net_nparams(net) *
		    sizeof *g[r]);
		if (r == 1) {
			double md = 0;
			for (size_t i = 0; i < htr_net_nparams(net); i++)
				md = fmax(md, fabs(g[0][i] - g[1][i]));
			CHECKF(md < 1e-4, "gradients differ by %g with 2 threads",
			    md);
		}
		htr_net_free(net);
	}
	openblas_set_num_threads(1);
	CHECK_NEAR(loss[1], loss[0], 1e-5, 1e-5);
	free(g[0]), free(g[1]), free(x);
}

static void
test_padding(void)
{
	struct htr_net *net = htr_net_create("[1,8,0,1 Cr3,3,4 Bnr Mp2,2 "
	    "Cr3,3,4,1,2 Lbx5 O1c5]", 0, 3);
	int widths[2] = { 23, 10 }, T, N, C, T1;
	float *x = batch(2, 1, 8, 23, widths);
	float *x1 = calloc(8 * 10, sizeof *x1);

	for (int y = 0; y < 8; y++)
		memcpy(x1 + y * 10, x + 8 * 23 + y * 23, 10 * sizeof *x1);
	/* whatever the padding holds does not leak in */
	for (int y = 0; y < 8; y++)
		for (int k = 10; k < 23; k++)
			x[8 * 23 + y * 23 + k] = 5;
	CHECK(htr_net_forward(net, x, 2, 23, widths, HTR_NET_EVAL) == 0);
	const float *y2 = htr_net_output(net, &T, &N, &C);
	float *keep = malloc((size_t)T * N * C * sizeof *keep);
	memcpy(keep, y2, (size_t)T * N * C * sizeof *keep);
	int len1 = htr_net_output_lengths(net)[1];
	CHECK(T == 6 && len1 == 3);
	CHECK(htr_net_forward(net, x1, 1, 10, NULL, HTR_NET_INFER) == 0);
	const float *y1 = htr_net_output(net, &T1, NULL, NULL);
	CHECK(T1 == len1);
	double md = 0;
	for (int t = 0; t < T1; t++)
		for (int k = 0; k < C; k++)
			md = fmax(md, fabs(y1[t * C + k] - keep[(t * N + 1) * C + k]));
	CHECKF(md < 1e-5, "padded sample differs by %g", md);
	/* too narrow */
	CHECK(htr_net_forward(net, x1, 1, 1, NULL, HTR_NET_EVAL) == -1);
	CHECK(strstr(htr_errmsg(), "narrow") != NULL);
	/* backward after an inference-only forward is an error */
	CHECK(htr_net_forward(net, x1, 1, 10, NULL, HTR_NET_INFER) == 0);
	CHECK(htr_net_backward(net) == -1);
	free(x), free(x1), free(keep);
	htr_net_free(net);
}

/* -dropout: every Do layer's rate changes, the string follows, the
 * weights stay; rate 0 in training mode computes what evaluation does. */
static void
test_set_dropout(void)
{
	struct htr_net *net = htr_net_create("[1,8,0,1 Cr3,3,4 Mp2,2 Do0.2 "
	    "Lbx5 Do0.2 Lbx5 O1c5]", 0, 5);
	int widths[2] = { 16, 12 }, T, N, C;
	float *x = batch(2, 1, 8, 16, widths), *keep;
	size_t np;

	CHECK(net != NULL);
	if (!net)
		return;
	np = htr_net_nparams(net);
	CHECK(htr_net_forward(net, x, 2, 16, widths, HTR_NET_EVAL) == 0);
	const float *y = htr_net_output(net, &T, &N, &C);
	keep = malloc((size_t)T * N * C * sizeof *keep);
	memcpy(keep, y, (size_t)T * N * C * sizeof *keep);
	CHECK(htr_net_set_dropout(net, 0.5f) == 2);
	CHECK(strstr(htr_net_vgsl(net), "Do0.5 Lbx5 Do0.5 Lbx5") != NULL);
	CHECK(strstr(htr_net_vgsl(net), "Do0.2") == NULL);
	CHECK(htr_net_nparams(net) == np);
	CHECK(htr_net_forward(net, x, 2, 16, widths, HTR_NET_TRAIN) == 0);
	y = htr_net_output(net, NULL, NULL, NULL);
	double md = 0;
	for (int i = 0; i < T * N * C; i++)
		md = fmax(md, fabs(y[i] - keep[i]));
	CHECKF(md > 1e-3, "dropout 0.5 changed the output by only %g", md);
	CHECK(htr_net_set_dropout(net, 0) == 2);
	CHECK(htr_net_forward(net, x, 2, 16, widths, HTR_NET_TRAIN) == 0);
	y = htr_net_output(net, NULL, NULL, NULL);
	md = 0;
	for (int i = 0; i < T * N * C; i++)
		md = fmax(md, fabs(y[i] - keep[i]));
	CHECKF(md < 1e-5, "dropout 0 in training differs by %g", md);
	CHECK(htr_net_set_dropout(net, 1) == -1);
	CHECK(strstr(htr_errmsg(), "not in [0, 1)") != NULL);
	htr_net_free(net);
	net = htr_net_create("[1,8,0,1 Cr3,3,4 Mp2,2 Lbx5 O1c5]", 0, 5);
	CHECK(net && htr_net_set_dropout(net, 0.3f) == -1);
	CHECK(strstr(htr_errmsg(), "no dropout layer") != NULL);
	htr_net_free(net);
	free(x), free(keep);
}

/* ---- training ------------------------------------------------------------ */

/* Runs steps of training on the toy task from data seed; losses[] gets
 * each step's loss. */
static void
train(struct htr_net *net, uint64_t seed, int steps, double *losses)
{
	enum { B = 8 };
	struct htr_rng r;
	float x[B * TH * 24];
	int W, widths[B], labels[B * 4], llen[B];
	struct htr_adam a;

	htr_adam_defaults(&a);
	a.lr = 0.01f;
	a.clip = 5;
	htr_rng_seed(&r, seed);
	for (int s = 0; s < steps; s++) {
		toy_batch(&r, B, x, &W, widths, labels, llen);
		int rc = htr_net_forward(net, x, B, W, widths, HTR_NET_TRAIN);
		CHECK(rc == 0);
		losses[s] = htr_net_loss_ctc(net, labels, llen, NULL, NULL);
		htr_net_zero_grad(net);
		htr_net_backward(net);
		htr_net_adam_step(net, &a);
	}
}

/* Same seed, same thread count: the same losses and weights, bit for
 * bit (with 2 threads too: the LSTM directions then run at once). */
static void
test_determinism(void)
{
	for (int nt = 1; nt <= 2; nt++) {
		double l1[4], l2[4];
		openblas_set_num_threads(nt);
		struct htr_net *a = htr_net_create(toy_vgsl, 0, 11);
		struct htr_net *b = htr_net_create(toy_vgsl, 0, 11);

		train(a, 5, 4, l1);
		train(b, 5, 4, l2);
		for (int i = 0; i < 4; i++)
			CHECKF(l1[i] == l2[i], "%d threads, step %d: %.9g vs %.9g",
			    nt, i, l1[i], l2[i]);
		CHECK(memcmp(htr_net_params(a), htr_net_params(b),
		    htr_net_nstate(a) * sizeof(float)) == 0);
		htr_net_free(a);
		htr_net_free(b);
	}
	openblas_set_num_threads(1);
}

/* Training, saving model + checkpoint, loading into a fresh net and going
 * on gives exactly the losses of the uninterrupted run. */
static void
test_resume(void)
{
	const char *tmp = getenv("TMPDIR");
	char mpath[512], cpath[512], extra[64];
	double l0[3], la[3], lb[3];
	const char *alpha[4] = { "", "|", "^", "_" };

	snprintf(mpath, sizeof mpath, "%s/resume.htrm", tmp ? tmp : "/tmp");
	snprintf(cpath, sizeof cpath, "%s/resume.htrc", tmp ? tmp : "/tmp");
	struct htr_model *m = htr_model_new(htr_net_create(toy_vgsl, 0, 4),
	    alpha, 4, HTR_LEVEL_WORD, "toy");
	CHECK(m != NULL);
	if (!m)
		return;
	train(m->net, 1, 3, l0);
	CHECK(htr_model_save(m, mpath) == 0);
	CHECK(htr_net_ckpt_save(m->net, cpath, "epoch=1") == 0);
	train(m->net, 2, 3, la);

	struct htr_model *m2 = htr_model_load(mpath);
	CHECKF(m2 != NULL, "%s", htr_errmsg());
	if (!m2) {
		htr_model_free(m);
		return;
	}
	CHECK(htr_net_ckpt_load(m2->net, cpath, extra, sizeof extra) == 0);
	CHECK(!strcmp(extra, "epoch=1"));
	CHECK(htr_net_adam_t(m2->net) == 3);
	train(m2->net, 2, 3, lb);
	for (int i = 0; i < 3; i++)
		CHECKF(la[i] == lb[i], "step %d: %.9g vs %.9g", i, la[i], lb[i]);
	/* a checkpoint of another network is refused */
	struct htr_net *other = htr_net_create("[1,8,0,1 Lbx4 O1c4]", 0, 1);
	CHECK(htr_net_ckpt_load(other, cpath, NULL, 0) == -1);
	CHECK(strstr(htr_errmsg(), "checkpoint of network") != NULL);
	htr_net_free(other);
	htr_model_free(m);
	htr_model_free(m2);
}

/* Greedy decoding of sample n of the last forward. */
static int
greedy(struct htr_net *net, int n, int *out)
{
	int T, N, C, k = 0, prev = 0;
	const float *y = htr_net_output(net, &T, &N, &C);
	int len = htr_net_output_lengths(net)[n];

	for (int t = 0; t < len; t++) {
		const float *r = y + ((size_t)t * N + n) * C;
		int best = 0;
		for (int c = 1; c < C; c++)
			if (r[c] > r[best])
				best = c;
		if (best && best != prev)
			out[k++] = best;
		prev = best;
	}
	return k;
}

static void
test_learns(void)
{
	enum { STEPS = 150 };
	double losses[STEPS];
	struct htr_net *net = htr_net_create(toy_vgsl, 0, 2);

	train(net, 3, STEPS, losses);
	double first = (losses[0] + losses[1] + losses[2]) / 3;
	double last = (losses[STEPS - 1] + losses[STEPS - 2] +
	    losses[STEPS - 3]) / 3;
	CHECKF(last < 0.3 && last < first / 5, "loss %.3f -> %.3f", first,
	    last);
	/* and reads a fresh batch */
	struct htr_rng r;
	float x[16 * TH * 24];
	int W, widths[16], labels[64], llen[16], out[16], off = 0, right = 0;
	htr_rng_seed(&r, 777);
	toy_batch(&r, 16, x, &W, widths, labels, llen);
	CHECK(htr_net_forward(net, x, 16, W, widths, HTR_NET_INFER) == 0);
	for (int i = 0; i < 16; i++) {
		int k = greedy(net, i, out);
		right += k == llen[i] && !memcmp(out, labels + off,
		    k * sizeof *out);
		off += llen[i];
	}
	CHECKF(right >= 14, "%d of 16 toy words read right", right);
	htr_net_free(net);
}

int
main(void)
{
	htr_rng_seed(&rng, 31);
	test_vgsl();
	test_params();
	test_grad_net();
	test_padding();
	test_set_dropout();
	test_threads();
	test_determinism();
	test_resume();
	test_learns();
	return T_DONE();
}
