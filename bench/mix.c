/* mix — best-path CER of two line models' outputs mixed, for deciding
 * whether an ensemble is worth building into htr.
 *
 *	mix TRUTH.tsv A.t B.t [W ...]
 *
 * A.t and B.t are htr-crnn's output streams (an alphabet record, then one
 * kind=logprob record per line) of two models with the same alphabet over
 * the same lines, in the order of TRUTH.tsv (path<TAB>text per line; only
 * the text is used).  For each weight W (default 1 0.8 0.7 0.6 0.5 0) the
 * log-probabilities W a + (1 - W) b of every line are decoded by best path
 * and scored against the truth: one row "W CER WER exact" each.  W 1 is A
 * alone, W 0 is B alone.  bench/ensemble.sh runs it on the valid sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "alphabet.h"
#include "decode.h"
#include "metrics.h"
#include "recognize.h"
#include "tensor.h"

struct stream {
	struct htr_tensor alpha;     /* the first alphabet record */
	struct htr_tensor *lp;       /* the logprob records */
	int n, cap;
};

static void
die(const char *what)
{
	fprintf(stderr, "mix: %s: %s\n", what, htr_errmsg());
	exit(1);
}

/* Reads every record of path: the first alphabet (later ones, as
 * several htr-crnn runs write, must equal it) and the logprobs. */
static void
load(struct stream *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct htr_tensor t;
	int r, have = 0;

	memset(s, 0, sizeof *s);
	if (!f) {
		perror(path);
		exit(1);
	}
	while ((r = htr_tensor_read(f, &t)) == 1) {
		if (htr_tensor_is(&t, "alphabet")) {
			if (!have)
				s->alpha = t, have = 1;
			else {
				if (t.dim[0] != s->alpha.dim[0] || memcmp(t.data,
				    s->alpha.data, (size_t)t.dim[0])) {
					fprintf(stderr, "mix: %s: two different "
					    "alphabets\n", path);
					exit(1);
				}
				htr_tensor_free(&t);
			}
			continue;
		}
		if (!htr_tensor_is(&t, "logprob") || t.rank != 2) {
			fprintf(stderr, "mix: %s: record %d is not a [T][C] "
			    "logprob\n", path, s->n);
			exit(1);
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			if (!(s->lp = realloc(s->lp, s->cap * sizeof *s->lp)))
				die("out of memory");
		}
		s->lp[s->n++] = t;
	}
	if (r < 0)
		die(path);
	if (!have) {
		fprintf(stderr, "mix: %s: no alphabet record\n", path);
		exit(1);
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const double defw[] = {1, 0.8, 0.7, 0.6, 0.5, 0};
	struct stream a, b;
	struct htr_alphabet al;
	char **truth = NULL, *line = NULL;
	size_t cap = 0;
	int nt = 0;
	FILE *f;

	if (argc < 4) {
		fprintf(stderr, "usage: mix TRUTH.tsv A.t B.t [W ...]\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, f) > 0) {
		char *tab = strchr(line, '\t');
		line[strcspn(line, "\n")] = 0;
		if (!tab) {
			fprintf(stderr, "mix: %s: line %d: no tab\n", argv[1],
			    nt + 1);
			return 1;
		}
		if (!(truth = realloc(truth, (nt + 1) * sizeof *truth)) ||
		    !(truth[nt++] = strdup(tab + 1)))
			die("out of memory");
	}
	fclose(f);
	load(&a, argv[2]);
	load(&b, argv[3]);
	if (a.n != nt || b.n != nt) {
		fprintf(stderr, "mix: %d truth lines, %d and %d logprob "
		    "records\n", nt, a.n, b.n);
		return 1;
	}
	if (a.alpha.dim[0] != b.alpha.dim[0] || memcmp(a.alpha.data,
	    b.alpha.data, (size_t)a.alpha.dim[0])) {
		fprintf(stderr, "mix: the two models' alphabets differ\n");
		return 1;
	}
	if (htr_alphabet_from_tensor(&al, &a.alpha))
		die(argv[2]);
	int nw = argc > 4 ? argc - 4 : (int)(sizeof defw / sizeof *defw);
	printf("W\tCER\tWER\texact\n");
	for (int j = 0; j < nw; j++) {
		double w = argc > 4 ? atof(argv[4 + j]) : defw[j];
		struct htr_metrics m;
		htr_metrics_init(&m);
		for (int i = 0; i < nt; i++) {
			const struct htr_tensor *x = &a.lp[i], *y = &b.lp[i];
			const float *xa = x->data, *ya = y->data;
			int T = x->dim[0], C = x->dim[1];
			struct htr_decoded d;
			size_t len = 1;
			float *mx;
			char *hyp;
			if (y->dim[0] != T || y->dim[1] != C || C != al.n) {
				fprintf(stderr, "mix: line %d: %dx%d and %dx%d "
				    "frames\n", i + 1, T, C, y->dim[0],
				    y->dim[1]);
				return 1;
			}
			if (!(mx = malloc((size_t)T * C * sizeof *mx)))
				die("out of memory");
			memcpy(mx, xa, (size_t)T * C * sizeof *mx);
			htr_recognize_mix_frames(mx, ya, (size_t)T * C, w);
			if (htr_decode_bestpath(&d, mx, T, C))
				die("decode");
			for (int k = 0; k < d.n; k++)
				len += strlen(al.sym[d.label[k]]);
			if (!(hyp = malloc(len)))
				die("out of memory");
			hyp[0] = 0;
			for (int k = 0; k < d.n; k++)
				strcat(hyp, al.sym[d.label[k]]);
			if (htr_metrics_add(&m, truth[i], hyp))
				die("metrics");
			free(hyp);
			free(mx);
			htr_decoded_free(&d);
		}
		printf("%.2f\t%.2f%%\t%.2f%%\t%ld/%ld\n", w,
		    100 * htr_metrics_cer(&m), 100 * htr_metrics_wer(&m),
		    m.correct, m.samples);
	}
	return 0;
}
