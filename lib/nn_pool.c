/* nn_pool.c — max pooling without padding. */
#include <string.h>

#include "layers.h"
#include "par.h"

int
htr_pool_outsize(int in, int k, int stride)
{
	return in < k ? 0 : (in - k) / stride + 1;
}

/* Index (within the plane) of the first maximum of window (y, x). */
static inline int
argmax(const float *p, int W, int y0, int x0, int kh, int kw)
{
	int best = y0 * W + x0;
	float m = p[best];

	for (int ky = 0; ky < kh; ky++)
		for (int kx = 0; kx < kw; kx++) {
			int i = (y0 + ky) * W + x0 + kx;
			if (p[i] > m) {
				m = p[i];
				best = i;
			}
		}
	return best;
}

struct pool {
	float *out;
	const float *in, *dout;
	int H, W, kh, kw, sh, sw;
	int set;                /* backward: write din instead of adding */
};

static void
pool_fwd(void *ctx, size_t p0, size_t p1)
{
	const struct pool *k = ctx;
	const float *in = k->in;
	float *out = k->out;
	int H = k->H, W = k->W, kh = k->kh, kw = k->kw, sh = k->sh, sw = k->sw;
	int Ho = htr_pool_outsize(H, kh, sh), Wo = htr_pool_outsize(W, kw, sw);

	for (size_t p = p0; p < p1; p++) {
		const float *ip = in + (size_t)p * H * W;
		float *op = out + (size_t)p * Ho * Wo;
		if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
			for (int y = 0; y < Ho; y++) {
				const float *r0 = ip + (size_t)2 * y * W, *r1 = r0 + W;
				for (int x = 0; x < Wo; x++) {
					float a = r0[2 * x], b = r0[2 * x + 1];
					float c = r1[2 * x], d = r1[2 * x + 1];
					a = b > a ? b : a;
					c = d > c ? d : c;
					op[y * Wo + x] = c > a ? c : a;
				}
			}
			continue;
		}
		if (kh == 2 && kw == 1 && sh == 2 && sw == 1) {
			for (int y = 0; y < Ho; y++) {
				const float *r0 = ip + (size_t)2 * y * W, *r1 = r0 + W;
				for (int x = 0; x < Wo; x++)
					op[y * Wo + x] = r1[x] > r0[x] ? r1[x] : r0[x];
			}
			continue;
		}
		for (int y = 0; y < Ho; y++)
			for (int x = 0; x < Wo; x++)
				op[y * Wo + x] = ip[argmax(ip, W, y * sh, x * sw,
				    kh, kw)];
	}
}

void
htr_maxpool_forward(float *out, const float *in, int P, int H, int W,
    int kh, int kw, int sh, int sw)
{
	struct pool k = { out, in, NULL, H, W, kh, kw, sh, sw, 0 };

	htr_par_for(P, (size_t)H * W, pool_fwd, &k);
}

static void
pool_bwd(void *ctx, size_t p0, size_t p1)
{
	const struct pool *k = ctx;
	const float *in = k->in, *dout = k->dout;
	float *din = k->out;
	int H = k->H, W = k->W, kh = k->kh, kw = k->kw, sh = k->sh, sw = k->sw;
	int Ho = htr_pool_outsize(H, kh, sh), Wo = htr_pool_outsize(W, kw, sw);

	for (size_t p = p0; p < p1; p++) {
		const float *ip = in + (size_t)p * H * W;
		const float *dp = dout + (size_t)p * Ho * Wo;
		float *gp = din + (size_t)p * H * W;
		if (k->set && kh == 2 && sh == 2 && ((kw == 2 && sw == 2) ||
		    (kw == 1 && sw == 1))) {
			/* windows tile rows 0..2Ho-1, columns 0..kw*Wo-1: write
			 * each window's values, then zero what none covers */
			for (int y = 0; y < Ho; y++) {
				const float *r0 = ip + (size_t)2 * y * W, *r1 = r0 + W;
				float *g0 = gp + (size_t)2 * y * W, *g1 = g0 + W;
				if (kw == 2)
					for (int x = 0; x < Wo; x++) {
						/* branch-free: the first maximum of a b / e f
						 * in row-major order, as argmax() */
						float d = dp[y * Wo + x];
						float a = r0[2 * x], b = r0[2 * x + 1];
						float e = r1[2 * x], f = r1[2 * x + 1];
						int tb = b > a, bf = f > e;
						float top = tb ? b : a, bot = bf ? f : e;
						int lo = bot > top;
						float u = lo ? 0.f : d, v = lo ? d : 0.f;
						g0[2 * x] = tb ? 0.f : u;
						g0[2 * x + 1] = tb ? u : 0.f;
						g1[2 * x] = bf ? 0.f : v;
						g1[2 * x + 1] = bf ? v : 0.f;
					}
				else
					for (int x = 0; x < Wo; x++) {
						float d = dp[y * Wo + x];
						int lo = r1[x] > r0[x];
						g0[x] = lo ? 0 : d;
						g1[x] = lo ? d : 0;
					}
				for (int x = kw * Wo; x < W; x++)
					g0[x] = g1[x] = 0;
			}
			for (int y = 2 * Ho; y < H; y++)
				memset(gp + (size_t)y * W, 0, W * sizeof *gp);
			continue;
		}
		if (k->set)
			memset(gp, 0, (size_t)H * W * sizeof *gp);
		if (kh == 2 && sh == 2 && ((kw == 2 && sw == 2) ||
		    (kw == 1 && sw == 1))) {
			/* the common poolings: same tie rule as argmax() */
			for (int y = 0; y < Ho; y++) {
				const float *r0 = ip + (size_t)2 * y * W, *r1 = r0 + W;
				float *g0 = gp + (size_t)2 * y * W, *g1 = g0 + W;
				for (int x = 0; x < Wo; x++) {
					float d = dp[y * Wo + x];
					int c = x * kw;
					float m = r0[c];
					float *t = &g0[c];
					if (kw == 2 && r0[c + 1] > m)
						m = r0[c + 1], t = &g0[c + 1];
					if (r1[c] > m)
						m = r1[c], t = &g1[c];
					if (kw == 2 && r1[c + 1] > m)
						t = &g1[c + 1];
					*t += d;
				}
			}
			continue;
		}
		for (int y = 0; y < Ho; y++)
			for (int x = 0; x < Wo; x++)
				gp[argmax(ip, W, y * sh, x * sw, kh, kw)] +=
				    dp[y * Wo + x];
	}
}

void
htr_maxpool_backward(float *din, const float *dout, const float *in,
    int P, int H, int W, int kh, int kw, int sh, int sw)
{
	struct pool k = { din, in, dout, H, W, kh, kw, sh, sw, 0 };

	htr_par_for(P, 2 * (size_t)H * W, pool_bwd, &k);
}

void
htr_maxpool_backward_set(float *din, const float *dout, const float *in,
    int P, int H, int W, int kh, int kw, int sh, int sw)
{
	struct pool k = { din, in, dout, H, W, kh, kw, sh, sw, 1 };

	htr_par_for(P, 2 * (size_t)H * W, pool_bwd, &k);
}
