/* vgsl.h — parse network specifications in VGSL, the variable-size graph
 * specification language of Tesseract and Kraken, with htr's extensions.
 * man/htr-model.5 is the normative description of the accepted subset:
 *
 *   [N,H,W,C  ...  ]    input: batch (ignored), height, width (0 =
 *                       variable), channels
 *   Ca<kh>,<kw>,<d>[,<sh>,<sw>]  convolution, d filters, same padding,
 *                       optional stride; a = activation:
 *                       r relu, l linear, t tanh, s sigmoid, m softmax,
 *                       k leaky relu (htr extension, slope 0.01)
 *   Bn[a]               batch norm per channel (htr extension) followed by
 *                       activation a (default l), e.g. Cl3,3,64 Bnr
 *   Mp<kh>,<kw>[,<sh>,<sw>]  max pooling, stride defaults to the kernel
 *   Do[<rate>]          dropout, rate defaults to 0.5
 *   L{f,r,b}x<n>        LSTM along the width: forward, reverse,
 *                       bidirectional (output 2n)
 *   Fa<n>               fully connected, a as for C (not m)
 *   O1c<n>              output: per-frame log-softmax over n classes for
 *                       CTC, blank = class 0
 *   O0s<n>              output: one log-softmax over n classes per image
 *
 *   S1(1x0)1,3          Kraken's reshape that folds the height into the
 *                       features (the only S form accepted); optional,
 *                       the fold below happens implicitly
 *
 * A feature map meets a sequence layer (L, O1c, or F when the width is
 * variable) by collapsing height into features along the width:
 * [C][N][H][W] -> [W][N][C*H].  F or O0s after a map of fixed width
 * flattens it to [N][C*H*W].
 */
#ifndef HTR_VGSL_H
#define HTR_VGSL_H

#include <stddef.h>

#define HTR_VGSL_MAX      64    /* layers */
#define HTR_VGSL_TOKMAX   32    /* bytes of a token kept for messages */
#define HTR_VGSL_STRMAX   1024  /* longest specification */

enum htr_vgsl_kind {
	HTR_VGSL_CONV = 0,
	HTR_VGSL_BATCHNORM,
	HTR_VGSL_MAXPOOL,
	HTR_VGSL_DROPOUT,
	HTR_VGSL_LSTM,
	HTR_VGSL_LINEAR,
	HTR_VGSL_OUTPUT,
	HTR_VGSL_FOLD,              /* S1(1x0)1,3: height into features */
};

struct htr_vgsl_layer {
	int kind;                   /* enum htr_vgsl_kind */
	int act;                    /* enum htr_act (conv, batchnorm, linear) */
	int kh, kw, sh, sw;         /* conv, maxpool */
	int n;                      /* filters, units, classes */
	char dir;                   /* LSTM: 'f', 'r' or 'b' */
	int outdim;                 /* output: 1 (per frame, CTC) or 0 */
	float rate;                 /* dropout */
	char tok[HTR_VGSL_TOKMAX];  /* the token as written */
};

struct htr_vgsl {
	int in_n, in_h, in_w, in_c;
	int nlayer;
	struct htr_vgsl_layer layer[HTR_VGSL_MAX];
};

/* Parses s; on error returns -1 with a message naming the offending token,
 * e.g. "VGSL: 'Cx3,3,32': unknown activation 'x' (r, l, t, s, m, k)". */
int htr_vgsl_parse(struct htr_vgsl *v, const char *s);

/* Writes the canonical form ("[1,32,0,1 Cr5,5,32 Mp2,2 ... O1c80]") into
 * buf; returns 0, or -1 if it does not fit. */
int htr_vgsl_format(char *buf, size_t size, const struct htr_vgsl *v);

#endif
