/* nn_norm.c — batch normalisation per channel. */
#include <math.h>

#include "layers.h"
#include "par.h"

/* Sum of x[0..n-1] and of (x - mu)^2: float partial sums in 8 lanes over
 * blocks, added up in double (fast, and accurate enough for statistics). */
static double
sum(const float *restrict x, int n, float mu, int sq)
{
	double s = 0;

	for (int i0 = 0; i0 < n; i0 += 4096) {
		int i1 = n - i0 < 4096 ? n : i0 + 4096, i = i0;
		float a[8] = { 0 };
		if (sq)
			for (; i + 8 <= i1; i += 8)
				for (int j = 0; j < 8; j++)
					a[j] += (x[i + j] - mu) * (x[i + j] - mu);
		else
			for (; i + 8 <= i1; i += 8)
				for (int j = 0; j < 8; j++)
					a[j] += x[i + j];
		for (; i < i1; i++)
			a[0] += sq ? (x[i] - mu) * (x[i] - mu) : x[i];
		s += ((double)a[0] + a[1] + a[2] + a[3]) + ((double)a[4] + a[5] +
		    a[6] + a[7]);
	}
	return s;
}

static void
affine(float *restrict y, const float *restrict x, int n, float a, float b)
{
	int i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			y[i + j] = a * x[i + j] + b;
	for (; i < n; i++)
		y[i] = a * x[i] + b;
}

static void
affine_inplace(float *y, int n, float a, float b)
{
	int i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			y[i + j] = a * y[i + j] + b;
	for (; i < n; i++)
		y[i] = a * y[i] + b;
}

/* dx += k * (dy - mdy - (x - mu) * mx) */
static void
bn_dx(float *restrict dx, const float *restrict dy, const float *restrict x,
    int n, float k, float mdy, float mu, float mx)
{
	int i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			dx[i + j] += k * (dy[i + j] - mdy - (x[i + j] - mu) * mx);
	for (; i < n; i++)
		dx[i] += k * (dy[i] - mdy - (x[i] - mu) * mx);
}

/* Sum of dy and of dy * (x - mu), likewise. */
static void
sum2(double *sdy, double *sdyx, const float *restrict dy,
    const float *restrict x, int n, float mu)
{
	*sdy = *sdyx = 0;
	for (int i0 = 0; i0 < n; i0 += 4096) {
		int i1 = n - i0 < 4096 ? n : i0 + 4096, i = i0;
		float a[8] = { 0 }, b[8] = { 0 };
		for (; i + 8 <= i1; i += 8)
			for (int j = 0; j < 8; j++) {
				a[j] += dy[i + j];
				b[j] += dy[i + j] * (x[i + j] - mu);
			}
		for (; i < i1; i++) {
			a[0] += dy[i];
			b[0] += dy[i] * (x[i] - mu);
		}
		for (int j = 0; j < 8; j++) {
			*sdy += a[j];
			*sdyx += b[j];
		}
	}
}

struct bnf {
	float *out, *mean, *rstd, *run_mean, *run_var;
	const float *in, *gamma, *beta;
	int M, train;
	float momentum, eps;
};

static void
bn_forward_ch(void *p, size_t c0, size_t c1)
{
	const struct bnf *k = p;
	int M = k->M;

	for (size_t c = c0; c < c1; c++) {
		const float *x = k->in + c * M;
		float *y = k->out + c * M;
		float mu, rs;
		if (k->train) {
			double m = sum(x, M, 0, 0) / M;
			/* second pass around the mean: no cancellation */
			double ss = sum(x, M, (float)m, 1);
			double var = ss / M;
			mu = (float)m;
			rs = (float)(1 / sqrt(var + k->eps));
			k->mean[c] = mu;
			k->rstd[c] = rs;
			double unb = M > 1 ? ss / (M - 1) : var;
			k->run_mean[c] = (1 - k->momentum) * k->run_mean[c] +
			    k->momentum * (float)m;
			k->run_var[c] = (1 - k->momentum) * k->run_var[c] +
			    k->momentum * (float)unb;
		} else {
			mu = k->run_mean[c];
			rs = 1 / sqrtf(k->run_var[c] + k->eps);
		}
		float a = k->gamma[c] * rs, b = k->beta[c] - mu * a;
		if (y == x)
			affine_inplace(y, M, a, b);
		else
			affine(y, x, M, a, b);
	}
}

void
htr_batchnorm_forward(float *out, float *mean, float *rstd, float *run_mean,
    float *run_var, const float *in, const float *gamma, const float *beta,
    int C, int M, float momentum, float eps, int train)
{
	struct bnf k = { out, mean, rstd, run_mean, run_var, in, gamma, beta,
	    M, train, momentum, eps };

	htr_par_for(C, 3 * (size_t)M, bn_forward_ch, &k);
}

struct bnb {
	float *din, *dgamma, *dbeta;
	const float *dout, *in, *mean, *rstd, *gamma;
	int M;
};

static void
bn_backward_ch(void *p, size_t c0, size_t c1)
{
	const struct bnb *k = p;
	int M = k->M;

	for (size_t c = c0; c < c1; c++) {
		const float *x = k->in + c * M, *dy = k->dout + c * M;
		float *dx = k->din ? k->din + c * M : NULL;
		float mu = k->mean[c], rs = k->rstd[c];
		double sdy, sdyx;
		sum2(&sdy, &sdyx, dy, x, M, mu);
		k->dbeta[c] += (float)sdy;
		k->dgamma[c] += (float)(sdyx * rs);
		/* dx = gamma rs / M (M dy - sum dy - xhat sum(dy xhat)) */
		float kk = k->gamma[c] * rs;
		float mdy = (float)(sdy / M);
		float mx = (float)(sdyx * rs * rs / M);
		if (dx)
			bn_dx(dx, dy, x, M, kk, mdy, mu, mx);
	}
}

void
htr_batchnorm_backward(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *in, const float *mean, const float *rstd,
    const float *gamma, int C, int M)
{
	struct bnb k = { din, dgamma, dbeta, dout, in, mean, rstd, gamma, M };

	htr_par_for(C, 4 * (size_t)M, bn_backward_ch, &k);
}

void
htr_batchnorm_backward_eval(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *in, const float *run_mean,
    const float *run_var, const float *gamma, int C, int M, float eps)
{
	for (int c = 0; c < C; c++) {
		const float *x = in + (size_t)c * M, *dy = dout + (size_t)c * M;
		float *dx = din ? din + (size_t)c * M : NULL;
		float rs = 1 / sqrtf(run_var[c] + eps), mu = run_mean[c];
		float k = gamma[c] * rs;
		double sdy, sdyx;
		sum2(&sdy, &sdyx, dy, x, M, mu);
		if (dx)
			bn_dx(dx, dy, x, M, k, 0, 0, 0);
		dbeta[c] += (float)sdy;
		dgamma[c] += (float)(sdyx * rs);
	}
}
