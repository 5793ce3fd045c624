/* synth.c — distortions, paper and ink of synthetic handwriting. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "htr.h"
#include "synth.h"
#include "utf8.h"

void
htr_synth_defaults(struct htr_synth_params *p)
{
	static const struct htr_synth_params d = {
		.height = 64,
		.size = {0.7f, 0.95f},
		.charspace = {-0.02f, 0.05f},
		.charjitter = 0.012f,
		.wordspace = {0.9f, 1.7f},
		.wordjitter = 0.15f,
		.wobble = 0.025f,
		.slant = {-0.15f, 0.35f},
		.rotate = 1.5f,
		.stroke = {-0.008f, 0.025f},
		.minstroke = 0.035f,
		.elastic = 0.02f,
		.elastic_scale = 0.5f,
		.ink = {0, 90},
		.opacity = {0.7f, 1},
		.pressure = 0.15f,
		.blur = {0.2f, 0.9f},
		.paper = {185, 250},
		.texture = 6,
		.noise = {1, 6},
		.margin = {0.02f, 0.3f},
		.neighbours = 0.2f,
		.jpeg = 0.5f,
		.quality = {30, 90},
	};

	*p = d;
}

void
htr_synth_plain(struct htr_synth_params *p)
{
	p->charspace[0] = p->charspace[1] = 0;
	p->charjitter = p->wordjitter = p->wobble = p->rotate = 0;
	p->wordspace[0] = p->wordspace[1] = 1;
	p->slant[0] = p->slant[1] = p->stroke[0] = p->stroke[1] = 0;
	p->elastic = 0;
	p->ink[0] = p->ink[1] = 0;
	p->opacity[0] = p->opacity[1] = 1;
	p->pressure = 0;
	p->blur[0] = p->blur[1] = 0;
	p->paper[0] = p->paper[1] = 255;
	p->texture = 0;
	p->noise[0] = p->noise[1] = 0;
	p->jpeg = 0;
	p->neighbours = 0;
}

static int
range_ok(const char *name, const float v[2], float lo, float hi)
{
	if (!(v[0] <= v[1]) || v[0] < lo || v[1] > hi)
		return htr_fail("%s %g,%g: want lo <= hi within [%g, %g]", name,
		    v[0], v[1], lo, hi);
	return 0;
}

static int
value_ok(const char *name, float v, float lo, float hi)
{
	if (!(v >= lo && v <= hi))
		return htr_fail("%s %g: want a value within [%g, %g]", name, v,
		    lo, hi);
	return 0;
}

int
htr_synth_check(const struct htr_synth_params *p)
{
	float q[2] = {(float)p->quality[0], (float)p->quality[1]};

	if (p->height < 8 || p->height > 1024)
		return htr_fail("height %d: want 8 to 1024 pixels", p->height);
	return range_ok("size", p->size, 0.05f, 2) ||
	    range_ok("charspace", p->charspace, -0.5f, 2) ||
	    value_ok("charjitter", p->charjitter, 0, 0.5f) ||
	    range_ok("wordspace", p->wordspace, 0, 10) ||
	    value_ok("wordjitter", p->wordjitter, 0, 2) ||
	    value_ok("wobble", p->wobble, 0, 0.5f) ||
	    range_ok("slant", p->slant, -2, 2) ||
	    value_ok("rotate", p->rotate, 0, 45) ||
	    range_ok("stroke", p->stroke, -0.05f, 0.2f) ||
	    value_ok("minstroke", p->minstroke, 0, 0.5f) ||
	    value_ok("elastic", p->elastic, 0, 0.5f) ||
	    value_ok("elastic scale", p->elastic_scale, 0.05f, 20) ||
	    range_ok("ink", p->ink, 0, 255) ||
	    range_ok("opacity", p->opacity, 0, 1) ||
	    value_ok("pressure", p->pressure, 0, 1) ||
	    range_ok("blur", p->blur, 0, 20) ||
	    range_ok("paper", p->paper, 0, 255) ||
	    value_ok("texture", p->texture, 0, 255) ||
	    range_ok("noise", p->noise, 0, 255) ||
	    range_ok("margin", p->margin, 0, 20) ||
	    value_ok("neighbours", p->neighbours, 0, 1) ||
	    value_ok("jpeg", p->jpeg, 0, 1) ||
	    range_ok("quality", q, 1, 100) ? -1 : 0;
}

float
htr_synth_range(struct htr_rng *r, const float lohi[2])
{
	return lohi[0] + (lohi[1] - lohi[0]) * htr_rng_uniform(r);
}

int
htr_synth_cov_init(struct htr_synth_cov *c, int w, int h)
{
	c->w = c->h = 0;
	c->a = NULL;
	if (htr_image_check_size(w, h))
		return -1;
	if (!(c->a = htr_zalloc((size_t)w * h, sizeof *c->a)))
		return -1;
	c->w = w;
	c->h = h;
	return 0;
}

void
htr_synth_cov_free(struct htr_synth_cov *c)
{
	free(c->a);
	c->a = NULL;
	c->w = c->h = 0;
}

/* Approximately standard normal from one 64-bit draw: the sum of four
 * 16-bit uniforms, centred and scaled (Irwin-Hall); cheap enough for a
 * value per pixel. */
