/* lm.c — character n-gram language model (Witten-Bell), HTRL files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alphabet.h"
#include "htr.h"
#include "lm.h"
#include "utf8.h"

static uint64_t
hash_key(const uint32_t *ids, int len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)len;

	for (int i = 0; i < len; i++) {
		h ^= ids[i];
		h *= 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

/* Slot of key ids[0..len), or -1; with insert, an empty slot is claimed. */
static long
slot(struct htr_charlm *lm, const uint32_t *ids, int len, int insert)
{
	long mask = lm->cap - 1;
	long i = (long)(hash_key(ids, len) & (uint64_t)mask);

	for (;;) {
		if (!lm->len[i]) {
			if (!insert)
				return -1;
			lm->len[i] = (uint8_t)(len + 1);
			memcpy(lm->key + i * lm->order, ids, (size_t)len * 4);
			return i;
		}
		if (lm->len[i] == len + 1 &&
		    !memcmp(lm->key + i * lm->order, ids, (size_t)len * 4))
			return i;
		i = (i + 1) & mask;
	}
}

static long
find(const struct htr_charlm *lm, const uint32_t *ids, int len)
{
	return lm->cap ? slot((struct htr_charlm *)lm, ids, len, 0) : -1;
}

static int
table_alloc(struct htr_charlm *lm, long cap)
{
	lm->cap = cap;
	lm->key = htr_zalloc((size_t)cap * lm->order, sizeof *lm->key);
	lm->len = htr_zalloc((size_t)cap, 1);
	lm->count = htr_zalloc((size_t)cap, sizeof *lm->count);
	lm->ctx = htr_zalloc((size_t)cap, sizeof *lm->ctx);
	lm->types = htr_zalloc((size_t)cap, sizeof *lm->types);
	return lm->key && lm->len && lm->count && lm->ctx && lm->types ? 0 : -1;
}

static void
table_free(struct htr_charlm *lm)
{
	free(lm->key);
	free(lm->len);
	free(lm->count);
	free(lm->ctx);
	free(lm->types);
	lm->key = NULL;
	lm->len = NULL;
	lm->count = lm->ctx = lm->types = NULL;
	lm->cap = 0;
}

/* Keeps the table at most half full; used counts every occupied slot. */
static int
reserve(struct htr_charlm *lm, long used)
{
	struct htr_charlm old = *lm;
	long cap = lm->cap ? 2 * lm->cap : 1024;

	if (2 * (used + 1) <= lm->cap)
		return 0;
	while (2 * (used + 1) > cap)
		cap *= 2;
	if (table_alloc(lm, cap)) {
		table_free(lm);
		*lm = old;
		return -1;
	}
	for (long i = 0; i < old.cap; i++) {
		long j;
		if (!old.len[i])
			continue;
		j = slot(lm, old.key + i * old.order, old.len[i] - 1, 1);
		lm->count[j] = old.count[i];
		lm->ctx[j] = old.ctx[i];
		lm->types[j] = old.types[i];
	}
	table_free(&old);
	return 0;
}

void
htr_charlm_free(struct htr_charlm *lm)
{
	table_free(lm);
	free(lm->sym);
	free(lm->symbuf);
	memset(lm, 0, sizeof *lm);
}

