/* dataset.h — labelled images for training and evaluation (their text
 * becomes network classes in labels.h).
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
/* A TSV manifest or an IAM words.txt/lines.txt, told apart by the first
 * line that is neither a comment nor blank (a tab makes it TSV). */
int  htr_dataset_add_file(struct htr_dataset *ds, const char *path,
	const char *image_root, int skip_err);

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

#endif
