/* font.c — text to an ink coverage map with FreeType. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include "htr.h"
#include "font.h"

#define MAX_FONT_FILE (64L << 20)
#define CACHE_CPS 0x3000         /* code points whose check is cached */

/* FreeType's own table of error messages (the documented way to build
 * it: Debian's FreeType has no FT_Error_String strings). */
#undef FTERRORS_H_
#define FT_ERRORDEF(e, v, s) { e, s },
#define FT_ERROR_START_LIST {
#define FT_ERROR_END_LIST { 0, NULL } };
static const struct {
	int code;
	const char *msg;
} ft_errors[] =
#include FT_ERRORS_H

static int
ft_fail(const char *what, FT_Error e)
{
	for (int i = 0; ft_errors[i].msg; i++)
		if (ft_errors[i].code == e)
			return htr_fail("%s: %s", what, ft_errors[i].msg);
	return htr_fail("%s: FreeType error 0x%02x", what, (unsigned)e);
}

static int
is_space(uint32_t c)
{
	return c == ' ' || c == 0xa0 || (c >= 0x2000 && c <= 0x200b) ||
	    c == 0x202f || c == 0x3000;
}

/* Extent of the glyphs of the characters in s: the highest top
 * (top != 0) or lowest bottom, in font units; *found = 0 if none. */
static int
extent(FT_Face face, const char *s, int top, int *found)
{
	int best = 0;

	*found = 0;
	for (; *s; s++) {
		FT_UInt gi = FT_Get_Char_Index(face, (FT_ULong)*s);
		FT_BBox b;

		if (!gi || FT_Load_Glyph(face, gi, FT_LOAD_NO_SCALE) ||
		    face->glyph->format != FT_GLYPH_FORMAT_OUTLINE ||
		    face->glyph->outline.n_contours <= 0)
			continue;
		FT_Outline_Get_CBox(&face->glyph->outline, &b);
		if (!*found || (top ? b.yMax > best : b.yMin < best))
			best = (int)(top ? b.yMax : b.yMin);
		*found = 1;
	}
	return best;
}

/* Mean stroke width of the glyphs of s, in em: twice the ink area over
 * the ink's outline length, measured on a 100-pixel rendering.  Returns 0
 * if nothing could be rendered. */
static double
stem_width(FT_Face face, const char *s)
{
	double area = 0, edge = 0;

	if (FT_Set_Pixel_Sizes(face, 0, 100))
		return 0;
	for (; *s; s++) {
		FT_UInt gi = FT_Get_Char_Index(face, (FT_ULong)*s);
		const FT_Bitmap *b = &face->glyph->bitmap;

		if (!gi || FT_Load_Glyph(face, gi, FT_LOAD_NO_HINTING |
		    FT_LOAD_NO_BITMAP) || FT_Render_Glyph(face->glyph,
		    FT_RENDER_MODE_NORMAL) || b->pixel_mode !=
		    FT_PIXEL_MODE_GRAY)
			continue;
		for (int y = 0; y < (int)b->rows; y++)
			for (int x = 0; x < (int)b->width; x++) {
				const unsigned char *p = b->buffer +
				    (ptrdiff_t)y * b->pitch + x;
				if (*p < 128)
					continue;
				area++;
				edge += x == 0 || p[-1] < 128;
				edge += x == (int)b->width - 1 || p[1] < 128;
				edge += y == 0 || p[-b->pitch] < 128;
				edge += y == (int)b->rows - 1 ||
				    p[b->pitch] < 128;
			}
	}
	/* a pixel's 4-neighbour edges overcount a slanted outline's length
	 * by about 4/pi */
	return edge > 0 ? 2 * area / (edge * (M_PI / 4)) / 100 : 0;
}

static int
open_face(FT_Library lib, const struct htr_font *f, FT_Face *face)
{
	FT_Error e = FT_New_Memory_Face(lib, f->data, (FT_Long)f->size, 0, face);

	if (e) {
		*face = NULL;
		/* a FreeType built without Brotli does not know the format */
		if (f->size >= 4 && !memcmp(f->data, "wOF2", 4) &&
		    e == FT_Err_Unknown_File_Format)
			return htr_fail("this FreeType cannot read WOFF2 fonts "
			    "(built without Brotli); convert the font to TTF");
		return ft_fail("not a font FreeType can read", e);
	}
	if (!FT_IS_SCALABLE(*face) || FT_Select_Charmap(*face,
	    FT_ENCODING_UNICODE)) {
		int scalable = FT_IS_SCALABLE(*face);

		FT_Done_Face(*face);
		*face = NULL;
		return htr_fail(scalable ? "font has no Unicode character map" :
		    "not a scalable (outline) font");
	}
	return 0;
}