/* Decodes one UTF-8 code point; returns its length (0 if invalid). */
static int
codepoint(const char *s, size_t left, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = htr_utf8_len(s);

	if (n == 0 || (size_t)n > left || (n == 1 && p[0] >= 0x80))
		return 0;
	switch (n) {
	case 1: *cp = p[0]; break;
	case 2: *cp = (p[0] & 0x1fu) << 6 | (p[1] & 0x3f); break;
	case 3: *cp = (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 |
		    (p[2] & 0x3f); break;
	default: *cp = (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 |
		    (p[2] & 0x3fu) << 6 | (p[3] & 0x3f);
	}
	return n;
}

static int
cmp_sym(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sets the vocabulary from nsym - 1 symbols in buf (each NUL-terminated,
 * after the boundary "" at buf[0]). */
static int
set_vocab(struct htr_charlm *lm, char *buf, int nsym)
{
	char *p = buf;

	lm->symbuf = buf;
	lm->nsym = nsym;
	if (!(lm->sym = htr_alloc((size_t)nsym, sizeof *lm->sym)))
		return -1;
	for (int i = 0; i < nsym; i++) {
		lm->sym[i] = p;
		p += strlen(p) + 1;
	}
	for (int i = 2; i < nsym; i++)
		if (strcmp(lm->sym[i - 1], lm->sym[i]) >= 0)
			return htr_fail("language model vocabulary is not sorted "
			    "or has duplicates");
	return 0;
}

int
htr_charlm_id(const struct htr_charlm *lm, const char *sym)
{
	char **hit;

	if (!sym[0] || lm->nsym < 2)
		return HTR_LM_UNKNOWN;
	hit = bsearch(&sym, lm->sym + 1, (size_t)lm->nsym - 1, sizeof *lm->sym,
	    cmp_sym);
	return hit ? (int)(hit - lm->sym) : HTR_LM_UNKNOWN;
}

/* Vocabulary of a text: every distinct code point, sorted by UTF-8. */
static int
build_vocab(struct htr_charlm *lm, const char *text, size_t len)
{
	char **list = NULL, *buf = NULL, *q;
	size_t n = 0, cap = 0;
	int nsym = 1;

	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int k = codepoint(text + i, len - i, &cp);
		if (!k || cp == 0)
			return htr_fail("corpus is not valid UTF-8 (byte %zu)",
			    i);
		if (text[i] != '\n' && text[i] != '\r') {
			if (n == cap) {
				char **nl = htr_realloc(list, cap = 2 * cap + 256,
				    sizeof *list);
				if (!nl) {
					free(list);
					return -1;
				}
				list = nl;
			}
			list[n++] = (char *)text + i;
		}
		i += (size_t)k;
	}
	/* sort pointers by their code point's bytes, then keep uniques */
	if (!(buf = htr_alloc(n * 5 + 1, 1))) {
		free(list);
		return -1;
	}
	q = buf;
	*q++ = 0;
	if (n) {
		/* a small sort key: the code point's bytes, NUL-terminated */
		char (*keys)[5] = htr_alloc(n, sizeof *keys);
		char **ptr = htr_alloc(n, sizeof *ptr);
		if (!keys || !ptr) {
			free(keys);
			free(ptr);
			free(list);
			free(buf);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			int k = htr_utf8_len(list[i]);
			memcpy(keys[i], list[i], (size_t)k);
			keys[i][k] = 0;
			ptr[i] = keys[i];
		}
		qsort(ptr, n, sizeof *ptr, cmp_sym);
		for (size_t i = 0; i < n; i++) {
			if (i && !strcmp(ptr[i], ptr[i - 1]))
				continue;
			if (nsym >= HTR_LM_MAXSYM) {
				free(keys);
				free(ptr);
				free(list);
				free(buf);
				return htr_fail("corpus has more than %d distinct "
				    "characters", HTR_LM_MAXSYM - 1);
			}
			size_t l = strlen(ptr[i]) + 1;
			memcpy(q, ptr[i], l);
			q += l;
			nsym++;
		}
		free(keys);
		free(ptr);
	}
	free(list);
	return set_vocab(lm, buf, nsym);
}

/* Turns one line of text into ids, with the boundary before and after:
 * seq[0] = seq[n-1] = 0.  Returns n, or -1. */
static long
line_ids(const struct htr_charlm *lm, const char *s, size_t len, int *seq)
{
	long n = 0;

	seq[n++] = HTR_LM_BOUNDARY;
	for (size_t i = 0; i < len; ) {
		char sym[5];
		uint32_t cp;
		int k = codepoint(s + i, len - i, &cp);
		if (!k)
			return htr_fail("text is not valid UTF-8");
		memcpy(sym, s + i, (size_t)k);
		sym[k] = 0;
		if (s[i] != '\r')
			seq[n++] = htr_charlm_id(lm, sym);
		i += (size_t)k;
	}
	seq[n++] = HTR_LM_BOUNDARY;
	return n;
}

/* Calls fn for every line of text (without its newline). */
static int
each_line(const char *text, size_t len, int (*fn)(void *, const char *,
    size_t), void *arg)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - text - i) : len - i;
		if (l > 0 && fn(arg, text + i, l))
			return -1;
		i += l + 1;
	}
	return 0;
}

