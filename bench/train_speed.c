/* train_speed.c — training throughput of SimpleHTR's network shape
 * (input 32x128; conv 5x5x32, 5x5x64, 3x3x128, 3x3x128, 3x3x256, each with
 * batch norm, ReLU and max pooling down to 1x32; two bidirectional LSTM
 * layers of 256; CTC over 80 classes; batch 50), next to OpenBLAS's own
 * sgemm speed measured in the same run, with a per-layer breakdown.
 *
 * usage: train_speed [steps [batch]]    (defaults 6 and 50) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "benchutil.h"
#include "clock.h"
#include "gemm.h"
#include "htr.h"
#include "net.h"
#include "rng.h"

static const char vgsl[] = "[1,32,128,1 Cl5,5,32 Bnr Mp2,2 Cl5,5,64 Bnr "
    "Mp2,2 Cl3,3,128 Bnr Mp2,1 Cl3,3,128 Bnr Mp2,1 Cl3,3,256 Bnr Mp2,1 "
    "Lbx256 Lbx256 O1c80]";

static double
cputime(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* GFLOP/s of htr_sgemm C[M][N] = A[M][K] B[K][N], best of a few runs. */
static double
sgemm_speed(int M, int N, int K, int ta, int tb)
{
	float *A = malloc((size_t)M * K * sizeof *A);
	float *B = malloc((size_t)K * N * sizeof *B);
	float *C = malloc((size_t)M * N * sizeof *C);
	double best = 1e30;

	for (size_t i = 0; i < (size_t)M * K; i++)
		A[i] = (float)(i % 7) * 0.1f;
	for (size_t i = 0; i < (size_t)K * N; i++)
		B[i] = (float)(i % 5) * 0.1f;
	for (int r = 0; r < 4; r++) {
		double t0 = htr_clock_seconds();
		htr_sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N);
		double t = htr_clock_seconds() - t0;
		if (r > 0 && t < best)
			best = t;
	}
	free(A), free(B), free(C);
	return 2.0 * M * N * K / best * 1e-9;
}

