/* serve_json.c — JSON text for htr-serve's replies (serve_json.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "serve_json.h"
#include "utf8.h"

void
htr_json_init(struct htr_json *j)
{
	j->s = NULL;
	j->n = j->cap = 0;
	j->oom = 0;
}

void
htr_json_free(struct htr_json *j)
{
	free(j->s);
	htr_json_init(j);
}

/* Makes room for n more bytes and the NUL; 0, or -1 with j->oom set. */
static int
reserve(struct htr_json *j, size_t n)
{
	size_t cap;
	char *s;

	if (j->oom)
		return -1;
	if (j->n + n + 1 <= j->cap)
		return 0;
	cap = j->cap ? j->cap : 256;
	while (cap < j->n + n + 1) {
		if (cap > (size_t)-1 / 2) {
			j->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if (!(s = realloc(j->s, cap))) {
		j->oom = 1;
		return -1;
	}
	j->s = s;
	j->cap = cap;
	return 0;
}

static void
put(struct htr_json *j, const char *s, size_t n)
{
	if (reserve(j, n))
		return;
	memcpy(j->s + j->n, s, n);
	j->n += n;
	j->s[j->n] = 0;
}

void
htr_json_raw(struct htr_json *j, const char *s)
{
	put(j, s, strlen(s));
}

void
htr_json_printf(struct htr_json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(j, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(j->s + j->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	j->n += (size_t)n;
}

void
htr_json_strn(struct htr_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	put(j, "\"", 1);
	for (size_t i = 0; i < n; ) {
		unsigned char c = s[i];
		size_t len;

		switch (c) {
		case '"':  put(j, "\\\"", 2); i++; continue;
		case '\\': put(j, "\\\\", 2); i++; continue;
		case '\n': put(j, "\\n", 2); i++; continue;
		case '\r': put(j, "\\r", 2); i++; continue;
		case '\t': put(j, "\\t", 2); i++; continue;
		}
		if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(j, esc, 6);
			i++;
		} else if ((len = (size_t)htr_utf8_seq((const char *)s + i, n - i,
		    NULL)) > 0) {
			put(j, (const char *)s + i, len);
			i += len;
		} else {
			put(j, "\xEF\xBF\xBD", 3);      /* U+FFFD */
			i++;
		}
	}
	put(j, "\"", 1);
}

void
htr_json_str(struct htr_json *j, const char *s)
{
	if (!s)
		htr_json_raw(j, "null");
	else
		htr_json_strn(j, s, strlen(s));
}

void
htr_json_num(struct htr_json *j, double v, int digits)
{
	if (!isfinite(v)) {
		htr_json_raw(j, "null");
		return;
	}
	if (digits < 0)
		digits = 0;
	if (digits > 9)
		digits = 9;
	if (v == floor(v) && fabs(v) < 1e15)
		htr_json_printf(j, "%.0f", v);
	else
		htr_json_printf(j, "%.*f", digits, v);
}

void
htr_json_box(struct htr_json *j, const int box[4])
{
	htr_json_printf(j, "[%d,%d,%d,%d]", box[0], box[1], box[2], box[3]);
}

char *
htr_json_take(struct htr_json *j, size_t *len)
{
	char *s;

	if (j->oom) {
		htr_json_free(j);
		htr_fail("out of memory");
		return NULL;
	}
	if (reserve(j, 0)) {
		htr_json_free(j);
		htr_fail("out of memory");
		return NULL;
	}
	s = j->s;
	s[j->n] = 0;
	if (len)
		*len = j->n;
	htr_json_init(j);
	return s;
}
