/* image.h — 8-bit grayscale images and the PGM crop stream.
 *
 * Pixels are row-major, one byte each, 0 = black ink, 255 = white paper
 * (after htr-prep).  Every image carries the "# htr key=value ..." tags of
 * the crop it came from (empty for a plain image). */
#ifndef HTR_IMAGE_H
#define HTR_IMAGE_H

#include <stdio.h>

#include "tag.h"

struct htr_image {
	int w, h;
	unsigned char *pix;          /* [h][w] */
	char tags[HTR_TAG_MAX];
};

/* Allocates a w x h image filled with value; checks HTR_MAX_PIXELS.
 * Returns 0 or -1 (htr_fail). */
int  htr_image_init(struct htr_image *im, int w, int h, int value);
void htr_image_free(struct htr_image *im);
/* Checks w x h against the limits before anything is allocated. */
int  htr_image_check_size(long w, long h);

/* Reads the next image of a stream, in whatever format its magic bytes say:
 * PNG, JPEG, PBM/PGM/PPM/PAM (colour is converted to gray, alpha is
 * composited on white, any bit depth is scaled to 8 bits).  Returns 1 when
 * an image was read, 0 at a clean end of stream, -1 on error (htr_fail;
 * the caller adds the stream's name).  The image keeps the "# htr" tags
 * of a PGM crop; other formats have none. */
int  htr_image_read(FILE *f, struct htr_image *im);

/* Reads the next P5/P2 PGM of a stream with its "# htr" tags.  Returns 1, 0
 * at a clean EOF, or -1 (htr_fail). */
int  htr_pgm_read(FILE *f, struct htr_image *im);
/* Start of every stream reader: empties im and skips the white space that
 * may separate images.  Returns 1 with the first byte of the next image in
 * *c, 0 at a clean end of stream, or -1 on a read error (htr_fail). */
int  htr_image_begin(FILE *f, struct htr_image *im, int *c);
/* The same, for a stream whose magic number "P" has been read already;
 * magic is the character after the P ('5' or '2', anything else is an
 * error).  Returns 1 or -1 (htr_fail). */
int  htr_pgm_read_after_magic(FILE *f, struct htr_image *im, int magic);
/* Writes im as P5 PGM, maxval 255, with "# htr <tags>" after the magic
 * number when it has tags.  Returns 0 or -1 (htr_fail). */
int  htr_pgm_write(FILE *f, const struct htr_image *im);

#endif
