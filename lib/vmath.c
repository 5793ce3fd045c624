/* vmath.c — vectorisable exp, sigmoid and tanh (see vmath.h).
 *
 * exp(x) = 2^n exp(r) with n = round(x / ln 2) and r = x - n ln 2 (ln 2
 * split in a short high part and a low part, so n ln2_hi is exact), |r| <=
 * ln(2)/2; exp(r) by its Taylor polynomial of degree 6 (truncation error
 * |r|^7 / 7! < 1.3e-7); 2^n built in the exponent bits.  The loops work in
 * blocks of 8 with a separate clamping pass: the form gcc -O2 vectorises. */
#include <string.h>

#include "vmath.h"

#define LO (-87.0f)
#define HI 87.0f

static inline float
clampf(float x)
{
	x = x > LO ? x : LO;
	return x < HI ? x : HI;
}

/* exp(x) for x already in [LO, HI] */
static inline float
expc(float x)
{
	float n = (x * 1.44269504f + 12582912.f) - 12582912.f;  /* round */
	float r = x - n * 0.693145752f;          /* ln 2 high part: exact */
	r = r - n * 1.42860677e-6f;              /* ln 2 low part */
	float p = 1.f / 720;
	p = p * r + 1.f / 120;
	p = p * r + 1.f / 24;
	p = p * r + 1.f / 6;
	p = p * r + 0.5f;
	p = p * r + 1.f;
	p = p * r + 1.f;
	int e = ((int)n + 127) << 23;
	float s;
	memcpy(&s, &e, sizeof s);
	return p * s;
}

float
htr_expf(float x)
{
	return expc(clampf(x));
}

void
htr_vsigmoid(float *y, const float *x, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		float t[8];
		for (int j = 0; j < 8; j++)
			t[j] = clampf(-x[i + j]);
		for (int j = 0; j < 8; j++)
			y[i + j] = 1 / (1 + expc(t[j]));
	}
	for (; i < n; i++)
		y[i] = 1 / (1 + expc(clampf(-x[i])));
}

/* tanh(x) = 1 - 2 / (1 + exp(2x)) */
void
htr_vtanh(float *y, const float *x, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		float t[8];
		for (int j = 0; j < 8; j++)
			t[j] = clampf(2 * x[i + j]);
		for (int j = 0; j < 8; j++)
			y[i + j] = 1 - 2 / (1 + expc(t[j]));
	}
	for (; i < n; i++)
		y[i] = 1 - 2 / (1 + expc(clampf(2 * x[i])));
}
