/* tag.h — the "key=value key=value" tags that crops and tensor records
 * carry (src=, page=, line=, word=, box=x,y,w,h, kind=).
 *
 * A tag string is at most HTR_TAG_MAX - 1 bytes of printable UTF-8 without
 * newlines; keys are [a-z0-9_]+, values contain no spaces. */
#ifndef HTR_TAG_H
#define HTR_TAG_H

#include <stddef.h>

#define HTR_TAG_MAX 256

/* Copies the value of key into buf (size n); returns 0, or -1 if absent. */
int htr_tag_get(const char *tags, const char *key, char *buf, size_t n);
/* Integer value of key, or def if absent or not an integer. */
long htr_tag_int(const char *tags, const char *key, long def);
/* Parses box=x,y,w,h into box[4]; returns 0, or -1 if absent/malformed. */
int htr_tag_box(const char *tags, int box[4]);
/* The same for another key holding x,y,w,h (scanbox=); box is left alone
 * when it is absent or malformed. */
int htr_tag_box_of(const char *tags, const char *key, int box[4]);
/* Sets key=value in tags (size HTR_TAG_MAX), replacing any old value.
 * Spaces and newlines in value become '_'.  Returns 0, or -1 (htr_fail)
 * if the result would not fit. */
int htr_tag_set(char *tags, const char *key, const char *value);
int htr_tag_setf(char *tags, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Removes key from tags if present. */
void htr_tag_del(char *tags, const char *key);
/* Checks a tag string read from a file: length, no control characters.
 * Returns 0 or -1 (htr_fail). */
int htr_tag_valid(const char *tags);

#endif
