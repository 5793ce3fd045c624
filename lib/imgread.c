/* imgread.c — reading PNG, JPEG and PBM/PGM/PPM/PAM into 8-bit gray.
 *
 * htr_image_read() looks at the magic bytes of the next image in a stream
 * and hands the stream to libpng, libjpeg or libnetpbm (to the project's
 * own PGM reader for P2/P5, which keeps the "# htr" tag comment).  None of
 * the decoders may read past the end of its image, so a stream can hold
 * many images one after another, pipes included:
 *
 *   PNG   we read the signature and the IHDR chunk ourselves (to check
 *         the size before libpng does anything), then libpng reads them
 *         from our buffer and the rest from the stream, exactly up to
 *         the end of IEND.
 *   JPEG  a source manager that feeds libjpeg one byte at a time from the
 *         stdio buffer, so nothing after the EOI marker is consumed; the
 *         two magic bytes we already read are fed first.  Data after
 *         the end marker that cannot start another image is a camera's
 *         trailer and is skipped.  The EXIF orientation is applied, so
 *         that a phone photo comes out upright.
 *   PGM   the project's reader goes on after the magic number.
 *   PNM   (PBM, PPM, PAM) the two magic bytes are pushed back with
 *         ungetc() and libnetpbm starts from the magic number.
 *
 * The decoders report errors by longjmp() out of their error handlers;
 * every buffer allocated on the way is reachable from a context struct
 * owned by the caller of the setjmp() function and freed there.
 *
 * Colour becomes gray by the Rec. 601 luma (0.299 R + 0.587 G + 0.114 B,
 * as ppmtopgm does), alpha is composited on white, and samples of any depth
 * are scaled to 0..255 with rounding.  Gamma is not applied: the samples
 * are taken as they are stored, like pngtopam does by default.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>
#include <pam.h>

#include "htr.h"
#include "image.h"

/* Gray value of an RGB triple scaled to 0..max, composited with alpha
 * (0..max) on white; result in 0..255. */
static unsigned char
to_gray(unsigned long r, unsigned long g, unsigned long b, unsigned long a,
    unsigned long max)
{
	/* luma * 1000, then composite: v*a + max*(max - a) */
	unsigned long long y = 299ULL * r + 587ULL * g + 114ULL * b;
	unsigned long long m = 1000ULL * max;
	unsigned long long v = (y * a + m * (max - a)) / max;

	return (unsigned char)((v * 255 + m / 2) / m);
}

/* ---------------------------------------------------------------- PNG */

struct png_ctx {
	FILE *f;
	unsigned char head[33];       /* signature and IHDR chunk */
	size_t nhead, used;           /* bytes in head, bytes given out */
	png_structp png;
	png_infop info;
	unsigned char *rows;          /* [h][rowbytes] for interlaced images */
	unsigned char *row;           /* [rowbytes] otherwise */
	struct htr_image *im;
};

static void
png_error_fn(png_structp png, png_const_charp msg)
{
	htr_fail("PNG: %s", msg);
	png_longjmp(png, 1);
}

static void
png_warning_fn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
png_read_fn(png_structp png, png_bytep out, size_t n)
{
	struct png_ctx *c = png_get_io_ptr(png);

	while (n > 0 && c->used < c->nhead) {
		*out++ = c->head[c->used++];
		n--;
	}
	if (n > 0 && fread(out, 1, n, c->f) != n)
		png_error(png, ferror(c->f) ? "read error" :
		    "truncated file (premature end of data)");
}

/* Converts one decoded row (8-bit gray, gray+alpha, RGB or RGBA after
 * png_set_expand and png_set_scale_16) into gray. */
static void
png_row_to_gray(unsigned char *out, const unsigned char *in, int w, int ch)
{
	for (int x = 0; x < w; x++, in += ch) {
		switch (ch) {
		case 1: out[x] = in[0]; break;
		case 2: out[x] = to_gray(in[0], in[0], in[0], in[1], 255); break;
		case 3: out[x] = to_gray(in[0], in[1], in[2], 255, 255); break;
		default: out[x] = to_gray(in[0], in[1], in[2], in[3], 255); break;
		}
	}
}

