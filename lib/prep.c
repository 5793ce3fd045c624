/* prep.c — preprocessing of page, line and word images (see prep.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "par.h"
#include "prep.h"
#include "tag.h"

#define DEG (3.14159265358979323846 / 180)

/* Replaces the pixels of im by those of tmp (same tags), freeing the old. */
static void
take(struct htr_image *im, struct htr_image *tmp)
{
	free(im->pix);
	im->pix = tmp->pix;
	im->w = tmp->w;
	im->h = tmp->h;
	tmp->pix = NULL;
}

static void
histogram(const struct htr_image *im, long hist[256])
{
	size_t n = (size_t)im->w * im->h;

	memset(hist, 0, 256 * sizeof *hist);
	for (size_t i = 0; i < n; i++)
		hist[im->pix[i]]++;
}

/* ------------------------------------------------------------ gray levels */

int
htr_prep_otsu(const struct htr_image *im)
{
	long hist[256];
	double total = 0, sum = 0, w0 = 0, sum0 = 0, best = -1;
	int t = -1;

	histogram(im, hist);
	for (int i = 0; i < 256; i++) {
		total += hist[i];
		sum += (double)i * hist[i];
	}
	for (int i = 0; i < 255; i++) {
		double w1, m0, m1, between;

		w0 += hist[i];
		sum0 += (double)i * hist[i];
		w1 = total - w0;
		if (w0 == 0)
			continue;
		if (w1 == 0)
			break;
		m0 = sum0 / w0;
		m1 = (sum - sum0) / w1;
		between = w0 * w1 * (m0 - m1) * (m0 - m1);
		if (between > best) {
			best = between;
			t = i;
		}
	}
	/* One gray level only: nothing is ink. */
	if (t < 0)
		for (t = 255; t > 0 && !hist[t]; t--)
			;
	return best < 0 ? t - 1 : t;
}

/* Mean of the (2r+1) x (2r+1) box around every pixel, clipped at the
 * edges, by running sums along rows and then down the columns (all
 * columns' sums at once, row after row: cache-friendly); col holds w
 * doubles.  O(n). */
static void
box_mean(float *out, const unsigned char *pix, int w, int h, int r,
    float *tmp, double *col)
{
	for (int y = 0; y < h; y++) {
		const unsigned char *p = pix + (size_t)y * w;
		double s = 0;
		for (int x = 0; x < r && x < w; x++)
			s += p[x];
		for (int x = 0; x < w; x++) {
			int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= w ? w - 1 : x + r;
			if (x + r < w)
				s += p[x + r];
			if (x - r - 1 >= 0)
				s -= p[x - r - 1];
			tmp[(size_t)y * w + x] = (float)(s / (x1 - x0 + 1));
		}
	}
	for (int x = 0; x < w; x++)
		col[x] = 0;
	for (int y = 0; y < r && y < h; y++)
		for (int x = 0; x < w; x++)
			col[x] += tmp[(size_t)y * w + x];
	for (int y = 0; y < h; y++) {
		int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
		const float *add = y + r < h ? tmp + (size_t)(y + r) * w : NULL;
		const float *sub = y - r - 1 >= 0 ?
		    tmp + (size_t)(y - r - 1) * w : NULL;
		float *o = out + (size_t)y * w;
		double n = y1 - y0 + 1;

		if (add)
			for (int x = 0; x < w; x++)
				col[x] += add[x];
		if (sub)
			for (int x = 0; x < w; x++)
				col[x] -= sub[x];
		for (int x = 0; x < w; x++)
			o[x] = (float)(col[x] / n);
	}
}

/* Writing is thin strokes on a large background, so the differences
 * between pixels and their local mean have a long tail on the side of the
 * ink: negative (dark ink) for a normal page, positive for white on
 * black.  Plain steps in brightness (page edges, a dark surround, the
 * white outside of a line cut along its polygon) give both signs about
 * equally, which is why this beats asking which Otsu class is larger.
 * The skewness (third standardised moment) of those differences decides;
 * the window is about 1/8 of the smaller side, 9 to 51 pixels. */
int
htr_prep_is_inverted(const struct htr_image *im)
{
	size_t n = (size_t)im->w * im->h;
	int r = (im->w < im->h ? im->w : im->h) / 16;
	double m2 = 0, m3 = 0, skew, *col;
	float *mean;

	if (r < 4)
		r = 4;
	if (r > 25)
		r = 25;
	if (!(mean = htr_alloc(n, 2 * sizeof *mean)))
		return -1;
	if (!(col = htr_alloc((size_t)im->w, sizeof *col))) {
		free(mean);
		return -1;
	}
	box_mean(mean, im->pix, im->w, im->h, r, mean + n, col);
	for (size_t i = 0; i < n; i++) {
		double d = im->pix[i] - mean[i];
		m2 += d * d;
		m3 += d * d * d;
	}
	free(col);
	free(mean);
	m2 /= n;
	m3 /= n;
	/* A flat image (no structure) is taken as it is. */
	if (m2 < 1)
		return 0;
	skew = m3 / (m2 * sqrt(m2));
	return skew > 0.25;
}

void
htr_prep_invert(struct htr_image *im)
{
	size_t n = (size_t)im->w * im->h;

	for (size_t i = 0; i < n; i++)
		im->pix[i] = (unsigned char)(255 - im->pix[i]);
}

/* Smallest gray level v such that at least pct percent of the pixels are
 * <= v. */
static int
percentile(const long hist[256], long n, double pct)
{
	double want = pct / 100 * n;
	long acc = 0;

	for (int i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= want && acc > 0)
			return i;
	}
	return 255;
}

