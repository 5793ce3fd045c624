/* wordlm.c — dictionary prefix tree and add-k word bigrams. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "utf8.h"
#include "wordlm.h"

void
htr_wordlm_free(struct htr_wordlm *w)
{
	free(w->isword);
	free(w->wstart);
	free(w->wlab);
	free(w->node);
	free(w->ucum);
	free(w->bstart);
	free(w->bnext);
	free(w->bcum);
	memset(w, 0, sizeof *w);
}

/* The longest symbol of a that begins s (left bytes), or -1; *len gets
 * its length in bytes (or the length of one code point if none). */
static int
match(const struct htr_alphabet *a, const int *byfirst, const int *next,
    const char *s, size_t left, int *len)
{
	int best = -1, bl = 0;

	for (int i = byfirst[(unsigned char)s[0]]; i >= 0; i = next[i]) {
		size_t l = strlen(a->sym[i]);
		if (l <= left && (int)l > bl && !memcmp(s, a->sym[i], l)) {
			best = i;
			bl = (int)l;
		}
	}
	if (best < 0) {
		bl = htr_utf8_len(s);
		if (bl < 1 || (size_t)bl > left)
			bl = 1;
	}
	*len = bl;
	return best;
}

/* Word tokens of the corpus before the dictionary exists. */
struct toks {
	int *lab;               /* labels of all tokens back to back */
	long nlab, caplab;
	long *tok;              /* [ntok] offset of a token's labels, or -1
	                         * for a break in the word sequence */
	int *tlen;              /* [ntok] its length */
	long ntok, captok;
};

static int
push_label(struct toks *t, int l)
{
	if (t->nlab == t->caplab) {
		int *p = htr_realloc(t->lab, (size_t)(t->caplab = 2 * t->caplab +
		    1024), sizeof *p);
		if (!p)
			return -1;
		t->lab = p;
	}
	t->lab[t->nlab++] = l;
	return 0;
}

static int
push_tok(struct toks *t, long off, int len)
{
	if (t->ntok == t->captok) {
		size_t c = (size_t)(t->captok = 2 * t->captok + 256);
		long *p = htr_realloc(t->tok, c, sizeof *p);
		if (!p)
			return -1;
		t->tok = p;
		int *q = htr_realloc(t->tlen, c, sizeof *q);
		if (!q)
			return -1;
		t->tlen = q;
	}
	t->tok[t->ntok] = off;
	t->tlen[t->ntok++] = len;
	return 0;
}

/* A token to sort: its labels and its index. */
struct tokref {
	const int *lab;
	int len;
	long idx;
};

