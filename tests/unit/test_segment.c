/* test_segment.c — page segmentation on synthetic pages drawn here (known
 * lines, words and letters; tilted; a descender touching the ascender
 * below it), and on a real page fixture with its true line boxes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "image.h"
#include "rng.h"
#include "segment.h"
#include "t.h"

/* Line-detection F1 at IoU >= 0.5 that the real page must reach; measured
 * 0.833 (17 true lines, 19 found, 15 matched); some slack for other
 * compilers and libm. */
#define REAL_F1 0.75

#define MAXL 8
#define MAXW 8

/* What was drawn: per line its ink box and word count, and per word of
 * line 0 its letter count. */
struct truth {
	int nline;
	int box[MAXL][4];          /* x0, y0, x1, y1 while drawing */
	int nword[MAXL];
	int wordx[MAXL][MAXW][2];  /* x range of each word */
};

static void
grow(int b[4], int x, int y)
{
	if (x < b[0]) b[0] = x;
	if (y < b[1]) b[1] = y;
	if (x > b[2]) b[2] = x;
	if (y > b[3]) b[3] = y;
}

/* A stroke from (x0,y0) to (x1,y1), 3 pixels thick, ink 30. */
static void
stroke(struct htr_image *im, int *box, double x0, double y0, double x1,
    double y1)
{
	int n = (int)(fabs(x1 - x0) + fabs(y1 - y0)) + 1;

	for (int i = 0; i <= n; i++) {
		double x = x0 + (x1 - x0) * i / n, y = y0 + (y1 - y0) * i / n;
		for (int dy = -1; dy <= 1; dy++)
			for (int dx = -1; dx <= 1; dx++) {
				int u = (int)lround(x) + dx, v = (int)lround(y) + dy;
				if (u < 0 || v < 0 || u >= im->w || v >= im->h)
					continue;
				im->pix[(size_t)v * im->w + u] = 30;
				if (box)
					grow(box, u, v);
			}
	}
}

/* A page of handwriting-like lines: letters are loops and strokes 16 px
 * high, joined within a word, some with ascenders or descenders; lines
 * 60 px apart, tilted by 'slope'; line 1 has a descender that runs into
 * an ascender of line 2.  Paper 225 with noise. */
static void
make_page(struct htr_image *im, struct truth *t, int nline, double slope,
    int joined, uint64_t seed)
{
	struct htr_rng r;
	int pitch = 60, xh = 16;

	htr_rng_seed(&r, seed);
	HTR_ASSERT(htr_image_init(im, 900, 120 + nline * pitch, 225) == 0);
	for (size_t k = 0; k < (size_t)im->w * im->h; k++)
		im->pix[k] = (unsigned char)(225 + htr_rng_below(&r, 11) - 5);
	memset(t, 0, sizeof *t);
	t->nline = nline;
	for (int l = 0; l < nline; l++) {
		int *b = t->box[l], nw = 3 + (int)htr_rng_below(&r, 3);
		double x = 80 + htr_rng_below(&r, 30);
		b[0] = b[1] = 1 << 30;
		b[2] = b[3] = -1;
		t->nword[l] = nw;
		for (int wi = 0; wi < nw; wi++) {
			int nlet = 2 + (int)htr_rng_below(&r, 5);
			t->wordx[l][wi][0] = (int)x;
			for (int li = 0; li < nlet; li++) {
				double base = 70 + l * pitch + slope * x;
				int kind = (int)htr_rng_below(&r, 6);
				/* the forced touch: line 1's first letter of
				 * word 1 descends into line 2's ascender */
				if (wi == 1 && li == 0 && (l == 1 || l == 2))
					kind = l == 1 ? 5 : 4;
				if (kind <= 2) {        /* an 'o' loop */
					stroke(im, b, x, base, x + 10, base);
					stroke(im, b, x, base - xh, x + 10,
					    base - xh);
					stroke(im, b, x, base, x, base - xh);
					stroke(im, b, x + 10, base, x + 10,
					    base - xh);
				} else if (kind == 3) { /* an 'n' */
					stroke(im, b, x, base, x + 5, base - xh);
					stroke(im, b, x + 5, base - xh, x + 10,
					    base);
				} else if (kind == 4) { /* an 'l': ascender */
					stroke(im, b, x + 5, base, x + 5, base -
					    (l == 2 && wi == 1 ? 44 : 36));
				} else {                /* a 'p': descender */
					stroke(im, b, x + 5, base - xh, x + 5,
					    base + (l == 1 && wi == 1 ? 30 :
					    20));
					stroke(im, b, x + 5, base - xh, x + 10,
					    base - 6);
				}
				if (joined && li + 1 < nlet)
					stroke(im, b, x + 10, base, x + 16, base);
				x += joined ? 16 : 24;
			}
			t->wordx[l][wi][1] = (int)x - (joined ? 6 : 14);
			x += 40 + htr_rng_below(&r, 15);
		}
	}
}

