/* vmath.h — exp, sigmoid and tanh over arrays of floats, written as plain
 * C loops that gcc -O2 vectorises (SSE2, no intrinsics, no -march): the
 * LSTM gates spend most of their element-wise time here.
 *
 * Accuracy (measured by tests/unit/test_vmath.c over [-100, 100]):
 *   htr_expf      relative error < 4e-7 on [-87, 87] (the argument is
 *                 clamped to that range: exp(-87) ~ 1.6e-38, exp(87) ~
 *                 6e37; no infinities, no denormals)
 *   htr_vsigmoid  absolute error < 2e-7, relative < 5e-7
 *   htr_vtanh     absolute error < 4e-7 (relative error grows near 0,
 *                 where tanh(x) ~ x is tiny)
 * Results do not depend on where an element sits in the array (the
 * vectorised blocks and the scalar tail do the same float operations), so
 * they do not depend on how a loop is cut into chunks or threads. */
#ifndef HTR_VMATH_H
#define HTR_VMATH_H

float htr_expf(float x);
/* y[i] = 1 / (1 + exp(-x[i])); y may equal x */
void  htr_vsigmoid(float *y, const float *x, int n);
/* y[i] = tanh(x[i]); y may equal x */
void  htr_vtanh(float *y, const float *x, int n);

#endif