static float
fast_normal(struct htr_rng *r)
{
	uint64_t x = htr_rng_u64(r);
	float s = (float)(x & 0xffff) + (float)(x >> 16 & 0xffff) +
	    (float)(x >> 32 & 0xffff) + (float)(x >> 48);

	return (s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

/* A smooth random field: values N(0,1) * amp on a grid of step 'step'
 * pixels, interpolated with smoothstep weights, made a row at a time.
 * g is [gh][gw]; xi, xu are each column's grid cell and weight. */
struct field {
	int w, gw, gh;
	float step, amp;
	float *g;                /* [gh][gw] */
	float *xu, *rv;          /* [w], [gw] */
	int *xi;                 /* [w] */
};

static float
smooth(float t)
{
	return t * t * (3 - 2 * t);
}

static void
field_free(struct field *f)
{
	free(f->g);
	free(f->xu);
	free(f->rv);
	free(f->xi);
	f->g = f->xu = f->rv = NULL;
	f->xi = NULL;
}

static int
field_init(struct field *f, int w, int h, float step, float amp,
    struct htr_rng *r)
{
	memset(f, 0, sizeof *f);
	if (step < 1)
		step = 1;
	f->w = w;
	f->step = step;
	f->amp = amp;
	f->gw = (int)(w / step) + 3;
	f->gh = (int)(h / step) + 3;
	if (!(f->g = htr_alloc((size_t)f->gw * f->gh, sizeof *f->g)) ||
	    !(f->rv = htr_alloc((size_t)f->gw, sizeof *f->rv)) ||
	    !(f->xu = htr_alloc((size_t)w, sizeof *f->xu)) ||
	    !(f->xi = htr_alloc((size_t)w, sizeof *f->xi))) {
		field_free(f);
		return -1;
	}
	for (int i = 0; i < f->gw * f->gh; i++)
		f->g[i] = amp * htr_rng_normal(r);
	for (int x = 0; x < w; x++) {
		float gx = x / step;
		f->xi[x] = (int)gx;
		f->xu[x] = smooth(gx - f->xi[x]);
	}
	return 0;
}

/* The field along row y: out[0..w-1]. */
static void
field_row(struct field *f, float y, float *out)
{
	float gy = y / f->step, v;
	int j = (int)gy;
	const float *g0 = f->g + (size_t)j * f->gw, *g1 = g0 + f->gw;

	v = smooth(gy - j);
	for (int i = 0; i < f->gw; i++)
		f->rv[i] = (1 - v) * g0[i] + v * g1[i];
	for (int x = 0; x < f->w; x++) {
		float u = f->xu[x];
		const float *rv = f->rv + f->xi[x];
		out[x] = (1 - u) * rv[0] + u * rv[1];
	}
}

/* Bilinear sample of c at (x, y); outside is no ink. */
static float
cov_at(const struct htr_synth_cov *c, float x, float y)
{
	/* floor by truncation and a correction: floorf is a library call
	 * on baseline x86-64, and this runs for every output pixel */
	int x0 = (int)x, y0 = (int)y;
	float u, v, s = 0;

	x0 -= x < x0;
	y0 -= y < y0;
	u = x - x0;
	v = y - y0;

	if (x0 >= 0 && y0 >= 0 && x0 < c->w - 1 && y0 < c->h - 1) {
		const float *a = c->a + (size_t)y0 * c->w + x0;
		return (1 - v) * ((1 - u) * a[0] + u * a[1]) +
		    v * ((1 - u) * a[c->w] + u * a[c->w + 1]);
	}
	for (int dy = 0; dy < 2; dy++) {
		int yy = y0 + dy;
		float wy = dy ? v : 1 - v;

		if (yy < 0 || yy >= c->h)
			continue;
		for (int dx = 0; dx < 2; dx++) {
			int xx = x0 + dx;

			if (xx < 0 || xx >= c->w)
				continue;
			s += wy * (dx ? u : 1 - u) * c->a[(size_t)yy * c->w + xx];
		}
	}
	return s;
}

/* Warps c by a smooth random displacement field of amplitude amp and
 * wavelength scale (output pixels) and resizes it to height h at the
 * same time, by bilinear sampling. */
static int
warp(struct htr_synth_cov *c, int h, float amp, float scale,
    struct htr_rng *r)
{
	struct field fx, fy;
	float *out = NULL, *dx = NULL, *dy, s = (float)c->h / h;
	int w = (int)lround((double)c->w * h / c->h);

	if (w < 1)
		w = 1;
	if (htr_image_check_size(w, h) ||
	    field_init(&fx, w, h, scale, amp * s, r))
		return -1;
	if (field_init(&fy, w, h, scale, amp * s, r) ||
	    !(out = htr_alloc((size_t)w * h, sizeof *out)) ||
	    !(dx = htr_alloc(2 * (size_t)w, sizeof *dx))) {
		field_free(&fx);
		field_free(&fy);
		free(out);
		return -1;
	}
	dy = dx + w;
	for (int y = 0; y < h; y++) {
		float *o = out + (size_t)y * w, sy = (y + 0.5f) * s - 0.5f;

		field_row(&fx, (float)y, dx);
		field_row(&fy, (float)y, dy);
		for (int x = 0; x < w; x++)
			o[x] = cov_at(c, (x + 0.5f) * s - 0.5f + dx[x],
			    sy + dy[x]);
	}
	field_free(&fx);
	field_free(&fy);
	free(dx);
	free(c->a);
	c->a = out;
	c->w = w;
	c->h = h;
	return 0;
}

int
htr_synth_elastic(struct htr_synth_cov *c, float amp, float scale,
    struct htr_rng *r)
{
	return amp > 0 ? warp(c, c->h, amp, scale, r) : 0;
}

/* Resamples n_in values (stride sin) to n_out values (stride sout): box
 * filter (area average) when shrinking, linear when growing. */
static void
resample(float *out, ptrdiff_t sout, int n_out, const float *in,
    ptrdiff_t sin, int n_in)
{
	double s = (double)n_in / n_out;

	for (int i = 0; i < n_out; i++) {
		double acc = 0;

		if (s > 1) {
			double a = i * s, b = a + s;
			int k0 = (int)a, k1 = (int)ceil(b);

			if (k1 > n_in)
				k1 = n_in;
			for (int k = k0; k < k1; k++) {
				double lo = k > a ? k : a, hi = k + 1 < b ? k + 1 : b;
				acc += (hi - lo) * in[k * sin];
			}
			acc /= s;
		} else {
			double x = (i + 0.5) * s - 0.5;
			int k = (int)floor(x);
			double t = x - k;

			if (k < 0)
				k = 0, t = 0;
			if (k >= n_in - 1)
				k = n_in - 1, t = 0;
			acc = in[k * sin] * (1 - t) +
			    (t > 0 ? in[(k + 1) * sin] * t : 0);
		}
		out[i * sout] = (float)acc;
	}
}

int
htr_synth_resize(struct htr_synth_cov *c, int h)
{
	int w = (int)lround((double)c->w * h / c->h);
	float *tmp, *out;

	if (w < 1)
		w = 1;
	if (h == c->h && w == c->w)
		return 0;
	if (htr_image_check_size(w, h))
		return -1;
	if (!(tmp = htr_alloc((size_t)c->h * w, sizeof *tmp)))
		return -1;
	if (!(out = htr_alloc((size_t)h * w, sizeof *out))) {
		free(tmp);
		return -1;
	}
	for (int y = 0; y < c->h; y++)
		resample(tmp + (size_t)y * w, 1, w, c->a + (size_t)y * c->w, 1,
		    c->w);
	for (int x = 0; x < w; x++)
		resample(out + x, w, h, tmp + x, w, c->h);
	free(tmp);
	free(c->a);
	c->a = out;
	c->w = w;
	c->h = h;
	return 0;
}

/* One row convolved with kernel k[-rad..rad] (outside the row is zero):
 * tap by tap over the whole row, so that the inner loops vectorise. */
static void
convolve_row(float *restrict out, const float *restrict in, int n,
    const float *k, int rad)
{
	memset(out, 0, (size_t)n * sizeof *out);
	for (int j = -rad; j <= rad; j++) {
		int lo = j < 0 ? -j : 0, hi = j > 0 ? n - j : n;
		float kj = k[j + rad];

		for (int i = lo; i < hi; i++)
			out[i] += kj * in[i + j];
	}
}

int
htr_synth_blur(struct htr_synth_cov *c, float sigma)
{
	int rad = (int)ceilf(3 * sigma), n = c->w > c->h ? c->w : c->h;
	float *k, *line, *out, sum = 0;

	if (sigma < 0.3f)       /* the neighbours' weights are below 0.4% */
		return 0;
	if (rad > 50)
		rad = 50;
	if (!(k = htr_alloc(2 * (size_t)rad + 1 + n, sizeof *k)))
		return -1;
	if (!(out = htr_alloc((size_t)c->w * c->h, sizeof *out))) {
		free(k);
		return -1;
	}
	line = k + 2 * rad + 1;
	for (int i = -rad; i <= rad; i++)
		sum += k[i + rad] = expf(-0.5f * i * i / (sigma * sigma));
	for (int i = 0; i <= 2 * rad; i++)
		k[i] /= sum;
	for (int y = 0; y < c->h; y++) {
		float *row = c->a + (size_t)y * c->w;
		convolve_row(line, row, c->w, k, rad);
		memcpy(row, line, (size_t)c->w * sizeof *row);
	}
	/* down the columns a row at a time, so that memory runs in order */
	for (int y = 0; y < c->h; y++) {
		float *restrict o = out + (size_t)y * c->w;

		memset(o, 0, (size_t)c->w * sizeof *o);
		for (int j = -rad; j <= rad; j++) {
			const float *restrict in;
			float kj = k[j + rad];

			if (y + j < 0 || y + j >= c->h)
				continue;
			in = c->a + (size_t)(y + j) * c->w;
			for (int x = 0; x < c->w; x++)
				o[x] += kj * in[x];
		}
	}
	free(k);
	free(c->a);
	c->a = out;
	return 0;
}

/* libjpeg reports errors by calling error_exit, which must not return. */
struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX];
};

