/* test_vmath.c — the vectorised exp/sigmoid/tanh against double libm,
 * with the error bounds promised in vmath.h, and the same result whatever
 * an element's position in the array (vector block or scalar tail). */
#include <math.h>
#include <stdlib.h>

#include "t.h"
#include "vmath.h"

#define N 2000003   /* odd: the scalar tail is exercised too */

int
main(void)
{
	float *x = malloc(N * sizeof *x), *s = malloc(N * sizeof *s);
	float *t = malloc(N * sizeof *t), *s1 = malloc(N * sizeof *s1);
	double e_exp = 0, e_sig = 0, r_sig = 0, e_tanh = 0;

	for (int i = 0; i < N; i++)
		x[i] = -100 + 200.0f * i / (N - 1);
	x[7] = 0, x[8] = -0.0f, x[9] = 1e-30f, x[10] = 88.7f, x[11] = -87.5f;
	htr_vsigmoid(s, x, N);
	htr_vtanh(t, x, N);
	for (int i = 0; i < N; i++) {
		double v = x[i], c = v < -87 ? -87 : v > 87 ? 87 : v;
		double re = fabs(htr_expf(x[i]) - exp(c)) / exp(c);
		e_exp = re > e_exp ? re : e_exp;
		double sg = 1 / (1 + exp(-v)), th = tanh(v);
		double ae = fabs(s[i] - sg);
		e_sig = ae > e_sig ? ae : e_sig;
		if (sg > 1e-30 && ae / sg > r_sig)
			r_sig = ae / sg;
		ae = fabs(t[i] - th);
		e_tanh = ae > e_tanh ? ae : e_tanh;
		CHECK(isfinite(s[i]) && s[i] >= 0 && s[i] <= 1);
		CHECK(isfinite(t[i]) && t[i] >= -1 && t[i] <= 1);
	}
	printf("max errors: exp rel %.3g, sigmoid abs %.3g rel %.3g, tanh abs "
	    "%.3g\n", e_exp, e_sig, r_sig, e_tanh);
	CHECKF(e_exp < 4e-7, "exp relative error %g", e_exp);
	CHECKF(e_sig < 2e-7, "sigmoid absolute error %g", e_sig);
	CHECKF(r_sig < 5e-7, "sigmoid relative error %g", r_sig);
	CHECKF(e_tanh < 4e-7, "tanh absolute error %g", e_tanh);
	CHECK(htr_expf(0) == 1);
	CHECK(isfinite(htr_expf(1000)) && htr_expf(-1000) > 0);

	/* element by element (scalar tail) == the vectorised blocks */
	int same = 1;
	for (int i = 0; i < 1000; i++) {
		int k = i * 1999;
		htr_vsigmoid(s1, x + k, 1);
		same &= s1[0] == s[k];
		htr_vtanh(s1, x + k, 1);
		same &= s1[0] == t[k];
	}
	CHECK(same);
	/* in place */
	htr_vtanh(s1, x, 1000);
	htr_vtanh(x, x, 1000);
	same = 1;
	for (int i = 0; i < 1000; i++)
		same &= x[i] == s1[i];
	CHECK(same);
	free(x), free(s), free(t), free(s1);
	return T_DONE();
}
