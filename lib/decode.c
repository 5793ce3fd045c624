/* decode.c — CTC decoders: best path, prefix beam search with an optional
 * character LM, word beam search; forced alignment; CTC forward score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc.h"
#include "decode.h"
#include "htr.h"
#include "rng.h"
#include "tag.h"

/* Symbols less probable than this (log 1e-5) in a frame are not tried as
 * extensions by the beam searches: they cannot beat the alternatives
 * (the most probable symbol of a frame has at least 1/C). */
#define PRUNE_LOGP (-11.5129)
/* Words drawn for the forecast of NGramsForecastAndSample. */
#define WBS_SAMPLES 20

int
htr_decode_normalize(float *m, int T, int C, int values, int blanklast)
{
	for (int t = 0; t < T; t++) {
		float *r = m + (long)t * C;
		double mx = -INFINITY, s = 0;

		if (blanklast && C > 1) {
			float b = r[C - 1];
			memmove(r + 1, r, (size_t)(C - 1) * sizeof *r);
			r[0] = b;
		}
		switch (values) {
		case HTR_VALUES_PROB:
			for (int c = 0; c < C; c++) {
				if (!(r[c] >= 0) || isinf(r[c]))
					return htr_fail("frame %d: %g is not a "
					    "probability", t, r[c]);
				s += r[c];
			}
			if (!(s > 0))
				return htr_fail("frame %d: probabilities sum to "
				    "0", t);
			for (int c = 0; c < C; c++)
				r[c] = (float)log(r[c] / s);
			break;
		case HTR_VALUES_LOGIT:
		case HTR_VALUES_LOGPROB:
			for (int c = 0; c < C; c++)
				mx = r[c] > mx ? r[c] : mx;
			if (mx == -INFINITY || isinf(mx))
				return htr_fail("frame %d cannot be normalised "
				    "(all -inf, or +inf)", t);
			if (values == HTR_VALUES_LOGPROB)
				break;
			for (int c = 0; c < C; c++)
				s += exp(r[c] - mx);
			for (int c = 0; c < C; c++)
				r[c] = (float)(r[c] - mx - log(s));
			break;
		default:
			return htr_fail("unknown kind of values %d", values);
		}
	}
	return 0;
}

void
htr_decode_defaults(struct htr_decode_opts *o)
{
	memset(o, 0, sizeof *o);
	o->method = HTR_DECODE_BEST;
	o->beam = 25;
	o->lmweight = 1.0f;
	o->wbsmode = HTR_WBS_WORDS;
	o->seed = 1;
}

void
htr_decoded_free(struct htr_decoded *d)
{
	free(d->label);
	free(d->start);
	free(d->end);
	free(d->conf);
	memset(d, 0, sizeof *d);
}

int
htr_decoded_keep(const struct htr_decoded *d, const char *tags,
    double min_conf, double doubt_conf)
{
	double c = 0, need = min_conf;

	for (int j = 0; j < d->n; j++)
		c += d->conf[j];
	c = d->n ? c / d->n : 0;
	if (doubt_conf > need && htr_tag_int(tags, "doubt", 0))
		need = doubt_conf;
	return need <= 0 || c >= need;
}

/* Allocates the arrays of n symbols. */
static int
decoded_alloc(struct htr_decoded *d, int n)
{
	memset(d, 0, sizeof *d);
	d->label = htr_alloc((size_t)n + 1, sizeof *d->label);
	d->start = htr_alloc((size_t)n + 1, sizeof *d->start);
	d->end = htr_alloc((size_t)n + 1, sizeof *d->end);
	d->conf = htr_alloc((size_t)n + 1, sizeof *d->conf);
	if (!d->label || !d->start || !d->end || !d->conf) {
		htr_decoded_free(d);
		return -1;
	}
	d->n = n;
	return 0;
}

