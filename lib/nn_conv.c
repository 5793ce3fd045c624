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

/* A tile of the output: samples n0..n0+g-1, output rows y0..y1-1 of each
 * (all rows when g > 1), so its columns are contiguous in out. */
struct cols {
	float *col, *din;
	const float *in;
	int n0, g, y0, y1, N, H, W, kh, kw, sh, sw, Wo;
};

/* col[K][g][y1-y0][Wo] from the tile's samples and rows of
 * in[Ci][N][H][W], for the input channels c0..c1-1. */
static void
im2col_ch(void *ctx, size_t c0, size_t c1)
{
	const struct cols *k = ctx;
	float *col = k->col;
	const float *in = k->in;
	int n0 = k->n0, g = k->g, N = k->N, H = k->H, W = k->W, kh = k->kh;
	int kw = k->kw, sh = k->sh, sw = k->sw, y0 = k->y0, y1 = k->y1;
	int Wo = k->Wo, ph = (kh - 1) / 2, pw = (kw - 1) / 2;
	size_t ncol = (size_t)g * (y1 - y0) * Wo;

	for (int ci = (int)c0; ci < (int)c1; ci++)
		for (int ky = 0; ky < kh; ky++)
			for (int kx = 0; kx < kw; kx++) {
				float *dst = col + ((size_t)(ci * kh + ky) * kw + kx) *
				    ncol;
				/* columns x whose input column is inside */
				int x0 = 0, x1 = Wo;
				while (x0 < Wo && x0 * sw - pw + kx < 0)
					x0++;
				while (x1 > x0 && (x1 - 1) * sw - pw + kx >= W)
					x1--;
				for (int j = 0; j < g; j++) {
					const float *src = in + ((size_t)ci * N + n0 + j) *
					    H * W;
					for (int y = y0; y < y1; y++, dst += Wo) {
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
	int kw = k->kw, sh = k->sh, sw = k->sw, y0 = k->y0, y1 = k->y1;
	int Wo = k->Wo, ph = (kh - 1) / 2, pw = (kw - 1) / 2;
	size_t ncol = (size_t)g * (y1 - y0) * Wo;

	for (int ci = (int)c0; ci < (int)c1; ci++)
		for (int ky = 0; ky < kh; ky++)
			for (int kx = 0; kx < kw; kx++) {
				const float *s = col + ((size_t)(ci * kh + ky) * kw + kx) *
				    ncol;
				int x0 = 0, x1 = Wo;
				while (x0 < Wo && x0 * sw - pw + kx < 0)
					x0++;
				while (x1 > x0 && (x1 - 1) * sw - pw + kx >= W)
					x1--;
				for (int j = 0; j < g; j++) {
					float *dst = din + ((size_t)ci * N + n0 + j) * H * W;
					for (int y = y0; y < y1; y++, s += Wo) {
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
im2col(struct cols *k, int Ci)
{
	htr_par_for(Ci, (size_t)k->kh * k->kw * k->g * (k->y1 - k->y0) * k->Wo,
	    im2col_ch, k);
}

static void
col2im(struct cols *k, int Ci)
{
	htr_par_for(Ci, 2 * (size_t)k->kh * k->kw * k->g * (k->y1 - k->y0) *
	    k->Wo, col2im_ch, k);
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

/* Floats of columns per tile (2 MiB): small enough to stay in cache between
 * im2col, the sgemms and col2im, wide enough for sgemm's full speed
 * (measured on the conv shapes of bench/train_speed and lines-small). */
#define TILE_FLOATS ((size_t)1 << 19)

/* The tiles: g whole samples at a time when one sample's columns fit in
 * a tile (and in ncol), else ty output rows of one sample at a time.
 * With several threads the tiles are as large as ncol allows: smaller ones
 * measured slower there (sgemm's threads and the par_for thread starts
 * cost more per tile; bench/train_speed with OPENBLAS_NUM_THREADS=2).  The
 * tiling depends on the shapes and the thread count only, so results are
 * the same for a given thread count. */
static void
tiling(int *g, int *ty, size_t ncol, int N, int K, int Ho, int Wo)
{
	size_t row = (size_t)K * Wo, per = row * Ho;
	size_t tile = htr_par_threads() == 1 ? TILE_FLOATS : ncol;
	size_t cap = ncol < tile ? ncol : tile;

	HTR_ASSERT(ncol >= row);
	if (cap < row)
		cap = row;
	if (per <= cap) {
		*g = cap / per >= (size_t)N ? N : (int)(cap / per);
		*ty = Ho;
	} else {
		/* equal tiles: rows ceil(Ho / number of tiles) */
		int t = (int)(cap / row), nt = (Ho + t - 1) / t;
		*g = 1;
		*ty = (Ho + nt - 1) / nt;
	}
}

void
htr_conv_forward(float *out, float *col, size_t ncol, const float *in,
    const float *w, const float *b, int N, int Ci, int H, int W, int Co,
    int kh, int kw, int sh, int sw)
{
	int Ho = htr_conv_outsize(H, sh), Wo = htr_conv_outsize(W, sw);
	int K = Ci * kh * kw, hw = Ho * Wo;
	int ld = N * hw;

	if (direct(kh, kw, sh, sw)) {
		htr_sgemm(0, 0, Co, ld, K, 1, w, K, in, ld, 0, out, ld);
		struct bias k = { out, NULL, b, ld };
		htr_par_for(Co, ld, bias_add, &k);
		return;
	}
	int g, ty;
	tiling(&g, &ty, ncol, N, K, Ho, Wo);
	for (int n0 = 0; n0 < N; n0 += g)
		for (int y0 = 0; y0 < Ho; y0 += ty) {
			struct cols k = { col, NULL, in, n0, N - n0 < g ? N - n0 : g,
			    y0, Ho - y0 < ty ? Ho : y0 + ty, N, H, W, kh, kw, sh, sw,
			    Wo };
			int m = k.g * (k.y1 - y0) * Wo;
			float *o = out + (size_t)n0 * hw + (size_t)y0 * Wo;
			im2col(&k, Ci);
			htr_sgemm(0, 0, Co, m, K, 1, w, K, col, m, 0, o, ld);
			/* the bias while the tile is still in cache */
			for (int c = 0; c < Co; c++) {
				float *r = o + (size_t)c * ld, bb = b[c];
				for (int i = 0; i < m; i++)
					r[i] += bb;
			}
		}
}

void
htr_conv_backward(float *din, float *dw, float *db, float *col,
    size_t ncol, const float *dout, const float *in, const float *w,
    int N, int Ci, int H, int W, int Co, int kh, int kw, int sh, int sw)
{
	int Ho = htr_conv_outsize(H, sh), Wo = htr_conv_outsize(W, sw);
	int K = Ci * kh * kw, hw = Ho * Wo;
	int ld = N * hw;

	struct bias kb = { NULL, db, dout, ld };
	htr_par_for(Co, ld, bias_sum, &kb);
	if (direct(kh, kw, sh, sw)) {
		htr_sgemm(0, 1, Co, K, ld, 1, dout, ld, in, ld, 1, dw, K);
		if (din)
			htr_sgemm(1, 0, K, ld, Co, 1, w, K, dout, ld, 1, din, ld);
		return;
	}
	int g, ty;
	tiling(&g, &ty, ncol, N, K, Ho, Wo);
	for (int n0 = 0; n0 < N; n0 += g)
		for (int y0 = 0; y0 < Ho; y0 += ty) {
			struct cols k = { col, din, in, n0, N - n0 < g ? N - n0 : g,
			    y0, Ho - y0 < ty ? Ho : y0 + ty, N, H, W, kh, kw, sh, sw,
			    Wo };
			int m = k.g * (k.y1 - y0) * Wo;
			const float *d = dout + (size_t)n0 * hw + (size_t)y0 * Wo;
			im2col(&k, Ci);
			htr_sgemm(0, 1, Co, K, m, 1, d, ld, col, m, 1, dw, K);
			if (!din)
				continue;
			htr_sgemm(1, 0, K, m, Co, 1, w, K, d, ld, 0, col, m);
			col2im(&k, Ci);
		}
}
