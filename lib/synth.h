/* synth.h — synthetic handwriting: the distortions and the paper.
 *
 * A sample is made in two steps.  font.h rasterises a text with one font
 * into an ink coverage map (struct htr_synth_cov, 0 = no ink, 1 = full
 * ink), already slanted, rotated, emboldened and with jittered spacing and
 * baseline.  htr_synth_finish() then distorts that map (elastic warp),
 * scales it to the output height, blurs it and lays it as ink on paper
 * (synthetic texture or a crop of a real blank page), adds noise and
 * optionally passes the result through a JPEG round trip.
 *
 * Every random choice is drawn from the caller's struct htr_rng, so one
 * seed per sample makes a sample reproducible whatever thread made it.
 * This file needs no FreeType (font.c does). */
#ifndef HTR_SYNTH_H
#define HTR_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "rng.h"

/* A float ink coverage map: a[y * w + x] in [0, 1]. */
struct htr_synth_cov {
	int w, h;
	float *a;                /* [h][w] */
};

/* The variation of the samples.  Each pair [lo, hi] is a range a value is
 * drawn from uniformly per sample; lengths are in output pixels unless
 * the comment says "em" (the font's em size) or "height" (a fraction of
 * the output height). */
struct htr_synth_params {
	int   height;            /* output height in pixels */
	float size[2];           /* ascender..descender span, height */
	float charspace[2];      /* tracking added to every advance, em */
	float charjitter;        /* std dev of each letter's spacing, em */
	float wordspace[2];      /* word space, times the font's space */
	float wordjitter;        /* std dev of each word space, times space */
	float wobble;            /* baseline wobble amplitude, height */
	float slant[2];          /* shear x += slant * y (tangent) */
	float rotate;            /* rotation, degrees, in [-rotate, rotate] */
	float stroke[2];         /* outline emboldening, em (< 0 thins) */
	float minstroke;         /* least mean stroke width, height */
	float elastic;           /* elastic warp amplitude, height */
	float elastic_scale;     /* elastic warp wavelength, height */
	float ink[2];            /* gray level of the ink, 0..255 */
	float opacity[2];        /* ink opacity, 0..1 */
	float pressure;          /* opacity change along the line, 0..1 */
	float blur[2];           /* Gaussian blur sigma, pixels */
	float paper[2];          /* gray level of the paper, 0..255 */
	float texture;           /* paper texture amplitude, gray levels */
	float noise[2];          /* pixel noise std dev, gray levels */
	float margin[2];         /* left and right margins, height */
	float neighbours;        /* probability of the tips of a line above,
	                            and of one below, showing */
	float jpeg;              /* probability of a JPEG round trip */
	int   quality[2];        /* JPEG quality range */
};

/* Fills p with the defaults that htr-synth(1) documents. */
void htr_synth_defaults(struct htr_synth_params *p);
/* Turns every variation off (black on white, no slant, jitter, warp,
 * blur, noise or JPEG); size, margins and the least stroke width stay. */
void htr_synth_plain(struct htr_synth_params *p);
/* Checks that every range is ordered and in bounds; returns 0 or -1
 * (htr_fail naming the parameter). */
int  htr_synth_check(const struct htr_synth_params *p);

/* Uniform draw from a range [lo, hi]. */
float htr_synth_range(struct htr_rng *r, const float lohi[2]);

int  htr_synth_cov_init(struct htr_synth_cov *c, int w, int h);
void htr_synth_cov_free(struct htr_synth_cov *c);

/* Warps c in place by a smooth random displacement field of amplitude amp
 * pixels and wavelength scale pixels.  Returns 0 or -1 (htr_fail). */
int  htr_synth_elastic(struct htr_synth_cov *c, float amp, float scale,
    struct htr_rng *r);
/* Resizes c to height h, keeping the aspect ratio (box filter when
 * shrinking, bilinear when growing).  Returns 0 or -1. */
int  htr_synth_resize(struct htr_synth_cov *c, int h);
/* Gaussian blur of c in place with standard deviation sigma (no-op below
 * 0.3, where it would change nothing visible).  Returns 0 or -1. */
int  htr_synth_blur(struct htr_synth_cov *c, float sigma);

/* Encodes/decodes JPEG in memory at the given quality and writes the
 * decoded pixels back into im.  Returns 0 or -1 (htr_fail). */
int  htr_synth_jpeg(struct htr_image *im, int quality);

/* The second step: elastic warp, resize to p->height, blur, paper
 * (background bg if not NULL: a random crop of it, tiled by mirroring
 * when smaller than the sample), ink, noise, JPEG.  cov is consumed
 * (changed and resized); out is allocated (the caller frees it).
 * Returns 0 or -1 (htr_fail). */
int  htr_synth_finish(struct htr_image *out, struct htr_synth_cov *cov,
    const struct htr_synth_params *p, const struct htr_image *bg,
    struct htr_rng *r);

/* The text as a tag value: bytes '%', space, controls and DEL become %XX
 * (upper-case hex); everything else (UTF-8 included) is kept.  Writes at
 * most n bytes with the NUL; returns the length, or -1 (htr_fail) if it
 * does not fit. */
int  htr_synth_encode(char *buf, size_t n, const char *text);
/* The inverse; buf may be text.  Returns the length, or -1 (htr_fail) on
 * a malformed %XX or when it does not fit. */
int  htr_synth_decode(char *buf, size_t n, const char *enc);

/* Decodes UTF-8 into code points; at most n.  Returns the count, or -1
 * (htr_fail) on malformed UTF-8 or when it does not fit. */
int  htr_synth_utf8(uint32_t *cp, int n, const char *s);

#endif
