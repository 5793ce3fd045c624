/* serve_json.h — a growing byte buffer that writes JSON, for htr-serve's
 * replies.
 *
 * Appending never fails on the spot: running out of memory sets j->oom and
 * later appends do nothing, so a reply is built with a run of calls and
 * checked once by htr_json_take().  Strings are escaped for JSON; bytes
 * that are not valid UTF-8 become U+FFFD, so the output is always valid
 * UTF-8 whatever a decoder or a client handed us.
 */
#ifndef HTR_SERVE_JSON_H
#define HTR_SERVE_JSON_H

#include <stddef.h>

struct htr_json {
	char *s;        /* [cap] NUL-terminated text */
	size_t n, cap;
	int oom;        /* an allocation failed; the text is incomplete */
};

void htr_json_init(struct htr_json *j);
void htr_json_free(struct htr_json *j);
/* Appends s as it is (it must already be JSON). */
void htr_json_raw(struct htr_json *j, const char *s);
void htr_json_printf(struct htr_json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s (n bytes, or up to its NUL with htr_json_str) as a quoted,
 * escaped JSON string. */
void htr_json_str(struct htr_json *j, const char *s);
void htr_json_strn(struct htr_json *j, const char *s, size_t n);
/* Appends a number with up to 'digits' decimals; NaN and infinities
 * (which JSON lacks) become null. */
void htr_json_num(struct htr_json *j, double v, int digits);
/* Appends "[x,y,w,h]". */
void htr_json_box(struct htr_json *j, const int box[4]);
/* Hands over the text (the caller frees it) and its length, and leaves j
 * empty.  NULL (htr_fail "out of memory") if any append failed. */
char *htr_json_take(struct htr_json *j, size_t *len);

#endif