static void
test_synthetic(double slope, uint64_t seed)
{
	struct htr_image im;
	struct htr_segment s;
	struct truth t;

	make_page(&im, &t, 6, slope, 1, seed);
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_WORD) == 0);
	CHECKF(s.nline == t.nline, "slope %g: %d lines, want %d", slope,
	    s.nline, t.nline);
	for (int l = 0; l < s.nline && l < t.nline; l++) {
		int tb[4] = {t.box[l][0], t.box[l][1], t.box[l][2] - t.box[l][0]
		    + 1, t.box[l][3] - t.box[l][1] + 1};
		double iou = htr_segment_iou(s.lines[l].box, tb);
		int nw = 0;
		/* reading order: line l's box is line l's ink */
		CHECKF(iou > 0.75, "slope %g line %d: IoU %.2f (%d,%d,%d,%d "
		    "vs %d,%d,%d,%d)", slope, l, iou, s.lines[l].box[0],
		    s.lines[l].box[1], s.lines[l].box[2], s.lines[l].box[3],
		    tb[0], tb[1], tb[2], tb[3]);
		CHECK(s.lines[l].line == l && s.lines[l].word == -1);
		for (int i = 0; i < s.nword; i++)
			if (s.words[i].line == l) {
				int *b = s.words[i].box;
				CHECK(s.words[i].word == nw);
				/* each found word lies on a true word */
				if (nw < t.nword[l])
					CHECKF(abs(b[0] - t.wordx[l][nw][0]) <= 4 &&
					    abs(b[0] + b[2] - 1 -
					    t.wordx[l][nw][1]) <= 4,
					    "line %d word %d: x %d..%d, want "
					    "%d..%d", l, nw, b[0], b[0] + b[2] - 1,
					    t.wordx[l][nw][0], t.wordx[l][nw][1]);
				nw++;
			}
		CHECKF(nw == t.nword[l], "slope %g line %d: %d words, want %d",
		    slope, l, nw, t.nword[l]);
	}
	/* the touching descender/ascender pair is split between lines 1
	 * and 2: no line box reaches far into its neighbour */
	if (s.nline == t.nline)
		for (int l = 0; l + 1 < s.nline; l++)
			CHECKF(s.lines[l].box[1] + s.lines[l].box[3] <
			    s.lines[l + 1].box[1] + 30, "line %d runs into "
			    "line %d", l, l + 1);
	htr_segment_free(&s);
	htr_image_free(&im);
}

/* Crops white out the neighbours' ink and carry their tags. */
static void
test_crop(void)
{
	struct htr_image im, c;
	struct htr_segment s;
	struct truth t;
	int dark = 0;

	make_page(&im, &t, 3, 0.0, 1, 7);
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_LINE) == 0);
	CHECK(s.nline == 3);
	if (s.nline == 3) {
		CHECK(htr_segment_crop(&c, &s, &im, &s.lines[1], 5) == 0);
		CHECK(c.w == s.lines[1].box[2] + 10 &&
		    c.h == s.lines[1].box[3] + 10);
		CHECK(htr_tag_int(c.tags, "line", -1) == 1);
		int b[4];
		CHECK(htr_tag_box(c.tags, b) == 0 && b[0] ==
		    s.lines[1].box[0] - 5 && b[3] == c.h);
		/* every dark crop pixel is line 1's ink */
		for (int y = 0; y < c.h; y++)
			for (int x = 0; x < c.w; x++)
				if (c.pix[(size_t)y * c.w + x] < 128) {
					int o = s.owner[(size_t)(y + b[1]) * im.w +
					    x + b[0]];
					dark++;
					CHECKF(o == 2, "pixel %d,%d owner %d", x,
					    y, o);
					if (o != 2)
						goto out;
				}
out:
		CHECK(dark > 100);
		htr_image_free(&c);
	}
	htr_segment_free(&s);
	htr_image_free(&im);
}