struct count_arg {
	struct htr_charlm *lm;
	int *seq;
};

static int
count_line(void *p, const char *s, size_t len)
{
	struct count_arg *a = p;
	struct htr_charlm *lm = a->lm;
	long n = line_ids(lm, s, len, a->seq);
	uint32_t key[HTR_LM_MAXORDER];

	if (n < 0)
		return -1;
	for (long i = 1; i < n; i++) {
		for (int k = 0; k < lm->order && k <= i; k++) {
			long e, c;
			/* the n-gram seq[i-k .. i] and its context */
			for (int j = 0; j <= k; j++)
				key[j] = (uint32_t)a->seq[i - k + j];
			if (reserve(lm, lm->ngram * 2 + 2))
				return -1;
			e = slot(lm, key, k + 1, 1);
			if (lm->count[e]++ == 0)
				lm->ngram++;
			c = slot(lm, key, k, 1);
			if (lm->count[e] == 1)
				lm->types[c]++;
			lm->ctx[c]++;
		}
	}
	return 0;
}

int
htr_charlm_build(struct htr_charlm *lm, const char *text, size_t len,
    int order)
{
	struct count_arg a;
	size_t longest = 0, run = 0;

	memset(lm, 0, sizeof *lm);
	if (order < 1 || order > HTR_LM_MAXORDER)
		return htr_fail("order %d is outside 1..%d", order,
		    HTR_LM_MAXORDER);
	if (len > (size_t)1 << 31)
		return htr_fail("corpus larger than 2 GiB");
	lm->order = order;
	if (build_vocab(lm, text, len))
		goto fail;
	for (size_t i = 0; i < len; i++) {
		run = text[i] == '\n' ? 0 : run + 1;
		longest = run > longest ? run : longest;
	}
	a.lm = lm;
	if (!(a.seq = htr_alloc(longest + 2, sizeof *a.seq)))
		goto fail;
	if (each_line(text, len, count_line, &a)) {
		free(a.seq);
		goto fail;
	}
	free(a.seq);
	if (lm->ngram > HTR_LM_MAXGRAMS) {
		htr_fail("more than %ld n-grams; use a lower order",
		    HTR_LM_MAXGRAMS);
		goto fail;
	}
	if (!lm->cap && reserve(lm, 1))
		goto fail;
	return 0;
fail:
	htr_charlm_free(lm);
	return -1;
}

double
htr_charlm_logp(const struct htr_charlm *lm, const int *ctx, int n, int id)
{
	uint32_t key[HTR_LM_MAXORDER];
	double p = 1.0 / (lm->nsym + 1);
	int start = n - (n < lm->order - 1 ? n : lm->order - 1);

	for (int j = start; j < n; j++)
		if (ctx[j] < 0)
			start = j + 1;
	for (int k = 0; k <= n - start; k++) {
		long h, e;
		for (int j = 0; j < k; j++)
			key[j] = (uint32_t)ctx[n - k + j];
		h = find(lm, key, k);
		if (h < 0 || lm->ctx[h] == 0)
			break;
		double c = 0;
		if (id >= 0) {
			key[k] = (uint32_t)id;
			e = find(lm, key, k + 1);
			c = e < 0 ? 0 : lm->count[e];
		}
		p = (c + lm->types[h] * p) / ((double)lm->ctx[h] + lm->types[h]);
	}
	return log(p);
}

struct ppl_arg {
	const struct htr_charlm *lm;
	int *seq;
	double sum;
	long n;
};

