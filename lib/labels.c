/* labels.c — alphabets from datasets, text <-> class indices. */
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "labels.h"
#include "utf8.h"

int
htr_labels_alphabet(struct htr_alphabet *a, const struct htr_dataset *ds)
{
	/* a bitmap of the code points in use */
	unsigned char *seen = htr_zalloc(0x110000 / 8, 1);
	const char **sym = NULL;
	char *buf = NULL;
	int n = 1, r = -1;

	memset(a, 0, sizeof *a);
	if (!seen)
		return -1;
	for (long i = 0; i < ds->n; i++) {
		const char *t = ds->s[i].text;
		long m = htr_utf8_decode(t, NULL, 0);
		uint32_t *cp;

		if (m < 0 || !(cp = htr_alloc((size_t)m + 1, sizeof *cp)))
			goto out;
		htr_utf8_decode(t, cp, m);
		for (long j = 0; j < m; j++)
			seen[cp[j] >> 3] |= 1 << (cp[j] & 7);
		free(cp);
	}
	for (uint32_t c = 1; c < 0x110000; c++)
		n += seen[c >> 3] >> (c & 7) & 1;
	if (n > HTR_ALPHABET_MAX) {
		htr_fail("%d distinct characters, more than %d", n - 1,
		    HTR_ALPHABET_MAX - 1);
		goto out;
	}
	if (!(sym = htr_alloc((size_t)n, sizeof *sym)) ||
	    !(buf = htr_alloc((size_t)n, 5)))
		goto out;
	sym[0] = "";
	n = 1;
	for (uint32_t c = 1; c < 0x110000; c++)
		if (seen[c >> 3] >> (c & 7) & 1) {
			htr_utf8_encode(c, buf + 5 * n);
			sym[n] = buf + 5 * n;
			n++;
		}
	r = htr_alphabet_init(a, sym, n);
out:
	free(seen);
	free(sym);
	free(buf);
	return r;
}

struct si {
	const char *s;
	int i;
};

static int
cmp_si(const void *x, const void *y)
{
	return strcmp(((const struct si *)x)->s, ((const struct si *)y)->s);
}

int
htr_labeler_init(struct htr_labeler *l, const struct htr_alphabet *a)
{
	struct si *p;

	l->a = a;
	l->maxlen = 0;
	l->order = htr_alloc((size_t)a->n, sizeof *l->order);
	p = htr_alloc((size_t)a->n, sizeof *p);
	if (!l->order || !p) {
		free(l->order);
		free(p);
		l->order = NULL;
		return -1;
	}
	for (int i = 1; i < a->n; i++) {
		int k = (int)strlen(a->sym[i]);

		p[i - 1].s = a->sym[i];
		p[i - 1].i = i;
		if (k > l->maxlen)
			l->maxlen = k;
	}
	qsort(p, (size_t)a->n - 1, sizeof *p, cmp_si);
	for (int i = 0; i < a->n - 1; i++)
		l->order[i] = p[i].i;
	free(p);
	return 0;
}

void
htr_labeler_free(struct htr_labeler *l)
{
	free(l->order);
	l->order = NULL;
}

/* The symbol equal to s[0..k), or -1 (binary search over order). */
static int
find(const struct htr_labeler *l, const char *s, int k)
{
	int lo = 0, hi = l->a->n - 2;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, sym = l->order[mid];
		const char *t = l->a->sym[sym];
		int c = strncmp(t, s, (size_t)k);

		if (c == 0)
			c = t[k] != 0;      /* t longer than k bytes */
		if (c == 0)
			return sym;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

long
htr_labeler_encode(const struct htr_labeler *l, const char *text,
    int *labels, long max)
{
	long n = 0;
	const char *p = text;

	if (htr_utf8_decode(text, NULL, 0) < 0)
		return -1;
	while (*p) {
		int best = -1, blen = 0, k = 0;

		/* code point boundaries up to maxlen bytes, longest first */
		int ends[64], ne = 0;
		while (p[k] && k < l->maxlen && ne < 64) {
			k += htr_utf8_len(p + k);
			if (k <= l->maxlen)
				ends[ne++] = k;
		}
		for (int e = ne - 1; e >= 0 && best < 0; e--)
			if ((best = find(l, p, ends[e])) >= 0)
				blen = ends[e];
		if (best < 0) {
			char u[8] = {0};
			uint32_t cp[1] = {0};
			int cl = htr_utf8_len(p);

			memcpy(u, p, (size_t)cl);
			htr_utf8_decode(u, cp, 1);
			return htr_fail("character '%s' (U+%04X) of \"%.60s\" is not "
			    "in the model's alphabet", cp[0] < 32 ? "?" : u,
			    (unsigned)cp[0], text);
		}
		if (n < max)
			labels[n] = best;
		n++;
		p += blen;
	}
	return n;
}

long
htr_labels_decode(const struct htr_alphabet *a, const int *labels,
    long nlabels, char *buf, long n)
{
	long len = 0;

	HTR_ASSERT(n > 0);
	for (long i = 0; i < nlabels; i++) {
		long k;

		if (labels[i] <= 0 || labels[i] >= a->n)
			continue;
		k = (long)strlen(a->sym[labels[i]]);
		if (len + k >= n)
			break;
		memcpy(buf + len, a->sym[labels[i]], (size_t)k);
		len += k;
	}
	buf[len] = 0;
	return len;
}

int
htr_labels_check(const struct htr_dataset *ds, const struct htr_alphabet *a)
{
	struct htr_labeler l;
	int r = 0;

	if (htr_labeler_init(&l, a))
		return -1;
	for (long i = 0; i < ds->n && r == 0; i++)
		if (htr_labeler_encode(&l, ds->s[i].text, NULL, 0) < 0) {
			char where[600];
			r = htr_fail_prefix(htr_dataset_where(ds, i, where,
			    sizeof where));
		}
	htr_labeler_free(&l);
	return r;
}
