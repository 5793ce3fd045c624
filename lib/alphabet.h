/* alphabet.h — the symbols of a model: what each column of a logprob
 * record means, and its kind=alphabet record in a tensor stream.
 *
 * Symbol 0 is always the CTC blank, stored as the empty string.  Every
 * other symbol is a non-empty UTF-8 string without '\n' or NUL (usually
 * one code point; a symbol may be a short sequence, e.g. a letter with a
 * combining accent).  Symbols are distinct.
 *
 * In a stream the alphabet is a u8 rank-1 record tagged kind=alphabet whose
 * data is every symbol followed by '\n', blank first, so the data begins
 * with "\n" and the record holds n symbols when it holds n newlines.
 */
#ifndef HTR_ALPHABET_H
#define HTR_ALPHABET_H

#include <stddef.h>

#include "tensor.h"

/* Most symbols an alphabet may have, and the longest symbol in bytes. */
#define HTR_ALPHABET_MAX    65536
#define HTR_SYMBOL_MAX      64      /* also the limit of a model's symbols */

struct htr_alphabet {
	int n;          /* number of symbols, blank included */
	char **sym;     /* [n] NUL-terminated symbols; sym[0] = "" */
	char *buf;      /* storage of the symbols */
};

/* Builds an alphabet from n symbols; sym[0] must be "" (the blank).
 * Checks the rules above.  Returns 0 or -1 (htr_fail). */
int  htr_alphabet_init(struct htr_alphabet *a, const char *const *sym, int n);
/* Builds an alphabet from a string with one symbol per UTF-8 code point
 * (a chars.txt file); the blank is added as symbol 0, so "ab" gives
 * {"", "a", "b"}.  A trailing newline is ignored.  0 or -1. */
int  htr_alphabet_from_chars(struct htr_alphabet *a, const char *s,
	size_t len);
/* Parses a kind=alphabet record.  0 or -1 (htr_fail). */
int  htr_alphabet_from_tensor(struct htr_alphabet *a,
	const struct htr_tensor *t);
/* Makes the kind=alphabet record of a (t is allocated).  0 or -1. */
int  htr_alphabet_to_tensor(struct htr_tensor *t,
	const struct htr_alphabet *a);
/* Index of symbol s, or -1. */
int  htr_alphabet_find(const struct htr_alphabet *a, const char *s);
void htr_alphabet_free(struct htr_alphabet *a);

#endif
