/* tensor.c — reading and writing the tensor stream (man/htr-tensor.5). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "tensor.h"

size_t
htr_tensor_dtype_size(int dtype)
{
	switch (dtype) {
	case HTR_F32: return 4;
	case HTR_U8:  return 1;
	}
	return 0;
}

const char *
htr_tensor_dtype_name(int dtype)
{
	switch (dtype) {
	case HTR_F32: return "f32";
	case HTR_U8:  return "u8";
	}
	return "?";
}

long
htr_tensor_count(const struct htr_tensor *t)
{
	long n = 1;

	for (int i = 0; i < t->rank; i++)
		n *= t->dim[i];
	return n;
}

int
htr_tensor_check(int dtype, int rank, const long *dim)
{
	long n = 1;

	if (dtype < 0 || dtype >= HTR_NDTYPE)
		return htr_fail("unknown dtype %d (written by a newer htr?)",
		    dtype);
	if (rank < 0 || rank > HTR_TENSOR_MAXRANK)
		return htr_fail("rank %d exceeds the limit of %d", rank,
		    HTR_TENSOR_MAXRANK);
	for (int i = 0; i < rank; i++) {
		if (dim[i] < 0 || dim[i] > HTR_TENSOR_MAXELEM)
			return htr_fail("dimension %d of %ld exceeds the limit "
			    "of %ld", i, dim[i], HTR_TENSOR_MAXELEM);
		n *= dim[i];
		if (n > HTR_TENSOR_MAXELEM)
			return htr_fail("record of more than %ld elements "
			    "exceeds the limit", HTR_TENSOR_MAXELEM);
	}
	return 0;
}

int
htr_tensor_alloc(struct htr_tensor *t, int dtype, int rank, const int *dim,
    const char *kind)
{
	long d[HTR_TENSOR_MAXRANK] = {0};

	memset(t, 0, sizeof *t);
	if (rank < 0 || rank > HTR_TENSOR_MAXRANK)
		return htr_fail("rank %d exceeds the limit of %d", rank,
		    HTR_TENSOR_MAXRANK);
	for (int i = 0; i < rank; i++)
		d[i] = dim[i];
	if (htr_tensor_check(dtype, rank, d))
		return -1;
	t->dtype = dtype;
	t->rank = rank;
	for (int i = 0; i < rank; i++)
		t->dim[i] = dim[i];
	if (!(t->data = htr_zalloc((size_t)htr_tensor_count(t),
	    htr_tensor_dtype_size(dtype))))
		return -1;
	if (kind && htr_tag_set(t->tags, "kind", kind)) {
		htr_tensor_free(t);
		return -1;
	}
	return 0;
}

void
htr_tensor_free(struct htr_tensor *t)
{
	if (!t)
		return;
	free(t->data);
	t->data = NULL;
	t->rank = 0;
	memset(t->dim, 0, sizeof t->dim);
}

void
htr_tensor_kind(const struct htr_tensor *t, char *buf, size_t n)
{
	if (htr_tag_get(t->tags, "kind", buf, n) && n)
		buf[0] = 0;
}

int
htr_tensor_is(const struct htr_tensor *t, const char *kind)
{
	char buf[64];

	htr_tensor_kind(t, buf, sizeof buf);
	return !strcmp(buf, kind);
}

/* Little-endian fields, byte by byte. */
static void
put_u16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> 8 * i & 0xff;
}

static unsigned
get_u16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Reads exactly n bytes; -1 with "truncated" if the stream ends early. */
static int
read_exact(FILE *f, void *buf, size_t n, const char *what)
{
	if (fread(buf, 1, n, f) != n)
		return ferror(f) ? htr_fail("read error") :
		    htr_fail("truncated record (in the %s)", what);
	return 0;
}