int
htr_prep_normalize(struct htr_image *im, double lo, double hi)
{
	long hist[256];
	size_t n = (size_t)im->w * im->h;
	unsigned char map[256];
	int a, b;

	histogram(im, hist);
	a = percentile(hist, (long)n, lo);
	b = percentile(hist, (long)n, hi);
	if (b - a < 8)
		return 0;
	for (int i = 0; i < 256; i++) {
		long v = lround((i - a) * 255.0 / (b - a));
		map[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	for (size_t i = 0; i < n; i++)
		im->pix[i] = map[im->pix[i]];
	return 1;
}

/* Box mean of radius r over a small float image, edges clipped. */
static void
box_blur(float *dst, const float *src, int w, int h, int r, float *tmp)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double s = 0;
			int n = 0;
			for (int i = x - r; i <= x + r; i++)
				if (i >= 0 && i < w)
					s += src[y * w + i], n++;
			tmp[y * w + x] = (float)(s / n);
		}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double s = 0;
			int n = 0;
			for (int j = y - r; j <= y + r; j++)
				if (j >= 0 && j < h)
					s += tmp[j * w + x], n++;
			dst[y * w + x] = (float)(s / n);
		}
}

int
htr_prep_flatten(struct htr_image *im, int window)
{
	int w = im->w, h = im->h, side = w > h ? w : h, b, sw, sh, *xa, *xb;
	float *blk, *mx, *tmp, *txs;

	if (window <= 0)
		window = side / 40 > 32 ? side / 40 : 32;
	/* Block maxima over b x b blocks; a 3 x 3 block maximum then spans
	 * about 'window' pixels, and two box blurs smooth the steps. */
	b = window / 3 > 1 ? window / 3 : 1;
	sw = (w + b - 1) / b;
	sh = (h + b - 1) / b;
	if (!(blk = htr_alloc((size_t)sw * sh, 3 * sizeof *blk)))
		return -1;
	mx = blk + (size_t)sw * sh;
	tmp = mx + (size_t)sw * sh;
	for (int by = 0; by < sh; by++)
		for (int bx = 0; bx < sw; bx++) {
			int m = 0;
			for (int y = by * b; y < (by + 1) * b && y < h; y++)
				for (int x = bx * b; x < (bx + 1) * b && x < w; x++)
					if (im->pix[(size_t)y * w + x] > m)
						m = im->pix[(size_t)y * w + x];
			blk[by * sw + bx] = (float)m;
		}
	for (int y = 0; y < sh; y++)
		for (int x = 0; x < sw; x++) {
			float m = 0;
			for (int j = y - 1; j <= y + 1; j++)
				for (int i = x - 1; i <= x + 1; i++)
					if (i >= 0 && i < sw && j >= 0 && j < sh &&
					    blk[j * sw + i] > m)
						m = blk[j * sw + i];
			mx[y * sw + x] = m;
		}
	box_blur(blk, mx, sw, sh, 1, tmp);
	box_blur(mx, blk, sw, sh, 1, tmp);
	/* Bilinear up from block centres, then divide.  The columns' taps
	 * and weights are the same in every row: worked out once. */
	if (!(xa = htr_alloc((size_t)w, 2 * sizeof *xa + sizeof *txs))) {
		free(blk);
		return -1;
	}
	xb = xa + w;
	txs = (float *)(xb + w);
	for (int x = 0; x < w; x++) {
		float fx = (x + 0.5f) / b - 0.5f;
		int x0 = (int)floorf(fx);

		txs[x] = x0 < 0 ? 0 : fx - x0;
		xa[x] = x0 < 0 ? 0 : x0;
		xb[x] = x0 + 1 >= sw ? sw - 1 : x0 + 1;
	}
	for (int y = 0; y < h; y++) {
		float fy = (y + 0.5f) / b - 0.5f;
		int y0 = (int)floorf(fy);
		float ty = fy - y0;
		int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= sh ? sh - 1 : y0 + 1;
		const float *ma = mx + (size_t)ya * sw, *mb = mx + (size_t)yb * sw;
		unsigned char *p = im->pix + (size_t)y * w;

		if (y0 < 0)
			ty = 0;
		for (int x = 0; x < w; x++) {
			float tx = txs[x], bg, v;

			bg = (1 - ty) * ((1 - tx) * ma[xa[x]] + tx * ma[xb[x]]) +
			    ty * ((1 - tx) * mb[xa[x]] + tx * mb[xb[x]]);
			if (bg < 1)
				bg = 1;
			v = 255 * p[x] / bg;
			p[x] = (unsigned char)(v > 255 ? 255 : v + 0.5f);
		}
	}
	free(xa);
	free(blk);
	return 0;
}

/* ----------------------------------------------------------- binarisation */

int
htr_prep_binarize_otsu(struct htr_image *im)
{
	int t = htr_prep_otsu(im);
	size_t n = (size_t)im->w * im->h;

	for (size_t i = 0; i < n; i++)
		im->pix[i] = im->pix[i] <= t ? 0 : 255;
	return t;
}

struct sauvola {
	unsigned char *out;
	const struct htr_image *im;
	int64_t *sums;                /* [band][4][w + 1] */
	int nband, r, dark;
	double k;
	unsigned char ink, paper;
};

/* Bands [lo, hi) of rows (htr_par_for).  The window sums are exact
 * integers, so a band that starts from its own sums gives what one pass
 * over the whole image gives. */
