/* benchutil.h — what the training benchmarks print about the machine
 * they ran on: the CPU, the load, and one core's sgemm speed as the
 * baseline measured in the same run.  Header only (each bench C file is a
 * program of its own); the functions are static inline, so a benchmark
 * that uses only some of them compiles without warnings. */
#ifndef HTR_BENCHUTIL_H
#define HTR_BENCHUTIL_H

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "gemm.h"

/* Prints "load average <when>: " and /proc/loadavg (other jobs skew the
 * figures). */
static inline void
bench_loadavg(const char *when)
{
	char buf[128] = "?\n";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof buf, f))
			strcpy(buf, "?\n");
		fclose(f);
	}
	printf("load average %s: %s", when, buf);
}

/* Prints the CPU model, the cores online and OpenBLAS's threads and
 * build. */
static inline void
bench_machine(void)
{
	char line[256], model[256] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');
				snprintf(model, sizeof model, "%s", p ? p + 2 : line);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	printf("machine: %s, %ld cores online, OpenBLAS %d threads (%s)\n",
	    model, sysconf(_SC_NPROCESSORS_ONLN), openblas_get_num_threads(),
	    openblas_get_config());
}

/* GFLOP/s of one thread's sgemm n^3 on CPU time (best of 3 after a
 * warm-up): what a core gives, less skewed by other jobs than wall time
 * (a busy sibling hyperthread still lowers it). */
static inline double
bench_sgemm_cpu_speed(int n)
{
	int nt = openblas_get_num_threads();
	float *a = malloc((size_t)n * n * sizeof *a);
	float *c = malloc((size_t)n * n * sizeof *c);
	double best = 1e30;

	for (size_t i = 0; i < (size_t)n * n; i++)
		a[i] = (float)(i % 7) * 0.1f;
	openblas_set_num_threads(1);
	for (int r = 0; r < 4; r++) {
		double t0 = htr_clock_cpu_seconds();
		htr_sgemm(0, 0, n, n, n, 1, a, n, a, n, 0, c, n);
		double t = htr_clock_cpu_seconds() - t0;
		if (r > 0 && t < best)
			best = t;
	}
	openblas_set_num_threads(nt);
	free(a), free(c);
	return 2.0 * n * n * n / best * 1e-9;
}

#endif
