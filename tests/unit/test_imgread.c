/* test_imgread.c — htr_image_read: PNG of every colour type and bit depth
 * (written here with libpng), JPEG gray/colour/progressive (fixtures made
 * by tests/data/images/make.sh with pnmtojpeg) and CMYK (written here with
 * libjpeg), PBM/PGM/PPM/PAM, tags, streams of mixed images through a pipe,
 * and broken input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <jpeglib.h>

#include "htr.h"
#include "image.h"
#include "t.h"

#define W 17
#define H 5
#define DIR "data/images/"

/* Expected gray of a colour: Rec. 601 luma, composited on white. */
static double
expect(double r, double g, double b, double a, double max)
{
	double y = 0.299 * r + 0.587 * g + 0.114 * b;

	return 255 * (y * a + max * (max - a)) / (max * max);
}

/* Sample values of channel ch at (x, y) for a given maxval. */
static unsigned
sample(int x, int y, int ch, unsigned max)
{
	return (unsigned)((x * 37 + y * 101 + ch * 59) % (max + 1));
}

struct pngspec {
	int type, depth, interlace, trns;
};

/* Writes a W x H PNG with libpng and fills want[] with the gray values
 * htr_image_read must give. */
static void
write_png(FILE *f, const struct pngspec *s, double want[H * W])
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING,
	    NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	unsigned max = (1u << s->depth) - 1;
	int ch = s->type == PNG_COLOR_TYPE_GRAY ? 1 :
	    s->type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 :
	    s->type == PNG_COLOR_TYPE_RGB ? 3 :
	    s->type == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1;
	int bps = s->depth == 16 ? 2 : 1;
	png_color pal[256];
	png_byte palalpha[256];
	png_color_16 trans = { 0 };
	unsigned char rows[H][W * 4 * 2];

	png_init_io(png, f);
	png_set_IHDR(png, info, W, H, s->depth, s->type, s->interlace,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (s->type == PNG_COLOR_TYPE_PALETTE) {
		for (unsigned i = 0; i <= max; i++) {
			pal[i].red = (png_byte)(i * 53 % 256);
			pal[i].green = (png_byte)(i * 97 % 256);
			pal[i].blue = (png_byte)(i * 11 % 256);
			palalpha[i] = (png_byte)(255 - i * 70 % 256);
		}
		png_set_PLTE(png, info, pal, (int)max + 1);
		if (s->trns)
			png_set_tRNS(png, info, palalpha, (int)max + 1, NULL);
	} else if (s->trns) {
		trans.gray = 0;                 /* gray 0 is transparent */
		png_set_tRNS(png, info, NULL, 0, &trans);
	}
	png_write_info(png, info);
	memset(rows, 0, sizeof rows);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			unsigned v[4];
			for (int c = 0; c < ch; c++) {
				v[c] = sample(x, y, c, max);
				if (s->depth < 8) {
					int per = 8 / s->depth;
					int shift = 8 - s->depth * (x % per + 1);
					rows[y][x / per] |= (unsigned char)(v[c] << shift);
				} else if (bps == 1) {
					rows[y][x * ch + c] = (unsigned char)v[c];
				} else {
					rows[y][2 * (x * ch + c)] = (unsigned char)(v[c] >> 8);
					rows[y][2 * (x * ch + c) + 1] = (unsigned char)v[c];
				}
			}
			double *o = &want[y * W + x];
			switch (s->type) {
			case PNG_COLOR_TYPE_GRAY:
				*o = s->trns && v[0] == 0 ? 255 :
				    expect(v[0], v[0], v[0], max, max);
				break;
			case PNG_COLOR_TYPE_GRAY_ALPHA:
				*o = expect(v[0], v[0], v[0], v[1], max);
				break;
			case PNG_COLOR_TYPE_RGB:
				*o = expect(v[0], v[1], v[2], max, max);
				break;
			case PNG_COLOR_TYPE_RGB_ALPHA:
				*o = expect(v[0], v[1], v[2], v[3], max);
				break;
			default:
				*o = expect(pal[v[0]].red, pal[v[0]].green,
				    pal[v[0]].blue, s->trns ? palalpha[v[0]] : 255,
				    255);
			}
		}
	for (int pass = png_set_interlace_handling(png); pass > 0; pass--)
		for (int y = 0; y < H; y++)
			png_write_row(png, rows[y]);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
}

