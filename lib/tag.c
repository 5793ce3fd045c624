/* tag.c — key=value tag strings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "tag.h"

/* Finds "key=" at the start of a word; returns a pointer to the word. */
static const char *
find(const char *tags, const char *key)
{
	size_t k = strlen(key);
	const char *p = tags;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, k) && p[k] == '=')
			return p;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

int
htr_tag_get(const char *tags, const char *key, char *buf, size_t n)
{
	const char *p = find(tags, key), *v;
	size_t len;

	if (!p)
		return -1;
	v = p + strlen(key) + 1;
	len = strcspn(v, " ");
	if (n) {
		if (len >= n)
			len = n - 1;
		memcpy(buf, v, len);
		buf[len] = 0;
	}
	return 0;
}

long
htr_tag_int(const char *tags, const char *key, long def)
{
	char buf[32], *end;
	long v;

	if (htr_tag_get(tags, key, buf, sizeof buf))
		return def;
	v = strtol(buf, &end, 10);
	return end == buf || *end ? def : v;
}

int
htr_tag_box(const char *tags, int box[4])
{
	return htr_tag_box_of(tags, "box", box);
}

int
htr_tag_box_of(const char *tags, const char *key, int box[4])
{
	char buf[64];
	int b[4], n = 0;

	if (htr_tag_get(tags, key, buf, sizeof buf))
		return -1;
	if (sscanf(buf, "%d,%d,%d,%d%n", &b[0], &b[1], &b[2], &b[3], &n) !=
	    4 || buf[n])
		return -1;
	memcpy(box, b, sizeof b);
	return 0;
}

void
htr_tag_del(char *tags, const char *key)
{
	char *p = (char *)find(tags, key), *e;

	if (!p)
		return;
	e = p + strcspn(p, " ");
	while (*e == ' ')
		e++;
	memmove(p, e, strlen(e) + 1);
	/* trim a trailing space left behind */
	for (size_t n = strlen(tags); n && tags[n - 1] == ' '; n--)
		tags[n - 1] = 0;
}

int
htr_tag_set(char *tags, const char *key, const char *value)
{
	size_t len, klen = strlen(key), vlen = strlen(value);

	htr_tag_del(tags, key);
	len = strlen(tags);
	if (len + (len > 0) + klen + 1 + vlen >= HTR_TAG_MAX)
		return htr_fail("tag %s=%s does not fit in %d bytes", key, value,
		    HTR_TAG_MAX);
	if (len)
		tags[len++] = ' ';
	memcpy(tags + len, key, klen);
	tags[len + klen] = '=';
	for (size_t i = 0; i < vlen; i++) {
		char c = value[i];
		tags[len + klen + 1 + i] = (c == ' ' || c == '\n' || c == '\r' ||
		    c == '\t') ? '_' : c;
	}
	tags[len + klen + 1 + vlen] = 0;
	return 0;
}

int
htr_tag_setf(char *tags, const char *key, const char *fmt, ...)
{
	char buf[HTR_TAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return htr_tag_set(tags, key, buf);
}

int
htr_tag_valid(const char *tags)
{
	size_t n = strlen(tags);

	if (n >= HTR_TAG_MAX)
		return htr_fail("tag longer than %d bytes", HTR_TAG_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tags[i] < 0x20 || tags[i] == 0x7f)
			return htr_fail("control character in tag");
	return 0;
}
