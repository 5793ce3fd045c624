/* test_prep.c — preprocessing: Otsu, Sauvola, inversion, normalisation,
 * flattening, deskew, deslant, rotate/shear, border and speckle removal,
 * thinning, rescaling.  Synthetic pages are drawn here from the project
 * RNG, independently of the functions under test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "image.h"
#include "prep.h"
#include "tag.h"
#include "rng.h"
#include "t.h"

#define PI 3.14159265358979323846

static long
count_ink(const struct htr_image *im, int t)
{
	long n = 0;

	for (long i = 0; i < (long)im->w * im->h; i++)
		n += im->pix[i] <= t;
	return n;
}

static void
fill_rect(unsigned char *b, int w, int h, int x0, int y0, int x1, int y1,
    int v)
{
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++)
			b[y * w + x] = (unsigned char)v;
}

/* A page of pseudo-handwriting: lines of words made of 3-px strokes
 * (x-height 14, some ascenders and descenders, a baseline ligature),
 * 1 = ink. */
static unsigned char *
make_page(int w, int h, uint64_t seed)
{
	unsigned char *b = calloc((size_t)w * h, 1);
	struct htr_rng r;

	htr_rng_seed(&r, seed);
	for (int base = 70; base < h - 60; base += 44) {
		int x = 60 + (int)htr_rng_below(&r, 30);
		while (x < w - 100) {
			int letters = 2 + (int)htr_rng_below(&r, 7);
			int x0 = x;
			for (int l = 0; l < letters; l++, x += 11) {
				int top = base - 14, bot = base;
				int kind = (int)htr_rng_below(&r, 10);
				if (kind == 0)
					top = base - 30;
				else if (kind == 1)
					bot = base + 14;
				fill_rect(b, w, h, x, top, x + 3, bot, 1);
				if (kind > 5)
					fill_rect(b, w, h, x, base - 14, x + 8,
					    base - 11, 1);
			}
			fill_rect(b, w, h, x0, base - 3, x - 8, base, 1);
			x += 12 + (int)htr_rng_below(&r, 20);
		}
	}
	return b;
}

/* Renders bitmap b rotated counter-clockwise by deg (as on screen) into a
 * gray image of the same size, 4 x 4 supersampled: ink 30, paper 220. */
static void
render_rotated(struct htr_image *im, const unsigned char *b, int w, int h,
    double deg)
{
	double c = cos(deg * PI / 180), s = sin(deg * PI / 180);

	CHECK(htr_image_init(im, w, h, 220) == 0);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int ink = 0;
			for (int sy = 0; sy < 4; sy++)
				for (int sx = 0; sx < 4; sx++) {
					double dx = x + (sx + 0.5) / 4 - w / 2.0;
					double dy = y + (sy + 0.5) / 4 - h / 2.0;
					/* inverse of the CCW rotation */
					int px = (int)floor(dx * c - dy * s + w / 2.0);
					int py = (int)floor(dx * s + dy * c + h / 2.0);
					if (px >= 0 && py >= 0 && px < w && py < h)
						ink += b[py * w + px];
				}
			im->pix[y * w + x] = (unsigned char)(220 - ink * 190 / 16);
		}
}

