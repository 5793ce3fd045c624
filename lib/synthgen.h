/* synthgen.h — making synthetic handwriting samples in parallel: picks
 * each sample's text and font, renders it (font.h) and distorts it
 * (synth.h), on several threads, with one random generator per sample so
 * that the result does not depend on the number of threads.
 *
 * Programs that use this file link with -lfreetype. */
#ifndef HTR_SYNTHGEN_H
#define HTR_SYNTHGEN_H

#include <stdint.h>

#include "font.h"
#include "image.h"
#include "synth.h"
#include "synthtext.h"

#define HTR_SYNTHGEN_MAXTHREAD 64

/* One sample.  The caller sets index; htr_synthgen_run() fills the rest. */
struct htr_synth_sample {
	long index;
	int ok;                  /* 1 image, 0 skipped (no font fits), -1 error */
	int font;                /* index into the fonts */
	int line;                /* lines mode: index into corpus[0].line */
	uint32_t missing;        /* skipped: a code point the fonts lack */
	struct htr_image im;     /* the image (ok == 1; the caller frees it) */
	char text[HTR_SYNTHTEXT_LINE];  /* its text (upper case for caps fonts) */
	char err[256];           /* ok == -1: the error */
};

struct htr_synthgen {
	/* set by the caller before htr_synthgen_init() */
	const struct htr_font *fonts;
	int nfonts;
	const struct htr_synthtext *corpus;
	int ncorpus;             /* lines mode: corpus[0] only */
	int lines;               /* sample i is line i % nline of corpus[0];
	                            else word n-grams from a random corpus */
	int minwords, maxwords;
	const struct htr_image *bgs;     /* paper images, or NULL */
	int nbgs;
	const struct htr_synth_params *par;
	uint64_t seed;
	int textmax;             /* > 0: percent-encoded texts longer than
	                            this are drawn again (lines: kept) */
	int nthread;             /* 1 .. HTR_SYNTHGEN_MAXTHREAD */
	/* statistics, summed over threads by htr_synthgen_stats() */
	long *used, *lacked;     /* [nfonts]: samples made with each font;
	                            times each lacked a character */
	/* private */
	struct htr_synthgen_worker *w;
};

/* Opens the fonts for every thread.  Returns 0 or -1 (htr_fail). */
int  htr_synthgen_init(struct htr_synthgen *g);
/* Makes samples s[0..n-1] (their index fields set) on g->nthread threads.
 * Returns 0, or -1 (htr_fail) if a thread could not be started; a
 * sample's own failure is in its ok and err. */
int  htr_synthgen_run(struct htr_synthgen *g, struct htr_synth_sample *s,
    int n);
/* Sums the per-thread counts into g->used and g->lacked. */
void htr_synthgen_stats(struct htr_synthgen *g);
void htr_synthgen_free(struct htr_synthgen *g);

/* Every file under dir (recursively, in sorted order, so that a seed gives
 * the same set on every file system) for which want(name) is true, as a
 * NULL-terminated array of allocated paths in *paths.  Returns their count,
 * or -1 (htr_fail naming the directory). */
int  htr_synthgen_find(const char *dir, int (*want)(const char *),
    char ***paths);
/* Frees what htr_synthgen_find() returned. */
void htr_synthgen_find_free(char **paths);

#endif