int
htr_tensor_read(FILE *f, struct htr_tensor *t)
{
	unsigned char h[8 + 4 * HTR_TENSOR_MAXRANK + 2];
	long dim[HTR_TENSOR_MAXRANK] = {0};
	unsigned version, taglen;
	int c, rank, dtype;
	size_t n, size;

	memset(t, 0, sizeof *t);
	if ((c = getc(f)) == EOF)
		return ferror(f) ? htr_fail("read error") : 0;
	h[0] = (unsigned char)c;
	if (read_exact(f, h + 1, 7, "header"))
		return -1;
	if (memcmp(h, HTR_TENSOR_MAGIC, 4))
		return htr_fail("not an htr tensor stream (bad magic; make one "
		    "with htr-features or htr-crnn)");
	version = get_u16(h + 4);
	if (version > HTR_TENSOR_VERSION)
		return htr_fail("version %u is newer than this htr (%d); "
		    "upgrade htr", version, HTR_TENSOR_VERSION);
	if (version == 0)
		return htr_fail("bad tensor stream version 0");
	dtype = h[6];
	rank = h[7];
	if (rank > HTR_TENSOR_MAXRANK)
		return htr_fail("rank %d exceeds the limit of %d", rank,
		    HTR_TENSOR_MAXRANK);
	if (read_exact(f, h + 8, 4 * (size_t)rank + 2, "header"))
		return -1;
	for (int i = 0; i < rank; i++)
		dim[i] = (long)get_u32(h + 8 + 4 * i);
	if (htr_tensor_check(dtype, rank, dim))
		return -1;
	taglen = get_u16(h + 8 + 4 * rank);
	if (taglen >= HTR_TAG_MAX)
		return htr_fail("tag of %u bytes exceeds the limit of %d",
		    taglen, HTR_TAG_MAX - 1);
	if (read_exact(f, t->tags, taglen, "tag"))
		return -1;
	t->tags[taglen] = 0;
	if (strlen(t->tags) != taglen)
		return htr_fail("NUL byte in record tag");
	if (htr_tag_valid(t->tags))
		return -1;
	t->dtype = dtype;
	t->rank = rank;
	for (int i = 0; i < rank; i++)
		t->dim[i] = (int)dim[i];
	n = (size_t)htr_tensor_count(t);
	size = htr_tensor_dtype_size(dtype);
	if (!(t->data = htr_alloc(n, size)))
		return -1;
	if (read_exact(f, t->data, n * size, "data")) {
		htr_tensor_free(t);
		return -1;
	}
	if (dtype == HTR_F32) {
		unsigned char *p = t->data;
		float *x = t->data;

		for (size_t i = 0; i < n; i++) {
			uint32_t u = get_u32(p + 4 * i);
			memcpy(&x[i], &u, 4);
			if (isnan(x[i])) {
				htr_tensor_free(t);
				return htr_fail("NaN at element %zu of a %s "
				    "record", i, htr_tensor_dtype_name(dtype));
			}
		}
	}
	return 1;
}

