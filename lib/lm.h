/* lm.h — character n-gram language model with interpolated Witten-Bell
 * smoothing, built from a text corpus and stored as an HTRL file
 * (man/htr-lm.1 gives the file layout).
 *
 * The vocabulary is the corpus's Unicode code points plus id 0, the line
 * boundary: each corpus line is one sentence, its first symbol is
 * predicted from the context <boundary> and the boundary is predicted
 * after its last symbol.
 *
 *   P(c | h) = (N(h c) + T(h) P(c | h')) / (N(h) + T(h))   if N(h) > 0
 *            = P(c | h')                                    otherwise
 *
 * where h' is h without its oldest symbol, N(h) the count of h as a
 * context, T(h) the number of distinct symbols seen after h, and below the
 * empty context a uniform distribution over the vocabulary and one
 * "unknown" symbol.
 */
#ifndef HTR_LM_H
#define HTR_LM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTR_LM_MAGIC    "HTRL"
#define HTR_LM_VERSION  1
#define HTR_LM_MAXORDER 12
#define HTR_LM_MAXSYM   65536
#define HTR_LM_MAXGRAMS (1L << 26)
#define HTR_LM_BOUNDARY 0       /* id of the line boundary */
#define HTR_LM_UNKNOWN  (-1)    /* id of a symbol outside the vocabulary */

struct htr_charlm {
	int order;              /* n of the n-grams, 1 .. HTR_LM_MAXORDER */
	int nsym;               /* vocabulary size, boundary included */
	char **sym;             /* [nsym] UTF-8 code points; sym[0] = "" */
	char *symbuf;
	long ngram;             /* number of distinct n-grams, all orders */
	/* open-addressed table of n-grams (length 1..order) and contexts
	 * (length 0..order-1) */
	long cap;
	uint32_t *key;          /* [cap][order] ids, padded with 0 */
	uint8_t *len;           /* [cap] key length + 1; 0 = empty slot */
	uint32_t *count;        /* [cap] N(key) as an n-gram */
	uint32_t *ctx;          /* [cap] N(key) as a context */
	uint32_t *types;        /* [cap] T(key) */
};

/* Counts the n-grams of a UTF-8 text (one sentence per line).  0 or -1. */
int    htr_charlm_build(struct htr_charlm *lm, const char *text, size_t len,
	int order);
/* Writes / reads an HTRL file.  read returns 0 or -1 (htr_fail: bad magic,
 * newer version, limits, checksum, truncation). */
int    htr_charlm_write(FILE *f, const struct htr_charlm *lm);
int    htr_charlm_read(FILE *f, struct htr_charlm *lm);
void   htr_charlm_free(struct htr_charlm *lm);

/* Id of a one-code-point symbol, or HTR_LM_UNKNOWN. */
int    htr_charlm_id(const struct htr_charlm *lm, const char *sym);
/* Natural log of P(id | ctx[0..n)), ctx[n-1] the newest symbol; ids may
 * be HTR_LM_UNKNOWN (the context then starts after the last unknown). */
double htr_charlm_logp(const struct htr_charlm *lm, const int *ctx, int n,
	int id);
/* Perplexity per symbol (boundaries included) of a UTF-8 text; sets
 * *nsym to the number of predicted symbols. */
double htr_charlm_perplexity(const struct htr_charlm *lm, const char *text,
	size_t len, long *nsym);

#endif
