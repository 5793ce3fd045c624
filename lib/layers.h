/* layers.h — the network layers as forward/backward pairs of plain
 * functions (the bodies live in nn_*.c, one file per layer family).
 *
 * Conventions for every function here:
 *  - outputs first, then inputs and weights, then dimensions;
 *  - every pointer carries a comment with its shape;
 *  - backward functions ADD into every gradient they are given (input
 *    gradients included), so the caller zeroes gradients once per step;
 *  - a NULL input gradient (din/dx) means "not needed" and is skipped.
 *
 * Feature maps are channel-major: [C][N][H][W] (channel, sample, row,
 * column).  This lets one sgemm cover the whole batch of a convolution and
 * makes each channel one contiguous run of N*H*W values (batch norm).
 * Sequences are [T][N][F] (time, sample, feature); plain vectors [N][F].
 */
#ifndef HTR_LAYERS_H
#define HTR_LAYERS_H

#include <stddef.h>

struct htr_rng;

/* Activations (append-only: the numbers appear nowhere on disk, but keep
 * them stable anyway). */
enum htr_act {
	HTR_ACT_LINEAR = 0,
	HTR_ACT_RELU,
	HTR_ACT_LEAKY,      /* x > 0 ? x : HTR_LEAKY_SLOPE * x */
	HTR_ACT_TANH,
	HTR_ACT_SIGMOID,
	HTR_ACT_SOFTMAX,    /* over channels/features: see htr_softmax_* */
};
#define HTR_LEAKY_SLOPE 0.01f

/* ---- convolution (nn_conv.c) -------------------------------------------
 * 2-D convolution with "same" padding: output size Ho = ceil(H / sh),
 * Wo = ceil(W / sw); the kernel window of output (y, x) starts at input row
 * y*sh - (kh-1)/2 and column x*sw - (kw-1)/2; outside the map reads 0.
 * Computed as im2col + sgemm a tile at a time (a group of samples, or
 * rows of one sample, with about 2 MiB of columns, so that they stay in
 * cache): col is scratch of ncol floats, at least htr_conv_colsize(Ci,
 * kh, kw, 1, Wo) (one output row's columns); up to one sample's, or a few
 * samples', columns lets a tile grow to its best size. */
int    htr_conv_outsize(int in, int stride);
size_t htr_conv_colsize(int Ci, int kh, int kw, int Ho, int Wo);

void htr_conv_forward(
    float *out,            /* [Co][N][Ho][Wo] */
    float *col, size_t ncol, /* scratch */
    const float *in,       /* [Ci][N][H][W] */
    const float *w,        /* [Co][Ci][kh][kw] */
    const float *b,        /* [Co] */
    int N, int Ci, int H, int W, int Co, int kh, int kw, int sh, int sw);

void htr_conv_backward(
    float *din,            /* [Ci][N][H][W], adds; NULL: not needed */
    float *dw,             /* [Co][Ci][kh][kw], adds */
    float *db,             /* [Co], adds */
    float *col, size_t ncol, /* scratch, as for forward */
    const float *dout,     /* [Co][N][Ho][Wo] */
    const float *in,       /* [Ci][N][H][W] */
    const float *w,        /* [Co][Ci][kh][kw] */
    int N, int Ci, int H, int W, int Co, int kh, int kw, int sh, int sw);

/* ---- max pooling (nn_pool.c) -------------------------------------------
 * No padding: Ho = (H - kh) / sh + 1 (0 if H < kh), likewise Wo.  Ties go
 * to the first maximum in row-major window order; backward recomputes the
 * arg-max from the input, so nothing is stored. */
int  htr_pool_outsize(int in, int k, int stride);

void htr_maxpool_forward(
    float *out,            /* [P][Ho][Wo], P = C*N planes */
    const float *in,       /* [P][H][W] */
    int P, int H, int W, int kh, int kw, int sh, int sw);

