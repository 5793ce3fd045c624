/* decsetup.c — decoder options, their files and the per-alphabet word LM
 * shared by the programs that decode (decsetup.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decsetup.h"
#include "htr.h"

static const char *const method_name[] = {"best", "beam", "word"};
static const char *const mode_name[] = {"words", "ngrams", "forecast",
    "sample"};

void
htr_decsetup_args_defaults(struct htr_decsetup_args *g)
{
	memset(g, 0, sizeof *g);
	g->beam = 25;
	g->mode = "words";
	g->addk = 0.01f;
	g->seed = 1;
}

/* Decoder of a name (with the long aliases), or -1. */
static int
method_of(const char *s, size_t len)
{
	static const struct {
		const char *name;
		int method;
	} names[] = {
		{"best", HTR_DECODE_BEST}, {"bestpath", HTR_DECODE_BEST},
		{"beam", HTR_DECODE_BEAM},
		{"word", HTR_DECODE_WORD}, {"wordbeam", HTR_DECODE_WORD},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len &&
		    !strncmp(s, names[i].name, len))
			return names[i].method;
	return -1;
}

/* Parses -decoder (or the decoder implied by -corpus / -lm) into
 * method[]; returns their number or -1. */
static int
parse_methods(int *method, const struct htr_decsetup_args *g, int multi)
{
	const char *p = g->decoder;
	int n = 0;

	if (!p) {
		method[0] = g->corpus ? HTR_DECODE_WORD : g->lm ?
		    HTR_DECODE_BEAM : HTR_DECODE_BEST;
		return 1;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		int m = method_of(p, len);

		if (m < 0)
			return htr_fail("unknown decoder \"%.*s\" (best, beam or "
			    "word)", (int)len, p);
		for (int i = 0; i < n; i++)
			if (method[i] == m)
				return htr_fail("decoder \"%.*s\" given twice",
				    (int)len, p);
		if (n == (multi ? HTR_DECSETUP_MAX : 1))
			return htr_fail(multi ? "-decoder lists at most %d "
			    "decoders" : "-decoder takes one decoder (best, "
			    "beam or word), not a list", HTR_DECSETUP_MAX);
		method[n++] = m;
		if (!p[len])
			return n;
		p += len + 1;
	}
}