static void
test_otsu(void)
{
	struct htr_image im;
	struct htr_rng r;
	int t;

	/* Two noisy populations around 60 (30 %) and 190 (70 %). */
	htr_rng_seed(&r, 1);
	CHECK(htr_image_init(&im, 100, 100, 0) == 0);
	for (int i = 0; i < 10000; i++) {
		double v = (i % 10 < 3 ? 60 : 190) + 12 * htr_rng_normal(&r);
		im.pix[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	t = htr_prep_otsu(&im);
	CHECKF(t > 95 && t < 155, "otsu threshold %d", t);
	CHECK(htr_prep_binarize_otsu(&im) == t);
	CHECK_NEAR(count_ink(&im, 0), 3000, 10, 0);
	CHECK(count_ink(&im, 254) == count_ink(&im, 0));
	htr_prep_invert(&im);
	CHECK(count_ink(&im, 0) == 7000);
	/* A uniform image is neither inverted nor stretched. */
	memset(im.pix, 128, 10000);
	CHECK(htr_prep_is_inverted(&im) == 0);
	CHECK(htr_prep_normalize(&im, 1, 99) == 0 && im.pix[77] == 128);
	/* A blank page has no ink. */
	CHECK(htr_prep_otsu(&im) == 127);
	memset(im.pix, 255, 10000);
	CHECK(htr_prep_binarize_otsu(&im) == 254 && count_ink(&im, 0) == 0);
	htr_image_free(&im);
}

static void
test_invert(void)
{
	int w = 400, h = 300;
	unsigned char *b = make_page(w, h, 5);
	struct htr_image im;

	render_rotated(&im, b, w, h, 0);
	CHECK(htr_prep_is_inverted(&im) == 0);
	htr_prep_invert(&im);
	CHECK(htr_prep_is_inverted(&im) == 1);
	htr_prep_invert(&im);
	/* A photographed page: dark surround over more than half the frame.
	 * The dark majority is not the ink. */
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (x < 60 || x > 300 || y < 40 || y > 230)
				im.pix[y * w + x] = 25;
	CHECK(count_ink(&im, 100) > w * h / 2);
	CHECK(htr_prep_is_inverted(&im) == 0);
	htr_image_free(&im);

	/* A line cut along its polygon: gray paper inside, white outside. */
	render_rotated(&im, b, w, h, 0);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = &im.pix[y * w + x];
			if (y < 40 || y > 120 + x / 8)
				*p = 255;
			else
				*p = (unsigned char)(*p * 180 / 220);
		}
	CHECK(htr_prep_is_inverted(&im) == 0);
	htr_prep_invert(&im);
	CHECK(htr_prep_is_inverted(&im) == 1);
	htr_image_free(&im);
	free(b);
}

static void
test_normalize(void)
{
	struct htr_image im;

	/* Values 100..149 in equal numbers: 1 % and 99 % are 100 and 149. */
	CHECK(htr_image_init(&im, 50, 100, 0) == 0);
	for (int i = 0; i < 5000; i++)
		im.pix[i] = (unsigned char)(100 + i % 50);
	CHECK(htr_prep_normalize(&im, 1, 99) == 1);
	CHECK(im.pix[0] == 0 && im.pix[49] == 255);
	CHECK(abs(im.pix[25] - 130) <= 1);
	htr_image_free(&im);
}

/* A page lit from the left: paper goes from 90 to 235, ink 60 below it. */
static void
lit_page(struct htr_image *im, unsigned char **truth)
{
	int w = 600, h = 400;
	unsigned char *b = make_page(w, h, 7);

	CHECK(htr_image_init(im, w, h, 0) == 0);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int paper = 90 + 145 * x / (w - 1);
			im->pix[y * w + x] = (unsigned char)(b[y * w + x] ?
			    paper - 60 : paper);
		}
	*truth = b;
}

static double
error_rate(const struct htr_image *im, const unsigned char *truth)
{
	long bad = 0, n = (long)im->w * im->h;

	for (long i = 0; i < n; i++)
		bad += (im->pix[i] == 0) != truth[i];
	return (double)bad / n;
}

static void
test_sauvola(void)
{
	struct htr_image im, o;
	unsigned char *truth;
	double es, eo;

	lit_page(&im, &truth);
	CHECK(htr_image_init(&o, im.w, im.h, 0) == 0);
	memcpy(o.pix, im.pix, (size_t)im.w * im.h);
	CHECK(htr_prep_binarize_sauvola(&im, 25, 0.2) == 0);
	htr_prep_binarize_otsu(&o);
	es = error_rate(&im, truth);
	eo = error_rate(&o, truth);
	CHECK(count_ink(&im, 0) == count_ink(&im, 254));
	CHECKF(es < 0.01, "sauvola error %.4f", es);
	/* The global threshold cannot cope with the light gradient. */
	CHECKF(eo > 0.1, "otsu error %.4f", eo);

	/* Flattening removes the gradient so that even Otsu works. */
	htr_image_free(&o);
	free(truth);
	lit_page(&o, &truth);
	CHECK(htr_prep_flatten(&o, 0) == 0);
	htr_prep_binarize_otsu(&o);
	eo = error_rate(&o, truth);
	CHECKF(eo < 0.01, "otsu after flattening error %.4f", eo);
	htr_image_free(&im);
	htr_image_free(&o);
	free(truth);
}

