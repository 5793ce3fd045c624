/* test_decode.c — decoders against brute force and against each other,
 * the character LM (normalisation, file round trip, damaged files), the
 * word LM, forced alignment and the transcript layout. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "decode.h"
#include "htr.h"
#include "lm.h"
#include "prep.h"
#include "rng.h"
#include "transcript.h"
#include "wordlm.h"
#include "t.h"

/* A random log-probability matrix [T][C]. */
static void
random_matrix(float *m, int T, int C, struct htr_rng *r, float sharp)
{
	for (int t = 0; t < T; t++) {
		for (int c = 0; c < C; c++)
			m[t * C + c] = sharp * htr_rng_normal(r);
	}
	CHECK(htr_decode_normalize(m, T, C, HTR_VALUES_LOGIT, 0) == 0);
}

/* The most probable labelling of m by enumerating all C^T paths and
 * scoring each path's labelling with the forward algorithm; returns its
 * log-probability, the labelling in best[0..*nbest). */
static double
brute_best(const float *m, int T, int C, int *best, int *nbest)
{
	long npath = 1;
	int path[16], lab[16], n;
	double bp = -1;

	for (int t = 0; t < T; t++)
		npath *= C;
	for (long k = 0; k < npath; k++) {
		long v = k;
		for (int t = 0; t < T; t++) {
			path[t] = (int)(v % C);
			v /= C;
		}
		n = 0;
		for (int t = 0; t < T; t++)
			if (path[t] && (t == 0 || path[t] != path[t - 1]))
				lab[n++] = path[t];
		double q = exp(htr_decode_logprob(m, T, C, lab, n));
		if (q > bp) {
			bp = q;
			memcpy(best, lab, (size_t)n * sizeof *lab);
			*nbest = n;
		}
	}
	return log(bp);
}

static void
test_ctc_brute(void)
{
	struct htr_rng r;
	enum { T = 5, C = 3 };
	float m[T * C];

	htr_rng_seed(&r, 7);
	for (int trial = 0; trial < 20; trial++) {
		int best[16], nbest = -1, lab[2] = {1, 2};
		random_matrix(m, T, C, &r, 1.5f);
		/* forward algorithm = the sum over enumerated paths */
		double sum = 0;
		for (long k = 0; k < 243; k++) {
			long v = k;
			int path[T], n = 0, l[T];
			double lp = 0;
			for (int t = 0; t < T; t++) {
				path[t] = (int)(v % C);
				v /= C;
				lp += m[t * C + path[t]];
			}
			for (int t = 0; t < T; t++)
				if (path[t] && (t == 0 || path[t] != path[t - 1]))
					l[n++] = path[t];
			if (n == 2 && l[0] == 1 && l[1] == 2)
				sum += exp(lp);
		}
		CHECK_NEAR(exp(htr_decode_logprob(m, T, C, lab, 2)), sum, 1e-9, 1e-6);

		/* a wide prefix beam search finds the most probable labelling */
		double lbest = brute_best(m, T, C, best, &nbest);
		struct htr_decode_opts o;
		struct htr_decoded d;
		htr_decode_defaults(&o);
		o.method = HTR_DECODE_BEAM;
		o.beam = 64;
		CHECK(htr_decode_beam(&d, m, T, C, NULL, &o) == 0);
		CHECKF(d.n == nbest && !memcmp(d.label, best, (size_t)nbest *
		    sizeof *best), "trial %d: beam found %d symbols, brute force "
		    "%d", trial, d.n, nbest);
		CHECK_NEAR(d.score, lbest, 1e-6, 1e-6);
		htr_decoded_free(&d);
	}
	/* empty matrix: the empty labelling with probability 1 */
	CHECK(htr_decode_logprob(m, 0, C, NULL, 0) == 0);
}

/* Word-level setup shared by the tests: alphabet " ab" + digits. */
static const char *chars = "ab cd";

