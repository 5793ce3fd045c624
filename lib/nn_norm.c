/* nn_norm.c — batch normalisation per channel. */
#include <math.h>

#include "htr.h"
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

/* y = act(a x + b), act the identity (slope 1) or leaky/plain ReLU
 * (max(v, 0) + slope min(v, 0), as htr_act_forward computes it). */
static void
affine(float *restrict y, const float *restrict x, int n, float a, float b,
    float slope)
{
	int i = 0;

	if (slope == 1) {
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++)
				y[i + j] = a * x[i + j] + b;
		for (; i < n; i++)
			y[i] = a * x[i] + b;
		return;
	}
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) {
			float v = a * x[i + j] + b;
			float p = v > 0.f ? v : 0.f, q = v > 0.f ? 0.f : v;
			y[i + j] = p + slope * q;
		}
	for (; i < n; i++) {
		float v = a * x[i] + b;
		y[i] = (v > 0.f ? v : 0.f) + slope * (v > 0.f ? 0.f : v);
	}
}

static void
affine_inplace(float *y, int n, float a, float b, float slope)
{
	int i = 0;

	if (slope == 1) {
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++)
				y[i + j] = a * y[i + j] + b;
		for (; i < n; i++)
			y[i] = a * y[i] + b;
		return;
	}
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) {
			float v = a * y[i + j] + b;
			float p = v > 0.f ? v : 0.f, q = v > 0.f ? 0.f : v;
			y[i + j] = p + slope * q;
		}
	for (; i < n; i++) {
		float v = a * y[i] + b;
		y[i] = (v > 0.f ? v : 0.f) + slope * (v > 0.f ? 0.f : v);
	}
}

/* dy = f'(out) dout: the activation's gradient (out NULL: the identity,
 * dy = dout). */
#define DY(i) (out ? (out[i] > 0.f ? 1.f : slope) * dout[i] : dout[i])

/* dx (+)= k * (dy - mdy - (x - mu) * mx): added, or written when set. */
static void
bn_dx(float *restrict dx, const float *restrict dout,
    const float *restrict out, float slope, const float *restrict x, int n,
    float k, float mdy, float mu, float mx, int set)
{
	int i = 0;

	if (set && out) {
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++) {
				float dy = (out[i + j] > 0.f ? 1.f : slope) * dout[i + j];
				dx[i + j] = k * (dy - mdy - (x[i + j] - mu) * mx);
			}
	} else if (set) {
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++)
				dx[i + j] = k * (dout[i + j] - mdy - (x[i + j] - mu) * mx);
	} else if (out) {
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++) {
				float dy = (out[i + j] > 0.f ? 1.f : slope) * dout[i + j];
				dx[i + j] += k * (dy - mdy - (x[i + j] - mu) * mx);
			}
	} else
		for (; i + 8 <= n; i += 8)
			for (int j = 0; j < 8; j++)
				dx[i + j] += k * (dout[i + j] - mdy - (x[i + j] - mu) *
				    mx);
	for (; i < n; i++) {
		float v = k * (DY(i) - mdy - (x[i] - mu) * mx);
		dx[i] = set ? v : dx[i] + v;
	}
}

