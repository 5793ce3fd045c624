/* test_augment.c — each distortion changes the image plausibly, keeps its
 * size and its ink mass within bounds, and is reproducible by seed; the
 * height normalisation and profile features. */
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "feat.h"
#include "htr.h"
#include "rng.h"
#include "t.h"

/* A 40x32 test glyph: a dark ring of stroke width 3 on white paper. */
static void
glyph(struct htr_image *im)
{
	CHECK(htr_image_init(im, 40, 32, 255) == 0);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++) {
			float dx = x - 19.5f, dy = y - 15.5f;
			float r = sqrtf(dx * dx + dy * dy);
			if (r >= 8 && r < 11)
				im->pix[y * im->w + x] = 20;
		}
}

/* Ink mass: sum of (255 - v). */
static double
ink(const struct htr_image *im)
{
	double s = 0;

	for (int i = 0; i < im->w * im->h; i++)
		s += 255 - im->pix[i];
	return s;
}

static int
differs(const struct htr_image *a, const struct htr_image *b)
{
	int n = 0;

	for (int i = 0; i < a->w * a->h; i++)
		n += abs(a->pix[i] - b->pix[i]) > 8;
	return n;
}

/* Frees *im and makes it a copy of *ref. */
static void
fresh(struct htr_image *im, const struct htr_image *ref)
{
	htr_image_free(im);
	CHECK(htr_image_init(im, ref->w, ref->h, 0) == 0);
	memcpy(im->pix, ref->pix, (size_t)ref->w * ref->h);
}

static void
test_single(void)
{
	struct htr_image ref, im;
	struct htr_rng rng;
	double m0;

	glyph(&ref);
	m0 = ink(&ref);
	htr_rng_seed(&rng, 1);

#define FRESH() fresh(&im, &ref)
	CHECK(htr_image_init(&im, 1, 1, 0) == 0);

	/* identity affine changes nothing */
	FRESH();
	CHECK(htr_augment_affine(&im, 1, 0, 0, 0, 0) == 0);
	CHECK(differs(&im, &ref) == 0);
	/* scale 1.2: about 1.44 times the ink */
	FRESH();
	CHECK(htr_augment_affine(&im, 1.2f, 0, 0, 0, 0) == 0);
	CHECK(im.w == 40 && im.h == 32);
	CHECK_NEAR(ink(&im) / m0, 1.44, 0.1, 0);
	/* rotation by 90 degrees of a ring keeps its ink */
	FRESH();
	CHECK(htr_augment_affine(&im, 1, 90, 0, 0, 0) == 0);
	CHECK_NEAR(ink(&im) / m0, 1, 0.05, 0);
	/* shift right by 3: pixel (x, y) comes from (x - 3, y) */
	FRESH();
	CHECK(htr_augment_affine(&im, 1, 0, 0, 3, 0) == 0);
	CHECK(im.pix[15 * 40 + 13] == ref.pix[15 * 40 + 10] &&
	    im.pix[15 * 40 + 13] == 20);
	CHECK(differs(&im, &ref) > 20);
	CHECK_NEAR(ink(&im) / m0, 1, 0.01, 0);
	/* shear: area preserving, top and bottom move opposite ways */
	FRESH();
	CHECK(htr_augment_affine(&im, 1, 0, 0.3f, 0, 0) == 0);
	CHECK(differs(&im, &ref) > 20);
	CHECK_NEAR(ink(&im) / m0, 1, 0.08, 0);
	/* elastic: changes, keeps ink roughly */
	FRESH();
	CHECK(htr_augment_elastic(&im, 2, &rng) == 0);
	CHECK(differs(&im, &ref) > 10);
	CHECK_NEAR(ink(&im) / m0, 1, 0.2, 0);
	/* thicker and thinner strokes */
	FRESH();
	CHECK(htr_augment_stroke(&im, 1) == 0);
	CHECK(ink(&im) > 1.3 * m0 && ink(&im) < 2.2 * m0);
	FRESH();
	CHECK(htr_augment_stroke(&im, -1) == 0);
	CHECK(ink(&im) < 0.7 * m0 && ink(&im) > 0.1 * m0);
	/* blur: spreads, keeps ink (paper clamps a little) */
	FRESH();
	CHECK(htr_augment_blur(&im, 1.0f) == 0);
	CHECK(differs(&im, &ref) > 20);
	CHECK_NEAR(ink(&im) / m0, 1, 0.05, 0);
	/* contrast: ink fades to 255 - 235 * 0.5 */
	FRESH();
	htr_augment_contrast(&im, 0.5f);
	CHECK(abs(im.pix[15 * 40 + 10] - (255 - 235 / 2)) <= 1);
	CHECK_NEAR(ink(&im) / m0, 0.5, 0.01, 0);
	/* noise: changes pixels, mean ink about the same (clamped at 255
	 * on paper, so it can only add ink there) */
	FRESH();
	htr_augment_noise(&im, 10, &rng);
	CHECK(differs(&im, &ref) > 100);
	CHECK(ink(&im) > m0 && ink(&im) < m0 * 1.5);
	htr_image_free(&im);
	htr_image_free(&ref);
}