static int
cmp_seq(const int *a, int na, const int *b, int nb)
{
	for (int i = 0; i < na && i < nb; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

/* Orders tokens by their label sequences. */
static int
cmp_tok(const void *x, const void *y)
{
	const struct tokref *a = x, *b = y;

	return cmp_seq(a->lab, a->len, b->lab, b->len);
}

/* Letters and digits: ASCII ones, and the code points from U+00C0 to
 * U+024F (Latin letters with diacritics) except the signs U+00D7 and
 * U+00F7; a symbol of several code points counts by its first. */
static int
default_wordchar(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;

	if (p[0] < 0x80)
		return (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' &&
		    p[0] <= 'Z') || (p[0] >= '0' && p[0] <= '9');
	if (htr_utf8_len(s) != 2)
		return 0;
	cp = (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu);
	return cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7;
}

/* 1 if the l bytes at s (one code point) are a word character: in list,
 * or by default_wordchar() if list is empty. */
static int
in_list(const char *list, const char *s, int l)
{
	char cp[8];

	if (l > 4 || *s == '\n' || *s == ' ')
		return 0;
	memcpy(cp, s, (size_t)l);
	cp[l] = 0;
	return list[0] ? strstr(list, cp) != NULL : default_wordchar(cp);
}

static int
tokenize(struct toks *t, const char *text, size_t len,
    const struct htr_alphabet *a, const unsigned char *isword,
    const char *wordchars)
{
	int *byfirst = NULL, *next = NULL, r = -1, bad = 0;
	long start = 0;

	byfirst = htr_alloc(256, sizeof *byfirst);
	next = htr_alloc((size_t)a->n, sizeof *next);
	if (!byfirst || !next)
		goto out;
	for (int i = 0; i < 256; i++)
		byfirst[i] = -1;
	for (int i = a->n - 1; i >= 1; i--) {
		unsigned char c = (unsigned char)a->sym[i][0];
		next[i] = byfirst[c];
		byfirst[c] = i;
	}
	for (size_t i = 0; i <= len; ) {
		int l = 1, s = i < len ? match(a, byfirst, next, text + i,
		    len - i, &l) : -1;
		if (s >= 0 && isword[s]) {
			if (push_label(t, s))
				goto out;
		} else if (i < len && s < 0 &&
		    in_list(wordchars, text + i, l)) {
			bad = 1;        /* a word character the model lacks */
		} else {
			if (bad) {
				t->nlab = start;
				if (push_tok(t, -1, 0))
					goto out;
			} else if (t->nlab > start &&
			    push_tok(t, start, (int)(t->nlab - start))) {
				goto out;
			}
			bad = 0;
			start = t->nlab;
		}
		i += (size_t)l;
	}
	r = 0;
out:
	free(byfirst);
	free(next);
	return r;
}

static int
cmp_pair(const void *x, const void *y)
{
	const int *a = x, *b = y;

	return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) :
	    a[1] != b[1] ? (a[1] < b[1] ? -1 : 1) : 0;
}

/* Prefix tree of the sorted dictionary. */
static int
build_tree(struct htr_wordlm *w)
{
	long cap = 1024;

	if (!(w->node = htr_alloc((size_t)cap, sizeof *w->node)))
		return -1;
	w->node[0] = (struct htr_wordlm_node){-1, -1, -1, -1, 0, w->nword};
	w->nnode = 1;
	for (int id = 0; id < w->nword; id++) {
		int n = 0;
		for (int k = w->wstart[id]; k < w->wstart[id + 1]; k++) {
			int c = htr_wordlm_child(w, n, w->wlab[k]);
			if (c < 0) {
				if (w->nnode == cap) {
					struct htr_wordlm_node *p = htr_realloc(
					    w->node, (size_t)(cap *= 2), sizeof *p);
					if (!p)
						return -1;
					w->node = p;
				}
				c = w->nnode++;
				w->node[c] = (struct htr_wordlm_node){-1,
				    w->node[n].child, w->wlab[k], -1, id, id};
				w->node[n].child = c;
			}
			w->node[c].hi = id + 1;
			n = c;
		}
		w->node[n].word = id;
	}
	return 0;
}

int
htr_wordlm_build(struct htr_wordlm *w, const char *corpus, size_t len,
    const char *wordchars, size_t wclen, const struct htr_alphabet *a,
    double addk)
{
	struct toks t = {0};
	char *wc = NULL;
	struct tokref *order = NULL;
	long *id = NULL, nlab = 0;
	int *pairs = NULL;
	long npair = 0;

	memset(w, 0, sizeof *w);
	if (addk < 0)
		return htr_fail("add-k smoothing of %g is negative", addk);
	w->addk = addk;
	w->nchar = a->n;
	if (!wordchars)
		wclen = 0;
	if (!(wc = htr_alloc(wclen + 1, 1)) ||
	    !(w->isword = htr_zalloc((size_t)a->n, 1)))
		goto fail;
	if (wordchars) {
		memcpy(wc, wordchars, wclen);
		wc[wclen] = 0;
		if (strlen(wc) != wclen || !htr_utf8_valid(wc, wclen)) {
			htr_fail("word characters are not valid UTF-8");
			goto fail;
		}
		for (int i = 1; i < a->n; i++)
			w->isword[i] = strstr(wc, a->sym[i]) != NULL;
	} else {
		wc[0] = 0;
		for (int i = 1; i < a->n; i++)
			w->isword[i] = default_wordchar(a->sym[i]);
	}
	if (tokenize(&t, corpus, len, a, w->isword, wc))
		goto fail;
	/* the dictionary: distinct tokens sorted by label sequence */
	if (!(order = htr_alloc((size_t)t.ntok + 1, sizeof *order)) ||
	    !(id = htr_alloc((size_t)t.ntok + 1, sizeof *id)))
		goto fail;
	long nw = 0;
	for (long i = 0; i < t.ntok; i++)
		if (t.tok[i] >= 0)
			order[nw++] = (struct tokref){t.lab + t.tok[i], t.tlen[i],
			    i};
	if (nw == 0) {
		htr_fail("the corpus holds no word made of the word characters "
		    "and the model's symbols");
		goto fail;
	}
	qsort(order, (size_t)nw, sizeof *order, cmp_tok);
	if (!(w->wstart = htr_alloc((size_t)nw + 1, sizeof *w->wstart)) ||
	    !(w->wlab = htr_alloc((size_t)t.nlab + 1, sizeof *w->wlab)) ||
	    !(w->ucum = htr_zalloc((size_t)nw + 1, sizeof *w->ucum)))
		goto fail;
	for (long i = 0; i < nw; i++) {
		long k = order[i].idx;
		int dup = w->nword > 0 && !cmp_seq(t.lab + t.tok[k], t.tlen[k],
		    w->wlab + w->wstart[w->nword - 1],
		    (int)(nlab - w->wstart[w->nword - 1]));
		if (!dup) {
			if (w->nword == INT32_MAX - 1) {
				htr_fail("too many words");
				goto fail;
			}
			w->wstart[w->nword++] = (int)nlab;
			memcpy(w->wlab + nlab, t.lab + t.tok[k],
			    (size_t)t.tlen[k] * sizeof *w->wlab);
			nlab += t.tlen[k];
		}
		id[k] = w->nword - 1;
		w->ucum[w->nword]++;
	}
	w->wstart[w->nword] = (int)nlab;
	for (int i = 0; i < w->nword; i++)
		w->ucum[i + 1] += w->ucum[i];
	w->total = (double)nw;
	/* bigrams: consecutive tokens without a break */
	if (!(pairs = htr_alloc((size_t)t.ntok + 1, 2 * sizeof *pairs)))
		goto fail;
	for (long i = 1; i < t.ntok; i++)
		if (t.tok[i - 1] >= 0 && t.tok[i] >= 0) {
			pairs[2 * npair] = (int)id[i - 1];
			pairs[2 * npair + 1] = (int)id[i];
			npair++;
		}
	qsort(pairs, (size_t)npair, 2 * sizeof *pairs, cmp_pair);
	if (!(w->bstart = htr_zalloc((size_t)w->nword + 1, sizeof *w->bstart)) ||
	    !(w->bnext = htr_alloc((size_t)npair + 1, sizeof *w->bnext)) ||
	    !(w->bcum = htr_zalloc((size_t)npair + 1, sizeof *w->bcum)))
		goto fail;
	long nb = 0;
	for (long i = 0; i < npair; i++) {
		int *p = pairs + 2 * i;
		if (i == 0 || cmp_pair(p, p - 2)) {
			w->bnext[nb] = p[1];
			w->bstart[p[0] + 1]++;
			nb++;
		}
		w->bcum[nb] += 1;
	}
	for (long i = 0; i < nb; i++)
		w->bcum[i + 1] += w->bcum[i];
	for (int i = 0; i < w->nword; i++)
		w->bstart[i + 1] += w->bstart[i];
	if (build_tree(w))
		goto fail;
	free(pairs);
	free(order);
	free(id);
	free(wc);
	free(t.lab);
	free(t.tok);
	free(t.tlen);
	return 0;
fail:
	free(pairs);
	free(order);
	free(id);
	free(wc);
	free(t.lab);
	free(t.tok);
	free(t.tlen);
	htr_wordlm_free(w);
	return -1;
}

int
htr_wordlm_child(const struct htr_wordlm *w, int node, int label)
{
	for (int c = w->node[node].child; c >= 0; c = w->node[c].sibling)
		if (w->node[c].label == label)
			return c;
	return -1;
}

int
htr_wordlm_find(const struct htr_wordlm *w, const int *lab, int n)
{
	int node = 0;

	for (int i = 0; i < n && node >= 0; i++)
		node = htr_wordlm_child(w, node, lab[i]);
	return node < 0 ? -1 : w->node[node].word;
}

/* Summed bigram count N(prev v) over v in [lo, hi). */
static double
bigram_sum(const struct htr_wordlm *w, int prev, int lo, int hi)
{
	long a = w->bstart[prev], b = w->bstart[prev + 1], l, r;

	/* first index with bnext >= lo, and with bnext >= hi */
	for (l = a, r = b; l < r; ) {
		long m = (l + r) / 2;
		if (w->bnext[m] < lo) l = m + 1; else r = m;
	}
	long i0 = l;
	for (l = i0, r = b; l < r; ) {
		long m = (l + r) / 2;
		if (w->bnext[m] < hi) l = m + 1; else r = m;
	}
	return w->bcum[l] - w->bcum[i0];
}

double
htr_wordlm_logp_range(const struct htr_wordlm *w, int prev, int lo, int hi)
{
	double k = w->addk, V = w->nword, num, den;

	if (hi <= lo)
		return -INFINITY;
	if (prev >= 0 && w->bstart[prev + 1] > w->bstart[prev]) {
		num = bigram_sum(w, prev, lo, hi) + k * (hi - lo);
		den = w->bcum[w->bstart[prev + 1]] - w->bcum[w->bstart[prev]] +
		    k * V;
	} else {
		num = w->ucum[hi] - w->ucum[lo] + k * (hi - lo);
		den = w->total + k * V;
	}
	return num > 0 ? log(num / den) : -INFINITY;
}

double
htr_wordlm_logp(const struct htr_wordlm *w, int prev, int word)
{
	return htr_wordlm_logp_range(w, prev, word, word + 1);
}
