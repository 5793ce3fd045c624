/* recognize.h — running a model over crops: the network input of a crop,
 * batches of crops of similar width, and each crop's log-probabilities;
 * and where the shipped models are found.  htr-crnn, htr and htr-serve
 * are built on it.
 *
 * Input.  A crop (8-bit, ink dark on light) becomes floats [H][w], ink 1
 * and paper 0, at the model's input height H with its aspect ratio kept
 * (feat.h: area averaging or bilinear, the crop's own darkest and
 * lightest levels stretched to 1 and 0); a network with a fixed input
 * width (e.g. the MNIST classifier) gets the crop resized to exactly
 * that width; a crop narrower than the network's least width is padded
 * with paper to it.  This is what htr-train feeds the network (the same
 * code: htr_net_input_image of trainer.h), and what htr-features -m
 * writes as kind=image records.
 *
 * Batching.  Inputs are sorted by width and cut into batches of at most
 * 'batch' inputs whose widest is at most 1/8 (or 8 columns) wider than
 * the narrowest, padded on the right.  The network masks the padding
 * (net.h), so a crop's result does not depend on its neighbours or on the
 * batch size: with one OpenBLAS thread results of any batch size agree to
 * about 1e-6 (sgemm rounds products of different sizes differently, so
 * not to the bit).  The frames of a crop of width w are those of
 * htr_net_out_width(max(w, the net's least width)).
 *
 * Threads: a struct htr_model (its network) is used by one thread at a
 * time; load one per thread.  The work is OpenBLAS sgemm, on as many
 * threads as OpenBLAS is given.  htr_recognize_run_threads spreads whole
 * batches over the threads instead, a copy of the network in each
 * (htr_net_clone) and OpenBLAS on one thread in each: for the few small
 * batches of a page this keeps both cores busy where one sgemm at a time
 * split in two does not.  Each batch's result is that of the same batch
 * run with one OpenBLAS thread.
 */
#ifndef HTR_RECOGNIZE_H
#define HTR_RECOGNIZE_H

#include <stddef.h>
#include <stdio.h>

#include "image.h"
#include "model.h"
#include "tensor.h"

/* Default inputs per forward pass and the most input floats (N x H x W)
 * one pass may take (bounds the activation memory: a first convolution
 * of 32 filters then needs 256 MiB); a single larger input still runs
 * alone. */
#define HTR_RECOGNIZE_BATCH     16
#define HTR_RECOGNIZE_MAXFLOATS (1L << 21)
/* Most threads of htr_recognize_run_threads. */
#define HTR_RECOGNIZE_MAXTHREADS 16

/* The network input of one crop. */
struct htr_recognize_in {
	float *x;                /* [h][w], ink 1, paper 0; owned */
	int h, w;
	char tags[HTR_TAG_MAX];  /* the crop's tags (kind= removed) */
};

/* One crop's result. */
struct htr_recognize_out {
	float *lp;               /* [T][C] natural-log probabilities, column
	                          * 0 the CTC blank; owned */
	int T, C;                /* T = 1 for a classifier (O0s) */
	char tags[HTR_TAG_MAX];  /* the input's tags */
};

/* Makes the input of crop for m (see the top).  0 or -1 (htr_fail). */
int  htr_recognize_input(struct htr_recognize_in *in,
	const struct htr_model *m, const struct htr_image *crop);
/* Takes the data of a kind=image record (f32 [H][W]) as the input of m:
 * H must be m's input height and W its fixed width if it has one.  On
 * success t->data belongs to in (t->data becomes NULL).  0 or -1
 * (htr_fail with a hint: "make it with htr-features -m MODEL"). */
int  htr_recognize_input_tensor(struct htr_recognize_in *in,
	const struct htr_model *m, struct htr_tensor *t);
void htr_recognize_in_free(struct htr_recognize_in *in);