static int
matches(const struct htr_image *im, const double *want, int w, int h,
    double tol)
{
	if (im->w != w || im->h != h)
		return 0;
	for (int i = 0; i < w * h; i++)
		if (fabs(im->pix[i] - want[i]) > tol) {
			fprintf(stderr, "pixel %d: got %d, want %.2f\n", i,
			    im->pix[i], want[i]);
			return 0;
		}
	return 1;
}

static void
test_png(void)
{
	static const struct pngspec specs[] = {
		{ PNG_COLOR_TYPE_GRAY, 1, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY, 2, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY, 4, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY, 8, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY, 16, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY, 8, 0, 1 },
		{ PNG_COLOR_TYPE_GRAY, 8, 1, 0 },
		{ PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0 },
		{ PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0 },
		{ PNG_COLOR_TYPE_RGB, 8, 0, 0 },
		{ PNG_COLOR_TYPE_RGB, 16, 0, 0 },
		{ PNG_COLOR_TYPE_RGB, 8, 1, 0 },
		{ PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0 },
		{ PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 1, 0, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 2, 0, 1 },
		{ PNG_COLOR_TYPE_PALETTE, 4, 0, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 8, 0, 1 },
	};
	double want[sizeof specs / sizeof *specs][H * W];
	struct htr_image im;
	FILE *f = tmpfile();
	size_t n = sizeof specs / sizeof *specs;

	/* All of them in one stream: each read must stop at its IEND. */
	for (size_t i = 0; i < n; i++)
		write_png(f, &specs[i], want[i]);
	rewind(f);
	for (size_t i = 0; i < n; i++) {
		int rc = htr_image_read(f, &im);
		CHECKF(rc == 1, "png %zu: %s", i, htr_errmsg());
		if (rc != 1)
			break;
		/* 16-bit data is scaled to 8 bits before the luma: 1 level */
		CHECKF(matches(&im, want[i], W, H, 1.01),
		    "png %zu: type %d depth %d interlace %d trns %d", i,
		    specs[i].type, specs[i].depth, specs[i].interlace,
		    specs[i].trns);
		CHECK(im.tags[0] == 0);
		htr_image_free(&im);
	}
	CHECK(htr_image_read(f, &im) == 0);
	fclose(f);
}

/* Reads one image of a file. */
static int
read_file(const char *path, struct htr_image *im)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return -2;
	rc = htr_image_read(f, im);
	fclose(f);
	return rc;
}

static double
mean_abs_diff(const struct htr_image *a, const struct htr_image *b)
{
	double s = 0;

	if (a->w != b->w || a->h != b->h)
		return 1e9;
	for (int i = 0; i < a->w * a->h; i++)
		s += abs(a->pix[i] - b->pix[i]);
	return s / (a->w * a->h);
}

