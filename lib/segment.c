/* segment.c — page to lines, words and characters.  See segment.h for the
 * method.  Sizes below are in units of the page's typical component height
 * (ch) or of its line pitch (P), both measured on the page, so the same
 * settings work at any resolution.  Values were chosen on the Poilus pages
 * (bench/segment.sh): the first ones on the validation writers' pages, the
 * margin, text block and box trim ones on the training writers' pages,
 * with the validation pages kept for checking. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "prep.h"
#include "segment.h"

/* Tunables: sizes relative to ch (the typical component height) or to P
 * (the line pitch). */
#define SAUVOLA_K     0.25
#define FRAME_H       3.5    /* any component taller (P): dropped */
#define STROKE_LEN    3.0    /* a component this long (P) with less ink */
#define STROKE_INK    1.5    /* than this many stroke widths x length: a
                              * single stroke (frame piece, flourish) */
#define SOLID         0.7    /* a blob filling its box this much is no ink */
#define DASH_H        0.2    /* a stroke lower than this (P), wider than */
#define DASH_INK      1.2    /* 0.5 P, with this little ink: a dash */
#define SPECK_AREA    0.01   /* area below SPECK_AREA ch^2: a speck */
#define GRID          12     /* grid cells per P */
#define BLUR_X        1.8    /* sigma of the line-finding blur along x (P):
                              * 1.0 .. 2.5 tried on both sets, 1.8 best */
#define BLUR_Y        0.15   /* ... and along y (P) */
#define RIDGE_FRAC    0.45   /* ridge threshold, fraction of the 90th pct */
#define RIDGE_SEP     0.5    /* two ridges in a column at least this apart */
#define TRACK_DY      0.15   /* a ridge moves at most this per column (P) */
#define TRACK_GAP     1.5    /* a track survives a gap this long (P) */
#define MERGE_GAP     4.0    /* collinear tracks this far apart merge (P) */
#define MERGE_DY      0.2    /* ... when this close in y (P) */
#define LINE_MIN_W    1.0    /* shorter tracks are not lines (P) */
#define DX_WEIGHT     1.0    /* distance beyond a ridge's end counts 1:1 */
#define REACH         0.25   /* a ridge crosses a component this far off */
#define CLIP          0.6    /* ink farther from its ridge is dropped (P) */
#define LINE_MIN_H    0.7    /* lower line boxes are not lines (ch) */
#define HALF_PEAK     0.5    /* a period at 1/2 or 1/3 of the best one
                              * this strong is the pitch */
#define PITCH_HI      4      /* longest pitch looked for (ch) */
#define SPLIT_GAP     3.0    /* a line splits at gaps wider than this (P) */
#define SPLIT_GAP_CH  4.0    /* ... and than this (ch) */
#define SHORT_W       0.35   /* narrower lines (of the median line) go */
#define SALVAGE       0.35   /* frame ink this near a ridge is text (P) */
#define MARGIN_OUT    1.0    /* a line sticking out of the text block
                              * this much (P) may hold a margin note */
#define MARGIN_GAP    0.3    /* cut at a gap this wide (P) */
#define MARGIN_TOL    1.0    /* ... this close to the block's edge (P) */
#define EDGE_GAP      0.2    /* the text's left edge: where runs of ink */
#define EDGE_WIN      1.0    /* ... after gaps this wide (P) start, in a */
#define EDGE_MIN      0.4    /* ... window this wide (P), on this many of
                              * the lines */
#define EDGE_RUN      4.0    /* ... that go on at least this far (P) */
#define EDGE_NEAR     0.75   /* the leftmost window this near the best */
#define EDGE_TOL      0.5    /* a margin cut ends this close to it (P) */
#define BOX_TRIM      0.005   /* ink cut off the top and bottom of a box */
#define ROW_FLOOR     0.03   /* ... then rows with less ink than this
                              * fraction of the line's densest row, */
#define ROW_KEEP      0.4    /* ... farther than this from the ridge (P) */
#define FILL_INK      1.5    /* a line ending in columns this thin (stroke
                              * widths of ink) */
#define FILL_LEN      1.0    /* ... for longer than this (P) ends in a
                              * filler: its box stops before it */
#define FILL_LEAD     0.5    /* one starting in such columns for longer
                              * than this (P) starts after them */
#define SOLID_RUN     4.0    /* a frame whose runs are this many stroke
                              * widths long on average is a solid band */
#define BLOCK_GAP     4.0    /* the text block ends at a gap this many
                              * line spacings high */
#define BLOCK_EXT     1.5    /* ... and goes on through lines this close
                              * (spacings) */
#define BLOCK_W       1.0    /* narrower lines (of the median) beyond the
                              * block go */
#define CROWD         0.7    /* lines closer than this (line spacings) */
#define CROWD_N       3      /* ... in a group of this many go */
#define ASSIGN_DIST   0.8    /* farther components are dropped (P) */
#define BUSY          1.6    /* a line with this many times the strokes
                              * per column of the median line goes */
#define HEAD_TOP      1.5    /* the top line, its centre this near the
                              * page's top (line spacings), */
#define HEAD_W        0.65   /* ... narrower than this (of the median
                              * line) is a header and goes, */
#define HEAD_PAGE     12.0   /* ... on a page this many spacings high */
#define ROW_DY        0.4    /* lines this close in y (P) share a row:
                              * read left to right */

struct comp {
	int x0, y0, x1, y1;     /* inclusive bounding box */
	long area, sx, sy;      /* pixel count, sums of x and y */
	long runs;              /* horizontal runs of its pixels */
	int drop;               /* 1 = noise, not text */
	int line;               /* assigned line, -1 none, -2 split */
};

struct track {
	int gx0, gx1;           /* first and last grid column */
	float *y;               /* [gx1 - gx0 + 1] ridge row, grid units */
	int last;               /* last column with a ridge point */
	double strength;
	int dead;
};

struct ctx {
	const struct htr_image *pg;
	int w, h;
	unsigned char *ink;     /* [h][w] 1 = ink */
	int *lab;               /* [h][w] component index + 1, 0 = paper */
	struct comp *c;
	int nc;
	double ch;              /* typical component height */
	double pitch;           /* line pitch */
	double sw;              /* stroke width: median horizontal ink run */
	/* line finding grid */
	int ds, gw, gh;
	float *grid;            /* [gh][gw] */
	struct track *t;
	int nt, capt;
	/* lines in page coordinates */
	int nl;
	float *ly;              /* [nl][w] ridge y at every page column */
	int *lx0, *lx1;         /* [nl] extent of the ridge */
	int doubtful;           /* keep the lines the layout rules out */
};

/* ---- binarisation ---------------------------------------------------- */

/* The 90th percentile of the gray levels: the paper. */
static int
paper_level(const unsigned char *p, size_t n)
{
	size_t hist[256] = {0}, acc = 0;

	for (size_t i = 0; i < n; i++)
		hist[p[i]]++;
	for (int i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= n * 9 / 10)
			return i;
	}
	return 255;
}

/* Sauvola (lib/prep) with a window of 1/20 of the page's shorter side;
 * where the window's mean is darker than 40% of the paper's level the
 * pixel is taken as ink (a solid dark border, which then goes as a
 * component touching the page's edge, or as a solid band). */
static int
binarise(struct ctx *x)
{
	int r = (x->w < x->h ? x->w : x->h) / 40;

	if (r < 7)
		r = 7;
	return htr_prep_sauvola_mask(x->ink, x->pg, 2 * r + 1, SAUVOLA_K,
	    paper_level(x->pg->pix, (size_t)x->w * x->h) * 2 / 5);
}

/* Erases ruled lines and margin rules: ink that stays within a band 5
 * pixels wide for more than 1/8 of the page width (rows) or 1/10 of its
 * height (columns), and at least 100 pixels, so slightly tilted rules
 * count; at most 1/200 of the page width thick.  'along' is the step along
 * the rule, 'across' the step across it. */
static void
erase_dir(struct ctx *x, unsigned char *kill, int n, int m, size_t along,
    size_t across, int len, int th)
{
	const unsigned char *ink = x->ink;

	for (int j = 2; j + 2 < m; j++)
		for (int i = 0; i < n;) {
			int a = i;
			while (i < n) {
				size_t k = j * across + i * along;
				if (!(ink[k] || ink[k - across] || ink[k + across] ||
				    ink[k - 2 * across] || ink[k + 2 * across]))
					break;
				i++;
			}
			if (i == a) {
				i++;
				continue;
			}
			if (i - a < len)
				continue;
			for (int q = a; q < i; q++) {
				/* the ink run across the band through the rule */
				int lo = j - 2, hi = j + 2, t = 0;
				while (lo > 0 && ink[(size_t)(lo - 1) * across +
				    q * along] && j - lo <= th)
					lo--;
				while (hi + 1 < m && ink[(size_t)(hi + 1) * across +
				    q * along] && hi - j <= th)
					hi++;
				for (int r = lo; r <= hi; r++)
					t += ink[(size_t)r * across + q * along];
				if (t <= th)
					for (int r = lo; r <= hi; r++)
						kill[(size_t)r * across + q * along] =
						    1;
			}
		}
}

static int
erase_rules(struct ctx *x)
{
	int w = x->w, h = x->h, th = w / 200 + 2;
	unsigned char *kill = htr_zalloc((size_t)w * h, 1);

	if (!kill)
		return -1;
	erase_dir(x, kill, w, h, 1, w, w / 8 > 100 ? w / 8 : 100, th);
	erase_dir(x, kill, h, w, w, 1, h / 10 > 100 ? h / 10 : 100, th);
	for (size_t k = 0; k < (size_t)w * h; k++)
		if (kill[k])
			x->ink[k] = 0;
	free(kill);
	return 0;
}

/* ---- connected components (8-connected, union-find) ------------------ */

static int
uf_find(int *par, int a)
{
	while (par[a] != a) {
		par[a] = par[par[a]];
		a = par[a];
	}
	return a;
}

static void
uf_union(int *par, int a, int b)
{
	a = uf_find(par, a);
	b = uf_find(par, b);
	if (a < b)
		par[b] = a;
	else if (b < a)
		par[a] = b;
}

