/* ctc.c — CTC loss and gradient by the forward-backward algorithm in log
 * space (double precision). */
#include <math.h>
#include <stdlib.h>

#include "ctc.h"
#include "htr.h"

int
htr_ctc_min_frames(const int *label, int L)
{
	int n = L;

	for (int i = 1; i < L; i++)
		n += label[i] == label[i - 1];
	return n;
}

int
htr_ctc_loss(double *loss, float *grad, const float *logp, int T, int C,
    int stride, const int *label, int L, float scale)
{
	if (T < 0 || C < 1 || L < 0 || stride < C)
		return htr_fail("CTC: bad dimensions T=%d C=%d L=%d", T, C, L);
	for (int i = 0; i < L; i++)
		if (label[i] < 1 || label[i] >= C)
			return htr_fail("CTC: label entry %d is %d, outside 1..%d",
			    i, label[i], C - 1);
	*loss = 0;
	if (T < htr_ctc_min_frames(label, L) || T == 0)
		return 1;

	int S = 2 * L + 1;
	double *al = htr_alloc((size_t)2 * T * S + C, sizeof *al);
	if (!al)
		return -1;
	double *be = al + (size_t)T * S, *acc = be + (size_t)T * S;
#define LAB(s) ((s) & 1 ? label[(s) >> 1] : 0)
#define Y(t, s) ((double)logp[(size_t)(t) * stride + LAB(s)])
	for (int i = 0; i < 2 * T * S; i++)
		al[i] = -INFINITY;
	al[0] = Y(0, 0);
	if (S > 1)
		al[1] = Y(0, 1);
	for (int t = 1; t < T; t++) {
		double *a = al + (size_t)t * S, *ap = a - S;
		for (int s = 0; s < S; s++) {
			double v = ap[s];
			if (s >= 1)
				v = htr_ctc_logadd(v, ap[s - 1]);
			if (s >= 2 && (s & 1) && LAB(s) != LAB(s - 2))
				v = htr_ctc_logadd(v, ap[s - 2]);
			a[s] = v == -INFINITY ? v : v + Y(t, s);
		}
	}
	double *b = be + (size_t)(T - 1) * S;
	b[S - 1] = Y(T - 1, S - 1);
	if (S > 1)
		b[S - 2] = Y(T - 1, S - 2);
	for (int t = T - 2; t >= 0; t--) {
		double *bt = be + (size_t)t * S, *bn = bt + S;
		for (int s = 0; s < S; s++) {
			double v = bn[s];
			if (s + 1 < S)
				v = htr_ctc_logadd(v, bn[s + 1]);
			if (s + 2 < S && (s & 1) && LAB(s) != LAB(s + 2))
				v = htr_ctc_logadd(v, bn[s + 2]);
			bt[s] = v == -INFINITY ? v : v + Y(t, s);
		}
	}
	double *aT = al + (size_t)(T - 1) * S;
	double lp = S > 1 ? htr_ctc_logadd(aT[S - 1], aT[S - 2]) : aT[0];
	if (!isfinite(lp)) {
		/* only when the inputs themselves are -inf or NaN */
		free(al);
		return htr_fail("CTC: log-probabilities are not finite");
	}
	*loss = -lp;
	if (grad)
		for (int t = 0; t < T; t++) {
			for (int k = 0; k < C; k++)
				acc[k] = -INFINITY;
			const double *a = al + (size_t)t * S, *bb = be + (size_t)t * S;
			for (int s = 0; s < S; s++)
				if (a[s] != -INFINITY && bb[s] != -INFINITY)
					acc[LAB(s)] = htr_ctc_logadd(
					    acc[LAB(s)],
					    a[s] + bb[s] - Y(t, s));
			float *g = grad + (size_t)t * stride;
			for (int k = 0; k < C; k++)
				if (acc[k] != -INFINITY)
					g[k] -= scale * (float)exp(acc[k] - lp);
		}
#undef Y
#undef LAB
	free(al);
	return 0;
}

double
htr_ctc_batch(float *losses, int *nskipped, float *grad, const float *logp,
    const int *lens, const int *labels, const int *label_lens, int T, int N,
    int C, float scale)
{
	double sum = 0;
	int skipped = 0;
	size_t off = 0;

	for (int n = 0; n < N; n++) {
		double l;
		int Tn = lens ? lens[n] : T;
		if (Tn > T)
			return htr_fail("CTC: sample %d has %d frames, more than %d",
			    n, Tn, T);
		int rc = htr_ctc_loss(&l, grad ? grad + (size_t)n * C : NULL,
		    logp + (size_t)n * C, Tn, C, N * C, labels + off,
		    label_lens[n], scale);
		if (rc < 0)
			return htr_fail_prefix("CTC batch");
		if (rc == 1)
			skipped++;
		else
			sum += l;
		if (losses)
			losses[n] = rc == 1 ? -1 : (float)l;
		off += label_lens[n];
	}
	if (nskipped)
		*nskipped = skipped;
	return sum;
}