static void
test_deskew(void)
{
	static const double angles[] = { -7.3, 4.1, 12, -0.6, 0 };
	int w = 700, h = 500;
	unsigned char *b = make_page(w, h, 3);

	for (size_t i = 0; i < sizeof angles / sizeof *angles; i++) {
		struct htr_image im;
		double a, back;

		render_rotated(&im, b, w, h, angles[i]);
		CHECK(htr_prep_skew(&im, 15, &a) == 0);
		CHECK_NEAR(a, angles[i], 0.5, 0);
		/* Undoing it leaves a level page, and a wider one. */
		CHECK(htr_prep_deskew(&im, 15, &a) == 0);
		CHECK(htr_prep_skew(&im, 15, &back) == 0);
		CHECK_NEAR(back, 0, 0.3, 0);
		if (fabs(angles[i]) > 1)
			CHECK(im.w > w && im.h > h);
		htr_image_free(&im);
	}
	free(b);
}

static void
test_rotate_shear(void)
{
	struct htr_image im, r;

	/* One dark pixel right of the centre of a 21 x 21 image. */
	CHECK(htr_image_init(&im, 21, 21, 255) == 0);
	strcpy(im.tags, "src=x");
	im.pix[10 * 21 + 15] = 0;
	CHECK(htr_prep_rotate(&r, &im, 90, 255) == 0);
	CHECK(r.w == 21 && r.h == 21 && !strcmp(r.tags, "src=x"));
	/* Counter-clockwise: right of centre moves above it. */
	CHECK(r.pix[5 * 21 + 10] < 10);
	htr_image_free(&r);
	CHECK(htr_prep_rotate(&r, &im, 30, 255) == 0);
	CHECK(r.w == 29 && r.h == 29);
	htr_image_free(&r);

	/* Shear: the top row moves right, the bottom row left. */
	memset(im.pix, 255, 21 * 21);
	im.pix[0 * 21 + 10] = 0;
	im.pix[20 * 21 + 10] = 0;
	CHECK(htr_prep_shear(&r, &im, 45, 255) == 0);
	CHECK(r.h == 21 && r.w == 42);
	{
		int top = 0, bot = 0;
		for (int x = 0; x < r.w; x++) {
			if (r.pix[x] < r.pix[top]) top = x;
			if (r.pix[20 * r.w + x] < r.pix[20 * r.w + bot]) bot = x;
		}
		CHECK(r.pix[top] < 160 && r.pix[20 * r.w + bot] < 160);
		CHECKF(top - bot >= 19 && top - bot <= 21, "top %d bot %d",
		    top, bot);
	}
	htr_image_free(&r);
	htr_image_free(&im);
}

/* A word of vertical 3-px strokes sheared so that they lean right by deg. */
static void
test_deslant(void)
{
	static const double angles[] = { 20, -12, 0 };

	for (size_t i = 0; i < sizeof angles / sizeof *angles; i++) {
		struct htr_image im;
		double t = tan(angles[i] * PI / 180), a;
		int w = 300, h = 60;

		CHECK(htr_image_init(&im, w, h, 240) == 0);
		for (int y = 10; y < 50; y++)
			for (int s = 0; s < 12; s++) {
				int top = s % 3 == 0 ? 10 : 25;
				double x0 = 40 + s * 18 + (30 - y) * t;
				if (y < top)
					continue;
				for (int x = (int)floor(x0); x < x0 + 3; x++)
					im.pix[y * w + x] = 20;
			}
		CHECK(htr_prep_slant(&im, 45, &a) == 0);
		CHECK_NEAR(a, angles[i], 2, 0);
		CHECK(htr_prep_deslant(&im, 45, &a) == 0);
		CHECK(htr_prep_slant(&im, 45, &a) == 0);
		CHECK_NEAR(a, 0, 2, 0);
		htr_image_free(&im);
	}
}