/* Runs m over in[0..n-1] in INFER mode, at most batch inputs per forward
 * pass (see the top), and fills out[0..n-1] in input
 * order (tags copied).  On error nothing is left allocated in out.
 * Returns 0 or -1 (htr_fail naming the input's index). */
int  htr_recognize_run(struct htr_recognize_out *out, struct htr_model *m,
	const struct htr_recognize_in *in, int n, int batch);
/* The same batches spread over min(1 + nmore, htr_par_threads(), the
 * number of batches) threads, the largest batches first: m's network in
 * one, more[0..nmore-1] (copies of it: htr_net_clone) in the others,
 * OpenBLAS on one thread meanwhile (htr_par_tasks).  With one thread it
 * is htr_recognize_run. */
int  htr_recognize_run_threads(struct htr_recognize_out *out,
	struct htr_model *m, struct htr_net *const *more, int nmore,
	const struct htr_recognize_in *in, int n, int batch);
void htr_recognize_out_free(struct htr_recognize_out *out);

/* An ensemble of two models: 0 when b (file bname) is a CTC model with
 * a's symbols in a's order, else -1 (htr_fail "bname: ..." naming what
 * differs). */
int  htr_recognize_mixable(const struct htr_model *a,
	const struct htr_model *b, const char *bname);
/* a[k] = w a[k] + (1 - w) b[k] for n log-probabilities: the one formula
 * of every ensemble (htr_recognize_mix, htr-eval -mix, bench/mix). */
void htr_recognize_mix_frames(float *a, const float *b, size_t n,
	double w);
/* Mixes b's log-probabilities into a's (htr_recognize_mix_frames, w in
 * 0..1).  The two must have as many frames and classes: the same crop
 * run through two networks of the same width reductions.  Returns 0 or
 * -1 (htr_fail). */
int  htr_recognize_mix(struct htr_recognize_out *a,
	const struct htr_recognize_out *b, double w);

/* Writes out as a kind=logprob record f32 [T][C] with its tags.  0 or -1. */
int  htr_recognize_write(FILE *f, const struct htr_recognize_out *out);
/* Writes the kind=alphabet record of m (it must come before the logprob
 * records of a stream).  0 or -1. */
int  htr_recognize_write_alphabet(FILE *f, const struct htr_model *m);

/* ---- the shipped models ---- */

/* File name of the default model for a level (enum htr_level):
 * "line.htrm" for lines and words, "digits.htrm" for characters. */
const char *htr_recognize_default_model(int level);
/* The level of a crop from its tags: char= -> char, word= -> word, else
 * line. */
int  htr_recognize_level_of(const char *tags);
/* Finds model file 'name' (e.g. "line.htrm"), looking in order in
 * $HTR_MODELDIR, in the directory compiled in as HTR_MODELDIR (config.mk,
 * the install's share/htr/models), and in models/ beside the directory of
 * the running program (bin/../models in a source tree; the program is
 * /proc/self/exe, else argv0 when it holds a '/'; argv0 may be NULL).
 * Writes the first readable one into path (size n) and returns 0; else
 * -1 with a one-line htr_fail naming the file and every place looked. */
int  htr_recognize_find_model(char *path, size_t n, const char *name,
	const char *argv0);
/* The language model that goes with a model file: "line.htrm" ->
 * "line.htrl" in the same directory (path NULL: the default line
 * model's, found as above).  Writes its name into lm (size n) and
 * returns 0 when that file is readable; -1 when there is none (no error
 * is set: a model without an LM is normal). */
int  htr_recognize_companion_lm(char *lm, size_t n, const char *path,
	const char *argv0);
/* The per-symbol bonus of beam search with such a language model, as
 * tuned for the shipped one (models/README, models/recipes/lmtune.sh). */
#define HTR_COMPANION_LM_BONUS 1.5f
/* Loads the model at path, or when path is NULL the default model of
 * level found as above.  NULL + htr_fail on error. */
struct htr_model *htr_recognize_load(const char *path, int level,
	const char *argv0);

#endif
