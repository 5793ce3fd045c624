/* test_synth.c — the parts of synthetic handwriting that need no FreeType:
 * text encoding, UTF-8, corpus sampling, the distortions and the paper.
 * (Rendering with fonts is tested through htr-synth in synth.test.) */
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "image.h"
#include "rng.h"
#include "synth.h"
#include "synthtext.h"
#include "t.h"

static void
test_encode(void)
{
	char enc[64], dec[64];
	const char *s = "Le 3 août, 100% sûr\t!";

	CHECK(htr_synth_encode(enc, sizeof enc, s) > 0);
	CHECK(!strcmp(enc, "Le%203%20août,%20100%25%20sûr%09!"));
	CHECK(htr_synth_decode(dec, sizeof dec, enc) == (int)strlen(s));
	CHECK(!strcmp(dec, s));
	CHECK(htr_synth_encode(enc, 8, "a b c d e") == -1);
	CHECK(htr_synth_decode(dec, sizeof dec, "bad%2") == -1);
	CHECK(htr_synth_decode(dec, sizeof dec, "bad%zz") == -1);
	CHECK(htr_synth_decode(dec, sizeof dec, "a%41") == 2 &&
	    !strcmp(dec, "aA"));
}

static void
test_utf8(void)
{
	uint32_t cp[8];

	CHECK(htr_synth_utf8(cp, 8, "aé€𝄞") == 4);
	CHECK(cp[0] == 'a' && cp[1] == 0xe9 && cp[2] == 0x20ac &&
	    cp[3] == 0x1d11e);
	CHECK(htr_synth_utf8(cp, 8, "\xc3") == -1);          /* truncated */
	CHECK(htr_synth_utf8(cp, 8, "\xc0\xaf") == -1);      /* overlong */
	CHECK(htr_synth_utf8(cp, 8, "\xed\xa0\x80") == -1);  /* surrogate */
	CHECK(htr_synth_utf8(cp, 2, "abc") == -1);           /* too long */
}

static int
count_words(const char *s)
{
	int n = 0;

	for (const char *p = s; *p; p++)
		n += *p != ' ' && (p == s || p[-1] == ' ');
	return n;
}