static void
test_components(void)
{
	struct htr_image im;
	int n;

	/* A page with a dark left border, a word and three specks. */
	CHECK(htr_image_init(&im, 200, 100, 250) == 0);
	fill_rect(im.pix, 200, 100, 0, 0, 12, 100, 10);           /* border */
	fill_rect(im.pix, 200, 100, 50, 40, 150, 60, 10);         /* word */
	fill_rect(im.pix, 200, 100, 20, 10, 22, 12, 10);          /* 4 px */
	fill_rect(im.pix, 200, 100, 180, 80, 183, 83, 10);        /* 9 px */
	fill_rect(im.pix, 200, 100, 100, 5, 101, 6, 10);          /* 1 px */
	CHECK(htr_prep_despeckle(&im, 4, &n) == 0 && n == 2);
	CHECK(im.pix[10 * 200 + 20] == 255 && im.pix[5 * 200 + 100] == 255);
	CHECK(im.pix[80 * 200 + 180] == 10);
	CHECK(htr_prep_remove_border(&im, &n) == 0 && n == 1);
	CHECK(im.pix[50 * 200 + 5] == 255);
	CHECK(im.pix[50 * 200 + 100] == 10 && im.pix[80 * 200 + 180] == 10);
	htr_image_free(&im);
}

static void
test_thin(void)
{
	struct htr_image im;
	int ok = 1;

	/* A 9-px thick bar becomes a 1-px line. */
	CHECK(htr_image_init(&im, 80, 30, 255) == 0);
	fill_rect(im.pix, 80, 30, 10, 10, 70, 19, 0);
	CHECK(htr_prep_thin(&im) == 0);
	for (int x = 16; x < 64; x++) {
		int n = 0;
		for (int y = 0; y < 30; y++)
			n += im.pix[y * 80 + x] == 0;
		if (n != 1)
			ok = 0;
	}
	CHECK(ok);
	CHECK(count_ink(&im, 0) >= 48 && count_ink(&im, 0) <= 62);
	CHECK(count_ink(&im, 254) == count_ink(&im, 0));
	htr_image_free(&im);

	/* A ring keeps its hole (topology): thinning leaves a closed loop. */
	CHECK(htr_image_init(&im, 40, 40, 255) == 0);
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 40; x++) {
			double d = hypot(x - 19.5, y - 19.5);
			if (d >= 8 && d <= 14)
				im.pix[y * 40 + x] = 0;
		}
	CHECK(htr_prep_thin(&im) == 0);
	CHECK(im.pix[20 * 40 + 20] == 255);
	{
		int ring = 1;
		for (int x = 0; x < 40 && ring; x++) {
			/* every column crossing the hole meets ink above and
			 * below the centre */
			if (x < 14 || x > 25)
				continue;
			int up = 0, down = 0;
			for (int y = 0; y < 20; y++)
				up += im.pix[y * 40 + x] == 0;
			for (int y = 20; y < 40; y++)
				down += im.pix[y * 40 + x] == 0;
			ring = up >= 1 && down >= 1;
		}
		CHECK(ring);
	}
	htr_image_free(&im);
}

