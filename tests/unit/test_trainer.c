/* test_trainer.c — prepared sets, batches, the epoch's batch order,
 * best-path decoding, and that htr_net_input_image (what htr-crnn feeds a
 * net) is exactly what training and evaluation feed it. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "htr.h"
#include "augment.h"
#include "labels.h"
#include "net.h"
#include "rng.h"
#include "trainer.h"
#include "t.h"

static char dir[512];

static void
put_pgm(const char *name, int w, int h, unsigned seed)
{
	struct htr_image im;
	char path[1024];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(htr_image_init(&im, w, h, 255) == 0);
	for (int i = 0; i < w * h; i++)
		im.pix[i] = (unsigned char)((i * 37 + seed * 11) % 256);
	CHECK(htr_pgm_write(f, &im) == 0);
	fclose(f);
	htr_image_free(&im);
}

static void
test_best_path(void)
{
	/* frames: a a - b b - - a ; classes 0 blank, 1 a, 2 b */
	static const int path[8] = {1, 1, 0, 2, 2, 0, 0, 1};
	float logp[8][4];
	int out[8];

	for (int t = 0; t < 8; t++)
		for (int c = 0; c < 4; c++)
			logp[t][c] = c == path[t] ? -0.1f : -3;
	CHECK(htr_ctc_best_path(out, &logp[0][0], 8, 3, 4) == 3);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 1);
}

/* htr_set_epoch_order: every sample once (drop_last: only full batches),
 * one short batch at the most, widths sorted within each batch, the same
 * order from the same seed. */
static void
test_epoch_order(void)
{
	enum { N = 103, B = 8 };
	int width[N], seen[N];
	long order[N], order2[N], start[N / B + 2];
	struct htr_set s;
	struct htr_rng rng, rng2;

	memset(&s, 0, sizeof s);
	s.n = N;
	s.width = width;
	htr_rng_seed(&rng, 5);
	for (int i = 0; i < N; i++)
		width[i] = 1 + (int)htr_rng_below(&rng, 40);
	for (int drop = 0; drop < 2; drop++) {
		long nb, shorts = 0, sorted = 1, dup = 0;

		htr_rng_seed(&rng, 9);
		rng2 = rng;
		nb = htr_set_epoch_order(order, start, &s, B, drop, &rng);
		CHECK(nb == (drop ? N / B : (N + B - 1) / B));
		if (nb < 0)
			return;
		CHECK(start[0] == 0 && start[nb] == (drop ? N / B * B : N));
		memset(seen, 0, sizeof seen);
		for (long b = 0; b < nb; b++) {
			long len = start[b + 1] - start[b];

			CHECK(len == B || (!drop && len == N % B));
			shorts += len != B;
			for (long k = start[b]; k < start[b + 1]; k++) {
				CHECK(order[k] >= 0 && order[k] < N);
				dup += seen[order[k]]++ > 0;
				if (k > start[b] &&
				    width[order[k]] < width[order[k - 1]])
					sorted = 0;
			}
		}
		CHECK(shorts == !drop && dup == 0 && sorted);
		CHECK(htr_set_epoch_order(order2, start, &s, B, drop, &rng2) ==
		    nb);
		CHECK(!memcmp(order, order2, (size_t)start[nb] * sizeof *order));
	}
}

