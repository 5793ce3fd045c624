/* synthtext.c — texts for synthetic handwriting: file lines and word
 * n-grams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "synth.h"
#include "synthtext.h"

#define MAX_FILE (1L << 28)

/* Share of words of each length (1..13+ letters) in English and French
 * running text, roughly; word lists are reweighted to follow it. */
static const double len_share[14] = {
	0, 0.04, 0.16, 0.18, 0.15, 0.11, 0.09, 0.08, 0.06, 0.05, 0.035, 0.02,
	0.013, 0.01
};

static int
read_file(const char *path, char **buf, long *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return htr_fail("%s: %s", path, strerror(errno));
	*buf = (char *)htr_read_all(f, (size_t)MAX_FILE, &n);
	fclose(f);
	if (!*buf)
		return htr_fail_prefix(path);
	*len = (long)n;
	return 0;
}

/* Number of UTF-8 code points of s. */
static int
u8len(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
htr_synthtext_free(struct htr_synthtext *t)
{
	free(t->buf);
	free(t->line);
	free(t->lineno);
	free(t->word);
	free(t->cum);
	memset(t, 0, sizeof *t);
}

int
htr_synthtext_load(struct htr_synthtext *t, const char *path)
{
	uint32_t *cp;
	long len = 0, nl = 0, nw = 0, lineno = 0;
	char *p, *words;

	memset(t, 0, sizeof *t);
	if (read_file(path, &t->buf, &len))
		return -1;
	if (!(cp = htr_alloc(HTR_SYNTHTEXT_LINE, sizeof *cp))) {
		htr_synthtext_free(t);
		return -1;
	}
	if (memchr(t->buf, 0, (size_t)len)) {
		htr_synthtext_free(t);
		return htr_fail("%s: NUL byte: not a text file", path);
	}
	/* one pass to split, check and count; the words live in a second
	 * copy of the text after the first */
	if (!(p = htr_realloc(t->buf, 2 * (size_t)len + 2, 1))) {
		htr_synthtext_free(t);
		return -1;
	}
	t->buf = p;
	words = p + len + 1;
	for (char *s = p; s < p + len; ) {
		char *e = memchr(s, '\n', (size_t)(p + len - s));

		if (!e)
			e = p + len;
		*e = 0;
		lineno++;
		if (strlen(s) >= HTR_SYNTHTEXT_LINE) {
			free(cp);
			htr_synthtext_free(t);
			return htr_fail("%s:%ld: line longer than %d bytes", path,
			    lineno, HTR_SYNTHTEXT_LINE - 1);
		}
		if (htr_synth_utf8(cp, HTR_SYNTHTEXT_LINE, s) < 0) {
			free(cp);
			htr_synthtext_free(t);
			return htr_fail("%s:%ld: invalid UTF-8", path, lineno);
		}
		for (char *q = s; *q; q++)
			if ((unsigned char)*q < ' ' || *q == 0x7f)
				*q = ' ';
		s = e + 1;
	}
	free(cp);
	memcpy(words, p, (size_t)len + 1);
	/* count, then fill */
	for (int pass = 0; pass < 2; pass++) {
		int single = 1;

		nl = nw = 0;
		int lno = 0;

		for (char *s = p, *w = words; s < p + len + 1; lno++) {
			size_t n = strlen(s);
			char *b = s, *e = s + n, *ws;
			int k = 0;

			while (*b == ' ')
				b++;
			while (pass && e > b && e[-1] == ' ')
				*--e = 0;
			if (*b) {
				if (pass) {
					t->line[nl] = b;
					t->lineno[nl] = lno + 1;
				}
				nl++;
			}
			ws = w + (b - s);
			for (char *q = ws; *q; ) {
				while (*q == ' ')
					*q++ = pass ? 0 : ' ';
				if (!*q)
					break;
				if (pass)
					t->word[nw] = q;
				nw++;
				k++;
				while (*q && *q != ' ')
					q++;
			}
			if (k > 1)
				single = 0;
			s += n + 1;
			w += n + 1;
		}
		if (!pass) {
			if (nl == 0) {
				htr_synthtext_free(t);
				return htr_fail("%s: no text", path);
			}
			if (nl > 1L << 26 || nw > 1L << 26) {
				htr_synthtext_free(t);
				return htr_fail("%s: too many lines or words", path);
			}
			t->is_list = single;
			if (!(t->line = htr_alloc((size_t)nl, sizeof *t->line)) ||
			    !(t->lineno = htr_alloc((size_t)nl,
			    sizeof *t->lineno)) ||
			    !(t->word = htr_alloc((size_t)nw, sizeof *t->word))) {
				htr_synthtext_free(t);
				return -1;
			}
		}
	}
	t->nline = (int)nl;
	t->nword = (int)nw;
	if (t->is_list) {
		long hist[14] = {0};
		double sum = 0;

		if (!(t->cum = htr_alloc((size_t)nw, sizeof *t->cum))) {
			htr_synthtext_free(t);
			return -1;
		}
		for (int i = 0; i < t->nword; i++) {
			int n = u8len(t->word[i]);
			hist[n > 13 ? 13 : n]++;
		}
		for (int i = 0; i < t->nword; i++) {
			const char *w = t->word[i];
			int n = u8len(w);
			size_t b = strlen(w);
			double wt = len_share[n > 13 ? 13 : n] / hist[n > 13 ? 13 : n];
			int upper = 0;

			for (const char *q = w; *q; q++)
				upper += *q >= 'A' && *q <= 'Z';
			/* possessives fill a fifth of English word lists; names
			 * and abbreviations are rarer in text than in lists;
			 * single letters are words only in a few cases */
			if (b > 2 && !strcmp(w + b - 2, "'s"))
				wt *= 0.1;
			if (upper > 1)
				wt *= 0.03;
			else if (upper)
				wt *= 0.25;
			if (n == 1 && strcmp(w, "a") && strcmp(w, "I") &&
			    strcmp(w, "y") && strcmp(w, "\xc3\xa0"))
				wt = 0;
			t->cum[i] = sum += wt;
		}
		if (sum <= 0)
			for (int i = 0; i < t->nword; i++)
				t->cum[i] = i + 1;
	}
	return 0;
}

/* Appends s to buf (size n) at *k; returns -1 when it does not fit. */
static int
put(char *buf, size_t n, size_t *k, const char *s)
{
	size_t m = strlen(s);

	if (*k + m + 1 > n)
		return -1;
	memcpy(buf + *k, s, m + 1);
	*k += m;
	return 0;
}

/* Upper-cases the letter at s (ASCII, Latin-1, oe) in place; returns the
 * bytes it spans. */
static int
upper1(char *s)
{
	unsigned char *u = (unsigned char *)s;

	if (u[0] >= 'a' && u[0] <= 'z') {
		u[0] -= 32;
		return 1;
	}
	if (u[0] == 0xc3 && u[1] >= 0xa0 && u[1] <= 0xbe && u[1] != 0xb7) {
		u[1] -= 0x20;
		return 2;
	}
	if (u[0] == 0xc5 && u[1] == 0x93) {
		u[1] = 0x92;
		return 2;
	}
	if (!u[0])
		return 0;
	if (u[0] < 0x80)
		return 1;
	int n = 1;
	while ((u[n] & 0xc0) == 0x80)
		n++;
	return n;
}

void
htr_synthtext_upper(char *s)
{
	int n;

	while ((n = upper1(s)) > 0)
		s += n;
}

static int
pick_word(const struct htr_synthtext *t, struct htr_rng *r)
{
	double x = htr_rng_uniform(r) * t->cum[t->nword - 1];
	int lo = 0, hi = t->nword - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (t->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
number(char *w, size_t n, struct htr_rng *r)
{
	float u = htr_rng_uniform(r);

	if (u < 0.55f)
		snprintf(w, n, "%u", 1 + htr_rng_below(r, 99));
	else if (u < 0.8f)
		snprintf(w, n, "%u", 1800 + htr_rng_below(r, 230));
	else if (u < 0.9f)
		snprintf(w, n, "%u,%02u", htr_rng_below(r, 100),
		    htr_rng_below(r, 100));
	else
		snprintf(w, n, "%u.%02u", htr_rng_below(r, 100),
		    htr_rng_below(r, 100));
}

/* A line of words from a list, dressed as written text. */
static int
draw_list(const struct htr_synthtext *t, char *buf, size_t n, int k,
    struct htr_rng *r)
{
	static const char *const mid[] = {",", ".", ";", ":", "!", "?", " -"};
	static const float pmid[] = {0.07f, 0.03f, 0.01f, 0.01f, 0.004f,
	    0.004f, 0.01f};
	size_t len = 0;
	int cap = htr_rng_uniform(r) < 0.45f;

	buf[0] = 0;
	for (int i = 0; i < k; i++) {
		char w[HTR_SYNTHTEXT_LINE + 8];
		float u;
		int quote;

		if (htr_rng_uniform(r) < 0.04f)
			number(w, sizeof w, r);
		else
			snprintf(w, sizeof w, "%s", t->word[pick_word(t, r)]);
		u = htr_rng_uniform(r);
		if (u < 0.01f)
			htr_synthtext_upper(w);
		else if (cap || u < 0.06f)
			upper1(w);
		cap = 0;
		quote = htr_rng_uniform(r) < 0.015f;
		if ((i && put(buf, n, &len, " ")) ||
		    (quote && put(buf, n, &len, htr_rng_uniform(r) < 0.5f ?
		    "\"" : "(")) ||
		    put(buf, n, &len, w))
			return -1;
		if (quote && put(buf, n, &len, buf[len - strlen(w) - 1] ==
		    '"' ? "\"" : ")"))
			return -1;
		u = htr_rng_uniform(r);
		if (i == k - 1) {
			const char *end = u < 0.25f ? "." : u < 0.27f ? "!" :
			    u < 0.29f ? "?" : u < 0.32f ? "," : "";
			if (put(buf, n, &len, end))
				return -1;
			break;
		}
		for (int j = 0; j < 7; j++) {
			if (u < pmid[j]) {
				if (put(buf, n, &len, mid[j]))
					return -1;
				cap = j == 1 || j == 4 || j == 5;
				break;
			}
			u -= pmid[j];
		}
	}
	return (int)len;
}

int
htr_synthtext_draw(const struct htr_synthtext *t, char *buf, size_t n,
    int nmin, int nmax, struct htr_rng *r)
{
	int k = nmin + (int)htr_rng_below(r, (uint32_t)(nmax - nmin + 1)), len;

	HTR_ASSERT(nmin >= 1 && nmax >= nmin && n > 0);
	if (t->is_list)
		len = draw_list(t, buf, n, k, r);
	else {
		size_t l = 0;
		int s;

		if (k > t->nword)
			k = t->nword;
		s = (int)htr_rng_below(r, (uint32_t)(t->nword - k + 1));
		buf[0] = 0;
		len = 0;
		for (int i = 0; i < k && len >= 0; i++)
			if ((i && put(buf, n, &l, " ")) ||
			    put(buf, n, &l, t->word[s + i]))
				len = -1;
		if (len == 0) {
			len = (int)l;
			if (htr_rng_uniform(r) < 0.3f)
				upper1(buf);
		}
	}
	if (len < 0)
		return htr_fail("text of %d words longer than %zu bytes", k,
		    n - 1);
	return len;
}