void htr_maxpool_backward(
    float *din,            /* [P][H][W], adds */
    const float *dout,     /* [P][Ho][Wo] */
    const float *in,       /* [P][H][W] */
    int P, int H, int W, int kh, int kw, int sh, int sw);

/* The same, but din is overwritten (no zeroing needed beforehand): one
 * write pass instead of a zeroing pass and scattered adds. */
void htr_maxpool_backward_set(
    float *din,            /* [P][H][W], written */
    const float *dout,     /* [P][Ho][Wo] */
    const float *in,       /* [P][H][W] */
    int P, int H, int W, int kh, int kw, int sh, int sw);

/* ---- batch norm (nn_norm.c) ---------------------------------------------
 * Per channel c over its M = N*H*W values:
 *   y = gamma * (x - mu) / sqrt(var + eps) + beta.
 * train != 0: mu/var are the batch's (biased var); the running statistics
 * are updated as run = (1 - momentum) * run + momentum * batch (unbiased
 * variance, as PyTorch), and mean/rstd are saved for backward.
 * train == 0: mu/var are the running statistics; mean/rstd may be NULL. */
void htr_batchnorm_forward(
    float *out,            /* [C][M]; may equal in */
    float *mean,           /* [C] saved batch mean (train) */
    float *rstd,           /* [C] saved 1/sqrt(var + eps) (train) */
    float *run_mean,       /* [C] updated in train mode */
    float *run_var,        /* [C] updated in train mode */
    const float *in,       /* [C][M] */
    const float *gamma,    /* [C] */
    const float *beta,     /* [C] */
    int C, int M, float momentum, float eps, int train);

/* Backward of the train-mode forward (batch statistics). */
void htr_batchnorm_backward(
    float *din,            /* [C][M], adds; NULL: not needed */
    float *dgamma,         /* [C], adds */
    float *dbeta,          /* [C], adds */
    const float *dout,     /* [C][M] */
    const float *in,       /* [C][M] the forward's input */
    const float *mean,     /* [C] */
    const float *rstd,     /* [C] */
    const float *gamma,    /* [C] */
    int C, int M);

/* Batch norm followed by an activation in the same passes: out =
 * act(batchnorm(in)), for act HTR_ACT_LINEAR, _RELU or _LEAKY (those for
 * which htr_batchnorm_fuses() says 1).  Same values as
 * htr_batchnorm_forward + htr_act_forward. */
int htr_batchnorm_fuses(int act);

void htr_batchnorm_act_forward(
    float *out,            /* [C][M]; may equal in */
    float *mean, float *rstd, float *run_mean, float *run_var, /* [C] */
    const float *in,       /* [C][M] */
    const float *gamma,    /* [C] */
    const float *beta,     /* [C] */
    int C, int M, float momentum, float eps, int train, int act);

/* Backward of htr_batchnorm_act_forward in train mode.  din is WRITTEN,
 * not added (no zeroing needed beforehand); dgamma, dbeta add.  Same
 * values as htr_act_grad + htr_batchnorm_backward into a zeroed din. */
void htr_batchnorm_act_backward(
    float *din,            /* [C][M], written; NULL: not needed */
    float *dgamma,         /* [C], adds */
    float *dbeta,          /* [C], adds */
    const float *dout,     /* [C][M] the gradient of out */
    const float *out,      /* [C][M] the forward's output (after act) */
    const float *in,       /* [C][M] the forward's input */
    const float *mean,     /* [C] */
    const float *rstd,     /* [C] */
    const float *gamma,    /* [C] */
    int C, int M, int act);

/* Backward of the eval-mode forward (running statistics, a fixed affine
 * map): din += gamma * rstd * dout with rstd = 1/sqrt(run_var + eps). */
void htr_batchnorm_backward_eval(
    float *din,            /* [C][M], adds; NULL: not needed */
    float *dgamma,         /* [C], adds */
    float *dbeta,          /* [C], adds */
    const float *dout,     /* [C][M] */
    const float *in,       /* [C][M] */
    const float *run_mean, /* [C] */
    const float *run_var,  /* [C] */
    const float *gamma,    /* [C] */
    int C, int M, float eps);

