/* net.h — a network built from a VGSL string (vgsl.h): forward and backward
 * over a mini-batch of variable-width images, CTC or classification loss,
 * Adam.  This is the whole interface htr-train, htr-eval and htr-crnn use.
 *
 * Memory: parameters, their gradients, the two Adam moments and the
 * activations are each ONE allocation with the tensors carved out of it.
 * Gradients and Adam state are allocated on the first backward / Adam step,
 * so inference never pays for them.  The activation arena grows to the
 * largest batch (N * padded width) seen.
 *
 * A typical training step:
 *
 *     htr_net_forward(net, x, n, w, widths, HTR_NET_TRAIN);
 *     loss = htr_net_loss_ctc(net, labels, label_lens, NULL, &skipped);
 *     htr_net_zero_grad(net);
 *     htr_net_backward(net);
 *     htr_net_adam_step(net, &adam);
 *
 * Batches: x is [N][C][H][W] floats with H and C those of the VGSL input
 * spec and W the batch's padded width (samples left-aligned; what the
 * padding holds does not matter).  widths[n] is sample n's real width; its
 * output length is T_n = htr_net_out_width(net, widths[n]).  Padding never
 * leaks into a sample: the input and the output of every convolution,
 * batch norm and pooling layer are zeroed beyond each sample's width at
 * that layer (so convolutions see zeros there, as at the image border),
 * the LSTMs do not run over padding (their state is held at zero beyond
 * T_n, so the reverse direction starts at the sample's own last frame) and
 * the CTC loss uses only the first T_n frames.  In EVAL and INFER mode a
 * sample's output is therefore the same alone or in any batch.  (In TRAIN
 * mode the batch-norm statistics include the zeroed padding.)
 *
 * Threads: the heavy work is OpenBLAS sgemm, on all cores unless
 * OPENBLAS_NUM_THREADS says otherwise.  With one thread and the same seed
 * results are bit-for-bit repeatable.  A struct htr_net is not shared
 * between threads.
 */
#ifndef HTR_NET_H
#define HTR_NET_H

#include <stddef.h>
#include <stdint.h>

struct htr_net;
struct htr_rng;

/* Forward modes. */
enum htr_net_mode {
	HTR_NET_EVAL = 0,   /* running BN statistics, no dropout; keeps what
	                       backward needs (gradient checks) */
	HTR_NET_TRAIN = 1,  /* batch BN statistics (running ones updated),
	                       dropout drawn from the net's RNG */
	HTR_NET_INFER = 2,  /* as EVAL, but layers reuse two ping-pong
	                       buffers: least memory, no backward */
};

/* Builds a network from a VGSL string.  nclass > 0 overrides the class
 * count of the output layer (the alphabet size including the CTC blank);
 * 0 keeps the string's.  Parameters are initialised from seed (He-uniform
 * for convolutions and linear layers, uniform +-1/sqrt(H) for LSTMs with
 * forget-gate bias 1, batch norm gamma 1 beta 0); the dropout RNG is seeded
 * from it too.  NULL + htr_fail() on a bad string. */
struct htr_net *htr_net_create(const char *vgsl, int nclass, uint64_t seed);
/* The same network with its parameters and statistics left unset, for a
 * caller that fills all htr_net_nstate() of them (loading a model); the
 * dropout RNG is seeded as by seed 0. */
struct htr_net *htr_net_create_blank(const char *vgsl, int nclass);
void htr_net_free(struct htr_net *net);
/* A new network with net's layers, parameters and batch-norm statistics
 * (no gradients, Adam state or activations): a second copy of a model
 * for another thread.  NULL + htr_fail() when out of memory. */
struct htr_net *htr_net_clone(const struct htr_net *net);

/* Sets the rate of every dropout layer (the VGSL string follows): a
 * fine-tuned model regularised more than it was first trained.  Returns
 * the number of such layers, or -1 (htr_fail) when the rate is outside
 * [0, 1) or the network has none. */
int htr_net_set_dropout(struct htr_net *net, float rate);

/* The canonical VGSL string (output class count as built). */
const char *htr_net_vgsl(const struct htr_net *net);

/* Input spec: height, channels, fixed width (0 = variable). */
int htr_net_input_height(const struct htr_net *net);
int htr_net_input_channels(const struct htr_net *net);
int htr_net_input_width(const struct htr_net *net);
/* Output classes, and whether the output is per frame for CTC (O1c: 1) or
 * one class per image (O0s: 0). */
int htr_net_nclass(const struct htr_net *net);
int htr_net_is_ctc(const struct htr_net *net);
/* Output frames for an input of width w (0: too narrow), and the least
 * width that yields at least one frame. */
int htr_net_out_width(const struct htr_net *net, int w);
int htr_net_min_width(const struct htr_net *net);

/* Trainable parameters; htr_net_nstate adds the batch-norm running
 * statistics (everything the model file stores). */
size_t htr_net_nparams(const struct htr_net *net);
size_t htr_net_nstate(const struct htr_net *net);

