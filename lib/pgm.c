/* pgm.c — the project's own PGM reader and writer, because crops carry
 * their "# htr" header comment and libnetpbm drops comments. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "image.h"

int
htr_image_check_size(long w, long h)
{
	if (w <= 0 || h <= 0)
		return htr_fail("empty image (%ldx%ld)", w, h);
	if (w > HTR_MAX_DIM || h > HTR_MAX_DIM || w * h > HTR_MAX_PIXELS)
		return htr_fail("image %ldx%ld exceeds the limit of %d pixels a "
		    "side and %ld pixels", w, h, HTR_MAX_DIM, HTR_MAX_PIXELS);
	return 0;
}

int
htr_image_init(struct htr_image *im, int w, int h, int value)
{
	im->pix = NULL;
	im->w = im->h = 0;
	im->tags[0] = 0;
	if (htr_image_check_size(w, h))
		return -1;
	if (!(im->pix = htr_alloc((size_t)w * h, 1)))
		return -1;
	memset(im->pix, value, (size_t)w * h);
	im->w = w;
	im->h = h;
	return 0;
}

void
htr_image_free(struct htr_image *im)
{
	free(im->pix);
	im->pix = NULL;
	im->w = im->h = 0;
}

/* Skips white space and comments; a comment "# htr ..." fills tags. */
static int
skip_space(FILE *f, char *tags)
{
	int c;

	for (;;) {
		c = getc(f);
		if (c == '#') {
			char line[HTR_TAG_MAX + 8];
			size_t n = 0;

			while ((c = getc(f)) != EOF && c != '\n')
				if (n < sizeof line - 1)
					line[n++] = (char)c;
			line[n] = 0;
			if (tags && !strncmp(line, " htr ", 5)) {
				if (n >= sizeof line - 1)
					return htr_fail("htr tag comment longer "
					    "than %d bytes", HTR_TAG_MAX - 1);
				strcpy(tags, line + 5);
				if (htr_tag_valid(tags))
					return -1;
			}
			continue;
		}
		if (c == EOF)
			return 0;
		if (!isspace(c)) {
			ungetc(c, f);
			return 0;
		}
	}
}

static int
read_uint(FILE *f, char *tags, long *v, const char *what)
{
	int c;

	if (skip_space(f, tags))
		return -1;
	*v = 0;
	c = getc(f);
	if (!isdigit(c))
		return htr_fail("bad PGM header: %s is not a number", what);
	while (isdigit(c)) {
		if (*v > 100000000)
			return htr_fail("bad PGM header: %s too large", what);
		*v = *v * 10 + (c - '0');
		c = getc(f);
	}
	if (c != EOF)
		ungetc(c, f);
	return 0;
}

int
htr_image_begin(FILE *f, struct htr_image *im, int *c)
{
	im->pix = NULL;
	im->w = im->h = 0;
	im->tags[0] = 0;
	do
		*c = getc(f);
	while (*c != EOF && isspace(*c));
	if (*c == EOF)
		return ferror(f) ? htr_fail("read error") : 0;
	return 1;
}

int
htr_pgm_read(FILE *f, struct htr_image *im)
{
	int c, c2, rc;

	if ((rc = htr_image_begin(f, im, &c)) <= 0)
		return rc;
	c2 = getc(f);
	if (c != 'P')
		return htr_fail("not a PGM image (bad magic number)");
	return htr_pgm_read_after_magic(f, im, c2);
}

int
htr_pgm_read_after_magic(FILE *f, struct htr_image *im, int magic)
{
	long w, h, maxv;
	int c, c2, plain;

	im->pix = NULL;
	im->w = im->h = 0;
	im->tags[0] = 0;
	if (magic != '5' && magic != '2')
		return htr_fail("not a PGM image (bad magic number)");
	plain = magic == '2';
	if (read_uint(f, im->tags, &w, "width") ||
	    read_uint(f, im->tags, &h, "height") ||
	    read_uint(f, im->tags, &maxv, "maxval"))
		return -1;
	if (maxv < 1 || maxv > 65535)
		return htr_fail("bad PGM maxval %ld", maxv);
	if (htr_image_check_size(w, h))
		return -1;
	c = getc(f);
	if (!isspace(c))
		return htr_fail("bad PGM header: no space after maxval");
	{
		char tags[HTR_TAG_MAX];
		memcpy(tags, im->tags, sizeof tags);
		if (htr_image_init(im, (int)w, (int)h, 0))
			return -1;
		memcpy(im->tags, tags, sizeof tags);
	}
	size_t n = (size_t)w * h;
	for (size_t i = 0; i < n; i++) {
		long v;

		if (plain) {
			if (read_uint(f, NULL, &v, "sample"))
				goto truncated;
		} else if (maxv < 256) {
			if ((c = getc(f)) == EOF)
				goto truncated;
			v = c;
		} else {
			if ((c = getc(f)) == EOF || (c2 = getc(f)) == EOF)
				goto truncated;
			v = c << 8 | c2;
		}
		if (v > maxv) {
			htr_image_free(im);
			return htr_fail("PGM sample %ld exceeds maxval %ld", v,
			    maxv);
		}
		im->pix[i] = (unsigned char)((v * 255 + maxv / 2) / maxv);
	}
	return 1;
truncated:
	htr_image_free(im);
	return htr_fail("truncated PGM (%ldx%ld)", w, h);
}

int
htr_pgm_write(FILE *f, const struct htr_image *im)
{
	if (im->tags[0])
		fprintf(f, "P5\n# htr %s\n%d %d\n255\n", im->tags, im->w, im->h);
	else
		fprintf(f, "P5\n%d %d\n255\n", im->w, im->h);
	if (fwrite(im->pix, 1, (size_t)im->w * im->h, f) !=
	    (size_t)im->w * im->h || ferror(f))
		return htr_fail("write error");
	return 0;
}
