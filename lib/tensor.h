/* tensor.h — the tensor stream that connects htr-features, htr-crnn and
 * htr-ctcdecode (man/htr-tensor.5 is the normative spec).
 *
 * A stream is records back to back.  Each record is
 *
 *	"HTRT"  u16 version  u8 dtype  u8 rank  u32 dim[rank]
 *	u16 taglen  tag bytes  data (count x element size)
 *
 * all little-endian, written byte by byte.  The tag is a key=value string
 * (tag.h) whose kind= names what the record holds:
 *
 *	kind=image     f32 [H][W]   network input (scaled by htr-features)
 *	kind=profile   f32 [N]      feature vector of a glyph
 *	kind=logprob   f32 [T][C]   natural-log probabilities per frame;
 *	                            column 0 is the CTC blank
 *	kind=alphabet  u8  [n]      the symbols of a model (alphabet.h)
 *
 * A stream that holds logprob records begins with one alphabet record.
 * f32 data never holds NaN (the reader and the writer refuse it); -inf is
 * allowed (log 0).
 */
#ifndef HTR_TENSOR_H
#define HTR_TENSOR_H

#include <stddef.h>
#include <stdio.h>

#include "tag.h"

#define HTR_TENSOR_MAGIC   "HTRT"
#define HTR_TENSOR_VERSION 1
#define HTR_TENSOR_MAXRANK 4
/* Largest element count of one record (1 GiB of f32) and of one dimension. */
#define HTR_TENSOR_MAXELEM (1L << 28)

/* Element types.  On disk as a u8; the list only grows at the end. */
enum htr_dtype {
	HTR_F32 = 0,    /* IEEE 754 binary32, little-endian */
	HTR_U8  = 1,    /* bytes (UTF-8 text of an alphabet, 8-bit samples) */
	HTR_NDTYPE
};

struct htr_tensor {
	int dtype;                       /* enum htr_dtype */
	int rank;                        /* 0 .. HTR_TENSOR_MAXRANK */
	int dim[HTR_TENSOR_MAXRANK];     /* dim[0] outermost; unused = 0 */
	char tags[HTR_TAG_MAX];          /* "kind=logprob line=3 ..." */
	void *data;                      /* float* for HTR_F32, uint8_t* for U8 */
};

/* Bytes of one element of dtype (0 for an unknown dtype). */
size_t htr_tensor_dtype_size(int dtype);
/* Name of dtype ("f32", "u8", "?"). */
const char *htr_tensor_dtype_name(int dtype);
/* Number of elements (the product of the dimensions; 1 for rank 0). */
long htr_tensor_count(const struct htr_tensor *t);
/* Checks dtype, rank and dimensions against the limits.  0 or -1. */
int  htr_tensor_check(int dtype, int rank, const long *dim);

/* Allocates a zero-filled tensor with empty tags (kind may be NULL, else
 * it becomes the kind= tag).  Returns 0 or -1 (htr_fail). */
int  htr_tensor_alloc(struct htr_tensor *t, int dtype, int rank,
	const int *dim, const char *kind);
/* Frees the data; the tensor may be read into again.  NULL-safe. */
void htr_tensor_free(struct htr_tensor *t);

/* Reads the next record of a stream.  Returns 1 when a record was read,
 * 0 at a clean end of stream (no byte left), -1 on error (htr_fail: bad
 * magic, version from the future, unknown dtype, limits, bad tag,
 * truncated record, NaN); the caller prefixes the stream's name. */
int  htr_tensor_read(FILE *f, struct htr_tensor *t);
/* Writes one record.  Returns 0 or -1 (htr_fail: bad shape, bad tag, NaN,
 * write error). */
int  htr_tensor_write(FILE *f, const struct htr_tensor *t);

/* The record's kind= tag copied into buf ("" if none). */
void htr_tensor_kind(const struct htr_tensor *t, char *buf, size_t n);
/* 1 if the record's kind= tag equals kind. */
int  htr_tensor_is(const struct htr_tensor *t, const char *kind);

/* Reads a whole CSV matrix into a rank-2 f32 tensor [rows][cols]:
 * numbers separated by ',', ';', tabs or spaces (a trailing separator is
 * allowed), one row per line, every row the same length; blank lines and
 * lines starting with '#' are skipped.  Returns 0 or -1 (htr_fail). */
int  htr_tensor_read_csv(FILE *f, struct htr_tensor *t);

#endif
