/* augment.c — geometric and photometric distortions for training. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "htr.h"

void
htr_augment_defaults(struct htr_augment *a, float s)
{
	a->scale = 0.10f * s;
	a->rotate = 3.0f * s;
	a->shear = 0.25f * s;
	a->translate = 0.06f * s;
	a->elastic = 1.0f * s;
	a->stroke = 0.3f * s;
	a->blur = 0.6f * s;
	a->noise = 12.0f * s;
	a->contrast = 0.3f * s;
	a->clean = 0;
}

int
htr_augment_any(const struct htr_augment *a)
{
	return a->scale > 0 || a->rotate > 0 || a->shear > 0 ||
	    a->translate > 0 || a->elastic > 0 || a->stroke > 0 ||
	    a->blur > 0 || a->noise > 0 || a->contrast > 0;
}

/* Bilinear sample of im at (x, y), paper outside. */
static float
sample(const struct htr_image *im, float x, float y)
{
	int x0 = (int)floorf(x), y0 = (int)floorf(y);
	float fx = x - x0, fy = y - y0, v[4];

	for (int k = 0; k < 4; k++) {
		int xx = x0 + (k & 1), yy = y0 + (k >> 1);

		v[k] = xx < 0 || yy < 0 || xx >= im->w || yy >= im->h ? 255 :
		    im->pix[(size_t)yy * im->w + xx];
	}
	return (1 - fy) * ((1 - fx) * v[0] + fx * v[1]) +
	    fy * ((1 - fx) * v[2] + fx * v[3]);
}

static unsigned char
clamp8(float v)
{
	v += 0.5f;
	return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
}

/* Resamples im through the inverse map: output (x, y) reads the input at
 * A * (x - cx, y - cy) + (cx, cy) - A * (dx, dy) + field. */
static int
warp(struct htr_image *im, const float A[4], float dx, float dy,
    const float *fx, const float *fy)
{
	unsigned char *out = htr_alloc((size_t)im->w * im->h, 1);
	float cx = (im->w - 1) / 2.0f, cy = (im->h - 1) / 2.0f;

	if (!out)
		return -1;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++) {
			size_t i = (size_t)y * im->w + x;
			float u = x - cx - dx, v = y - cy - dy;
			float sx = A[0] * u + A[1] * v + cx;
			float sy = A[2] * u + A[3] * v + cy;

			if (fx) {
				sx += fx[i];
				sy += fy[i];
			}
			out[i] = clamp8(sample(im, sx, sy));
		}
	free(im->pix);
	im->pix = out;
	return 0;
}

int
htr_augment_affine(struct htr_image *im, float scale, float degrees,
    float shear, float dx, float dy)
{
	float t = degrees * (float)M_PI / 180, c = cosf(t), s = sinf(t);
	/* forward map M = R(t) * Shear(shear) * scale; the warp needs M^-1 */
	float m[4] = {
		scale * c, scale * (c * shear - s),
		scale * s, scale * (s * shear + c),
	};
	float det = m[0] * m[3] - m[1] * m[2], inv[4];

	HTR_ASSERT(scale > 0 && fabsf(det) > 1e-6f);
	inv[0] = m[3] / det;
	inv[1] = -m[1] / det;
	inv[2] = -m[2] / det;
	inv[3] = m[0] / det;
	return warp(im, inv, dx, dy, NULL, NULL);
}

/* Gaussian blur of a float field in place (separable, clamped edges). */
static int
blur_field(float *f, int w, int h, float sigma)
{
	int r = (int)ceilf(3 * sigma), n = w > h ? w : h;
	float *k = htr_alloc(2 * (size_t)r + 1, sizeof *k);
	float *tmp = htr_alloc((size_t)n, sizeof *tmp), sum = 0;

	if (!k || !tmp) {
		free(k), free(tmp);
		return -1;
	}
	for (int i = -r; i <= r; i++)
		sum += k[i + r] = expf(-0.5f * i * i / (sigma * sigma));
	for (int i = 0; i <= 2 * r; i++)
		k[i] /= sum;
	for (int y = 0; y < h; y++) {
		float *row = f + (size_t)y * w;
		for (int x = 0; x < w; x++) {
			float acc = 0;
			for (int i = -r; i <= r; i++) {
				int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
				acc += k[i + r] * row[xx];
			}
			tmp[x] = acc;
		}
		memcpy(row, tmp, (size_t)w * sizeof *row);
	}
	for (int x = 0; x < w; x++) {
		for (int y = 0; y < h; y++) {
			float acc = 0;
			for (int i = -r; i <= r; i++) {
				int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
				acc += k[i + r] * f[(size_t)yy * w + x];
			}
			tmp[y] = acc;
		}
		for (int y = 0; y < h; y++)
			f[(size_t)y * w + x] = tmp[y];
	}
	free(k);
	free(tmp);
	return 0;
}

