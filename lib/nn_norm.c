/* nn_norm.c — batch normalisation per channel. */
#include <math.h>

#include "layers.h"

void
htr_batchnorm_forward(float *out, float *mean, float *rstd, float *run_mean,
    float *run_var, const float *in, const float *gamma, const float *beta,
    int C, int M, float momentum, float eps, int train)
{
	for (int c = 0; c < C; c++) {
		const float *x = in + (size_t)c * M;
		float *y = out + (size_t)c * M;
		float mu, rs;
		if (train) {
			double s = 0, ss = 0;
			for (int i = 0; i < M; i++)
				s += x[i];
			double m = s / M;
			for (int i = 0; i < M; i++) {
				double d = x[i] - m;
				ss += d * d;
			}
			double var = ss / M;
			mu = (float)m;
			rs = (float)(1 / sqrt(var + eps));
			mean[c] = mu;
			rstd[c] = rs;
			double unb = M > 1 ? ss / (M - 1) : var;
			run_mean[c] = (1 - momentum) * run_mean[c] +
			    momentum * (float)m;
			run_var[c] = (1 - momentum) * run_var[c] +
			    momentum * (float)unb;
		} else {
			mu = run_mean[c];
			rs = 1 / sqrtf(run_var[c] + eps);
		}
		float a = gamma[c] * rs, b = beta[c] - mu * a;
		for (int i = 0; i < M; i++)
			y[i] = a * x[i] + b;
	}
}

void
htr_batchnorm_backward(float *din, float *dgamma, float *dbeta,
    const float *dout, const float *in, const float *mean, const float *rstd,
    const float *gamma, int C, int M)
{
	for (int c = 0; c < C; c++) {
		const float *x = in + (size_t)c * M, *dy = dout + (size_t)c * M;
		float *dx = din ? din + (size_t)c * M : NULL;
		float mu = mean[c], rs = rstd[c];
		double sdy = 0, sdyx = 0;
		for (int i = 0; i < M; i++) {
			sdy += dy[i];
			sdyx += dy[i] * (x[i] - mu);
		}
		dbeta[c] += (float)sdy;
		dgamma[c] += (float)(sdyx * rs);
		/* dx = gamma rs / M (M dy - sum dy - xhat sum(dy xhat)) */
		float k = gamma[c] * rs;
		float mdy = (float)(sdy / M);
		float mx = (float)(sdyx * rs * rs / M);
		if (din)
			for (int i = 0; i < M; i++)
				dx[i] += k * (dy[i] - mdy - (x[i] - mu) * mx);
	}
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
		double sdy = 0, sdyx = 0;
		for (int i = 0; i < M; i++) {
			sdy += dy[i];
			sdyx += dy[i] * (x[i] - mu);
			if (dx)
				dx[i] += k * dy[i];
		}
		dbeta[c] += (float)sdy;
		dgamma[c] += (float)(sdyx * rs);
	}
}