static void
test_dominant(void)
{
	struct htr_alphabet a;
	struct htr_wordlm w;
	struct htr_rng r;
	const char *corpus = "ab cd dab bad ca\nacd ba";
	enum { T = 60 };
	int C;

	CHECK(htr_alphabet_from_chars(&a, chars, strlen(chars)) == 0);
	C = a.n;
	CHECK(htr_wordlm_build(&w, corpus, strlen(corpus), "abcd", 4, &a,
	    0.1) == 0);
	struct htr_charlm lm;
	CHECK(htr_charlm_build(&lm, corpus, strlen(corpus), 4) == 0);
	htr_rng_seed(&r, 3);
	for (int trial = 0; trial < 30; trial++) {
		/* a path spelling dictionary words separated by spaces, each
		 * symbol held for 1-3 frames, blanks between */
		float m[T * 6];
		int path[T], t = 0;
		for (;;) {
			int wid = (int)htr_rng_below(&r, (uint32_t)w.nword);
			int len = w.wstart[wid + 1] - w.wstart[wid];
			if (t + 4 * len + 2 > T)
				break;
			if (t > 0) {
				path[t++] = htr_alphabet_find(&a, " ");
				path[t++] = 0;
			}
			for (int k = w.wstart[wid]; k < w.wstart[wid + 1]; k++) {
				int hold = 1 + (int)htr_rng_below(&r, 3);
				for (int h = 0; h < hold; h++)
					path[t++] = w.wlab[k];
				path[t++] = 0;
			}
		}
		while (t < T)
			path[t++] = 0;
		/* the path's symbol has at least 0.9 / 0.95 of every frame */
		for (t = 0; t < T; t++) {
			for (int c = 0; c < C; c++)
				m[t * C + c] = htr_rng_uniform(&r) * 0.01f;
			m[t * C + path[t]] = 0.9f;
		}
		CHECK(htr_decode_normalize(m, T, C, HTR_VALUES_PROB, 0) == 0);

		struct htr_decode_opts o;
		struct htr_decoded best, d;
		htr_decode_defaults(&o);
		CHECK(htr_decode(&best, m, T, C, &a, &o) == 0);
		o.method = HTR_DECODE_BEAM;
		for (int beam = 1; beam <= 16; beam *= 4) {
			o.beam = beam;
			CHECK(htr_decode(&d, m, T, C, &a, &o) == 0);
			CHECKF(d.n == best.n && !memcmp(d.label, best.label,
			    (size_t)d.n * sizeof *d.label), "trial %d beam %d",
			    trial, beam);
			htr_decoded_free(&d);
		}
		/* with a character LM of the same words, weight 0.5 */
		o.lm = &lm;
		o.lmweight = 0.5f;
		o.beam = 10;
		CHECK(htr_decode(&d, m, T, C, &a, &o) == 0);
		CHECKF(d.n == best.n && !memcmp(d.label, best.label,
		    (size_t)d.n * sizeof *d.label), "trial %d char LM", trial);
		htr_decoded_free(&d);
		o.lm = NULL;
		o.lmweight = 1;
		o.method = HTR_DECODE_WORD;
		o.wlm = &w;
		o.beam = 10;
		for (int mode = HTR_WBS_WORDS; mode <= HTR_WBS_SAMPLE; mode++) {
			o.wbsmode = mode;
			CHECK(htr_decode(&d, m, T, C, &a, &o) == 0);
			CHECKF(d.n == best.n && !memcmp(d.label, best.label,
			    (size_t)d.n * sizeof *d.label), "trial %d mode %d",
			    trial, mode);
			htr_decoded_free(&d);
		}
		/* the alignment of best path: ordered, inside the line */
		for (int i = 0; i < best.n; i++) {
			CHECK(best.start[i] < best.end[i]);
			CHECK(i == 0 || best.end[i - 1] <= best.start[i]);
			CHECK(best.conf[i] > 0.5f && best.conf[i] <= 1.0f);
		}
		htr_decoded_free(&best);
	}
	htr_charlm_free(&lm);
	htr_wordlm_free(&w);
	htr_alphabet_free(&a);
}

/* T = 0: every decoder returns the empty text. */
static void
test_empty(void)
{
	struct htr_alphabet a;
	struct htr_wordlm w;
	struct htr_decode_opts o;
	struct htr_decoded d;
	float dummy = 0;

	CHECK(htr_alphabet_from_chars(&a, chars, strlen(chars)) == 0);
	CHECK(htr_wordlm_build(&w, "ab", 2, NULL, 0, &a, 0) == 0);
	htr_decode_defaults(&o);
	o.wlm = &w;
	for (int m = HTR_DECODE_BEST; m <= HTR_DECODE_WORD; m++) {
		o.method = m;
		CHECK(htr_decode(&d, &dummy, 0, a.n, &a, &o) == 0 && d.n == 0);
		htr_decoded_free(&d);
	}
	/* wrong column count */
	CHECK(htr_decode(&d, &dummy, 0, a.n + 1, &a, &o) == -1 &&
	    strstr(htr_errmsg(), "columns"));
	htr_wordlm_free(&w);
	htr_alphabet_free(&a);
}

