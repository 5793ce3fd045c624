/* labels.h — texts as network classes, with the model's alphabet (struct
 * htr_alphabet of alphabet.h: symbol 0 the CTC blank "", the others UTF-8
 * strings, usually one code point each).
 *
 * Encoding matches the longest symbol at each position, so an alphabet may
 * hold a letter with a combining accent as one symbol next to the plain
 * letter. */
#ifndef HTR_LABELS_H
#define HTR_LABELS_H

#include "alphabet.h"
#include "dataset.h"

/* The alphabet of a training set: every code point of its texts as one
 * symbol, in code point order, after the blank.  Returns 0 or -1. */
int  htr_labels_alphabet(struct htr_alphabet *a, const struct htr_dataset *ds);

/* Text -> class indices.  Build once per alphabet, encode many texts. */
struct htr_labeler {
	const struct htr_alphabet *a;
	int *order;             /* symbols 1..n-1 sorted by strcmp */
	int maxlen;             /* longest symbol in bytes */
};
int  htr_labeler_init(struct htr_labeler *l, const struct htr_alphabet *a);
void htr_labeler_free(struct htr_labeler *l);
/* Stores at most max classes of text in labels (may be NULL with max 0);
 * returns how many the text has, or -1 (htr_fail) naming the first
 * character that no symbol matches, or on invalid UTF-8. */
long htr_labeler_encode(const struct htr_labeler *l, const char *text,
	int *labels, long max);

/* Class indices -> UTF-8 text in buf (size n, always NUL-ended); blanks
 * and indices out of range are skipped.  Returns the length. */
long htr_labels_decode(const struct htr_alphabet *a, const int *labels,
	long nlabels, char *buf, long n);

/* Checks that every text of ds can be encoded; the error names the file
 * and line of the first that cannot.  Returns 0 or -1. */
int  htr_labels_check(const struct htr_dataset *ds,
	const struct htr_alphabet *a);

#endif