static void
jpeg_fail(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	e->mgr.format_message(cinfo, e->msg);
	longjmp(e->jmp, 1);
}

int
htr_synth_jpeg(struct htr_image *im, int quality)
{
	struct jpeg_compress_struct cc;
	struct jpeg_decompress_struct dc;
	struct jerr err;
	unsigned char *volatile mem = NULL;
	unsigned long size = 0;
	volatile int have_c = 0, have_d = 0;

	cc.err = dc.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jpeg_fail;
	if (setjmp(err.jmp)) {
		if (have_c)
			jpeg_destroy_compress(&cc);
		if (have_d)
			jpeg_destroy_decompress(&dc);
		free(mem);
		return htr_fail("JPEG round trip: %s", err.msg);
	}
	jpeg_create_compress(&cc);
	have_c = 1;
	{
		unsigned char *m = NULL;
		jpeg_mem_dest(&cc, &m, &size);
		cc.image_width = (JDIMENSION)im->w;
		cc.image_height = (JDIMENSION)im->h;
		cc.input_components = 1;
		cc.in_color_space = JCS_GRAYSCALE;
		jpeg_set_defaults(&cc);
		cc.dct_method = JDCT_ISLOW;
		jpeg_set_quality(&cc, quality, TRUE);
		jpeg_start_compress(&cc, TRUE);
		while (cc.next_scanline < cc.image_height) {
			JSAMPROW row = im->pix + (size_t)cc.next_scanline * im->w;
			jpeg_write_scanlines(&cc, &row, 1);
		}
		jpeg_finish_compress(&cc);
		mem = m;
	}
	jpeg_destroy_compress(&cc);
	have_c = 0;
	jpeg_create_decompress(&dc);
	have_d = 1;
	jpeg_mem_src(&dc, mem, size);
	jpeg_read_header(&dc, TRUE);
	dc.out_color_space = JCS_GRAYSCALE;
	dc.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&dc);
	if ((int)dc.output_width != im->w || (int)dc.output_height != im->h ||
	    dc.output_components != 1) {
		snprintf(err.msg, sizeof err.msg, "decoded image has another "
		    "size");
		longjmp(err.jmp, 1);
	}
	while (dc.output_scanline < dc.output_height) {
		JSAMPROW row = im->pix + (size_t)dc.output_scanline * im->w;
		jpeg_read_scanlines(&dc, &row, 1);
	}
	jpeg_finish_decompress(&dc);
	jpeg_destroy_decompress(&dc);
	free(mem);
	return 0;
}

