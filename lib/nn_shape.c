/* nn_shape.c — reshapes between feature maps, sequences and vectors. */
#include "layers.h"

void
htr_map2seq_forward(float *out, const float *in, int C, int N, int H, int W)
{
	int F = C * H;

	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++) {
				const float *r = in + (((size_t)c * N + n) * H + y) * W;
				float *o = out + (size_t)n * F + c * H + y;
				for (int x = 0; x < W; x++)
					o[(size_t)x * N * F] = r[x];
			}
}

void
htr_map2seq_backward(float *din, const float *dout, int C, int N, int H,
    int W)
{
	int F = C * H;

	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++) {
				float *r = din + (((size_t)c * N + n) * H + y) * W;
				const float *o = dout + (size_t)n * F + c * H + y;
				for (int x = 0; x < W; x++)
					r[x] += o[(size_t)x * N * F];
			}
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
