/* htr.c — errors, assertions and checked allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return p;
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
	return p;
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
	return q;
}