static int
ppl_line(void *p, const char *s, size_t len)
{
	struct ppl_arg *a = p;
	long n = line_ids(a->lm, s, len, a->seq);

	if (n < 0)
		return -1;
	for (long i = 1; i < n; i++) {
		long c = i < a->lm->order - 1 ? i : a->lm->order - 1;
		a->sum += htr_charlm_logp(a->lm, a->seq + i - c, (int)c,
		    a->seq[i]);
		a->n++;
	}
	return 0;
}

double
htr_charlm_perplexity(const struct htr_charlm *lm, const char *text,
    size_t len, long *nsym)
{
	struct ppl_arg a = {lm, NULL, 0, 0};

	*nsym = 0;
	if (!(a.seq = htr_alloc(len + 2, sizeof *a.seq)))
		return -1;
	if (each_line(text, len, ppl_line, &a)) {
		free(a.seq);
		return -1;
	}
	free(a.seq);
	*nsym = a.n;
	return a.n ? exp(-a.sum / a.n) : 1;
}

/* The file: header, vocabulary, n-grams, CRC-32 of all that. */
struct out {
	FILE *f;
	uLong crc;
	int err;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->err)
		return;
	o->crc = crc32(o->crc, p, (uInt)n);
	if (fwrite(p, 1, n, o->f) != n)
		o->err = 1;
}

static void
put_u32(struct out *o, uint32_t v)
{
	unsigned char b[4] = {v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff,
	    v >> 24 & 0xff};
	put(o, b, 4);
}

int
htr_charlm_write(FILE *f, const struct htr_charlm *lm)
{
	struct out o = {f, crc32(0, NULL, 0), 0};
	unsigned char h[8] = {'H', 'T', 'R', 'L', HTR_LM_VERSION, 0,
	    (unsigned char)lm->order, 0};

	put(&o, h, 8);
	put_u32(&o, (uint32_t)lm->nsym);
	put_u32(&o, (uint32_t)lm->ngram);
	for (int i = 0; i < lm->nsym; i++) {
		unsigned char l = (unsigned char)strlen(lm->sym[i]);
		put(&o, &l, 1);
		put(&o, lm->sym[i], l);
	}
	for (long i = 0; i < lm->cap; i++) {
		if (!lm->len[i] || !lm->count[i])
			continue;
		unsigned char l = (unsigned char)(lm->len[i] - 1);
		put(&o, &l, 1);
		for (int j = 0; j < l; j++)
			put_u32(&o, lm->key[i * lm->order + j]);
		put_u32(&o, lm->count[i]);
	}
	uLong crc = o.crc;
	put_u32(&o, (uint32_t)crc);
	if (o.err || ferror(f))
		return htr_fail("write error");
	return 0;
}

/* The file is read whole and its checksum verified before it is parsed,
 * so damage is reported as damage. */
struct in {
	const unsigned char *p;
	size_t left;
};

static int
get(struct in *in, void *p, size_t n)
{
	if (n > in->left)
		return htr_fail("truncated language model file");
	memcpy(p, in->p, n);
	in->p += n;
	in->left -= n;
	return 0;
}