static void
test_wordlm(void)
{
	struct htr_alphabet a;
	struct htr_wordlm w;
	const char *corpus = "ba ab, ab ba. cab ab\nzz ab";
	int lab[3];

	CHECK(htr_alphabet_from_chars(&a, "abc .,", 6) == 0);
	/* 'z' is a word character the alphabet lacks: "zz" is dropped */
	CHECK(htr_wordlm_build(&w, corpus, strlen(corpus), "abcz", 4, &a,
	    0.5) == 0);
	CHECK(w.nword == 3);            /* ab, ba, cab */
	lab[0] = htr_alphabet_find(&a, "a");
	lab[1] = htr_alphabet_find(&a, "b");
	int ab = htr_wordlm_find(&w, lab, 2);
	CHECK(ab == 0);
	lab[0] = htr_alphabet_find(&a, "c");
	CHECK(htr_wordlm_find(&w, lab, 1) == -1);
	CHECK(!w.isword[htr_alphabet_find(&a, " ")] &&
	    w.isword[htr_alphabet_find(&a, "c")]);
	/* distributions sum to 1, ranges are sums of their words */
	for (int prev = -1; prev < w.nword; prev++) {
		double s = 0;
		for (int v = 0; v < w.nword; v++)
			s += exp(htr_wordlm_logp(&w, prev, v));
		CHECK_NEAR(s, 1, 1e-12, 0);
		CHECK_NEAR(exp(htr_wordlm_logp_range(&w, prev, 0, w.nword)), 1,
		    1e-12, 0);
	}
	/* counts: ab follows ba once of the twice "ba" is followed by a word;
	 * P(ab | ba) = (1 + .5) / (2 + .5 * 3) */
	CHECK_NEAR(exp(htr_wordlm_logp(&w, 1, 0)), 1.5 / 3.5, 1e-12, 0);
	/* every tree node's range holds exactly the words below it */
	for (int n = 1; n < w.nnode; n++)
		CHECK(w.node[n].lo < w.node[n].hi);
	htr_wordlm_free(&w);
	CHECK(htr_wordlm_build(&w, ".. ,", 4, "abc", 3, &a, 0) == -1 &&
	    strstr(htr_errmsg(), "no word"));
	htr_alphabet_free(&a);
}

static void
test_charlm(void)
{
	struct htr_charlm lm, lm2;
	const char *corpus = "the cat sat\non the mat\nthe hat\n\xc3\xa9t\xc3\xa9\n";
	FILE *f;

	CHECK(htr_charlm_build(&lm, corpus, strlen(corpus), 3) == 0);
	CHECK(lm.nsym == 1 + 11);     /* boundary, " acehmnost", "é" */
	int e = htr_charlm_id(&lm, "\xc3\xa9");
	CHECK(e == lm.nsym - 1 && htr_charlm_id(&lm, "z") == HTR_LM_UNKNOWN);
	/* every context's distribution over vocabulary + unknown sums to 1 */
	int ctxs[][2] = {{0, 0}, {htr_charlm_id(&lm, "t"),
	    htr_charlm_id(&lm, "h")}, {HTR_LM_UNKNOWN, 0}, {3, 3}};
	for (int k = 0; k < 4; k++)
		for (int n = 0; n <= 2; n++) {
			double s = exp(htr_charlm_logp(&lm, ctxs[k], n,
			    HTR_LM_UNKNOWN));
			for (int id = 0; id < lm.nsym; id++)
				s += exp(htr_charlm_logp(&lm, ctxs[k], n, id));
			CHECK_NEAR(s, 1, 1e-9, 0);
		}
	/* a seen continuation beats an unseen one */
	int th[2] = {htr_charlm_id(&lm, "t"), htr_charlm_id(&lm, "h")};
	CHECK(htr_charlm_logp(&lm, th, 2, htr_charlm_id(&lm, "e")) >
	    htr_charlm_logp(&lm, th, 2, htr_charlm_id(&lm, "m")));
	long n;
	double ppl = htr_charlm_perplexity(&lm, corpus, strlen(corpus), &n);
	CHECK(n == (long)strlen("the cat sat") + 1 + 10 + 1 + 7 + 1 + 3 + 1);
	CHECK(ppl > 1 && ppl < 4);

	/* file round trip: the same probabilities */
	f = tmpfile();
	CHECK(htr_charlm_write(f, &lm) == 0);
	long size = ftell(f);
	rewind(f);
	CHECK(htr_charlm_read(f, &lm2) == 0);
	CHECK(lm2.order == 3 && lm2.nsym == lm.nsym && lm2.ngram == lm.ngram);
	for (int k = 0; k < 4; k++)
		for (int id = -1; id < lm.nsym; id++)
			CHECK(htr_charlm_logp(&lm, ctxs[k], 2, id) ==
			    htr_charlm_logp(&lm2, ctxs[k], 2, id));
	htr_charlm_free(&lm2);

	/* damaged files: every flipped byte and every truncation fails */
	unsigned char *buf = malloc((size_t)size);
	rewind(f);
	CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
	fclose(f);
	int caught = 0;
	for (long i = 0; i < size; i++) {
		buf[i] ^= 0x10;
		f = tmpfile();
		fwrite(buf, 1, (size_t)size, f);
		rewind(f);
		caught += htr_charlm_read(f, &lm2) == -1;
		fclose(f);
		buf[i] ^= 0x10;
	}
	CHECK(caught == size);
	for (long k = 0; k < size; k += 7) {
		f = tmpfile();
		fwrite(buf, 1, (size_t)k, f);
		rewind(f);
		CHECK(htr_charlm_read(f, &lm2) == -1);
		fclose(f);
	}
	buf[4] = 9;
	f = tmpfile();
	fwrite(buf, 1, (size_t)size, f);
	rewind(f);
	CHECK(htr_charlm_read(f, &lm2) == -1 &&
	    strstr(htr_errmsg(), "version 9 is newer"));
	fclose(f);
	free(buf);
	htr_charlm_free(&lm);
	CHECK(htr_charlm_build(&lm, "\xff", 1, 3) == -1 &&
	    strstr(htr_errmsg(), "UTF-8"));
}