static void
sauvola_bands(void *ctx, size_t lo, size_t hi)
{
	const struct sauvola *q = ctx;
	const struct htr_image *im = q->im;
	int w = im->w, h = im->h, r = q->r;
	double k = q->k;

	for (size_t band = lo; band < hi; band++) {
		int64_t *col = q->sums + band * 4 * ((size_t)w + 1);
		int64_t *colsq = col + w + 1, *pre = colsq + w + 1;
		int64_t *presq = pre + w + 1;
		int ya = (int)(band * h / q->nband);
		int yb = (int)((band + 1) * h / q->nband);

		/* col[x]: the sum of column x over rows [ya - r - 1,
		 * ya + r - 1], what the row before ya leaves */
		for (int x = 0; x < w; x++)
			col[x] = colsq[x] = 0;
		for (int y = ya - r - 1 < 0 ? 0 : ya - r - 1; y < ya + r && y < h;
		    y++)
			for (int x = 0; x < w; x++) {
				int v = im->pix[(size_t)y * w + x];
				col[x] += v;
				colsq[x] += v * v;
			}
		for (int y = ya; y < yb; y++) {
			int add = y + r, sub = y - r - 1;
			int y0 = y - r < 0 ? 0 : y - r;
			int y1 = y + r >= h ? h - 1 : y + r;

			for (int x = 0; x < w; x++) {
				if (add < h) {
					int v = im->pix[(size_t)add * w + x];
					col[x] += v;
					colsq[x] += v * v;
				}
				if (sub >= 0) {
					int v = im->pix[(size_t)sub * w + x];
					col[x] -= v;
					colsq[x] -= v * v;
				}
			}
			pre[0] = presq[0] = 0;
			for (int x = 0; x < w; x++) {
				pre[x + 1] = pre[x] + col[x];
				presq[x + 1] = presq[x] + colsq[x];
			}
			for (int x = 0; x < w; x++) {
				int x0 = x - r < 0 ? 0 : x - r;
				int x1 = x + r >= w ? w - 1 : x + r;
				double n = (double)(x1 - x0 + 1) * (y1 - y0 + 1);
				double m = (pre[x1 + 1] - pre[x0]) / n;
				double var = (presq[x1 + 1] - presq[x0]) / n - m * m;
				double sd = var > 0 ? sqrt(var) : 0;
				double t = m * (1 + k * (sd / 128 - 1));
				size_t i = (size_t)y * w + x;

				q->out[i] = im->pix[i] <= t || m < q->dark ?
				    q->ink : q->paper;
			}
		}
	}
}

/* Sauvola's threshold of im into out: 'ink' where a pixel is at most the
 * threshold or its window's mean is below 'dark', else 'paper'.  Bands
 * of rows run on the cores. */
static int
sauvola(unsigned char *out, const struct htr_image *im, int window, double k,
    int dark, unsigned char ink, unsigned char paper)
{
	struct sauvola q = { out, im, NULL, htr_par_threads(), 0, dark, k, ink,
	    paper };

	if (window < 3)
		window = 3;
	q.r = window / 2;
	if (q.nband > im->h)
		q.nband = im->h > 0 ? im->h : 1;
	if (!(q.sums = htr_alloc((size_t)q.nband * 4 * ((size_t)im->w + 1),
	    sizeof *q.sums)))
		return -1;
	htr_par_for((size_t)q.nband, (size_t)im->w * im->h / q.nband * 8,
	    sauvola_bands, &q);
	free(q.sums);
	return 0;
}

int
htr_prep_binarize_sauvola(struct htr_image *im, int window, double k)
{
	unsigned char *out = htr_alloc((size_t)im->w * im->h, 1);

	if (!out || sauvola(out, im, window, k, 0, 0, 255)) {
		free(out);
		return -1;
	}
	free(im->pix);
	im->pix = out;
	return 0;
}

int
htr_prep_sauvola_mask(unsigned char *ink, const struct htr_image *im,
    int window, double k, int dark)
{
	return sauvola(ink, im, window, k, dark, 1, 0);
}

/* ------------------------------------------------ connected components */

struct comp {
	long area;
	int x0, y0, x1, y1;           /* bounding box, inclusive */
};

/* Calls fn on every 8-connected component of the ink (pixels <= t) with
 * its bounding box and the indices of its pixels.  fn may change the
 * pixels of the component it is given.  Returns 0 or -1. */
static int
each_component(struct htr_image *im, int t,
    void (*fn)(struct htr_image *, const struct comp *, const int32_t *,
    size_t, void *), void *arg)
{
	int w = im->w, h = im->h;
	size_t n = (size_t)w * h;
	unsigned char *seen;
	int32_t *stack, *members;

	if (!(seen = htr_zalloc(n, 1)))
		return -1;
	if (!(stack = htr_alloc(n, 2 * sizeof *stack))) {
		free(seen);
		return -1;
	}
	members = stack + n;
	for (size_t start = 0; start < n; start++) {
		struct comp c;
		size_t sp = 0, nm = 0;

		if (seen[start] || im->pix[start] > t)
			continue;
		seen[start] = 1;
		stack[sp++] = (int32_t)start;
		c.area = 0;
		c.x0 = c.x1 = (int)(start % w);
		c.y0 = c.y1 = (int)(start / w);
		while (sp) {
			int32_t i = stack[--sp];
			int x = i % w, y = i / w;

			members[nm++] = i;
			c.area++;
			if (x < c.x0) c.x0 = x;
			if (x > c.x1) c.x1 = x;
			if (y < c.y0) c.y0 = y;
			if (y > c.y1) c.y1 = y;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int xx = x + dx, yy = y + dy;
					size_t j = (size_t)yy * w + xx;
					if (xx < 0 || yy < 0 || xx >= w ||
					    yy >= h || seen[j] || im->pix[j] > t)
						continue;
					seen[j] = 1;
					stack[sp++] = (int32_t)j;
				}
		}
		fn(im, &c, members, nm, arg);
	}
	free(stack);
	free(seen);
	return 0;
}