int
htr_decode_bestpath(struct htr_decoded *d, const float *lp, int T, int C)
{
	int prev = 0, n = 0;
	double score = 0;

	if (decoded_alloc(d, T))
		return -1;
	for (int t = 0; t < T; t++) {
		const float *r = lp + (long)t * C;
		int best = 0;
		for (int c = 1; c < C; c++)
			if (r[c] > r[best])
				best = c;
		score += r[best];
		if (best != 0 && best != prev)
			d->label[n++] = best;
		prev = best;
	}
	d->n = n;
	d->score = score;
	return 0;
}

/* The texts of all beams: a tree of (parent, label) nodes in which equal
 * texts are the same node, so beams merge by comparing one integer. */
struct texts {
	int *parent, *label, *depth;    /* [n]; node 0 = the empty text */
	int n, cap;
	int *hash;                      /* [hcap] node ids, -1 = empty */
	long hcap;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int
texts_init(struct texts *x)
{
	memset(x, 0, sizeof *x);
	x->cap = 1024;
	x->hcap = 2048;
	x->parent = htr_alloc((size_t)x->cap, sizeof(int));
	x->label = htr_alloc((size_t)x->cap, sizeof(int));
	x->depth = htr_alloc((size_t)x->cap, sizeof(int));
	x->hash = htr_alloc((size_t)x->hcap, sizeof(int));
	if (!x->parent || !x->label || !x->depth || !x->hash)
		return -1;
	memset(x->hash, 0xff, (size_t)x->hcap * sizeof(int));
	x->parent[0] = -1;
	x->label[0] = -1;
	x->depth[0] = 0;
	x->n = 1;
	return 0;
}

static void
texts_free(struct texts *x)
{
	free(x->parent);
	free(x->label);
	free(x->depth);
	free(x->hash);
}

static long
texts_slot(const struct texts *x, int parent, int label)
{
	long mask = x->hcap - 1;
	long i = (long)(mix((uint64_t)parent << 32 ^ (uint32_t)label) & mask);

	while (x->hash[i] >= 0 && (x->parent[x->hash[i]] != parent ||
	    x->label[x->hash[i]] != label))
		i = (i + 1) & mask;
	return i;
}

/* Node of text(parent) + label, made if new; -1 on error. */
static int
texts_child(struct texts *x, int parent, int label)
{
	long i = texts_slot(x, parent, label);

	if (x->hash[i] >= 0)
		return x->hash[i];
	if (x->n == x->cap) {
		int cap = 2 * x->cap;
		int *p = htr_realloc(x->parent, (size_t)cap, sizeof(int));
		if (!p)
			return -1;
		x->parent = p;
		if (!(p = htr_realloc(x->label, (size_t)cap, sizeof(int))))
			return -1;
		x->label = p;
		if (!(p = htr_realloc(x->depth, (size_t)cap, sizeof(int))))
			return -1;
		x->depth = p;
		x->cap = cap;
	}
	if (2 * (long)(x->n + 1) > x->hcap) {
		int *h = htr_alloc((size_t)x->hcap * 2, sizeof(int));
		if (!h)
			return -1;
		free(x->hash);
		x->hash = h;
		x->hcap *= 2;
		memset(h, 0xff, (size_t)x->hcap * sizeof(int));
		for (int k = 1; k < x->n; k++)
			h[texts_slot(x, x->parent[k], x->label[k])] = k;
		i = texts_slot(x, parent, label);
	}
	int k = x->n++;
	x->parent[k] = parent;
	x->label[k] = label;
	x->depth[k] = x->depth[parent] + 1;
	x->hash[i] = k;
	return k;
}

/* One hypothesis of a beam search. */
struct beam {
	int text;               /* node in struct texts */
	int last;               /* last label, -1 for the empty text */
	double pb, pnb;         /* log P(text, path ends in blank / not) */
	double lm;              /* BEAM: summed log P_lm of the text */
	int node;               /* WORD: prefix-tree node of the word being
	                         * spelled, -1 between words */
	int prev;               /* WORD: last finished word, -1 */
	int nwords;             /* WORD: finished words */
	double lmsum;           /* WORD: summed log P of finished words */
	double lmpart;          /* WORD: log forecast of the partial word */
	double score;           /* what the beam is ranked by */
};

/* The candidates of the next frame, found by text. */
struct cands {
	struct beam *b;
	int n, cap;
	int *hash;              /* [hcap] index into b, -1 empty */
	int *stamp;             /* [hcap] generation of hash[i] */
	int gen;
	long hcap;
};

static int
cands_init(struct cands *c, int cap)
{
	memset(c, 0, sizeof *c);
	c->cap = cap;
	for (c->hcap = 16; c->hcap < 2L * cap; c->hcap *= 2)
		;
	c->b = htr_alloc((size_t)cap, sizeof *c->b);
	c->hash = htr_alloc((size_t)c->hcap, sizeof(int));
	c->stamp = htr_zalloc((size_t)c->hcap, sizeof(int));
	return c->b && c->hash && c->stamp ? 0 : -1;
}

static void
cands_free(struct cands *c)
{
	free(c->b);
	free(c->hash);
	free(c->stamp);
}

static void
cands_clear(struct cands *c)
{
	c->n = 0;
	c->gen++;
}

/* The candidate of text, or NULL with *fresh set when there is none yet
 * (the caller fills the returned new entry). */
static struct beam *
cands_get(struct cands *c, int text, int *fresh)
{
	long mask = c->hcap - 1, i = (long)(mix((uint64_t)text) & mask);

	while (c->stamp[i] == c->gen) {
		if (c->b[c->hash[i]].text == text) {
			*fresh = 0;
			return &c->b[c->hash[i]];
		}
		i = (i + 1) & mask;
	}
	HTR_ASSERT(c->n < c->cap);
	c->stamp[i] = c->gen;
	c->hash[i] = c->n;
	*fresh = 1;
	return &c->b[c->n++];
}

static int
cmp_beam(const void *x, const void *y)
{
	const struct beam *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->text < b->text ? -1 : a->text > b->text;
}

static void
swap_beam(struct beam *a, struct beam *b)
{
	struct beam t = *a;
	*a = *b;
	*b = t;
}

/* Moves the k best of b[0..n) (by cmp_beam) to the front, in any order
 * (quickselect with a median-of-three pivot). */
static void
select_best(struct beam *b, int n, int k)
{
	int lo = 0, hi = n - 1;

	if (k <= 0 || k >= n)
		return;
	while (hi > lo) {
		int mid = lo + (hi - lo) / 2;
		if (cmp_beam(&b[mid], &b[lo]) < 0)
			swap_beam(&b[mid], &b[lo]);
		if (cmp_beam(&b[hi], &b[lo]) < 0)
			swap_beam(&b[hi], &b[lo]);
		if (cmp_beam(&b[hi], &b[mid]) < 0)
			swap_beam(&b[hi], &b[mid]);
		struct beam pivot = b[mid];
		int i = lo, j = hi;
		while (i <= j) {
			while (cmp_beam(&b[i], &pivot) < 0)
				i++;
			while (cmp_beam(&pivot, &b[j]) < 0)
				j--;
			if (i <= j)
				swap_beam(&b[i++], &b[j--]);
		}
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			return;
	}
}

/* The labels of text node k into d. */
static int
texts_labels(struct htr_decoded *d, const struct texts *x, int k,
    double score)
{
	int n = x->depth[k];

	if (decoded_alloc(d, n))
		return -1;
	for (int i = n - 1; i >= 0; i--, k = x->parent[k])
		d->label[i] = x->label[k];
	d->score = score;
	return 0;
}

/* What the search needs beside the beams. */
struct search {
	const float *lp;
	int T, C;
	const struct htr_decode_opts *o;
	struct texts x;
	struct cands cur, next;
	/* BEAM with LM */
	int *lmid;              /* [C] LM id of each symbol */
	/* WORD */
	const struct htr_wordlm *w;
	int *nonword;           /* [C] the symbols that are not word characters */
	int nnonword;
	struct htr_rng rng;
};

/* Character LM context of text node k: up to order-1 newest LM ids,
 * the line boundary first when the text is shorter. */
static int
lm_context(const struct search *s, int k, int *ctx)
{
	int n = s->o->lm->order - 1, m = 0;
	int tmp[HTR_LM_MAXORDER];

	while (m < n && k > 0) {
		tmp[m++] = s->lmid[s->x.label[k]];
		k = s->x.parent[k];
	}
	if (m < n && k == 0)
		tmp[m++] = HTR_LM_BOUNDARY;
	for (int i = 0; i < m; i++)
		ctx[i] = tmp[m - 1 - i];
	return m;
}

static double
wbs_lmscore(const struct search *s, const struct beam *b)
{
	int n = b->nwords;

	if (s->o->wbsmode == HTR_WBS_WORDS)
		return 0;
	if (s->o->wbsmode >= HTR_WBS_FORECAST && b->node > 0)
		n++;
	/* the geometric mean of the word probabilities, so texts of many
	 * words are not penalised for their length */
	return n ? (b->lmsum + b->lmpart) / n : 0;
}

static void
rescore(const struct search *s, struct beam *b)
{
	double p = htr_ctc_logadd(b->pb, b->pnb);

	switch (s->o->method) {
	case HTR_DECODE_BEAM:
		b->score = p;
		if (s->o->lm)
			b->score += s->o->lmweight * b->lm +
			    s->o->bonus * s->x.depth[b->text];
		break;
	case HTR_DECODE_WORD:
		b->score = p + s->o->lmweight * wbs_lmscore(s, b);
		break;
	default:
		b->score = p;
	}
}

/* Forecast of the words under prefix-tree node n after word prev. */
static double
forecast(struct search *s, int prev, int n)
{
	const struct htr_wordlm *w = s->w;
	int lo = w->node[n].lo, hi = w->node[n].hi;
	double sum = -INFINITY;

	if (s->o->wbsmode != HTR_WBS_SAMPLE || hi - lo <= WBS_SAMPLES)
		return htr_wordlm_logp_range(w, prev, lo, hi);
	for (int i = 0; i < WBS_SAMPLES; i++) {
		int v = lo + (int)htr_rng_below(&s->rng, (uint32_t)(hi - lo));
		sum = htr_ctc_logadd(sum, htr_wordlm_logp(w, prev, v));
	}
	return sum + log((double)(hi - lo) / WBS_SAMPLES);
}

/* Makes the state of text b + c in e (a fresh candidate). */
static int
extend_state(struct search *s, struct beam *e, const struct beam *b, int c,
    int text)
{
	*e = *b;
	e->text = text;
	e->last = c;
	e->pb = e->pnb = -INFINITY;
	if (s->o->method == HTR_DECODE_BEAM && s->o->lm) {
		int ctx[HTR_LM_MAXORDER];
		int n = lm_context(s, b->text, ctx);
		e->lm += htr_charlm_logp(s->o->lm, ctx, n, s->lmid[c]);
	} else if (s->o->method == HTR_DECODE_WORD) {
		const struct htr_wordlm *w = s->w;
		if (w->isword[c]) {
			e->node = htr_wordlm_child(w, b->node > 0 ? b->node : 0,
			    c);
			HTR_ASSERT(e->node > 0);
			if (s->o->wbsmode >= HTR_WBS_FORECAST)
				e->lmpart = forecast(s, b->prev, e->node);
		} else {
			if (b->node > 0) {
				int word = w->node[b->node].word;
				HTR_ASSERT(word >= 0);
				if (s->o->wbsmode >= HTR_WBS_NGRAMS)
					e->lmsum += htr_wordlm_logp(w, b->prev,
					    word);
				e->prev = word;
				e->nwords++;
			}
			e->node = -1;
			e->lmpart = 0;
		}
	}
	return 0;
}

/* Adds the extension of beam b by symbol c in frame r. */
static int
extend(struct search *s, const struct beam *b, int c, const float *r)
{
	int text = texts_child(&s->x, b->text, c), fresh;
	struct beam *e;
	double p;

	if (text < 0)
		return -1;
	p = (c == b->last ? b->pb : htr_ctc_logadd(b->pb, b->pnb)) + r[c];
	e = cands_get(&s->next, text, &fresh);
	if (fresh && extend_state(s, e, b, c, text))
		return -1;
	e->pnb = htr_ctc_logadd(e->pnb, p);
	return 0;
}

static int
step(struct search *s, const float *r)
{
	cands_clear(&s->next);
	for (int i = 0; i < s->cur.n; i++) {
		const struct beam *b = &s->cur.b[i];
		int fresh;
		struct beam *e = cands_get(&s->next, b->text, &fresh);

		if (fresh) {
			*e = *b;
			e->pb = e->pnb = -INFINITY;
		}
		if (b->last >= 0)
			e->pnb = htr_ctc_logadd(e->pnb, b->pnb + r[b->last]);
		e->pb = htr_ctc_logadd(e->pb,
		    htr_ctc_logadd(b->pb, b->pnb) + r[0]);

		if (s->o->method == HTR_DECODE_BEAM) {
			for (int c = 1; c < s->C; c++)
				if (r[c] >= PRUNE_LOGP && extend(s, b, c, r))
					return -1;
			continue;
		}
		const struct htr_wordlm *w = s->w;
		int node = b->node > 0 ? b->node : 0;
		for (int n = w->node[node].child; n >= 0; n = w->node[n].sibling)
			if (r[w->node[n].label] >= PRUNE_LOGP &&
			    extend(s, b, w->node[n].label, r))
				return -1;
		if (node == 0 || w->node[node].word >= 0)
			for (int k = 0; k < s->nnonword; k++)
				if (r[s->nonword[k]] >= PRUNE_LOGP &&
				    extend(s, b, s->nonword[k], r))
					return -1;
	}
	for (int i = 0; i < s->next.n; i++)
		rescore(s, &s->next.b[i]);
	/* keep the best: select them, then sort only those; the hash of
	 * s->next is stale afterwards, cur is a plain list */
	int keep = s->next.n < s->o->beam ? s->next.n : s->o->beam;
	select_best(s->next.b, s->next.n, keep);
	qsort(s->next.b, (size_t)keep, sizeof *s->next.b, cmp_beam);
	cands_clear(&s->cur);
	memcpy(s->cur.b, s->next.b, (size_t)keep * sizeof *s->cur.b);
	s->cur.n = keep;
	return 0;
}

/* Upper bound of candidates per frame. */
static int
max_cands(const struct search *s)
{
	return s->o->beam * s->C + s->o->beam;
}

static int
search_run(struct htr_decoded *d, struct search *s)
{
	int r = -1;

	if (texts_init(&s->x) || cands_init(&s->cur, max_cands(s)) ||
	    cands_init(&s->next, max_cands(s)))
		goto out;
	s->cur.b[0] = (struct beam){.text = 0, .last = -1, .pb = 0,
	    .pnb = -INFINITY, .node = -1, .prev = -1};
	s->cur.n = 1;
	for (int t = 0; t < s->T; t++)
		if (step(s, s->lp + (long)t * s->C))
			goto out;
	/* the end of the line */
	int best = -1, complete = 0;
	for (int i = 0; i < s->cur.n; i++) {
		struct beam *b = &s->cur.b[i];
		int ok = 1;
		if (s->o->method == HTR_DECODE_BEAM && s->o->lm) {
			int ctx[HTR_LM_MAXORDER], n = lm_context(s, b->text, ctx);
			b->lm += htr_charlm_logp(s->o->lm, ctx, n,
			    HTR_LM_BOUNDARY);
		} else if (s->o->method == HTR_DECODE_WORD && b->node > 0) {
			int word = s->w->node[b->node].word;
			ok = word >= 0;
			if (ok) {
				if (s->o->wbsmode >= HTR_WBS_NGRAMS)
					b->lmsum += htr_wordlm_logp(s->w,
					    b->prev, word);
				b->nwords++;
				b->node = -1;
				b->lmpart = 0;
			}
		}
		rescore(s, b);
		/* a text that ends inside a word is taken only if no beam
		 * ends with a whole word */
		if (best < 0 || (ok && !complete) || (ok == complete &&
		    cmp_beam(b, &s->cur.b[best]) < 0)) {
			best = i;
			complete = ok;
		}
	}
	r = texts_labels(d, &s->x, s->cur.b[best].text, s->cur.b[best].score);
out:
	texts_free(&s->x);
	cands_free(&s->cur);
	cands_free(&s->next);
	return r;
}

int
htr_decode_beam(struct htr_decoded *d, const float *lp, int T, int C,
    const struct htr_alphabet *a, const struct htr_decode_opts *o)
{
	struct search s = {.lp = lp, .T = T, .C = C, .o = o};
	int r;

	memset(d, 0, sizeof *d);
	if (o->beam < 1)
		return htr_fail("beam width %d is less than 1", o->beam);
	if (o->lm) {
		if (!(s.lmid = htr_alloc((size_t)C, sizeof *s.lmid)))
			return -1;
		s.lmid[0] = HTR_LM_UNKNOWN;
		for (int c = 1; c < C; c++)
			s.lmid[c] = htr_charlm_id(o->lm, a->sym[c]);
	}
	r = search_run(d, &s);
	free(s.lmid);
	return r;
}

int
htr_decode_wbs(struct htr_decoded *d, const float *lp, int T, int C,
    const struct htr_decode_opts *o)
{
	struct search s = {.lp = lp, .T = T, .C = C, .o = o, .w = o->wlm};
	int r;

	memset(d, 0, sizeof *d);
	if (o->beam < 1)
		return htr_fail("beam width %d is less than 1", o->beam);
	if (!o->wlm)
		return htr_fail("word beam search needs a dictionary");
	if (o->wlm->nchar != C)
		return htr_fail("the dictionary was built for %d symbols, the "
		    "matrix has %d", o->wlm->nchar, C);
	if (o->wbsmode < HTR_WBS_WORDS || o->wbsmode > HTR_WBS_SAMPLE)
		return htr_fail("unknown word beam search mode %d", o->wbsmode);
	if (!(s.nonword = htr_alloc((size_t)C, sizeof *s.nonword)))
		return -1;
	for (int c = 1; c < C; c++)
		if (!o->wlm->isword[c])
			s.nonword[s.nnonword++] = c;
	htr_rng_seed(&s.rng, o->seed);
	r = search_run(d, &s);
	free(s.nonword);
	return r;
}

/* The extended label sequence of CTC: blank, l0, blank, l1, ..., blank. */
static int
ext_label(const int *label, int s)
{
	return s % 2 ? label[s / 2] : 0;
}

double
htr_decode_logprob(const float *lp, int T, int C, const int *label, int n)
{
	int S = 2 * n + 1;
	double *a = htr_alloc((size_t)S, sizeof *a), *b;
	double r;

	if (!a)
		return -INFINITY;
	if (!(b = htr_alloc((size_t)S, sizeof *b))) {
		free(a);
		return -INFINITY;
	}
	if (T == 0) {
		free(a);
		free(b);
		return n == 0 ? 0 : -INFINITY;
	}
	for (int s = 0; s < S; s++)
		a[s] = -INFINITY;
	a[0] = lp[0];
	if (S > 1)
		a[1] = lp[label[0]];
	for (int t = 1; t < T; t++) {
		const float *row = lp + (long)t * C;
		for (int s = 0; s < S; s++) {
			int l = ext_label(label, s);
			double v = a[s];
			if (s > 0)
				v = htr_ctc_logadd(v, a[s - 1]);
			if (s > 1 && l != 0 && l != ext_label(label, s - 2))
				v = htr_ctc_logadd(v, a[s - 2]);
			b[s] = v + row[l];
		}
		memcpy(a, b, (size_t)S * sizeof *a);
	}
	r = S > 1 ? htr_ctc_logadd(a[S - 1], a[S - 2]) : a[0];
	free(a);
	free(b);
	return r;
}

int
htr_decode_align(struct htr_decoded *d, const float *lp, int T, int C)
{
	int n = d->n, S = 2 * n + 1;
	double *a, *b;
	unsigned char *from;    /* [T][S] 0, 1 or 2 states back */
	int s, r = -1;

	if (n == 0)
		return 0;
	a = htr_alloc((size_t)S, sizeof *a);
	b = htr_alloc((size_t)S, sizeof *b);
	from = htr_alloc((size_t)T * S, 1);
	if (!a || !b || !from)
		goto out;
	for (s = 0; s < S; s++)
		a[s] = -INFINITY;
	if (T > 0) {
		a[0] = lp[0];
		a[1] = lp[d->label[0]];
	}
	for (int t = 1; t < T; t++) {
		const float *row = lp + (long)t * C;
		for (s = 0; s < S; s++) {
			int l = ext_label(d->label, s), k = 0;
			double v = a[s];
			if (s > 0 && a[s - 1] > v)
				v = a[s - 1], k = 1;
			if (s > 1 && l != 0 &&
			    l != ext_label(d->label, s - 2) && a[s - 2] > v)
				v = a[s - 2], k = 2;
			b[s] = v + row[l];
			from[(long)t * S + s] = (unsigned char)k;
		}
		memcpy(a, b, (size_t)S * sizeof *a);
	}
	s = a[S - 1] >= a[S - 2] ? S - 1 : S - 2;
	if (T == 0 || a[s] == -INFINITY) {
		htr_fail("no CTC path of %d frames reads the %d decoded symbols",
		    T, n);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		d->start[i] = T;
		d->end[i] = 0;
		d->conf[i] = 0;
	}
	for (int t = T - 1; t >= 0; t--) {
		if (s % 2) {
			int i = s / 2;
			float p = expf(lp[(long)t * C + d->label[i]]);
			d->start[i] = t;
			if (d->end[i] < t + 1)
				d->end[i] = t + 1;
			if (p > d->conf[i])
				d->conf[i] = p;
		}
		if (t > 0)
			s -= from[(long)t * S + s];
	}
	r = 0;
out:
	free(a);
	free(b);
	free(from);
	return r;
}

int
htr_decode(struct htr_decoded *d, const float *lp, int T, int C,
    const struct htr_alphabet *a, const struct htr_decode_opts *o)
{
	int r;

	memset(d, 0, sizeof *d);
	if (a && a->n != C)
		return htr_fail("the matrix has %d columns but the alphabet has "
		    "%d symbols", C, a->n);
	if (C < 1)
		return htr_fail("the matrix has no column");
	switch (o->method) {
	case HTR_DECODE_BEST:
		r = htr_decode_bestpath(d, lp, T, C);
		break;
	case HTR_DECODE_BEAM:
		r = htr_decode_beam(d, lp, T, C, a, o);
		break;
	case HTR_DECODE_WORD:
		r = htr_decode_wbs(d, lp, T, C, o);
		break;
	default:
		return htr_fail("unknown decoder %d", o->method);
	}
	if (r == 0 && (r = htr_decode_align(d, lp, T, C)))
		htr_decoded_free(d);
	return r;
}