/* Decoding with the LM: a prefix the LM knows wins a close call. */
static void
test_lm_decode(void)
{
	struct htr_alphabet a;
	struct htr_charlm lm;
	struct htr_decode_opts o;
	struct htr_decoded d;
	const char *corpus = "ab\nab\nab\nab\n";
	/* frames: a, then b or c almost equally, then blank */
	float m[3 * 4] = {0.01f, 0.97f, 0.01f, 0.01f,
	    0.02f, 0.02f, 0.46f, 0.50f, 0.97f, 0.01f, 0.01f, 0.01f};

	CHECK(htr_alphabet_from_chars(&a, "abc", 3) == 0);
	CHECK(htr_decode_normalize(m, 3, 4, HTR_VALUES_PROB, 0) == 0);
	CHECK(htr_charlm_build(&lm, corpus, strlen(corpus), 3) == 0);
	htr_decode_defaults(&o);
	o.method = HTR_DECODE_BEAM;
	o.beam = 8;
	CHECK(htr_decode(&d, m, 3, 4, &a, &o) == 0);
	CHECK(d.n == 2 && d.label[1] == 3);     /* "ac" without the LM */
	htr_decoded_free(&d);
	o.lm = &lm;
	o.lmweight = 1;
	CHECK(htr_decode(&d, m, 3, 4, &a, &o) == 0);
	CHECK(d.n == 2 && d.label[1] == 2);     /* "ab" with it */
	htr_decoded_free(&d);
	htr_charlm_free(&lm);
	htr_alphabet_free(&a);
}

static void
test_normalize(void)
{
	float m[2 * 3] = {1, 2, 3, 0, 0, 0};

	CHECK(htr_decode_normalize(m, 2, 3, HTR_VALUES_LOGIT, 1) == 0);
	/* the blank (last, 3) went first */
	CHECK(m[0] > m[1] && m[0] > m[2]);
	CHECK_NEAR(exp(m[0]) + exp(m[1]) + exp(m[2]), 1, 1e-6, 0);
	CHECK_NEAR(m[3], log(1.0 / 3), 1e-6, 0);
	float p[2] = {0.5f, -0.5f};
	CHECK(htr_decode_normalize(p, 1, 2, HTR_VALUES_PROB, 0) == -1);
	float q[2] = {-INFINITY, -INFINITY};
	CHECK(htr_decode_normalize(q, 1, 2, HTR_VALUES_LOGPROB, 0) == -1);
}