static void
test_inputs(const char *vgsl, int fixed)
{
	struct htr_dataset ds;
	struct htr_alphabet a;
	struct htr_set s;
	struct htr_net *net = htr_net_create(vgsl, 0, 1);
	char path[1024];
	FILE *f;

	CHECKF(net != NULL, "%s", htr_errmsg());
	if (!net)
		return;
	put_pgm("x1.pgm", 30, 20, 1);
	put_pgm("x2.pgm", 7, 9, 2);
	snprintf(path, sizeof path, "%s/m.tsv", dir);
	f = fopen(path, "w");
	fputs(fixed ? "x1.pgm\ta\nx2.pgm\tb\n" : "x1.pgm\tab\nx2.pgm\tb\n",
	    f);
	fclose(f);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, path) == 0);
	CHECK(htr_labels_alphabet(&a, &ds) == 0 && a.n == 3);
	CHECK(htr_set_prepare(&s, &ds, net, &a, 1) == 0);
	CHECKF(s.n == 2, "%s", htr_errmsg());
	if (s.n != 2)
		return;
	CHECK(s.label_len[0] == (fixed ? 1 : 2) && s.labels[s.label_off[0]] == 1);
	int H = htr_net_input_height(net);
	for (long i = 0; i < 2; i++) {
		float *x, *y;
		int w, wb;
		struct htr_image im;

		CHECK(htr_dataset_image(&ds, i, &im) == 0);
		CHECK(htr_net_input_image(&x, &w, &im, net) == 0);
		htr_image_free(&im);
		CHECK(w == s.width[i] || htr_net_is_ctc(net));
		wb = htr_set_batch_width(&s, &i, 1);
		CHECK(wb >= w);
		y = calloc((size_t)H * wb, sizeof *y);
		int widths[1];
		CHECK(htr_set_batch(y, widths, &s, &i, 1, wb, H, NULL, NULL) ==
		    wb);
		/* same pixels where both have them, paper (0) beyond */
		int same = 1;
		for (int r = 0; r < H; r++)
			for (int c = 0; c < wb; c++) {
				float a1 = c < w ? x[r * w + c] : 0;
				if (a1 != y[r * wb + c])
					same = 0;
			}
		CHECKF(same, "sample %ld of %s", i, vgsl);
		if (fixed)
			CHECK(w == htr_net_input_width(net));
		free(x);
		free(y);
	}
	htr_set_free(&s);
	htr_alphabet_free(&a);
	htr_dataset_free(&ds);
	htr_net_free(net);
}

/* htr_set_batch_par: one slice is htr_set_batch (same floats, same RNG
 * state after); k slices are the slices built alone by htr_set_batch,
 * each from an RNG seeded by the k-th draw of rng, and the same again
 * from the same state.  Slice j starts where the widths before it reach
 * j/k of the batch's. */
static void
test_batch_par(void)
{
	enum { N = 7, H = 10 };
	struct htr_dataset ds;
	struct htr_set s;
	struct htr_net *net = htr_net_create("[1,10,0,1 Cr3,3,4 Mp2,2 Lbx8 "
	    "O1c3]", 0, 1);
	struct htr_augment aug;
	struct htr_rng r1, r2, r3;
	char path[1024], name[32];
	long idx[N] = { 3, 0, 6, 1, 5, 2, 4 };
	int w1[N], w2[N];
	FILE *f;

	snprintf(path, sizeof path, "%s/par.tsv", dir);
	f = fopen(path, "w");
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "p%d.pgm", i);
		put_pgm(name, 12 + 5 * i, 10, (unsigned)i);
		fprintf(f, "%s\tab\n", name);
	}
	fclose(f);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, path) == 0);
	CHECK(htr_set_prepare(&s, &ds, net, NULL, 0) == 0);
	CHECK(s.n == N);
	int W = htr_set_batch_width(&s, idx, N);
	size_t n = (size_t)N * H * W;
	float *x1 = malloc(n * sizeof *x1), *x2 = malloc(n * sizeof *x2);
	float *x3 = malloc(n * sizeof *x3);
	htr_augment_defaults(&aug, 1);

	htr_rng_seed(&r1, 4);
	r2 = r1;
	CHECK(htr_set_batch(x1, w1, &s, idx, N, W, H, &aug, &r1) == W);
	CHECK(htr_set_batch_par(x2, w2, &s, idx, N, W, H, &aug, &r2, 1) == W);
	CHECK(!memcmp(x1, x2, n * sizeof *x1) && !memcmp(w1, w2, sizeof w1));
	CHECK(!memcmp(&r1, &r2, sizeof r1));

	for (int k = 2; k <= 4; k++) {
		htr_rng_seed(&r1, 4);
		r2 = r1;
		r3 = r1;
		CHECK(htr_set_batch_par(x2, w2, &s, idx, N, W, H, &aug, &r2, k) ==
		    W);
		CHECK(htr_set_batch_par(x3, w1, &s, idx, N, W, H, &aug, &r3, k) ==
		    W);
		CHECK(!memcmp(x2, x3, n * sizeof *x2) && !memcmp(&r2, &r3,
		    sizeof r2));
		long cum[N + 1];
		int at[5];
		cum[0] = 0;
		for (int i = 0; i < N; i++)
			cum[i + 1] = cum[i] + s.width[idx[i]];
		for (int j = 0; j <= k; j++) {
			at[j] = 0;
			while (at[j] < N && cum[at[j]] * k < cum[N] * j)
				at[j]++;
		}
		for (int j = 0; j < k; j++) {
			int first = at[j], m = at[j + 1] - at[j];
			struct htr_rng rj;
			CHECK(m >= 1);
			htr_rng_seed(&rj, htr_rng_u64(&r1));
			CHECK(htr_set_batch(x1 + (size_t)first * H * W, w1 + first,
			    &s, idx + first, m, W, H, &aug, &rj) == W);
		}
		CHECKF(!memcmp(x1, x2, n * sizeof *x1), "%d slices", k);
		CHECK(!memcmp(w1, w2, sizeof w1));
		CHECK(!memcmp(&r1, &r2, sizeof r1));
	}
	/* and the slices do differ from one stream */
	htr_rng_seed(&r1, 4);
	CHECK(htr_set_batch(x1, w1, &s, idx, N, W, H, &aug, &r1) == W);
	CHECK(memcmp(x1, x2, n * sizeof *x1) != 0);
	free(x1), free(x2), free(x3);
	htr_set_free(&s);
	htr_dataset_free(&ds);
	htr_net_free(net);
}

