/* nn_lstm.c — one direction of an LSTM; a bidirectional layer is two
 * calls writing the two halves of one output. */
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"

size_t
htr_lstm_scratch(int T, int N, int H)
{
	return (size_t)T * N * 4 * H + 2 * (size_t)N * H;
}

static inline float
sigm(float x)
{
	return 1 / (1 + expf(-x));
}

/* One time step of the element-wise gate work, for a range of samples. */
struct step {
	float *h, *c, *gates, *dg, *dhn, *dcn;
	const float *dh;
	const int *len;
	int t, p, s, N, H, ldh;
};

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
		for (int k = 0; k < H; k++) {
			float ig = sigm(a[k]), fg = sigm(a[H + k]);
			float gg = tanhf(a[2 * H + k]), og = sigm(a[3 * H + k]);
			float cc = ig * gg + (cp ? fg * cp[k] : 0);
			a[k] = ig;
			a[H + k] = fg;
			a[2 * H + k] = gg;
			a[3 * H + k] = og;
			a[4 * H + k] = tanhf(cc);
			ct[k] = cc;
			ht[k] = og * a[4 * H + k];
		}
	}
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
		const float *cp = s > 0 ? q->c + ((size_t)p * N + n) * H : NULL;
		const float *dht = q->dh + ((size_t)t * N + n) * q->ldh;
		for (int k = 0; k < H; k++) {
			float ig = a[k], fg = a[H + k], gg = a[2 * H + k];
			float og = a[3 * H + k];
			float tc = a[4 * H + k];
			float dhk = dht[k] + dhr[k];
			float dck = dcr[k] + dhk * og * (1 - tc * tc);
			float cpk = cp ? cp[k] : 0;
			d[k] = dck * gg * ig * (1 - ig);
			d[H + k] = dck * cpk * fg * (1 - fg);
			d[2 * H + k] = dck * ig * (1 - gg * gg);
			d[3 * H + k] = dhk * tc * og * (1 - og);
			dcr[k] = dck * fg;
		}
	}
}

void
htr_lstm_forward(float *h, float *c, float *gates, const float *x,
    const float *wx, const float *wh, const float *b, const int *len,
    int T, int N, int I, int H, int ldh, int reverse)
{
	int G = 4 * H, L = 5 * H;
	size_t TN = (size_t)T * N;

	for (size_t r = 0; r < TN; r++)
		memcpy(gates + r * L, b, G * sizeof *b);
	htr_sgemm(0, 1, (int)TN, G, I, 1, x, I, wx, I, 1, gates, L);
	for (int s = 0; s < T; s++) {
		int t = reverse ? T - 1 - s : s, p = reverse ? t + 1 : t - 1;
		float *gt = gates + (size_t)t * N * L;
		if (s > 0)
			htr_sgemm(0, 1, N, G, H, 1, h + (size_t)p * N * ldh, ldh,
			    wh, H, 1, gt, L);
		struct step k = { h, c, gates, NULL, NULL, NULL, NULL, len, t, p,
		    s, N, H, ldh };
		fwd_step(&k, 0, N);   /* too little work per step for threads */
	}
}

void
htr_lstm_backward(float *dx, float *dwx, float *dwh, float *db,
    float *scratch, const float *dh, const float *h, const float *c,
    const float *gates, const float *x, const float *wx, const float *wh,
    const int *len, int T, int N, int I, int H, int ldh, int reverse)
{
	int G = 4 * H;
	size_t TN = (size_t)T * N;
	float *dg = scratch;                 /* [T][N][G] */
	float *dhn = dg + TN * G;            /* [N][H] from the later step */
	float *dcn = dhn + (size_t)N * H;    /* [N][H] */

	memset(dhn, 0, 2 * (size_t)N * H * sizeof *dhn);
	for (int s = T - 1; s >= 0; s--) {
		int t = reverse ? T - 1 - s : s, p = reverse ? t + 1 : t - 1;
		float *dgt = dg + (size_t)t * N * G;
		struct step k = { NULL, (float *)c, (float *)gates, dg, dhn, dcn, dh,
		    len, t, p, s, N, H, ldh };
		bwd_step(&k, 0, N);
		if (s > 0)
			htr_sgemm(0, 0, N, H, G, 1, dgt, G, wh, H, 0, dhn, H);
	}
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