static uint32_t
le32(const unsigned char *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static int
get_u32(struct in *in, uint32_t *v)
{
	unsigned char b[4] = {0};

	if (get(in, b, 4))
		return -1;
	*v = le32(b);
	return 0;
}

int
htr_charlm_read(FILE *f, struct htr_charlm *lm)
{
	unsigned char h[8], *file;
	uint32_t nsym, ngram, *grams = NULL;
	char *buf = NULL, *q;
	size_t gl = 0, flen;
	struct in in;

	memset(lm, 0, sizeof *lm);
	if (!(file = htr_read_all(f, (size_t)1 << 30, &flen)))
		return -1;
	in.p = file;
	in.left = flen;
	if (flen < 4 || memcmp(file, HTR_LM_MAGIC, 4)) {
		free(file);
		return htr_fail("not an htr language model (bad magic; build "
		    "one with htr-lm)");
	}
	if (flen >= 6 && (file[4] | file[5] << 8) > HTR_LM_VERSION) {
		htr_fail("version %d is newer than this htr (%d); upgrade htr",
		    file[4] | file[5] << 8, HTR_LM_VERSION);
		free(file);
		return -1;
	}
	if (flen < 20) {
		free(file);
		return htr_fail("truncated language model file");
	}
	if (le32(file + flen - 4) != (uint32_t)crc32(crc32(0, NULL, 0), file,
	    (uInt)(flen - 4))) {
		free(file);
		return htr_fail("checksum mismatch: the language model file is "
		    "damaged or truncated; rebuild it with htr-lm");
	}
	in.left -= 4;
	if (get(&in, h, 8))
		goto fail;
	if (h[6] < 1 || h[6] > HTR_LM_MAXORDER || h[7] != 0) {
		htr_fail("bad language model header (order %d, smoothing %d)",
		    h[6], h[7]);
		goto fail;
	}
	lm->order = h[6];
	if (get_u32(&in, &nsym) || get_u32(&in, &ngram))
		goto fail;
	if (nsym < 1 || nsym > HTR_LM_MAXSYM || ngram > HTR_LM_MAXGRAMS) {
		htr_fail("language model of %u symbols and %u n-grams exceeds "
		    "the limits", nsym, ngram);
		goto fail;
	}
	if (!(q = buf = htr_alloc((size_t)nsym, 5)))
		goto fail;
	for (uint32_t i = 0; i < nsym; i++) {
		unsigned char l = 0;
		if (get(&in, &l, 1))
			goto fail;
		if ((i == 0) != (l == 0) || l > 4) {
			htr_fail("bad symbol %u in language model", i);
			goto fail;
		}
		if (get(&in, q, l))
			goto fail;
		q[l] = 0;
		if (l && (htr_utf8_len(q) != l || !htr_utf8_valid(q, l))) {
			htr_fail("symbol %u is not one UTF-8 character", i);
			goto fail;
		}
		q += l + 1;
	}
	if (set_vocab(lm, buf, (int)nsym)) {
		buf = NULL;
		goto fail;
	}
	buf = NULL;
	gl = (size_t)lm->order + 2;
	if (!(grams = htr_alloc((size_t)ngram + 1, gl * sizeof *grams)))
		goto fail;
	for (uint32_t i = 0; i < ngram; i++) {
		uint32_t *g = grams + i * gl;
		unsigned char l = 0;
		if (get(&in, &l, 1))
			goto fail;
		if (l < 1 || l > lm->order) {
			htr_fail("n-gram %u has length %d (order %d)", i, l,
			    lm->order);
			goto fail;
		}
		g[0] = l;
		for (int j = 0; j <= l; j++)
			if (get_u32(&in, &g[1 + j]))
				goto fail;
		for (int j = 0; j < l; j++)
			if (g[1 + j] >= nsym) {
				htr_fail("n-gram %u: symbol id %u out of range",
				    i, g[1 + j]);
				goto fail;
			}
		if (g[1 + l] == 0) {
			htr_fail("n-gram %u has count 0", i);
			goto fail;
		}
	}
	if (in.left) {
		htr_fail("%zu stray bytes in language model file", in.left);
		goto fail;
	}
	/* n-grams first, then the contexts derived from them, in a table
	 * sized for both at once (growing it would rehash it again and
	 * again: most of the time of loading a large model) */
	if (reserve(lm, 2 * (long)ngram + 2))
		goto fail;
	for (uint32_t i = 0; i < ngram; i++) {
		uint32_t *g = grams + i * gl;
		long e = slot(lm, g + 1, (int)g[0], 1);
		if (lm->count[e]) {
			htr_fail("duplicate n-gram %u in language model", i);
			goto fail;
		}
		lm->count[e] = g[1 + g[0]];
		lm->ngram++;
	}
	for (uint32_t i = 0; i < ngram; i++) {
		uint32_t *g = grams + i * gl;
		long c = slot(lm, g + 1, (int)g[0] - 1, 1);
		lm->ctx[c] += g[1 + g[0]];
		lm->types[c]++;
	}
	free(grams);
	free(file);
	return 0;
fail:
	free(grams);
	free(buf);
	free(file);
	htr_charlm_free(lm);
	return -1;
}