static int
touches_edge(const struct comp *c, const struct htr_image *im)
{
	return c->x0 == 0 || c->y0 == 0 || c->x1 == im->w - 1 ||
	    c->y1 == im->h - 1;
}

/* -------------------------------------------------------------- geometry */

static inline float
bilinear(const struct htr_image *im, float x, float y, int bg)
{
	int x0 = (int)floorf(x), y0 = (int)floorf(y);
	float tx = x - x0, ty = y - y0, v = 0;

	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 2; i++) {
			int xi = x0 + i, yj = y0 + j;
			float wgt = (i ? tx : 1 - tx) * (j ? ty : 1 - ty);
			int p = xi < 0 || yj < 0 || xi >= im->w || yj >= im->h ?
			    bg : im->pix[(size_t)yj * im->w + xi];
			v += wgt * p;
		}
	return v;
}

/* Rows [lo, hi) of a rotation (htr_par_for). */
struct rotation {
	struct htr_image *out;
	const struct htr_image *in;
	double c, s, cxi, cyi;
	int bg;
};

static void
rotate_rows(void *ctx, size_t lo, size_t hi)
{
	const struct rotation *q = ctx;
	long w = q->out->w, h = q->out->h;
	int iw = q->in->w, ih = q->in->h;
	const unsigned char *ip = q->in->pix;
	double c = q->c, s = q->s;

	for (long y = (long)lo; y < (long)hi; y++)
		for (long x = 0; x < w; x++) {
			/* Output offset from the centre, rotated back. */
			double dx = x + 0.5 - w / 2.0, dy = y + 0.5 - h / 2.0;
			double sx = dx * c - dy * s + q->cxi - 0.5;
			double sy = dx * s + dy * c + q->cyi - 0.5;
			float fx = (float)sx, fy = (float)sy, v;
			int x0 = (int)floorf(fx), y0 = (int)floorf(fy);

			if (x0 >= 0 && y0 >= 0 && x0 + 1 < iw && y0 + 1 < ih) {
				/* all four taps inside: bilinear's sum in its
				 * order, without its edge tests */
				const unsigned char *p = ip + (size_t)y0 * iw + x0;
				float tx = fx - x0, ty = fy - y0;
				v = 0;
				v += (1 - tx) * (1 - ty) * p[0];
				v += tx * (1 - ty) * p[1];
				v += (1 - tx) * ty * p[iw];
				v += tx * ty * p[iw + 1];
			} else
				v = bilinear(q->in, fx, fy, q->bg);
			q->out->pix[y * w + x] = (unsigned char)(v + 0.5f);
		}
}

/* The size of a w x h image rotated by the angle of cosine c and sine s
 * with no corner cut off. */
static void
rotated_size(int w, int h, double c, double s, long *ow, long *oh)
{
	*ow = lround(ceil(fabs(w * c) + fabs(h * s) - 1e-6));
	*oh = lround(ceil(fabs(w * s) + fabs(h * c) - 1e-6));
}

int
htr_prep_rotate(struct htr_image *out, const struct htr_image *in,
    double deg, int bg)
{
	double c = cos(deg * DEG), s = sin(deg * DEG);
	long w, h;
	struct rotation q = { out, in, c, s, in->w / 2.0, in->h / 2.0, bg };

	rotated_size(in->w, in->h, c, s, &w, &h);
	if (htr_image_init(out, (int)w, (int)h, bg))
		return -1;
	memcpy(out->tags, in->tags, sizeof out->tags);
	htr_par_for((size_t)h, (size_t)w * 8, rotate_rows, &q);
	return 0;
}

int
htr_prep_shear(struct htr_image *out, const struct htr_image *in,
    double deg, int bg)
{
	double t = tan(deg * DEG);
	double grow = fabs(t) * in->h;
	long w = in->w + lround(ceil(grow - 1e-6));
	double cy = in->h / 2.0;

	if (htr_image_init(out, (int)w, in->h, bg))
		return -1;
	memcpy(out->tags, in->tags, sizeof out->tags);
	for (int y = 0; y < in->h; y++) {
		/* Shift of this row, so that all shifts are >= 0. */
		double off = (cy - (y + 0.5)) * t + grow / 2;

		for (long x = 0; x < w; x++) {
			float v = bilinear(in, (float)(x - off), (float)y, bg);
			out->pix[y * w + x] = (unsigned char)(v + 0.5f);
		}
	}
	return 0;
}

/* Ink pixel coordinates relative to the centre, for the angle searches.
 * Ink is found by Sauvola's threshold (window 25, k 0.3), not a global
 * one: on a line cut along its polygon, Otsu would separate the gray
 * paper from the white outside instead of the ink from the paper.
 * Components touching the image edge (page edges, the scanner's or the
 * table's dark surround, whose straight edges would outweigh the text)
 * are left out unless that would leave less than a quarter of the ink,
 * as in a tightly cropped line.  At most about 'cap' points are kept (a
 * regular subsample on big pages). */
struct points {
	float *x, *y;
	size_t n, total;
	int all;                      /* keep edge components too */
	float cx, cy;
};