/* What htr_set_infer hands its callback, in order. */
struct frames {
	long n, order[16];
	float *logp[16];
	int T[16];
};

static int
keep_frames(void *ctx, long i, const float *logp, int T, int C, int stride)
{
	struct frames *f = ctx;

	if (f->n >= 16)
		return -1;
	f->order[f->n] = i;
	f->T[f->n] = T;
	f->logp[f->n] = malloc((size_t)T * C * sizeof (float));
	for (int t = 0; t < T; t++)
		memcpy(f->logp[f->n] + (size_t)t * C, logp + (size_t)t * stride,
		    C * sizeof (float));
	f->n++;
	return 0;
}

/* htr_set_infer_nets on three copies, batches at once: the callback sees
 * the samples in htr_set_infer's order with the same frames. */
static void
test_infer_nets(void)
{
	enum { N = 11 };
	struct htr_dataset ds;
	struct htr_set s;
	struct htr_net *net = htr_net_create("[1,10,0,1 Cr3,3,4 Bnr Mp2,2 "
	    "Lbx8 O1c3]", 0, 1);
	struct htr_net *nets[3] = { net, htr_net_clone(net), htr_net_clone(net) };
	struct frames a = { 0 }, b = { 0 };
	char path[1024], name[32];
	FILE *f;

	snprintf(path, sizeof path, "%s/infer.tsv", dir);
	f = fopen(path, "w");
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "q%d.pgm", i);
		put_pgm(name, 9 + 7 * ((i * 5) % N), 10, (unsigned)i + 3);
		fprintf(f, "%s\tab\n", name);
	}
	fclose(f);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, path) == 0);
	CHECK(htr_set_prepare(&s, &ds, net, NULL, 0) == 0);
	CHECK(htr_set_infer(net, &s, 2, keep_frames, &a) == 0);
	openblas_set_num_threads(2);
	CHECK(htr_set_infer_nets(nets, 3, &s, 2, keep_frames, &b) == 0);
	openblas_set_num_threads(1);
	CHECK(a.n == N && b.n == N);
	for (int i = 0; i < N && i < a.n && i < b.n; i++) {
		CHECK(a.order[i] == b.order[i] && a.T[i] == b.T[i]);
		CHECKF(!memcmp(a.logp[i], b.logp[i], (size_t)a.T[i] * 3 *
		    sizeof (float)), "sample %ld", a.order[i]);
		free(a.logp[i]);
		free(b.logp[i]);
	}
	/* a callback's failure stops it */
	struct frames c = { 0 };
	c.n = 16;
	CHECK(htr_set_infer_nets(nets, 3, &s, 2, keep_frames, &c) == -1);
	htr_set_free(&s);
	htr_dataset_free(&ds);
	for (int k = 0; k < 3; k++)
		htr_net_free(nets[k]);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_trainer", t ? t : "/tmp");
	mkdir(dir, 0777);
	test_best_path();
	test_epoch_order();
	test_inputs("[1,12,0,1 Cr3,3,4 Mp2,2 Lbx8 O1c3]", 0);
	test_inputs("[1,10,10,1 Cr3,3,4 Mp2,2 Fr8 O0s3]", 1);
	test_batch_par();
	test_infer_nets();
	return T_DONE();
}
