/* utf8.c — UTF-8 decoding, encoding and validation for the library. */
#include "htr.h"
#include "utf8.h"

enum { BADLEAD = -1, TRUNCATED = -2, BADPOINT = -3 };

/* Decodes the sequence at s (at most n bytes, n >= 1): its length, or
 * BADLEAD, TRUNCATED (at byte *at) or BADPOINT.  Reads no byte past the
 * first one that is not a continuation byte. */
static int
seq(const unsigned char *s, size_t n, uint32_t *cp, size_t *at)
{
	uint32_t c = s[0], min;
	int more;

	if (c < 0x80)
		more = 0, min = 0;
	else if ((c & 0xe0) == 0xc0)
		more = 1, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		more = 2, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		more = 3, c &= 0x07, min = 0x10000;
	else
		return BADLEAD;
	for (int i = 1; i <= more; i++) {
		if ((size_t)i >= n || (s[i] & 0xc0) != 0x80) {
			*at = (size_t)i;
			return TRUNCATED;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*at = (size_t)more + 1;
		*cp = c;
		return BADPOINT;
	}
	*cp = c;
	return more + 1;
}

int
htr_utf8_seq(const char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t at;
	int k;

	if (!n || (k = seq((const unsigned char *)s, n, &c, &at)) < 0)
		return 0;
	if (cp)
		*cp = c;
	return k;
}

long
htr_utf8_decode(const char *str, uint32_t *out, long max)
{
	const unsigned char *s = (const unsigned char *)str;
	long n = 0, off;

	while (*s) {
		uint32_t c = 0;
		size_t at = 0;
		int k = seq(s, (size_t)-1, &c, &at);

		off = (long)((const char *)s - str);
		if (k == BADLEAD)
			return htr_fail("invalid UTF-8 (byte 0x%02x at offset "
			    "%ld)", s[0], off);
		if (k == TRUNCATED)
			return htr_fail("invalid UTF-8 (truncated sequence at "
			    "offset %ld)", off + (long)at);
		if (k == BADPOINT)
			return htr_fail("invalid UTF-8 (bad code point U+%04X "
			    "before offset %ld)", (unsigned)c, off + (long)at);
		if (out && n < max)
			out[n] = c;
		n++;
		s += k;
	}
	return n;
}

int
htr_utf8_encode(uint32_t c, char *buf)
{
	unsigned char *b = (unsigned char *)buf;
	int n;

	if (c < 0x80)
		b[0] = (unsigned char)c, n = 1;
	else if (c < 0x800)
		b[0] = 0xc0 | c >> 6, b[1] = 0x80 | (c & 0x3f), n = 2;
	else if (c >= 0xd800 && c <= 0xdfff)
		n = 0;
	else if (c < 0x10000)
		b[0] = 0xe0 | c >> 12, b[1] = 0x80 | (c >> 6 & 0x3f),
		b[2] = 0x80 | (c & 0x3f), n = 3;
	else if (c <= 0x10ffff)
		b[0] = 0xf0 | c >> 18, b[1] = 0x80 | (c >> 12 & 0x3f),
		b[2] = 0x80 | (c >> 6 & 0x3f), b[3] = 0x80 | (c & 0x3f), n = 4;
	else
		n = 0;
	buf[n] = 0;
	return n;
}

int
htr_utf8_len(const char *s)
{
	int k;

	if (!*s)
		return 0;
	k = htr_utf8_seq(s, 4, NULL);
	return k > 0 ? k : 1;
}

int
htr_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int k;

		if (!s[i] || (k = htr_utf8_seq(s + i, n - i, NULL)) <= 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}