static int
components(struct ctx *x)
{
	int w = x->w, h = x->h, n = 0, *par, cap = 1024, *map;

	if (!(par = htr_alloc(cap, sizeof *par)))
		return -1;
	for (int y = 0; y < h; y++)
		for (int i = 0; i < w; i++) {
			size_t k = (size_t)y * w + i;
			int nb[4], nn = 0;

			x->lab[k] = 0;
			if (!x->ink[k])
				continue;
			if (i > 0 && x->lab[k - 1])
				nb[nn++] = x->lab[k - 1];
			if (y > 0) {
				size_t u = k - w;
				if (i > 0 && x->lab[u - 1])
					nb[nn++] = x->lab[u - 1];
				if (x->lab[u])
					nb[nn++] = x->lab[u];
				if (i + 1 < w && x->lab[u + 1])
					nb[nn++] = x->lab[u + 1];
			}
			if (!nn) {
				if (n + 1 >= cap) {
					int *np = htr_realloc(par, cap * 2,
					    sizeof *par);
					if (!np) {
						free(par);
						return -1;
					}
					par = np;
					cap *= 2;
				}
				n++;
				par[n] = n;
				x->lab[k] = n;
				continue;
			}
			x->lab[k] = nb[0];
			for (int j = 1; j < nn; j++)
				uf_union(par, nb[0], nb[j]);
		}
	/* compact the labels */
	if (!(map = htr_zalloc(n + 1, sizeof *map))) {
		free(par);
		return -1;
	}
	x->nc = 0;
	for (int i = 1; i <= n; i++)
		if (uf_find(par, i) == i)
			map[i] = ++x->nc;
	if (!(x->c = htr_zalloc(x->nc ? x->nc : 1, sizeof *x->c))) {
		free(par);
		free(map);
		return -1;
	}
	for (int i = 0; i < x->nc; i++) {
		x->c[i].x0 = w;
		x->c[i].y0 = h;
		x->c[i].x1 = x->c[i].y1 = -1;
		x->c[i].line = -1;
	}
	for (int y = 0; y < h; y++)
		for (int i = 0; i < w; i++) {
			size_t k = (size_t)y * w + i;
			struct comp *c;

			if (!x->lab[k])
				continue;
			x->lab[k] = map[uf_find(par, x->lab[k])];
			c = &x->c[x->lab[k] - 1];
			if (i < c->x0) c->x0 = i;
			if (i > c->x1) c->x1 = i;
			if (y < c->y0) c->y0 = y;
			if (y > c->y1) c->y1 = y;
			c->area++;
			if (i == 0 || x->lab[k - 1] != x->lab[k])
				c->runs++;
			c->sx += i;
			c->sy += y;
		}
	free(par);
	free(map);
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	int u = *(const int *)a, v = *(const int *)b;
	return (u > v) - (u < v);
}

static int
cmp_double(const void *a, const void *b)
{
	double u = *(const double *)a, v = *(const double *)b;
	return (u > v) - (u < v);
}

/* The scale: the area-weighted median height of the components that are
 * neither specks nor border nor page-sized, i.e. the height of the
 * component that holds the median ink pixel.  0 when there is none. */
static int
estimate_height(struct ctx *x, double *ch)
{
	struct hw { double h, a; } *v;
	int n = 0;
	double tot = 0, acc = 0;

	if (!(v = htr_alloc(x->nc ? x->nc : 1, sizeof *v)))
		return -1;
	for (int i = 0; i < x->nc; i++) {
		struct comp *c = &x->c[i];
		int bh = c->y1 - c->y0 + 1, bw = c->x1 - c->x0 + 1;
		if (c->x0 == 0 || c->y0 == 0 || c->x1 == x->w - 1 ||
		    c->y1 == x->h - 1)
			continue;
		if (bh < 4 || c->area < 12 || bh > x->h / 4 || bw > x->w / 3)
			continue;
		v[n].h = bh;
		v[n].a = c->area;
		tot += c->area;
		n++;
	}
	*ch = 0;
	if (n >= 1) {
		qsort(v, n, sizeof *v, cmp_double);  /* h is the first field */
		for (int i = 0; i < n; i++) {
			acc += v[i].a;
			if (acc >= tot / 2) {
				*ch = v[i].h;
				break;
			}
		}
	}
	free(v);
	return 0;
}

/* The line pitch: the strongest period of the row profiles of vertical
 * strips (summed autocorrelations), between 0.7 and 4 times ch.  Falls
 * back to 1.3 ch when the page shows no period. */
static int
estimate_pitch(struct ctx *x)
{
	int ns = 6, lo = (int)(0.7 * x->ch), hi = (int)(PITCH_HI * x->ch);
	int best = -1;
	double *prof, *ac, bv = 0;

	if (lo < 2)
		lo = 2;
	if (hi > x->h / 2)
		hi = x->h / 2;
	x->pitch = 1.3 * x->ch;
	if (hi <= lo + 2)
		return 0;
	if (!(prof = htr_zalloc((size_t)ns * x->h, sizeof *prof)))
		return -1;
	if (!(ac = htr_zalloc(hi + 2, sizeof *ac))) {
		free(prof);
		return -1;
	}
	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < x->w; i++) {
			int l = x->lab[(size_t)y * x->w + i];
			if (l && !x->c[l - 1].drop)
				prof[(size_t)(i * ns / x->w) * x->h + y]++;
		}
	for (int k = 0; k < ns; k++) {
		double *p = prof + (size_t)k * x->h, m = 0;
		for (int y = 0; y < x->h; y++)
			m += p[y];
		m /= x->h;
		for (int y = 0; y < x->h; y++)
			p[y] -= m;
		for (int lag = lo - 1; lag <= hi + 1; lag++) {
			double sum = 0;
			for (int y = 0; y + lag < x->h; y++)
				sum += p[y] * p[y + lag];
			ac[lag - (lo - 1)] += sum / (x->h - lag);
		}
	}
	for (int lag = lo; lag <= hi; lag++) {
		double a = ac[lag - lo], b = ac[lag - lo + 1], c = ac[lag - lo + 2];
		if (b > a && b >= c && b > bv) {
			bv = b;
			best = lag;
		}
	}
	/* the strongest peak may be a multiple of the pitch */
	for (int div = 3; best > 0 && div >= 2; div--) {
		int t = best / div;
		for (int lag = t - t / 10 - 1; lag <= t + t / 10 + 1; lag++) {
			if (lag < lo || lag > hi)
				continue;
			double a = ac[lag - lo], b = ac[lag - lo + 1],
			    c = ac[lag - lo + 2];
			if (b > a && b >= c && b > HALF_PEAK * bv) {
				best = lag;
				div = 0;
				break;
			}
		}
	}
	if (best > 0)
		x->pitch = best;
	free(prof);
	free(ac);
	return 0;
}

/* Thin horizontal pieces (bh <= 0.15 P, at least twice as wide as high)
 * whose rows are covered across a sixth of the page by such pieces are a
 * broken ruled line: dropped. */
static int
drop_dashes(struct ctx *x)
{
	int *cover = htr_zalloc(x->h, sizeof *cover);

	if (!cover)
		return -1;
	for (int i = 0; i < x->nc; i++) {
		struct comp *c = &x->c[i];
		int bh = c->y1 - c->y0 + 1, bw = c->x1 - c->x0 + 1;
		if (c->drop == 1 || bh > 0.15 * x->pitch || bw < 2 * bh)
			continue;
		for (int y = c->y0; y <= c->y1; y++)
			cover[y] += bw;
	}
	for (int i = 0; i < x->nc; i++) {
		struct comp *c = &x->c[i];
		int bh = c->y1 - c->y0 + 1, bw = c->x1 - c->x0 + 1, m = 0;
		if (c->drop == 1 || bh > 0.15 * x->pitch || bw < 2 * bh)
			continue;
		for (int y = c->y0; y <= c->y1; y++)
			if (cover[y] > m)
				m = cover[y];
		if (m > x->w / 6)
			c->drop = 1;
	}
	free(cover);
	return 0;
}

static void
stroke_width(struct ctx *x)
{
	long hist[65] = {0}, n = 0, acc = 0;

	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < x->w;) {
			int a = i;
			while (i < x->w && x->ink[(size_t)y * x->w + i])
				i++;
			if (i > a) {
				hist[i - a > 64 ? 64 : i - a]++;
				n++;
			} else
				i++;
		}
	x->sw = 1;
	for (int k = 1; k <= 64; k++) {
		acc += hist[k];
		if (acc >= (n + 1) / 2) {
			x->sw = k;
			break;
		}
	}
}

static int
filter_components(struct ctx *x)
{
	double ch = x->ch;

	for (int i = 0; i < x->nc; i++) {
		struct comp *c = &x->c[i];
		int bh = c->y1 - c->y0 + 1, bw = c->x1 - c->x0 + 1;
		int border = c->x0 == 0 || c->y0 == 0 || c->x1 == x->w - 1 ||
		    c->y1 == x->h - 1;

		c->drop = 0;
		if (border)
			c->drop = 1;
		else if (bh > FRAME_H * x->pitch && c->area > SOLID_RUN * x->sw *
		    c->runs)
			c->drop = 1;  /* thick: a dark band along the page */
		else if (bh > FRAME_H * x->pitch)
			c->drop = 3;  /* frame, maybe touching text */
		else if (bw > 6 * ch && c->area < 0.02 * bw * bh &&
		    bh > 2 * ch)
			c->drop = 3;  /* thin frame-like outline */
		else if ((bh > bw ? bh : bw) > STROKE_LEN * x->pitch &&
		    c->area < STROKE_INK * x->sw * (bh > bw ? bh : bw))
			c->drop = 1;  /* one long stroke: frame piece, flourish */
		else if (bh < DASH_H * x->pitch && bw > 3 * bh && bw > 0.5 *
		    x->pitch && c->area < DASH_INK * x->sw * bw)
			c->drop = 1;  /* a dash: line filler, underline */
		else if (bw > 0.5 * ch && bh > 0.5 * ch && bw < 3 * bh &&
		    bh < 3 * bw && c->area > SOLID * bw * bh)
			c->drop = 1;  /* solid blob: punch hole, ink blot */
		else if (c->area < SPECK_AREA * ch * ch || c->area < 3)
			c->drop = 2;  /* speck: kept only near a line */
	}
	return drop_dashes(x);
}

/* ---- line finding ---------------------------------------------------- */

/* Three box blurs of width b approximate a Gaussian of sigma. */
static int
box_width(double sigma)
{
	int b = (int)lround(sqrt(4 * sigma * sigma + 1));
	return b < 1 ? 1 : (b | 1);
}

static void
blur_1d(float *v, float *tmp, int n, int stride, int b)
{
	int r = b / 2;

	for (int pass = 0; pass < 3; pass++) {
		double s = 0;
		for (int i = 0; i < n; i++)
			tmp[i] = v[(size_t)i * stride];
		for (int i = 0; i <= r && i < n; i++)
			s += tmp[i];
		for (int i = 0; i < n; i++) {
			v[(size_t)i * stride] = (float)(s / b);
			if (i + r + 1 < n)
				s += tmp[i + r + 1];
			if (i - r >= 0)
				s -= tmp[i - r];
		}
	}
}