/* ---- element-wise activations, dropout, softmax (nn_act.c) -------------
 * htr_act_backward uses the forward OUTPUT (so forward may run in place):
 * relu/leaky look at its sign, tanh uses 1 - y^2, sigmoid y (1 - y).
 * HTR_ACT_SOFTMAX is not element-wise: use htr_softmax_*. */
void htr_act_forward(
    float *out,            /* [n]; may equal in */
    const float *in,       /* [n] */
    size_t n, int act);

void htr_act_backward(
    float *din,            /* [n], adds */
    const float *dout,     /* [n] */
    const float *out,      /* [n] forward output */
    size_t n, int act);

/* g = f'(out) * dout, written (not added) into g, which may not alias
 * dout or out: the backward of an activation into a scratch buffer. */
void htr_act_grad(
    float *g,              /* [n] */
    const float *dout,     /* [n] */
    const float *out,      /* [n] forward output */
    size_t n, int act);

/* Softmax over C values spaced cstride apart, for each of M groups spaced
 * mstride apart (maps: cstride = N*H*W, mstride = 1, M = N*H*W;
 * rows [M][C]: cstride = 1, mstride = C). */
void htr_softmax_forward(float *out, const float *in,
    int C, size_t cstride, size_t M, size_t mstride);
void htr_softmax_backward(float *din /* adds */, const float *dout,
    const float *out, int C, size_t cstride, size_t M, size_t mstride);

/* Log-softmax over the last axis. */
void htr_logsoftmax_forward(
    float *out,            /* [M][C] */
    const float *in,       /* [M][C] */
    size_t M, int C);

void htr_logsoftmax_backward(
    float *din,            /* [M][C], adds: dout - exp(out) * sum(dout) */
    const float *dout,     /* [M][C] */
    const float *out,      /* [M][C] forward output */
    size_t M, int C);

/* Inverted dropout.  htr_dropout_mask draws mask[i] = 0 with probability
 * p, else 1 / (1 - p); forward is out = in * mask, backward din += dout *
 * mask.  Tests pass a fixed mask. */
void htr_dropout_mask(float *mask /* [n] */, size_t n, float p,
    struct htr_rng *rng);
void htr_dropout_forward(float *out /* [n] */, const float *in /* [n] */,
    const float *mask /* [n] */, size_t n);
void htr_dropout_backward(float *din /* [n], adds */,
    const float *dout /* [n] */, const float *mask /* [n] */, size_t n);

/* ---- linear (nn_linear.c) ----------------------------------------------
 * out[m] = w * in[m] + b, one sgemm over all M rows. */
void htr_linear_forward(
    float *out,            /* [M][O] */
    const float *in,       /* [M][I] */
    const float *w,        /* [O][I] */
    const float *b,        /* [O] */
    int M, int I, int O);

void htr_linear_backward(
    float *din,            /* [M][I], adds; NULL: not needed */
    float *dw,             /* [O][I], adds */
    float *db,             /* [O], adds */
    const float *dout,     /* [M][O] */
    const float *in,       /* [M][I] */
    const float *w,        /* [O][I] */
    int M, int I, int O);

/* ---- reshapes (nn_shape.c) ---------------------------------------------
 * map -> sequence along the width: out[x][n][c*H + y] = in[c][n][y][x].
 * map -> vector: out[n][(c*H + y)*W + x] = in[c][n][y][x].
 * NCHW <-> CNHW for the network input. */
void htr_map2seq_forward(float *out /* [W][N][C*H] */,
    const float *in /* [C][N][H][W] */, int C, int N, int H, int W);
void htr_map2seq_backward(float *din /* [C][N][H][W], adds */,
    const float *dout /* [W][N][C*H] */, int C, int N, int H, int W);