static void
add_points(struct htr_image *im, const struct comp *c, const int32_t *m,
    size_t nm, void *arg)
{
	struct points *p = arg;

	if (!p->all && touches_edge(c, im))
		return;
	for (size_t i = 0; i < nm; i++) {
		p->x[p->n] = m[i] % im->w + 0.5f - p->cx;
		p->y[p->n] = m[i] / im->w + 0.5f - p->cy;
		p->n++;
	}
}

static int
ink_points(const struct htr_image *im, size_t cap, struct points *p)
{
	struct htr_image bin = { .w = im->w, .h = im->h };
	size_t n = (size_t)im->w * im->h, cnt = 0, step, k = 0;

	memset(p, 0, sizeof *p);
	if (!(bin.pix = htr_alloc(n, 1)) ||
	    sauvola(bin.pix, im, 25, 0.3, 0, 0, 255))
		goto fail;
	for (size_t i = 0; i < n; i++)
		cnt += bin.pix[i] == 0;
	/* A page with no contrast (or almost all "ink") has no lines. */
	if (cnt == 0 || cnt > n / 2) {
		free(bin.pix);
		return 0;
	}
	if (!(p->x = htr_alloc(cnt, 2 * sizeof(float))))
		goto fail;
	p->y = p->x + cnt;
	p->cx = im->w / 2.0f;
	p->cy = im->h / 2.0f;
	if (each_component(&bin, 0, add_points, p))
		goto fail;
	if (p->n * 4 < cnt) {
		p->n = 0;
		p->all = 1;
		if (each_component(&bin, 0, add_points, p))
			goto fail;
	}
	free(bin.pix);
	step = p->n > cap ? (p->n + cap - 1) / cap : 1;
	for (size_t i = 0; i < p->n; i += step, k++) {
		p->x[k] = p->x[i];
		p->y[k] = p->y[i];
	}
	p->n = k;
	return 0;
fail:
	free(bin.pix);
	free(p->x);
	p->x = NULL;
	return -1;
}

/* Concentration of the horizontal projection at skew deg: the sum of
 * squared bin counts (the projection's variance up to constants), which
 * is largest when the lines of writing fall into the fewest rows.  (The
 * sum of squared differences of adjacent bins, after Postl, did a little
 * worse on rotated Poilus pages and lines.) */
static double
skew_score(const struct points *p, double deg, long *bins, int nbins)
{
	double s = sin(deg * DEG), c = cos(deg * DEG), score = 0;
	double off = nbins / 2;
	int b[256];

	memset(bins, 0, (size_t)nbins * sizeof *bins);
	/* the bin numbers of 256 points at a time (a loop the compiler
	 * vectorises), then their counts */
	for (size_t i0 = 0; i0 < p->n; i0 += 256) {
		const float *x = p->x + i0, *y = p->y + i0;
		int m = p->n - i0 < 256 ? (int)(p->n - i0) : 256;

		/* >= 0 inside the bins, so the cast rounds (lround is slow) */
		for (int k = 0; k < m; k++)
			b[k] = (int)(x[k] * s + y[k] * c + off + 0.5);
		for (int k = 0; k < m; k++)
			if (b[k] >= 0 && b[k] < nbins)
				bins[b[k]]++;
	}
	for (int i = 0; i < nbins; i++)
		score += (double)bins[i] * bins[i];
	return score;
}

/* The scores of the angles a[0..n-1], many at once on the cores
 * (htr_par_for): each angle has bins of its own, so the scores are those
 * of one angle after the other. */
struct scoring {
	double (*score)(const struct points *, double, long *, int);
	const struct points *p;
	const double *a;
	double *s;
	long *bins;                   /* [n][nbins] */
	int nbins;
};

static void
score_range(void *ctx, size_t lo, size_t hi)
{
	struct scoring *q = ctx;

	for (size_t i = lo; i < hi; i++)
		q->s[i] = q->score(q->p, q->a[i], q->bins + i * q->nbins,
		    q->nbins);
}

/* Grid search: a coarse grid over [-max, max], then a finer grid
 * around the best.  score(deg) is maximised; the first of equal scores
 * (in increasing angle) wins.  Returns 0 or -1 (out of memory). */
static int
search(double (*score)(const struct points *, double, long *, int),
    const struct points *p, int nbins, double max, double coarse,
    double fine, double *deg)
{
	double best = 0, bs = -1, *a, *sc;
	long *bins;
	int n = 0, nmax = (int)(2 * max / coarse + 1e-9) + 1;

	if ((int)(2 * coarse / fine + 1e-9) + 1 > nmax)
		nmax = (int)(2 * coarse / fine + 1e-9) + 1;
	nmax += 2;          /* the float steps may give one more */
	if (!(a = htr_alloc((size_t)nmax, 2 * sizeof *a)))
		return -1;
	if (!(bins = htr_alloc((size_t)nmax * nbins, sizeof *bins))) {
		free(a);
		return -1;
	}
	sc = a + nmax;
	struct scoring q = { score, p, a, sc, bins, nbins };
	for (double x = -max; x <= max + 1e-9 && n < nmax; x += coarse)
		a[n++] = x;
	htr_par_for((size_t)n, p->n, score_range, &q);
	for (int i = 0; i < n; i++)
		if (sc[i] > bs)
			bs = sc[i], best = a[i];
	double c = best;
	n = 0;
	for (double x = c - coarse; x <= c + coarse + 1e-9 && n < nmax;
	    x += fine) {
		if (x < -max - 1e-9 || x > max + 1e-9)
			continue;
		a[n++] = x;
	}
	htr_par_for((size_t)n, p->n, score_range, &q);
	for (int i = 0; i < n; i++)
		if (sc[i] > bs)
			bs = sc[i], best = a[i];
	free(bins);
	free(a);
	*deg = fabs(best) < 1e-9 ? 0 : best;
	return 0;
}