static int
png_decode(struct png_ctx *c)
{
	png_uint_32 w, h;
	int depth, type, interlace, ch;
	size_t rowbytes;

	if (setjmp(png_jmpbuf(c->png)))
		return -1;
	png_set_read_fn(c->png, c, png_read_fn);
	png_read_info(c->png, c->info);
	png_get_IHDR(c->png, c->info, &w, &h, &depth, &type, &interlace,
	    NULL, NULL);
	png_set_expand(c->png);       /* palette, <8 bit gray, tRNS → 8 bit */
	png_set_scale_16(c->png);
	png_set_interlace_handling(c->png);
	png_read_update_info(c->png, c->info);
	ch = png_get_channels(c->png, c->info);
	rowbytes = png_get_rowbytes(c->png, c->info);
	if (ch < 1 || ch > 4 || rowbytes < (size_t)w * ch)
		return htr_fail("PNG: unexpected row layout");
	if (htr_image_init(c->im, (int)w, (int)h, 255))
		return -1;
	if (interlace == PNG_INTERLACE_NONE) {
		if (!(c->row = htr_alloc(rowbytes, 1)))
			return -1;
		for (png_uint_32 y = 0; y < h; y++) {
			png_read_row(c->png, c->row, NULL);
			png_row_to_gray(c->im->pix + (size_t)y * w, c->row,
			    (int)w, ch);
		}
	} else {
		/* Adam7 needs the whole image before any row is complete. */
		png_bytep *ptrs;

		if (!(c->rows = htr_alloc(h, rowbytes)))
			return -1;
		if (!(ptrs = htr_alloc(h, sizeof *ptrs)))
			return -1;
		for (png_uint_32 y = 0; y < h; y++)
			ptrs[y] = c->rows + (size_t)y * rowbytes;
		c->row = (unsigned char *)ptrs;   /* freed with c */
		png_read_image(c->png, ptrs);
		for (png_uint_32 y = 0; y < h; y++)
			png_row_to_gray(c->im->pix + (size_t)y * w, ptrs[y],
			    (int)w, ch);
	}
	png_read_end(c->png, NULL);
	return 0;
}

static int
read_png(FILE *f, struct htr_image *im)
{
	struct png_ctx c = { .f = f, .im = im, .head = { 0x89 }, .nhead = 1 };
	const unsigned char *ih = c.head + 16;
	int rc;

	/* Signature, then the IHDR chunk, which must come first: its width
	 * and height are checked before libpng allocates anything. */
	c.nhead += fread(c.head + 1, 1, sizeof c.head - 1, f);
	if (c.nhead < 8 || png_sig_cmp(c.head, 0, 8))
		return htr_fail("not a PNG image (bad signature)");
	if (c.nhead < sizeof c.head)
		return htr_fail("PNG: truncated file (premature end of data)");
	if (memcmp(c.head + 12, "IHDR", 4))
		return htr_fail("PNG: IHDR chunk missing");
	if (htr_image_check_size(
	    (long)ih[0] << 24 | (long)ih[1] << 16 | ih[2] << 8 | ih[3],
	    (long)ih[4] << 24 | (long)ih[5] << 16 | ih[6] << 8 | ih[7]))
		return htr_fail_prefix("PNG");
	c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
	    png_error_fn, png_warning_fn);
	if (!c.png || !(c.info = png_create_info_struct(c.png))) {
		png_destroy_read_struct(&c.png, NULL, NULL);
		return htr_fail("out of memory");
	}
	rc = png_decode(&c);
	png_destroy_read_struct(&c.png, &c.info, NULL);
	free(c.rows);
	free(c.row);
	if (rc) {
		htr_image_free(im);
		return -1;
	}
	return 1;
}

/* --------------------------------------------------------------- JPEG */

struct jpeg_ctx {
	struct jpeg_error_mgr err;    /* first: libjpeg passes &err */
	struct jpeg_source_mgr src;
	jmp_buf jmp;
	FILE *f;
	unsigned char buf[1];         /* the byte handed to libjpeg */
	const unsigned char *pre;     /* magic bytes already consumed */
	int npre;
	struct jpeg_decompress_struct cinfo;
	unsigned char *row;           /* [w * components] */
	int orientation;              /* EXIF, 1..8 */
	struct htr_image *im;
};

static void
jpeg_fail(j_common_ptr cinfo)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	char msg[JMSG_LENGTH_MAX];

	cinfo->err->format_message(cinfo, msg);
	htr_fail("JPEG: %s", msg);
	longjmp(c->jmp, 1);
}