int
htr_font_load(struct htr_font *f, const char *path)
{
	FT_Library lib;
	FT_Face face;
	struct stat st;
	FILE *fp;
	long n;
	int ok_a, ok_d;

	memset(f, 0, sizeof *f);
	if (!(fp = fopen(path, "rb")))
		return htr_fail("%s", strerror(errno));
	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return htr_fail("not a regular file");
	}
	if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET)) {
		fclose(fp);
		return htr_fail("cannot determine the file size");
	}
	if (n < 12 || n > MAX_FONT_FILE) {
		fclose(fp);
		return htr_fail("%ld bytes: not a font file", n);
	}
	if (!(f->data = htr_alloc((size_t)n, 1)) ||
	    !(f->path = htr_alloc(strlen(path) + 1, 1))) {
		fclose(fp);
		htr_font_free(f);
		return -1;
	}
	if (fread(f->data, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		htr_font_free(f);
		return htr_fail("read error");
	}
	fclose(fp);
	f->size = (size_t)n;
	strcpy(f->path, path);
	f->name = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	if (FT_Init_FreeType(&lib)) {
		htr_font_free(f);
		return htr_fail("cannot start FreeType");
	}
	if (open_face(lib, f, &face)) {
		FT_Done_FreeType(lib);
		htr_font_free(f);
		return -1;
	}
	f->upem = face->units_per_EM;
	f->asc = extent(face, "bdfhklAH", 1, &ok_a);
	f->desc = extent(face, "gjpqy", 0, &ok_d);
	if (!ok_a)
		f->asc = face->ascender;
	if (!ok_d)
		f->desc = face->descender;
	{
		int xh = extent(face, "xvwz", 1, &ok_a);
		int ch = extent(face, "XVWZ", 1, &ok_d);

		f->caps = ok_a && ok_d && xh > 0.85 * ch;
	}
	f->stem = stem_width(face, "nuoaemdhb");
	/* capitals-only fonts have no descenders: keep room for them in the
	 * line box all the same, as a writer would */
	if (f->desc > -f->asc / 5)
		f->desc = -f->asc / 5;
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
	if (f->upem <= 0 || f->asc <= 0 || f->desc >= f->asc ||
	    f->asc - f->desc > 8 * f->upem) {
		htr_font_free(f);
		return htr_fail("font has no usable Latin letters or metrics");
	}
	if (f->desc > 0)
		f->desc = 0;
	return 0;
}

void
htr_font_free(struct htr_font *f)
{
	free(f->data);
	free(f->path);
	memset(f, 0, sizeof *f);
}

struct htr_font_ctx {
	FT_Library lib;
	const struct htr_font *fonts;
	int n;
	FT_Face *face;           /* [n], opened on first use */
	unsigned char **known;   /* [n][CACHE_CPS]: 0 unknown, 1 has, 2 lacks */
	/* the glyph bitmaps of one line before they are composed */
	struct glyph { int x, y, w, h; size_t off; } *g;
	int ng, gcap;
	unsigned char *pix;
	size_t npix, pixcap;
};

struct htr_font_ctx *
htr_font_ctx_new(const struct htr_font *fonts, int n)
{
	struct htr_font_ctx *c = htr_zalloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fonts = fonts;
	c->n = n;
	if (!(c->face = htr_zalloc((size_t)n, sizeof *c->face)) ||
	    !(c->known = htr_zalloc((size_t)n, sizeof *c->known))) {
		htr_font_ctx_free(c);
		return NULL;
	}
	if (FT_Init_FreeType(&c->lib)) {
		c->lib = NULL;
		htr_font_ctx_free(c);
		htr_fail("cannot start FreeType");
		return NULL;
	}
	return c;
}

void
htr_font_ctx_free(struct htr_font_ctx *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++) {
		if (c->face && c->face[i])
			FT_Done_Face(c->face[i]);
		if (c->known)
			free(c->known[i]);
	}
	if (c->lib)
		FT_Done_FreeType(c->lib);
	free(c->face);
	free(c->known);
	free(c->g);
	free(c->pix);
	free(c);
}

