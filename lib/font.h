/* font.h — text to ink with FreeType: the first step of a synthetic
 * handwriting sample (synth.h does the rest).
 *
 * A struct htr_font is a font file read into memory and checked once.
 * FreeType faces are not thread-safe, so each thread opens its own
 * struct htr_font_ctx over the same fonts.  Any format the FreeType
 * library reads works: TrueType, OpenType (CFF), WOFF, and WOFF2 when
 * FreeType was built with Brotli (Debian's is).
 *
 * Programs that use this file link with -lfreetype. */
#ifndef HTR_FONT_H
#define HTR_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "synth.h"

struct htr_font {
	char          *path;
	const char    *name;     /* the file name without directories */
	unsigned char *data;     /* the file */
	size_t         size;
	int            upem;     /* font units per em */
	int            asc, desc; /* ink extent of "bdfhklAH" / "gjpqy" in font
	                            units (desc < 0): the line box */
	double         stem;     /* mean stroke width, em (0: unknown) */
	int            caps;     /* lower case drawn as capitals (x-height near
	                            the cap height): unicase fonts */
};

/* Reads path and checks that FreeType can use it as a scalable font.
 * Returns 0, or -1 (htr_fail with a one-line reason, without the path). */
int  htr_font_load(struct htr_font *f, const char *path);
void htr_font_free(struct htr_font *f);

struct htr_font_ctx;

/* Opens fonts[0..n-1] for the calling thread; the fonts must outlive the
 * context.  Returns NULL (htr_fail) on error. */
struct htr_font_ctx *htr_font_ctx_new(const struct htr_font *fonts, int n);
void htr_font_ctx_free(struct htr_font_ctx *c);

/* Returns 1 if font i has a glyph with an outline for every code point of
 * cp[0..n-1] (spaces need none), else 0, with the first code point it
 * lacks in *missing (if not NULL); -1 (htr_fail) if the font cannot be
 * opened. */
int  htr_font_covers(struct htr_font_ctx *c, int i, const uint32_t *cp,
    int n, uint32_t *missing);

/* Renders cp[0..n-1] with font i into out (allocated; the caller frees
 * it), with the size, spacing, baseline, slant, rotation and stroke
 * variation of p drawn from r.  The map's height is at least p->height
 * (the line box spans p->size of it; taller when ink sticks out).
 * Code points the font lacks are an error: check with htr_font_covers().
 * Returns 0 or -1 (htr_fail). */
int  htr_font_render(struct htr_synth_cov *out, struct htr_font_ctx *c,
    int i, const uint32_t *cp, int n, const struct htr_synth_params *p,
    struct htr_rng *r);

#endif