/* Per-layer facts, for summaries and the benchmark. */
struct htr_net_layer_info {
	const char *tok;        /* VGSL token, or "(map->seq)" etc. */
	size_t nparams;
	int out_c, out_h, out_w;/* shape after the layer for the last batch
	                           (sequences: out_c features, out_h 1, out_w T) */
	double flops;           /* forward multiply-adds x2, last batch */
	double fwd_s, bwd_s;    /* accumulated seconds when profiling */
	double fwd_cpu, bwd_cpu;/* the same in CPU seconds, all threads */
};
int htr_net_nlayers(const struct htr_net *net);
void htr_net_layer_info(const struct htr_net *net, int i,
    struct htr_net_layer_info *info);
/* Turns per-layer timing on (1) or off (0) and resets the clocks. */
void htr_net_profile(struct htr_net *net, int on);

/* Forward over a batch (see the top of this file).  widths may be NULL
 * (all W).  Returns 0, or -1 (htr_fail) when W is too narrow or the batch
 * too large to allocate. */
int htr_net_forward(struct htr_net *net,
    const float *x,         /* [N][C][H][W] */
    int N, int W, const int *widths /* [N] or NULL */, int mode);

/* The last forward's output: log-probabilities [T][N][C] (for O0s T = 1)
 * and each sample's frame count [N].  Valid until the next forward. */
const float *htr_net_output(const struct htr_net *net, int *T, int *N,
    int *C);
const int *htr_net_output_lengths(const struct htr_net *net);

/* CTC loss of the last forward (O1c nets).  labels: the N labels back to
 * back, class indices 1..C-1; label_lens [N].  Sets the output gradient for
 * htr_net_backward to that of the MEAN loss over the samples not skipped.
 * losses[n] (may be NULL) gets each sample's loss or -1 if skipped: label
 * longer than its frames allow (htr_ctc_min_frames); *nskipped (may be NULL)
 * counts them.  Returns the mean loss (0 if all were skipped), or -1 on a bad
 * label (htr_fail). */
double htr_net_loss_ctc(struct htr_net *net, const int *labels,
    const int *label_lens, float *losses, int *nskipped);

/* Negative log-likelihood of targets [N] (class indices) of the last
 * forward (O0s nets); sets the output gradient of the mean; returns the
 * mean, or -1 on a bad target. */
double htr_net_loss_nll(struct htr_net *net, const int *targets,
    float *losses);

/* The output gradient [T][N][C] that a loss sets, for custom losses:
 * write d loss / d logprob there, then call htr_net_backward. */
float *htr_net_output_grad(struct htr_net *net);

/* Gradients: zero them (one memset), then backpropagate the output
 * gradient of the last (non-INFER) forward, ADDING into them.  Returns 0 or
 * -1 (htr_fail: no forward, INFER mode, out of memory). */
int htr_net_zero_grad(struct htr_net *net);
int htr_net_backward(struct htr_net *net);

/* Adam (Kingma & Ba) with bias correction, decoupled weight decay (AdamW,
 * 0 = off) and optional clipping of the global gradient norm (clip <= 0:
 * off).  Returns the gradient norm before clipping, or -1 (out of memory). */
struct htr_adam {
	float lr, beta1, beta2, eps, weight_decay, clip;
};
void htr_adam_defaults(struct htr_adam *a);  /* 1e-3 .9 .999 1e-8 0 0 */
double htr_net_adam_step(struct htr_net *net, const struct htr_adam *a);
/* Adam steps taken so far. */
long htr_net_adam_t(const struct htr_net *net);

/* Raw access.  Parameters are one array of htr_net_nparams floats (layer
 * order; within a layer as the layer headers list them), followed by the
 * batch-norm running statistics up to htr_net_nstate.  Gradients have the
 * layout of the first htr_net_nparams (NULL before the first backward or
 * zero_grad).  Adam moments likewise (NULL before the first step). */
float *htr_net_params(struct htr_net *net);
float *htr_net_grads(struct htr_net *net);
float *htr_net_adam_m(struct htr_net *net);
float *htr_net_adam_v(struct htr_net *net);
/* Allocates the Adam moments (zero) if needed and sets the step count;
 * for checkpoint loading.  0 or -1 (out of memory). */
int htr_net_adam_restore(struct htr_net *net, long t);
/* The dropout RNG (seeded by htr_net_create; saved in checkpoints). */
struct htr_rng *htr_net_rng(struct htr_net *net);

/* Checkpoint of the optimiser state, separate from the model file (which
 * holds the parameters): magic HTRC, version, the VGSL string and
 * parameter count (checked on load), the Adam step and moments, the
 * dropout RNG state and a free-text "extra" string (the trainer's epoch,
 * data order seed, best validation error...), CRC32.  Written atomically.
 * Load restores into a net built from the same VGSL (on failure the net
 * is left as it was); extra (may be NULL) receives at most extrasize-1
 * bytes.  See man/htr-model.5. */
int htr_net_ckpt_save(struct htr_net *net, const char *path,
    const char *extra);
int htr_net_ckpt_load(struct htr_net *net, const char *path, char *extra,
    size_t extrasize);

#endif