int
htr_tensor_write(FILE *f, const struct htr_tensor *t)
{
	unsigned char h[8 + 4 * HTR_TENSOR_MAXRANK + 2], buf[4096];
	long dim[HTR_TENSOR_MAXRANK] = {0};
	size_t n, taglen, hl, fill = 0;

	if (t->rank < 0 || t->rank > HTR_TENSOR_MAXRANK)
		return htr_fail("rank %d exceeds the limit of %d", t->rank,
		    HTR_TENSOR_MAXRANK);
	for (int i = 0; i < t->rank; i++)
		dim[i] = t->dim[i];
	if (htr_tensor_check(t->dtype, t->rank, dim) || htr_tag_valid(t->tags))
		return -1;
	n = (size_t)htr_tensor_count(t);
	HTR_ASSERT(n == 0 || t->data);
	taglen = strlen(t->tags);
	memcpy(h, HTR_TENSOR_MAGIC, 4);
	put_u16(h + 4, HTR_TENSOR_VERSION);
	h[6] = (unsigned char)t->dtype;
	h[7] = (unsigned char)t->rank;
	for (int i = 0; i < t->rank; i++)
		put_u32(h + 8 + 4 * i, (uint32_t)t->dim[i]);
	put_u16(h + 8 + 4 * t->rank, (unsigned)taglen);
	hl = 10 + 4 * (size_t)t->rank;
	if (t->dtype == HTR_F32) {
		const float *x = t->data;
		for (size_t i = 0; i < n; i++)
			if (isnan(x[i]))
				return htr_fail("NaN at element %zu of the "
				    "record to write", i);
	}
	if (fwrite(h, 1, hl, f) != hl || fwrite(t->tags, 1, taglen, f) != taglen)
		return htr_fail("write error");
	if (t->dtype == HTR_U8) {
		if (fwrite(t->data, 1, n, f) != n)
			return htr_fail("write error");
	} else {
		const float *x = t->data;
		for (size_t i = 0; i < n; i++) {
			uint32_t u;
			memcpy(&u, &x[i], 4);
			put_u32(buf + fill, u);
			fill += 4;
			if (fill == sizeof buf || i + 1 == n) {
				if (fwrite(buf, 1, fill, f) != fill)
					return htr_fail("write error");
				fill = 0;
			}
		}
	}
	if (ferror(f))
		return htr_fail("write error");
	return 0;
}

/* Appends one parsed row to the growing matrix. */
static int
csv_row(const char *line, long lineno, float **m, size_t *cap, long *rows,
    long *cols)
{
	const char *p = line;
	long n = 0;

	for (;;) {
		char *end;
		double v;

		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '\n')
			break;
		v = strtod(p, &end);
		if (end == p)
			return htr_fail("line %ld: not a number: %.20s", lineno, p);
		if (isnan(v))
			return htr_fail("line %ld: NaN", lineno);
		p = end;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == ',' || *p == ';')
			p++;
		else if (*p && *p != '\n' && !isspace((unsigned char)p[-1]))
			return htr_fail("line %ld: bad separator '%c'", lineno,
			    *p);
		if ((size_t)(*rows * (*cols > 0 ? *cols : 0) + n) >= *cap) {
			float *q;
			size_t nc = *cap ? 2 * *cap : 4096;
			if (nc > (size_t)HTR_TENSOR_MAXELEM)
				return htr_fail("CSV matrix exceeds the limit of "
				    "%ld numbers", HTR_TENSOR_MAXELEM);
			if (!(q = htr_realloc(*m, nc, sizeof *q)))
				return -1;
			*m = q;
			*cap = nc;
		}
		(*m)[*rows * (*cols > 0 ? *cols : 0) + n] = (float)v;
		n++;
		if (*cols > 0 && n > *cols)
			break;
	}
	if (n == 0)
		return 0;
	if (*cols < 0)
		*cols = n;
	else if (n != *cols)
		return htr_fail("line %ld: %ld columns where the first row has "
		    "%ld", lineno, n, *cols);
	(*rows)++;
	return 0;
}

int
htr_tensor_read_csv(FILE *f, struct htr_tensor *t)
{
	char *line = NULL;
	size_t lcap = 0, cap = 0;
	float *m = NULL;
	long rows = 0, cols = -1, lineno = 0;
	ssize_t len;

	memset(t, 0, sizeof *t);
	while ((len = getline(&line, &lcap, f)) != -1) {
		const char *p = line;
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#')
			continue;
		if (csv_row(line, lineno, &m, &cap, &rows, &cols))
			goto fail;
		if (rows > HTR_TENSOR_MAXELEM) {
			htr_fail("CSV matrix has too many rows");
			goto fail;
		}
	}
	if (ferror(f)) {
		htr_fail("read error");
		goto fail;
	}
	free(line);
	t->dtype = HTR_F32;
	t->rank = 2;
	t->dim[0] = (int)rows;
	t->dim[1] = cols < 0 ? 0 : (int)cols;
	t->data = m ? m : htr_zalloc(1, sizeof(float));
	return t->data ? 0 : -1;
fail:
	free(line);
	free(m);
	return -1;
}
