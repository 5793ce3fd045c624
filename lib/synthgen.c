/* synthgen.c — synthetic handwriting samples, made in parallel. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "htr.h"
#include "synthgen.h"

#define MAXTEXT  HTR_SYNTHTEXT_LINE
#define MAXDEPTH 16
#define TRIES    20              /* texts drawn before a sample is skipped */

struct htr_synthgen_worker {
	pthread_t tid;
	struct htr_synthgen *g;
	int id;
	struct htr_font_ctx *ctx;
	struct htr_synth_sample *s;
	int n;
	long *used, *lacked;     /* [nfonts] */
	int *order;              /* [nfonts] */
};

int
htr_synthgen_init(struct htr_synthgen *g)
{
	int nf = g->nfonts;

	HTR_ASSERT(g->nthread >= 1 && g->nthread <= HTR_SYNTHGEN_MAXTHREAD);
	HTR_ASSERT(nf >= 1 && g->ncorpus >= 1 && g->par);
	HTR_ASSERT(g->minwords >= 1 && g->maxwords >= g->minwords);
	g->w = NULL;
	if (!(g->used = htr_zalloc((size_t)nf, sizeof *g->used)) ||
	    !(g->lacked = htr_zalloc((size_t)nf, sizeof *g->lacked)) ||
	    !(g->w = htr_zalloc((size_t)g->nthread, sizeof *g->w))) {
		htr_synthgen_free(g);
		return -1;
	}
	for (int t = 0; t < g->nthread; t++) {
		struct htr_synthgen_worker *w = &g->w[t];

		w->g = g;
		w->id = t;
		if (!(w->ctx = htr_font_ctx_new(g->fonts, nf)) ||
		    !(w->used = htr_zalloc((size_t)nf, sizeof *w->used)) ||
		    !(w->lacked = htr_zalloc((size_t)nf, sizeof *w->lacked)) ||
		    !(w->order = htr_alloc((size_t)nf, sizeof *w->order))) {
			htr_synthgen_free(g);
			return -1;
		}
	}
	return 0;
}

void
htr_synthgen_free(struct htr_synthgen *g)
{
	for (int t = 0; g->w && t < g->nthread; t++) {
		htr_font_ctx_free(g->w[t].ctx);
		free(g->w[t].used);
		free(g->w[t].lacked);
		free(g->w[t].order);
	}
	free(g->w);
	free(g->used);
	free(g->lacked);
	g->w = NULL;
	g->used = g->lacked = NULL;
}

void
htr_synthgen_stats(struct htr_synthgen *g)
{
	for (int f = 0; f < g->nfonts; f++) {
		g->used[f] = g->lacked[f] = 0;
		for (int t = 0; t < g->nthread; t++) {
			g->used[f] += g->w[t].used[f];
			g->lacked[f] += g->w[t].lacked[f];
		}
	}
}

/* Picks a font, in the sample's random order, that has every character
 * of s->text (upper-cased for a capitals-only font: then s->text is too)
 * and fills cp[0 .. 2 * MAXTEXT - 1]; returns the code point count, 0 if
 * no font fits, -1 on error. */
static int
pick_font(struct htr_synthgen_worker *w, struct htr_synth_sample *s,
    uint32_t *cp, struct htr_rng *r)
{
	const struct htr_font *fonts = w->g->fonts;
	int nf = w->g->nfonts, n, nu = -1;
	uint32_t *ucp = cp + MAXTEXT;
	char up[MAXTEXT];

	if ((n = htr_synth_utf8(cp, MAXTEXT, s->text)) < 0)
		return -1;
	for (int i = 0; i < nf; i++)
		w->order[i] = i;
	htr_rng_shuffle(r, w->order, nf);
	for (int i = 0; i < nf; i++) {
		int f = w->order[i], c;

		if (fonts[f].caps && nu < 0) {
			memcpy(up, s->text, sizeof up);
			htr_synthtext_upper(up);
			if ((nu = htr_synth_utf8(ucp, MAXTEXT, up)) < 0)
				return -1;
		}
		c = htr_font_covers(w->ctx, f, fonts[f].caps ? ucp : cp,
		    fonts[f].caps ? nu : n, &s->missing);
		if (c < 0)
			return -1;
		if (!c) {
			w->lacked[f]++;
			continue;
		}
		s->font = f;
		if (fonts[f].caps) {
			memcpy(s->text, up, sizeof up);
			memcpy(cp, ucp, (size_t)nu * sizeof *cp);
			n = nu;
		}
		return n;
	}
	return 0;
}