int
htr_augment_elastic(struct htr_image *im, float amp, struct htr_rng *rng)
{
	size_t n = (size_t)im->w * im->h;
	float *fx = htr_alloc(n, sizeof *fx), *fy = htr_alloc(n, sizeof *fy);
	/* the field varies over about a third of the height */
	float sigma = im->h / 6.0f < 2 ? 2 : im->h / 6.0f, peak = 0;
	static const float id[4] = {1, 0, 0, 1};
	int r = -1;

	if (!fx || !fy)
		goto out;
	for (size_t i = 0; i < n; i++) {
		fx[i] = htr_rng_uniform(rng) * 2 - 1;
		fy[i] = htr_rng_uniform(rng) * 2 - 1;
	}
	if (blur_field(fx, im->w, im->h, sigma) ||
	    blur_field(fy, im->w, im->h, sigma))
		goto out;
	for (size_t i = 0; i < n; i++) {
		float m = sqrtf(fx[i] * fx[i] + fy[i] * fy[i]);
		if (m > peak)
			peak = m;
	}
	if (peak > 0)
		for (size_t i = 0; i < n; i++) {
			fx[i] *= amp / peak;
			fy[i] *= amp / peak;
		}
	r = warp(im, id, 0, 0, fx, fy);
out:
	free(fx);
	free(fy);
	return r;
}

int
htr_augment_stroke(struct htr_image *im, int radius)
{
	unsigned char *out;
	int r = radius < 0 ? -radius : radius;

	if (radius == 0)
		return 0;
	if (!(out = htr_alloc((size_t)im->w * im->h, 1)))
		return -1;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++) {
			int best = radius > 0 ? 255 : 0;
			for (int j = -r; j <= r; j++)
				for (int i = -r; i <= r; i++) {
					int xx = x + i, yy = y + j, v;
					if (abs(i) + abs(j) > r)
						continue;   /* a diamond, not a square */
					if (xx < 0 || yy < 0 || xx >= im->w ||
					    yy >= im->h)
						v = 255;
					else
						v = im->pix[(size_t)yy * im->w + xx];
					if (radius > 0 ? v < best : v > best)
						best = v;
				}
			out[(size_t)y * im->w + x] = (unsigned char)best;
		}
	free(im->pix);
	im->pix = out;
	return 0;
}

int
htr_augment_blur(struct htr_image *im, float sigma)
{
	size_t n = (size_t)im->w * im->h;
	float *f;

	if (sigma <= 0)
		return 0;
	if (!(f = htr_alloc(n, sizeof *f)))
		return -1;
	/* blur the ink (255 - v) so that paper stays at 255 at the edges */
	for (size_t i = 0; i < n; i++)
		f[i] = 255.0f - im->pix[i];
	if (blur_field(f, im->w, im->h, sigma)) {
		free(f);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		im->pix[i] = clamp8(255.0f - f[i]);
	free(f);
	return 0;
}

void
htr_augment_noise(struct htr_image *im, float sigma, struct htr_rng *rng)
{
	for (size_t i = 0; i < (size_t)im->w * im->h; i++)
		im->pix[i] = clamp8(im->pix[i] + sigma * htr_rng_normal(rng));
}

void
htr_augment_contrast(struct htr_image *im, float loss)
{
	for (size_t i = 0; i < (size_t)im->w * im->h; i++)
		im->pix[i] = clamp8(255 - (255 - im->pix[i]) * (1 - loss));
}

/* Uniform in [-1, 1). */
static float
sym(struct htr_rng *rng)
{
	return htr_rng_uniform(rng) * 2 - 1;
}

int
htr_augment_apply(struct htr_image *im, const struct htr_augment *a,
    struct htr_rng *rng)
{
	/* (drawn only when clean is set, so runs without it keep their
	 * random stream) */
	if (a->clean > 0 && htr_rng_uniform(rng) < a->clean)
		return 0;
	/* Every draw is made whether or not its transform is on, so the
	 * random stream does not depend on which transforms are enabled
	 * (except for the per-pixel fields of elastic and noise). */
	float sc = 1 + a->scale * sym(rng), rot = a->rotate * sym(rng);
	float sh = a->shear * sym(rng);
	float dx = a->translate * im->h * sym(rng);
	float dy = a->translate * im->h * sym(rng);
	float st = htr_rng_uniform(rng), dir = htr_rng_uniform(rng);
	float bl = a->blur * htr_rng_uniform(rng);
	float no = a->noise * htr_rng_uniform(rng);
	float co = a->contrast * htr_rng_uniform(rng);

	if ((a->scale > 0 || a->rotate > 0 || a->shear > 0 ||
	    a->translate > 0) && htr_augment_affine(im, sc, rot, sh, dx, dy))
		return -1;
	if (a->elastic > 0 && htr_augment_elastic(im, a->elastic, rng))
		return -1;
	if (st < a->stroke && htr_augment_stroke(im, dir < 0.5f ? 1 : -1))
		return -1;
	if (bl > 0 && htr_augment_blur(im, bl))
		return -1;
	if (co > 0)
		htr_augment_contrast(im, co);
	if (no > 0)
		htr_augment_noise(im, no, rng);
	return 0;
}
