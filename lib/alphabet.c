/* alphabet.c — model symbols and their kind=alphabet record. */
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "htr.h"
#include "utf8.h"

void
htr_alphabet_free(struct htr_alphabet *a)
{
	free(a->sym);
	free(a->buf);
	a->sym = NULL;
	a->buf = NULL;
	a->n = 0;
}

int
htr_alphabet_find(const struct htr_alphabet *a, const char *s)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->sym[i], s))
			return i;
	return -1;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int
htr_alphabet_init(struct htr_alphabet *a, const char *const *sym, int n)
{
	size_t total = 0;
	char *p, **sorted;

	memset(a, 0, sizeof *a);
	if (n < 1 || n > HTR_ALPHABET_MAX)
		return htr_fail("alphabet of %d symbols (1 to %d allowed)", n,
		    HTR_ALPHABET_MAX);
	if (sym[0][0])
		return htr_fail("alphabet: symbol 0 must be the blank (empty)");
	for (int i = 0; i < n; i++) {
		size_t l = strlen(sym[i]);
		if (i > 0 && l == 0)
			return htr_fail("alphabet: symbol %d is empty", i);
		if (l > HTR_SYMBOL_MAX)
			return htr_fail("alphabet: symbol %d longer than %d "
			    "bytes", i, HTR_SYMBOL_MAX);
		if (strchr(sym[i], '\n') || !htr_utf8_valid(sym[i], l))
			return htr_fail("alphabet: symbol %d is not one line "
			    "of UTF-8", i);
		total += l + 1;
	}
	if (!(a->sym = htr_alloc((size_t)n, sizeof *a->sym)) ||
	    !(a->buf = htr_alloc(total, 1))) {
		htr_alphabet_free(a);
		return -1;
	}
	p = a->buf;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(sym[i]) + 1;
		memcpy(p, sym[i], l);
		a->sym[i] = p;
		p += l;
	}
	a->n = n;
	if (!(sorted = htr_alloc((size_t)n, sizeof *sorted))) {
		htr_alphabet_free(a);
		return -1;
	}
	memcpy(sorted, a->sym, (size_t)n * sizeof *sorted);
	qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
	for (int i = 1; i < n; i++)
		if (!strcmp(sorted[i - 1], sorted[i])) {
			htr_fail("alphabet: symbol \"%s\" appears twice",
			    sorted[i]);
			free(sorted);
			htr_alphabet_free(a);
			return -1;
		}
	free(sorted);
	return 0;
}

/* Splits buf (len bytes, NUL-terminated copy) at each end of a symbol. */
static int
init_split(struct htr_alphabet *a, char *buf, int n)
{
	const char **sym;
	char *p = buf;
	int r;

	if (!(sym = htr_alloc((size_t)n, sizeof *sym)))
		return -1;
	for (int i = 0; i < n; i++) {
		sym[i] = p;
		p += strlen(p) + 1;
	}
	r = htr_alphabet_init(a, sym, n);
	free(sym);
	return r;
}

int
htr_alphabet_from_chars(struct htr_alphabet *a, const char *s, size_t len)
{
	char *buf, *q;
	int n = 1, r;

	memset(a, 0, sizeof *a);
	if (len && s[len - 1] == '\n')
		len--;
	if (len && s[len - 1] == '\r')
		len--;
	if (!htr_utf8_valid(s, len))
		return htr_fail("character list is not valid UTF-8");
	if (!(buf = htr_alloc(2 * len + 1, 1)))
		return -1;
	q = buf;
	*q++ = 0;                   /* the blank */
	for (size_t i = 0; i < len; ) {
		int k = htr_utf8_len(s + i);
		memcpy(q, s + i, (size_t)k);
		q[k] = 0;
		q += k + 1;
		i += (size_t)k;
		n++;
	}
	r = n > HTR_ALPHABET_MAX ? htr_fail("more than %d characters",
	    HTR_ALPHABET_MAX - 1) : init_split(a, buf, n);
	free(buf);
	return r;
}

int
htr_alphabet_from_tensor(struct htr_alphabet *a, const struct htr_tensor *t)
{
	const char *d = t->data;
	char *buf;
	size_t len;
	int n = 0, r;

	memset(a, 0, sizeof *a);
	if (!htr_tensor_is(t, "alphabet"))
		return htr_fail("not an alphabet record");
	if (t->dtype != HTR_U8 || t->rank != 1)
		return htr_fail("alphabet record is %s of rank %d, not u8 of "
		    "rank 1", htr_tensor_dtype_name(t->dtype), t->rank);
	len = (size_t)t->dim[0];
	if (len == 0 || d[len - 1] != '\n')
		return htr_fail("alphabet record does not end with a newline");
	if (memchr(d, 0, len))
		return htr_fail("NUL byte in alphabet record");
	for (size_t i = 0; i < len; i++)
		n += d[i] == '\n';
	if (n > HTR_ALPHABET_MAX)
		return htr_fail("alphabet of %d symbols exceeds the limit of %d",
		    n, HTR_ALPHABET_MAX);
	if (!(buf = htr_alloc(len, 1)))
		return -1;
	for (size_t i = 0; i < len; i++)
		buf[i] = d[i] == '\n' ? 0 : d[i];
	r = init_split(a, buf, n);
	free(buf);
	return r;
}

int
htr_alphabet_to_tensor(struct htr_tensor *t, const struct htr_alphabet *a)
{
	size_t len = 0;
	char *p;
	int dim;

	for (int i = 0; i < a->n; i++)
		len += strlen(a->sym[i]) + 1;
	if (len > (size_t)HTR_TENSOR_MAXELEM)
		return htr_fail("alphabet too large");
	dim = (int)len;
	if (htr_tensor_alloc(t, HTR_U8, 1, &dim, "alphabet"))
		return -1;
	p = t->data;
	for (int i = 0; i < a->n; i++) {
		size_t l = strlen(a->sym[i]);
		memcpy(p, a->sym[i], l);
		p[l] = '\n';
		p += l + 1;
	}
	return 0;
}
