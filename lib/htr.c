/* htr.c — errors, assertions and checked allocation. */
#define _DEFAULT_SOURCE         /* MADV_HUGEPAGE */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

#include "htr.h"

static _Thread_local char errbuf[512];

int
htr_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
htr_errmsg(void)
{
	return errbuf;
}

int
htr_fail_prefix(const char *what)
{
	char tmp[sizeof errbuf];
	size_t n = strlen(what);

	if (n > sizeof tmp / 2)
		n = sizeof tmp / 2;
	memcpy(tmp, what, n);
	memcpy(tmp + n, ": ", 2);
	memcpy(tmp + n + 2, errbuf, sizeof tmp - n - 2);
	tmp[sizeof tmp - 1] = 0;
	memcpy(errbuf, tmp, sizeof errbuf);
	return -1;
}

void
htr_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "htr: assertion failed: %s (%s:%d)\n", what, file, line);
	abort();
}

/* Blocks this large (model files, weights, activations, language models)
 * ask Linux for transparent huge pages: each first touch of a 4 KiB page
 * is a fault, and on virtual machines faults are dear (loading the 19 MB
 * line model spent more time in them than in reading and checking it). */
#define HUGE_MIN ((size_t)2 << 20)

static void *
huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (p && n >= HUGE_MIN) {
		long pg = sysconf(_SC_PAGESIZE);
		if (pg <= 0)
			pg = 4096;
		uintptr_t a = ((uintptr_t)p + pg - 1) & ~(uintptr_t)(pg - 1);
		uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(pg - 1);
		if (e > a)   /* only a hint: its failure changes nothing */
			(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
#else
	(void)n;
#endif
	return p;
}

void *
htr_alloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		htr_fail("out of memory (%zu x %zu bytes)", n, size);
		return NULL;
	}
	p = malloc(n * size > 0 ? n * size : 1);
	if (!p)
		htr_fail("out of memory (%zu bytes)", n * size);
	return huge(p, n * size);
}

void *
htr_zalloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		htr_fail("out of memory (%zu x %zu bytes)", n, size);
		return NULL;
	}
	p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		htr_fail("out of memory (%zu bytes)", n * size);
	return huge(p, n * size);
}

void *
htr_realloc(void *p, size_t n, size_t size)
{
	void *q;

	if (size && n > SIZE_MAX / size) {
		htr_fail("out of memory (%zu x %zu bytes)", n, size);
		return NULL;
	}
	q = realloc(p, n * size > 0 ? n * size : 1);
	if (!q)
		htr_fail("out of memory (%zu bytes)", n * size);
	return huge(q, n * size);
}

unsigned char *
htr_read_all(FILE *f, size_t max, size_t *len)
{
	struct stat st;
	unsigned char *buf, *nb;
	size_t cap = 65536, n = 0, k;

	/* a regular file's size is known: one allocation, no copies (one
	 * byte for the NUL and one so that the read that finds the end has
	 * room) */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= 0 && (uintmax_t)st.st_size <= max)
		cap = (size_t)st.st_size + 2;
	if (!(buf = htr_alloc(cap, 1)))
		return NULL;
	while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (n > max) {
			free(buf);
			htr_fail("larger than %zu bytes", max);
			return NULL;
		}
		if (n + 1 == cap) {
			if (!(nb = htr_realloc(buf, cap *= 2, 1))) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		free(buf);
		htr_fail("read error");
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}
