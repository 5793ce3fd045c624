/* test_recognize.c — batched recognition (lib/recognize.h).
 *
 *  - a hand-set model whose output is known in closed form: one linear
 *    layer on the column means, so black columns read 'b', gray 'a' and
 *    white the blank; every log-probability is checked against the
 *    formula, and the frames against the crop's columns;
 *  - a random CNN, and a CNN + BiLSTM: results with batch 1, 5 and 16
 *    agree within 1e-5 (one OpenBLAS thread), in input order, tags kept;
 *  - batches on threads of their own (cloned networks) give bit-for-bit
 *    the results of one thread;
 *  - a fixed-size classifier gives one frame; image records of the wrong
 *    size or kind are refused; the model search path.
 *
 * With "-write-models DIR" it only writes the models the pipeline tests
 * use (DIR/known.htrm, DIR/crnn.htrm, and DIR/cls.htrm, a random
 * classifier of 12x12 images) and exits. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "htr.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "recognize.h"
#include "rng.h"
#include "t.h"

static const char *const known_alpha[] = { "", "a", "b" };

/* [1,4,0,1 O1c3]: for a column of mean ink m (0 paper .. 1 ink) the
 * logits are 0 (blank), 20m - 5 ('a'), 40m - 20 ('b'): paper gives the
 * blank, mid gray 'a', black 'b'. */
static struct htr_model *
known_model(void)
{
	struct htr_net *net = htr_net_create("[1,4,0,1 O1c3]", 0, 1);
	float *p;

	if (!net)
		return NULL;
	HTR_ASSERT(htr_net_nparams(net) == 15);
	p = htr_net_params(net);
	for (int i = 0; i < 4; i++) {
		p[0 * 4 + i] = 0;
		p[1 * 4 + i] = 5;
		p[2 * 4 + i] = 10;
	}
	p[12] = 0, p[13] = -5, p[14] = -20;
	return htr_model_new(net, known_alpha, 3, HTR_LEVEL_LINE,
	    "test_recognize: hand-set weights");
}

#define CRNN_VGSL "[1,16,0,1 Cr3,3,4 Mp2,2 Cr3,3,8 Lbx6 O1c5]"
#define CNN_VGSL  "[1,16,0,1 Cr3,3,4 Mp2,2 Cr3,3,8 O1c5]"

static struct htr_model *
crnn_model(const char *vgsl)
{
	static const char *const alpha[] = { "", "a", "b", "c", "d" };
	struct htr_net *net = htr_net_create(vgsl, 0, 7);

	return net ? htr_model_new(net, alpha, 5, HTR_LEVEL_LINE,
	    "test_recognize: random weights, seed 7") : NULL;
}

/* A crop 8 rows high of 2-column cells: 'k' black, 'g' gray, 'w' white. */
static int
cells_image(struct htr_image *im, const char *cells, const char *tags)
{
	int n = (int)strlen(cells);

	if (htr_image_init(im, 2 * n, 8, 255))
		return -1;
	for (int x = 0; x < 2 * n; x++)
		for (int y = 0; y < 8; y++)
			im->pix[y * im->w + x] = cells[x / 2] == 'k' ? 0 :
			    cells[x / 2] == 'g' ? 128 : 255;
	snprintf(im->tags, sizeof im->tags, "%s", tags);
	return 0;
}

