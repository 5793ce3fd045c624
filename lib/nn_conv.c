/* nn_conv.c — 2-D convolution, "same" padding, any kernel and stride:
 * im2col over a group of samples, then one sgemm for the group. */
#include <string.h>

#include "gemm.h"
#include "htr.h"
#include "layers.h"
#include "par.h"

int
htr_conv_outsize(int in, int stride)
{
	return (in + stride - 1) / stride;
}

size_t
htr_conv_colsize(int Ci, int kh, int kw, int Ho, int Wo)
{
	return (size_t)Ci * kh * kw * Ho * Wo;
}

/* A 1x1 kernel with stride 1 reads the input as it is: no columns. */
static int
direct(int kh, int kw, int sh, int sw)
{
	return kh == 1 && kw == 1 && sh == 1 && sw == 1;
}

struct cols {
	float *col, *din;
	const float *in;
	int n0, g, N, H, W, kh, kw, sh, sw, Ho, Wo;
};

/* col[K][g][Ho][Wo] from samples n0..n0+g-1 of in[Ci][N][H][W], for the
 * input channels c0..c1-1. */
static void
im2col_ch(void *ctx, size_t c0, size_t c1)
{
	const struct cols *k = ctx;
	float *col = k->col;
	const float *in = k->in;
	int n0 = k->n0, g = k->g, N = k->N, H = k->H, W = k->W, kh = k->kh;
	int kw = k->kw, sh = k->sh, sw = k->sw, Ho = k->Ho, Wo = k->Wo;
	int ph = (kh - 1) / 2, pw = (kw - 1) / 2;

	for (int ci = (int)c0; ci < (int)c1; ci++)
		for (int ky = 0; ky < kh; ky++)
			for (int kx = 0; kx < kw; kx++) {
				float *dst = col + ((size_t)(ci * kh + ky) * kw + kx) *
				    g * Ho * Wo;
				/* columns x whose input column is inside */
				int x0 = 0, x1 = Wo;
				while (x0 < Wo && x0 * sw - pw + kx < 0)
					x0++;
				while (x1 > x0 && (x1 - 1) * sw - pw + kx >= W)
					x1--;
				for (int j = 0; j < g; j++) {
					const float *src = in + ((size_t)ci * N + n0 + j) *
					    H * W;
					for (int y = 0; y < Ho; y++, dst += Wo) {
						int iy = y * sh - ph + ky;
						if (iy < 0 || iy >= H) {
							memset(dst, 0, Wo * sizeof *dst);
							continue;
						}
						long off = (long)iy * W - pw + kx;
						for (int x = 0; x < x0; x++)
							dst[x] = 0;
						if (sw == 1 && x1 > x0)
							memcpy(dst + x0, src + off + x0,
							    (x1 - x0) * sizeof *dst);
						else if (sw != 1)
							for (int x = x0; x < x1; x++)
								dst[x] = src[off + (long)x * sw];
						for (int x = x1; x < Wo; x++)
							dst[x] = 0;
					}
				}
			}
}

static void
add(float *restrict y, const float *restrict x, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			y[i + j] += x[i + j];
	for (; i < n; i++)
		y[i] += x[i];
}

/* The adjoint of im2col: adds col back into din. */
static void
col2im_ch(void *ctx, size_t c0, size_t c1)
{
	const struct cols *k = ctx;
	const float *col = k->col;
	float *din = k->din;
	int n0 = k->n0, g = k->g, N = k->N, H = k->H, W = k->W, kh = k->kh;
	int kw = k->kw, sh = k->sh, sw = k->sw, Ho = k->Ho, Wo = k->Wo;
	int ph = (kh - 1) / 2, pw = (kw - 1) / 2;

	for (int ci = (int)c0; ci < (int)c1; ci++)
		for (int ky = 0; ky < kh; ky++)
			for (int kx = 0; kx < kw; kx++) {
				const float *s = col + ((size_t)(ci * kh + ky) * kw + kx) *
				    g * Ho * Wo;
				int x0 = 0, x1 = Wo;
				while (x0 < Wo && x0 * sw - pw + kx < 0)
					x0++;
				while (x1 > x0 && (x1 - 1) * sw - pw + kx >= W)
					x1--;
				for (int j = 0; j < g; j++) {
					float *dst = din + ((size_t)ci * N + n0 + j) * H * W;
					for (int y = 0; y < Ho; y++, s += Wo) {
						int iy = y * sh - ph + ky;
						if (iy < 0 || iy >= H)
							continue;
						long off = (long)iy * W - pw + kx;
						if (sw == 1)
							add(dst + off + x0, s + x0, x1 - x0);
						else
							for (int x = x0; x < x1; x++)
								dst[off + (long)x * sw] += s[x];
					}
				}
			}
}