int
main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 6;
	int B = argc > 2 ? atoi(argv[2]) : 50, H = 32, W = 128;
	struct htr_rng rng;
	struct htr_adam adam;

	if (steps < 1 || B < 1) {
		fprintf(stderr, "usage: train_speed [steps [batch]]\n");
		return 2;
	}
	bench_machine();
	bench_loadavg("before");
	double peak = sgemm_speed(1024, 1024, 1024, 0, 0);
	printf("OpenBLAS sgemm 1024x1024x1024: %.1f GFLOP/s\n", peak);
	int nt = openblas_get_num_threads();
	double one = bench_sgemm_cpu_speed(1024);
	printf("OpenBLAS sgemm 1024x1024x1024, one thread, on CPU time (less "
	    "sensitive to other jobs than wall time): %.1f GFLOP/s\n", one);
	printf("OpenBLAS sgemm 64x51200x800 (conv2-like): %.1f GFLOP/s\n",
	    sgemm_speed(64, 51200, 800, 0, 0));
	printf("OpenBLAS sgemm 50x1024x256 (LSTM step): %.1f GFLOP/s\n",
	    sgemm_speed(B, 1024, 256, 0, 1));

	struct htr_net *net = htr_net_create(vgsl, 80, 1);
	if (!net) {
		fprintf(stderr, "train_speed: %s\n", htr_errmsg());
		return 1;
	}
	printf("network: %s, %zu parameters, batch %d\n", htr_net_vgsl(net),
	    htr_net_nparams(net), B);

	/* random ink and random words of 3 to 16 characters */
	htr_rng_seed(&rng, 1);
	float *x = malloc((size_t)B * H * W * sizeof *x);
	int *labels = malloc((size_t)B * 16 * sizeof *labels), llen[512];
	int nl = 0;
	for (size_t i = 0; i < (size_t)B * H * W; i++)
		x[i] = htr_rng_uniform(&rng) < 0.2f ? 1 : 0;
	for (int n = 0; n < B && n < 512; n++) {
		llen[n] = 3 + htr_rng_below(&rng, 14);
		for (int k = 0; k < llen[n]; k++)
			labels[nl++] = 1 + htr_rng_below(&rng, 79);
	}
	htr_adam_defaults(&adam);

	double tf = 0, tl = 0, tb = 0, ta = 0, loss = 0, cpu0 = 0;
	for (int s = -1; s < steps; s++) {
		if (s == 0) {
			htr_net_profile(net, 1);
			cpu0 = cputime();
		}
		double t0 = htr_clock_seconds();
		if (htr_net_forward(net, x, B, W, NULL, HTR_NET_TRAIN) < 0) {
			fprintf(stderr, "train_speed: %s\n", htr_errmsg());
			return 1;
		}
		double t1 = htr_clock_seconds();
		loss = htr_net_loss_ctc(net, labels, llen, NULL, NULL);
		double t2 = htr_clock_seconds();
		htr_net_zero_grad(net);
		htr_net_backward(net);
		double t3 = htr_clock_seconds();
		htr_net_adam_step(net, &adam);
		double t4 = htr_clock_seconds();
		if (s >= 0)
			tf += t1 - t0, tl += t2 - t1, tb += t3 - t2, ta += t4 - t3;
	}
	double total = tf + tl + tb + ta, cpu = cputime() - cpu0;

	printf("\n%-12s %9s %9s %9s %9s %9s %8s %8s\n", "layer", "fwd ms",
	    "fwd cpu", "bwd ms", "bwd cpu", "GFLOP", "fwd GF/s", "bwd GF/s");
	double flops = 0;
	for (int i = 0; i < htr_net_nlayers(net); i++) {
		struct htr_net_layer_info li;
		htr_net_layer_info(net, i, &li);
		/* backward: weight and input gradients, twice the forward;
		 * the first layer computes no input gradient */
		double bf = i == 0 ? li.flops : 2 * li.flops;
		flops += li.flops + bf;
		printf("%-12s %9.1f %9.1f %9.1f %9.1f %9.2f %8.1f %8.1f\n",
		    li.tok, li.fwd_s / steps * 1e3, li.fwd_cpu / steps * 1e3,
		    li.bwd_s / steps * 1e3, li.bwd_cpu / steps * 1e3,
		    (li.flops + bf) * 1e-9,
		    li.fwd_s > 0 ? li.flops * steps / li.fwd_s * 1e-9 : 0,
		    li.bwd_s > 0 ? bf * steps / li.bwd_s * 1e-9 : 0);
	}
	printf("%-12s %9.1f %9s %9.1f\n", "CTC loss", tl / steps * 1e3, "",
	    0.0);
	printf("%-12s %9.1f %9s %9.1f\n", "Adam", ta / steps * 1e3, "", 0.0);
	printf("\nper step (batch %d): forward %.0f ms, loss %.0f ms, backward "
	    "%.0f ms, Adam %.0f ms, total %.0f ms (loss %.2f)\n", B,
	    tf / steps * 1e3, tl / steps * 1e3, tb / steps * 1e3,
	    ta / steps * 1e3, total / steps * 1e3, loss);
	printf("training: %.1f samples/s, %.1f GFLOP/s achieved "
	    "(%.1f GFLOP per step) = %.0f%% of sgemm 1024^3\n",
	    B * steps / total, flops * steps / total * 1e-9, flops * 1e-9,
	    100 * flops * steps / total * 1e-9 / peak);
	printf("CPU time: %.2f s per step over all threads (%.0f%% of %d "
	    "threads busy; other jobs on the machine lower this)\n",
	    cpu / steps, 100 * cpu / total / openblas_get_num_threads(),
	    openblas_get_num_threads());
	printf("samples per CPU-second: %.1f (the work done, less skewed by "
	    "the load than samples/s)\n", B * steps / cpu);
	printf("bound: %.1f GFLOP per step at %d x %.1f GFLOP/s (one thread's "
	    "sgemm 1024^3 on CPU time, this run), with nothing but sgemm and "
	    "no overhead: at most %.1f samples/s\n", flops * 1e-9, nt, one,
	    B * nt * one / (flops * 1e-9));
	printf("issue #3's target of 70 samples/s would need %.0f GFLOP/s "
	    "sustained: %s\n", 70 * flops * 1e-9 / B,
	    70 * flops * 1e-9 / B > nt * one ? "more than sgemm alone reaches "
	    "on these cores" : "within sgemm's reach on these cores");
	printf("PyTorch 1.13 on the same shape (figure from the brief, 2-core "
	    "machine): 23.5 samples/s\n");
	bench_loadavg("after");
	htr_net_free(net);
	free(x);
	free(labels);
	return 0;
}