/* Warnings about missing data are errors: libjpeg would otherwise pad the
 * image with gray and call it a success.  Other warnings (extraneous bytes
 * before a marker and the like, common in camera files) are ignored. */
static void
jpeg_emit(j_common_ptr cinfo, int level)
{
	int code = cinfo->err->msg_code;

	if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER ||
	    code == JWRN_MUST_RESYNC))
		jpeg_fail(cinfo);
}

static void
jpeg_silent(j_common_ptr cinfo)
{
	(void)cinfo;
}

static void
src_init(j_decompress_ptr cinfo)
{
	(void)cinfo;
}

/* One byte per call: the stdio buffer does the buffering, and libjpeg
 * never holds bytes beyond the end of its image. */
static boolean
src_fill(j_decompress_ptr cinfo)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	int ch;

	if (c->npre > 0) {
		ch = *c->pre++;
		c->npre--;
	} else if ((ch = getc(c->f)) == EOF) {
		htr_fail(ferror(c->f) ? "JPEG: read error" :
		    "JPEG: truncated file (premature end of data)");
		longjmp(c->jmp, 1);
	}
	c->buf[0] = (unsigned char)ch;
	c->src.next_input_byte = c->buf;
	c->src.bytes_in_buffer = 1;
	return TRUE;
}

static void
src_skip(j_decompress_ptr cinfo, long n)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;

	while (n > 0) {
		if (c->src.bytes_in_buffer == 0)
			src_fill(cinfo);
		c->src.bytes_in_buffer--;
		c->src.next_input_byte++;
		n--;
	}
}

static void
src_term(j_decompress_ptr cinfo)
{
	(void)cinfo;
}

/* The EXIF orientation (tag 0x0112 of IFD0 in an APP1 "Exif" marker):
 * how a phone held upright stored a sideways sensor image.  1 (as
 * stored) when absent or malformed. */
static int
exif_orientation(j_decompress_ptr ci)
{
	for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next) {
		const unsigned char *t = m->data + 6;   /* TIFF header */
		unsigned long n = m->data_length, off, cnt;
		int le;

		if (m->marker != JPEG_APP0 + 1 || n < 6 + 8 ||
		    memcmp(m->data, "Exif\0\0", 6))
			continue;
		n -= 6;
		le = t[0] == 'I';
#define U16(p) (le ? (unsigned)(p)[0] | (p)[1] << 8 : (unsigned)(p)[0] << 8 | (p)[1])
#define U32(p) (le ? U16(p) | (unsigned long)U16((p) + 2) << 16 : \
	(unsigned long)U16(p) << 16 | U16((p) + 2))
		if (memcmp(t, "II*\0", 4) && memcmp(t, "MM\0*", 4))
			continue;
		off = U32(t + 4);
		if (off > n - 2)
			continue;
		cnt = U16(t + off);
		for (unsigned long i = 0; i < cnt; i++) {
			const unsigned char *e = t + off + 2 + 12 * i;
			unsigned v;

			if (off + 2 + 12 * (i + 1) > n)
				break;
			if (U16(e) != 0x0112 || U16(e + 2) != 3)
				continue;
			v = U16(e + 8);
			return v >= 1 && v <= 8 ? (int)v : 1;
		}
#undef U16
#undef U32
	}
	return 1;
}

/* Turns a decoded image upright by its EXIF orientation: 2 mirror, 3 turn
 * 180, 4 flip, 5 transpose, 6 turn 90 clockwise, 7 transverse, 8 turn 90
 * counter-clockwise. */
static int
orient(struct htr_image *im, int o)
{
	struct htr_image out;
	int w = im->w, h = im->h, swap = o >= 5;

	if (o == 1)
		return 0;
	if (htr_image_init(&out, swap ? h : w, swap ? w : h, 255))
		return -1;
	for (int y = 0; y < out.h; y++)
		for (int x = 0; x < out.w; x++) {
			int sx, sy;

			switch (o) {
			case 2: sx = w - 1 - x; sy = y; break;
			case 3: sx = w - 1 - x; sy = h - 1 - y; break;
			case 4: sx = x; sy = h - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = h - 1 - x; break;
			case 7: sx = w - 1 - y; sy = h - 1 - x; break;
			default: sx = w - 1 - y; sy = x; break;
			}
			out.pix[(size_t)y * out.w + x] = im->pix[(size_t)sy * w + sx];
		}
	free(im->pix);
	im->pix = out.pix;
	im->w = out.w;
	im->h = out.h;
	return 0;
}