static void
make_sample(struct htr_synthgen_worker *w, struct htr_synth_sample *s)
{
	const struct htr_synthgen *g = w->g;
	struct htr_rng r;
	uint32_t cp[2 * MAXTEXT];
	int tries = g->lines ? 1 : TRIES, n = 0;

	/* a generator of the sample's own, whatever thread makes it */
	htr_rng_seed(&r, g->seed ^ ((uint64_t)s->index * 0xd1b54a32d192ed03ULL +
	    0x632be59bd9b4e019ULL));
	s->ok = 0;
	s->font = -1;
	s->line = -1;
	s->im.pix = NULL;
	for (int t = 0; t < tries && s->font < 0; t++) {
		if (g->lines) {
			s->line = (int)(s->index % g->corpus[0].nline);
			snprintf(s->text, sizeof s->text, "%s",
			    g->corpus[0].line[s->line]);
		} else {
			char enc[MAXTEXT * 3 + 1];
			int c = g->ncorpus > 1 ?
			    (int)htr_rng_below(&r, (uint32_t)g->ncorpus) : 0;

			if (htr_synthtext_draw(&g->corpus[c], s->text,
			    sizeof s->text, g->minwords, g->maxwords, &r) < 0)
				goto fail;
			if (g->textmax > 0 && htr_synth_encode(enc,
			    (size_t)g->textmax + 1, s->text) < 0)
				continue;
		}
		if ((n = pick_font(w, s, cp, &r)) < 0)
			goto fail;
	}
	if (s->font < 0)
		return;
	{
		struct htr_synth_cov cov;
		const struct htr_image *bg = g->nbgs ?
		    &g->bgs[htr_rng_below(&r, (uint32_t)g->nbgs)] : NULL;
		int e = htr_font_render(&cov, w->ctx, s->font, cp, n, g->par,
		    &r) || htr_synth_finish(&s->im, &cov, g->par, bg, &r);

		htr_synth_cov_free(&cov);
		if (e)
			goto fail;
	}
	w->used[s->font]++;
	s->ok = 1;
	return;
fail:
	s->ok = -1;
	snprintf(s->err, sizeof s->err, "%s", htr_errmsg());
}

static void *
work(void *arg)
{
	struct htr_synthgen_worker *w = arg;

	for (int i = w->id; i < w->n; i += w->g->nthread)
		make_sample(w, &w->s[i]);
	return NULL;
}

int
htr_synthgen_run(struct htr_synthgen *g, struct htr_synth_sample *s, int n)
{
	int started = 0, err = 0;

	for (int t = 0; t < g->nthread; t++) {
		g->w[t].s = s;
		g->w[t].n = n;
	}
	if (g->nthread == 1) {
		work(&g->w[0]);
		return 0;
	}
	for (; started < g->nthread; started++)
		if ((err = pthread_create(&g->w[started].tid, NULL, work,
		    &g->w[started])))
			break;
	for (int t = 0; t < started; t++)
		pthread_join(g->w[t].tid, NULL);
	if (err)
		return htr_fail("cannot start a thread: %s", strerror(err));
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends p to the NULL-terminated list *v of *n entries. */
static int
push(char ***v, int *n, char *p)
{
	char **nv = htr_realloc(*v, (size_t)*n + 2, sizeof **v);

	if (!nv) {
		free(p);
		return -1;
	}
	nv[(*n)++] = p;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static int
walk(const char *dir, int depth, int (*want)(const char *), char ***out,
    int *nout)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	int n = 0, rc = 0;

	if (depth > MAXDEPTH)
		return htr_fail("%s: directories nested more than %d deep", dir,
		    MAXDEPTH);
	if (!(d = opendir(dir)))
		return htr_fail("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		if (!(p = htr_alloc(strlen(dir) + strlen(e->d_name) + 2, 1)) ||
		    push(&names, &n, p)) {
			rc = -1;
			break;
		}
		sprintf(p, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof *names, cmp_str);
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (!rc && stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(names[i], depth + 1, want, out, nout);
		else if (!rc && want(names[i])) {
			rc = push(out, nout, names[i]);
			continue;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
htr_synthgen_find(const char *dir, int (*want)(const char *), char ***paths)
{
	int n = 0;

	*paths = NULL;
	if (walk(dir, 0, want, paths, &n)) {
		htr_synthgen_find_free(*paths);
		*paths = NULL;
		return -1;
	}
	if (!*paths && !(*paths = htr_zalloc(1, sizeof **paths)))
		return -1;
	return n;
}

void
htr_synthgen_find_free(char **paths)
{
	for (int i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}