void htr_map2vec_forward(float *out /* [N][C*H*W] */,
    const float *in /* [C][N][H][W] */, int C, int N, int H, int W);
void htr_map2vec_backward(float *din /* [C][N][H][W], adds */,
    const float *dout /* [N][C*H*W] */, int C, int N, int H, int W);
void htr_nchw2cnhw(float *out /* [C][N][H][W] */,
    const float *in /* [N][C][H][W] */, int N, int C, int H, int W);

/* ---- LSTM (nn_lstm.c) --------------------------------------------------
 * One direction of an LSTM over a sequence, gates in the order i, f, g, o:
 *   a_t = wx x_t + wh h_{t-1} + b     (i, f, o sigmoid; g tanh)
 *   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t),  h/c start at 0.
 * One bias per gate (no separate recurrent bias): 4H(I + H + 1) params.
 * reverse != 0 runs from t = T-1 down to 0 (h_{t+1} feeds step t).
 * The input projection of all T*N frames is one sgemm; each step is one
 * sgemm over the batch.  len[n] (NULL: all T) is sample n's real length:
 * for t >= len[n] the state is held at zero, so a sample's output beyond its
 * length is 0 and the reverse direction starts at its own last frame — the
 * LSTM does not run over padding.
 * h is written with a row stride ldh >= H, so the two directions of a
 * bidirectional layer write the halves of one [T][N][2H] output. */
size_t htr_lstm_scratch(int T, int N, int H);  /* floats for backward */

void htr_lstm_forward(
    float *h,              /* [T][N][ldh] hidden outputs (first H used) */
    float *c,              /* [T][N][H] cell states, kept for backward */
    float *gates,          /* [T][N][5H] activated gates i f g o and
                              tanh(c), kept for backward */
    const float *x,        /* [T][N][I] */
    const float *wx,       /* [4H][I] */
    const float *wh,       /* [4H][H] */
    const float *b,        /* [4H] */
    const int *len,        /* [N] or NULL */
    int T, int N, int I, int H, int ldh, int reverse);

void htr_lstm_backward(
    float *dx,             /* [T][N][I], adds; NULL: not needed */
    float *dwx,            /* [4H][I], adds */
    float *dwh,            /* [4H][H], adds */
    float *db,             /* [4H], adds */
    float *scratch,        /* htr_lstm_scratch(T, N, H) floats */
    const float *dh,       /* [T][N][ldh] gradient on the outputs */
    const float *h,        /* [T][N][ldh] forward outputs */
    const float *c,        /* [T][N][H] */
    const float *gates,    /* [T][N][5H] */
    const float *x,        /* [T][N][I] */
    const float *wx,       /* [4H][I] */
    const float *wh,       /* [4H][H] */
    const int *len,        /* [N] or NULL */
    int T, int N, int I, int H, int ldh, int reverse);

/* The same in phases, so that the two directions of a bidirectional
 * layer can run their recurrences at once (net.c, htr_par_tasks):
 * forward = forward_input (the input projection of all frames, one big
 * sgemm, plus the bias) then forward_steps (the recurrence: one small
 * sgemm and the gate work per step); backward = backward_steps (the
 * gate gradients of all steps into scratch) then backward_weights (the
 * big sgemms for dwx, dwh, dx and the bias sum).  Arguments as above. */
void htr_lstm_forward_input(float *gates, const float *x, const float *wx,
    const float *b, int T, int N, int I, int H);
void htr_lstm_forward_steps(float *h, float *c, float *gates,
    const float *wh, const int *len, int T, int N, int H, int ldh,
    int reverse);
void htr_lstm_backward_steps(float *scratch, const float *dh, const float *c,
    const float *gates, const float *wh, const int *len, int T, int N,
    int H, int ldh, int reverse);
void htr_lstm_backward_weights(float *dx, float *dwx, float *dwh, float *db,
    const float *scratch, const float *h, const float *x, const float *wx,
    int T, int N, int I, int H, int ldh, int reverse);

#endif
