/* recognize.c — recognition throughput of htr_recognize_run (what
 * htr-crnn, htr and htr-serve run) on line-shaped inputs, batched by width
 * against one crop per forward pass (the baseline), in the same run.
 *
 *	build/bench/recognize [VGSL [lines [batch]]]
 *
 * The network has random weights (the time does not depend on them); the
 * lines are random ink at the network's height, 6 to 14 times as wide as
 * high (real text lines).  Prints lines/s for each batch size and the
 * largest difference between the two runs' log-probabilities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "htr.h"
#include "model.h"
#include "net.h"
#include "recognize.h"
#include "rng.h"

int
main(int argc, char **argv)
{
	const char *vgsl = argc > 1 ? argv[1] :
	    "[1,48,0,1 Cr3,3,32 Mp2,2 Cr3,3,64 Mp2,2 Cr3,3,128 Mp2,1 "
	    "Lbx128 Lbx128 O1c80]";
	int n = argc > 2 ? atoi(argv[2]) : 64;
	int batch = argc > 3 ? atoi(argv[3]) : HTR_RECOGNIZE_BATCH;
	int sizes[2] = { 1, batch };
	struct htr_net *net = htr_net_create(vgsl, 0, 1);
	struct htr_recognize_in *in;
	struct htr_recognize_out *out[2];
	struct htr_model *m;
	struct htr_rng rng;
	char **alpha;
	double secs[2], maxd = 0;
	long cols = 0;

	if (!net || n < 1 || batch < 1) {
		fprintf(stderr, "recognize: %s\n", net ? "bad arguments" :
		    htr_errmsg());
		return 1;
	}
	int C = htr_net_nclass(net), H = htr_net_input_height(net);
	alpha = calloc((size_t)C, sizeof *alpha);
	for (int c = 0; c < C; c++) {
		alpha[c] = malloc(8);
		snprintf(alpha[c], 8, c ? "%c" : "", 32 + c % 90);
	}
	alpha[0][0] = '\0';
	if (!(m = htr_model_new(net, (const char *const *)alpha, C,
	    HTR_LEVEL_LINE, NULL))) {
		fprintf(stderr, "recognize: %s\n", htr_errmsg());
		return 1;
	}
	in = calloc((size_t)n, sizeof *in);
	out[0] = calloc((size_t)n, sizeof *out[0]);
	out[1] = calloc((size_t)n, sizeof *out[1]);
	htr_rng_seed(&rng, 42);
	for (int i = 0; i < n; i++) {
		int w = H * (6 + (int)htr_rng_below(&rng, 9));

		in[i].h = H;
		in[i].w = w;
		in[i].x = malloc((size_t)H * w * sizeof *in[i].x);
		for (long k = 0; k < (long)H * w; k++)
			in[i].x[k] = htr_rng_uniform(&rng) < 0.2f ? 1.0f : 0.0f;
		cols += w;
	}
	printf("network %s\n%d lines of height %d, mean width %ld\n", vgsl,
	    n, H, cols / n);
	/* warm up (allocations, OpenBLAS threads) */
	if (htr_recognize_run(out[0], m, in, n < 4 ? n : 4, batch))
		return fprintf(stderr, "%s\n", htr_errmsg()), 1;
	for (int i = 0; i < (n < 4 ? n : 4); i++)
		htr_recognize_out_free(&out[0][i]);
	for (int r = 0; r < 2; r++) {
		double t0 = htr_clock_seconds();

		if (htr_recognize_run(out[r], m, in, n, sizes[r]))
			return fprintf(stderr, "%s\n", htr_errmsg()), 1;
		secs[r] = htr_clock_seconds() - t0;
		printf("batch %3d: %.3f s, %.1f lines/s\n", sizes[r], secs[r],
		    n / secs[r]);
	}
	for (int i = 0; i < n; i++)
		for (long k = 0; k < (long)out[0][i].T * out[0][i].C; k++) {
			double d = fabs(out[0][i].lp[k] - out[1][i].lp[k]);
			if (d > maxd)
				maxd = d;
		}
	printf("speed-up of batch %d over batch 1: %.2fx; largest "
	    "log-probability difference %.3g\n", batch, secs[0] / secs[1],
	    maxd);
	for (int i = 0; i < n; i++) {
		htr_recognize_in_free(&in[i]);
		htr_recognize_out_free(&out[0][i]);
		htr_recognize_out_free(&out[1][i]);
	}
	free(in);
	free(out[0]);
	free(out[1]);
	htr_model_free(m);
	for (int c = 0; c < C; c++)
		free(alpha[c]);
	free(alpha);
	return 0;
}