static void
test_apply(void)
{
	struct htr_image ref, a, b;
	struct htr_augment aug;
	struct htr_rng r1, r2;
	int changed = 0;

	glyph(&ref);
	htr_augment_defaults(&aug, 1);
	CHECK(htr_augment_any(&aug));
	htr_rng_seed(&r1, 7);
	htr_rng_seed(&r2, 7);
	for (int k = 0; k < 20; k++) {
		CHECK(htr_image_init(&a, ref.w, ref.h, 0) == 0);
		CHECK(htr_image_init(&b, ref.w, ref.h, 0) == 0);
		memcpy(a.pix, ref.pix, 40 * 32);
		memcpy(b.pix, ref.pix, 40 * 32);
		CHECK(htr_augment_apply(&a, &aug, &r1) == 0);
		CHECK(htr_augment_apply(&b, &aug, &r2) == 0);
		CHECK(a.w == 40 && a.h == 32);
		CHECK(!memcmp(a.pix, b.pix, 40 * 32));     /* same seed */
		changed += differs(&a, &ref) > 10;
		double r = ink(&a) / ink(&ref);
		CHECKF(r > 0.15 && r < 2.5, "ink ratio %g", r);
		htr_image_free(&a);
		htr_image_free(&b);
	}
	CHECK(changed >= 18);
	/* clean 0.5: about half the images come out untouched */
	int same = 0;
	aug.clean = 0.5f;
	for (int k = 0; k < 200; k++) {
		CHECK(htr_image_init(&a, ref.w, ref.h, 0) == 0);
		memcpy(a.pix, ref.pix, 40 * 32);
		CHECK(htr_augment_apply(&a, &aug, &r1) == 0);
		same += !memcmp(a.pix, ref.pix, 40 * 32);
		htr_image_free(&a);
	}
	CHECKF(same > 70 && same < 130, "%d of 200 untouched", same);
	htr_augment_defaults(&aug, 0);
	CHECK(!htr_augment_any(&aug));
	htr_image_free(&ref);
}

static void
test_features(void)
{
	struct htr_image im, s;
	float *f, prof[2 * 8];
	int w;

	glyph(&im);
	CHECK(htr_features_scale(&s, &im, 16, 0) == 0);
	CHECK(s.h == 16 && s.w == 20);
	htr_image_free(&s);
	CHECK(htr_features_scale(&s, &im, 64, 0) == 0);
	CHECK(s.h == 64 && s.w == 80);
	/* enlarging by 2 keeps the ring's centre column dark where it was */
	CHECK(s.pix[31 * 80 + 21] < 60);
	htr_image_free(&s);
	CHECK(htr_features_image(&f, &w, &im, 16, 30, 2) == 0);
	CHECK(w == 34);
	/* paper 0, ink near 1, padding 0 */
	CHECK(f[0] == 0 && f[16 * 34 - 1] == 0);
	float mx = 0;
	for (int i = 0; i < 16 * 34; i++) {
		CHECK(f[i] >= 0 && f[i] <= 1);
		if (f[i] > mx)
			mx = f[i];
	}
	CHECK(mx > 0.7f);
	free(f);

	CHECK(htr_features_otsu(&im) >= 20 && htr_features_otsu(&im) < 255);
	CHECK(htr_features_profile(prof, 8, &im) == 0);
	/* a ring: the middle rows/columns have less ink than near the ends */
	CHECK(prof[0] > prof[3] && prof[7] > prof[4]);
	CHECK(prof[8] > prof[11] && prof[15] > prof[12]);
	for (int i = 0; i < 16; i++)
		CHECK(prof[i] >= 0 && prof[i] <= 1);
	memset(im.pix, 255, 40 * 32);
	CHECK(htr_features_profile(prof, 8, &im) == 0 && prof[3] == 0);
	htr_image_free(&im);
}

int
main(void)
{
	test_single();
	test_apply();
	test_features();
	return T_DONE();
}