static void
im2col(float *col, const float *in, int n0, int g, int N, int Ci, int H,
    int W, int kh, int kw, int sh, int sw, int Ho, int Wo)
{
	struct cols k = { col, NULL, in, n0, g, N, H, W, kh, kw, sh, sw, Ho,
	    Wo };

	htr_par_for(Ci, (size_t)kh * kw * g * Ho * Wo, im2col_ch, &k);
}

static void
col2im(float *din, const float *col, int n0, int g, int N, int Ci, int H,
    int W, int kh, int kw, int sh, int sw, int Ho, int Wo)
{
	struct cols k = { (float *)col, din, NULL, n0, g, N, H, W, kh, kw, sh,
	    sw, Ho, Wo };

	htr_par_for(Ci, 2 * (size_t)kh * kw * g * Ho * Wo, col2im_ch, &k);
}

/* The bias of each output channel: added to its map (forward), its
 * gradient summed (backward: per channel in one thread, so the sum does
 * not depend on the thread count). */
struct bias {
	float *out, *db;
	const float *in;        /* b (forward) or dout (backward) */
	int ld;                 /* values per channel */
};

static void
bias_add(void *ctx, size_t c0, size_t c1)
{
	const struct bias *k = ctx;

	for (size_t c = c0; c < c1; c++) {
		float *o = k->out + c * k->ld, bb = k->in[c];
		for (int i = 0; i < k->ld; i++)
			o[i] += bb;
	}
}

static void
bias_sum(void *ctx, size_t c0, size_t c1)
{
	const struct bias *k = ctx;

	for (size_t c = c0; c < c1; c++) {
		const float *d = k->in + c * k->ld;
		double s = 0;
		for (int i = 0; i < k->ld; i++)
			s += d[i];
		k->db[c] += (float)s;
	}
}

static int
group(size_t ncol, int N, int Ci, int kh, int kw, int Ho, int Wo)
{
	size_t per = htr_conv_colsize(Ci, kh, kw, Ho, Wo);

	HTR_ASSERT(ncol >= per);
	return ncol / per >= (size_t)N ? N : (int)(ncol / per);
}

void
htr_conv_forward(float *out, float *col, size_t ncol, const float *in,
    const float *w, const float *b, int N, int Ci, int H, int W, int Co,
    int kh, int kw, int sh, int sw)
{
	int Ho = htr_conv_outsize(H, sh), Wo = htr_conv_outsize(W, sw);
	int K = Ci * kh * kw, hw = Ho * Wo;
	int ld = N * hw;

	if (direct(kh, kw, sh, sw))
		htr_sgemm(0, 0, Co, ld, K, 1, w, K, in, ld, 0, out, ld);
	else {
		int g = group(ncol, N, Ci, kh, kw, Ho, Wo);
		for (int n0 = 0; n0 < N; n0 += g) {
			int gg = N - n0 < g ? N - n0 : g;
			im2col(col, in, n0, gg, N, Ci, H, W, kh, kw, sh, sw,
			    Ho, Wo);
			htr_sgemm(0, 0, Co, gg * hw, K, 1, w, K, col, gg * hw, 0,
			    out + (size_t)n0 * hw, ld);
		}
	}
	struct bias k = { out, NULL, b, ld };
	htr_par_for(Co, ld, bias_add, &k);
}

void
htr_conv_backward(float *din, float *dw, float *db, float *col,
    size_t ncol, const float *dout, const float *in, const float *w,
    int N, int Ci, int H, int W, int Co, int kh, int kw, int sh, int sw)
{
	int Ho = htr_conv_outsize(H, sh), Wo = htr_conv_outsize(W, sw);
	int K = Ci * kh * kw, hw = Ho * Wo;
	int ld = N * hw;

	struct bias k = { NULL, db, dout, ld };
	htr_par_for(Co, ld, bias_sum, &k);
	if (direct(kh, kw, sh, sw)) {
		htr_sgemm(0, 1, Co, K, ld, 1, dout, ld, in, ld, 1, dw, K);
		if (din)
			htr_sgemm(1, 0, K, ld, Co, 1, w, K, dout, ld, 1, din, ld);
		return;
	}
	int g = group(ncol, N, Ci, kh, kw, Ho, Wo);
	for (int n0 = 0; n0 < N; n0 += g) {
		int gg = N - n0 < g ? N - n0 : g;
		const float *d = dout + (size_t)n0 * hw;
		im2col(col, in, n0, gg, N, Ci, H, W, kh, kw, sh, sw, Ho, Wo);
		htr_sgemm(0, 1, Co, K, gg * hw, 1, d, ld, col, gg * hw, 1, dw, K);
		if (!din)
			continue;
		htr_sgemm(1, 0, K, gg * hw, Co, 1, w, K, d, ld, 0, col, gg * hw);
		col2im(din, col, n0, gg, N, Ci, H, W, kh, kw, sh, sw, Ho, Wo);
	}
}
