/* wordlm.h — the dictionary and word bigram model of word beam search,
 * built from a text corpus for one alphabet.
 *
 * Words are the maximal runs of word characters in the corpus (a symbol
 * is a word character when it occurs in the word-character list).  A run
 * holding a word character the alphabet lacks cannot be recognised and is
 * dropped.  The dictionary is sorted by label sequence, so the words under
 * any node of its prefix tree are one range of word ids [lo, hi).
 *
 * Bigram probabilities use add-k smoothing over the V words:
 *   P(w | v) = (N(v w) + k) / (N(v .) + k V),  P(w) = (N(w) + k) / (N + k V)
 * where N(v .) counts the bigrams that start with v; with no bigram after
 * v, P(w | v) falls back to P(w).  Consecutive words of the corpus (across
 * line breaks) form the bigrams.
 */
#ifndef HTR_WORDLM_H
#define HTR_WORDLM_H

#include <stddef.h>
#include <stdint.h>

#include "alphabet.h"

/* The four modes of word beam search; values only grow at the end. */
enum htr_wbs_mode {
	HTR_WBS_WORDS,          /* dictionary only */
	HTR_WBS_NGRAMS,         /* + bigram probability of every finished word */
	HTR_WBS_FORECAST,       /* + forecast of the word being spelled */
	HTR_WBS_SAMPLE          /* forecast from a random sample of words */
};

struct htr_wordlm_node {
	int child;              /* first child, -1 if none */
	int sibling;            /* next child of the same parent, -1 */
	int label;              /* symbol that leads here (-1 at the root) */
	int word;               /* word id ending here, or -1 */
	int lo, hi;             /* word ids of the subtree */
};

struct htr_wordlm {
	int nchar;                      /* alphabet size (blank included) */
	unsigned char *isword;          /* [nchar] 1 = word character */
	int nword;                      /* dictionary size V */
	int *wstart;                    /* [nword + 1] offsets into wlab */
	int *wlab;                      /* the labels of every word */
	int nnode;
	struct htr_wordlm_node *node;   /* [nnode]; node 0 is the root */
	double addk;                    /* k of add-k smoothing */
	double total;                   /* N: word tokens of the corpus */
	double *ucum;                   /* [nword + 1] cumulative N(w) */
	long *bstart;                   /* [nword + 1] bigrams of v start here */
	int *bnext;                     /* [nbigram] second words, sorted */
	double *bcum;                   /* [nbigram + 1] cumulative N(v w) */
};

/* Builds the model from a UTF-8 corpus and word-character list for the
 * symbols of a.  wordchars NULL means letters and digits (ASCII, and
 * U+00C0..U+024F but for U+00D7 and U+00F7).  Returns 0 or -1 (htr_fail,
 * e.g. no word in the corpus). */
int    htr_wordlm_build(struct htr_wordlm *w, const char *corpus, size_t len,
	const char *wordchars, size_t wclen, const struct htr_alphabet *a,
	double addk);
void   htr_wordlm_free(struct htr_wordlm *w);

/* Child of node by label, or -1. */
int    htr_wordlm_child(const struct htr_wordlm *w, int node, int label);
/* Word id of a label sequence, or -1. */
int    htr_wordlm_find(const struct htr_wordlm *w, const int *lab, int n);
/* log P(word | prev); prev -1 means no previous word (unigram). */
double htr_wordlm_logp(const struct htr_wordlm *w, int prev, int word);
/* log of the summed P(v | prev) over the word ids v in [lo, hi). */
double htr_wordlm_logp_range(const struct htr_wordlm *w, int prev, int lo,
	int hi);

#endif
