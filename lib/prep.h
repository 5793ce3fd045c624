/* prep.h — preprocessing of page, line and word images: inversion,
 * contrast, background flattening, binarisation, deskew, deslant, border
 * and speckle removal, thinning, rescaling.
 *
 * All functions work on 8-bit gray images (struct htr_image) with ink dark
 * (0) on light paper (255).  Binary results use exactly 0 and 255.  Where
 * a function needs to know which pixels are ink it thresholds a gray
 * image itself: components and thinning with Otsu's global threshold (a
 * binary image passes through unchanged), the skew and slant searches
 * with Sauvola's local one.  All functions are thread-safe.
 *
 * In-place functions may change im->w, im->h and im->pix (the old buffer
 * is freed); tags are always kept.  Functions with an 'out' argument
 * allocate out (tags copied from in) and leave in alone; out must not be
 * in.  Functions that allocate return 0 or -1 (htr_fail: out of memory,
 * image too large); the image is unchanged on error.
 *
 * Angles are in degrees.  A skew angle is the counter-clockwise rotation
 * of the text lines as seen on screen (lines rising to the right are
 * positive); a slant angle is the lean of the vertical strokes, positive
 * when their tops lean right (like italics).
 *
 * htr_prep_run() applies a whole chain described by struct htr_prep_opts;
 * it is what htr-prep runs, and what other programs (htr-segment,
 * htr-train, htr-serve) should call so that they all see the same
 * preprocessing.
 */
#ifndef HTR_PREP_H
#define HTR_PREP_H

#include "image.h"

/* ---- gray levels ---- */

/* Otsu's threshold: the t that maximises the between-class variance of
 * the histogram; pixels <= t are ink.  An image of one gray level v
 * gives v - 1: no ink. */
int  htr_prep_otsu(const struct htr_image *im);
/* 1 if the image looks light-on-dark, 0 if not, -1 if out of memory.
 * Thin strokes make the differences between pixels and their local mean
 * skewed towards the ink's side; steps in brightness (page edges, dark
 * surrounds, the white outside of a line cut along its polygon) do not
 * count, unlike a vote of the darker or lighter majority. */
int  htr_prep_is_inverted(const struct htr_image *im);
void htr_prep_invert(struct htr_image *im);
/* Percentile stretch: the lo-th percentile (e.g. 1) becomes 0, the hi-th
 * (e.g. 99) becomes 255, linearly in between, clamped.  Does nothing when
 * the two percentiles are less than 8 gray levels apart (a blank page is
 * not turned into amplified noise).  Returns 1 if stretched, 0 if not. */
int  htr_prep_normalize(struct htr_image *im, double lo, double hi);
/* Divides out uneven lighting (photos, shadows, yellowed paper): the
 * background is estimated as the local maximum over about window x window
 * pixels, smoothed, and every pixel becomes 255 * v / background.  Ink
 * regions wider than about window/2 would be lightened, so window must
 * exceed the stroke width several times; window <= 0 picks
 * max(32, longest side / 40).  O(n). */
int  htr_prep_flatten(struct htr_image *im, int window);

/* ---- binarisation (result 0/255) ---- */

/* Global Otsu threshold; returns the threshold used. */
int  htr_prep_binarize_otsu(struct htr_image *im);
/* Sauvola's local threshold T = m (1 + k (s / 128 - 1)) with m, s the mean
 * and standard deviation over a window x window neighbourhood (clipped at
 * the edges), computed with running window sums (a separable integral
 * image): O(n) time, O(w) extra memory.  Typical: window 25, k 0.2..0.5.
 * window is made odd (at least 3). */
int  htr_prep_binarize_sauvola(struct htr_image *im, int window, double k);
/* The same threshold as a mask: ink[i] = 1 where pixel i is at most
 * Sauvola's threshold or where its window's mean is below 'dark' (a solid
 * dark region, such as the scanner's lid around a page; 0: none), else 0.
 * ink holds w * h bytes.  Returns 0 or -1 (htr_fail). */
int  htr_prep_sauvola_mask(unsigned char *ink, const struct htr_image *im,
	int window, double k, int dark);

/* ---- geometry ---- */

/* Rotates counter-clockwise by deg around the centre, bilinear; the output
 * grows to hold the whole rotated image, new area filled with bg. */
int  htr_prep_rotate(struct htr_image *out, const struct htr_image *in,
	double deg, int bg);
/* Shears horizontally so vertical strokes lean right by deg: the row at
 * the vertical centre stays, rows above move right.  Bilinear; the output
 * grows by h * |tan deg|, new area filled with bg. */
int  htr_prep_shear(struct htr_image *out, const struct htr_image *in,
	double deg, int bg);
/* Skew of the text lines within +-maxdeg, by projection profiles: the angle
 * at which the ink projected onto the rotated vertical axis is most
 * concentrated (largest sum of squared bin counts), coarse steps of 0.5
 * degrees refined to 0.05.  Ink is found with a local (Sauvola) threshold;
 * components touching the image edge are left out when most of the ink
 * is elsewhere (page edges and dark surrounds are straight and would win).
 * Reliable on pages and paragraphs; on a single word it can be off by
 * several degrees.  0 when there is no ink.  Returns 0 or -1. */
int  htr_prep_skew(const struct htr_image *im, double maxdeg, double *deg);
/* Slant of the strokes within +-maxdeg (Vinciarelli and Luettin): the
 * shear at which the most ink stands in unbroken vertical runs (sum over
 * columns whose ink is one run of run length squared), 1 degree steps
 * refined to 0.1.  Meant for lines and words.  Returns 0 or -1. */
