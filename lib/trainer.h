/* trainer.h — training and evaluating a network on a labelled dataset:
 * the loop behind htr-train and htr-eval.
 *
 * A dataset is first prepared for a network (htr_set_prepare): every image
 * is read once, scaled to the network's input height (or its fixed input
 * size) and kept as 8 bits, and its text is encoded with the alphabet.
 * Mini-batches are then drawn with the images grouped by width (shuffled
 * chunks sorted by width, batches in random order), padded on the right
 * with paper, and fed to the network as floats (ink 1, paper 0).
 *
 * Checkpoints (-checkpoint DIR) are pairs DIR/ckpt-<step>.htrm (the model
 * with parameters and batch-norm statistics) and DIR/ckpt-<step>.htrc (Adam
 * state, dropout RNG, and the trainer's own state in the "extra" text:
 * epoch, batch, data-order and augmentation RNG states, best error...),
 * each written atomically; the last three are kept.  A resumed run
 * continues exactly as the uninterrupted run would have (bit for bit with
 * the same OpenBLAS thread count).
 *
 * With more than one OpenBLAS thread, each batch is cut into parts that
 * run on replicas of the network at once, one thread each (dp.h); with
 * one, the whole batch runs on the network itself.
 *
 * The library never prints: progress goes to a callback. */
#ifndef HTR_TRAINER_H
#define HTR_TRAINER_H

#include <stdint.h>

#include "alphabet.h"
#include "augment.h"
#include "dataset.h"
#include "image.h"
#include "metrics.h"

struct htr_net;
struct htr_model;

/* A dataset prepared for one network. */
struct htr_set {
	const struct htr_dataset *ds;
	long n;
	struct htr_image *im;   /* [n] at the network's height */
	int *width;             /* [n] width fed to the net (>= im.w: room for
	                           the label's CTC frames, the least width) */
	int *labels;            /* all labels back to back, or NULL */
	long *label_off;        /* [n] */
	int *label_len;         /* [n]; -1: not encodable (evaluation only) */
};

/* Reads and scales every image of ds for net; encodes the texts with a
 * (NULL: no labels).  strict: a text with a character outside the
 * alphabet is an error naming file and line (training); otherwise it is
 * marked -1 and counts as wrong (evaluation).  Returns 0 or -1. */
int  htr_set_prepare(struct htr_set *s, const struct htr_dataset *ds,
	const struct htr_net *net, const struct htr_alphabet *a, int strict);
void htr_set_free(struct htr_set *s);

/* Runs net over samples idx[0..n-1] of s (INFER mode): the float batch is
 * built with htr_set_batch, then decoded by best path (CTC) or argmax
 * (classification) into hyp[i] (malloc'd UTF-8, caller frees).  Adds to
 * m when not NULL.  alphabet: the model's class strings. */
int  htr_evaluate(struct htr_net *net, char *const *alphabet,
	const struct htr_set *s, int batch, struct htr_metrics *m, char **hyp);

/* Runs net over every sample of s (INFER mode, batches of similar width,
 * as htr_evaluate) and calls fn once per sample with its index i in s
 * and its output logp [T][stride] (first C used): per-frame
 * log-probabilities of a CTC net, T = 1 for a classifier.  logp is valid
 * during the call only.  fn returns 0, or -1 (htr_fail) to stop.
 * Returns 0 or -1. */
typedef int (*htr_set_frames_fn)(void *ctx, long i, const float *logp,
	int T, int C, int stride);
int  htr_set_infer(struct htr_net *net, const struct htr_set *s, int batch,
	htr_set_frames_fn fn, void *ctx);

/* As htr_set_infer and htr_evaluate, the batches spread over nnets (1..16)
 * copies of one network (same parameters), nnets batches of similar width
 * at once, one per thread with OpenBLAS on one thread meanwhile
 * (htr_par_tasks; in turn when OpenBLAS has one thread).  fn runs in the
 * caller's thread, for the samples in the order htr_set_infer takes them.
 * (OpenBLAS's threads gain little on the small sgemms of a batch; copies
 * on their own cores share nothing.)  Returns 0 or -1. */
int  htr_set_infer_nets(struct htr_net *const *nets, int nnets,
	const struct htr_set *s, int batch, htr_set_frames_fn fn, void *ctx);
int  htr_evaluate_nets(struct htr_net *const *nets, int nnets,
	char *const *alphabet, const struct htr_set *s, int batch,
	struct htr_metrics *m, char **hyp);

/* Fills x [N][1][H][W] (caller's buffer of N*H*W floats, W = largest
 * width of the batch) and widths [N] for samples idx[0..N-1], with
 * augmentation when aug and rng are given.  Returns W, or -1. */
int  htr_set_batch_width(const struct htr_set *s, const long *idx, int N);
int  htr_set_batch(float *x, int *widths, const struct htr_set *s,
	const long *idx, int N, int W, int H, const struct htr_augment *aug,
	struct htr_rng *rng);