int
htr_prep_skew(const struct htr_image *im, double maxdeg, double *deg)
{
	struct points p;
	int nbins = (int)ceil(hypot(im->w, im->h)) + 4, r;

	*deg = 0;
	if (ink_points(im, 400000, &p))
		return -1;
	if (p.n == 0) {
		free(p.x);
		return 0;
	}
	r = search(skew_score, &p, nbins, maxdeg, 0.5, 0.05, deg);
	free(p.x);
	return r;
}

/* Vinciarelli-Luettin: bins[3 * col .. +2] hold count, min y, max y of
 * the ink in each column after shearing by -deg. */
static double
slant_score(const struct points *p, double deg, long *bins, int nbins)
{
	double t = tan(deg * DEG), score = 0;
	int ncol = nbins / 3;

	for (int i = 0; i < ncol; i++) {
		bins[3 * i] = 0;
		bins[3 * i + 1] = 1L << 30;
		bins[3 * i + 2] = -(1L << 30);
	}
	for (size_t i = 0; i < p->n; i++) {
		int y = (int)(p->y[i] + p->cy);          /* the row */
		int c = (int)(p->x[i] + p->y[i] * t + ncol / 2 + 0.5);
		if (c < 0 || c >= ncol)
			continue;
		bins[3 * c]++;
		if (y < bins[3 * c + 1])
			bins[3 * c + 1] = y;
		if (y > bins[3 * c + 2])
			bins[3 * c + 2] = y;
	}
	for (int i = 0; i < ncol; i++) {
		long n = bins[3 * i];
		if (n > 1 && n >= bins[3 * i + 2] - bins[3 * i + 1] + 1)
			score += (double)n * n;
	}
	return score;
}

int
htr_prep_slant(const struct htr_image *im, double maxdeg, double *deg)
{
	struct points p;
	double t = tan((maxdeg < 80 ? maxdeg : 80) * DEG);
	int ncol = (int)ceil(im->w + t * im->h) + 4, r;

	*deg = 0;
	if (ink_points(im, 400000, &p))
		return -1;
	if (p.n == 0) {
		free(p.x);
		return 0;
	}
	r = search(slant_score, &p, 3 * ncol, maxdeg, 1, 0.1, deg);
	free(p.x);
	return r;
}

int
htr_prep_deskew(struct htr_image *im, double maxdeg, double *deg)
{
	struct htr_image tmp;
	double a;
	int w, h;

	if (htr_prep_skew(im, maxdeg, &a))
		return -1;
	if (deg)
		*deg = a;
	if (fabs(a) < 0.1)
		return 0;
	w = im->w, h = im->h;
	if (htr_prep_rotate(&tmp, im, -a, 255))
		return -1;
	take(im, &tmp);
	return htr_tag_setf(im->tags, "deskew", "%.2f,%d,%d", a, w, h);
}

int
htr_prep_unrotate_init(struct htr_unrotate *u, const char *deskew)
{
	double a;
	long ow, oh;
	int n = 0;

	if (sscanf(deskew, "%lf,%d,%d%n", &a, &u->w, &u->h, &n) != 3 ||
	    deskew[n] || !(fabs(a) <= 90) || u->w < 1 || u->h < 1)
		return htr_fail("deskew=%s: not DEG,WIDTH,HEIGHT", deskew);
	/* the rotation by -a of htr_prep_rotate and its output size */
	u->c = cos(-a * DEG), u->s = sin(-a * DEG);
	rotated_size(u->w, u->h, u->c, u->s, &ow, &oh);
	u->cx = ow / 2.0, u->cy = oh / 2.0;
	return 0;
}

void
htr_prep_unrotate_point(const struct htr_unrotate *u, double x, double y,
    double *ux, double *uy)
{
	double dx = x - u->cx, dy = y - u->cy;

	*ux = dx * u->c - dy * u->s + u->w / 2.0;
	*uy = dx * u->s + dy * u->c + u->h / 2.0;
}

void
htr_prep_unrotate_bounds(const struct htr_unrotate *u, const double lo[2],
    const double hi[2], int box[4])
{
	double x0 = fmax(0, floor(lo[0])), y0 = fmax(0, floor(lo[1]));
	double x1 = fmin(u->w, ceil(hi[0])), y1 = fmin(u->h, ceil(hi[1]));

	box[0] = (int)x0, box[1] = (int)y0;
	box[2] = x1 > x0 ? (int)(x1 - x0) : 0;
	box[3] = y1 > y0 ? (int)(y1 - y0) : 0;
}

void
htr_prep_unrotate_rect(const struct htr_unrotate *u, int box[4])
{
	double lo[2] = {1e30, 1e30}, hi[2] = {-1e30, -1e30};

	for (int k = 0; k < 4; k++) {
		double p[2];
		htr_prep_unrotate_point(u, box[0] + (k & 1 ? box[2] : 0),
		    box[1] + (k & 2 ? box[3] : 0), &p[0], &p[1]);
		for (int d = 0; d < 2; d++) {
			if (p[d] < lo[d]) lo[d] = p[d];
			if (p[d] > hi[d]) hi[d] = p[d];
		}
	}
	htr_prep_unrotate_bounds(u, lo, hi, box);
}