/* Sum of dy and of dy * (x - mu), likewise. */
static void
sum2(double *sdy, double *sdyx, const float *restrict dout,
    const float *restrict out, float slope, const float *restrict x, int n,
    float mu)
{
	*sdy = *sdyx = 0;
	for (int i0 = 0; i0 < n; i0 += 4096) {
		int i1 = n - i0 < 4096 ? n : i0 + 4096, i = i0;
		float a[8] = { 0 }, b[8] = { 0 };
		if (out)
			for (; i + 8 <= i1; i += 8)
				for (int j = 0; j < 8; j++) {
					float dy = (out[i + j] > 0.f ? 1.f : slope) *
					    dout[i + j];
					a[j] += dy;
					b[j] += dy * (x[i + j] - mu);
				}
		else
			for (; i + 8 <= i1; i += 8)
				for (int j = 0; j < 8; j++) {
					a[j] += dout[i + j];
					b[j] += dout[i + j] * (x[i + j] - mu);
				}
		for (; i < i1; i++) {
			a[0] += DY(i);
			b[0] += DY(i) * (x[i] - mu);
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
	float momentum, eps, slope;
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
			affine_inplace(y, M, a, b, k->slope);
		else
			affine(y, x, M, a, b, k->slope);
	}
}

/* The slope of a fusable activation's negative side; 1: the identity. */
static float
slope_of(int act)
{
	HTR_ASSERT(htr_batchnorm_fuses(act));
	return act == HTR_ACT_LINEAR ? 1 : act == HTR_ACT_RELU ? 0 :
	    HTR_LEAKY_SLOPE;
}

int
htr_batchnorm_fuses(int act)
{
	return act == HTR_ACT_LINEAR || act == HTR_ACT_RELU ||
	    act == HTR_ACT_LEAKY;
}

void
htr_batchnorm_act_forward(float *out, float *mean, float *rstd,
    float *run_mean, float *run_var, const float *in, const float *gamma,
    const float *beta, int C, int M, float momentum, float eps, int train,
    int act)
{
	struct bnf k = { out, mean, rstd, run_mean, run_var, in, gamma, beta,
	    M, train, momentum, eps, slope_of(act) };

	htr_par_for(C, 3 * (size_t)M, bn_forward_ch, &k);
}

void
htr_batchnorm_forward(float *out, float *mean, float *rstd, float *run_mean,
    float *run_var, const float *in, const float *gamma, const float *beta,
    int C, int M, float momentum, float eps, int train)
{
	htr_batchnorm_act_forward(out, mean, rstd, run_mean, run_var, in, gamma,
	    beta, C, M, momentum, eps, train, HTR_ACT_LINEAR);
}

struct bnb {
	float *din, *dgamma, *dbeta;
	const float *dout, *out, *in, *mean, *rstd, *gamma;
	int M, set;
	float slope;
};

static void
bn_backward_ch(void *p, size_t c0, size_t c1)
{
	const struct bnb *k = p;
	int M = k->M;

	for (size_t c = c0; c < c1; c++) {
		const float *x = k->in + c * M, *dy = k->dout + c * M;
		const float *o = k->out ? k->out + c * M : NULL;
		float *dx = k->din ? k->din + c * M : NULL;
		float mu = k->mean[c], rs = k->rstd[c];
		double sdy, sdyx;
		sum2(&sdy, &sdyx, dy, o, k->slope, x, M, mu);
		k->dbeta[c] += (float)sdy;
		k->dgamma[c] += (float)(sdyx * rs);
		/* dx = gamma rs / M (M dy - sum dy - xhat sum(dy xhat)) */
		float kk = k->gamma[c] * rs;
		float mdy = (float)(sdy / M);
		float mx = (float)(sdyx * rs * rs / M);
		if (dx)
			bn_dx(dx, dy, o, k->slope, x, M, kk, mdy, mu, mx, k->set);
	}
}

void
htr_batchnorm_act_backward(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *out, const float *in, const float *mean,
    const float *rstd, const float *gamma, int C, int M, int act)
{
	float slope = slope_of(act);
	struct bnb k = { din, dgamma, dbeta, dout,
	    act == HTR_ACT_LINEAR ? NULL : out, in, mean, rstd, gamma, M, 1,
	    slope };

	htr_par_for(C, 5 * (size_t)M, bn_backward_ch, &k);
}

void
htr_batchnorm_backward(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *in, const float *mean, const float *rstd,
    const float *gamma, int C, int M)
{
	struct bnb k = { din, dgamma, dbeta, dout, NULL, in, mean, rstd, gamma,
	    M, 0, 1 };

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
		sum2(&sdy, &sdyx, dy, NULL, 1, x, M, mu);
		if (dx)
			bn_dx(dx, dy, NULL, 1, x, M, k, 0, 0, 0, 0);
		dbeta[c] += (float)sdy;
		dgamma[c] += (float)(sdyx * rs);
	}
}