/* As htr_set_batch, cut into nslices (1..HTR_SET_MAXSLICES, at most N)
 * slices of consecutive samples built at once, each on a thread of its
 * own: slice k starts at the first sample whose predecessors' widths
 * (s->width) add up to k/nslices of the batch's or more, and holds one
 * sample at least.  With augmentation each slice draws from an RNG
 * seeded by a draw from rng, in slice order (so the batch depends on
 * nslices; 1 is htr_set_batch itself, drawing from rng in sample order).
 * htr_train builds each batch so, one slice per thread, before the step
 * (dp.h) runs on the same threads: building the next batch on a thread of
 * its own during the step would slow one part of it, and the others would
 * wait for that one.  Returns W, or -1. */
#define HTR_SET_MAXSLICES 16
int  htr_set_batch_par(float *x, int *widths, const struct htr_set *s,
	const long *idx, int N, int W, int H, const struct htr_augment *aug,
	struct htr_rng *rng, int nslices);

/* The batches of one epoch as htr_train draws them: the samples of s
 * shuffled with rng, cut into chunks of 32 batches, each chunk sorted by
 * width (less padding), cut into batches, and the batches shuffled.
 * order [s->n] gets the sample indices batch after batch, start [nb + 1]
 * the first position of each batch in order, then the end.  Every sample
 * is drawn once; where batch does not divide s->n, the batch of the last
 * sorted samples is short, or with drop_last left out (nb = s->n / batch,
 * every batch full).  Returns nb, or -1 (out of memory). */
long htr_set_epoch_order(long *order, long *start, const struct htr_set *s,
	int batch, int drop_last, struct htr_rng *rng);

/* The network input of one crop exactly as training and htr_evaluate
 * build it (for htr-crnn): scaled to the net's height (or resized to its
 * fixed input size), at least htr_net_min_width wide, ink 1 and paper 0.
 * *x is malloc'd [H][*width] (one channel).  Returns 0 or -1. */
int  htr_net_input_image(float **x, int *width, const struct htr_image *crop,
	const struct htr_net *net);

/* Best-path CTC decoding of one sample's frames: argmax per frame,
 * repeats merged, blanks dropped.  logp [T][stride] (first C used).
 * Writes class indices into out (room for T); returns their count. */
int  htr_ctc_best_path(int *out, const float *logp, int T, int C,
	int stride);

/* What htr_train reports after each logged step and each epoch. */
struct htr_train_status {
	int epoch, epochs;      /* epoch from 1 */
	long step;              /* optimiser steps so far */
	long batch, nbatch;     /* within the epoch */
	double loss;            /* running mean training loss of the epoch */
	double samples_per_s;
	double eta_s;           /* of the whole run */
	int validated;          /* 1 when this report ends an epoch */
	double valid_error;     /* CER, or 1 - accuracy for classifiers */
	double valid_cer, valid_wer, valid_acc;
	double best_error;
	double last_valid;      /* last epoch's validation error, or -1 */
	int improved;           /* this epoch's model is the new best */
	int stopped;            /* early stop: patience ran out */
	const char *event;      /* "checkpoint", "resume" or NULL */
	const char *detail;     /* file of the event */
};

struct htr_train_opts {
	const char *vgsl;       /* network (ignored on resume and with init) */
	const char *init;       /* start from this model's network, alphabet
	                           and weights (fine-tuning), or NULL */
	int level;              /* enum htr_level */
	int batch;
	float lr, lr_decay;     /* lr * lr_decay^(epoch-1) */
	float clip;             /* global gradient norm clip, 0: off */
	float weight_decay;
	float dropout;          /* every dropout layer's rate; < 0: as the
	                           network says (ignored on resume) */
	int epochs;
	uint64_t seed;
	struct htr_augment aug;
	int patience;           /* epochs without improvement, 0: off */
	const char *out;        /* best model (or last, without validation) */
	const char *ckpt_dir;   /* NULL: no checkpoints */
	int keep_epochs;        /* also keep each epoch's model there as
	                           epoch-NNN.htrm (never pruned) */
	double ckpt_minutes;    /* also checkpoint this often (0: per epoch) */
	long ckpt_steps;        /* also every this many steps (0: off) */
	int resume;             /* continue from the newest checkpoint */
	long halt_after;        /* testing: stop dead after this many steps */
	const char *log;        /* CSV log, or NULL */
	const char *alphabet;   /* fixed alphabet (UTF-8), or NULL: from data */
	const char *provenance; /* data description for the model file */
	double report_s;        /* seconds between progress reports */
	void (*progress)(void *ctx, const struct htr_train_status *st);
	void *ctx;
};

void htr_train_defaults(struct htr_train_opts *o);
/* Trains on train, validating on valid (may be NULL or empty) after each
 * epoch.  Returns 0, 1 when halted by halt_after, or -1 (htr_fail). */
int  htr_train(const struct htr_train_opts *o, const struct htr_dataset *train,
	const struct htr_dataset *valid);

#endif