static void
test_scale(void)
{
	struct htr_image im, o;

	CHECK(htr_image_init(&im, 200, 80, 0) == 0);
	strcpy(im.tags, "src=a line=2");
	for (int y = 0; y < 80; y++)
		for (int x = 0; x < 200; x++)
			im.pix[y * 200 + x] = (x + y) % 2 ? 255 : 0;
	/* Area averaging of a checkerboard gives mid-gray. */
	CHECK(htr_prep_resize(&o, &im, 100, 40) == 0);
	CHECK(o.w == 100 && o.h == 40 && !strcmp(o.tags, "src=a line=2"));
	CHECK(count_ink(&o, 128) == 100 * 40 && count_ink(&o, 126) == 0);
	htr_image_free(&o);
	/* Odd factors keep the mean (area averaging is exact on average). */
	CHECK(htr_prep_resize(&o, &im, 77, 31) == 0);
	{
		double s = 0;
		for (int i = 0; i < 77 * 31; i++)
			s += o.pix[i];
		CHECK_NEAR(s / (77 * 31), 127.5, 1.5, 0);
	}
	htr_image_free(&o);

	CHECK(htr_prep_scale_height(&im, 40) == 0 && im.w == 100 && im.h == 40);
	CHECK(htr_prep_scale_height(&im, 120) == 0 && im.w == 300 && im.h == 120);
	CHECK(htr_prep_scale(&im, 0.5) == 0 && im.w == 150 && im.h == 60);
	CHECK(htr_prep_scale(&im, 1.0 / 300) == 0 && im.w == 1 && im.h == 1);
	CHECK(!strcmp(im.tags, "src=a line=2"));
	CHECK(htr_prep_scale(&im, -1) == -1);
	htr_image_free(&im);

	/* Bilinear enlargement of a ramp stays monotonic and keeps its ends. */
	CHECK(htr_image_init(&im, 4, 1, 0) == 0);
	im.pix[1] = 85, im.pix[2] = 170, im.pix[3] = 255;
	CHECK(htr_prep_resize(&o, &im, 16, 3) == 0);
	CHECK(o.pix[0] == 0 && o.pix[15] == 255);
	for (int x = 1; x < 16; x++)
		CHECK(o.pix[x] >= o.pix[x - 1]);
	CHECK(o.pix[16 + 7] == o.pix[7]);
	htr_image_free(&o);
	htr_image_free(&im);
}

static void
test_chain(void)
{
	struct htr_prep_opts o;
	struct htr_prep_info info;
	struct htr_image im;
	int w = 500, h = 400;
	unsigned char *b = make_page(w, h, 11);

	/* White writing on a dark, tilted page comes out dark on light and
	 * level. */
	render_rotated(&im, b, w, h, 5);
	htr_prep_invert(&im);
	strcpy(im.tags, "src=p.png");
	htr_prep_defaults(&o);
	CHECK(htr_prep_run(&im, &o, &info) == 0);
	CHECK(info.inverted == 1);
	CHECK_NEAR(info.skew, 5, 0.5, 0);
	CHECK(!htr_prep_is_inverted(&im));
	/* the rotation is recorded, and turns boxes back onto the input:
	 * the whole output is the whole input, its centre the centre */
	char dsk[64];
	int box[4] = { 0, 0, im.w, im.h };
	CHECK(!strncmp(im.tags, "src=p.png deskew=", 17));
	CHECK(htr_tag_get(im.tags, "deskew", dsk, sizeof dsk) == 0);
	CHECK(htr_prep_unrotate_box(box, dsk) == 0);
	CHECK(box[0] == 0 && box[1] == 0 && box[2] == w && box[3] == h);
	box[0] = im.w / 2 - 1, box[1] = im.h / 2 - 1, box[2] = box[3] = 2;
	CHECK(htr_prep_unrotate_box(box, dsk) == 0);
	CHECKF(abs(box[0] - (w / 2 - 2)) <= 1 && abs(box[1] - (h / 2 - 2)) <= 1 &&
	    box[2] <= 4 && box[3] <= 4, "centre box %d,%d,%d,%d", box[0],
	    box[1], box[2], box[3]);
	CHECK(htr_prep_unrotate_box(box, "5,500") == -1);
	CHECK(htr_prep_unrotate_box(box, "5,500,400x") == -1);
	htr_image_free(&im);

	render_rotated(&im, b, w, h, 0);
	o.invert = HTR_PREP_INVERT_NO;
	o.binarize = HTR_PREP_BIN_SAUVOLA;
	o.height = 100;
	CHECK(htr_prep_run(&im, &o, &info) == 0);
	CHECK(info.inverted == 0 && im.h == 100 && im.w == 125);
	CHECK(count_ink(&im, 0) == count_ink(&im, 254));
	CHECK(count_ink(&im, 0) > 0);
	htr_image_free(&im);
	free(b);
}

int
main(void)
{
	test_otsu();
	test_invert();
	test_normalize();
	test_sauvola();
	test_deskew();
	test_rotate_shear();
	test_deslant();
	test_components();
	test_thin();
	test_scale();
	test_chain();
	return T_DONE();
}
