/* decsetup.h — the decoders of decode.h as programs offer them: one set
 * of option values (-decoder, -beam, -lm, -lmweight, -bonus, -corpus,
 * -wordchars, -wordcharlist, -mode, -addk, -seed), their rules, the
 * files they name, and the word LM rebuilt for each alphabet.
 * htr-ctcdecode and htr-eval share it, so a decoder setting means the
 * same in both (man/htr-ctcdecode.1 describes the options).
 *
 * Use: htr_decsetup_args_defaults, fill the values from the command line,
 * htr_decsetup_check (a failure is a usage error), htr_decsetup_open
 * (loads the files; a failure names the file), htr_decsetup_alphabet for
 * every alphabet, htr_decsetup_run per matrix, htr_decsetup_close.
 */
#ifndef HTR_DECSETUP_H
#define HTR_DECSETUP_H

#include <stddef.h>

#include "alphabet.h"
#include "decode.h"
#include "lm.h"
#include "wordlm.h"

/* Most decoders one setup runs side by side (htr-eval: best,beam,word). */
#define HTR_DECSETUP_MAX 3

/* The option values as given; *_spec: set when the option was given. */
struct htr_decsetup_args {
	const char *decoder;        /* "best" ("bestpath"), "beam", "word"
	                             * ("wordbeam"), or a comma-separated list
	                             * of them; NULL: implied by -lm/-corpus */
	unsigned int beam, beam_spec;
	const char *lm;             /* HTRL file (htr-lm) or NULL */
	float lmweight;
	unsigned int lmweight_spec;
	float bonus;
	unsigned int bonus_spec;
	const char *corpus;         /* dictionary / word LM text or NULL */
	const char *wordchars;      /* file of word characters or NULL */
	const char *wordcharlist;   /* word characters given inline or NULL */
	const char *mode;           /* words ngrams forecast sample */
	float addk;
	unsigned int seed;
};

struct htr_decsetup {
	int n;                              /* decoders to run */
	struct htr_decode_opts o[HTR_DECSETUP_MAX];  /* one per decoder */
	struct htr_charlm lm;
	int havelm;
	const char *corpusname;             /* -corpus, for messages */
	char *corpus, *wordchars;           /* file contents, or NULL */
	size_t corpuslen, wclen;
	double addk;
	struct htr_alphabet a;              /* the current alphabet */
	int havea;
	struct htr_wordlm wlm;
	int havewlm;
};

/* The defaults: no decoder named, beam 25, mode words, addk 0.01, seed 1. */
void htr_decsetup_args_defaults(struct htr_decsetup_args *g);

/* Checks the values and their combination; several decoders only when
 * multi.  Returns the number of decoders, or -1 (htr_fail with the
 * problem, e.g. "-lm and -bonus go with -decoder beam": a usage error). */
int  htr_decsetup_check(const struct htr_decsetup_args *g, int multi);

/* Checks (as above), then reads the LM, the corpus and the word-character
 * file ("-" is the standard input).  Returns 0, or -1 with htr_fail
 * naming the file (nothing left allocated). */
int  htr_decsetup_open(struct htr_decsetup *s,
	const struct htr_decsetup_args *g, int multi);

/* Makes *a (taken over, also on failure) the alphabet of the next
 * matrices; builds the word LM for it when a decoder needs one (kept if
 * the alphabet is the same as before).  Returns 0 or -1 (htr_fail; a
 * corpus without a word of the alphabet is named). */
int  htr_decsetup_alphabet(struct htr_decsetup *s, struct htr_alphabet *a);

/* Decodes lp [T][C] (C = the alphabet's size) with decoder k (0 .. n-1);
 * with align, also the symbols' frames and confidences (htr_decode),
 * otherwise only d->n, d->label and d->score.  Returns 0 or -1. */
int  htr_decsetup_run(struct htr_decoded *d, const struct htr_decsetup *s,
	int k, const float *lp, int T, int C, int align);

/* Name of decoder k ("best", "beam" or "word"). */
const char *htr_decsetup_name(const struct htr_decsetup *s, int k);

void htr_decsetup_close(struct htr_decsetup *s);

#endif
