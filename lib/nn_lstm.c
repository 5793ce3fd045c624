/* nn_lstm.c — one direction of an LSTM; a bidirectional layer is two
 * calls writing the two halves of one output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"
#include "vmath.h"

size_t
htr_lstm_scratch(int T, int N, int H)
{
	return (size_t)T * N * 4 * H + 2 * (size_t)N * H + H;
}

/* One time step of the element-wise gate work, for a range of samples. */
struct step {
	float *h, *c, *gates, *dg, *dhn, *dcn;
	const float *dh, *zero;
	const int *len;
	int t, p, s, N, H, ldh;
};

/* c = i g + f cp (cp NULL: 0), for activated gates a = [i f g o]. */
static void
cell(float *restrict c, const float *restrict a, const float *restrict cp,
    int H)
{
	const float *ig = a, *fg = a + H, *gg = a + 2 * H;
	int k = 0;

	if (cp) {
		for (; k + 8 <= H; k += 8)
			for (int j = 0; j < 8; j++)
				c[k + j] = ig[k + j] * gg[k + j] + fg[k + j] * cp[k + j];
		for (; k < H; k++)
			c[k] = ig[k] * gg[k] + fg[k] * cp[k];
	} else {
		for (; k + 8 <= H; k += 8)
			for (int j = 0; j < 8; j++)
				c[k + j] = ig[k + j] * gg[k + j] + 0.f;
		for (; k < H; k++)
			c[k] = ig[k] * gg[k] + 0.f;
	}
}

/* h = o tanh(c) */
static void
hidden(float *restrict h, const float *restrict og,
    const float *restrict tc, int H)
{
	int k = 0;

	for (; k + 8 <= H; k += 8)
		for (int j = 0; j < 8; j++)
			h[k + j] = og[k + j] * tc[k + j];
	for (; k < H; k++)
		h[k] = og[k] * tc[k];
}

static void
fwd_step(void *ctx, size_t n0, size_t n1)
{
	const struct step *q = ctx;
	int t = q->t, p = q->p, s = q->s, N = q->N, H = q->H, L = 5 * H;
	float *gt = q->gates + (size_t)t * N * L;

	for (size_t n = n0; n < n1; n++) {
		float *a = gt + n * L;
		float *ht = q->h + ((size_t)t * N + n) * q->ldh;
		float *ct = q->c + ((size_t)t * N + n) * H;
		const float *cp = s > 0 ? q->c + ((size_t)p * N + n) * H : NULL;
		if (q->len && t >= q->len[n]) {
			memset(a, 0, L * sizeof *a);
			memset(ht, 0, H * sizeof *ht);
			memset(ct, 0, H * sizeof *ct);
			continue;
		}
		htr_vsigmoid(a, a, 2 * H);                /* i, f */
		htr_vtanh(a + 2 * H, a + 2 * H, H);       /* g */
		htr_vsigmoid(a + 3 * H, a + 3 * H, H);    /* o */
		cell(ct, a, cp, H);
		htr_vtanh(a + 4 * H, ct, H);
		hidden(ht, a + 3 * H, a + 4 * H, H);
	}
}

#define GATE_GRAD(k) do { \
	float ig = ia[k], fg = fa[k], gg = ga[k], og = oa[k], tc = ta[k]; \
	float dhk = dh[k] + dhr[k]; \
	float dck = dc[k] + dhk * og * (1 - tc * tc); \
	di[k] = dck * gg * ig * (1 - ig); \
	df[k] = dck * cp[k] * fg * (1 - fg); \
	dgg[k] = dck * ig * (1 - gg * gg); \
	dof[k] = dhk * tc * og * (1 - og); \
	dc[k] = dck * fg; \
	} while (0)

/* n <= 8 elements of each gate; the loop with the constant trip count is
 * the one gcc -O2 vectorises (same operations as the other: the results
 * do not depend on H). */
