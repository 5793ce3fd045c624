/* nn_act.c — element-wise activations, softmax, log-softmax, dropout. */
#include <math.h>
#include <string.h>

#include "layers.h"
#include "par.h"
#include "rng.h"

/* In place: one pointer, and blocks of 8 so that gcc -O2 vectorises. */
static void
act_inplace(float *y, size_t n, int act)
{
	size_t i = 0;

	switch (act) {
	case HTR_ACT_RELU:
	case HTR_ACT_LEAKY: {
		/* max(v, 0) + k min(v, 0) as two selects: a form gcc -O2
		 * vectorises in blocks of 8 (exact; ReLU may give -0) */
		float k = act == HTR_ACT_RELU ? 0 : HTR_LEAKY_SLOPE;
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++) {
				float v = y[i + j];
				float p = v > 0.f ? v : 0.f, q = v > 0.f ? 0.f : v;
				y[i + j] = p + k * q;
			}
		for (; i < n; i++) {
			float v = y[i];
			y[i] = (v > 0.f ? v : 0.f) + k * (v > 0.f ? 0.f : v);
		}
		break;
	}
	case HTR_ACT_TANH:
		for (; i < n; i++)
			y[i] = tanhf(y[i]);
		break;
	case HTR_ACT_SIGMOID:
		for (; i < n; i++)
			y[i] = 1 / (1 + expf(-y[i]));
		break;
	}
}

struct actk {
	float *y, *din;
	const float *dout, *out;
	int act;
};

static void
act_fwd_chunk(void *ctx, size_t lo, size_t hi)
{
	const struct actk *k = ctx;

	act_inplace(k->y + lo, hi - lo, k->act);
}

void
htr_act_forward(float *out, const float *in, size_t n, int act)
{
	struct actk k = { out, NULL, NULL, NULL, act };

	if (out != in)
		memcpy(out, in, n * sizeof *out);
	if (act != HTR_ACT_LINEAR)
		htr_par_for(n, act == HTR_ACT_RELU || act == HTR_ACT_LEAKY ? 1 : 20,
		    act_fwd_chunk, &k);
}

static void
act_bwd(float *restrict din, const float *restrict dout,
    const float *restrict out, size_t n, int act)
{
	switch (act) {
	case HTR_ACT_LINEAR:
		for (size_t i = 0; i < n; i++)
			din[i] += dout[i];
		break;
	case HTR_ACT_RELU:
	case HTR_ACT_LEAKY: {
		float k = act == HTR_ACT_RELU ? 0 : HTR_LEAKY_SLOPE;
		size_t i = 0;
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++) {
				float f = out[i + j] > 0.f ? 1.f : k;
				din[i + j] += f * dout[i + j];
			}
		for (; i < n; i++) {
			float f = out[i] > 0.f ? 1.f : k;
			din[i] += f * dout[i];
		}
		break;
	}
	case HTR_ACT_TANH:
		for (size_t i = 0; i < n; i++)
			din[i] += dout[i] * (1 - out[i] * out[i]);
		break;
	case HTR_ACT_SIGMOID:
		for (size_t i = 0; i < n; i++)
			din[i] += dout[i] * out[i] * (1 - out[i]);
		break;
	}
}

static void
act_bwd_chunk(void *ctx, size_t lo, size_t hi)
{
	const struct actk *k = ctx;

	act_bwd(k->din + lo, k->dout + lo, k->out + lo, hi - lo, k->act);
}

void
htr_act_backward(float *din, const float *dout, const float *out, size_t n,
    int act)
{
	struct actk k = { NULL, din, dout, out, act };

	htr_par_for(n, 3, act_bwd_chunk, &k);
}

/* g = f'(out) dout, written rather than added: no pass to zero g first. */
static void
act_grad(float *restrict g, const float *restrict dout,
    const float *restrict out, size_t n, int act)
{
	size_t i = 0;

	switch (act) {
	case HTR_ACT_RELU:
	case HTR_ACT_LEAKY: {
		float k = act == HTR_ACT_RELU ? 0 : HTR_LEAKY_SLOPE;
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++) {
				float f = out[i + j] > 0.f ? 1.f : k;
				g[i + j] = f * dout[i + j];
			}
		for (; i < n; i++) {
			float f = out[i] > 0.f ? 1.f : k;
			g[i] = f * dout[i];
		}
		break;
	}
	default:
		memset(g, 0, n * sizeof *g);
		act_bwd(g, dout, out, n, act);
		break;
	}
}

static void
act_grad_chunk(void *ctx, size_t lo, size_t hi)
{
	const struct actk *k = ctx;

	act_grad(k->din + lo, k->dout + lo, k->out + lo, hi - lo, k->act);
}

void
htr_act_grad(float *g, const float *dout, const float *out, size_t n,
    int act)
{
	struct actk k = { NULL, g, dout, out, act };

	htr_par_for(n, 3, act_grad_chunk, &k);
}

void
htr_softmax_forward(float *out, const float *in, int C, size_t cstride,
    size_t M, size_t mstride)
{
	for (size_t m = 0; m < M; m++) {
		const float *x = in + m * mstride;
		float *y = out + m * mstride;
		float mx = x[0];
		for (int c = 1; c < C; c++)
			if (x[c * cstride] > mx)
				mx = x[c * cstride];
		double s = 0;
		for (int c = 0; c < C; c++)
			s += y[c * cstride] = expf(x[c * cstride] - mx);
		float r = (float)(1 / s);
		for (int c = 0; c < C; c++)
			y[c * cstride] *= r;
	}
}

void
htr_softmax_backward(float *din, const float *dout, const float *out, int C,
    size_t cstride, size_t M, size_t mstride)
{
	for (size_t m = 0; m < M; m++) {
		const float *y = out + m * mstride, *dy = dout + m * mstride;
		float *dx = din + m * mstride;
		double s = 0;
		for (int c = 0; c < C; c++)
			s += dy[c * cstride] * y[c * cstride];
		for (int c = 0; c < C; c++)
			dx[c * cstride] += y[c * cstride] *
			    (dy[c * cstride] - (float)s);
	}
}

void
htr_logsoftmax_forward(float *out, const float *in, size_t M, int C)
{
	for (size_t m = 0; m < M; m++) {
		const float *x = in + m * C;
		float *y = out + m * C;
		float mx = x[0];
		for (int c = 1; c < C; c++)
			if (x[c] > mx)
				mx = x[c];
		double s = 0;
		for (int c = 0; c < C; c++)
			s += exp(x[c] - mx);
		float lse = mx + (float)log(s);
		for (int c = 0; c < C; c++)
			y[c] = x[c] - lse;
	}
}

void
htr_logsoftmax_backward(float *din, const float *dout, const float *out,
    size_t M, int C)
{
	for (size_t m = 0; m < M; m++) {
		const float *y = out + m * C, *dy = dout + m * C;
		float *dx = din + m * C;
		double s = 0;
		for (int c = 0; c < C; c++)
			s += dy[c];
		for (int c = 0; c < C; c++)
			dx[c] += dy[c] - expf(y[c]) * (float)s;
	}
}

void
htr_dropout_mask(float *mask, size_t n, float p, struct htr_rng *rng)
{
	float keep = p < 1 ? 1 / (1 - p) : 0;

	for (size_t i = 0; i < n; i++)
		mask[i] = htr_rng_uniform(rng) < p ? 0 : keep;
}

void
htr_dropout_forward(float *out, const float *in, const float *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = in[i] * mask[i];
}

void
htr_dropout_backward(float *restrict din, const float *restrict dout,
    const float *restrict mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		din[i] += dout[i] * mask[i];
}
