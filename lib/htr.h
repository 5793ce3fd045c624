/* htr.h — what every part of libhtr shares: errors, assertions, limits,
 * checked allocation.
 *
 * The library never prints and never exits.  A function that can fail
 * returns -1 (or NULL) after htr_fail() has recorded a one-line message
 * for the calling thread; the program prints it with htr_errmsg().
 */
#ifndef HTR_H
#define HTR_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Largest image the library will allocate: 2^28 pixels (e.g. 16384 x 16384).
 * Checked against the header before any pixel buffer exists. */
#define HTR_MAX_PIXELS  (1L << 28)
#define HTR_MAX_DIM     65535

/* Records a printf-style message as the calling thread's error; returns -1. */
int htr_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* The calling thread's last error message ("" if none). */
const char *htr_errmsg(void);
/* Prefixes the current error with "what: ", e.g. a file name; returns -1. */
int htr_fail_prefix(const char *what);

/* Programmer errors: stays on in release builds, names file and line. */
#define HTR_ASSERT(c) ((c) ? (void)0 : \
	htr_assert_fail(#c, __FILE__, __LINE__))
_Noreturn void htr_assert_fail(const char *what, const char *file, int line);

/* malloc/calloc that record "out of memory" and return NULL on failure;
 * n * size is checked for overflow. */
void *htr_alloc(size_t n, size_t size);
void *htr_zalloc(size_t n, size_t size);
void *htr_realloc(void *p, size_t n, size_t size);

/* Reads the rest of f into a new buffer of *len bytes and a NUL after them
 * (a regular file in one allocation of its size).  NULL + htr_fail() on a
 * read error, when out of memory, or past max bytes ("larger than max
 * bytes"); the caller names the file. */
unsigned char *htr_read_all(FILE *f, size_t max, size_t *len);

#endif
