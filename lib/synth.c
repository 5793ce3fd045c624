/* synth.c — distortions, paper and ink of synthetic handwriting. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "htr.h"
#include "synth.h"

void
htr_synth_defaults(struct htr_synth_params *p)
{
	static const struct htr_synth_params d = {
		.height = 64,
		.size = {0.62f, 0.88f},
		.charspace = {-0.02f, 0.05f},
		.charjitter = 0.012f,
		.wordspace = {0.9f, 1.7f},
		.wordjitter = 0.15f,
		.wobble = 0.025f,
		.slant = {-0.15f, 0.35f},
		.rotate = 1.5f,
		.stroke = {-0.008f, 0.025f},
		.elastic = 0.02f,
		.elastic_scale = 0.5f,
		.ink = {0, 90},
		.opacity = {0.7f, 1},
		.blur = {0.2f, 0.9f},
		.paper = {185, 250},
		.texture = 6,
		.noise = {1, 6},
		.margin = {0.05f, 0.4f},
		.jpeg = 0.5f,
		.quality = {30, 90},
	};

	*p = d;
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
	    value_ok("elastic", p->elastic, 0, 0.5f) ||
	    value_ok("elastic scale", p->elastic_scale, 0.05f, 20) ||
	    range_ok("ink", p->ink, 0, 255) ||
	    range_ok("opacity", p->opacity, 0, 1) ||
	    range_ok("blur", p->blur, 0, 20) ||
	    range_ok("paper", p->paper, 0, 255) ||
	    value_ok("texture", p->texture, 0, 255) ||
	    range_ok("noise", p->noise, 0, 255) ||
	    range_ok("margin", p->margin, 0, 20) ||
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
 * pixels, interpolated with smoothstep weights.  grid is [gh][gw]. */
struct field {
	int gw, gh;
	float step, amp;
	float *g;
};

static int
field_init(struct field *f, int w, int h, float step, float amp,
    struct htr_rng *r)
{
	if (step < 1)
		step = 1;
	f->step = step;
	f->amp = amp;
	f->gw = (int)(w / step) + 3;
	f->gh = (int)(h / step) + 3;
	if (!(f->g = htr_alloc((size_t)f->gw * f->gh, sizeof *f->g)))
		return -1;
	for (int i = 0; i < f->gw * f->gh; i++)
		f->g[i] = amp * htr_rng_normal(r);
	return 0;
}

static float
smooth(float t)
{
	return t * t * (3 - 2 * t);
}

static float
field_at(const struct field *f, float x, float y)
{
	float gx = x / f->step, gy = y / f->step;
	int i = (int)gx, j = (int)gy;
	float u = smooth(gx - i), v = smooth(gy - j);
	const float *g = f->g + (size_t)j * f->gw + i;

	return (1 - v) * ((1 - u) * g[0] + u * g[1]) +
	    v * ((1 - u) * g[f->gw] + u * g[f->gw + 1]);
}