/* Index of s in names[n], or -1. */
static int
lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* Fills the options of every decoder; returns their number or -1. */
static int
make_opts(struct htr_decode_opts *o, const struct htr_decsetup_args *g,
    int multi)
{
	int method[HTR_DECSETUP_MAX], n, has[3] = {0, 0, 0};
	int mode = lookup(g->mode ? g->mode : "words", mode_name, 4);

	if ((n = parse_methods(method, g, multi)) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		has[method[i]] = 1;
	if (mode < 0)
		return htr_fail("unknown mode \"%s\" (words, ngrams, forecast "
		    "or sample)", g->mode);
	if (g->beam < 1 || g->beam > 10000)
		return htr_fail("-beam must be 1 to 10000");
	if (g->addk < 0)
		return htr_fail("-addk must not be negative");
	if (has[HTR_DECODE_WORD] && !g->corpus)
		return htr_fail("word beam search needs -corpus FILE");
	if (!has[HTR_DECODE_WORD] && (g->corpus || g->wordchars ||
	    g->wordcharlist))
		return htr_fail("-corpus and -wordchars go with -decoder word");
	if (!has[HTR_DECODE_BEAM] && (g->lm || g->bonus_spec))
		return htr_fail("-lm and -bonus go with -decoder beam");
	if (!has[HTR_DECODE_BEAM] && !has[HTR_DECODE_WORD] && g->beam_spec)
		return htr_fail("-beam goes with -decoder beam or word");
	if (g->wordchars && g->wordcharlist)
		return htr_fail("-wordchars and -wordcharlist exclude each "
		    "other");
	for (int i = 0; i < n; i++) {
		htr_decode_defaults(&o[i]);
		o[i].method = method[i];
		o[i].beam = (int)g->beam;
		o[i].seed = g->seed;
		o[i].bonus = g->bonus;
		o[i].wbsmode = mode;
		/* a character LM weighs less than word probabilities, which
		 * are averaged over the words */
		o[i].lmweight = g->lmweight_spec ? g->lmweight :
		    method[i] == HTR_DECODE_BEAM ? 0.5f : 1.0f;
	}
	return n;
}

int
htr_decsetup_check(const struct htr_decsetup_args *g, int multi)
{
	struct htr_decode_opts o[HTR_DECSETUP_MAX];

	return make_opts(o, g, multi);
}

/* Reads a whole file ("-": stdin), NUL-terminated.  NULL + htr_fail. */
static char *
slurp(const char *path, size_t *len)
{
	int in = !strcmp(path, "-");
	FILE *f = in ? stdin : fopen(path, "rb");
	char *buf;

	if (!f) {
		htr_fail("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(buf = (char *)htr_read_all(f, SIZE_MAX - 2, len)))
		htr_fail_prefix(path);
	if (!in)
		fclose(f);
	return buf;
}

static int
read_lm(struct htr_charlm *lm, const char *path)
{
	int in = !strcmp(path, "-"), r;
	FILE *f = in ? stdin : fopen(path, "rb");

	if (!f)
		return htr_fail("%s: %s", path, strerror(errno));
	r = htr_charlm_read(f, lm);
	if (!in)
		fclose(f);
	return r ? htr_fail_prefix(path) : 0;
}

int
htr_decsetup_open(struct htr_decsetup *s, const struct htr_decsetup_args *g,
    int multi)
{
	memset(s, 0, sizeof *s);
	if ((s->n = make_opts(s->o, g, multi)) < 0)
		return -1;
	s->addk = g->addk;
	s->corpusname = g->corpus;
	if (g->lm) {
		if (read_lm(&s->lm, g->lm))
			return -1;
		s->havelm = 1;
	}
	if (g->corpus && !(s->corpus = slurp(g->corpus, &s->corpuslen)))
		goto fail;
	if (g->wordchars) {
		if (!(s->wordchars = slurp(g->wordchars, &s->wclen)))
			goto fail;
		while (s->wclen && (s->wordchars[s->wclen - 1] == '\n' ||
		    s->wordchars[s->wclen - 1] == '\r'))
			s->wordchars[--s->wclen] = 0;
	} else if (g->wordcharlist) {
		s->wclen = strlen(g->wordcharlist);
		if (!(s->wordchars = htr_alloc(s->wclen + 1, 1)))
			goto fail;
		memcpy(s->wordchars, g->wordcharlist, s->wclen + 1);
	}
	for (int i = 0; i < s->n; i++)
		if (s->o[i].method == HTR_DECODE_BEAM && s->havelm)
			s->o[i].lm = &s->lm;
	return 0;
fail:
	htr_decsetup_close(s);
	return -1;
}

int
htr_decsetup_alphabet(struct htr_decsetup *s, struct htr_alphabet *a)
{
	int word = 0;

	if (s->havea && s->a.n == a->n) {
		int same = 1;
		for (int i = 0; i < a->n && same; i++)
			same = !strcmp(s->a.sym[i], a->sym[i]);
		if (same) {     /* a repeated alphabet: keep the dictionary */
			htr_alphabet_free(a);
			return 0;
		}
	}
	if (s->havea)
		htr_alphabet_free(&s->a);
	s->a = *a;
	s->havea = 1;
	if (s->havewlm)
		htr_wordlm_free(&s->wlm);
	s->havewlm = 0;
	for (int i = 0; i < s->n; i++) {
		s->o[i].wlm = NULL;
		word |= s->o[i].method == HTR_DECODE_WORD;
	}
	if (!word)
		return 0;
	if (htr_wordlm_build(&s->wlm, s->corpus, s->corpuslen, s->wordchars,
	    s->wclen, &s->a, s->addk))
		return htr_fail_prefix(s->corpusname);
	s->havewlm = 1;
	for (int i = 0; i < s->n; i++)
		if (s->o[i].method == HTR_DECODE_WORD)
			s->o[i].wlm = &s->wlm;
	return 0;
}

int
htr_decsetup_run(struct htr_decoded *d, const struct htr_decsetup *s, int k,
    const float *lp, int T, int C, int align)
{
	const struct htr_decode_opts *o = &s->o[k];
	int r;

	HTR_ASSERT(k >= 0 && k < s->n);
	if (!s->havea)
		return htr_fail("no alphabet before the first matrix");
	if (align)
		return htr_decode(d, lp, T, C, &s->a, o);
	memset(d, 0, sizeof *d);
	if (C != s->a.n)
		return htr_fail("the matrix has %d columns but the alphabet has "
		    "%d symbols", C, s->a.n);
	switch (o->method) {
	case HTR_DECODE_BEST:
		r = htr_decode_bestpath(d, lp, T, C);
		break;
	case HTR_DECODE_BEAM:
		r = htr_decode_beam(d, lp, T, C, &s->a, o);
		break;
	default:
		r = htr_decode_wbs(d, lp, T, C, o);
		break;
	}
	return r;
}

const char *
htr_decsetup_name(const struct htr_decsetup *s, int k)
{
	HTR_ASSERT(k >= 0 && k < s->n);
	return method_name[s->o[k].method];
}

void
htr_decsetup_close(struct htr_decsetup *s)
{
	if (s->havewlm)
		htr_wordlm_free(&s->wlm);
	if (s->havea)
		htr_alphabet_free(&s->a);
	if (s->havelm)
		htr_charlm_free(&s->lm);
	free(s->corpus);
	free(s->wordchars);
	memset(s, 0, sizeof *s);
}
