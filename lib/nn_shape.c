/* nn_shape.c — reshapes between feature maps, sequences and vectors. */
#include "layers.h"
#include "par.h"

/* Channels c0..c1-1 of map2seq (forward: in -> out; backward: dout ->
 * din, adding).  Each channel writes its own part of the result. */
struct m2s {
	float *out;
	const float *in;
	int N, H, W, F;
};

static void
m2s_fwd(void *ctx, size_t c0, size_t c1)
{
	const struct m2s *k = ctx;
	int N = k->N, H = k->H, W = k->W, F = k->F;

	for (size_t c = c0; c < c1; c++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++) {
				const float *r = k->in + ((c * N + n) * H + y) * W;
				float *o = k->out + (size_t)n * F + c * H + y;
				for (int x = 0; x < W; x++)
					o[(size_t)x * N * F] = r[x];
			}
}

static void
m2s_bwd(void *ctx, size_t c0, size_t c1)
{
	const struct m2s *k = ctx;
	int N = k->N, H = k->H, W = k->W, F = k->F;

	for (size_t c = c0; c < c1; c++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++) {
				float *r = k->out + ((c * N + n) * H + y) * W;
				const float *o = k->in + (size_t)n * F + c * H + y;
				for (int x = 0; x < W; x++)
					r[x] += o[(size_t)x * N * F];
			}
}

void
htr_map2seq_forward(float *out, const float *in, int C, int N, int H, int W)
{
	struct m2s k = { out, in, N, H, W, C * H };

	htr_par_for(C, (size_t)N * H * W, m2s_fwd, &k);
}

void
htr_map2seq_backward(float *din, const float *dout, int C, int N, int H,
    int W)
{
	struct m2s k = { din, dout, N, H, W, C * H };

	htr_par_for(C, 2 * (size_t)N * H * W, m2s_bwd, &k);
}

void
htr_map2vec_forward(float *out, const float *in, int C, int N, int H, int W)
{
	size_t hw = (size_t)H * W, F = C * hw;

	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (size_t i = 0; i < hw; i++)
				out[n * F + c * hw + i] = in[((size_t)c * N + n) * hw + i];
}

void
htr_map2vec_backward(float *din, const float *dout, int C, int N, int H,
    int W)
{
	size_t hw = (size_t)H * W, F = C * hw;

	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (size_t i = 0; i < hw; i++)
				din[((size_t)c * N + n) * hw + i] += dout[n * F + c * hw + i];
}

void
htr_nchw2cnhw(float *out, const float *in, int N, int C, int H, int W)
{
	size_t hw = (size_t)H * W;

	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (size_t i = 0; i < hw; i++)
				out[((size_t)c * N + n) * hw + i] =
				    in[((size_t)n * C + c) * hw + i];
}