static void
test_jpeg_pnm(void)
{
	struct htr_image ref, ppm, im;
	double want[40 * 30];
	FILE *f;
	unsigned char raw[40 * 30 * 3];

	/* source.pgm (P5, our reader) is ppmtopgm of source.ppm (netpbm). */
	CHECK(read_file(DIR "source.pgm", &ref) == 1);
	CHECK(read_file(DIR "source.ppm", &ppm) == 1);
	CHECK(ref.w == 40 && ref.h == 30 && ppm.w == 40 && ppm.h == 30);
	CHECKF(mean_abs_diff(&ref, &ppm) < 0.6, "%g",
	    mean_abs_diff(&ref, &ppm));
	/* and our luma of the raw RGB bytes */
	f = fopen(DIR "source.ppm", "rb");
	CHECK(f && fscanf(f, "P6 40 30 255%*c") == 0 &&
	    fread(raw, 1, sizeof raw, f) == sizeof raw);
	fclose(f);
	for (int i = 0; i < 40 * 30; i++)
		want[i] = expect(raw[3 * i], raw[3 * i + 1], raw[3 * i + 2],
		    255, 255);
	CHECK(matches(&ppm, want, 40, 30, 0.51));

	static const char *jpegs[] = { DIR "gray.jpg", DIR "color.jpg",
	    DIR "progressive.jpg" };
	for (int i = 0; i < 3; i++) {
		CHECKF(read_file(jpegs[i], &im) == 1, "%s: %s", jpegs[i],
		    htr_errmsg());
		/* quality 95: close to the source, not equal */
		CHECKF(mean_abs_diff(&im, &ref) < 2.5, "%s: %g", jpegs[i],
		    mean_abs_diff(&im, &ref));
		htr_image_free(&im);
	}
	htr_image_free(&ppm);
	htr_image_free(&ref);
}

/* A CMYK JPEG as Photoshop writes it: inverted samples and an Adobe
 * marker (libjpeg writes the marker for CMYK). */
static void
test_cmyk(void)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr err;
	unsigned char row[W * 4];
	double want[W * H];
	struct htr_image im;
	FILE *f = tmpfile();

	ci.err = jpeg_std_error(&err);
	jpeg_create_compress(&ci);
	jpeg_stdio_dest(&ci, f);
	ci.image_width = W;
	ci.image_height = H;
	ci.input_components = 4;
	ci.in_color_space = JCS_CMYK;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 100, TRUE);
	jpeg_start_compress(&ci, TRUE);
	for (int y = 0; y < H; y++) {
		JSAMPROW rp = row;
		for (int x = 0; x < W; x++) {
			/* flat colours per 4-pixel block (JPEG is lossy) */
			unsigned c = x / 4 * 60, m = y * 50, yy = 30, k = x / 4 * 20;
			row[4 * x] = (unsigned char)(255 - c);
			row[4 * x + 1] = (unsigned char)(255 - m);
			row[4 * x + 2] = (unsigned char)(255 - yy);
			row[4 * x + 3] = (unsigned char)(255 - k);
			want[y * W + x] = expect((255 - c) * (255 - k) / 255.0,
			    (255 - m) * (255 - k) / 255.0,
			    (255 - yy) * (255 - k) / 255.0, 255, 255);
		}
		jpeg_write_scanlines(&ci, &rp, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	rewind(f);
	CHECKF(htr_image_read(f, &im) == 1, "%s", htr_errmsg());
	CHECK(im.w == W && im.h == H);
	{
		double s = 0;
		for (int i = 0; i < W * H && im.pix; i++)
			s += fabs(im.pix[i] - want[i]);
		CHECKF(s / (W * H) < 6, "cmyk mean error %g", s / (W * H));
	}
	htr_image_free(&im);
	fclose(f);
}

/* A 16 x 8 gray JPEG, black in its top-left 8 x 8 block, with an EXIF
 * orientation tag (little- or big-endian TIFF). */
static void
write_exif_jpeg(FILE *f, int orientation, int le)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr err;
	unsigned char row[16], exif[6 + 8 + 2 + 12 + 4] = "Exif";
	unsigned char *t = exif + 6;

	/* TIFF header, IFD0 at offset 8 with one entry: 0x0112 SHORT 1 */
	memcpy(t, le ? "II*\0\10\0\0\0" : "MM\0*\0\0\0\10", 8);
	memcpy(t + 8, le ? "\1\0\x12\1\3\0\1\0\0\0" :
	    "\0\1\1\x12\0\3\0\0\0\1", 10);
	t[18 + (le ? 0 : 1)] = (unsigned char)orientation;
	ci.err = jpeg_std_error(&err);
	jpeg_create_compress(&ci);
	jpeg_stdio_dest(&ci, f);
	ci.image_width = 16;
	ci.image_height = 8;
	ci.input_components = 1;
	ci.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 100, TRUE);
	jpeg_start_compress(&ci, TRUE);
	jpeg_write_marker(&ci, JPEG_APP0 + 1, exif, sizeof exif);
	for (int y = 0; y < 8; y++) {
		JSAMPROW rp = row;
		for (int x = 0; x < 16; x++)
			row[x] = x < 8 ? 0 : 255;
		jpeg_write_scanlines(&ci, &rp, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
}

static void
test_exif(void)
{
	/* orientation, output w, h, and where the black block ends up */
	static const struct { int o, w, h, bx, by; } cases[] = {
		{ 1, 16, 8, 0, 0 }, { 2, 16, 8, 8, 0 }, { 3, 16, 8, 8, 0 },
		{ 4, 16, 8, 0, 0 }, { 5, 8, 16, 0, 0 }, { 6, 8, 16, 0, 0 },
		{ 7, 8, 16, 0, 8 }, { 8, 8, 16, 0, 8 },
	};
	struct htr_image im;

	for (int le = 0; le < 2; le++)
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			FILE *f = tmpfile();
			int dark = 0;

			write_exif_jpeg(f, cases[i].o, le);
			rewind(f);
			CHECK(htr_image_read(f, &im) == 1);
			CHECKF(im.w == cases[i].w && im.h == cases[i].h,
			    "orientation %d: %dx%d", cases[i].o, im.w, im.h);
			/* the 8 x 8 block at (bx, by) is black */
			for (int y = 0; y < 8 && im.pix; y++)
				for (int x = 0; x < 8; x++)
					dark += im.pix[(cases[i].by + y) * im.w +
					    cases[i].bx + x] < 40;
			CHECKF(dark == 64, "orientation %d (%s): %d dark",
			    cases[i].o, le ? "II" : "MM", dark);
			htr_image_free(&im);
			fclose(f);
		}
}