static void
test_known(void)
{
	struct htr_model *m = known_model();
	struct htr_image im;
	struct htr_recognize_in in;
	struct htr_recognize_out out;
	const char *cells = "kkwgwkggw";

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(cells_image(&im, cells, "src=x.png line=4 kind=crop") == 0);
	CHECK(htr_recognize_input(&in, m, &im) == 0);
	CHECK(in.h == 4 && in.w == 9);
	CHECK(!strcmp(in.tags, "src=x.png line=4"));
	CHECK(htr_recognize_run(&out, m, &in, 1, 4) == 0);
	CHECK(out.T == 9 && out.C == 3);
	CHECK(!strcmp(out.tags, "src=x.png line=4"));
	for (int t = 0; t < out.T && t < 9; t++) {
		double mean = cells[t] == 'k' ? 1 : cells[t] == 'w' ? 0 :
		    (255 - 128) / 255.0;
		double l[3] = { 0, 20 * mean - 5, 40 * mean - 20 }, mx = l[0];
		double s = 0;
		int best = 0;

		for (int c = 1; c < 3; c++)
			if (l[c] > mx)
				mx = l[c], best = c;
		for (int c = 0; c < 3; c++)
			s += exp(l[c] - mx);
		for (int c = 0; c < 3; c++)
			CHECK_NEAR(out.lp[t * 3 + c], l[c] - mx - log(s), 1e-4,
			    1e-5);
		CHECKF(best == (cells[t] == 'k' ? 2 : cells[t] == 'g' ? 1 : 0),
		    "frame %d", t);
	}
	htr_recognize_out_free(&out);
	htr_recognize_in_free(&in);
	htr_image_free(&im);
	htr_model_free(m);
}

/* Inputs of random widths and ink, tags naming their index. */
static int
random_inputs(struct htr_recognize_in *in, int n, const struct htr_model *m,
    uint64_t seed)
{
	struct htr_rng rng;

	htr_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++) {
		struct htr_image im;
		int w = 3 + (int)(htr_rng_uniform(&rng) * 140);

		if (htr_image_init(&im, w, 24, 255))
			return -1;
		for (int k = 0; k < w * 24; k++)
			im.pix[k] = htr_rng_uniform(&rng) < 0.3 ?
			    (unsigned char)(htr_rng_uniform(&rng) * 90) : 240;
		snprintf(im.tags, sizeof im.tags, "line=%d", i);
		if (htr_recognize_input(&in[i], m, &im)) {
			htr_image_free(&im);
			return -1;
		}
		htr_image_free(&im);
	}
	return 0;
}

/* exact: 1 for bit-for-bit, else within 1e-5.  OpenBLAS sgemm rounds
 * products of different sizes differently (ulps, about 1e-6 here), so
 * batches of 1 and of 16 agree to 1e-5, not to the bit; padding that
 * leaked into a crop would differ by far more (0.8 in a log-probability
 * for the CNN). */
static void
test_batching(const char *vgsl, int exact)
{
	enum { N = 40 };
	struct htr_model *m = crnn_model(vgsl);
	struct htr_recognize_in in[N];
	struct htr_recognize_out a[N], b[N], c[N];
	int ok = 1;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(random_inputs(in, N, m, 99) == 0);
	CHECK(htr_recognize_run(a, m, in, N, 1) == 0);
	CHECK(htr_recognize_run(b, m, in, N, 16) == 0);
	CHECK(htr_recognize_run(c, m, in, N, 5) == 0);
	for (int i = 0; i < N; i++) {
		char want[32];

		snprintf(want, sizeof want, "line=%d", i);
		CHECKF(!strcmp(b[i].tags, want), "%d: %s", i, b[i].tags);
		CHECK(a[i].T == htr_net_out_width(m->net, in[i].w));
		CHECK(a[i].T == b[i].T && a[i].T == c[i].T && a[i].C == 5);
		if (a[i].T != b[i].T || a[i].T != c[i].T)
			continue;
		for (int k = 0; k < a[i].T * a[i].C; k++) {
			double d1 = fabs(a[i].lp[k] - b[i].lp[k]);
			double d2 = fabs(a[i].lp[k] - c[i].lp[k]);

			ok &= exact ? d1 == 0 && d2 == 0 : d1 <= 1e-5 &&
			    d2 <= 1e-5;
		}
		/* every frame a distribution */
		for (int t = 0; t < a[i].T; t++) {
			double s = 0;
			for (int k = 0; k < 5; k++)
				s += exp(a[i].lp[t * 5 + k]);
			CHECK_NEAR(s, 1, 1e-5, 0);
		}
	}
	CHECKF(ok, "%s: batch 1, 5 and 16 differ", vgsl);
	for (int i = 0; i < N; i++) {
		htr_recognize_out_free(&a[i]);
		htr_recognize_out_free(&b[i]);
		htr_recognize_out_free(&c[i]);
		htr_recognize_in_free(&in[i]);
	}
	htr_model_free(m);
}

