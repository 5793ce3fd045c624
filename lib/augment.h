/* augment.h — random distortions of training images.
 *
 * Each transform takes a strength in natural units (0 turns it off) and
 * draws from the caller's struct htr_rng, so a run is the same for the same
 * seed.  Images keep their size; new paper is white (255).
 *
 *   scale      largest relative change of size (0.1: x0.9 .. x1.1)
 *   rotate     largest rotation in degrees
 *   shear      largest horizontal shear (slant), as tan of the angle
 *   translate  largest shift, as a fraction of the image height
 *   elastic    largest displacement of a smooth random field, in pixels
 *   stroke     probability of thinning or thickening strokes by one pixel
 *   blur       largest Gaussian sigma, in pixels
 *   noise      largest standard deviation of Gaussian pixel noise (levels)
 *   contrast   largest loss of contrast (0.5: ink may fade to half)
 *   clean      share of images left as they are (0: every image is
 *              distorted); the network then also sees undistorted images,
 *              as it will when reading
 */
#ifndef HTR_AUGMENT_H
#define HTR_AUGMENT_H

#include "image.h"
#include "rng.h"

struct htr_augment {
	float scale, rotate, shear, translate, elastic;
	float stroke, blur, noise, contrast;
	float clean;
};

/* Defaults for handwriting multiplied by strength (0: all off, 1: light
 * distortions that keep text readable). */
void htr_augment_defaults(struct htr_augment *a, float strength);
/* Whether any transform is on. */
int  htr_augment_any(const struct htr_augment *a);
/* Applies every transform that is on, in the order listed above, to im in
 * place.  Returns 0 or -1 (htr_fail: out of memory). */
int  htr_augment_apply(struct htr_image *im, const struct htr_augment *a,
	struct htr_rng *rng);

/* The single transforms, in place. */
/* Scale, rotation (degrees), shear and shift (pixels) about the centre. */
int  htr_augment_affine(struct htr_image *im, float scale, float degrees,
	float shear, float dx, float dy);
/* Smooth random displacement field of the given amplitude (pixels). */
int  htr_augment_elastic(struct htr_image *im, float amplitude,
	struct htr_rng *rng);
/* radius > 0 thickens dark strokes (minimum filter over a diamond of that
 * radius), < 0 thins them (maximum filter). */
int  htr_augment_stroke(struct htr_image *im, int radius);
int  htr_augment_blur(struct htr_image *im, float sigma);
void htr_augment_noise(struct htr_image *im, float sigma, struct htr_rng *rng);
/* Moves ink towards the paper level: 0 no change, 1 ink vanishes. */
void htr_augment_contrast(struct htr_image *im, float loss);

#endif
