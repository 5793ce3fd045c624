/* decode.h — CTC decoders: best path, prefix beam search (optionally with
 * a character n-gram LM, lm.h) and word beam search (Scheidl, Fiel and
 * Sablatnig 2018: dictionary constrained, optionally with a word bigram
 * LM, wordlm.h), plus the forced alignment that gives every decoded symbol
 * its frames and confidence.
 *
 * Input everywhere is a logprob matrix lp [T][C]: natural-log
 * probabilities per frame, column 0 = the CTC blank, columns = the
 * symbols of an alphabet (alphabet.h).
 */
#ifndef HTR_DECODE_H
#define HTR_DECODE_H

#include <stdint.h>

#include "alphabet.h"
#include "lm.h"
#include "wordlm.h"

/* What the numbers of a matrix read from CSV are. */
enum htr_values {
	HTR_VALUES_LOGIT,       /* unnormalised scores: apply log-softmax */
	HTR_VALUES_PROB,        /* probabilities: take the log */
	HTR_VALUES_LOGPROB      /* already log-probabilities: keep */
};

/* Turns m [T][C] into log-probabilities in place (values: enum
 * htr_values); if blanklast, moves the last column (the blank) to
 * column 0.  Returns 0, or -1 (htr_fail) if a row cannot be normalised
 * (all -inf, or probabilities that are negative). */
int htr_decode_normalize(float *m, int T, int C, int values, int blanklast);

enum htr_decoder {
	HTR_DECODE_BEST,        /* best path */
	HTR_DECODE_BEAM,        /* prefix beam search (+ character LM) */
	HTR_DECODE_WORD         /* word beam search */
};

struct htr_decode_opts {
	int method;                     /* enum htr_decoder */
	int beam;                       /* beam width (>= 1) */
	const struct htr_charlm *lm;    /* BEAM: character LM or NULL */
	float lmweight;                 /* BEAM: weight of log P_lm */
	float bonus;                    /* BEAM: added per symbol (log) */
	const struct htr_wordlm *wlm;   /* WORD: dictionary + bigrams */
	int wbsmode;                    /* WORD: enum htr_wbs_mode */
	uint64_t seed;                  /* WORD, sampling mode: RNG seed */
};

/* Sets the defaults: best path, beam 25, lmweight 0.5, bonus 0, mode
 * NGramsForecast... none of the LMs. */
void htr_decode_defaults(struct htr_decode_opts *o);

/* A decoded line: its symbols and where they are in the matrix. */
struct htr_decoded {
	int n;          /* number of symbols */
	int *label;     /* [n] alphabet indices (never the blank) */
	int *start;     /* [n] first frame of symbol i on the best alignment */
	int *end;       /* [n] one past its last frame */
	float *conf;    /* [n] confidence of symbol i in 0..1: the highest
	                 * posterior of the symbol over its frames */
	double score;   /* the decoder's log score of the result */
};

/* Decodes lp [T][C] with the method of o, then aligns the result (below).
 * a is the alphabet of the columns (C == a->n); for word beam search the
 * word LM must have been built for the same alphabet.  Returns 0 or -1
 * (htr_fail).  T may be 0 (the result is empty). */
int  htr_decode(struct htr_decoded *d, const float *lp, int T, int C,
	const struct htr_alphabet *a, const struct htr_decode_opts *o);

/* The single decoders; each fills d->n, d->label and d->score only. */
int  htr_decode_bestpath(struct htr_decoded *d, const float *lp, int T, int C);
int  htr_decode_beam(struct htr_decoded *d, const float *lp, int T, int C,
	const struct htr_alphabet *a, const struct htr_decode_opts *o);
int  htr_decode_wbs(struct htr_decoded *d, const float *lp, int T, int C,
	const struct htr_decode_opts *o);

/* Forced alignment: the most probable CTC path (Viterbi) that reads
 * d->label; fills d->start, d->end and d->conf.  Returns 0 or -1
 * (htr_fail; also when no path reads the labels, e.g. too few frames). */
int  htr_decode_align(struct htr_decoded *d, const float *lp, int T, int C);

/* Log-probability that CTC gives labels[0..n) in lp (forward algorithm);
 * -INFINITY if impossible. */
double htr_decode_logprob(const float *lp, int T, int C, const int *label, int n);

void htr_decoded_free(struct htr_decoded *d);

/* Whether a line of a segmented page belongs in its text: the mean
 * confidence of its symbols reaches min_conf, and doubt_conf too when
 * its tags say doubt=1 (a line htr-segment -doubtful adds).  Stamps,
 * scribbles and sideways notes read as gibberish with low confidence.
 * An empty line's mean is 0. */
int  htr_decoded_keep(const struct htr_decoded *d, const char *tags,
	double min_conf, double doubt_conf);

#endif