/* Index i folded into [0, n) by mirroring: 0 1 .. n-1 n-1 .. 0 0 1 .. */
static int
mirror(long i, int n)
{
	long p = 2L * n;

	i %= p;
	if (i < 0)
		i += p;
	return (int)(i < n ? i : p - 1 - i);
}

int
htr_synth_finish(struct htr_image *out, struct htr_synth_cov *cov,
    const struct htr_synth_params *p, const struct htr_image *bg,
    struct htr_rng *r)
{
	struct field tex, pressure;
	float paper, ink, opacity, noise, blur, *op = NULL, *pap, *nz;
	int H = p->height, ox = 0, oy = 0;

	out->pix = NULL;
	/* warp and scale in one bilinear pass, unless the map is much
	 * taller than wanted: then average it down first */
	if (cov->h > 1.3 * H && htr_synth_resize(cov, H))
		return -1;
	if ((p->elastic > 0 || cov->h != H) &&
	    warp(cov, H, p->elastic * H, p->elastic_scale * H, r))
		return -1;
	blur = htr_synth_range(r, p->blur);
	if (htr_synth_blur(cov, blur))
		return -1;
	paper = htr_synth_range(r, p->paper);
	ink = htr_synth_range(r, p->ink);
	if (ink > paper - 40)
		ink = paper - 40 > 0 ? paper - 40 : 0;
	opacity = htr_synth_range(r, p->opacity);
	noise = htr_synth_range(r, p->noise);
	if (bg) {
		ox = (int)htr_rng_below(r, (uint32_t)bg->w);
		oy = (int)htr_rng_below(r, (uint32_t)bg->h);
	}
	/* paper texture: blotches of a line or two; pressure: the ink fades
	 * and darkens along the line every few letters */
	if (field_init(&tex, cov->w, H, H * 1.5f, p->texture, r))
		return -1;
	if (field_init(&pressure, cov->w, 1, H * 1.5f, p->pressure, r) ||
	    !(op = htr_alloc(3 * (size_t)cov->w, sizeof *op)) ||
	    htr_image_init(out, cov->w, H, 255)) {
		field_free(&tex);
		field_free(&pressure);
		free(op);
		return -1;
	}
	pap = op + cov->w;
	nz = pap + cov->w;
	field_row(&pressure, 0, op);
	for (int x = 0; x < cov->w; x++)
		op[x] = opacity * (1 - fminf(fabsf(op[x]), 1));
	for (int y = 0; y < H; y++) {
		const float *a = cov->a + (size_t)y * cov->w;
		unsigned char *o = out->pix + (size_t)y * cov->w;

		if (bg) {
			const unsigned char *b = bg->pix +
			    (size_t)mirror(oy + y, bg->h) * bg->w;
			for (int x = 0; x < cov->w; x++)
				pap[x] = b[mirror(ox + x, bg->w)];
		} else {
			field_row(&tex, (float)y, pap);
			for (int x = 0; x < cov->w; x++)
				pap[x] += paper;
		}
		/* the noise first (the generator is sequential), then a
		 * loop without calls or branches that vectorises */
		if (noise > 0)
			for (int x = 0; x < cov->w; x++)
				nz[x] = noise * fast_normal(r);
		else
			memset(nz, 0, (size_t)cov->w * sizeof *nz);
		for (int x = 0; x < cov->w; x++) {
			float t = a[x] * op[x], v;

			t = t < 1 ? t : 1;
			v = pap[x] * (1 - t) + ink * t + nz[x];
			v = v > 0 ? v : 0;
			v = v < 255 ? v : 255;
			o[x] = (unsigned char)(v + 0.5f);
		}
	}
	field_free(&tex);
	field_free(&pressure);
	free(op);
	if (htr_rng_uniform(r) < p->jpeg) {
		int q = p->quality[0] + (int)htr_rng_below(r,
		    (uint32_t)(p->quality[1] - p->quality[0] + 1));
		if (htr_synth_jpeg(out, q)) {
			htr_image_free(out);
			return -1;
		}
	}
	return 0;
}