static FT_Face
face_of(struct htr_font_ctx *c, int i)
{
	HTR_ASSERT(i >= 0 && i < c->n);
	if (!c->face[i]) {
		if (!c->known[i] && !(c->known[i] = htr_zalloc(CACHE_CPS, 1)))
			return NULL;
		if (open_face(c->lib, &c->fonts[i], &c->face[i]))
			return NULL;
	}
	return c->face[i];
}

/* 1 if the font draws something for cp: a glyph with an outline. */
static int
has_glyph(FT_Face face, uint32_t cp)
{
	FT_UInt gi = FT_Get_Char_Index(face, cp);

	return gi && !FT_Load_Glyph(face, gi, FT_LOAD_NO_SCALE) &&
	    face->glyph->format == FT_GLYPH_FORMAT_OUTLINE &&
	    face->glyph->outline.n_contours > 0;
}

int
htr_font_covers(struct htr_font_ctx *c, int i, const uint32_t *cp, int n,
    uint32_t *missing)
{
	FT_Face face = face_of(c, i);

	if (!face)
		return -1;
	for (int k = 0; k < n; k++) {
		uint32_t ch = cp[k];
		int ok;

		if (is_space(ch))
			continue;
		if (ch < CACHE_CPS && c->known[i][ch])
			ok = c->known[i][ch] == 1;
		else {
			ok = has_glyph(face, ch);
			if (ch < CACHE_CPS)
				c->known[i][ch] = ok ? 1 : 2;
		}
		if (!ok) {
			if (missing)
				*missing = ch;
			return 0;
		}
	}
	return 1;
}

/* Keeps the rendered bitmap of the glyph slot at canvas (x, y), y down. */
static int
keep(struct htr_font_ctx *c, const FT_Bitmap *bm, int x, int y)
{
	size_t need = (size_t)bm->rows * bm->width;

	if (!need)
		return 0;
	if (bm->pixel_mode != FT_PIXEL_MODE_GRAY)
		return htr_fail("FreeType rendered an unexpected pixel mode");
	if (c->ng == c->gcap) {
		int cap = c->gcap ? 2 * c->gcap : 64;
		void *p = htr_realloc(c->g, (size_t)cap, sizeof *c->g);
		if (!p)
			return -1;
		c->g = p;
		c->gcap = cap;
	}
	if (c->npix + need > c->pixcap) {
		size_t cap = c->pixcap ? 2 * c->pixcap : 1 << 16;
		while (cap < c->npix + need)
			cap *= 2;
		void *p = htr_realloc(c->pix, cap, 1);
		if (!p)
			return -1;
		c->pix = p;
		c->pixcap = cap;
	}
	for (unsigned r = 0; r < bm->rows; r++)
		memcpy(c->pix + c->npix + (size_t)r * bm->width,
		    bm->buffer + (ptrdiff_t)r * bm->pitch, bm->width);
	c->g[c->ng++] = (struct glyph){x, y, (int)bm->width, (int)bm->rows,
	    c->npix};
	c->npix += need;
	return 0;
}

/* The per-sample constants of a line's layout. */
struct layout {
	double em, cs, sn, stroke, track, wspace, amp, period, phase;
	FT_Matrix m;
};

/* Lays out and renders cp[0..n-1] from pen position x (px) along a
 * baseline 'base' pixels above the sample's own (y up, before rotation),
 * keeping the glyph bitmaps in c; stops once the pen passes xend.  Grows
 * box (x0, y0, x1, y1, y down; box[4] = 0 while empty) by the ink.  Sets
 * *pen to where the pen ends. */