int
htr_prep_unrotate_box(int box[4], const char *deskew)
{
	struct htr_unrotate u;

	if (htr_prep_unrotate_init(&u, deskew))
		return -1;
	htr_prep_unrotate_rect(&u, box);
	return 0;
}

int
htr_prep_deslant(struct htr_image *im, double maxdeg, double *deg)
{
	struct htr_image tmp;
	double a;

	if (htr_prep_slant(im, maxdeg, &a))
		return -1;
	if (deg)
		*deg = a;
	if (fabs(a) < 0.1)
		return 0;
	if (htr_prep_shear(&tmp, im, -a, 255))
		return -1;
	take(im, &tmp);
	return 0;
}

/* ---------------------------------------------------------------- cleaning */

/* What to whiten: border components, or speckles of at most maxarea. */
struct whiten {
	int border;
	long maxarea;
	int removed;
};

static void
whiten_some(struct htr_image *im, const struct comp *c, const int32_t *m,
    size_t nm, void *arg)
{
	struct whiten *wh = arg;
	int drop;

	if (wh->border)
		drop = touches_edge(c, im) &&
		    (2 * (c->x1 - c->x0 + 1) >= im->w ||
		    2 * (c->y1 - c->y0 + 1) >= im->h);
	else
		drop = c->area <= wh->maxarea;
	if (!drop)
		return;
	for (size_t i = 0; i < nm; i++)
		im->pix[m[i]] = 255;
	wh->removed++;
}

static int
whiten(struct htr_image *im, struct whiten *wh, int *removed)
{
	int t = htr_prep_otsu(im);

	/* A blank image has no ink to look at. */
	if (t < 255 && each_component(im, t, whiten_some, wh))
		return -1;
	if (removed)
		*removed = wh->removed;
	return 0;
}

int
htr_prep_remove_border(struct htr_image *im, int *removed)
{
	struct whiten wh = { .border = 1 };

	return whiten(im, &wh, removed);
}

int
htr_prep_despeckle(struct htr_image *im, int maxarea, int *removed)
{
	struct whiten wh = { .maxarea = maxarea };

	return whiten(im, &wh, removed);
}

/* Zhang and Suen (1984), "A fast parallel algorithm for thinning digital
 * patterns": two sub-iterations delete boundary pixels with 2..6 ink
 * neighbours and exactly one 0→1 transition around them, the first from
 * the south-east, the second from the north-west, until nothing changes. */
int
htr_prep_thin(struct htr_image *im)
{
	int w = im->w + 2, h = im->h + 2, t = htr_prep_otsu(im), changed;
	unsigned char *b, *del;

	if (!(b = htr_zalloc((size_t)w * h, 2)))
		return -1;
	del = b + (size_t)w * h;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			b[(size_t)(y + 1) * w + x + 1] =
			    im->pix[(size_t)y * im->w + x] <= t && t < 255;
	do {
		changed = 0;
		for (int pass = 0; pass < 2; pass++) {
			for (int y = 1; y < h - 1; y++)
				for (int x = 1; x < w - 1; x++) {
					unsigned char *q = b + (size_t)y * w + x;
					/* P2..P9 clockwise from north */
					int p[8] = { q[-w], q[-w + 1], q[1], q[w + 1],
					    q[w], q[w - 1], q[-1], q[-w - 1] };
					int nb = 0, tr = 0;

					if (!*q)
						continue;
					for (int i = 0; i < 8; i++) {
						nb += p[i];
						tr += !p[i] && p[(i + 1) % 8];
					}
					if (nb < 2 || nb > 6 || tr != 1)
						continue;
					if (pass == 0 ? (p[0] && p[2] && p[4]) ||
					    (p[2] && p[4] && p[6]) :
					    (p[0] && p[2] && p[6]) ||
					    (p[0] && p[4] && p[6]))
						continue;
					del[q - b] = 1;
				}
			for (size_t i = 0; i < (size_t)w * h; i++)
				if (del[i]) {
					b[i] = 0;
					del[i] = 0;
					changed = 1;
				}
		}
	} while (changed);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			im->pix[(size_t)y * im->w + x] =
			    b[(size_t)(y + 1) * w + x + 1] ? 0 : 255;
	free(b);
	return 0;
}

/* ----------------------------------------------------------------- scaling */

/* Resampling of one axis from n to m samples: output i takes taps[i].n
 * inputs from index taps[i].first with weights wt[taps[i].off ...]. */
struct taps {
	int *first, *count, *off;
	float *wt;
};

static int
make_taps(struct taps *t, int n, int m)
{
	double s = (double)n / m;
	int maxtaps = m < n ? (int)ceil(s) + 2 : 2, o = 0;

	t->first = htr_alloc((size_t)m, 3 * sizeof(int));
	t->wt = htr_alloc((size_t)m, maxtaps * sizeof(float));
	if (!t->first || !t->wt) {
		free(t->first);
		free(t->wt);
		return -1;
	}
	t->count = t->first + m;
	t->off = t->count + m;
	for (int i = 0; i < m; i++) {
		t->off[i] = o;
		if (m < n) {
			/* Area: input interval [i s, (i + 1) s). */
			double a = i * s, b = (i + 1) * s;
			int j0 = (int)floor(a), j1 = (int)ceil(b) - 1;

			if (j1 > n - 1)
				j1 = n - 1;
			t->first[i] = j0;
			t->count[i] = j1 - j0 + 1;
			for (int j = j0; j <= j1; j++) {
				double lo = j > a ? j : a, hi = j + 1 < b ? j + 1 : b;
				t->wt[o++] = (float)((hi - lo) / s);
			}
		} else {
			/* Bilinear between pixel centres, clamped at the ends. */
			double x = (i + 0.5) * s - 0.5;
			int j0 = (int)floor(x);
			double f = x - j0;

			if (j0 < 0)
				j0 = 0, f = 0;
			if (j0 >= n - 1)
				j0 = n - 1, f = 0;
			t->first[i] = j0;
			t->count[i] = f > 0 ? 2 : 1;
			t->wt[o++] = (float)(1 - f);
			if (f > 0)
				t->wt[o++] = (float)f;
		}
	}
	return 0;
}