static void
test_text(void)
{
	struct htr_synthtext t;
	struct htr_rng r, r2;
	char path[] = "out/test_synth_corpusXXXXXX", a[256], b[256];
	char up[] = "élève œuvre abc";
	int fd, shortw = 0, longw = 0, total = 0;
	FILE *f;

	/* a word list: 1 short word among 200 long ones, yet short words
	 * come out often, because word lengths follow running text */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("to\r\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "  extraordinary%c  \n", 'a' + i % 26);
	fputs("\n", f);
	fclose(f);
	CHECK(htr_synthtext_load(&t, path) == 0);
	CHECK(t.is_list && t.nword == 201 && t.nline == 201);
	CHECK(!strcmp(t.word[0], "to") && !strcmp(t.line[1], "extraordinarya"));
	CHECK(t.lineno[0] == 1 && t.lineno[200] == 201);
	htr_rng_seed(&r, 5);
	for (int i = 0; i < 300; i++) {
		int n = htr_synthtext_draw(&t, a, sizeof a, 2, 5, &r);
		int k = count_words(a);

		CHECKF(n == (int)strlen(a) && k >= 2 && k <= 5 + 1, "%s", a);
		for (char *w = strtok(a, " ,.;:!?-\"()"); w;
		    w = strtok(NULL, " ,.;:!?-\"()")) {
			total++;
			shortw += strlen(w) == 2;
			longw += strlen(w) > 10;
		}
	}
	CHECKF(shortw > total / 20, "%d of %d words short", shortw, total);
	CHECK(longw > total / 20);
	CHECK(htr_synthtext_draw(&t, a, 10, 5, 5, &r) == -1);
	htr_synthtext_free(&t);

	/* running text: consecutive words, reproducible from a seed */
	f = fopen(path, "w");
	fputs("one two three four five\r\n\r\n\tsix seven eight\n", f);
	fclose(f);
	CHECK(htr_synthtext_load(&t, path) == 0);
	CHECK(!t.is_list && t.nword == 8 && t.nline == 2);
	CHECK(!strcmp(t.line[1], "six seven eight") && t.lineno[1] == 3);
	htr_rng_seed(&r, 9);
	htr_rng_seed(&r2, 9);
	for (int i = 0; i < 50; i++) {
		const char *order = "one two three four five six seven eight";
		char low[256];

		CHECK(htr_synthtext_draw(&t, a, sizeof a, 3, 3, &r) > 0);
		CHECK(htr_synthtext_draw(&t, b, sizeof b, 3, 3, &r2) > 0);
		CHECK(!strcmp(a, b));
		strcpy(low, a);
		low[0] = (char)(low[0] | 0x20);
		CHECKF(strstr(order, low) != NULL, "%s", a);
	}
	htr_synthtext_free(&t);

	f = fopen(path, "w");
	fputs("good\n\xff\xfe\n", f);
	fclose(f);
	CHECK(htr_synthtext_load(&t, path) == -1);
	CHECK(strstr(htr_errmsg(), ":2: invalid UTF-8") != NULL);
	f = fopen(path, "w");
	fputs("\n  \n", f);
	fclose(f);
	CHECK(htr_synthtext_load(&t, path) == -1);
	CHECK(strstr(htr_errmsg(), "no text") != NULL);
	remove(path);
	CHECK(htr_synthtext_load(&t, path) == -1);

	htr_synthtext_upper(up);
	CHECK(!strcmp(up, "ÉLÈVE ŒUVRE ABC"));
}

/* Sum of the ink of a coverage map. */
static double
mass(const struct htr_synth_cov *c)
{
	double s = 0;

	for (int i = 0; i < c->w * c->h; i++)
		s += c->a[i];
	return s;
}

static void
bar(struct htr_synth_cov *c, int w, int h)
{
	CHECK(htr_synth_cov_init(c, w, h) == 0);
	for (int y = h / 4; y < 3 * h / 4; y++)
		for (int x = w / 8; x < 7 * w / 8; x++)
			c->a[y * w + x] = 1;
}

static void
test_distort(void)
{
	struct htr_synth_cov c;
	struct htr_rng r;
	double m0;

	htr_rng_seed(&r, 1);
	bar(&c, 200, 80);
	m0 = mass(&c);
	CHECK(htr_synth_blur(&c, 1.5f) == 0);
	CHECK_NEAR(mass(&c), m0, 0, 1e-3);
	CHECK(c.a[40 * 200 + 100] > 0.99f && c.a[20 * 200 + 100] < 0.7f);
	CHECK(htr_synth_resize(&c, 40) == 0);
	CHECK(c.w == 100 && c.h == 40);
	CHECK_NEAR(mass(&c), m0 / 4, 0, 1e-3);
	CHECK(htr_synth_resize(&c, 80) == 0);
	CHECK(c.w == 200 && c.h == 80);
	CHECK_NEAR(mass(&c), m0, 0, 0.02);
	htr_synth_cov_free(&c);

	/* elastic: moves ink around but keeps it roughly, and changes it */
	bar(&c, 200, 80);
	CHECK(htr_synth_elastic(&c, 0, 40, &r) == 0);
	CHECK_NEAR(mass(&c), m0, 0, 0);
	CHECK(htr_synth_elastic(&c, 3, 40, &r) == 0);
	CHECK_NEAR(mass(&c), m0, 0, 0.1);
	{
		int moved = 0;
		for (int x = 0; x < 200; x++)
			moved += c.a[(80 / 4) * 200 + x] != 1;
		CHECK(moved > 0);
	}
	htr_synth_cov_free(&c);
}

static void
test_finish(void)
{
	struct htr_synth_params p;
	struct htr_synth_cov c;
	struct htr_image out, out2, bg;
	struct htr_rng r;
	long ink = 0, paper = 0, nink = 0, npaper = 0;

	htr_synth_defaults(&p);
	CHECK(htr_synth_check(&p) == 0);
	p.jpeg = 1;
	htr_rng_seed(&r, 3);
	bar(&c, 300, 90);
	CHECK(htr_synth_finish(&out, &c, &p, NULL, &r) == 0);
	htr_synth_cov_free(&c);
	CHECK(out.h == 64 && out.w == (300 * 64 + 45) / 90);
	for (int y = 0; y < out.h; y++)
		for (int x = 0; x < out.w; x++) {
			int v = out.pix[y * out.w + x];
			if (y > 24 && y < 40 && x > 50 && x < 160)
				ink += v, nink++;
			if (y < 8)
				paper += v, npaper++;
		}
	CHECKF(ink / nink < 130, "ink %ld", ink / nink);
	CHECKF(paper / npaper > 160, "paper %ld", paper / npaper);

	/* same seed, same image */
	htr_rng_seed(&r, 3);
	bar(&c, 300, 90);
	CHECK(htr_synth_finish(&out2, &c, &p, NULL, &r) == 0);
	htr_synth_cov_free(&c);
	CHECK(out2.w == out.w && !memcmp(out.pix, out2.pix,
	    (size_t)out.w * out.h));
	htr_image_free(&out2);

	/* a background smaller than the sample is tiled */
	CHECK(htr_image_init(&bg, 7, 5, 200) == 0);
	p.jpeg = 0;
	p.noise[0] = p.noise[1] = 0;
	bar(&c, 300, 90);
	CHECK(htr_synth_finish(&out2, &c, &p, &bg, &r) == 0);
	htr_synth_cov_free(&c);
	CHECK(out2.pix[0] == 200 && out2.pix[out2.w * out2.h - 1] == 200);
	htr_image_free(&out2);
	htr_image_free(&bg);

	/* JPEG round trip keeps the size and roughly the pixels */
	memcpy(out2.tags, "", 1);
	CHECK(htr_image_init(&out2, out.w, out.h, 0) == 0);
	memcpy(out2.pix, out.pix, (size_t)out.w * out.h);
	CHECK(htr_synth_jpeg(&out2, 20) == 0);
	{
		double d = 0;
		for (int i = 0; i < out.w * out.h; i++)
			d += abs(out.pix[i] - out2.pix[i]);
		d /= out.w * out.h;
		CHECKF(d > 0 && d < 12, "mean difference %g", d);
	}
	htr_image_free(&out2);
	htr_image_free(&out);

	p.slant[0] = 1;
	p.slant[1] = 0;
	CHECK(htr_synth_check(&p) == -1 && strstr(htr_errmsg(), "slant"));
	htr_synth_defaults(&p);
	p.height = 2;
	CHECK(htr_synth_check(&p) == -1 && strstr(htr_errmsg(), "height"));
}

int
main(void)
{
	test_encode();
	test_utf8();
	test_text();
	test_distort();
	test_finish();
	return T_DONE();
}
