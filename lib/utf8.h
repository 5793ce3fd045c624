/* utf8.h — the library's one UTF-8 decoder and encoder.  Valid means
 * RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF, no
 * truncated sequences. */
#ifndef HTR_UTF8_H
#define HTR_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length in bytes (1 to 4) of the valid UTF-8 sequence at s, reading at
 * most n bytes, with its code point in *cp when cp is not NULL; 0 when
 * n is 0 or the bytes there are not a valid sequence.  A NUL byte is a
 * sequence of length 1. */
int  htr_utf8_seq(const char *s, size_t n, uint32_t *cp);
/* Decodes the NUL-ended UTF-8 string s into code points; at most max are
 * stored in out (out may be NULL to count).  Returns the number of code
 * points, or -1 (htr_fail: "invalid UTF-8 (...)") on invalid UTF-8. */
long htr_utf8_decode(const char *s, uint32_t *out, long max);
/* Encodes one code point as UTF-8 into buf (at least 5 bytes, NUL-ended);
 * returns the number of bytes (0 for an invalid code point). */
int  htr_utf8_encode(uint32_t cp, char *buf);
/* Length in bytes of the UTF-8 sequence starting at the NUL-ended s (1
 * for a byte that does not start a valid sequence, 0 at the NUL). */
int  htr_utf8_len(const char *s);
/* 1 if s[0..n) is valid UTF-8 without NUL bytes, else 0. */
int  htr_utf8_valid(const char *s, size_t n);

#endif
