/* metrics.h — recognition error rates: character error rate (CER) by
 * Levenshtein distance over Unicode code points, word error rate (WER)
 * over white-space separated words, and accuracy of whole strings. */
#ifndef HTR_METRICS_H
#define HTR_METRICS_H

#include <stdint.h>

/* Edit distance (insertions, deletions, substitutions, all cost 1). */
long htr_levenshtein(const uint32_t *a, long na, const uint32_t *b, long nb);
/* Edit distance between the code points of two UTF-8 strings, and between
 * their words.  Return -1 (htr_fail) on invalid UTF-8 or out of memory. */
long htr_metrics_char_distance(const char *ref, const char *hyp);
long htr_metrics_word_distance(const char *ref, const char *hyp);

/* Running totals over a labelled set. */
struct htr_metrics {
	long samples;        /* pairs added */
	long correct;        /* hypothesis identical to the reference */
	long char_errors;    /* summed character edit distance */
	long chars;          /* code points in the references */
	long word_errors;
	long words;
};

void   htr_metrics_init(struct htr_metrics *m);
/* Adds one (reference, hypothesis) pair.  Returns 0 or -1 (htr_fail). */
int    htr_metrics_add(struct htr_metrics *m, const char *ref, const char *hyp);
/* Errors / reference length; 0 for an empty set.  Can exceed 1. */
double htr_metrics_cer(const struct htr_metrics *m);
double htr_metrics_wer(const struct htr_metrics *m);
double htr_metrics_accuracy(const struct htr_metrics *m);

#endif
