/* pagespeed.c — where the time of `htr page.jpg` goes: reading the image
 * (JPEG decoding), preprocessing, segmentation, recognition (and within
 * it every layer of the network) and decoding, in CPU seconds (all
 * threads; what a busy machine cannot blur) and wall seconds, per page
 * and in the mean over the pages.
 *
 *	build/bench/pagespeed [-m model.htrm] [-threads N] [-batch N]
 *	    [-repeat N] [-serial] [-quiet] page ...
 *
 * It runs lib/pipeline exactly as htr(1) does (the default line model
 * unless -m, best path decoding, htr's -min-conf and -doubt-conf: the
 * lines htr-segment's layout rules drop are read too).  -threads sets
 * OpenBLAS's threads (and with them htr's), default: OpenBLAS's own;
 * -batch the crops per forward pass (1: one line at a time); -serial
 * runs the batches one after the other (each sgemm on all OpenBLAS
 * threads: the code path before batches ran on threads of their own);
 * -repeat runs every page N times and keeps each stage's fastest run;
 * -quiet prints the means only.  The means are over all pages and over
 * the pages of 20 lines read or more (the size of a full page of
 * handwriting).  The
 * text of each page goes to stdout as "text<TAB>name<TAB>line | line ..."
 * lines so that two runs can be compared. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "htr.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "pipeline.h"

#define NSTAGE 6
#define BIG    20      /* lines of a full page, for the second mean */

static const char *const stage[NSTAGE] = { "read", "prep", "segment",
	"recognize", "decode", "total" };

