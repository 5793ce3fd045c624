/* train_lines.c — training throughput, in lines/s, of a line recognizer on
 * real handwritten lines, with the recipe's batch and augmentation
 * (models/recipes/line.sh), and where the time goes: building the batch
 * (augmentation), forward and backward per layer, CTC loss, Adam; then
 * inference speed (what validation costs).  The step is htr_train's: with
 * more than one OpenBLAS thread, the batch is built in slices, one per
 * thread (htr_set_batch_par), then cut into parts, one per thread, each on
 * a replica of the network (dp.h).  The PNG decoding and scaling
 * happen once, before the first step (htr_set_prepare), and are timed on
 * their own.
 *
 * usage: train_lines manifest.tsv net.vgsl [steps [batch]]
 *        (defaults 24 steps of 16 lines; the net file may hold # comments) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "benchutil.h"
#include "clock.h"
#include "dataset.h"
#include "dp.h"
#include "htr.h"
#include "labels.h"
#include "net.h"
#include "rng.h"
#include "trainer.h"

/* The VGSL text of a file: # comment lines dropped, lines joined. */
static char *
read_vgsl(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], *s = calloc(1, 65536);
	size_t n = 0;

	if (!f || !s) {
		free(s);
		if (f)
			fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\r\n")] = 0;
		n += snprintf(s + n, 65536 - n, "%s ", line);
		if (n >= 65000)
			break;
	}
	fclose(f);
	return s;
}

