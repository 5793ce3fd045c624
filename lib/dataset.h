/* dataset.h — labelled images for training and evaluation, and the
 * alphabet that maps their text to network classes.
 *
 * Sources:
 *   TSV manifest   path<TAB>text per line, UTF-8; paths relative to the
 *                  manifest's directory; images in any format htr reads.
 *   IAM            words.txt or lines.txt (ok/err column, graylevel, box,
 *                  '|' for a space in lines.txt) with the image root
 *                  (the folder holding a01/a01-000u/... or words/a01/...;
 *                  NULL: the folder of the .txt file).
 *   MNIST          idx3 images + idx1 labels, plain or gzip-compressed;
 *                  the label is the text "0".."9"; ink is made dark.
 * Images named by path are read lazily, one at a time (htr_dataset_image);
 * MNIST pixels live in memory.  Samples remember the file and line they
 * came from, so every error can name them. */
#ifndef HTR_DATASET_H
#define HTR_DATASET_H

#include <stdint.h>

#include "image.h"

/* Largest number of samples and sources one dataset may hold. */
#define HTR_DATASET_MAX   (1L << 26)
#define HTR_DATASET_MAXSRC 64

struct htr_sample {
	char *path;             /* image file, or NULL when pix is set */
	char *text;             /* UTF-8 transcription */
	unsigned char *pix;     /* [h][w] pixels held in memory, or NULL */
	int w, h;
	int src;                /* index into htr_dataset.src */
	long line;              /* line (or record) in that source, from 1 */
};

struct htr_dataset {
	long n, cap;
	struct htr_sample *s;
	int nsrc;
	char *src[HTR_DATASET_MAXSRC];      /* source file names */
	unsigned char *blocks[HTR_DATASET_MAXSRC]; /* in-memory pixel blocks */
	int nblocks;
};

void htr_dataset_init(struct htr_dataset *ds);
void htr_dataset_free(struct htr_dataset *ds);

/* Each adds the samples of one source to ds.  Return 0 or -1 (htr_fail,
 * message names the file and line). */
int  htr_dataset_add_tsv(struct htr_dataset *ds, const char *manifest);
/* skip_err: leave out the rows whose segmentation IAM marks "err". */
int  htr_dataset_add_iam(struct htr_dataset *ds, const char *txt,
	const char *image_root, int skip_err);
int  htr_dataset_add_mnist(struct htr_dataset *ds, const char *images,
	const char *labels);

/* Reads (or copies) sample i's image into im; the caller frees it.
 * src= is set to the image's path when the image has no tags.  Returns 0
 * or -1 (htr_fail, message names the image and the source line). */
int  htr_dataset_image(const struct htr_dataset *ds, long i,
	struct htr_image *im);
/* "file:line" of sample i, for messages. */
const char *htr_dataset_where(const struct htr_dataset *ds, long i,
	char *buf, int n);
/* Moves the last nvalid samples of ds into the empty dataset valid (the
 * pixel blocks stay owned by ds, so free valid before ds).  Returns 0 or
 * -1 (htr_fail). */
int  htr_dataset_split(struct htr_dataset *ds, long nvalid,
	struct htr_dataset *valid);

/* The classes of a network: code points, cp[0] = 0 standing for the CTC
 * blank (never a character); the others in increasing order. */
#define HTR_ALPHABET_MAX 65536
struct htr_alphabet {
	int n;                  /* classes, blank included */
	uint32_t *cp;           /* [n] */
};

/* Every code point used by the texts of ds, plus the blank. */
int  htr_alphabet_build(struct htr_alphabet *a, const struct htr_dataset *ds);
/* From a UTF-8 string of the characters (blank not included). */
int  htr_alphabet_from_utf8(struct htr_alphabet *a, const char *chars);
/* The characters as one UTF-8 string (blank left out); malloc'd. */
char *htr_alphabet_to_utf8(const struct htr_alphabet *a);
void htr_alphabet_free(struct htr_alphabet *a);
/* Class of a code point, or -1 when it is not in the alphabet. */
int  htr_alphabet_index(const struct htr_alphabet *a, uint32_t cp);
/* Text -> class indices (at most max stored).  Returns the number of
 * classes, or -1 (htr_fail) naming the first character not in the
 * alphabet. */
long htr_alphabet_encode(const struct htr_alphabet *a, const char *text,
	int *labels, long max);
/* Class indices -> UTF-8 text into buf (size n, always NUL-ended); blanks
 * and out-of-range indices are skipped.  Returns the string length. */
long htr_alphabet_decode(const struct htr_alphabet *a, const int *labels,
	long nlabels, char *buf, long n);
/* Checks that every text of ds can be encoded; the error names the file
 * and line of the first that cannot. */
int  htr_dataset_check_alphabet(const struct htr_dataset *ds,
	const struct htr_alphabet *a);

#endif