static void
usage(void)
{
	fprintf(stderr, "usage: pagespeed [-m model.htrm] [-threads N] "
	    "[-batch N] [-repeat N] [-serial] [-quiet] page ...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct htr_pipeline_opts o;
	struct htr_pipeline *p;
	struct htr_net *net;
	double sum[2][NSTAGE] = { { 0 } }, big[2] = { 0, 0 };
	int nbig = 0;
	long bigl = 0;
	int threads = 0, repeat = 1, quiet = 0, npage = 0, nl;
	long lines = 0;
	int a;

	htr_pipeline_defaults(&o);
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-m") && a + 1 < argc)
			o.model = argv[++a];
		else if (!strcmp(argv[a], "-threads") && a + 1 < argc)
			threads = atoi(argv[++a]);
		else if (!strcmp(argv[a], "-batch") && a + 1 < argc)
			o.batch = atoi(argv[++a]);
		else if (!strcmp(argv[a], "-repeat") && a + 1 < argc)
			repeat = atoi(argv[++a]);
		else if (!strcmp(argv[a], "-serial"))
			o.batch_threads = 0;
		else if (!strcmp(argv[a], "-quiet"))
			quiet = 1;
		else
			usage();
	}
	if (a == argc || repeat < 1 || o.batch < 1 || threads < 0)
		usage();
	if (threads > 0)
		openblas_set_num_threads(threads);
	o.argv0 = argv[0];
	o.min_conf = HTR_PAGE_MIN_CONF;
	o.doubt_conf = HTR_PAGE_DOUBT_CONF;
	if (!(p = htr_pipeline_new(&o))) {
		fprintf(stderr, "pagespeed: %s\n", htr_errmsg());
		return 1;
	}
	net = htr_pipeline_model(p)->net;
	htr_net_profile(net, 1);
	nl = htr_net_nlayers(net);
	printf("pagespeed: %d OpenBLAS threads, batch %d %s, %d run%s per "
	    "page (fastest kept)\n", openblas_get_num_threads(), o.batch,
	    o.batch_threads ? "(batches on threads)" : "(one after the other)",
	    repeat, repeat > 1 ? "s" : "");
	if (!quiet)
		printf("%-40s %5s  %-6s %-6s %-7s %-9s %-6s %-6s (CPU s; "
		    "wall s in the next row)\n", "page", "lines", stage[0],
		    stage[1], stage[2], stage[3], stage[4], stage[5]);
	for (; a < argc; a++) {
		double best[2][NSTAGE];
		struct htr_transcript tr;
		struct htr_pipeline_info info;
		const char *base = strrchr(argv[a], '/');

		base = base ? base + 1 : argv[a];
		for (int k = 0; k < 2; k++)
			for (int s = 0; s < NSTAGE; s++)
				best[k][s] = 1e30;
		for (int r = 0; r < repeat; r++) {
			double t0 = htr_clock_seconds(), c0 = htr_clock_cpu_seconds();
			double v[2][NSTAGE];
			struct htr_image im;
			FILE *f = fopen(argv[a], "rb");

			if (!f || htr_image_read(f, &im) != 1) {
				fprintf(stderr, "pagespeed: %s: %s\n", argv[a],
				    f ? htr_errmsg() : "cannot open");
				return 1;
			}
			fclose(f);
			v[0][0] = htr_clock_cpu_seconds() - c0;
			v[1][0] = htr_clock_seconds() - t0;
			htr_transcript_init(&tr);
			if (htr_pipeline_add(p, &tr, &im, base, 0, &info)) {
				fprintf(stderr, "pagespeed: %s: %s\n", argv[a],
				    htr_errmsg());
				return 1;
			}
			htr_image_free(&im);
			v[0][1] = info.c_prep, v[1][1] = info.t_prep;
			v[0][2] = info.c_segment, v[1][2] = info.t_segment;
			v[0][3] = info.c_recognize, v[1][3] = info.t_recognize;
			v[0][4] = info.c_decode, v[1][4] = info.t_decode;
			v[0][5] = v[0][0] + info.c_total;
			v[1][5] = v[1][0] + info.t_total;
			for (int k = 0; k < 2; k++)
				for (int s = 0; s < NSTAGE; s++)
					if (v[k][s] < best[k][s])
						best[k][s] = v[k][s];
			if (r + 1 < repeat)
				htr_transcript_free(&tr);
		}
		printf("text\t%s\t", base);
		for (long i = 0; i < tr.nline; i++)
			printf("%s%s", i ? " | " : "", tr.line[i].text);
		printf("\n");
		lines += info.nline;   /* lines read, kept or not */
		if (info.nline >= BIG) {
			nbig++;
			bigl += info.nline;
			big[0] += best[0][NSTAGE - 1];
			big[1] += best[1][NSTAGE - 1];
		}
		htr_transcript_free(&tr);
		for (int k = 0; k < 2; k++) {
			if (!quiet) {
				if (k == 0)
					printf("%-40.40s %5d ", base, info.nline);
				else
					printf("%-40s %5s ", "", "wall");
				for (int s = 0; s < NSTAGE; s++)
					printf(" %-*.3f", s == 3 ? 9 : s == 2 ?
					    7 : 6, best[k][s]);
				printf("\n");
			}
			for (int s = 0; s < NSTAGE; s++)
				sum[k][s] += best[k][s];
		}
		npage++;
	}
	printf("mean of %d pages (%.1f lines):", npage, (double)lines / npage);
	for (int k = 0; k < 2; k++) {
		printf("%s", k ? "\n    wall s:" : "\n    CPU s: ");
		for (int s = 0; s < NSTAGE; s++)
			printf(" %s %.3f", stage[s], sum[k][s] / npage);
	}
	printf("\n");
	if (nbig)
		printf("pages of %d lines or more: %d (%.1f lines), whole job "
		    "%.3f s CPU, %.3f s wall per page\n", BIG, nbig,
		    (double)bigl / nbig, big[0] / nbig, big[1] / nbig);
	printf("network layers, forward, mean per page (CPU s / wall s; all "
	    "runs; with batches on threads the first thread's layers, "
	    "CPU of all threads):\n");
	for (int i = 0; i < nl; i++) {
		struct htr_net_layer_info li;

		htr_net_layer_info(net, i, &li);
		printf("    %-12s %.3f / %.3f\n", li.tok,
		    li.fwd_cpu / npage / repeat, li.fwd_s / npage / repeat);
	}
	htr_pipeline_free(p);
	return 0;
}