/* Batches on threads of their own, a cloned network in each: the same
 * batches as one thread, so bit-for-bit the same results. */
static void
test_threads(void)
{
	enum { N = 40 };
	struct htr_model *m = crnn_model(CRNN_VGSL);
	struct htr_recognize_in in[N];
	struct htr_recognize_out a[N], b[N];
	struct htr_net *more[2] = { NULL, NULL };
	int ok = 1;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(random_inputs(in, N, m, 7) == 0);
	CHECK((more[0] = htr_net_clone(m->net)) != NULL);
	CHECK((more[1] = htr_net_clone(m->net)) != NULL);
	openblas_set_num_threads(1);
	CHECK(htr_recognize_run(a, m, in, N, 4) == 0);
	openblas_set_num_threads(3);
	CHECK(htr_recognize_run_threads(b, m, more, 2, in, N, 4) == 0);
	CHECK(openblas_get_num_threads() == 3);
	openblas_set_num_threads(1);
	for (int i = 0; i < N; i++) {
		CHECK(a[i].T == b[i].T && a[i].C == b[i].C);
		CHECK(!strcmp(a[i].tags, b[i].tags));
		if (a[i].T == b[i].T && a[i].C == b[i].C)
			ok &= !memcmp(a[i].lp, b[i].lp, (size_t)a[i].T *
			    a[i].C * sizeof *a[i].lp);
		htr_recognize_out_free(&a[i]);
		htr_recognize_out_free(&b[i]);
	}
	CHECKF(ok, "threaded batches differ from one thread");
	/* a crop of the wrong height is refused, naming it */
	in[N - 1].h--;
	openblas_set_num_threads(2);
	CHECK(htr_recognize_run_threads(b, m, more, 2, in, N, 4) == -1);
	CHECKF(strstr(htr_errmsg(), "input 39") != NULL, "%s", htr_errmsg());
	openblas_set_num_threads(1);
	in[N - 1].h++;
	for (int i = 0; i < N; i++)
		htr_recognize_in_free(&in[i]);
	htr_net_free(more[0]);
	htr_net_free(more[1]);
	htr_model_free(m);
}

static struct htr_model *
cls_model(void)
{
	static const char *const alpha[] = { "", "0", "1", "2" };
	struct htr_net *net = htr_net_create(
	    "[1,12,12,1 Cr3,3,4 Mp2,2 Fr8 O0s4]", 0, 3);

	return net ? htr_model_new(net, alpha, 4, HTR_LEVEL_CHAR,
	    "test_recognize: random weights, seed 3") : NULL;
}