static int
lay_line(struct htr_font_ctx *c, FT_Face face, const struct htr_font *f,
    const struct layout *L, const struct htr_synth_params *p,
    const uint32_t *cp, int n, double base, double x, double xend,
    int box[5], double *pen, struct htr_rng *r)
{
	FT_UInt prev = 0;

	for (int k = 0; k < n && x < xend; k++) {
		FT_Outline *o = &face->glyph->outline;
		const FT_Bitmap *bm = &face->glyph->bitmap;
		double bx, by, gx, gy;
		int ix, iy, gx0, gy0;
		FT_UInt gi;

		if (is_space(cp[k])) {
			x += L->wspace * (1 + p->wordjitter * htr_rng_normal(r));
			prev = 0;
			continue;
		}
		if (!(gi = FT_Get_Char_Index(face, cp[k])))
			return htr_fail("%s: no glyph for U+%04X", f->name,
			    (unsigned)cp[k]);
		if (prev && FT_HAS_KERNING(face)) {
			FT_Vector kv;
			if (!FT_Get_Kerning(face, prev, gi, FT_KERNING_UNFITTED,
			    &kv))
				x += kv.x / 64.0;
		}
		prev = gi;
		if (FT_Load_Glyph(face, gi, FT_LOAD_NO_HINTING |
		    FT_LOAD_NO_BITMAP) ||
		    face->glyph->format != FT_GLYPH_FORMAT_OUTLINE)
			return htr_fail("%s: cannot load the glyph of U+%04X",
			    f->name, (unsigned)cp[k]);
		if (L->stroke != 0)
			FT_Outline_EmboldenXY(o, (FT_Pos)lround(L->stroke * 64),
			    (FT_Pos)lround(L->stroke * 64));
		FT_Outline_Transform(o, &L->m);
		/* the pen on the wobbling baseline (y up), then rotated */
		bx = x + p->charjitter * L->em * htr_rng_normal(r);
		by = base + L->amp * sin(2 * M_PI * x / L->period + L->phase) +
		    0.1 * L->amp * htr_rng_normal(r);
		gx = L->cs * bx - L->sn * by;
		gy = L->sn * bx + L->cs * by;
		ix = (int)floor(gx);
		iy = (int)floor(gy);
		FT_Outline_Translate(o, (FT_Pos)lround((gx - ix) * 64),
		    (FT_Pos)lround((gy - iy) * 64));
		if (FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
			return htr_fail("%s: cannot render U+%04X", f->name,
			    (unsigned)cp[k]);
		gx0 = ix + face->glyph->bitmap_left;
		gy0 = -(iy + face->glyph->bitmap_top);
		if (keep(c, bm, gx0, gy0))
			return -1;
		if (bm->rows && bm->width) {
			int gx1 = gx0 + (int)bm->width, gy1 = gy0 + (int)bm->rows;

			if (!box[4] || gx0 < box[0]) box[0] = gx0;
			if (!box[4] || gy0 < box[1]) box[1] = gy0;
			if (!box[4] || gx1 > box[2]) box[2] = gx1;
			if (!box[4] || gy1 > box[3]) box[3] = gy1;
			box[4] = 1;
		}
		x += face->glyph->linearHoriAdvance / 65536.0 + L->stroke +
		    L->track;
		if (x < 0)
			x = 0;
	}
	*pen = x;
	return 0;
}

/* Composes glyphs c->g[from..] into out, whose top left is (cx0, bt),
 * clipping them to it. */
static void
compose(struct htr_synth_cov *out, const struct htr_font_ctx *c, int from,
    int cx0, int bt)
{
	for (int k = from; k < c->ng; k++) {
		const struct glyph *g = &c->g[k];
		const unsigned char *s = c->pix + g->off;

		for (int y = 0; y < g->h; y++) {
			int yy = g->y - bt + y;

			if (yy < 0 || yy >= out->h)
				continue;
			for (int x = 0; x < g->w; x++) {
				int xx = g->x - cx0 + x;
				float v = s[(size_t)y * g->w + x] * (1.0f / 255);
				float *d = out->a + (size_t)yy * out->w + xx;

				if (xx >= 0 && xx < out->w && v > *d)
					*d = v;
			}
		}
	}
}

int
htr_font_render(struct htr_synth_cov *out, struct htr_font_ctx *c, int i,
    const uint32_t *cp, int n, const struct htr_synth_params *p,
    struct htr_rng *r)
{
	const struct htr_font *f = &c->fonts[i];
	FT_Face face = face_of(c, i);
	int H = p->height, box[5] = {0};
	double size, sh, rot, pen = 0, asc, span, top, ml, mr;
	struct layout L;
	FT_UInt sp;
	int bt, bb, cx0, cx1;

	out->a = NULL;
	out->w = out->h = 0;
	if (!face)
		return -1;
	size = htr_synth_range(r, p->size);
	L.em = size * H * f->upem / (f->asc - f->desc);
	if (FT_Set_Char_Size(face, 0, (FT_F26Dot6)lround(L.em * 64), 72, 72))
		return htr_fail("%s: cannot set size %.1f px", f->name, L.em);
	sh = htr_synth_range(r, p->slant);
	rot = (2 * htr_rng_uniform(r) - 1) * p->rotate * M_PI / 180;
	L.cs = cos(rot);
	L.sn = sin(rot);
	L.m.xx = (FT_Fixed)lround(L.cs * 65536);
	L.m.xy = (FT_Fixed)lround((L.cs * sh - L.sn) * 65536);
	L.m.yx = (FT_Fixed)lround(L.sn * 65536);
	L.m.yy = (FT_Fixed)lround((L.sn * sh + L.cs) * 65536);
	/* hairline fonts vanish at line height: embolden them to a mean
	 * stroke width of at least p->minstroke */
	L.stroke = htr_synth_range(r, p->stroke) * L.em;
	if (f->stem > 0 && f->stem * L.em + L.stroke < p->minstroke * H)
		L.stroke = p->minstroke * H - f->stem * L.em;
	L.track = htr_synth_range(r, p->charspace) * L.em;
	L.wspace = htr_synth_range(r, p->wordspace);
	L.amp = p->wobble * H * (0.3 + 0.7 * htr_rng_uniform(r));
	L.period = H * (2 + 6 * htr_rng_uniform(r));
	L.phase = 2 * M_PI * htr_rng_uniform(r);
	/* some fonts have a hair-thin space: no less than 0.28 em */
	if ((sp = FT_Get_Char_Index(face, ' ')) &&
	    !FT_Load_Glyph(face, sp, FT_LOAD_NO_HINTING) &&
	    face->glyph->linearHoriAdvance / 65536.0 > 0.28 * L.em)
		L.wspace *= face->glyph->linearHoriAdvance / 65536.0;
	else
		L.wspace *= 0.28 * L.em;
	c->ng = 0;
	c->npix = 0;
	if (lay_line(c, face, f, &L, p, cp, n, 0, 0, INFINITY, box, &pen, r))
		return -1;
	if (!box[4])
		return htr_fail("%s: the text has no ink", f->name);
	/* the line box: ascender to descender spans 'size' of the height, the
	 * rest is shared out at random above and below; ink outside widens
	 * it (the image is scaled back to p->height later) */
	asc = (double)f->asc / f->upem * L.em;
	span = (double)(f->asc - f->desc) / f->upem * L.em;
	top = -(L.sn * pen / 2) - asc - (H - span) * htr_rng_uniform(r);
	ml = htr_synth_range(r, p->margin) * H;
	mr = htr_synth_range(r, p->margin) * H;
	bt = (int)floor(top);
	bb = bt + H;
	cx0 = (int)floor(box[0] - ml);
	cx1 = (int)ceil(box[2] + mr);
	bt = box[1] < bt ? box[1] : bt;
	bb = box[3] > bb ? box[3] : bb;
	if (htr_synth_cov_init(out, cx1 - cx0, bb - bt))
		return -1;
	compose(out, c, 0, cx0, bt);
	/* the descenders of the line above and the ascenders of the line
	 * below poke in, as in crops of real pages; only their tips may
	 * reach in (the line above stays above the top edge, the line below
	 * shows no more than the top quarter of its ascenders), so the label
	 * stays true */
	for (int side = 0; side < 2; side++) {
		double lo = L.sn * (L.sn > 0 ? cx0 : cx1);  /* baseline extremes */
		double hi = L.sn * (L.sn > 0 ? cx1 : cx0);
		double need = 2.5 * L.amp + (side == 0 ? -bt - lo + 0.02 * H :
		    hi + 0.75 * asc + bb);
		double ls = span * (0.9 + 0.3 * htr_rng_uniform(r));
		int from = c->ng, k0, dummy[5] = {0};
		double end;

		if (htr_rng_uniform(r) >= p->neighbours)
			continue;
		ls = ls > need ? ls : need;
		k0 = (int)htr_rng_below(r, (uint32_t)n);
		/* the same text from another place, round and round */
		for (double x = cx0 - H * htr_rng_uniform(r); x < cx1; x = end) {
			if (lay_line(c, face, f, &L, p, cp + k0, n - k0,
			    side == 0 ? ls : -ls, x, cx1, dummy, &end, r))
				return -1;
			k0 = 0;
			end += L.wspace;
		}
		compose(out, c, from, cx0, bt);
	}
	return 0;
}