int
main(int argc, char **argv)
{
	struct htr_dataset ds;
	struct htr_alphabet alpha;
	struct htr_set set;
	struct htr_augment aug;
	struct htr_rng rng, arng;
	struct htr_adam adam;

	if (argc < 3) {
		fprintf(stderr, "usage: train_lines manifest.tsv net.vgsl "
		    "[steps [batch]]\n");
		return 2;
	}
	int steps = argc > 3 ? atoi(argv[3]) : 24;
	int B = argc > 4 ? atoi(argv[4]) : 16;
	char *vgsl = read_vgsl(argv[2]);
	if (steps < 1 || B < 1 || !vgsl) {
		fprintf(stderr, "train_lines: bad arguments or %s unreadable\n",
		    argv[2]);
		return 2;
	}
	bench_machine();
	bench_loadavg("before");
	double peak = bench_sgemm_cpu_speed(1024);

	double t0 = htr_clock_seconds();
	htr_dataset_init(&ds);
	if (htr_dataset_add_tsv(&ds, argv[1]) || htr_labels_alphabet(&alpha,
	    &ds)) {
		fprintf(stderr, "train_lines: %s\n", htr_errmsg());
		return 1;
	}
	struct htr_net *net = htr_net_create(vgsl, alpha.n, 1);
	if (!net || htr_set_prepare(&set, &ds, net, &alpha, 1)) {
		fprintf(stderr, "train_lines: %s\n", htr_errmsg());
		return 1;
	}
	double tprep = htr_clock_seconds() - t0;
	if (set.n < (long)B * steps) {
		fprintf(stderr, "train_lines: %ld lines, need %ld\n", set.n,
		    (long)B * steps);
		return 1;
	}
	long wsum = 0;
	int wmax = 0;
	for (long i = 0; i < set.n; i++) {
		wsum += set.width[i];
		wmax = set.width[i] > wmax ? set.width[i] : wmax;
	}
	printf("network: %s, %zu parameters, %d classes, batch %d\n",
	    htr_net_vgsl(net), htr_net_nparams(net), alpha.n, B);
	printf("data: %ld lines of %s at height %d, mean width %.0f, max %d; "
	    "read+decode+scale %.2f s (%.0f lines/s, once per run)\n", set.n,
	    argv[1], htr_net_input_height(net), (double)wsum / set.n, wmax,
	    tprep, set.n / tprep);

	/* the recipe's augmentation (models/recipes/line.sh) */
	memset(&aug, 0, sizeof aug);
	aug.scale = 0.1f, aug.rotate = 1.5f, aug.shear = 0.3f;
	aug.translate = 0.03f, aug.elastic = 1, aug.clean = 0.3f;
	htr_rng_seed(&rng, 7);
	htr_rng_seed(&arng, 8);
	htr_adam_defaults(&adam);
	adam.clip = 5;

	/* the trainer's batch order, less the short batch where B does not
	 * divide the lines: step s takes order[s * B ...] */
	long *order = malloc(set.n * sizeof *order);
	long *start = malloc((set.n / B + 1) * sizeof *start);
	if (!order || !start ||
	    htr_set_epoch_order(order, start, &set, B, 1, &rng) < 0)
		goto fail;
	int H = htr_net_input_height(net);
	float *x = malloc((size_t)B * H * (wmax + 1) * sizeof *x);
	int *widths = malloc(B * sizeof *widths);
	int *lens = malloc(B * sizeof *lens), *labels = NULL;
	int nt = openblas_get_num_threads();
	if (nt > HTR_DP_MAXTHREADS)
		nt = HTR_DP_MAXTHREADS;
	struct htr_dp *dp = htr_dp_create(net, nt);
	if (!x || !widths || !lens || !dp)
		goto fail;
	int P = htr_dp_parts(dp, B);
	double tbat = 0, tf = 0, tl = 0, tb = 0, ta = 0, cpu = 0, loss = 0;
	/* parts: layer seconds so far of each, and the slowest's per step */
	double pdone[HTR_DP_MAXTHREADS] = { 0 }, pslow = 0, pall = 0;
	double cb[5] = { 0 }, cc[6];
	long cols = 0, used = 0, lines = 0, ow[64] = { 0 };
	double fl[64] = { 0 };
	/* warm-up step on the widest batch of the run: the activation
	 * arenas then have their final size, as they soon do in training */
	int widest = 0;
	for (int s = 0, wm = 0; s < steps; s++) {
		int w = htr_set_batch_width(&set, order + (long)s * B, B);
		if (w > wm)
			wm = w, widest = s;
	}
	for (int s = -1; s < steps; s++) {
		long *idx = order + (long)(s < 0 ? widest : s) * B;
		if (s == 0) {
			for (int k = 0; k < P; k++)
				htr_net_profile(htr_dp_replica(dp, k), 1);
			cpu = htr_clock_cpu_seconds();
		}
		double a0 = htr_clock_seconds();
		cc[0] = htr_clock_cpu_seconds();
		int W = htr_set_batch_width(&set, idx, B), nlab = 0;
		if (htr_set_batch_par(x, widths, &set, idx, B, W, H, &aug, &arng,
		    nt < HTR_SET_MAXSLICES ? nt : HTR_SET_MAXSLICES) < 0)
			goto fail;
		double a1 = htr_clock_seconds();
		cc[1] = htr_clock_cpu_seconds();
		if (htr_dp_forward(dp, x, B, W, widths, HTR_NET_TRAIN) < 0)
			goto fail;
		double a2 = htr_clock_seconds();
		cc[2] = htr_clock_cpu_seconds();
		for (int n = 0; n < B; n++)
			nlab += set.label_len[idx[n]];
		free(labels);
		labels = malloc((nlab + 1) * sizeof *labels);
		nlab = 0;
		for (int n = 0; n < B; n++) {
			lens[n] = set.label_len[idx[n]];
			memcpy(labels + nlab, set.labels + set.label_off[idx[n]],
			    lens[n] * sizeof *labels);
			nlab += lens[n];
		}
		loss = htr_dp_loss_ctc(dp, labels, lens, NULL, NULL);
		double a3 = htr_clock_seconds();
		cc[3] = htr_clock_cpu_seconds();
		if (loss < 0 || htr_dp_backward(dp))
			goto fail;
		double a4 = htr_clock_seconds();
		cc[4] = htr_clock_cpu_seconds();
		if (htr_net_adam_step(net, &adam) < 0)
			goto fail;
		double a5 = htr_clock_seconds();
		cc[5] = htr_clock_cpu_seconds();
		if (s < 0)
			continue;
		tbat += a1 - a0, tf += a2 - a1, tl += a3 - a2, tb += a4 - a3;
		ta += a5 - a4;
		for (int k = 0; k < 5; k++)
			cb[k] += cc[k + 1] - cc[k];
		for (int i = 0; i < htr_net_nlayers(net) && i < 64; i++)
			for (int k = 0; k < P; k++) {
				struct htr_net_layer_info li;
				htr_net_layer_info(htr_dp_replica(dp, k), i, &li);
				fl[i] += li.flops;
				ow[i] += k == 0 ? li.out_w : 0;
			}
		double tmax = 0;
		for (int k = 0; k < P; k++) {
			double t = 0;
			for (int i = 0; i < htr_net_nlayers(net); i++) {
				struct htr_net_layer_info li;
				htr_net_layer_info(htr_dp_replica(dp, k), i, &li);
				t += li.fwd_s + li.bwd_s;
			}
			tmax = t - pdone[k] > tmax ? t - pdone[k] : tmax;
			pall += t - pdone[k];
			pdone[k] = t;
		}
		pslow += tmax;
		lines += B;
		cols += (long)B * W;
		for (int n = 0; n < B; n++)
			used += widths[n];
	}
	cpu = htr_clock_cpu_seconds() - cpu;
	double total = tbat + tf + tl + tb + ta;

	double flops = 0;
	printf("\nper layer, ms per step (wall / CPU of all threads) and "
	    "GFLOP/s on CPU time:\n");
	if (P > 1)
		printf("  (%d parts of the batch at once, one thread each: wall "
		    "is part 0's, CPU the parts' threads together; out w of "
		    "part 0)\n", P);
	printf("%-12s %15s %15s %7s %8s %8s\n", "layer", "forward",
	    "backward", "out w", "fwd GF/s", "bwd GF/s");
	for (int i = 0; i < htr_net_nlayers(net) && i < 64; i++) {
		struct htr_net_layer_info li;
		htr_net_layer_info(net, i, &li);
		if (P > 1) {
			/* each part's wall time is its thread's; the process
			 * CPU clock would count the other parts too */
			li.fwd_cpu = li.bwd_cpu = 0;
			for (int k = 0; k < P; k++) {
				struct htr_net_layer_info lk;
				htr_net_layer_info(htr_dp_replica(dp, k), i, &lk);
				li.fwd_cpu += lk.fwd_s;
				li.bwd_cpu += lk.bwd_s;
			}
		}
		double bf = (i ? 2 : 1) * fl[i];   /* layer 0: no input grad */
		flops += fl[i] + bf;
		printf("%-12s %7.1f /%6.1f %7.1f /%6.1f %7.0f", li.tok,
		    li.fwd_s / steps * 1e3, li.fwd_cpu / steps * 1e3,
		    li.bwd_s / steps * 1e3, li.bwd_cpu / steps * 1e3,
		    (double)ow[i] / steps);
		if (fl[i] > 0)
			printf(" %8.1f %8.1f", fl[i] / li.fwd_cpu * 1e-9,
			    bf / li.bwd_cpu * 1e-9);
		printf("\n");
	}
	static const char *ph[5] = { "batch+augment", "forward", "CTC loss",
	    "backward", "Adam" };
	double tw[5] = { tbat, tf, tl, tb, ta };
	printf("\nper step (batch %d, mean padded width %.0f, %.1f%% of the "
	    "columns are padding), ms wall / CPU:\n", B,
	    (double)cols / B / steps, 100.0 * (cols - used) / cols);
	if (nt > 1)
		printf("  (batch+augment in %d slices at once, one per thread)\n",
		    nt < HTR_SET_MAXSLICES ? nt : HTR_SET_MAXSLICES);
	for (int k = 0; k < 5; k++)
		printf("  %-14s %7.1f / %7.1f  (%4.1f%% of the CPU time)\n",
		    ph[k], tw[k] / steps * 1e3, cb[k] / steps * 1e3,
		    100 * cb[k] / cpu);
	printf("  %-14s %7.1f / %7.1f\n", "total", total / steps * 1e3,
	    cpu / steps * 1e3);
	printf("training: %.1f lines/s with %d thread(s) (wall; loss %.2f); "
	    "%.1f lines per CPU-second\n", lines / total, nt, loss,
	    lines / cpu);
	if (P > 1)
		printf("  (the batch of %d in %d parts, one per thread, each on "
		    "a replica of the network: dp.h; in the layers the slowest "
		    "part takes %.1f ms per step, the mean one %.1f)\n", B, P,
		    pslow / steps * 1e3, pall / P / steps * 1e3);
	printf("work: %.1f GFLOP per step (sgemm), %.1f GFLOP/s achieved on "
	    "CPU time\n", flops / steps * 1e-9, flops / cpu * 1e-9);
	printf("bound: at %.1f GFLOP/s per thread (sgemm 1024^3, this run) "
	    "on %d thread(s) with nothing but sgemm, %.1f lines/s\n", peak, nt,
	    lines / (flops / (peak * 1e9 * nt)));
	printf("issue #5's target of 40 lines/s would need %.0f GFLOP/s "
	    "sustained for this network: %s\n", 40 * flops * 1e-9 / lines,
	    40 * flops * 1e-9 / lines > 2 * peak ? "more than sgemm alone "
	    "reaches on 2 cores" : "within sgemm's reach on 2 cores");

	/* inference over the same lines: what validation costs */
	for (int k = 0; k < P; k++)
		htr_net_profile(htr_dp_replica(dp, k), 0);
	struct htr_set sub = set;
	sub.n = (long)B * 8;
	struct htr_net *nets[HTR_DP_MAXTHREADS];
	int nn = htr_dp_sync(dp);
	for (int k = 0; k < nn; k++)
		nets[k] = htr_dp_replica(dp, k);
	double e0 = htr_clock_seconds();
	if (htr_evaluate_nets(nets, nn, alpha.sym, &sub, B, NULL, NULL))
		goto fail;
	double te = htr_clock_seconds() - e0;
	printf("inference (validation as htr-train runs it, %d cop%s of the "
	    "network, a batch each at once): %.1f lines/s\n", nn,
	    nn > 1 ? "ies" : "y", sub.n / te);
	printf("PyTorch 1.13, similar CRNN, same machine (issue #5): about "
	    "4 lines/s training\n");
	bench_loadavg("after");

	htr_set_free(&set);
	htr_dp_free(dp);
	htr_net_free(net);
	htr_alphabet_free(&alpha);
	htr_dataset_free(&ds);
	free(order), free(start), free(lens), free(labels);
	free(x), free(widths);
	free(vgsl);
	return 0;
fail:
	fprintf(stderr, "train_lines: %s\n", htr_errmsg());
	return 1;
}