int  htr_prep_slant(const struct htr_image *im, double maxdeg, double *deg);
/* Measure, then undo: rotate by -skew (shear by -slant) in place when the
 * angle is at least 0.1 degrees; *deg (may be NULL) gets the angle.  A
 * rotated image gets the tag deskew=DEG,W,H: the angle and its size
 * before, which htr_prep_unrotate_box needs (htr_prep_run drops it again
 * when it then deslants or rescales the image). */
int  htr_prep_deskew(struct htr_image *im, double maxdeg, double *deg);
int  htr_prep_deslant(struct htr_image *im, double maxdeg, double *deg);
/* Where box (x, y, w, h) of an image that htr_prep_deskew rotated lies
 * in the image before: the bounding box of its four corners turned back,
 * clipped to that image.  deskew is the rotated image's deskew= tag;
 * returns 0, or -1 (htr_fail) when it is malformed. */
int  htr_prep_unrotate_box(int box[4], const char *deskew);
/* The same map for any points (the ink of a line, say): init parses the
 * deskew= tag (0, or -1 and htr_fail when malformed); point turns (x, y)
 * of the rotated image back onto the image before; bounds makes the box
 * x, y, w, h spanning [lo, hi] there, rounded outwards and clipped to
 * that image; rect does what htr_prep_unrotate_box does, with the tag
 * parsed once for many boxes. */
struct htr_unrotate {
	double c, s;         /* cosine and sine of the angle turned back */
	double cx, cy;       /* centre of the rotated image */
	int w, h;            /* size of the image before */
};
int  htr_prep_unrotate_init(struct htr_unrotate *u, const char *deskew);
void htr_prep_unrotate_point(const struct htr_unrotate *u, double x,
	double y, double *ux, double *uy);
void htr_prep_unrotate_bounds(const struct htr_unrotate *u,
	const double lo[2], const double hi[2], int box[4]);
void htr_prep_unrotate_rect(const struct htr_unrotate *u, int box[4]);

/* ---- cleaning (connected components of the ink, 8-connected) ---- */

/* Whitens ink components that touch the image edge and span at least half
 * its width or height: scanner borders, the dark surround of a
 * photographed page, binding shadows.  *removed (may be NULL) gets the
 * number of components removed. */
int  htr_prep_remove_border(struct htr_image *im, int *removed);
/* Whitens ink components of at most maxarea pixels. */
int  htr_prep_despeckle(struct htr_image *im, int maxarea, int *removed);
/* Zhang-Suen thinning of the (Otsu-)binarised image to 1-pixel-wide
 * 8-connected strokes; result 0/255. */
int  htr_prep_thin(struct htr_image *im);

/* ---- scaling ---- */

/* Resamples to w x h: area averaging along an axis that shrinks, bilinear
 * along one that grows. */
int  htr_prep_resize(struct htr_image *out, const struct htr_image *in,
	int w, int h);
/* In place: to height h keeping the aspect ratio; by factor f. */
int  htr_prep_scale_height(struct htr_image *im, int h);
int  htr_prep_scale(struct htr_image *im, double f);

/* ---- the chain ---- */

enum htr_prep_invert   { HTR_PREP_INVERT_AUTO, HTR_PREP_INVERT_YES,
			 HTR_PREP_INVERT_NO };
enum htr_prep_binarize { HTR_PREP_BIN_NONE, HTR_PREP_BIN_OTSU,
			 HTR_PREP_BIN_SAUVOLA };

/* Steps run in this order; each is skipped when off (0). */
struct htr_prep_opts {
	int invert;          /* enum htr_prep_invert */
	int flatten;         /* background flattening */
	int flatten_window;  /* <= 0: automatic */
	int normalize;       /* percentile stretch */
	double lo, hi;       /* its percentiles */
	int border;          /* border removal */
	int despeckle;       /* max speckle area in pixels, 0 = off */
	int deskew;
	int deskew_min_height; /* only images at least this tall (pages:
	                        * the angle of a single line is unreliable) */
	double maxskew;      /* search range, degrees */
	int deslant;
	double maxslant;
	int height;          /* rescale to this height, 0 = off */
	double scale;        /* or by this factor, 0 = off */
	int binarize;        /* enum htr_prep_binarize */
	int window;          /* Sauvola */
	double k;
	int thin;            /* implies Otsu binarisation if binarize is none */
};

/* What the chain found and did. */
struct htr_prep_info {
	int inverted;        /* 1 if the image was inverted */
	double skew;         /* measured skew (0 if deskew off) */
	double slant;        /* measured slant (0 if deslant off) */
	int threshold;       /* Otsu threshold if used, else -1 */
	int border;          /* border components removed */
	int speckles;        /* speckles removed */
};

/* The defaults of htr-prep: auto-invert, flattening, normalisation
 * (1st/99th percentiles), deskew within 15 degrees of images at least 256
 * pixels tall; no binarisation, no
 * deslant, no border or speckle removal, no thinning, no rescaling;
 * Sauvola window 25, k 0.2, maxslant 45. */
void htr_prep_defaults(struct htr_prep_opts *o);
/* Runs the chain on im in place.  info may be NULL.  Returns 0 or -1. */
int  htr_prep_run(struct htr_image *im, const struct htr_prep_opts *o,
	struct htr_prep_info *info);

#endif