/* Cameras and phones often append data after a JPEG's end marker (maker
 * trailers, embedded videos).  Unless the next byte may start another
 * image of the stream, the rest of the stream is such a trailer and is
 * skipped, so that it does not fail as an unknown format. */
static void
skip_trailer(FILE *f)
{
	int c = getc(f);

	if (c == EOF)
		return;
	if (c == 0xFF || c == 0x89 || c == 'P' || isspace(c)) {
		ungetc(c, f);
		return;
	}
	while (getc(f) != EOF)
		;
}

static int
jpeg_decode(struct jpeg_ctx *c)
{
	j_decompress_ptr ci = &c->cinfo;
	int w, h, nc, cmyk_inverted;

	if (setjmp(c->jmp))
		return -1;
	jpeg_create_decompress(ci);
	ci->src = &c->src;
	jpeg_save_markers(ci, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(ci, TRUE);
	c->orientation = exif_orientation(ci);
	/* Checked before libjpeg or we allocate image-sized buffers. */
	if (htr_image_check_size(ci->image_width, ci->image_height))
		return -1;
	switch (ci->jpeg_color_space) {
	case JCS_GRAYSCALE:
	case JCS_YCbCr:
		ci->out_color_space = JCS_GRAYSCALE;   /* Y is the luma */
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		ci->out_color_space = JCS_CMYK;
		break;
	default:
		ci->out_color_space = JCS_RGB;
		break;
	}
	/* Adobe writes CMYK inverted (0 = full ink). */
	cmyk_inverted = ci->saw_Adobe_marker;
	jpeg_start_decompress(ci);
	w = (int)ci->output_width;
	h = (int)ci->output_height;
	nc = ci->output_components;
	if (htr_image_init(c->im, w, h, 255))
		return -1;
	if (!(c->row = htr_alloc((size_t)w, nc)))
		return -1;
	while (ci->output_scanline < ci->output_height) {
		unsigned char *out = c->im->pix + (size_t)ci->output_scanline * w;
		JSAMPROW rp = c->row;
		const unsigned char *p = c->row;

		jpeg_read_scanlines(ci, &rp, 1);
		for (int x = 0; x < w; x++, p += nc) {
			if (nc == 1) {
				out[x] = p[0];
			} else if (nc == 3) {
				out[x] = to_gray(p[0], p[1], p[2], 255, 255);
			} else {
				unsigned k = cmyk_inverted ? p[3] : 255 - p[3];
				unsigned cc = cmyk_inverted ? p[0] : 255 - p[0];
				unsigned m = cmyk_inverted ? p[1] : 255 - p[1];
				unsigned y = cmyk_inverted ? p[2] : 255 - p[2];
				out[x] = to_gray(cc * k / 255, m * k / 255,
				    y * k / 255, 255, 255);
			}
		}
	}
	jpeg_finish_decompress(ci);
	skip_trailer(c->f);
	return orient(c->im, c->orientation);
}

static int
read_jpeg(FILE *f, struct htr_image *im)
{
	static const unsigned char soi[2] = { 0xFF, 0xD8 };
	struct jpeg_ctx *c;
	int rc;

	/* On the heap: jmp_buf and the decompressor are large. */
	if (!(c = htr_zalloc(1, sizeof *c)))
		return -1;
	c->f = f;
	c->im = im;
	c->pre = soi;
	c->npre = 2;
	c->cinfo.err = jpeg_std_error(&c->err);
	c->err.error_exit = jpeg_fail;
	c->err.emit_message = jpeg_emit;
	c->err.output_message = jpeg_silent;
	c->src.init_source = src_init;
	c->src.fill_input_buffer = src_fill;
	c->src.skip_input_data = src_skip;
	c->src.resync_to_restart = jpeg_resync_to_restart;
	c->src.term_source = src_term;
	rc = jpeg_decode(c);
	jpeg_destroy_decompress(&c->cinfo);
	free(c->row);
	free(c);
	if (rc) {
		htr_image_free(im);
		return -1;
	}
	return 1;
}

/* ---------------------------------------------------------------- PNM */

/* libnetpbm reports errors through pm_error(), which calls the user
 * error-message function and then longjmps to the buffer we set (instead
 * of exiting).  The message is kept for htr_fail.  These hooks are global
 * state of libnetpbm: PNM reading is not thread-safe. */
static char pnm_msg[256];

static void
pnm_errmsg(const char *msg)
{
	size_t n;

	snprintf(pnm_msg, sizeof pnm_msg, "%s", msg);
	n = strlen(pnm_msg);
	while (n > 0 && (pnm_msg[n - 1] == '\n' || pnm_msg[n - 1] == '.'))
		pnm_msg[--n] = 0;
}

static void
pnm_silent(const char *msg)
{
	(void)msg;
}

struct pnm_ctx {
	struct pam pam;
	tuple *row;
	struct htr_image *im;
};

static int
pnm_decode(FILE *f, struct pnm_ctx *c)
{
	jmp_buf jmp, *old;
	struct pam *p = &c->pam;
	int alpha, color;

	pm_setjmpbufsave(&jmp, &old);
	if (setjmp(jmp)) {
		pm_setjmpbuf(old);
		return htr_fail("%s", pnm_msg[0] ? pnm_msg : "bad PNM image");
	}
	pnm_readpaminit(f, p, PAM_STRUCT_SIZE(opacity_plane));
	/* Checked before the first row is allocated. */
	if (htr_image_check_size(p->width, p->height)) {
		pm_setjmpbuf(old);
		return -1;
	}
	if (p->depth < 1 || p->depth > 16) {
		pm_setjmpbuf(old);
		return htr_fail("%u planes (depth) not supported", p->depth);
	}
	alpha = p->have_opacity ? (int)p->opacity_plane : -1;
	if (alpha >= (int)p->depth)
		alpha = -1;
	color = p->depth >= 3 && alpha != 1 && alpha != 2;
	if (htr_image_init(c->im, p->width, p->height, 255)) {
		pm_setjmpbuf(old);
		return -1;
	}
	c->row = pnm_allocpamrow(p);
	for (int y = 0; y < p->height; y++) {
		unsigned char *out = c->im->pix + (size_t)y * p->width;

		pnm_readpamrow(p, c->row);
		for (int x = 0; x < p->width; x++) {
			const sample *s = c->row[x];
			unsigned long a = alpha >= 0 ? s[alpha] : p->maxval;

			if (color)
				out[x] = to_gray(s[0], s[1], s[2], a, p->maxval);
			else
				out[x] = to_gray(s[0], s[0], s[0], a, p->maxval);
		}
	}
	pm_setjmpbuf(old);
	return 0;
}

static int
read_pnm(FILE *f, struct htr_image *im, const char *kind)
{
	struct pnm_ctx c = { .im = im };
	int rc;

	pnm_msg[0] = 0;
	pm_setusererrormsgfn(pnm_errmsg);
	pm_setusermessagefn(pnm_silent);
	rc = pnm_decode(f, &c);
	pm_setusererrormsgfn(NULL);
	pm_setusermessagefn(NULL);
	if (c.row)
		pnm_freepamrow(c.row);
	if (rc) {
		htr_image_free(im);
		return htr_fail_prefix(kind);
	}
	return 1;
}

/* ------------------------------------------------------------ dispatch */

int
htr_image_read(FILE *f, struct htr_image *im)
{
	int c, c2, rc;

	/* White space may separate the images of a PNM stream. */
	if ((rc = htr_image_begin(f, im, &c)) <= 0)
		return rc;
	if (c == 0x89)
		return read_png(f, im);
	c2 = getc(f);
	if (c == 0xFF && c2 == 0xD8)
		return read_jpeg(f, im);
	if (c == 'P' && (c2 == '2' || c2 == '5'))
		return htr_pgm_read_after_magic(f, im, c2);
	if (c == 'P' && c2 >= '1' && c2 <= '7') {
		/* libnetpbm starts at the magic number and has no entry point
		 * after it.  C guarantees one byte of pushback; glibc, musl
		 * and the BSDs give more, and a libc that refuses is
		 * reported, never misread. */
		if (ungetc(c2, f) == EOF || ungetc(c, f) == EOF)
			return htr_fail("cannot push back the magic number "
			    "(this C library allows only one byte)");
		return read_pnm(f, im, c2 == '1' || c2 == '4' ? "PBM" :
		    c2 == '7' ? "PAM" : "PPM");
	}
	if (c2 == EOF)
		return htr_fail("truncated file (one byte)");
	return htr_fail("unknown image format (magic bytes 0x%02x 0x%02x; "
	    "expected PNG, JPEG or PBM/PGM/PPM/PAM)", c, c2);
}