static void
gate_grads8(float *restrict di, float *restrict df, float *restrict dgg,
    float *restrict dof, float *restrict dc, const float *restrict dh,
    const float *restrict dhr, const float *restrict ia,
    const float *restrict fa, const float *restrict ga,
    const float *restrict oa, const float *restrict ta,
    const float *restrict cp, int n)
{
	if (n == 8)
		for (int k = 0; k < 8; k++)
			GATE_GRAD(k);
	else
		for (int k = 0; k < n; k++)
			GATE_GRAD(k);
}
#undef GATE_GRAD

/* The gate gradients d [4H] of one sample and step from the output's
 * gradient dh plus the later step's dhr, and the cell gradient dc
 * (updated to the earlier step's); a [5H] the activated gates and tanh(c),
 * cp [H] the earlier cell. */
static void
gate_grads(float *d, float *dc, const float *dh, const float *dhr,
    const float *a, const float *cp, int H)
{
	int k = 0, B = H / 8 * 8;

	for (; k < B; k += 8)
		gate_grads8(d + k, d + H + k, d + 2 * H + k, d + 3 * H + k, dc + k,
		    dh + k, dhr + k, a + k, a + H + k, a + 2 * H + k,
		    a + 3 * H + k, a + 4 * H + k, cp + k, 8);
	if (k < H)
		gate_grads8(d + k, d + H + k, d + 2 * H + k, d + 3 * H + k, dc + k,
		    dh + k, dhr + k, a + k, a + H + k, a + 2 * H + k,
		    a + 3 * H + k, a + 4 * H + k, cp + k, H - k);
}

static void
bwd_step(void *ctx, size_t n0, size_t n1)
{
	const struct step *q = ctx;
	int t = q->t, p = q->p, s = q->s, N = q->N, H = q->H, G = 4 * H;
	float *dgt = q->dg + (size_t)t * N * G;

	for (size_t n = n0; n < n1; n++) {
		float *d = dgt + n * G;
		float *dhr = q->dhn + n * H, *dcr = q->dcn + n * H;
		if (q->len && t >= q->len[n]) {
			memset(d, 0, G * sizeof *d);
			memset(dcr, 0, H * sizeof *dcr);
			continue;
		}
		const float *a = q->gates + ((size_t)t * N + n) * 5 * H;
		/* the first step has no earlier cell: c_prev = 0 */
		const float *cp = s > 0 ? q->c + ((size_t)p * N + n) * H :
		    q->zero;
		const float *dht = q->dh + ((size_t)t * N + n) * q->ldh;
		gate_grads(d, dcr, dht, dhr, a, cp, H);
	}
}

void
htr_lstm_forward_input(float *gates, const float *x, const float *wx,
    const float *b, int T, int N, int I, int H)
{
	int G = 4 * H, L = 5 * H;
	size_t TN = (size_t)T * N;

	for (size_t r = 0; r < TN; r++)
		memcpy(gates + r * L, b, G * sizeof *b);
	htr_sgemm(0, 1, (int)TN, G, I, 1, x, I, wx, I, 1, gates, L);
}

void
htr_lstm_forward_steps(float *h, float *c, float *gates, const float *wh,
    const int *len, int T, int N, int H, int ldh, int reverse)
{
	int G = 4 * H, L = 5 * H;
	/* Wh^T [H][G]: OpenBLAS multiplies the few rows of h by an
	 * untransposed matrix about 1.5 times as fast (it packs B on every
	 * call, and packing a transposed one costs more); without memory
	 * for the copy, the slower call on Wh itself. */
	float *wt = T > 1 ? malloc((size_t)G * H * sizeof *wt) : NULL;

	if (wt)
		for (int g = 0; g < G; g++)
			for (int k = 0; k < H; k++)
				wt[(size_t)k * G + g] = wh[(size_t)g * H + k];
	for (int s = 0; s < T; s++) {
		int t = reverse ? T - 1 - s : s, p = reverse ? t + 1 : t - 1;
		float *gt = gates + (size_t)t * N * L;
		if (s > 0 && wt)
			htr_sgemm(0, 0, N, G, H, 1, h + (size_t)p * N * ldh, ldh,
			    wt, G, 1, gt, L);
		else if (s > 0)
			htr_sgemm(0, 1, N, G, H, 1, h + (size_t)p * N * ldh, ldh,
			    wh, H, 1, gt, L);
		struct step k = { h, c, gates, NULL, NULL, NULL, NULL, NULL, len,
		    t, p, s, N, H, ldh };
		fwd_step(&k, 0, N);   /* too little work per step for threads */
	}
	free(wt);
}

