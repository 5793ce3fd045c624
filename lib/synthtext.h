/* synthtext.h — the texts of synthetic handwriting: lines of a file, or
 * word n-grams drawn from a corpus.
 *
 * A corpus file is UTF-8 text.  When every non-empty line holds one word
 * (a word list such as /usr/share/dict/words) words are drawn one by one,
 * weighted so that word lengths follow those of running text, and then
 * given capitals, punctuation and the odd number the way written lines
 * have them.  Otherwise the file is running text and a sample is a run of
 * consecutive words from a random place in it, keeping its punctuation. */
#ifndef HTR_SYNTHTEXT_H
#define HTR_SYNTHTEXT_H

#include <stddef.h>

#include "rng.h"

/* Longest line (in bytes) a corpus may hold. */
#define HTR_SYNTHTEXT_LINE 4096

struct htr_synthtext {
	char   *buf;             /* the file, NUL-separated */
	char  **line;            /* [nline] non-empty lines, tabs as spaces */
	int    *lineno;          /* [nline] their line numbers in the file */
	int     nline;
	char  **word;            /* [nword] words in order */
	int     nword;
	int     is_list;         /* one word per line: draw words freely */
	double *cum;             /* [nword] cumulative draw weights (lists) */
};

/* Reads path (checks UTF-8, line length).  Returns 0 or -1 (htr_fail;
 * the message names the path and line). */
int  htr_synthtext_load(struct htr_synthtext *t, const char *path);
void htr_synthtext_free(struct htr_synthtext *t);

/* Draws a text of nmin..nmax words into buf (size n, NUL included).
 * Returns its length, or -1 (htr_fail) if it does not fit. */
int  htr_synthtext_draw(const struct htr_synthtext *t, char *buf, size_t n,
    int nmin, int nmax, struct htr_rng *r);

/* Upper-cases s in place: ASCII, the Latin-1 letters and oe (the byte
 * length never changes). */
void htr_synthtext_upper(char *s);

#endif