static void
test_transcript(void)
{
	struct htr_alphabet a;
	struct htr_transcript tr;
	struct htr_decoded d;
	enum { T = 10 };
	float m[T * 6];

	CHECK(htr_alphabet_from_chars(&a, chars, strlen(chars)) == 0);
	/* "ab cd": a at 1, b at 3, space at 5, c at 7, d at 8 */
	int path[T] = {0, 1, 0, 2, 0, 3, 0, 4, 5, 0};
	for (int t = 0; t < T; t++)
		for (int c = 0; c < 6; c++)
			m[t * 6 + c] = c == path[t] ? 0.95f : 0.01f;
	CHECK(htr_decode_normalize(m, T, 6, HTR_VALUES_PROB, 0) == 0);
	struct htr_decode_opts o;
	htr_decode_defaults(&o);
	CHECK(htr_decode(&d, m, T, 6, &a, &o) == 0 && d.n == 5);
	htr_transcript_init(&tr);
	CHECK(htr_transcript_add(&tr, "src=p.png line=2 box=100,50,200,40",
	    &d, &a, T) == 0);
	CHECK(htr_transcript_add(&tr, "src=p.png line=2 box=300,52,100,40",
	    &d, &a, T) == 0);
	CHECK(htr_transcript_add(&tr, "src=p.png line=3 box=100,90,100,40",
	    &d, &a, T) == 0);
	CHECK(tr.nline == 2 && tr.nword == 6 && tr.nch == 12);
	CHECK(!strcmp(tr.line[0].text, "ab cd ab cd"));
	CHECK(tr.line[0].box[0] == 100 && tr.line[0].box[1] == 50 &&
	    tr.line[0].box[2] == 300 && tr.line[0].box[3] == 42);
	/* characters tile their words inside the record's box */
	for (long i = 0; i < tr.nword; i++) {
		const struct htr_tword *w = &tr.word[i];
		CHECK(w->nc == 2 && w->conf > 0.8f && w->conf <= 1);
		CHECK(w->box[0] >= 100 && w->box[0] + w->box[2] <= 400);
		CHECK(tr.ch[w->c0].box[0] + tr.ch[w->c0].box[2] <=
		    tr.ch[w->c0 + 1].box[0] + 1);
	}
	/* "a" is frame 1 of 10 and "b" frame 3 in box x 100..300: "a" covers
	 * frames 1 to 2.5, x 120 to 150 */
	CHECK(tr.ch[0].box[0] == 120 && tr.ch[0].box[0] + tr.ch[0].box[2] == 150);
	CHECK(htr_format_parse("alto") == HTR_FORMAT_ALTO &&
	    htr_format_parse("pdf") == -1);
	FILE *f = tmpfile();
	CHECK(htr_transcript_write(f, &tr, HTR_FORMAT_PAGE) == 0);
	fclose(f);
	/* a line of a page htr-prep deskewed by 3 degrees: its box and its
	 * characters' are turned back onto the scan (1000 x 800 before) */
	struct htr_transcript tr2;
	int lb[4] = {100, 50, 200, 40};
	htr_transcript_init(&tr2);
	CHECK(htr_transcript_add(&tr2, "src=p.png deskew=3.00,1000,800 line=0 "
	    "box=100,50,200,40", &d, &a, T) == 0);
	CHECK(htr_prep_unrotate_box(lb, "3.00,1000,800") == 0);
	CHECK(!memcmp(tr2.line[0].box, lb, sizeof lb));
	CHECK(lb[3] > 40 && lb[1] != 50);
	for (long i = 0; i < tr2.nch; i++) {
		const int *b = tr2.ch[i].box;
		CHECK(b[0] >= lb[0] && b[1] >= lb[1] && b[0] + b[2] <= lb[0] +
		    lb[2] && b[1] + b[3] <= lb[1] + lb[3]);
	}
	/* with scanbox= (its ink turned back, htr_segment_crop) the line's
	 * box is that one; its characters are still turned back */
	CHECK(htr_transcript_add(&tr2, "src=p.png deskew=3.00,1000,800 line=1 "
	    "box=100,150,200,40 scanbox=110,160,190,30", &d, &a, T) == 0);
	CHECK(tr2.nline == 2 && tr2.line[1].box[0] == 110 &&
	    tr2.line[1].box[1] == 160 && tr2.line[1].box[2] == 190 &&
	    tr2.line[1].box[3] == 30);
	CHECK(htr_transcript_add(&tr2, "src=p.png deskew=3.00 line=2 "
	    "box=100,50,200,40", &d, &a, T) == -1);
	CHECK(strstr(htr_errmsg(), "deskew=3.00") != NULL);
	htr_transcript_free(&tr2);
	/* a second page makes PAGE XML refuse */
	CHECK(htr_transcript_add(&tr, "src=q.png line=0", &d, &a, T) == 0);
	f = tmpfile();
	CHECK(htr_transcript_write(f, &tr, HTR_FORMAT_PAGE) == -1);
	CHECK(ftell(f) == 0);
	fclose(f);
	htr_transcript_free(&tr);
	htr_decoded_free(&d);
	htr_alphabet_free(&a);
}

int
main(void)
{
	test_ctc_brute();
	test_dominant();
	test_empty();
	test_wordlm();
	test_charlm();
	test_lm_decode();
	test_normalize();
	test_transcript();
	return T_DONE();
}