/* The line-finding grid: in each cell of a pitch/GRID square, the strokes
 * of kept components (pixels that start a horizontal run of ink), not
 * their ink pixels, so faint thin pencil writing weighs as much as a
 * thick pen's on the same page; then blurred. */
static int
build_grid(struct ctx *x)
{
	int ds = (int)lround(x->pitch / GRID);
	float *tmp;

	x->ds = ds = ds < 1 ? 1 : ds;
	x->gw = (x->w + ds - 1) / ds;
	x->gh = (x->h + ds - 1) / ds;
	if (!(x->grid = htr_zalloc((size_t)x->gw * x->gh, sizeof *x->grid)))
		return -1;
	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < x->w; i++) {
			int l = x->lab[(size_t)y * x->w + i];
			if (l && !x->c[l - 1].drop && (i == 0 ||
			    x->lab[(size_t)y * x->w + i - 1] != l))
				x->grid[(size_t)(y / ds) * x->gw + i / ds] += 1;
		}
	if (!(tmp = htr_alloc(x->gw > x->gh ? x->gw : x->gh, sizeof *tmp)))
		return -1;
	int bx = box_width(BLUR_X * x->pitch / ds), by = box_width(BLUR_Y *
	    x->pitch / ds);
	for (int y = 0; y < x->gh; y++)
		blur_1d(x->grid + (size_t)y * x->gw, tmp, x->gw, 1, bx);
	for (int i = 0; i < x->gw; i++)
		blur_1d(x->grid + i, tmp, x->gh, x->gw, by);
	free(tmp);
	return 0;
}

static struct track *
new_track(struct ctx *x, int gx, float y, float v)
{
	struct track *t;

	if (x->nt == x->capt) {
		int cap = x->capt ? 2 * x->capt : 64;
		struct track *nt = htr_realloc(x->t, cap, sizeof *nt);
		if (!nt)
			return NULL;
		x->t = nt;
		x->capt = cap;
	}
	t = &x->t[x->nt];
	if (!(t->y = htr_alloc(x->gw, sizeof *t->y)))
		return NULL;
	x->nt++;
	t->gx0 = t->gx1 = t->last = gx;
	t->y[0] = y;
	t->strength = v;
	t->dead = 0;
	return t;
}

/* Extends t to column gx at row y, interpolating over skipped columns. */
static void
extend_track(struct track *t, int gx, float y, float v)
{
	float y0 = t->y[t->last - t->gx0];

	for (int c = t->last + 1; c <= gx; c++)
		t->y[c - t->gx0] = y0 + (y - y0) * (c - t->last) /
		    (float)(gx - t->last);
	t->last = t->gx1 = gx;
	t->strength += v;
}

struct peak {
	float y, v;
	int used;
};

static int
cmp_peak_v(const void *a, const void *b)
{
	float u = ((const struct peak *)a)->v, v = ((const struct peak *)b)->v;
	return (u < v) - (u > v);
}