int
htr_prep_resize(struct htr_image *out, const struct htr_image *in,
    int w, int h)
{
	struct taps tx, ty;
	float *tmp;

	if (htr_image_check_size(w, h))
		return -1;
	if (make_taps(&tx, in->w, w))
		return -1;
	if (make_taps(&ty, in->h, h)) {
		free(tx.first);
		free(tx.wt);
		return -1;
	}
	tmp = htr_alloc((size_t)in->h, (size_t)w * sizeof *tmp);
	if (!tmp || htr_image_init(out, w, h, 255)) {
		free(tmp);
		tmp = NULL;
		goto done;
	}
	memcpy(out->tags, in->tags, sizeof out->tags);
	for (int y = 0; y < in->h; y++)
		for (int x = 0; x < w; x++) {
			const unsigned char *p = in->pix + (size_t)y * in->w +
			    tx.first[x];
			const float *wt = tx.wt + tx.off[x];
			float v = 0;
			for (int k = 0; k < tx.count[x]; k++)
				v += wt[k] * p[k];
			tmp[(size_t)y * w + x] = v;
		}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const float *wt = ty.wt + ty.off[y];
			float v = 0;
			for (int k = 0; k < ty.count[y]; k++)
				v += wt[k] * tmp[(size_t)(ty.first[y] + k) * w + x];
			v += 0.5f;
			out->pix[(size_t)y * w + x] =
			    (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
done:
	free(tmp);
	free(tx.first);
	free(tx.wt);
	free(ty.first);
	free(ty.wt);
	return out->pix ? 0 : -1;
}

static int
resize_in_place(struct htr_image *im, long w, long h)
{
	struct htr_image tmp;

	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	if (w == im->w && h == im->h)
		return 0;
	if (htr_image_check_size(w, h) ||
	    htr_prep_resize(&tmp, im, (int)w, (int)h))
		return -1;
	take(im, &tmp);
	return 0;
}

int
htr_prep_scale_height(struct htr_image *im, int h)
{
	return resize_in_place(im, lround((double)im->w * h / im->h), h);
}

int
htr_prep_scale(struct htr_image *im, double f)
{
	if (!(f > 0) || f > HTR_MAX_DIM)
		return htr_fail("bad scale factor %g", f);
	return resize_in_place(im, lround(im->w * f), lround(im->h * f));
}

/* ------------------------------------------------------------------ chain */

void
htr_prep_defaults(struct htr_prep_opts *o)
{
	memset(o, 0, sizeof *o);
	o->invert = HTR_PREP_INVERT_AUTO;
	o->flatten = 1;
	o->normalize = 1;
	o->lo = 1;
	o->hi = 99;
	o->deskew = 1;
	o->deskew_min_height = 256;
	o->maxskew = 15;
	o->maxslant = 45;
	o->binarize = HTR_PREP_BIN_NONE;
	o->window = 25;
	o->k = 0.2;
}

int
htr_prep_run(struct htr_image *im, const struct htr_prep_opts *o,
    struct htr_prep_info *info)
{
	struct htr_prep_info dummy;
	int bin = o->binarize;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof *info);
	info->threshold = -1;
	if (o->invert == HTR_PREP_INVERT_YES)
		info->inverted = 1;
	else if (o->invert == HTR_PREP_INVERT_AUTO &&
	    (info->inverted = htr_prep_is_inverted(im)) < 0)
		return -1;
	if (info->inverted)
		htr_prep_invert(im);
	if (o->flatten && htr_prep_flatten(im, o->flatten_window))
		return -1;
	if (o->normalize)
		htr_prep_normalize(im, o->lo, o->hi);
	if (o->border && htr_prep_remove_border(im, &info->border))
		return -1;
	if (o->despeckle > 0 &&
	    htr_prep_despeckle(im, o->despeckle, &info->speckles))
		return -1;
	if (o->deskew && im->h >= o->deskew_min_height &&
	    htr_prep_deskew(im, o->maxskew, &info->skew))
		return -1;
	if (o->deslant && htr_prep_deslant(im, o->maxslant, &info->slant))
		return -1;
	/* a sheared or rescaled image no longer has the geometry its
	 * deskew= tag describes */
	if (o->deslant || o->height > 0 || o->scale > 0)
		htr_tag_del(im->tags, "deskew");
	if (o->height > 0 && htr_prep_scale_height(im, o->height))
		return -1;
	if (o->scale > 0 && htr_prep_scale(im, o->scale))
		return -1;
	if (o->thin && bin == HTR_PREP_BIN_NONE)
		bin = HTR_PREP_BIN_OTSU;
	if (bin == HTR_PREP_BIN_OTSU)
		info->threshold = htr_prep_binarize_otsu(im);
	else if (bin == HTR_PREP_BIN_SAUVOLA &&
	    htr_prep_binarize_sauvola(im, o->window, o->k))
		return -1;
	if (o->thin && htr_prep_thin(im))
		return -1;
	return 0;
}
