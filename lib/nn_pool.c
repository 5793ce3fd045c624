/* nn_pool.c — max pooling without padding. */
#include "layers.h"

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

void
htr_maxpool_forward(float *out, const float *in, int P, int H, int W,
    int kh, int kw, int sh, int sw)
{
	int Ho = htr_pool_outsize(H, kh, sh), Wo = htr_pool_outsize(W, kw, sw);

	for (int p = 0; p < P; p++) {
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
		for (int y = 0; y < Ho; y++)
			for (int x = 0; x < Wo; x++)
				op[y * Wo + x] = ip[argmax(ip, W, y * sh, x * sw,
				    kh, kw)];
	}
}

void
htr_maxpool_backward(float *din, const float *dout, const float *in,
    int P, int H, int W, int kh, int kw, int sh, int sw)
{
	int Ho = htr_pool_outsize(H, kh, sh), Wo = htr_pool_outsize(W, kw, sw);

	for (int p = 0; p < P; p++) {
		const float *ip = in + (size_t)p * H * W;
		const float *dp = dout + (size_t)p * Ho * Wo;
		float *gp = din + (size_t)p * H * W;
		for (int y = 0; y < Ho; y++)
			for (int x = 0; x < Wo; x++)
				gp[argmax(ip, W, y * sh, x * sw, kh, kw)] +=
				    dp[y * Wo + x];
	}
}