static int
trace_ridges(struct ctx *x)
{
	int gw = x->gw, gh = x->gh, np;
	double ref, thr, sep = RIDGE_SEP * x->pitch / x->ds;
	double maxdy = TRACK_DY * x->pitch / x->ds + 0.5, maxgap = TRACK_GAP *
	    x->pitch / x->ds + 1;
	struct peak *pk;
	double *vals;
	size_t n = (size_t)gw * gh, nv = 0;

	if (!(vals = htr_alloc(n, sizeof *vals)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (x->grid[i] > 0)
			vals[nv++] = x->grid[i];
	if (!nv) {
		free(vals);
		return 0;
	}
	qsort(vals, nv, sizeof *vals, cmp_double);
	ref = vals[(size_t)(0.90 * (nv - 1))];
	free(vals);
	thr = RIDGE_FRAC * ref;
	if (!(pk = htr_alloc(gh, sizeof *pk)))
		return -1;
	for (int gx = 0; gx < gw; gx++) {
		np = 0;
		for (int gy = 1; gy + 1 < gh; gy++) {
			float a = x->grid[(size_t)(gy - 1) * gw + gx];
			float b = x->grid[(size_t)gy * gw + gx];
			float c = x->grid[(size_t)(gy + 1) * gw + gx];
			if (b > thr && b > a && b >= c) {
				float d = a - 2 * b + c, off = 0;
				if (d < 0)
					off = 0.5f * (a - c) / d;
				pk[np].y = gy + off;
				pk[np].v = b;
				pk[np].used = 0;
				np++;
			}
		}
		/* non-maximum suppression: strongest first */
		qsort(pk, np, sizeof *pk, cmp_peak_v);
		for (int i = 0; i < np; i++) {
			if (pk[i].used < 0)
				continue;
			for (int j = i + 1; j < np; j++)
				if (fabsf(pk[j].y - pk[i].y) < sep)
					pk[j].used = -1;
		}
		/* match peaks to live tracks, closest pairs first */
		for (;;) {
			int bi = -1, bt = -1;
			double bd = maxdy;
			for (int i = 0; i < np; i++) {
				if (pk[i].used)
					continue;
				for (int k = 0; k < x->nt; k++) {
					struct track *t = &x->t[k];
					double d;
					if (t->dead || t->last == gx)
						continue;
					d = fabs(t->y[t->last - t->gx0] - pk[i].y);
					if (d <= bd) {
						bd = d;
						bi = i;
						bt = k;
					}
				}
			}
			if (bi < 0)
				break;
			extend_track(&x->t[bt], gx, pk[bi].y, pk[bi].v);
			pk[bi].used = 1;
		}
		for (int i = 0; i < np; i++)
			if (!pk[i].used && !new_track(x, gx, pk[i].y, pk[i].v)) {
				free(pk);
				return -1;
			}
		for (int k = 0; k < x->nt; k++)
			if (!x->t[k].dead && gx - x->t[k].last > maxgap)
				x->t[k].dead = 1;
	}
	free(pk);
	return 0;
}

/* Joins tracks that continue each other across a gap (between words). */
static void
merge_tracks(struct ctx *x)
{
	double gap = MERGE_GAP * x->pitch / x->ds;
	double dy = MERGE_DY * x->pitch / x->ds;
	int changed = 1;

	while (changed) {
		changed = 0;
		for (int a = 0; a < x->nt; a++) {
			struct track *A = &x->t[a];
			int best = -1;
			double bd = 1e30;
			if (A->dead == 2)
				continue;
			for (int b = 0; b < x->nt; b++) {
				struct track *B = &x->t[b];
				double g, d;
				if (b == a || B->dead == 2 || B->gx0 <= A->gx1)
					continue;
				g = B->gx0 - A->gx1;
				d = fabs(B->y[0] - A->y[A->gx1 - A->gx0]);
				if (g <= gap && d <= dy + 0.05 * g &&
				    g + 3 * d < bd) {
					bd = g + 3 * d;
					best = b;
				}
			}
			if (best >= 0) {
				struct track *B = &x->t[best];
				/* only if no other track starts between them
				 * closer to A: good enough for text lines */
				for (int c = B->gx0; c <= B->gx1; c++) {
					A->y[c - A->gx0] = B->y[c - B->gx0];
				}
				float ya = A->y[A->gx1 - A->gx0];
				for (int c = A->gx1 + 1; c < B->gx0; c++)
					A->y[c - A->gx0] = ya + (B->y[0] - ya) *
					    (c - A->gx1) / (float)(B->gx0 -
					    A->gx1);
				A->gx1 = A->last = B->gx1;
				A->strength += B->strength;
				B->dead = 2;
				changed = 1;
			}
		}
	}
}

/* Drops short tracks and the weaker of two that run along each other. */
static void
prune_tracks(struct ctx *x)
{
	double minw = LINE_MIN_W * x->pitch / x->ds;
	double near = 0.3 * x->pitch / x->ds;

	for (int a = 0; a < x->nt; a++)
		if (x->t[a].dead != 2 && x->t[a].gx1 - x->t[a].gx0 < minw)
			x->t[a].dead = 2;
	for (int a = 0; a < x->nt; a++) {
		struct track *A = &x->t[a];
		if (A->dead == 2)
			continue;
		for (int b = 0; b < x->nt; b++) {
			struct track *B = &x->t[b];
			int lo, hi, n = 0;
			double d = 0;
			if (b == a || B->dead == 2)
				continue;
			lo = A->gx0 > B->gx0 ? A->gx0 : B->gx0;
			hi = A->gx1 < B->gx1 ? A->gx1 : B->gx1;
			if (hi < lo)
				continue;
			for (int c = lo; c <= hi; c++, n++)
				d += fabs(A->y[c - A->gx0] - B->y[c - B->gx0]);
			if (d / n < near && (hi - lo + 1) > 0.5 * (B->gx1 -
			    B->gx0 + 1) && B->strength <= A->strength)
				B->dead = 2;
		}
	}
}

/* Turns the surviving tracks into lines with a ridge y per page column
 * (constant beyond the ends). */
static int
make_lines(struct ctx *x)
{
	int n = 0, ds = x->ds;

	for (int k = 0; k < x->nt; k++)
		if (x->t[k].dead != 2)
			n++;
	x->nl = n;
	if (!n)
		return 0;
	if (!(x->ly = htr_alloc((size_t)n * x->w, sizeof *x->ly)) ||
	    !(x->lx0 = htr_alloc(n, sizeof *x->lx0)) ||
	    !(x->lx1 = htr_alloc(n, sizeof *x->lx1)))
		return -1;
	n = 0;
	for (int k = 0; k < x->nt; k++) {
		struct track *t = &x->t[k];
		float *ly = x->ly + (size_t)n * x->w;
		if (t->dead == 2)
			continue;
		x->lx0[n] = t->gx0 * ds;
		x->lx1[n] = (t->gx1 + 1) * ds - 1;
		for (int i = 0; i < x->w; i++) {
			double g = (i + 0.5) / ds - 0.5, yy;
			int c0;
			if (g <= t->gx0)
				yy = t->y[0];
			else if (g >= t->gx1)
				yy = t->y[t->gx1 - t->gx0];
			else {
				c0 = (int)g;
				double f = g - c0;
				yy = t->y[c0 - t->gx0] * (1 - f) +
				    t->y[c0 + 1 - t->gx0] * f;
			}
			ly[i] = (float)((yy + 0.5) * ds - 0.5);
		}
		n++;
	}
	return 0;
}

/* ---- assignment ------------------------------------------------------ */

/* Distance of point (px, py) to line l: vertical, plus the horizontal
 * distance beyond the ridge's ends (weighted). */
static double
line_dist(const struct ctx *x, int l, double px, double py)
{
	int xi = (int)px;
	double dx = 0;

	if (xi < 0) xi = 0;
	if (xi >= x->w) xi = x->w - 1;
	if (px < x->lx0[l])
		dx = x->lx0[l] - px;
	else if (px > x->lx1[l])
		dx = px - x->lx1[l];
	return fabs(py - x->ly[(size_t)l * x->w + xi]) + DX_WEIGHT * dx;
}

/* Gives component i's pixels to line, except those farther from its ridge
 * than CLIP P (a stroke running off into the next lines). */
static void
paint(struct ctx *x, int *owner, int i, int line)
{
	const struct comp *c = &x->c[i];
	const float *ly = x->ly + (size_t)line * x->w;
	double clip = CLIP * x->pitch;

	for (int y = c->y0; y <= c->y1; y++)
		for (int xx = c->x0; xx <= c->x1; xx++) {
			size_t k = (size_t)y * x->w + xx;
			if (x->lab[k] == i + 1 && fabs(y - ly[xx]) <= clip)
				owner[k] = line + 1;
		}
}

/* A frame that touches text: its pixels close to a ridge, within the
 * ridge's extent, are that line's ink (the words the frame runs into);
 * the rest stays dropped. */
static void
salvage(struct ctx *x, int *owner, int i)
{
	const struct comp *c = &x->c[i];
	double near = SALVAGE * x->pitch;

	for (int y = c->y0; y <= c->y1; y++)
		for (int xx = c->x0; xx <= c->x1; xx++) {
			size_t k = (size_t)y * x->w + xx;
			int bl = -1;
			double bd = near;
			if (x->lab[k] != i + 1)
				continue;
			for (int l = 0; l < x->nl; l++) {
				double d;
				if (xx < x->lx0[l] || xx > x->lx1[l])
					continue;
				d = fabs(y - x->ly[(size_t)l * x->w + xx]);
				if (d <= bd) {
					bd = d;
					bl = l;
				}
			}
			if (bl >= 0)
				owner[k] = bl + 1;
		}
}

/* Gives every component a line: first the text-sized ones (a component
 * crossing two ridges is split pixel by pixel), then the specks, which
 * only join a line near its ridge and within its ink's x range (so the
 * dots of a ruled line do not stretch the line). */
static int
assign(struct ctx *x, int *owner)
{
	double maxd = ASSIGN_DIST * x->pitch, reach = REACH * x->pitch;
	int w = x->w, *lx0, *lx1;

	for (size_t k = 0; k < (size_t)w * x->h; k++)
		owner[k] = x->lab[k] ? -1 : 0;
	if (!x->nl)
		return 0;
	if (!(lx0 = htr_alloc(x->nl, sizeof *lx0)) ||
	    !(lx1 = htr_alloc(x->nl, sizeof *lx1))) {
		free(lx0);
		return -1;
	}
	for (int l = 0; l < x->nl; l++) {
		lx0[l] = w;
		lx1[l] = -1;
	}
	for (int pass = 0; pass < 2; pass++)
	for (int i = 0; i < x->nc; i++) {
		struct comp *c = &x->c[i];
		double cx = (double)c->sx / c->area, cy = (double)c->sy / c->area;
		int cross[64], ncross = 0, best = -1, xi = (int)cx;
		double bd = 1e30;

		if (c->drop == 1 || (c->drop == 2) != pass)
			continue;
		if (c->drop == 3) {
			salvage(x, owner, i);
			continue;
		}
		for (int l = 0; l < x->nl; l++) {
			double d = line_dist(x, l, cx, cy);
			float yl = x->ly[(size_t)l * w + xi];
			if (d < bd) {
				bd = d;
				best = l;
			}
			if (yl >= c->y0 && yl <= c->y1 && ncross < 64 &&
			    c->x1 + reach >= x->lx0[l] &&
			    c->x0 - reach <= x->lx1[l])
				cross[ncross++] = l;
		}
		if (pass == 1) {
			if (bd <= 0.5 * maxd && cx >= lx0[best] - reach &&
			    cx <= lx1[best] + reach) {
				c->line = best;
				paint(x, owner, i, best);
			}
			continue;
		}
		if (ncross >= 2) {
			/* split pixel by pixel between the crossed ridges */
			for (int y = c->y0; y <= c->y1; y++)
				for (int xx = c->x0; xx <= c->x1; xx++) {
					size_t k = (size_t)y * w + xx;
					int bl = -1;
					double d2 = 1e30;
					if (x->lab[k] != i + 1)
						continue;
					for (int j = 0; j < ncross; j++) {
						double d = fabs(y - x->ly[(size_t)
						    cross[j] * w + xx]);
						if (d < d2) {
							d2 = d;
							bl = cross[j];
						}
					}
					if (d2 <= CLIP * x->pitch)
						owner[k] = bl + 1;
				}
			c->line = -2;
			for (int j = 0; j < ncross; j++) {
				if (c->x0 < lx0[cross[j]]) lx0[cross[j]] = c->x0;
				if (c->x1 > lx1[cross[j]]) lx1[cross[j]] = c->x1;
			}
			continue;
		}
		if (ncross == 1)
			best = cross[0];
		else if (bd > maxd)
			continue;
		c->line = best;
		paint(x, owner, i, best);
		if (c->x0 < lx0[best]) lx0[best] = c->x0;
		if (c->x1 > lx1[best]) lx1[best] = c->x1;
	}
	free(lx0);
	free(lx1);
	return 0;
}

/* Splits a line at every column gap wider than SPLIT_GAP P: two texts
 * side by side (a place and a date), or a margin note caught by a ridge,
 * become lines of their own. */
static int
split_lines(struct ctx *x, int *owner)
{
	int w = x->w, nl0 = x->nl, *cols, *seg, *allcols, *yr;
	double gap = fmax(SPLIT_GAP * x->pitch, SPLIT_GAP_CH * x->ch);

	if (!nl0)
		return 0;
	if (!(allcols = htr_zalloc((size_t)nl0 * w + 2 * nl0,
	    sizeof *allcols)) || !(seg = htr_alloc(w, sizeof *seg))) {
		free(allcols);
		return -1;
	}
	/* ink columns and rows of every line in one pass over owner
	 * (splitting a line relabels only its own pixels, with numbers
	 * above nl0) */
	yr = allcols + (size_t)nl0 * w;
	for (int l = 0; l < nl0; l++)
		yr[2 * l] = x->h, yr[2 * l + 1] = -1;
	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < w; i++) {
			int o = owner[(size_t)y * w + i];
			if (o >= 1 && o <= nl0) {
				allcols[(size_t)(o - 1) * w + i]++;
				if (y < yr[2 * (o - 1)]) yr[2 * (o - 1)] = y;
				yr[2 * (o - 1) + 1] = y;
			}
		}
	for (int l = 0; l < nl0; l++) {
		int y0 = yr[2 * l], y1 = yr[2 * l + 1], nseg = 0, last = -1;
		cols = allcols + (size_t)l * w;
		/* seg[i]: segment number of column i */
		for (int i = 0; i < w; i++) {
			if (cols[i]) {
				if (last < 0 || i - last - 1 > gap)
					nseg++;
				last = i;
			}
			seg[i] = nseg - 1;
		}
		if (nseg < 2)
			continue;
		/* segment 0 stays line l; the others get new lines */
		int base = x->nl;
		float *ly = htr_realloc(x->ly, (size_t)(base + nseg - 1) * w,
		    sizeof *ly);
		if (!ly)
			goto oom;
		x->ly = ly;
		int *a = htr_realloc(x->lx0, base + nseg - 1, sizeof *a);
		if (!a)
			goto oom;
		x->lx0 = a;
		if (!(a = htr_realloc(x->lx1, base + nseg - 1, sizeof *a)))
			goto oom;
		x->lx1 = a;
		for (int k = 1; k < nseg; k++) {
			int n = base + k - 1, sx0 = w, sx1 = -1;
			memcpy(x->ly + (size_t)n * w, x->ly + (size_t)l * w,
			    (size_t)w * sizeof *x->ly);
			for (int i = 0; i < w; i++)
				if (seg[i] == k && cols[i]) {
					if (i < sx0) sx0 = i;
					sx1 = i;
				}
			x->lx0[n] = sx0;
			x->lx1[n] = sx1;
		}
		for (int y = y0; y <= y1; y++)
			for (int i = 0; i < w; i++) {
				size_t k = (size_t)y * w + i;
				if (owner[k] == l + 1 && seg[i] > 0)
					owner[k] = base + seg[i];
			}
		x->nl = base + nseg - 1;
	}
	free(allcols);
	free(seg);
	return 0;
oom:
	free(allcols);
	free(seg);
	return -1;
}

/* Adds a line with line 'from''s ridge; returns its index or -1. */
static int
add_line(struct ctx *x, int from)
{
	int n = x->nl, *a;
	float *ly = htr_realloc(x->ly, (size_t)(n + 1) * x->w, sizeof *ly);

	if (!ly)
		return -1;
	x->ly = ly;
	if (!(a = htr_realloc(x->lx0, n + 1, sizeof *a)))
		return -1;
	x->lx0 = a;
	if (!(a = htr_realloc(x->lx1, n + 1, sizeof *a)))
		return -1;
	x->lx1 = a;
	memcpy(x->ly + (size_t)n * x->w, x->ly + (size_t)from * x->w,
	    (size_t)x->w * sizeof *x->ly);
	x->lx0[n] = x->lx0[from];
	x->lx1[n] = x->lx1[from];
	return x->nl++;
}

/* The column after the widest gap of at least 'minw' columns inside
 * cols[x0..x1] that ends in columns [lo, hi]; -1 if none. */
static int
edge_gap(const int *cols, int x0, int x1, double lo, double hi, double minw)
{
	int best = -1, bw = 0;

	for (int i = x0; i <= x1;) {
		int a = i;
		while (i <= x1 && !cols[i])
			i++;
		if (i == a) {
			i++;
			continue;
		}
		if (a > x0 && i <= x1 && i - a >= minw && i - a > bw &&
		    i >= lo && i <= hi) {
			best = i;
			bw = i - a;
		}
	}
	return best;
}

struct start {
	int x, line;
};

static int
cmp_start(const void *a, const void *b)
{
	const struct start *u = a, *v = b;
	return (u->x > v->x) - (u->x < v->x);
}

/* The left edge of the text block, from the ink.  Votes: every run of a
 * line's ink that starts after a gap of at least EDGE_GAP P (or at the
 * line's start) and is followed by at least EDGE_RUN P more of the line
 * (so a line made only of margin ink does not vote).  The edge is the
 * start of the leftmost window EDGE_WIN P wide holding the starts of
 * EDGE_NEAR as many lines as the best window: text starts aligned down
 * the page, margin notes, stamps and words written sideways up the
 * margin do not, and a column of words written well apart is right of
 * the edge.  cols is [nl][w], each line's ink per column.  *edge = -1
 * when the best window holds fewer than 3 lines or under EDGE_MIN of the
 * voting lines.  Returns 0, or -1 (htr_fail) when out of memory. */
static int
text_edge(const int *cols, int nl, int w, double P, int *edge)
{
	struct start *v = NULL;
	int n = 0, cap = 0, best = 0, nink = 0, *seen, *cnt;

	*edge = -1;
	if (!(seen = htr_alloc(nl ? nl : 1, sizeof *seen)))
		return -1;
	for (int l = 0; l < nl; l++) {
		const int *c = cols + (size_t)l * w;
		int last = -1, end = w - 1, first = 0;
		while (end >= 0 && !c[end])
			end--;
		while (first < end && !c[first])
			first++;
		for (int i = 0; i < w; i++) {
			if (!c[i])
				continue;
			if ((last < 0 || i - last - 1 >= EDGE_GAP * P) &&
			    end - i >= EDGE_RUN * P) {
				if (n == cap) {
					int nc = cap ? 2 * cap : 256;
					struct start *nv = htr_realloc(v, nc,
					    sizeof *nv);
					if (!nv) {
						free(v);
						free(seen);
						return -1;
					}
					v = nv;
					cap = nc;
				}
				v[n].x = i;
				v[n++].line = l;
			}
			last = i;
		}
		nink += end - first >= EDGE_RUN * P;
		seen[l] = -1;
	}
	if (!n) {
		free(seen);
		return 0;
	}
	if (!(cnt = htr_alloc(n, sizeof *cnt))) {
		free(v);
		free(seen);
		return -1;
	}
	qsort(v, n, sizeof *v, cmp_start);
	/* cnt[a]: distinct lines with a start in [v[a].x, v[a].x + win] */
	for (int a = 0, b = 0; a < n; a++) {
		cnt[a] = 0;
		while (b < n && v[b].x <= v[a].x + EDGE_WIN * P)
			b++;
		for (int k = a; k < b; k++)
			if (seen[v[k].line] != a) {
				seen[v[k].line] = a;
				cnt[a]++;
			}
		if (cnt[a] > best)
			best = cnt[a];
	}
	/* the leftmost of the strong alignments: a column of words
	 * written well apart is not the edge */
	for (int a = 0; a < n && *edge < 0; a++)
		if (cnt[a] >= EDGE_NEAR * best)
			*edge = v[a].x;
	if (best < 3 || best < EDGE_MIN * nink)
		*edge = -1;
	free(cnt);
	free(v);
	free(seen);
	return 0;
}

/* Margin notes written on a text line's row ("+ à Paris", the approval
 * of a deletion), stamps and words written sideways up the margin, closer
 * to the text than split_lines' gap: a line that starts more than
 * MARGIN_OUT P left of the text's left edge (text_edge; the median start
 * of the lines where the ink shows no edge) is cut at its widest gap of
 * at least MARGIN_GAP P that ends between EDGE_TOL P left of the edge and
 * EDGE_WIN + EDGE_TOL P right of it (MARGIN_TOL P either side of the
 * median start).  (Right margins are ragged: no such cut there.) */
static int
split_margins(struct ctx *x, int *owner)
{
	int w = x->w, nl0 = x->nl, *cols, *x0s, *cut, nv = 0, m0;
	double P = x->pitch, lo, hi;

	if (nl0 < 3)
		return 0;
	cols = htr_zalloc((size_t)nl0 * w, sizeof *cols);
	x0s = htr_alloc(3 * (size_t)nl0, sizeof *x0s);
	cut = htr_alloc(2 * (size_t)nl0, sizeof *cut);
	if (!cols || !x0s || !cut)
		goto oom;
	for (size_t k = 0; k < (size_t)w * x->h; k++)
		if (owner[k] > 0)
			cols[(size_t)(owner[k] - 1) * w + k % w]++;
	/* x0s: [0, nl0) first and [nl0, 2 nl0) last ink column of each
	 * line, then the sorted first columns */
	for (int l = 0; l < nl0; l++) {
		int *c = cols + (size_t)l * w, a = 0, b = w - 1;
		while (a < w && !c[a])
			a++;
		while (b >= 0 && !c[b])
			b--;
		x0s[l] = a;
		x0s[nl0 + l] = b;
		if (a <= b)
			x0s[2 * nl0 + nv++] = a;
	}
	if (nv < 3)
		goto done;
	qsort(x0s + 2 * nl0, nv, sizeof *x0s, cmp_int);
	if (text_edge(cols, nl0, w, P, &m0))
		goto oom;
	lo = m0 - EDGE_TOL * P;
	hi = m0 + (EDGE_WIN + EDGE_TOL) * P;
	if (m0 < 0) {
		m0 = x0s[2 * nl0 + nv / 2];
		lo = m0 - MARGIN_TOL * P;
		hi = m0 + MARGIN_TOL * P;
	}
	/* cut: [l] the first column left to line l, [nl0 + l] the note's
	 * line */
	for (int l = 0; l < nl0; l++) {
		int a = x0s[l], b = x0s[nl0 + l], n;
		cut[l] = -1;
		if (a > b || a >= m0 - MARGIN_OUT * P)
			continue;
		cut[l] = edge_gap(cols + (size_t)l * w, a, b, lo, hi,
		    MARGIN_GAP * P);
		if (cut[l] < 0)
			continue;
		if ((n = add_line(x, l)) < 0)
			goto oom;
		x->lx1[n] = cut[l] - 1;
		if (x->lx0[l] < cut[l])
			x->lx0[l] = cut[l];
		cut[nl0 + l] = n;
	}
	for (size_t k = 0; k < (size_t)w * x->h; k++) {
		int o = owner[k] - 1;
		if (o >= 0 && o < nl0 && cut[o] >= 0 && (int)(k % w) < cut[o])
			owner[k] = cut[nl0 + o] + 1;
	}
done:
	free(cols);
	free(x0s);
	free(cut);
	return 0;
oom:
	free(cols);
	free(x0s);
	free(cut);
	return -1;
}

/* ---- lines, words, characters ---------------------------------------- */

struct lineinfo {
	int box[4];
	long area;
	double key;     /* reading-order key: mean ridge y */
	int x0;
	long ink;       /* area before the layout filters */
	int doubt;      /* 1: dropped by them, kept for the caller */
};

static int
cmp_lineinfo(const void *a, const void *b)
{
	const struct lineinfo *u = a, *v = b;
	if (u->key != v->key)
		return (u->key > v->key) - (u->key < v->key);
	return (u->x0 > v->x0) - (u->x0 < v->x0);
}

static int
push_item(struct htr_segment_item **v, int *n, int *cap, const int box[4],
    int line, int word, int ch)
{
	if (*n == *cap) {
		int nc = *cap ? 2 * *cap : 64;
		struct htr_segment_item *nv = htr_realloc(*v, nc, sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	memcpy((*v)[*n].box, box, sizeof (*v)[*n].box);
	(*v)[*n].line = line;
	(*v)[*n].word = word;
	(*v)[*n].ch = ch;
	(*n)++;
	return 0;
}

/* A line's box spans the rows between the BOX_TRIM and 1 - BOX_TRIM
 * quantiles of its ink, less the rows at its top and bottom farther than
 * ROW_KEEP P from its ridge with under ROW_FLOOR of the ink of its
 * densest row: a flourish or a descender running far below the line, a
 * loop drawn round it (or a stroke above it) does not stretch the box,
 * however much ink the stroke has, as long as it is thin where it sticks
 * out.  Nearer the ridge a lone ascender or descender stays whole.
 * A line that ends in more than FILL_LEN P of columns holding at most
 * FILL_INK stroke widths of its ink (a line-end filler, a flourish drawn
 * out to the margin) ends at its last thicker column; one that starts
 * in more than FILL_LEAD P of such columns (a wavy stroke drawn in the
 * left margin so that nothing can be added before the line) starts at
 * its first thicker column.  li[].box holds x0, y0, x1, y1 (inclusive);
 * y0, y1, x0 and x1 are moved in. */
static int
trim_rows(const struct ctx *x, const int *owner, struct lineinfo *li)
{
	int w = x->w, h = x->h;
	/* each line's ink per row (rows) and per column (cols), one pass */
	int *rows = htr_zalloc((size_t)x->nl * (h + w), sizeof *rows), *cols;

	if (!rows)
		return -1;
	cols = rows + (size_t)x->nl * h;
	for (int y = 0; y < h; y++)
		for (int i = 0; i < w; i++) {
			int o = owner[(size_t)y * w + i];
			if (o > 0) {
				rows[(size_t)(o - 1) * h + y]++;
				cols[(size_t)(o - 1) * w + i]++;
			}
		}
	for (int l = 0; l < x->nl; l++) {
		const int *r = rows + (size_t)l * h;
		long cut = (long)(BOX_TRIM * li[l].area), acc = 0;
		int y0 = li[l].box[1], y1 = li[l].box[3], peak = 0;
		double lo = 1e30, hi = -1e30;
		if (li[l].area == 0)
			continue;
		while (y0 < y1 && acc + r[y0] <= cut)
			acc += r[y0++];
		acc = 0;
		while (y1 > y0 && acc + r[y1] <= cut)
			acc += r[y1--];
		for (int y = y0; y <= y1; y++)
			if (r[y] > peak)
				peak = r[y];
		/* rows within ROW_KEEP P of the ridge are the letters' */
		for (int i = x->lx0[l] > 0 ? x->lx0[l] : 0; i <= x->lx1[l] &&
		    i < w; i++) {
			double v = x->ly[(size_t)l * w + i];
			if (v < lo) lo = v;
			if (v > hi) hi = v;
		}
		lo -= ROW_KEEP * x->pitch;
		hi += ROW_KEEP * x->pitch;
		while (y0 < y1 && y0 < lo && r[y0] < ROW_FLOOR * peak)
			y0++;
		while (y1 > y0 && y1 > hi && r[y1] < ROW_FLOOR * peak)
			y1--;
		li[l].box[1] = y0;
		li[l].box[3] = y1;
	}
	for (int l = 0; l < x->nl; l++) {
		const int *c = cols + (size_t)l * w;
		int x1 = li[l].box[2], i = x1;
		if (li[l].area == 0)
			continue;
		while (i > li[l].box[0] && c[i] <= FILL_INK * x->sw)
			i--;
		if (x1 - i > FILL_LEN * x->pitch) {
			while (i > li[l].box[0] && !c[i])
				i--;
			li[l].box[2] = i;
		}
		/* ... and one that starts in such a filler */
		x1 = li[l].box[0], i = x1;
		while (i < li[l].box[2] && c[i] <= FILL_INK * x->sw)
			i++;
		if (i - x1 > FILL_LEAD * x->pitch) {
			while (i < li[l].box[2] && !c[i])
				i++;
			li[l].box[0] = i;
		}
	}
	free(rows);
	return 0;
}

/* Lines written closer together than the text's: a group of CROWD_N or
 * more lines, each less than CROWD spacings 'mg' (but more than 0.15, not
 * the same row) above or below another of the group that it overlaps
 * over 0.3 of the narrower one's width, is dropped: the office's printed
 * stamp ("Signé par Nous, Juge...") and the registration notes written
 * small under a will, tighter than any will's lines. */
static int
drop_crowded(struct lineinfo *li, int nl, double mg)
{
	int *par = htr_alloc(nl ? nl : 1, 2 * sizeof *par), *size = par + nl;

	if (!par)
		return -1;
	for (int l = 0; l < nl; l++) {
		par[l] = l;
		size[l] = 0;
	}
	for (int a = 0; a < nl; a++)
		for (int b = a + 1; b < nl && li[a].area; b++) {
			const int *p = li[a].box, *q = li[b].box;
			int o = (p[0] + p[2] < q[0] + q[2] ? p[0] + p[2] : q[0] +
			    q[2]) - (p[0] > q[0] ? p[0] : q[0]);
			double d = fabs(p[1] + p[3] / 2.0 - q[1] - q[3] / 2.0);
			if (li[b].area && o > 0.3 * (p[2] < q[2] ? p[2] : q[2])
			    && d < CROWD * mg && d > 0.15 * mg)
				uf_union(par, a, b);
		}
	for (int l = 0; l < nl; l++)
		size[uf_find(par, l)]++;
	for (int l = 0; l < nl; l++)
		if (size[uf_find(par, l)] >= CROWD_N)
			li[l].area = 0;
	free(par);
	return 0;
}

/* The median width of the lines still kept (area > 0) in *mw, and the
 * spacing, the (lower) median step between their centres, in *mg; both
 * set only when 3 or more lines are kept.  li[].box is x, y, w, h.
 * Returns the number of lines kept, or -1. */
static int
line_medians(const struct lineinfo *li, int nl, double *mw, double *mg)
{
	int n = 0;
	double *ws = htr_alloc(2 * (size_t)(nl ? nl : 1), sizeof *ws);
	double *cs = ws + nl;

	if (!ws)
		return -1;
	for (int l = 0; l < nl; l++)
		if (li[l].area) {
			ws[n] = li[l].box[2];
			cs[n++] = li[l].box[1] + li[l].box[3] / 2.0;
		}
	if (n >= 3) {
		qsort(ws, n, sizeof *ws, cmp_double);
		*mw = ws[n / 2];
		qsort(cs, n, sizeof *cs, cmp_double);
		for (int i = 0; i + 1 < n; i++)
			ws[i] = cs[i + 1] - cs[i];
		qsort(ws, n - 1, sizeof *ws, cmp_double);
		*mg = ws[(n - 2) / 2];
	}
	free(ws);
	return n;
}

/* The text block: the longest run of long lines (at least 0.6 of the
 * median width) whose centres follow each other by at most BLOCK_GAP
 * times the median spacing of the lines, and the lines that continue it
 * up or down at most BLOCK_EXT spacings apart.  Beyond it, a line
 * narrower than BLOCK_W of the median width goes: the letterhead, an
 * office's stamp and the registration notes written around a will.
 * First, lines crowded closer than the text's (drop_crowded) go.
 * li[].box is x, y, w, h here; area 0 marks a dropped line. */
static int
drop_off_block(const struct ctx *x, struct lineinfo *li)
{
	int nl = x->nl, nw, nc = 0, best = 0, bn = 0, run = 1;
	double *cs = htr_alloc((size_t)(nl ? nl : 1), sizeof *cs);
	double mw = 0, mg = 0, top, bot;

	if (!cs || (nw = line_medians(li, nl, &mw, &mg)) < 0) {
		free(cs);
		return -1;
	}
	if (nw < 3)
		goto done;
	if (drop_crowded(li, nl, mg)) {
		free(cs);
		return -1;
	}
	for (int l = 0; l < nl; l++)
		if (li[l].area && li[l].box[2] >= 0.6 * mw)
			cs[nc++] = li[l].box[1] + li[l].box[3] / 2.0;
	if (nc < 3)
		goto done;
	qsort(cs, nc, sizeof *cs, cmp_double);
	/* the longest run: it ends at best, bn lines long */
	for (int i = 1; i <= nc; i++) {
		if (i < nc && cs[i] - cs[i - 1] <= BLOCK_GAP * mg) {
			run++;
			continue;
		}
		if (run > bn) {
			bn = run;
			best = i - 1;
		}
		run = 1;
	}
	top = cs[best - bn + 1] - 0.5 * mg;
	bot = cs[best] + 0.5 * mg;
	/* ... and goes on through the lines that follow it closely */
	nc = 0;
	for (int l = 0; l < nl; l++)
		if (li[l].area)
			cs[nc++] = li[l].box[1] + li[l].box[3] / 2.0;
	qsort(cs, nc, sizeof *cs, cmp_double);
	for (int i = 0; i < nc; i++)
		if (cs[i] > bot && cs[i] <= bot + BLOCK_EXT * mg)
			bot = cs[i] + 0.5 * mg;
	for (int i = nc - 1; i >= 0; i--)
		if (cs[i] < top && cs[i] >= top - BLOCK_EXT * mg)
			top = cs[i] - 0.5 * mg;
	for (int l = 0; l < nl; l++) {
		double c = li[l].box[1] + li[l].box[3] / 2.0;
		if (li[l].area && (c < top || c > bot) &&
		    li[l].box[2] < BLOCK_W * mw)
			li[l].area = 0;
	}
done:
	free(cs);
	return 0;
}

/* A folio note or page header: the topmost line, its centre less than
 * HEAD_TOP line spacings below the page's top edge and narrower than
 * HEAD_W of the median line ("Page deuxième" written in a corner by the
 * archive, a page number, a short heading above the text).  A will's
 * first line starts lower or runs wider.  Only on a whole sheet, at
 * least HEAD_PAGE spacings high: a crop of a few lines starts with its
 * text at the top.  li[].box is x, y, w, h here; area 0 marks a dropped
 * line. */
static int
drop_header(const struct ctx *x, struct lineinfo *li)
{
	int top = -1, n;
	double mw = 0, mg = 0, c, ctop = 0;

	if ((n = line_medians(li, x->nl, &mw, &mg)) < 0)
		return -1;
	if (n < 3)
		return 0;
	for (int l = 0; l < x->nl; l++)
		if (li[l].area) {
			c = li[l].box[1] + li[l].box[3] / 2.0;
			if (top < 0 || c < ctop) {
				top = l;
				ctop = c;
			}
		}
	if (li[top].box[2] < HEAD_W * mw && ctop < HEAD_TOP * mg &&
	    x->h >= HEAD_PAGE * mg)
		li[top].area = 0;
	return 0;
}

/* Lines with far more strokes per column than the page's typical line:
 * postage and office stamps (a dense pattern, perforation dots), printed
 * letterheads and blocks written over each other.  A line's strokes per
 * column are the horizontal runs of its ink over its box width; a line
 * with more than BUSY times the median line's goes.  li[].box is x, y, w,
 * h here; area 0 marks a dropped line. */
static int
drop_busy(const struct ctx *x, const int *owner, struct lineinfo *li)
{
	int w = x->w, nl = x->nl, n = 0;
	double *runs = htr_zalloc(2 * (size_t)(nl ? nl : 1), sizeof *runs);
	double *v = runs + nl;

	if (!runs)
		return -1;
	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < w; i++) {
			int o = owner[(size_t)y * w + i];
			if (o > 0 && (i == 0 || owner[(size_t)y * w + i - 1] != o))
				runs[o - 1]++;
		}
	for (int l = 0; l < nl; l++)
		if (li[l].area) {
			runs[l] /= li[l].box[2];
			v[n++] = runs[l];
		}
	if (n >= 3) {
		qsort(v, n, sizeof *v, cmp_double);
		for (int l = 0; l < nl; l++)
			if (li[l].area && runs[l] > BUSY * v[n / 2])
				li[l].area = 0;
	}
	free(runs);
	return 0;
}

/* Margin notes: a line wholly left of where the median line starts, or
 * wholly right of where it ends, is not part of the text block; nor is
 * a line narrower than SHORT_W of the median line (stamps, page numbers,
 * bits of frames and flourishes).  li[].box is x, y, w, h here; area 0
 * marks a dropped line. */
static int
drop_margins(const struct ctx *x, struct lineinfo *li)
{
	int *v = htr_alloc(3 * x->nl, sizeof *v), nv = 0;

	if (!v)
		return -1;
	for (int l = 0; l < x->nl; l++)
		if (li[l].area) {
			v[nv] = li[l].box[0];
			v[x->nl + nv] = li[l].box[0] + li[l].box[2];
			nv++;
		}
	if (nv >= 3) {
		qsort(v, nv, sizeof *v, cmp_int);
		qsort(v + x->nl, nv, sizeof *v, cmp_int);
		int m0 = v[nv / 2], m1 = v[x->nl + nv / 2];
		for (int l = 0; l < x->nl; l++)
			if (li[l].box[0] + li[l].box[2] < m0 ||
			    li[l].box[0] > m1)
				li[l].area = 0;
		int nw = 0, *ws = v + 2 * x->nl;
		for (int l = 0; l < x->nl; l++)
			if (li[l].area)
				ws[nw++] = li[l].box[2];
		if (nw >= 3) {
			qsort(ws, nw, sizeof *ws, cmp_int);
			for (int l = 0; l < x->nl; l++)
				if (li[l].box[2] < SHORT_W * ws[nw / 2])
					li[l].area = 0;
		}
	}
	free(v);
	return 0;
}

/* Boxes of the lines; drops lines with too little ink and renumbers the
 * rest in reading order. */
static int
finish_lines(struct ctx *x, struct htr_segment *s)
{
	struct lineinfo *li;
	int *remap, n = 0, w = x->w;

	if (!x->nl)
		return 0;
	if (!(li = htr_alloc(x->nl, sizeof *li)) ||
	    !(remap = htr_alloc(x->nl + 1, sizeof *remap))) {
		free(li);
		return -1;
	}
	for (int l = 0; l < x->nl; l++) {
		li[l].box[0] = w;
		li[l].box[1] = x->h;
		li[l].box[2] = li[l].box[3] = -1;
		li[l].area = 0;
	}
	for (int y = 0; y < x->h; y++)
		for (int i = 0; i < w; i++) {
			int o = s->owner[(size_t)y * w + i];
			struct lineinfo *L;
			if (o <= 0)
				continue;
			L = &li[o - 1];
			if (i < L->box[0]) L->box[0] = i;
			if (y < L->box[1]) L->box[1] = y;
			if (i > L->box[2]) L->box[2] = i;
			if (y > L->box[3]) L->box[3] = y;
			L->area++;
		}
	if (trim_rows(x, s->owner, li)) {
		free(li);
		free(remap);
		return -1;
	}
	for (int l = 0; l < x->nl; l++) {
		double sum = 0;
		int bw = li[l].box[2] - li[l].box[0] + 1;
		for (int i = x->lx0[l]; i <= x->lx1[l] && i < w; i++)
			sum += x->ly[(size_t)l * w + i];
		li[l].key = sum / (x->lx1[l] - x->lx0[l] + 1);
		li[l].x0 = li[l].box[0];
		li[l].box[2] = bw;
		li[l].box[3] = li[l].box[3] - li[l].box[1] + 1;
		if (li[l].area < 0.5 * x->ch * x->ch || bw < x->ch ||
		    li[l].box[3] < LINE_MIN_H * x->ch)
			li[l].area = 0;
		/* remember the old index in x0's place after sorting */
	}
	for (int l = 0; l < x->nl; l++) {
		li[l].ink = li[l].area;
		li[l].doubt = 0;
	}
	if (drop_busy(x, s->owner, li) || drop_margins(x, li) ||
	    drop_off_block(x, li) || drop_header(x, li)) {
		free(li);
		free(remap);
		return -1;
	}
	/* what the layout alone rules out comes back marked, for a caller
	 * that reads the lines and keeps the ones it reads confidently */
	if (x->doubtful)
		for (int l = 0; l < x->nl; l++)
			if (li[l].ink && !li[l].area) {
				li[l].area = li[l].ink;
				li[l].doubt = 1;
			}
	/* sort indexes by key */
	int *ord = htr_alloc(x->nl, sizeof *ord);
	if (!ord) {
		free(li);
		free(remap);
		return -1;
	}
	for (int l = 0; l < x->nl; l++)
		ord[l] = l;
	for (int a = 1; a < x->nl; a++)
		for (int b = a; b > 0 && cmp_lineinfo(&li[ord[b - 1]],
		    &li[ord[b]]) > 0; b--) {
			int t = ord[b];
			ord[b] = ord[b - 1];
			ord[b - 1] = t;
		}
	/* lines on one row (the pieces of a line split at a wide gap, a
	 * date beside a signature) read left to right: a row is the lines
	 * whose keys lie within ROW_DY P of its first line's */
	for (int a = 0, b; a < x->nl; a = b) {
		for (b = a + 1; b < x->nl && li[ord[b]].key - li[ord[a]].key <
		    ROW_DY * x->pitch; b++)
			;
		for (int i = a + 1; i < b; i++)
			for (int j = i; j > a && li[ord[j - 1]].x0 >
			    li[ord[j]].x0; j--) {
				int t = ord[j];
				ord[j] = ord[j - 1];
				ord[j - 1] = t;
			}
	}
	remap[0] = 0;
	for (int a = 0; a < x->nl; a++) {
		int l = ord[a];
		if (!li[l].area) {
			remap[l + 1] = -1;
			continue;
		}
		remap[l + 1] = ++n;
	}
	if (!(s->lines = htr_alloc(n ? n : 1, sizeof *s->lines))) {
		free(li);
		free(remap);
		free(ord);
		return -1;
	}
	for (int a = 0; a < x->nl; a++) {
		int l = ord[a];
		if (remap[l + 1] < 0)
			continue;
		struct htr_segment_item *it = &s->lines[remap[l + 1] - 1];
		memcpy(it->box, li[l].box, sizeof it->box);
		it->line = remap[l + 1] - 1;
		it->word = it->ch = -1;
		it->doubt = li[l].doubt;
	}
	s->nline = n;
	for (size_t k = 0; k < (size_t)w * x->h; k++)
		if (s->owner[k] > 0)
			s->owner[k] = remap[s->owner[k]];
	free(li);
	free(remap);
	free(ord);
	return 0;
}

/* Column gaps of a line's ink: calls back for every ink run. */
static int
line_profile(const struct htr_segment *s, int l, int *prof)
{
	const int *b = s->lines[l].box;

	for (int i = 0; i < b[2]; i++)
		prof[i] = 0;
	for (int y = b[1]; y < b[1] + b[3]; y++)
		for (int i = 0; i < b[2]; i++)
			if (s->owner[(size_t)y * s->w + b[0] + i] == l + 1)
				prof[i]++;
	return b[2];
}

/* Word gap threshold: 2-means over every gap between ink runs on the
 * page, at least a fraction of ch. */
static double
gap_threshold(const struct htr_segment *s, int *prof)
{
	double *g = NULL, lo, hi, t = 0.5 * s->height;
	int n = 0, cap = 0;

	for (int l = 0; l < s->nline; l++) {
		int bw = line_profile(s, l, prof), run = -1;
		for (int i = 0; i < bw; i++) {
			if (prof[i] == 0) {
				if (run < 0)
					run = i;
				continue;
			}
			if (run > 0) {
				if (n == cap) {
					int nc = cap ? 2 * cap : 256;
					double *ng = htr_realloc(g, nc, sizeof *g);
					if (!ng) {
						free(g);
						return t;
					}
					g = ng;
					cap = nc;
				}
				g[n++] = i - run;
			}
			run = -1;
		}
	}
	if (n >= 4) {
		qsort(g, n, sizeof *g, cmp_double);
		lo = g[0];
		hi = g[n - 1];
		for (int it = 0; it < 50; it++) {
			double m = (lo + hi) / 2, s0 = 0, s1 = 0;
			int n0 = 0, n1 = 0;
			for (int i = 0; i < n; i++)
				if (g[i] <= m) {
					s0 += g[i];
					n0++;
				} else {
					s1 += g[i];
					n1++;
				}
			if (!n0 || !n1)
				break;
			lo = s0 / n0;
			hi = s1 / n1;
		}
		t = (lo + hi) / 2;
	}
	free(g);
	if (t < 0.25 * s->height)
		t = 0.25 * s->height;
	return t;
}

/* Box of line l's ink within columns [a, b). */
static void
ink_box(const struct htr_segment *s, int l, int a, int b, int box[4])
{
	const int *lb = s->lines[l].box;
	int y0 = s->h, y1 = -1, x0 = s->w, x1 = -1;

	for (int y = lb[1]; y < lb[1] + lb[3]; y++)
		for (int i = a; i < b; i++)
			if (s->owner[(size_t)y * s->w + i] == l + 1) {
				if (y < y0) y0 = y;
				if (y > y1) y1 = y;
				if (i < x0) x0 = i;
				if (i > x1) x1 = i;
			}
	box[0] = x0;
	box[1] = y0;
	box[2] = x1 - x0 + 1;
	box[3] = y1 - y0 + 1;
}

/* Characters of the word in columns [ws, we) of line l (prof is the
 * line's column profile, x0 its left edge): column runs, a run wider than
 * about one letter cut at the profile's minima near equal spacing. */
static int
chars_of_word(struct htr_segment *s, int l, int wn, const int *prof, int x0,
    int ws, int we, int *capc)
{
	double cw = 0.6 * s->height;
	int cn = 0, rs = -1, box[4];

	for (int i = ws; i <= we; i++) {
		int on = i < we && prof[i] > 0, rw, k, prev;

		if (on && rs < 0)
			rs = i;
		if (on || rs < 0)
			continue;
		rw = i - rs;
		k = (int)lround(rw / cw);
		if (k < 1)
			k = 1;
		prev = rs;
		for (int j = 1; j <= k; j++) {
			int cut = i;
			if (j < k) {
				int tgt = rs + rw * j / k, r = (int)(cw / 3);
				int bv = 1 << 30;
				for (int q = tgt - r; q <= tgt + r; q++)
					if (q > prev && q < i && prof[q] < bv) {
						bv = prof[q];
						cut = q;
					}
			}
			if (cut <= prev)
				continue;
			ink_box(s, l, x0 + prev, x0 + cut, box);
			if (box[2] > 0 && push_item(&s->chars, &s->nchar, capc,
			    box, l, wn, cn++))
				return -1;
			prev = cut;
		}
		rs = -1;
	}
	return 0;
}

static int
words_and_chars(struct htr_segment *s, enum htr_segment_level level)
{
	int *prof, capw = 0, capc = 0;

	if (!s->nline)
		return 0;
	if (!(prof = htr_alloc(s->w, sizeof *prof)))
		return -1;
	s->gap = gap_threshold(s, prof);
	for (int l = 0; l < s->nline; l++) {
		int x0 = s->lines[l].box[0], bw = line_profile(s, l, prof);
		int wn = 0, i = 0;

		while (i < bw) {
			int ws, we, box[4];

			while (i < bw && !prof[i])
				i++;
			if (i == bw)
				break;
			ws = we = i;
			/* extend while the next ink is within the gap */
			while (i < bw) {
				if (prof[i]) {
					we = i + 1;
					i++;
				} else if (i - we + 1 > s->gap)
					break;
				else
					i++;
			}
			ink_box(s, l, x0 + ws, x0 + we, box);
			if (push_item(&s->words, &s->nword, &capw, box, l, wn,
			    -1))
				goto oom;
			if (level == HTR_SEGMENT_CHAR && chars_of_word(s, l, wn,
			    prof, x0, ws, we, &capc))
				goto oom;
			wn++;
		}
	}
	free(prof);
	return 0;
oom:
	free(prof);
	return -1;
}

/* ---- public ---------------------------------------------------------- */

static void
ctx_free(struct ctx *x)
{
	free(x->ink);
	free(x->lab);
	free(x->c);
	free(x->grid);
	for (int k = 0; k < x->nt; k++)
		free(x->t[k].y);
	free(x->t);
	free(x->ly);
	free(x->lx0);
	free(x->lx1);
}

void
htr_segment_free(struct htr_segment *s)
{
	free(s->lines);
	free(s->words);
	free(s->chars);
	free(s->owner);
	memset(s, 0, sizeof *s);
}

int
htr_segment_page(struct htr_segment *s, const struct htr_image *page,
    enum htr_segment_level level, int doubtful)
{
	struct ctx x;
	size_t n = (size_t)page->w * page->h;

	memset(s, 0, sizeof *s);
	memset(&x, 0, sizeof x);
	s->w = x.w = page->w;
	s->h = x.h = page->h;
	x.pg = page;
	x.doubtful = doubtful;
	if (!(s->owner = htr_zalloc(n, sizeof *s->owner)) ||
	    !(x.ink = htr_alloc(n, 1)) || !(x.lab = htr_alloc(n, sizeof *x.lab)))
		goto fail;
	if (binarise(&x) || erase_rules(&x) || (stroke_width(&x), 0) ||
	    components(&x) || estimate_height(&x, &x.ch))
		goto fail;
	s->height = x.ch;
	if (x.ch > 0) {
		x.pitch = 1.3 * x.ch;
		if (filter_components(&x) || estimate_pitch(&x) ||
		    filter_components(&x))
			goto fail;
		s->pitch = x.pitch;
		if (build_grid(&x) || trace_ridges(&x))
			goto fail;
		merge_tracks(&x);
		prune_tracks(&x);
		if (make_lines(&x))
			goto fail;
	}
	if (assign(&x, s->owner) || split_lines(&x, s->owner) ||
	    split_margins(&x, s->owner) || finish_lines(&x, s))
		goto fail;
	if (level != HTR_SEGMENT_LINE && words_and_chars(s, level))
		goto fail;
	ctx_free(&x);
	return 0;
fail:
	ctx_free(&x);
	htr_segment_free(s);
	return -1;
}

/* On a page htr-prep deskewed (deskew= tag), the item's box on the page
 * as scanned: its ink inside its box turned back (each pixel's centre),
 * grown by margin, as the crop's scanbox= tag.  Turning the box's corners
 * back instead (htr_prep_unrotate_box) makes a line that was level on the
 * scan, where the page as a whole was tilted, taller by its width times
 * the sine of the angle.  An item without ink gets its box's corners. */
static int
scan_box(struct htr_image *crop, const struct htr_segment *s,
    const struct htr_image *page, const struct htr_segment_item *it,
    int margin)
{
	char dsk[HTR_TAG_MAX];
	struct htr_unrotate u;
	double lo[2] = {1e30, 1e30}, hi[2] = {-1e30, -1e30};
	int me = it->line + 1, b[4];

	if (htr_tag_get(page->tags, "deskew", dsk, sizeof dsk))
		return 0;
	if (htr_prep_unrotate_init(&u, dsk))
		return -1;
	for (int y = it->box[1]; y < it->box[1] + it->box[3]; y++)
		for (int i = it->box[0]; i < it->box[0] + it->box[2]; i++) {
			double p[2];
			if (s->owner[(size_t)y * s->w + i] != me)
				continue;
			htr_prep_unrotate_point(&u, i + 0.5, y + 0.5, &p[0],
			    &p[1]);
			for (int d = 0; d < 2; d++) {
				if (p[d] - 0.5 < lo[d]) lo[d] = p[d] - 0.5;
				if (p[d] + 0.5 > hi[d]) hi[d] = p[d] + 0.5;
			}
		}
	if (lo[0] > hi[0]) {
		memcpy(b, it->box, sizeof b);
		htr_prep_unrotate_rect(&u, b);
	} else {
		lo[0] -= margin, lo[1] -= margin;
		hi[0] += margin, hi[1] += margin;
		htr_prep_unrotate_bounds(&u, lo, hi, b);
	}
	return htr_tag_setf(crop->tags, "scanbox", "%d,%d,%d,%d", b[0], b[1],
	    b[2], b[3]);
}

int
htr_segment_crop(struct htr_image *crop, const struct htr_segment *s,
    const struct htr_image *page, const struct htr_segment_item *it,
    int margin)
{
	int x0 = it->box[0] - margin, y0 = it->box[1] - margin;
	int x1 = it->box[0] + it->box[2] + margin, y1 = it->box[1] +
	    it->box[3] + margin;
	int me = it->line + 1, w = s->w;

	HTR_ASSERT(page->w == s->w && page->h == s->h);
	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > s->w) x1 = s->w;
	if (y1 > s->h) y1 = s->h;
	if (htr_image_init(crop, x1 - x0, y1 - y0, 255))
		return -1;
	for (int y = y0; y < y1; y++)
		for (int i = x0; i < x1; i++) {
			int white = 0;
			for (int d = 0; d < 5 && !white; d++) {
				static const int dx[5] = {0, -1, 1, 0, 0};
				static const int dy[5] = {0, 0, 0, -1, 1};
				int u = i + dx[d], v = y + dy[d], o;
				if (u < 0 || v < 0 || u >= w || v >= s->h)
					continue;
				o = s->owner[(size_t)v * w + u];
				if (o > 0 && o != me)
					white = 1;
				else if (o == me && it->word >= 0 && (u <
				    it->box[0] || u >= it->box[0] + it->box[2]))
					white = 1;
			}
			if (!white)
				crop->pix[(size_t)(y - y0) * crop->w + i - x0] =
				    page->pix[(size_t)y * w + i];
		}
	if (htr_tag_setf(crop->tags, "line", "%d", it->line) ||
	    (it->word >= 0 && htr_tag_setf(crop->tags, "word", "%d",
	    it->word)) || (it->ch >= 0 && htr_tag_setf(crop->tags, "char",
	    "%d", it->ch)) || htr_tag_setf(crop->tags, "box", "%d,%d,%d,%d",
	    x0, y0, x1 - x0, y1 - y0) || (it->line >= 0 &&
	    it->line < s->nline && s->lines[it->line].doubt &&
	    htr_tag_set(crop->tags, "doubt", "1")) || scan_box(crop, s, page,
	    it, margin)) {
		htr_image_free(crop);
		return -1;
	}
	return 0;
}

int
htr_segment_crop_tags(char *tags, const char *src, long pageno,
    const char *pagetags)
{
	char t[HTR_TAG_MAX] = "", dsk[HTR_TAG_MAX];

	if (htr_tag_set(t, "src", src && *src ? src : "-") ||
	    htr_tag_setf(t, "page", "%ld", pageno) ||
	    (!htr_tag_get(pagetags, "deskew", dsk, sizeof dsk) &&
	    htr_tag_set(t, "deskew", dsk)))
		return -1;
	if (strlen(t) + 1 + strlen(tags) >= HTR_TAG_MAX)
		return htr_fail("tags of a crop do not fit in %d bytes",
		    HTR_TAG_MAX);
	if (*tags) {
		strcat(t, " ");
		strcat(t, tags);
	}
	memcpy(tags, t, HTR_TAG_MAX);
	return 0;
}

static void
draw_box(unsigned char *rgb, int w, int h, const int b[4],
    const unsigned char col[3], int inset)
{
	int x0 = b[0] + inset, y0 = b[1] + inset;
	int x1 = b[0] + b[2] - 1 - inset, y1 = b[1] + b[3] - 1 - inset;

	if (x1 < x0 || y1 < y0)
		return;
	for (int y = y0; y <= y1; y++)
		for (int i = x0; i <= x1; i++) {
			if (y != y0 && y != y1 && i != x0 && i != x1)
				continue;
			if (i < 0 || y < 0 || i >= w || y >= h)
				continue;
			memcpy(rgb + 3 * ((size_t)y * w + i), col, 3);
		}
}

int
htr_segment_draw(FILE *f, const struct htr_segment *s,
    const struct htr_image *page)
{
	static const unsigned char red[3] = {230, 0, 0}, blue[3] = {0, 60, 255},
	    green[3] = {0, 170, 0}, orange[3] = {255, 140, 0};
	size_t n = (size_t)s->w * s->h;
	unsigned char *rgb;

	HTR_ASSERT(page->w == s->w && page->h == s->h);
	if (!(rgb = htr_alloc(n, 3)))
		return -1;
	for (size_t k = 0; k < n; k++) {
		unsigned char v = page->pix[k];
		rgb[3 * k] = rgb[3 * k + 1] = rgb[3 * k + 2] = v;
		if (s->owner[k] < 0)
			rgb[3 * k + 2] = v / 3;  /* dropped ink: yellowish */
		else if (s->owner[k] > 0)  /* lines' ink: alternately tinted */
			rgb[3 * k + (s->owner[k] & 1 ? 1 : 0)] = v / 2;
	}
	for (int i = 0; i < s->nchar; i++)
		draw_box(rgb, s->w, s->h, s->chars[i].box, green, 0);
	for (int i = 0; i < s->nword; i++)
		draw_box(rgb, s->w, s->h, s->words[i].box, blue, 0);
	for (int i = 0; i < s->nline; i++) {
		const unsigned char *c = s->lines[i].doubt ? orange : red;
		draw_box(rgb, s->w, s->h, s->lines[i].box, c, -1);
		draw_box(rgb, s->w, s->h, s->lines[i].box, c, -2);
	}
	fprintf(f, "P6\n%d %d\n255\n", s->w, s->h);
	if (fwrite(rgb, 3, n, f) != n || ferror(f)) {
		free(rgb);
		return htr_fail("write error");
	}
	free(rgb);
	return 0;
}

double
htr_segment_iou(const int a[4], const int b[4])
{
	double ix = fmin(a[0] + a[2], b[0] + b[2]) - fmax(a[0], b[0]);
	double iy = fmin(a[1] + a[3], b[1] + b[3]) - fmax(a[1], b[1]);
	double in, un;

	if (ix <= 0 || iy <= 0)
		return 0;
	in = ix * iy;
	un = (double)a[2] * a[3] + (double)b[2] * b[3] - in;
	return un > 0 ? in / un : 0;
}

struct pair {
	double iou;
	int f, t;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *u = a, *v = b;
	if (u->iou != v->iou)
		return (u->iou < v->iou) - (u->iou > v->iou);
	if (u->f != v->f)
		return u->f - v->f;
	return u->t - v->t;
}

int
htr_segment_match(const int (*found)[4], int nfound, const int (*truth)[4],
    int ntruth, double min_iou)
{
	struct pair *p;
	char *uf, *ut;
	int np = 0, m = 0;

	if (!nfound || !ntruth)
		return 0;
	p = htr_alloc((size_t)nfound * ntruth, sizeof *p);
	uf = htr_zalloc(nfound, 1);
	ut = htr_zalloc(ntruth, 1);
	if (!p || !uf || !ut) {
		free(p);
		free(uf);
		free(ut);
		return -1;
	}
	for (int i = 0; i < nfound; i++)
		for (int j = 0; j < ntruth; j++) {
			double v = htr_segment_iou(found[i], truth[j]);
			if (v >= min_iou) {
				p[np].iou = v;
				p[np].f = i;
				p[np].t = j;
				np++;
			}
		}
	qsort(p, np, sizeof *p, cmp_pair);
	for (int k = 0; k < np; k++)
		if (!uf[p[k].f] && !ut[p[k].t]) {
			uf[p[k].f] = ut[p[k].t] = 1;
			m++;
		}
	free(p);
	free(uf);
	free(ut);
	return m;
}
