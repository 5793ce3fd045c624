/* nn_linear.c — fully connected layer, one sgemm over all rows. */
#include "gemm.h"
#include "layers.h"

void
htr_linear_forward(float *out, const float *in, const float *w,
    const float *b, int M, int I, int O)
{
	for (int m = 0; m < M; m++)
		for (int o = 0; o < O; o++)
			out[(size_t)m * O + o] = b[o];
	htr_sgemm(0, 1, M, O, I, 1, in, I, w, I, 1, out, O);
}

void
htr_linear_backward(float *din, float *dw, float *db, const float *dout,
    const float *in, const float *w, int M, int I, int O)
{
	for (int m = 0; m < M; m++)
		for (int o = 0; o < O; o++)
			db[o] += dout[(size_t)m * O + o];
	htr_sgemm(1, 0, O, I, M, 1, dout, O, in, I, 1, dw, I);
	if (din)
		htr_sgemm(0, 0, M, I, O, 1, dout, O, w, I, 1, din, I);
}