/* Bilinear sample of c at (x, y); outside is no ink. */
static float
cov_at(const struct htr_synth_cov *c, float x, float y)
{
	int x0 = (int)floorf(x), y0 = (int)floorf(y);
	float u = x - x0, v = y - y0, s = 0;

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

int
htr_synth_elastic(struct htr_synth_cov *c, float amp, float scale,
    struct htr_rng *r)
{
	struct field fx, fy;
	float *out;

	if (amp <= 0)
		return 0;
	fx.g = fy.g = NULL;
	if (field_init(&fx, c->w, c->h, scale, amp, r) ||
	    field_init(&fy, c->w, c->h, scale, amp, r) ||
	    !(out = htr_alloc((size_t)c->w * c->h, sizeof *out))) {
		free(fx.g);
		free(fy.g);
		return -1;
	}
	for (int y = 0; y < c->h; y++)
		for (int x = 0; x < c->w; x++)
			out[(size_t)y * c->w + x] = cov_at(c,
			    x + field_at(&fx, (float)x, (float)y),
			    y + field_at(&fy, (float)x, (float)y));
	free(fx.g);
	free(fy.g);
	free(c->a);
	c->a = out;
	return 0;
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

/* 1-D convolution with kernel k[-rad..rad] of n values at stride st;
 * outside is zero. */
static void
convolve(float *out, const float *in, ptrdiff_t st, int n, const float *k,
    int rad)
{
	for (int i = 0; i < n; i++) {
		int lo = i - rad < 0 ? rad - i : 0;
		int hi = i + rad >= n ? rad + (n - 1 - i) : 2 * rad;
		float s = 0;

		for (int j = lo; j <= hi; j++)
			s += k[j] * in[(i - rad + j) * st];
		out[i] = s;
	}
}

int
htr_synth_blur(struct htr_synth_cov *c, float sigma)
{
	int rad = (int)ceilf(3 * sigma), n = c->w > c->h ? c->w : c->h;
	float *k, *line, sum = 0;

	if (sigma < 0.05f)
		return 0;
	if (rad > 50)
		rad = 50;
	if (!(k = htr_alloc(2 * (size_t)rad + 1 + n, sizeof *k)))
		return -1;
	line = k + 2 * rad + 1;
	for (int i = -rad; i <= rad; i++)
		sum += k[i + rad] = expf(-0.5f * i * i / (sigma * sigma));
	for (int i = 0; i <= 2 * rad; i++)
		k[i] /= sum;
	for (int y = 0; y < c->h; y++) {
		float *row = c->a + (size_t)y * c->w;
		convolve(line, row, 1, c->w, k, rad);
		memcpy(row, line, (size_t)c->w * sizeof *row);
	}
	for (int x = 0; x < c->w; x++) {
		convolve(line, c->a + x, c->w, c->h, k, rad);
		for (int y = 0; y < c->h; y++)
			c->a[(size_t)y * c->w + x] = line[y];
	}
	free(k);
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
	struct field tex = {0}, pressure = {0};
	float paper, ink, opacity, noise, blur;
	int H = p->height, ox = 0, oy = 0;

	out->pix = NULL;
	if (htr_synth_elastic(cov, p->elastic * cov->h,
	    p->elastic_scale * cov->h, r) ||
	    htr_synth_resize(cov, H))
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
	/* paper texture: blotches of about half a line; pressure: the ink
	 * fades and darkens along the line every few letters */
	if (field_init(&tex, cov->w, H, H * 1.5f, p->texture, r) ||
	    field_init(&pressure, cov->w, 1, H * 1.5f, 0.15f, r) ||
	    htr_image_init(out, cov->w, H, 255)) {
		free(tex.g);
		free(pressure.g);
		return -1;
	}
	for (int x = 0; x < cov->w; x++) {
		float o = opacity * (1 - fabsf(field_at(&pressure, (float)x, 0)));

		for (int y = 0; y < H; y++) {
			size_t i = (size_t)y * cov->w + x;
			float a = cov->a[i] * o, pap, v;

			if (a > 1)
				a = 1;
			if (bg)
				pap = bg->pix[(size_t)mirror(oy + y, bg->h) *
				    bg->w + mirror(ox + x, bg->w)];
			else
				pap = paper + field_at(&tex, (float)x, (float)y);
			v = pap * (1 - a) + ink * a + noise * fast_normal(r);
			out->pix[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 :
			    v + 0.5f);
		}
	}
	free(tex.g);
	free(pressure.g);
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
	const unsigned char *s = (const unsigned char *)str;
	int k = 0;

	while (*s) {
		uint32_t c = *s++, min;
		int more;

		if (c < 0x80)
			more = 0, min = 0;
		else if ((c & 0xe0) == 0xc0)
			more = 1, c &= 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			more = 2, c &= 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			more = 3, c &= 0x07, min = 0x10000;
		else
			return htr_fail("invalid UTF-8");
		while (more--) {
			if ((*s & 0xc0) != 0x80)
				return htr_fail("invalid UTF-8");
			c = c << 6 | (*s++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			return htr_fail("invalid UTF-8");
		if (k >= n)
			return htr_fail("text longer than %d characters", n);
		cp[k++] = c;
	}
	return k;
}