/* Characters: separate letters come out one each. */
static void
test_chars(void)
{
	struct htr_image im;
	struct htr_segment s;
	struct truth t;
	int want = 0;

	make_page(&im, &t, 1, 0.0, 0, 11);
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_CHAR) == 0);
	CHECK(s.nline == 1);
	for (int i = 0; i < t.nword[0]; i++)
		want += (t.wordx[0][i][1] - t.wordx[0][i][0] + 14) / 24;
	CHECKF(s.nchar == want, "%d chars, want %d", s.nchar, want);
	CHECKF(s.nword == t.nword[0], "%d words, want %d", s.nword,
	    t.nword[0]);
	for (int i = 0; i < s.nchar; i++) {
		CHECK(s.chars[i].box[2] <= 14 && s.chars[i].box[2] >= 3);
		if (i && s.chars[i].word == s.chars[i - 1].word)
			CHECK(s.chars[i].ch == s.chars[i - 1].ch + 1 &&
			    s.chars[i].box[0] > s.chars[i - 1].box[0]);
	}
	htr_segment_free(&s);
	htr_image_free(&im);
}

static void
test_empty(void)
{
	struct htr_image im;
	struct htr_segment s;

	CHECK(htr_image_init(&im, 300, 200, 240) == 0);
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_CHAR) == 0);
	CHECK(s.nline == 0 && s.nword == 0 && s.nchar == 0);
	htr_segment_free(&s);
	/* a dark scanner border only */
	for (int y = 0; y < im.h; y++)
		for (int x = 0; x < 12; x++)
			im.pix[(size_t)y * im.w + x] = 10;
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_LINE) == 0);
	CHECKF(s.nline == 0, "%d lines on a blank page with a border",
	    s.nline);
	htr_segment_free(&s);
	htr_image_free(&im);
}

static void
test_match(void)
{
	int f[3][4] = {{0, 0, 10, 10}, {0, 20, 10, 10}, {100, 0, 5, 5}};
	int t[2][4] = {{0, 1, 10, 10}, {0, 0, 10, 30}};

	CHECK_NEAR(htr_segment_iou(f[0], t[0]), 90.0 / 110, 1e-12, 0);
	CHECK_NEAR(htr_segment_iou(f[0], f[2]), 0, 0, 0);
	/* f0 takes t0 (0.82); f1 and t1 overlap by 1/3 only */
	CHECK(htr_segment_match((const int (*)[4])f, 3,
	    (const int (*)[4])t, 2, 0.5) == 1);
	CHECK(htr_segment_match((const int (*)[4])f, 3,
	    (const int (*)[4])t, 2, 0.3) == 2);
	CHECK(htr_segment_match((const int (*)[4])f, 0,
	    (const int (*)[4])t, 2, 0.5) == 0);
}

/* The real page: data/segment/page.pgm with its true line boxes in
 * data/segment/page.tsv ("x y w h" per line, already scaled). */
static void
test_real_page(void)
{
	FILE *f = fopen("data/segment/page.pgm", "rb");
	struct htr_image im;
	struct htr_segment s;
	int truth[64][4], nt = 0, m;

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(htr_pgm_read(f, &im) == 1);
	fclose(f);
	f = fopen("data/segment/page.tsv", "r");
	CHECK(f != NULL);
	if (!f) {
		htr_image_free(&im);
		return;
	}
	while (nt < 64 && fscanf(f, "%d %d %d %d", &truth[nt][0],
	    &truth[nt][1], &truth[nt][2], &truth[nt][3]) == 4)
		nt++;
	fclose(f);
	CHECK(nt >= 10);
	CHECK(htr_segment_page(&s, &im, HTR_SEGMENT_LINE) == 0);
	int (*found)[4] = malloc((s.nline + 1) * sizeof *found);
	for (int i = 0; i < s.nline; i++)
		memcpy(found[i], s.lines[i].box, sizeof *found);
	m = htr_segment_match((const int (*)[4])found, s.nline,
	    (const int (*)[4])truth, nt, 0.5);
	double p = s.nline ? (double)m / s.nline : 0, r = (double)m / nt;
	double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
	printf("real page: %d true, %d found, %d matched, F1 %.3f\n", nt,
	    s.nline, m, f1);
	CHECKF(f1 >= REAL_F1, "real page F1 %.3f < %.2f", f1, REAL_F1);
	free(found);
	htr_segment_free(&s);
	htr_image_free(&im);
}

int
main(void)
{
	test_synthetic(0.0, 1);
	test_synthetic(0.03, 2);
	test_synthetic(-0.04, 3);
	test_crop();
	test_chars();
	test_empty();
	test_match();
	test_real_page();
	return T_DONE();
}
