/* decode.c — time and accuracy of every decoder on real network outputs.
 *
 * usage: build/bench/decode DIR [EXTRA_CORPUS]
 * DIR holds chars.txt, corpus.txt, wordChars.txt and mat_N.csv / gt_N.txt
 * (a CTCWordBeamSearch data folder: blank last, unnormalised values).
 * Prints, per decoder, the mean time per line, its ratio to best path
 * (the baseline, timed in the same run) and the character error rate
 * over the lines.  EXTRA_CORPUS, if given, is appended to corpus.txt for
 * a larger dictionary and LM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "clock.h"
#include "decode.h"
#include "htr.h"
#include "lm.h"
#include "tensor.h"
#include "wordlm.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return NULL;
	do {
		if (n + 1 >= cap)
			buf = realloc(buf, cap = 2 * cap + 65536);
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Levenshtein distance between two byte strings (ASCII data). */
static int
edits(const char *a, const char *b)
{
	int na = (int)strlen(a), nb = (int)strlen(b);
	int *row = malloc((size_t)(nb + 1) * sizeof *row);

	for (int j = 0; j <= nb; j++)
		row[j] = j;
	for (int i = 1; i <= na; i++) {
		int diag = row[0];
		row[0] = i;
		for (int j = 1; j <= nb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	int d = row[nb];
	free(row);
	return d;
}

#define MAXLINES 16

int
main(int argc, char **argv)
{
	char path[4096], *chars, *corpus, *wc, *gt[MAXLINES];
	size_t clen, colen, wlen, glen;
	struct htr_alphabet a;
	struct htr_tensor m[MAXLINES];
	struct htr_wordlm wlm;
	struct htr_charlm lm;
	int nline = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: decode DIR [EXTRA_CORPUS]\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/chars.txt", argv[1]);
	if (!(chars = slurp(path, &clen))) {
		fprintf(stderr, "decode: cannot read %s (set HTR_DATA)\n", path);
		return 1;
	}
	if (htr_alphabet_from_chars(&a, chars, clen)) {
		fprintf(stderr, "decode: %s: %s\n", path, htr_errmsg());
		return 1;
	}
	snprintf(path, sizeof path, "%s/corpus.txt", argv[1]);
	if (!(corpus = slurp(path, &colen))) {
		fprintf(stderr, "decode: cannot read %s\n", path);
		return 1;
	}
	if (argc > 2) {
		size_t elen;
		char *extra = slurp(argv[2], &elen);
		if (!extra) {
			fprintf(stderr, "decode: cannot read %s\n", argv[2]);
			return 1;
		}
		corpus = realloc(corpus, colen + elen + 2);
		corpus[colen++] = '\n';
		memcpy(corpus + colen, extra, elen + 1);
		colen += elen;
		free(extra);
	}
	snprintf(path, sizeof path, "%s/wordChars.txt", argv[1]);
	if (!(wc = slurp(path, &wlen))) {
		fprintf(stderr, "decode: cannot read %s\n", path);
		return 1;
	}
	while (wlen && (wc[wlen - 1] == '\n' || wc[wlen - 1] == '\r'))
		wc[--wlen] = 0;
	for (int i = 0; i < MAXLINES; i++) {
		FILE *f;
		snprintf(path, sizeof path, "%s/mat_%d.csv", argv[1], i);
		if (!(f = fopen(path, "rb")))
			break;
		if (htr_tensor_read_csv(f, &m[nline]) ||
		    m[nline].dim[1] != a.n ||
		    htr_decode_normalize(m[nline].data, m[nline].dim[0], a.n,
		    HTR_VALUES_LOGIT, 1)) {
			fprintf(stderr, "decode: %s: bad matrix\n", path);
			return 1;
		}
		fclose(f);
		snprintf(path, sizeof path, "%s/gt_%d.txt", argv[1], i);
		gt[nline] = slurp(path, &glen);
		if (!gt[nline])
			gt[nline] = calloc(1, 1);
		while (glen && gt[nline][glen - 1] == '\n')
			gt[nline][--glen] = 0;
		nline++;
	}
	if (htr_wordlm_build(&wlm, corpus, colen, wc, wlen, &a, 0.01) ||
	    htr_charlm_build(&lm, corpus, colen, 6)) {
		fprintf(stderr, "decode: corpus: %s\n", htr_errmsg());
		return 1;
	}
	printf("%d lines of %d frames x %d symbols; dictionary %d words; "
	    "char LM order 6, %ld n-grams\n", nline, m[0].dim[0], a.n,
	    wlm.nword, lm.ngram);
	printf("%-28s %10s %8s %7s\n", "decoder", "ms/line", "x best", "CER");

	struct {
		const char *name;
		int method, beam, mode, uselm;
	} dec[] = {
		{"best path", HTR_DECODE_BEST, 1, 0, 0},
		{"prefix beam 25", HTR_DECODE_BEAM, 25, 0, 0},
		{"prefix beam 25 + char LM", HTR_DECODE_BEAM, 25, 0, 1},
		{"word beam 25 words", HTR_DECODE_WORD, 25, HTR_WBS_WORDS, 0},
		{"word beam 25 ngrams", HTR_DECODE_WORD, 25, HTR_WBS_NGRAMS, 0},
		{"word beam 25 forecast", HTR_DECODE_WORD, 25, HTR_WBS_FORECAST, 0},
		{"word beam 25 sample", HTR_DECODE_WORD, 25, HTR_WBS_SAMPLE, 0},
	};
	double base = 0;
	for (size_t k = 0; k < sizeof dec / sizeof *dec; k++) {
		struct htr_decode_opts o;
		long runs = 0;
		double t0 = htr_clock_seconds(), t;
		int err = 0, len = 0;

		htr_decode_defaults(&o);
		o.method = dec[k].method;
		o.beam = dec[k].beam;
		o.wbsmode = dec[k].mode;
		o.wlm = &wlm;
		o.lm = dec[k].uselm ? &lm : NULL;
		o.lmweight = dec[k].uselm ? 0.5f : 1.0f;
		do {
			for (int i = 0; i < nline; i++) {
				struct htr_decoded d;
				if (htr_decode(&d, m[i].data, m[i].dim[0], a.n, &a,
				    &o)) {
					fprintf(stderr, "decode: %s\n", htr_errmsg());
					return 1;
				}
				if (runs == 0) {
					char text[4096] = "";
					for (int j = 0; j < d.n; j++)
						strncat(text, a.sym[d.label[j]],
						    sizeof text - strlen(text) - 1);
					err += edits(text, gt[i]);
					len += (int)strlen(gt[i]);
				}
				htr_decoded_free(&d);
			}
			runs++;
		} while ((t = htr_clock_seconds() - t0) < 0.3);
		double ms = 1000 * t / runs / nline;
		if (k == 0)
			base = ms;
		printf("%-28s %10.3f %8.1f %6.1f%%\n", dec[k].name, ms,
		    ms / base, len ? 100.0 * err / len : 0);
	}
	for (int i = 0; i < nline; i++) {
		htr_tensor_free(&m[i]);
		free(gt[i]);
	}
	htr_wordlm_free(&wlm);
	htr_charlm_free(&lm);
	htr_alphabet_free(&a);
	free(chars);
	free(corpus);
	free(wc);
	return 0;
}
