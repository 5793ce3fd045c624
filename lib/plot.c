/* plot.c — learning-curve PNG with a tiny built-in bitmap font. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "htr.h"
#include "plot.h"

#define PW 720
#define PH 420
#define ML 70           /* margins: left, right, top, bottom */
#define MR 70
#define MT 30
#define MB 50

struct canvas {
	unsigned char px[PH][PW][3];
};

static void
dot(struct canvas *c, int x, int y, const unsigned char rgb[3])
{
	if (x >= 0 && y >= 0 && x < PW && y < PH)
		memcpy(c->px[y][x], rgb, 3);
}

static void
line(struct canvas *c, double x0, double y0, double x1, double y1,
    const unsigned char rgb[3], int thick)
{
	int n = (int)(fmax(fabs(x1 - x0), fabs(y1 - y0)) * 2) + 1;

	for (int i = 0; i <= n; i++) {
		double t = (double)i / n;
		int x = (int)lround(x0 + t * (x1 - x0));
		int y = (int)lround(y0 + t * (y1 - y0));
		for (int dy = 0; dy < thick; dy++)
			for (int dx = 0; dx < thick; dx++)
				dot(c, x + dx - thick / 2, y + dy - thick / 2, rgb);
	}
}

/* 5x7 glyphs: one byte per row, bit 4 = leftmost column. */
static const struct {
	char ch;
	unsigned char row[7];
} font[] = {
	{'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
	{'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
	{'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
	{'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
	{'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
	{'.', {0, 0, 0, 0, 0, 12, 12}},      {'%', {24, 25, 2, 4, 8, 19, 3}},
	{'-', {0, 0, 0, 31, 0, 0, 0}},       {' ', {0, 0, 0, 0, 0, 0, 0}},
	{'a', {0, 0, 14, 1, 15, 17, 15}},    {'c', {0, 0, 14, 16, 16, 17, 14}},
	{'d', {1, 1, 13, 19, 17, 17, 15}},   {'e', {0, 0, 14, 17, 31, 16, 14}},
	{'h', {16, 16, 22, 25, 17, 17, 17}}, {'i', {4, 0, 12, 4, 4, 4, 14}},
	{'l', {12, 4, 4, 4, 4, 4, 14}},      {'n', {0, 0, 22, 25, 17, 17, 17}},
	{'o', {0, 0, 14, 17, 17, 17, 14}},   {'p', {0, 0, 30, 17, 30, 16, 16}},
	{'r', {0, 0, 22, 25, 16, 16, 16}},   {'s', {0, 0, 15, 16, 14, 1, 30}},
	{'t', {8, 8, 28, 8, 8, 9, 6}},       {'v', {0, 0, 17, 17, 17, 10, 4}},
	{'(', {2, 4, 8, 8, 8, 4, 2}},        {')', {8, 4, 2, 2, 2, 4, 8}},
};

static void
text(struct canvas *c, int x, int y, const char *s,
    const unsigned char rgb[3])
{
	for (; *s; s++, x += 6)
		for (size_t g = 0; g < sizeof font / sizeof font[0]; g++)
			if (font[g].ch == *s) {
				for (int r = 0; r < 7; r++)
					for (int b = 0; b < 5; b++)
						if (font[g].row[r] >> (4 - b) & 1)
							dot(c, x + b, y + r, rgb);
				break;
			}
}

static int
write_png(const char *path, struct canvas *c)
{
	struct htr_atomic a;
	FILE *f = htr_atomic_open(&a, path);
	png_structp png;
	png_infop info;

	if (!f)
		return -1;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info) {
		png_destroy_write_struct(&png, NULL);
		htr_atomic_abort(&a);
		return htr_fail("%s: out of memory", path);
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		htr_atomic_abort(&a);
		return htr_fail("%s: PNG write error", path);
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, PW, PH, 8, PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < PH; y++)
		png_write_row(png, c->px[y][0]);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return htr_atomic_commit(&a);
}

/* A round axis maximum >= v: 1, 2 or 5 times a power of ten. */
static double
nice_max(double v)
{
	double p;

	if (!(v > 0))
		return 1;
	p = pow(10, floor(log10(v)));
	for (int k = 1; k <= 10; k++)
		if (k * p >= v && (k == 1 || k == 2 || k == 5 || k == 10))
			return k * p;
	return 10 * p;
}

int
htr_plot_curve(const char *png, const double *ep, const double *loss,
    const double *err, int n)
{
	static const unsigned char black[3] = {0, 0, 0},
	    gray[3] = {220, 220, 220}, blue[3] = {30, 90, 200},
	    red[3] = {210, 40, 40};
	struct canvas *c = htr_alloc(1, sizeof *c);
	double emax = 1, lmax = 0, rmax = 0;
	char buf[32];
	int haserr = 0, r;

	if (!c)
		return -1;
	memset(c, 255, sizeof *c);
	for (int i = 0; i < n; i++) {
		if (ep[i] > emax)
			emax = ep[i];
		if (isfinite(loss[i]) && loss[i] > lmax)
			lmax = loss[i];
		if (isfinite(err[i]) && err[i] >= 0) {
			haserr = 1;
			if (err[i] * 100 > rmax)
				rmax = err[i] * 100;
		}
	}
	lmax = nice_max(lmax);
	rmax = nice_max(rmax);
	int x0 = ML, x1 = PW - MR, y0 = PH - MB, y1 = MT;
#define X(e) (x0 + (x1 - x0) * (e) / emax)
#define YL(v) (y0 - (y0 - y1) * (v) / lmax)
#define YR(v) (y0 - (y0 - y1) * (v) / rmax)
	for (int k = 0; k <= 5; k++) {
		double y = y0 - (y0 - y1) * k / 5.0;
		line(c, x0, y, x1, y, gray, 1);
		snprintf(buf, sizeof buf, "%g", lmax * k / 5);
		text(c, x0 - 8 - 6 * (int)strlen(buf), (int)y - 3, buf, blue);
		if (haserr) {
			snprintf(buf, sizeof buf, "%g%%", rmax * k / 5);
			text(c, x1 + 8, (int)y - 3, buf, red);
		}
	}
	int step = emax <= 10 ? 1 : (int)nice_max(emax / 10);
	for (int e = 0; e <= emax; e += step) {
		line(c, X(e), y0, X(e), y0 + 4, black, 1);
		snprintf(buf, sizeof buf, "%d", e);
		text(c, (int)X(e) - 3 * (int)strlen(buf), y0 + 8, buf, black);
	}
	line(c, x0, y0, x1, y0, black, 1);
	line(c, x0, y0, x0, y1, black, 1);
	line(c, x1, y0, x1, y1, black, 1);
	text(c, (x0 + x1) / 2 - 15, PH - 18, "epoch", black);
	text(c, x0, 10, "train loss", blue);
	if (haserr)
		text(c, x1 - 6 * 17, 10, "valid error (%)", red);
	for (int i = 0; i < n; i++) {
		if (isfinite(loss[i])) {
			if (i > 0 && isfinite(loss[i - 1]))
				line(c, X(ep[i - 1]), YL(loss[i - 1]), X(ep[i]),
				    YL(loss[i]), blue, 2);
			line(c, X(ep[i]) - 2, YL(loss[i]), X(ep[i]) + 2,
			    YL(loss[i]), blue, 3);
		}
		if (isfinite(err[i]) && err[i] >= 0) {
			if (i > 0 && isfinite(err[i - 1]) && err[i - 1] >= 0)
				line(c, X(ep[i - 1]), YR(100 * err[i - 1]),
				    X(ep[i]), YR(100 * err[i]), red, 2);
			line(c, X(ep[i]) - 2, YR(100 * err[i]), X(ep[i]) + 2,
			    YR(100 * err[i]), red, 3);
		}
	}
#undef X
#undef YL
#undef YR
	r = write_png(png, c);
	free(c);
	return r;
}

int
htr_plot_log(const char *png, const char *csv)
{
	FILE *f = fopen(csv, "r");
	double *ep = NULL, *loss = NULL, *err = NULL;
	int n = 0, cap = 0, r = -1;
	char line[1024];

	if (!f)
		return htr_fail("%s: %s", csv, strerror(errno));
	if (!fgets(line, sizeof line, f) ||
	    strncmp(line, "epoch,step,train_loss,valid_error", 33)) {
		fclose(f);
		return htr_fail("%s: not an htr-train log (header)", csv);
	}
	while (fgets(line, sizeof line, f)) {
		double e, l, v;
		long step;
		char vs[64];

		if (sscanf(line, "%lf,%ld,%lf,%63[^,]", &e, &step, &l, vs) != 4) {
			htr_fail("%s:%d: not an htr-train log row", csv, n + 2);
			goto out;
		}
		v = strtod(vs, NULL);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			double *a = htr_realloc(ep, cap, sizeof *a);
			if (!a)
				goto out;
			ep = a;
			if (!(a = htr_realloc(loss, cap, sizeof *a)))
				goto out;
			loss = a;
			if (!(a = htr_realloc(err, cap, sizeof *a)))
				goto out;
			err = a;
		}
		ep[n] = e;
		loss[n] = l;
		err[n] = v;
		n++;
	}
	if (n == 0) {
		htr_fail("%s: no epochs logged", csv);
		goto out;
	}
	r = htr_plot_curve(png, ep, loss, err, n);
out:
	fclose(f);
	free(ep);
	free(loss);
	free(err);
	return r;
}