void
htr_lstm_forward(float *h, float *c, float *gates, const float *x,
    const float *wx, const float *wh, const float *b, const int *len,
    int T, int N, int I, int H, int ldh, int reverse)
{
	htr_lstm_forward_input(gates, x, wx, b, T, N, I, H);
	htr_lstm_forward_steps(h, c, gates, wh, len, T, N, H, ldh, reverse);
}

void
htr_lstm_backward_steps(float *scratch, const float *dh, const float *c,
    const float *gates, const float *wh, const int *len, int T, int N,
    int H, int ldh, int reverse)
{
	int G = 4 * H;
	size_t TN = (size_t)T * N;
	float *dg = scratch;                 /* [T][N][G] */
	float *dhn = dg + TN * G;            /* [N][H] from the later step */
	float *dcn = dhn + (size_t)N * H;    /* [N][H] */
	float *zero = dcn + (size_t)N * H;   /* [H] c before the first step */

	memset(dhn, 0, (2 * (size_t)N + 1) * H * sizeof *dhn);
	for (int s = T - 1; s >= 0; s--) {
		int t = reverse ? T - 1 - s : s, p = reverse ? t + 1 : t - 1;
		float *dgt = dg + (size_t)t * N * G;
		struct step k = { NULL, (float *)c, (float *)gates, dg, dhn, dcn,
		    dh, zero, len, t, p, s, N, H, ldh };
		bwd_step(&k, 0, N);
		if (s > 0)
			htr_sgemm(0, 0, N, H, G, 1, dgt, G, wh, H, 0, dhn, H);
	}
}

void
htr_lstm_backward_weights(float *dx, float *dwx, float *dwh, float *db,
    const float *scratch, const float *h, const float *x, const float *wx,
    int T, int N, int I, int H, int ldh, int reverse)
{
	int G = 4 * H;
	size_t TN = (size_t)T * N;
	const float *dg = scratch;

	for (size_t r = 0; r < TN; r++) {
		const float *d = dg + r * G;
		for (int k = 0; k < G; k++)
			db[k] += d[k];
	}
	htr_sgemm(1, 0, G, I, (int)TN, 1, dg, G, x, I, 1, dwx, I);
	if (T > 1) {
		int K = (T - 1) * N;
		if (reverse)
			htr_sgemm(1, 0, G, H, K, 1, dg, G, h + (size_t)N * ldh, ldh,
			    1, dwh, H);
		else
			htr_sgemm(1, 0, G, H, K, 1, dg + (size_t)N * G, G, h, ldh,
			    1, dwh, H);
	}
	if (dx)
		htr_sgemm(0, 0, (int)TN, I, G, 1, dg, G, wx, I, 1, dx, I);
}

void
htr_lstm_backward(float *dx, float *dwx, float *dwh, float *db,
    float *scratch, const float *dh, const float *h, const float *c,
    const float *gates, const float *x, const float *wx, const float *wh,
    const int *len, int T, int N, int I, int H, int ldh, int reverse)
{
	htr_lstm_backward_steps(scratch, dh, c, gates, wh, len, T, N, H, ldh,
	    reverse);
	htr_lstm_backward_weights(dx, dwx, dwh, db, scratch, h, x, wx, T, N, I,
	    H, ldh, reverse);
}
