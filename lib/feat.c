/* feat.c — height normalisation and profile features of crops. */
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "htr.h"

/* Resamples n source values (stride ss) into m outputs (stride ds):
 * averaging over each output's footprint when shrinking, linear
 * interpolation between pixel centres when enlarging. */
static void
resample(float *dst, int m, int dstride, const float *src, int n,
    int sstride)
{
	double scale = (double)n / m;

	if (m <= n) {
		for (int i = 0; i < m; i++) {
			double a = i * scale, b = (i + 1) * scale, sum = 0;
			int j0 = (int)a, j1 = (int)b;

			if (j1 >= n)
				j1 = n - 1;
			for (int j = j0; j <= j1; j++) {
				double lo = j > a ? j : a;
				double hi = j + 1 < b ? j + 1 : b;
				if (hi > lo)
					sum += (hi - lo) * src[j * sstride];
			}
			dst[i * dstride] = (float)(sum / scale);
		}
		return;
	}
	for (int i = 0; i < m; i++) {
		double x = (i + 0.5) * scale - 0.5, f;
		int j;

		if (x < 0)
			x = 0;
		if (x > n - 1)
			x = n - 1;
		j = (int)x;
		if (j >= n - 1)
			j = n - 1 > 0 ? n - 2 : 0;
		f = x - j;
		if (n == 1)
			dst[i * dstride] = src[0];
		else
			dst[i * dstride] = (float)((1 - f) * src[j * sstride] +
			    f * src[(j + 1) * sstride]);
	}
}

int
htr_features_resize(struct htr_image *out, const struct htr_image *in,
    int w, int h)
{
	float *a, *b;
	char tags[HTR_TAG_MAX];

	memcpy(tags, in->tags, sizeof tags);
	if (htr_image_check_size(w, h))
		return -1;
	a = htr_alloc((size_t)in->w * in->h, sizeof *a);
	b = htr_alloc((size_t)w * in->h, sizeof *b);
	if (!a || !b || htr_image_init(out, w, h, 255)) {
		free(a), free(b);
		return -1;
	}
	for (size_t i = 0; i < (size_t)in->w * in->h; i++)
		a[i] = in->pix[i];
	for (int y = 0; y < in->h; y++)
		resample(b + (size_t)y * w, w, 1, a + (size_t)y * in->w, in->w,
		    1);
	free(a);
	if (!(a = htr_alloc((size_t)w * h, sizeof *a))) {
		free(b);
		htr_image_free(out);
		return -1;
	}
	for (int x = 0; x < w; x++)
		resample(a + x, h, w, b + x, in->h, w);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		float v = a[i] + 0.5f;
		out->pix[i] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
	}
	free(a);
	free(b);
	memcpy(out->tags, tags, sizeof tags);
	return 0;
}

int
htr_features_scale(struct htr_image *out, const struct htr_image *in,
    int height, int maxw)
{
	long w = ((long)in->w * height + in->h / 2) / in->h;

	if (height <= 0 || height > HTR_MAX_DIM)
		return htr_fail("bad input height %d", height);
	if (w < 1)
		w = 1;
	if (maxw > 0 && w > maxw)
		w = maxw;
	if (w > HTR_MAX_DIM)
		return htr_fail("crop %dx%d is too wide once scaled to height "
		    "%d", in->w, in->h, height);
	return htr_features_resize(out, in, (int)w, height);
}

int
htr_features_width(int w, int minw, int pad)
{
	return (w > minw ? w : minw) + 2 * pad;
}

void
htr_features_fill(float *out, const struct htr_image *im, int minw, int pad)
{
	int width = htr_features_width(im->w, minw, pad), lo = 255, hi = 0;
	size_t n = (size_t)im->w * im->h;
	float scale, off;

	for (size_t i = 0; i < n; i++) {
		if (im->pix[i] < lo)
			lo = im->pix[i];
		if (im->pix[i] > hi)
			hi = im->pix[i];
	}
	if (hi - lo >= 32) {
		/* v = hi -> 0, v = lo -> 1 */
		scale = -1.0f / (hi - lo);
		off = (float)hi / (hi - lo);
	} else {
		scale = -1.0f / 255;
		off = 1;
	}
	memset(out, 0, (size_t)width * im->h * sizeof *out);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			out[(size_t)y * width + pad + x] =
			    im->pix[(size_t)y * im->w + x] * scale + off;
}

int
htr_features_image(float **out, int *width, const struct htr_image *in,
    int height, int minw, int pad)
{
	struct htr_image s;

	*out = NULL;
	if (htr_features_scale(&s, in, height, 0))
		return -1;
	*width = htr_features_width(s.w, minw, pad);
	if (!(*out = htr_alloc((size_t)*width * height, sizeof **out))) {
		htr_image_free(&s);
		return -1;
	}
	htr_features_fill(*out, &s, minw, pad);
	htr_image_free(&s);
	return 0;
}

int
htr_features_otsu(const struct htr_image *im)
{
	double hist[256] = {0}, total = (double)im->w * im->h, sum = 0;
	double wb = 0, sumb = 0, best = -1;
	int t = 127;

	for (size_t i = 0; i < (size_t)im->w * im->h; i++)
		hist[im->pix[i]]++;
	for (int i = 0; i < 256; i++)
		sum += i * hist[i];
	for (int i = 0; i < 255; i++) {
		double wf, mb, mf, between;

		wb += hist[i];
		if (wb == 0)
			continue;
		wf = total - wb;
		if (wf == 0)
			break;
		sumb += i * hist[i];
		mb = sumb / wb;
		mf = (sum - sumb) / wf;
		between = wb * wf * (mb - mf) * (mb - mf);
		if (between > best) {
			best = between;
			t = i;
		}
	}
	return t;
}

int
htr_features_profile(float *out, int n, const struct htr_image *im)
{
	int t = htr_features_otsu(im), x0 = im->w, x1 = -1, y0 = im->h, y1 = -1;
	float *rows, *cols;
	int lo = 255, hi = 0;

	HTR_ASSERT(n > 0);
	memset(out, 0, 2 * (size_t)n * sizeof *out);
	for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
		if (im->pix[i] < lo)
			lo = im->pix[i];
		if (im->pix[i] > hi)
			hi = im->pix[i];
	}
	if (hi - lo < 32)
		return 0;               /* no ink */
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			if (im->pix[(size_t)y * im->w + x] <= t) {
				if (x < x0) x0 = x;
				if (x > x1) x1 = x;
				if (y < y0) y0 = y;
				if (y > y1) y1 = y;
			}
	if (x1 < 0)
		return 0;
	int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
	rows = htr_zalloc((size_t)bh, sizeof *rows);
	cols = htr_zalloc((size_t)bw, sizeof *cols);
	if (!rows || !cols) {
		free(rows), free(cols);
		return -1;
	}
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++)
			if (im->pix[(size_t)y * im->w + x] <= t) {
				rows[y - y0] += 1.0f / bw;
				cols[x - x0] += 1.0f / bh;
			}
	resample(out, n, 1, rows, bh, 1);
	resample(out + n, n, 1, cols, bw, 1);
	free(rows);
	free(cols);
	return 0;
}
