/* pipeline.h — the whole recognition in process, no programs forked:
 *
 *	image -> preprocessing (prep.h, the chain of htr-prep)
 *	      -> text lines (segment.h, as htr-segment -level line)
 *	      -> log-probabilities (recognize.h, as htr-crnn)
 *	      -> text with boxes and confidences (decode.h, transcript.h,
 *	         as htr-ctcdecode)
 *
 * htr(1) and htr-serve are built on it.  A pipeline holds one loaded
 * model (and the decoder's language models); it is used by one thread at
 * a time: make one per thread.
 *
 * Typical use:
 *
 *	struct htr_pipeline_opts o;
 *	struct htr_result r;
 *	htr_pipeline_defaults(&o);
 *	o.model = "models/line.htrm";          (NULL: the default line model)
 *	struct htr_pipeline *p = htr_pipeline_new(&o);
 *	if (!p || htr_pipeline_page(p, &r, &image, "scan.jpg"))
 *		... htr_errmsg() ...
 *	fputs(r.text, stdout);
 *	htr_result_free(&r);
 *	htr_pipeline_free(p);
 */
#ifndef HTR_PIPELINE_H
#define HTR_PIPELINE_H

#include <stdio.h>

#include "decode.h"
#include "image.h"
#include "model.h"
#include "prep.h"
#include "transcript.h"

struct htr_pipeline_opts {
	const char *model;      /* model file; NULL: the default line model,
	                         * found as htr_recognize_find_model says */
	const char *argv0;      /* the program's argv[0], for that search
	                         * (may be NULL) */
	int prep;               /* 1: run the preprocessing chain below */
	struct htr_prep_opts prepopts;  /* default: htr_prep_defaults() */
	int line;               /* 1: the image is one text line (no
	                         * segmentation; the whole image is read) */
	int margin;             /* pixels around each line crop; -1: an
	                         * eighth of the typical glyph height, as
	                         * htr-segment does */
	int batch;              /* crops per forward pass */
	int batch_threads;      /* 1: the batches of a page run on as many
	                         * threads as OpenBLAS has, a copy of the
	                         * network in each (recognize.h,
	                         * htr_recognize_run_threads; the default);
	                         * 0: one after the other, each sgemm split
	                         * over OpenBLAS's threads */
	struct htr_decode_opts decode;  /* method, beam, lmweight, bonus,
	                         * wbsmode, seed; its lm and wlm are set by
	                         * the pipeline from the files below */
	const char *lm;         /* character n-gram LM file (htr-lm) for the
	                         * beam decoder, or NULL */
	const char *corpus;     /* text file whose words form the dictionary
	                         * (and bigrams) of word beam search */
	const char *wordchars;  /* file of the characters that make words,
	                         * or NULL (letters and digits) */
	const char *wordcharlist; /* or those characters as a string */
	double addk;            /* word LM add-k smoothing (default 0.01, as
	                         * htr-ctcdecode) */
	const char *mix;        /* a second line model, or NULL: an
	                         * ensemble, each line's log-probabilities
	                         * mix_weight times the model's plus the
	                         * rest times this one's (htr_recognize_mix;
	                         * same symbols, same width reductions) */
	double mix_weight;      /* default 0.7 */
	double min_conf;        /* a segmented page's lines whose symbols'
	                         * mean confidence is below this are left
	                         * out (stamps, signatures, sideways notes
	                         * read as gibberish); 0 (the default) keeps
	                         * every line; not used with line */
	double doubt_conf;      /* > 0: the lines htr-segment's layout
	                         * filters rule out (margins, headings,
	                         * signatures, stamps: htr_segment_page's
	                         * doubtful) are read too, and kept when
	                         * their mean confidence reaches this (and
	                         * min_conf); 0 (the default): they are not
	                         * read */
};

/* htr(1)'s -min-conf default, chosen for the shipped line model on 20
 * train writers' Poilus pages (bench/minconf.sh prints their page CER at
 * each value; bench/page.sh that of the valid writers' pages). */
#define HTR_PAGE_MIN_CONF 0.6
/* htr(1)'s -doubt-conf default, chosen the same way (bench/minconf.sh
 * -doubt; train pages' CER 13.37 % without the doubtful lines, 12.87 %
 * with them at 0.85, 13.18 % at 0.8, 13.12 % at 0.9). */
#define HTR_PAGE_DOUBT_CONF 0.85

/* What happened to one image: sizes, what preprocessing found, lines,
 * and the seconds spent in each stage, wall clock (t_) and CPU time of
 * the whole process, all its threads (c_: on a busy machine the better
 * measure of the work done). */
struct htr_pipeline_info {
	int w, h;               /* the preprocessed image's size (deskewing
	                         * grows it; the boxes of the transcript are
	                         * turned back onto the input image) */
	double skew;            /* skew measured by deskewing, degrees */
	int inverted;           /* 1 if it was light ink on dark */
	int nline;              /* text lines found and read */
	double t_prep, t_segment, t_recognize, t_decode, t_total;
	double c_prep, c_segment, c_recognize, c_decode, c_total;
};

/* What one image gave. */
struct htr_result {
	struct htr_transcript tr;   /* lines, words, characters with boxes
	                             * and confidences 0..1 (transcript.h);
	                             * tr.line[i].text is line i */
	char *text;                 /* every line followed by '\n' (an empty
	                             * string when no line was found); owned */
	struct htr_pipeline_info info;
};

/* The defaults of htr(1): the default line model, htr-prep's chain, line
 * segmentation with automatic margin, batch HTR_RECOGNIZE_BATCH on
 * several threads, best path decoding (htr_decode_defaults), addk 0.01. */
void htr_pipeline_defaults(struct htr_pipeline_opts *o);

/* Loads the model and the decoder's files.  NULL + htr_fail() naming the
 * file on error; for a missing default model the message names the file
 * and every place looked. */
struct htr_pipeline *htr_pipeline_new(const struct htr_pipeline_opts *o);
void htr_pipeline_free(struct htr_pipeline *p);
/* The loaded model (its alphabet, level, provenance). */
const struct htr_model *htr_pipeline_model(const struct htr_pipeline *p);

/* Reads one image (ink of any colour; src names it in the result: the
 * src= of every line) and fills r.  The image is not changed.  Returns 0,
 * or -1 (htr_fail) with nothing left allocated in r. */
int  htr_pipeline_page(struct htr_pipeline *p, struct htr_result *r,
	const struct htr_image *image, const char *src);
/* The same, adding the lines of the image to a transcript the caller owns
 * (to write many images as one document), as page number pageno; info
 * may be NULL.  On error the transcript may hold some of the image's
 * lines. */
int  htr_pipeline_add(struct htr_pipeline *p, struct htr_transcript *tr,
	const struct htr_image *image, const char *src, long pageno,
	struct htr_pipeline_info *info);
void htr_result_free(struct htr_result *r);

#endif
