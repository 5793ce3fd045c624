/* metrics.c — Levenshtein distance, CER, WER, accuracy. */
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "metrics.h"
#include "utf8.h"

long
htr_levenshtein(const uint32_t *a, long na, const uint32_t *b, long nb)
{
	long *row, d;

	if (na == 0)
		return nb;
	if (nb == 0)
		return na;
	if (!(row = htr_alloc((size_t)nb + 1, sizeof *row)))
		return -1;
	for (long j = 0; j <= nb; j++)
		row[j] = j;
	for (long i = 1; i <= na; i++) {
		long diag = row[0];          /* D[i-1][j-1] */

		row[0] = i;
		for (long j = 1; j <= nb; j++) {
			long up = row[j];    /* D[i-1][j] */
			long best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[nb];
	free(row);
	return d;
}

/* Decodes s into a fresh array; *n gets its length. */
static uint32_t *
decode(const char *s, long *n)
{
	uint32_t *cp;

	if ((*n = htr_utf8_decode(s, NULL, 0)) < 0)
		return NULL;
	if (!(cp = htr_alloc((size_t)*n + 1, sizeof *cp)))
		return NULL;
	htr_utf8_decode(s, cp, *n);
	return cp;
}

long
htr_metrics_char_distance(const char *ref, const char *hyp)
{
	long na, nb, d = -1;
	uint32_t *a = decode(ref, &na), *b = a ? decode(hyp, &nb) : NULL;

	if (a && b)
		d = htr_levenshtein(a, na, b, nb);
	free(a);
	free(b);
	return d;
}

static int
is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == 0xa0 || c == 0x2009 || c == 0x202f || c == 0x3000;
}

/* Replaces each word of the code point string by a number: words are
 * interned by hashing their content, so equal words get equal ids (hash
 * collisions of different words are resolved by comparing content). */
static uint32_t *
words_of(const uint32_t *cp, long n, long *nw, const uint32_t ***starts,
    long **lens)
{
	uint32_t *ids = htr_alloc((size_t)n / 2 + 1, sizeof *ids);
	const uint32_t **st = htr_alloc((size_t)n / 2 + 1, sizeof *st);
	long *ln = htr_alloc((size_t)n / 2 + 1, sizeof *ln), k = 0;

	if (!ids || !st || !ln) {
		free(ids), free(st), free(ln);
		return NULL;
	}
	for (long i = 0; i < n;) {
		if (is_space(cp[i])) {
			i++;
			continue;
		}
		long j = i;
		while (j < n && !is_space(cp[j]))
			j++;
		st[k] = cp + i;
		ln[k] = j - i;
		k++;
		i = j;
	}
	*nw = k;
	*starts = st;
	*lens = ln;
	return ids;
}

long
htr_metrics_word_distance(const char *ref, const char *hyp)
{
	long na, nb, wa = 0, wb = 0, d = -1;
	uint32_t *a = decode(ref, &na), *b = a ? decode(hyp, &nb) : NULL;
	uint32_t *ia = NULL, *ib = NULL;
	const uint32_t **sa = NULL, **sb = NULL;
	long *la = NULL, *lb = NULL;

	if (!a || !b)
		goto out;
	if (!(ia = words_of(a, na, &wa, &sa, &la)) ||
	    !(ib = words_of(b, nb, &wb, &sb, &lb)))
		goto out;
	/* Word ids: index of the first equal word among ref words, then hyp
	 * words (quadratic, but lines hold few words). */
	for (long i = 0; i < wa + wb; i++) {
		const uint32_t *si = i < wa ? sa[i] : sb[i - wa];
		long li = i < wa ? la[i] : lb[i - wa];
		uint32_t id = (uint32_t)i;

		for (long j = 0; j < i; j++) {
			const uint32_t *sj = j < wa ? sa[j] : sb[j - wa];
			long lj = j < wa ? la[j] : lb[j - wa];

			if (li == lj && !memcmp(si, sj, li * sizeof *si)) {
				id = j < wa ? ia[j] : ib[j - wa];
				break;
			}
		}
		if (i < wa)
			ia[i] = id;
		else
			ib[i - wa] = id;
	}
	d = htr_levenshtein(ia, wa, ib, wb);
out:
	free(a), free(b), free(ia), free(ib);
	free(sa), free(sb), free(la), free(lb);
	return d;
}

void
htr_metrics_init(struct htr_metrics *m)
{
	memset(m, 0, sizeof *m);
}

/* Words of a UTF-8 string, split where is_space() says. */
static long
count_words(const char *s)
{
	long n, nw = 0;
	uint32_t *cp = decode(s, &n);

	if (!cp)
		return -1;
	for (long i = 0; i < n; i++)
		nw += !is_space(cp[i]) && (i == 0 || is_space(cp[i - 1]));
	free(cp);
	return nw;
}

int
htr_metrics_add(struct htr_metrics *m, const char *ref, const char *hyp)
{
	long dc = htr_metrics_char_distance(ref, hyp), dw, nc, nw;

	if (dc < 0 || (dw = htr_metrics_word_distance(ref, hyp)) < 0 ||
	    (nw = count_words(ref)) < 0)
		return -1;
	nc = htr_utf8_decode(ref, NULL, 0);
	m->samples++;
	m->correct += !strcmp(ref, hyp);
	m->char_errors += dc;
	m->chars += nc;
	m->word_errors += dw;
	m->words += nw;
	return 0;
}

double
htr_metrics_cer(const struct htr_metrics *m)
{
	if (m->chars)
		return (double)m->char_errors / m->chars;
	return m->char_errors ? 1 : 0;
}

double
htr_metrics_wer(const struct htr_metrics *m)
{
	if (m->words)
		return (double)m->word_errors / m->words;
	return m->word_errors ? 1 : 0;
}

double
htr_metrics_accuracy(const struct htr_metrics *m)
{
	return m->samples ? (double)m->correct / m->samples : 0;
}
