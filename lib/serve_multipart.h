/* serve_multipart.h — the parts of an HTTP request body that htr-serve
 * reads: the media type of a Content-Type header, its parameters, and
 * multipart/form-data (RFC 7578) bodies held whole in memory.
 *
 * The parser never copies a part's data: a part points into the body, so
 * the body must outlive the parts.  Headers of a part are limited in size
 * and number, and anything malformed is an error with a message, never a
 * guess.
 */
#ifndef HTR_SERVE_MULTIPART_H
#define HTR_SERVE_MULTIPART_H

#include <stddef.h>

/* Longest boundary RFC 2046 allows is 70; names and types are short. */
#define HTR_MP_BOUNDARY_MAX  72
#define HTR_MP_NAME_MAX      64
#define HTR_MP_FILENAME_MAX  256
#define HTR_MP_TYPE_MAX      128

struct htr_mp_part {
	char name[HTR_MP_NAME_MAX];         /* form field name */
	char filename[HTR_MP_FILENAME_MAX]; /* "" if none (a plain field) */
	char type[HTR_MP_TYPE_MAX];         /* its Content-Type, "" if none */
	const unsigned char *data;          /* [len], inside the body */
	size_t len;
};

/* 1 if the media type of the Content-Type value ctype (parameters after
 * ';' ignored, case-insensitive) is type, else 0.  NULL ctype gives 0. */
int htr_mp_type_is(const char *ctype, const char *type);
/* Copies the value of parameter 'param' of a header value such as
 * 'multipart/form-data; boundary="xyz"' into out (size n), unquoted.
 * Returns 0, or -1 (htr_fail) if absent, malformed or too long. */
int htr_mp_param(const char *value, const char *param, char *out, size_t n);
/* Splits a multipart body into at most maxpart parts.  Returns the number
 * of parts, or -1 (htr_fail: no boundary line, a part without
 * Content-Disposition or name, headers too long, missing closing
 * boundary, more than maxpart parts). */
int htr_mp_parse(struct htr_mp_part *part, int maxpart,
	const unsigned char *body, size_t len, const char *boundary);
/* The first part named name, or NULL. */
const struct htr_mp_part *htr_mp_find(const struct htr_mp_part *part,
	int npart, const char *name);

#endif