static void
test_netpbm_kinds(void)
{
	struct htr_image im;
	FILE *f = tmpfile();

	/* plain and raw PBM (1 = black), plain PPM, PAM with alpha, a
	 * 16-bit PGM, and a PGM crop with tags: one stream */
	fputs("P1\n3 2\n1 0 1\n0 1 0\n", f);
	fputs("P4\n10 1\n", f);
	fputc(0xC0, f), fputc(0x40, f);         /* 1100000001 */
	fputs("P3\n2 1\n15\n15 0 0  0 0 15\n", f);
	fputs("P7\nWIDTH 2\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\n"
	    "TUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n", f);
	fputc(0, f), fputc(0, f), fputc(0, f), fputc(255, f);
	fputs("P7\nWIDTH 1\nHEIGHT 1\nDEPTH 4\nMAXVAL 65535\n"
	    "TUPLTYPE RGB_ALPHA\nENDHDR\n", f);
	for (int i = 0; i < 4; i++)
		fputc(i < 2 ? 0 : 0xFF, f), fputc(i < 2 ? 0 : 0xFF, f);
	fputs("P5\n# htr src=scan.png line=3 box=1,2,3,4\n2 1\n255\n\x10\x20", f);
	fputs("\n\nP2 1 1 1000 500\n", f);
	rewind(f);

	CHECK(htr_image_read(f, &im) == 1 && im.w == 3 && im.h == 2);
	CHECK(!memcmp(im.pix, "\0\xff\0\xff\0\xff", 6));
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 10 && im.h == 1);
	CHECK(im.pix[0] == 0 && im.pix[1] == 0 && im.pix[2] == 255 &&
	    im.pix[9] == 0 && im.pix[8] == 255);
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 2);
	CHECK(im.pix[0] == 76 && im.pix[1] == 29);   /* red, blue luma */
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 2);
	CHECK(im.pix[0] == 255 && im.pix[1] == 0);   /* transparent, black */
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 1);
	CHECK(im.pix[0] == 29);                      /* opaque blue */
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 2);
	CHECK(!strcmp(im.tags, "src=scan.png line=3 box=1,2,3,4"));
	CHECK(im.pix[0] == 0x10 && im.pix[1] == 0x20);
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 1 && im.pix[0] == 128);
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 0);
	fclose(f);
}