int
htr_synth_encode(char *buf, size_t n, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
		int esc = *s == '%' || *s <= ' ' || *s == 0x7f;

		if (k + (esc ? 3 : 1) >= n)
			return htr_fail("encoded text longer than %zu bytes",
			    n ? n - 1 : 0);
		if (esc) {
			buf[k++] = '%';
			buf[k++] = hex[*s >> 4];
			buf[k++] = hex[*s & 15];
		} else
			buf[k++] = (char)*s;
	}
	if (k >= n)
		return htr_fail("encoded text does not fit");
	buf[k] = 0;
	return (int)k;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
htr_synth_decode(char *buf, size_t n, const char *enc)
{
	size_t k = 0;

	for (const char *s = enc; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0)
				return htr_fail("malformed %%XX escape in "
				    "encoded text");
			c = hi << 4 | lo;
			s += 2;
		}
		if (k + 1 >= n)
			return htr_fail("decoded text does not fit");
		buf[k++] = (char)c;
	}
	if (!n)
		return htr_fail("decoded text does not fit");
	buf[k] = 0;
	return (int)k;
}

int
htr_synth_utf8(uint32_t *cp, int n, const char *str)
{
	long k = htr_utf8_decode(str, cp, n);

	if (k > n)
		return htr_fail("text longer than %d characters", n);
	return (int)k;
}