static void
test_classifier(void)
{
	struct htr_model *m = cls_model();
	struct htr_image im;
	struct htr_recognize_in in[3];
	struct htr_recognize_out out[3];
	struct htr_tensor t;
	int dim[2] = { 12, 13 };

	CHECK(m != NULL);
	if (!m)
		return;
	for (int i = 0; i < 3; i++) {
		CHECK(cells_image(&im, i == 1 ? "kwgkw" : "wkkwwkg", "") == 0);
		CHECK(htr_recognize_input(&in[i], m, &im) == 0);
		CHECK(in[i].h == 12 && in[i].w == 12);
		htr_image_free(&im);
	}
	CHECK(htr_recognize_run(out, m, in, 3, 2) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(out[i].T == 1 && out[i].C == 4);
		htr_recognize_out_free(&out[i]);
		htr_recognize_in_free(&in[i]);
	}
	/* a 12x13 image record does not fit a 12x12 network */
	CHECK(htr_tensor_alloc(&t, HTR_F32, 2, dim, "image") == 0);
	CHECK(htr_recognize_input_tensor(&in[0], m, &t) == -1);
	CHECK(strstr(htr_errmsg(), "htr-features") != NULL);
	htr_tensor_free(&t);
	dim[1] = 12;
	CHECK(htr_tensor_alloc(&t, HTR_F32, 2, dim, "logprob") == 0);
	CHECK(htr_recognize_input_tensor(&in[0], m, &t) == -1);
	CHECK(strstr(htr_errmsg(), "kind=logprob") != NULL);
	htr_tensor_free(&t);
	CHECK(htr_tensor_alloc(&t, HTR_F32, 2, dim, "image") == 0);
	CHECK(htr_recognize_input_tensor(&in[0], m, &t) == 0);
	CHECK(t.data == NULL && in[0].w == 12);
	htr_recognize_in_free(&in[0]);
	htr_tensor_free(&t);
	htr_model_free(m);
}

static void
test_search(const char *dir)
{
	char path[8192], sub[4096];
	struct htr_model *m = known_model();
	struct htr_model *l;

	CHECK(htr_recognize_default_model(HTR_LEVEL_CHAR) != NULL);
	CHECK(!strcmp(htr_recognize_default_model(HTR_LEVEL_LINE),
	    "line.htrm"));
	CHECK(htr_recognize_level_of("line=3 word=2 char=1") ==
	    HTR_LEVEL_CHAR);
	CHECK(htr_recognize_level_of("line=3 word=2") == HTR_LEVEL_WORD);
	CHECK(htr_recognize_level_of("") == HTR_LEVEL_LINE);
	snprintf(sub, sizeof sub, "%s/models", dir);
	mkdir(sub, 0777);
	setenv("HTR_MODELDIR", sub, 1);
	CHECK(htr_recognize_find_model(path, sizeof path,
	    "no-such-model.htrm", NULL) == -1);
	CHECK(strstr(htr_errmsg(), "no-such-model.htrm") != NULL);
	CHECK(strstr(htr_errmsg(), sub) != NULL);
	CHECK(strchr(htr_errmsg(), '\n') == NULL);
	snprintf(path, sizeof path, "%s/t-model.htrm", sub);
	CHECK(m && htr_model_save(m, path) == 0);
	CHECK(htr_recognize_find_model(path, sizeof path, "t-model.htrm",
	    NULL) == 0);
	CHECK(strstr(path, sub) == path);
	l = htr_recognize_load(path, HTR_LEVEL_LINE, NULL);
	CHECK(l != NULL && l->nclass == 3 && !strcmp(l->alphabet[2], "b"));
	htr_model_free(l);
	htr_model_free(m);
	unsetenv("HTR_MODELDIR");
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");

	if (argc == 3 && !strcmp(argv[1], "-write-models")) {
		char path[4096];
		struct htr_model *k = known_model(), *c = crnn_model(CRNN_VGSL);

		snprintf(path, sizeof path, "%s/known.htrm", argv[2]);
		if (!k || htr_model_save(k, path))
			return fprintf(stderr, "%s\n", htr_errmsg()), 1;
		snprintf(path, sizeof path, "%s/crnn.htrm", argv[2]);
		if (!c || htr_model_save(c, path))
			return fprintf(stderr, "%s\n", htr_errmsg()), 1;
		htr_model_free(k);
		htr_model_free(c);
		snprintf(path, sizeof path, "%s/cls.htrm", argv[2]);
		if (!(k = cls_model()) || htr_model_save(k, path))
			return fprintf(stderr, "%s\n", htr_errmsg()), 1;
		htr_model_free(k);
		return 0;
	}
	test_known();
	test_batching(CNN_VGSL, 0);
	test_batching(CRNN_VGSL, 0);
	test_threads();
	test_classifier();
	test_search(tmp && *tmp ? tmp : "/tmp");
	return T_DONE();
}