static void
copy_into(FILE *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	int c;

	CHECK(f != NULL);
	while (f && (c = getc(f)) != EOF)
		putc(c, out);
	if (f)
		fclose(f);
}

/* Mixed stream through a pipe (no seeking, no lookahead beyond an image). */
static void
test_pipe(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[200];
	const char *order[] = { "color.jpg", "source.pgm", "color.png",
	    "progressive.jpg", "source.ppm", "gray.jpg" };
	struct htr_image im;
	char cmd[256];
	FILE *f;
	int n = 0, rc;

	snprintf(path, sizeof path, "%s/imgread-stream.bin", tmp ? tmp : "/tmp");
	f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < 6; i++) {
		char p[128];
		snprintf(p, sizeof p, DIR "%s", order[i]);
		copy_into(f, p);
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "cat '%s'", path);
	f = popen(cmd, "r");
	while ((rc = htr_image_read(f, &im)) == 1) {
		CHECK(im.w == 40 && im.h == 30);
		htr_image_free(&im);
		n++;
	}
	CHECKF(rc == 0, "image %d: %s", n, htr_errmsg());
	CHECK(n == 6);
	pclose(f);
}

static void
test_errors(void)
{
	static const struct {
		const char *file, *msg;
	} bad[] = {
		{ "truncated.png", "truncated" },
		{ "truncated.jpg", "truncated" },
		{ "huge.png", "limit" },
		{ "huge.pgm", "limit" },
		{ "random.bin", "unknown image format" },
		{ "wrong.gif", "unknown image format" },
	};
	struct htr_image im;
	char p[128];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(p, sizeof p, DIR "%s", bad[i].file);
		CHECKF(read_file(p, &im) == -1, "%s", bad[i].file);
		CHECKF(strstr(htr_errmsg(), bad[i].msg) != NULL, "%s: %s",
		    bad[i].file, htr_errmsg());
		CHECK(im.pix == NULL);
		CHECK(strchr(htr_errmsg(), '\n') == NULL);
	}
	CHECK(read_file(DIR "empty.pgm", &im) == 0);

	/* A camera's trailer after a JPEG is skipped, not an error. */
	FILE *f = tmpfile();
	copy_into(f, DIR "color.jpg");
	fputs("SEFH\x01\x02 trailer data", f);
	rewind(f);
	CHECK(htr_image_read(f, &im) == 1 && im.w == 40);
	htr_image_free(&im);
	CHECK(htr_image_read(f, &im) == 0);
	fclose(f);

	/* A broken PAM: the libnetpbm error comes back, nothing exits. */
	f = tmpfile();
	fputs("P7\nWIDTH 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\nENDHDR\n\x01", f);
	rewind(f);
	CHECK(htr_image_read(f, &im) == -1 && im.pix == NULL);
	CHECK(strlen(htr_errmsg()) > 0);
	fclose(f);
	f = tmpfile();
	fputs("P6\n100000 100000\n255\n", f);
	rewind(f);
	CHECK(htr_image_read(f, &im) == -1 && strstr(htr_errmsg(), "limit"));
	fclose(f);
	/* "P9" and a lone 'P' */
	f = tmpfile();
	fputs("P9", f);
	rewind(f);
	CHECK(htr_image_read(f, &im) == -1);
	fclose(f);
}

int
main(void)
{
	test_png();
	test_jpeg_pnm();
	test_cmyk();
	test_exif();
	test_netpbm_kinds();
	test_pipe();
	test_errors();
	return T_DONE();
}
