/* feat.h — (not features.h: that name would shadow glibc's <features.h>
 * under -Ilib) what a network sees of a crop.
 *
 * The image input: the 8-bit crop (ink dark on light paper) scaled to the
 * model's input height with its aspect ratio kept (area averaging when
 * shrinking, bilinear when enlarging), then turned into floats with ink 1
 * and paper 0 (the crop's own darkest and lightest levels are stretched
 * to 1 and 0 when they differ by at least 32 levels, so faint scans and
 * dark paper look alike), padded on both sides.
 *
 * The profile input (for classical character classifiers): the glyph
 * binarised (Otsu), cut to its ink's bounding box, its row sums and column
 * sums as fractions of the box width/height, each resampled to n values. */
#ifndef HTR_FEAT_H
#define HTR_FEAT_H

#include "image.h"

/* Scales in to the given height, keeping the aspect ratio; the width is
 * at least 1 and at most maxw (0: no limit).  Tags are copied.  Returns 0
 * or -1 (htr_fail). */
int htr_features_scale(struct htr_image *out, const struct htr_image *in,
	int height, int maxw);
/* Scales in to exactly w x h (area or bilinear as above). */
int htr_features_resize(struct htr_image *out, const struct htr_image *in,
	int w, int h);

/* Width of the float input for a crop already at the model's height:
 * max(w, minw) + 2 * pad. */
int htr_features_width(int w, int minw, int pad);
/* Writes the float input of im (already at the model's height, e.g. from
 * htr_features_scale) into out, shape [im->h][width] with width from
 * htr_features_width(im->w, minw, pad); the glyph starts at column pad,
 * everything else is 0 (paper). */
void htr_features_fill(float *out, const struct htr_image *im, int minw,
	int pad);
/* Both steps: *out is malloc'd [height][*width].  Returns 0 or -1. */
int htr_features_image(float **out, int *width, const struct htr_image *in,
	int height, int minw, int pad);

/* Otsu's threshold of the image's histogram: pixels <= t are ink. */
int htr_features_otsu(const struct htr_image *im);
/* Profile features into out[2 * n]: n row sums then n column sums, each in
 * [0, 1].  A crop without ink gives all zeros.  Returns 0 or -1. */
int htr_features_profile(float *out, int n, const struct htr_image *in);

#endif
