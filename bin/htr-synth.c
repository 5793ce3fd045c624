/* htr-synth — renders synthetic handwriting: text from a corpus, drawn
 * with handwriting fonts and distorted, as labelled PGM images. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "font.h"
#include "htr.h"
#include "synth.h"
#include "synthtext.h"

#define BATCH     256
#define MAXTHREAD 64
#define MAXTEXT   HTR_SYNTHTEXT_LINE
#define MAXFONTS  4096
#define MAXDEPTH  16

static struct htr_font fonts[MAXFONTS];
static int nfonts;
static struct htr_image *bgs;
static int nbgs;
static struct htr_synthtext corpus[16]; /* -text: one; -words: a list */
static int ncorpus;
static const char *corpus_name;
static int from_lines;           /* -text: one sample per line */
static int minwords = 2, maxwords = 6;
static unsigned long seed = 1;
static struct htr_synth_params par;
static int textmax;              /* bytes the encoded text may take in a
                                    tag; 0: no limit (-o) */

/* One sample's result, made by a worker, written by the main thread. */
struct slot {
	long index;
	int ok;                  /* 1 image, 0 skipped, -1 error */
	int font;
	int line;                /* -text: the corpus line */
	uint32_t missing;        /* skipped: a code point no font has */
	struct htr_image im;
	char text[MAXTEXT];
	char err[256];
};

struct worker {
	pthread_t tid;
	int id, nthread;
	struct htr_font_ctx *ctx;
	struct slot *slots;
	int nslot;
	long *used, *lacked;     /* [nfonts] */
	int *order;              /* [nfonts] */
};

/* "-font a.ttf -font b.otf,c.woff2": shhopt keeps only the last of a
 * repeated option, so collect them all first. */
static char **fontargs;
static int nfontargs;

static void
collect_fonts(int argc, char **argv)
{
	if (!(fontargs = htr_alloc((size_t)argc, sizeof *fontargs)))
		htr_cli_die(NULL);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-font") && i + 1 < argc)
			fontargs[nfontargs++] = argv[++i];
		else if (!strncmp(a, "-font=", 6))
			fontargs[nfontargs++] = (char *)a + 6;
	}
}

static int
font_ext(const char *name)
{
	const char *e = strrchr(name, '.');

	return e && (!strcasecmp(e, ".ttf") || !strcasecmp(e, ".otf") ||
	    !strcasecmp(e, ".woff2") || !strcasecmp(e, ".woff") ||
	    !strcasecmp(e, ".ttc") || !strcasecmp(e, ".otc"));
}

static void
add_font(const char *path)
{
	if (nfonts == MAXFONTS)
		htr_cli_fatal("%s: more than %d fonts", path, MAXFONTS);
	if (htr_font_load(&fonts[nfonts], path))
		htr_cli_die(path);
	nfonts++;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every font file under dir, in sorted order so that a seed gives the
 * same set on every file system. */
static void
walk(const char *dir, int depth, int (*want)(const char *),
    void (*add)(const char *))
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	int n = 0, cap = 0;

	if (depth > MAXDEPTH)
		htr_cli_fatal("%s: directories nested too deep", dir);
	if (!(d = opendir(dir)))
		htr_cli_fatal("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(names = htr_realloc(names, (size_t)cap,
			    sizeof *names)))
				htr_cli_die(dir);
		}
		if (!(p = htr_alloc(strlen(dir) + strlen(e->d_name) + 2, 1)))
			htr_cli_die(dir);
		sprintf(p, "%s/%s", dir, e->d_name);
		names[n++] = p;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			walk(names[i], depth + 1, want, add);
		else if (want(names[i]))
			add(names[i]);
		free(names[i]);
	}
	free(names);
}

static int
pgm_ext(const char *name)
{
	const char *e = strrchr(name, '.');

	return e && (!strcasecmp(e, ".pgm") || !strcasecmp(e, ".pnm"));
}

static void
add_background(const char *path)
{
	FILE *f = htr_cli_open(path);
	struct htr_image *p = htr_realloc(bgs, (size_t)nbgs + 1, sizeof *bgs);

	if (!p)
		htr_cli_die(path);
	bgs = p;
	if (htr_pgm_read(f, &bgs[nbgs]) != 1) {
		if (!htr_errmsg()[0])
			htr_fail("empty file");
		htr_cli_die(path);
	}
	fclose(f);
	nbgs++;
}

static void
parse_range(const char *opt, const char *s, float v[2])
{
	char *e;

	if (!s)
		return;
	v[0] = strtof(s, &e);
	if (e == s)
		htr_cli_usage("-%s %s: want a number or a range LO,HI", opt, s);
	if (*e == ',') {
		const char *t = e + 1;
		v[1] = strtof(t, &e);
		if (e == t)
			htr_cli_usage("-%s %s: want LO,HI", opt, s);
	} else
		v[1] = v[0];
	if (*e)
		htr_cli_usage("-%s %s: want a number or a range LO,HI", opt, s);
}

static void
parse_float(const char *opt, const char *s, float *v)
{
	float r[2];

	if (!s)
		return;
	parse_range(opt, s, r);
	if (r[0] != r[1])
		htr_cli_usage("-%s %s: want one number", opt, s);
	*v = r[0];
}

static void
plain(struct htr_synth_params *p)
{
	p->charspace[0] = p->charspace[1] = 0;
	p->charjitter = p->wordjitter = p->wobble = p->rotate = 0;
	p->wordspace[0] = p->wordspace[1] = 1;
	p->slant[0] = p->slant[1] = p->stroke[0] = p->stroke[1] = 0;
	p->elastic = 0;
	p->ink[0] = p->ink[1] = 0;
	p->opacity[0] = p->opacity[1] = 1;
	p->pressure = 0;
	p->blur[0] = p->blur[1] = 0;
	p->paper[0] = p->paper[1] = 255;
	p->texture = 0;
	p->noise[0] = p->noise[1] = 0;
	p->jpeg = 0;
}

/* Picks a font that has every character of s->text (upper-cased for a
 * capitals-only font) and fills cp; returns the code point count, 0 if
 * no font fits, -1 on error. */
static int
pick_font(struct worker *w, struct slot *s, uint32_t *cp, struct htr_rng *r)
{
	char up[MAXTEXT];
	uint32_t *ucp = cp + MAXTEXT;
	int n, nu = -1;

	if ((n = htr_synth_utf8(cp, MAXTEXT, s->text)) < 0)
		return -1;
	for (int i = 0; i < nfonts; i++)
		w->order[i] = i;
	htr_rng_shuffle(r, w->order, nfonts);
	for (int i = 0; i < nfonts; i++) {
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
make_sample(struct worker *w, struct slot *s)
{
	struct htr_rng r;
	uint32_t cp[2 * MAXTEXT];
	int tries = from_lines ? 1 : 20, n = 0;

	htr_rng_seed(&r, seed ^ ((uint64_t)s->index * 0xd1b54a32d192ed03ULL +
	    0x632be59bd9b4e019ULL));
	s->ok = 0;
	s->font = -1;
	for (int t = 0; t < tries && s->font < 0; t++) {
		if (from_lines) {
			s->line = (int)(s->index % corpus[0].nline);
			snprintf(s->text, sizeof s->text, "%s",
			    corpus[0].line[s->line]);
		} else {
			char enc[HTR_TAG_MAX];

			if (htr_synthtext_draw(&corpus[ncorpus > 1 ?
			    htr_rng_below(&r, (uint32_t)ncorpus) : 0], s->text,
			    sizeof s->text, minwords, maxwords, &r) < 0)
				goto fail;
			/* on a stream, the text must fit in the tag */
			if (textmax && htr_synth_encode(enc, (size_t)textmax + 1,
			    s->text) < 0)
				continue;
		}
		if ((n = pick_font(w, s, cp, &r)) < 0)
			goto fail;
	}
	if (s->font < 0)
		return;
	{
		struct htr_synth_cov cov;
		const struct htr_image *bg = nbgs ?
		    &bgs[htr_rng_below(&r, (uint32_t)nbgs)] : NULL;
		int e = htr_font_render(&cov, w->ctx, s->font, cp, n, &par, &r) ||
		    htr_synth_finish(&s->im, &cov, &par, bg, &r);

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
	struct worker *w = arg;

	for (int i = w->id; i < w->nslot; i += w->nthread)
		make_sample(w, &w->slots[i]);
	return NULL;
}

static FILE *
open_out(const char *dir, const char *name, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		htr_cli_fatal("%s: %s", path, strerror(errno));
	return f;
}

int
main(int argc, char **argv)
{
	const char *fontdir = NULL, *textf = NULL, *wordsf = NULL,
	    *outdir = NULL, *bgdir = NULL;
	const char *o_size = NULL, *o_charspace = NULL, *o_charjitter = NULL,
	    *o_wordspace = NULL, *o_wordjitter = NULL, *o_wobble = NULL,
	    *o_slant = NULL, *o_rotate = NULL, *o_stroke = NULL, *o_minstroke = NULL, *o_pressure = NULL,
	    *o_elastic = NULL, *o_escale = NULL, *o_ink = NULL,
	    *o_opacity = NULL, *o_blur = NULL, *o_paper = NULL,
	    *o_texture = NULL, *o_noise = NULL, *o_margin = NULL,
	    *o_jpeg = NULL, *o_quality = NULL, *o_font = NULL;
	unsigned int nspec = 0, seedspec = 0, heightspec = 0, threadspec = 0,
	    verbose = 0, plainflag = 0, minspec = 0, maxspec = 0;
	int n = 0, height = 64, nthread = 0;
	struct worker w[MAXTHREAD];
	struct slot *slots;
	FILE *manifest = NULL;
	long written = 0, skipped = 0, total = 0;
	int digits = 6;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-synth", "[-font FILE[,FILE...]]... [-fontdir DIR] "
	    "(-text FILE | -words FILE [-n N] [-min-words A] [-max-words B]) "
	    "[-o DIR] [-seed S] [-height H] [-plain] [variation options] "
	    "[-background DIR] [-threads N] [-verbose]");
	OPTENT3(0, "font", OPT_STRING, &o_font, NULL, 0);
	OPTENT3(0, "fontdir", OPT_STRING, &fontdir, NULL, 0);
	OPTENT3(0, "text", OPT_STRING, &textf, NULL, 0);
	OPTENT3(0, "words", OPT_STRING, &wordsf, NULL, 0);
	OPTENT3(0, "n", OPT_INT, &n, &nspec, 0);
	OPTENT3(0, "min-words", OPT_INT, &minwords, &minspec, 0);
	OPTENT3(0, "max-words", OPT_INT, &maxwords, &maxspec, 0);
	OPTENT3(0, "o", OPT_STRING, &outdir, NULL, 0);
	OPTENT3(0, "seed", OPT_ULONG, &seed, &seedspec, 0);
	OPTENT3(0, "height", OPT_INT, &height, &heightspec, 0);
	OPTENT3(0, "plain", OPT_FLAG, NULL, &plainflag, 0);
	OPTENT3(0, "size", OPT_STRING, &o_size, NULL, 0);
	OPTENT3(0, "charspace", OPT_STRING, &o_charspace, NULL, 0);
	OPTENT3(0, "charjitter", OPT_STRING, &o_charjitter, NULL, 0);
	OPTENT3(0, "wordspace", OPT_STRING, &o_wordspace, NULL, 0);
	OPTENT3(0, "wordjitter", OPT_STRING, &o_wordjitter, NULL, 0);
	OPTENT3(0, "wobble", OPT_STRING, &o_wobble, NULL, 0);
	OPTENT3(0, "slant", OPT_STRING, &o_slant, NULL, 0);
	OPTENT3(0, "rotate", OPT_STRING, &o_rotate, NULL, 0);
	OPTENT3(0, "stroke", OPT_STRING, &o_stroke, NULL, 0);
	OPTENT3(0, "minstroke", OPT_STRING, &o_minstroke, NULL, 0);
	OPTENT3(0, "pressure", OPT_STRING, &o_pressure, NULL, 0);
	OPTENT3(0, "elastic", OPT_STRING, &o_elastic, NULL, 0);
	OPTENT3(0, "elastic-scale", OPT_STRING, &o_escale, NULL, 0);
	OPTENT3(0, "ink", OPT_STRING, &o_ink, NULL, 0);
	OPTENT3(0, "opacity", OPT_STRING, &o_opacity, NULL, 0);
	OPTENT3(0, "blur", OPT_STRING, &o_blur, NULL, 0);
	OPTENT3(0, "paper", OPT_STRING, &o_paper, NULL, 0);
	OPTENT3(0, "texture", OPT_STRING, &o_texture, NULL, 0);
	OPTENT3(0, "noise", OPT_STRING, &o_noise, NULL, 0);
	OPTENT3(0, "margin", OPT_STRING, &o_margin, NULL, 0);
	OPTENT3(0, "jpeg", OPT_STRING, &o_jpeg, NULL, 0);
	OPTENT3(0, "quality", OPT_STRING, &o_quality, NULL, 0);
	OPTENT3(0, "background", OPT_STRING, &bgdir, NULL, 0);
	OPTENT3(0, "threads", OPT_INT, &nthread, &threadspec, 0);
	OPTENT3(0, "verbose", OPT_FLAG, NULL, &verbose, 0);
	collect_fonts(argc, argv);
	htr_cli_parse(&argc, argv, option_def);
	if (argc > 1)
		htr_cli_usage("unexpected argument %s", argv[1]);
	if (!nfontargs && !fontdir)
		htr_cli_usage("no fonts: give -font or -fontdir");
	if (!textf == !wordsf)
		htr_cli_usage("give one of -text and -words");
	if (nspec && (n < 1 || n > 100000000))
		htr_cli_usage("-n %d: want 1 to 100000000", n);
	if (minwords < 1 || maxwords < minwords || maxwords > 200)
		htr_cli_usage("-min-words %d -max-words %d: want 1 <= A <= B "
		    "<= 200", minwords, maxwords);
	if (textf && (minspec || maxspec))
		htr_cli_usage("-min-words and -max-words go with -words");
	if (threadspec && (nthread < 1 || nthread > MAXTHREAD))
		htr_cli_usage("-threads %d: want 1 to %d", nthread, MAXTHREAD);

	htr_synth_defaults(&par);
	par.height = height;
	if (plainflag)
		plain(&par);
	{
		float q[2] = {(float)par.quality[0], (float)par.quality[1]};
		parse_range("size", o_size, par.size);
		parse_range("charspace", o_charspace, par.charspace);
		parse_float("charjitter", o_charjitter, &par.charjitter);
		parse_range("wordspace", o_wordspace, par.wordspace);
		parse_float("wordjitter", o_wordjitter, &par.wordjitter);
		parse_float("wobble", o_wobble, &par.wobble);
		parse_range("slant", o_slant, par.slant);
		parse_float("rotate", o_rotate, &par.rotate);
		parse_range("stroke", o_stroke, par.stroke);
		parse_float("minstroke", o_minstroke, &par.minstroke);
		parse_float("pressure", o_pressure, &par.pressure);
		parse_float("elastic", o_elastic, &par.elastic);
		parse_float("elastic-scale", o_escale, &par.elastic_scale);
		parse_range("ink", o_ink, par.ink);
		parse_range("opacity", o_opacity, par.opacity);
		parse_range("blur", o_blur, par.blur);
		parse_range("paper", o_paper, par.paper);
		parse_float("texture", o_texture, &par.texture);
		parse_range("noise", o_noise, par.noise);
		parse_range("margin", o_margin, par.margin);
		parse_float("jpeg", o_jpeg, &par.jpeg);
		parse_range("quality", o_quality, q);
		if (q[0] != (int)q[0] || q[1] != (int)q[1])
			htr_cli_usage("-quality %s: want whole numbers",
			    o_quality);
		par.quality[0] = (int)q[0];
		par.quality[1] = (int)q[1];
	}
	if (htr_synth_check(&par))
		htr_cli_usage("%s", htr_errmsg());
	if (!threadspec) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nthread = c < 1 ? 1 : c > 8 ? 8 : (int)c;
	}

	/* everything is read and checked before anything is written */
	for (int i = 0; i < nfontargs; i++) {
		char *list = fontargs[i], *tok, *save = NULL;
		for (tok = strtok_r(list, ",", &save); tok;
		    tok = strtok_r(NULL, ",", &save))
			add_font(tok);
	}
	if (fontdir) {
		int before = nfonts;
		walk(fontdir, 0, font_ext, add_font);
		if (nfonts == before)
			htr_cli_fatal("%s: no .ttf, .otf, .woff or .woff2 fonts "
			    "in it", fontdir);
	}
	free(fontargs);
	if (bgdir) {
		struct stat st;
		if (stat(bgdir, &st))
			htr_cli_fatal("%s: %s", bgdir, strerror(errno));
		if (S_ISDIR(st.st_mode))
			walk(bgdir, 0, pgm_ext, add_background);
		else
			add_background(bgdir);
		if (!nbgs)
			htr_cli_fatal("%s: no .pgm images in it", bgdir);
	}
	corpus_name = textf ? textf : wordsf;
	from_lines = textf != NULL;
	if (from_lines) {
		if (htr_synthtext_load(&corpus[0], textf))
			htr_cli_die(NULL);
		ncorpus = 1;
	} else {
		char *list, *tok, *save = NULL;

		if (!(list = htr_alloc(strlen(wordsf) + 1, 1)))
			htr_cli_die(NULL);
		strcpy(list, wordsf);
		for (tok = strtok_r(list, ",", &save); tok;
		    tok = strtok_r(NULL, ",", &save)) {
			if (ncorpus == 16)
				htr_cli_usage("-words: more than 16 files");
			if (htr_synthtext_load(&corpus[ncorpus], tok))
				htr_cli_die(NULL);
			ncorpus++;
		}
		free(list);
		if (!ncorpus)
			htr_cli_usage("-words: no file");
	}
	if (!nspec)
		n = from_lines ? corpus[0].nline : 100;
	for (long k = n; k >= 1000000; k /= 10)
		digits++;
	if (!outdir) {
		size_t longest = 0;
		char enc[HTR_TAG_MAX];

		for (int i = 0; i < nfonts; i++) {
			int k = htr_synth_encode(enc, sizeof enc, fonts[i].name);
			if (k < 0)
				htr_cli_fatal("%s: font file name too long for a "
				    "PGM tag", fonts[i].path);
			if ((size_t)k > longest)
				longest = (size_t)k;
		}
		/* "synth=N font=F text=T" */
		textmax = HTR_TAG_MAX - 1 - (int)(strlen("synth= font= text=") +
		    (size_t)digits + longest);
		if (textmax < 16)
			htr_cli_fatal("font file names too long for PGM tags; "
			    "use -o");
		for (int i = 0; from_lines && i < corpus[0].nline; i++)
			if (htr_synth_encode(enc, (size_t)textmax + 1,
			    corpus[0].line[i]) < 0)
				htr_cli_fatal("%s:%d: text too long for a PGM tag "
				    "(%d bytes encoded at most); use -o", textf,
				    corpus[0].lineno[i], textmax);
	} else {
		char path[4096];
		struct stat st;

		if (mkdir(outdir, 0777) && errno != EEXIST)
			htr_cli_fatal("%s: %s", outdir, strerror(errno));
		if (stat(outdir, &st) || !S_ISDIR(st.st_mode))
			htr_cli_fatal("%s: not a directory", outdir);
		manifest = open_out(outdir, "manifest.tsv", path, sizeof path);
	}

	if (!(slots = htr_zalloc(BATCH, sizeof *slots)))
		htr_cli_die(NULL);
	for (int t = 0; t < nthread; t++) {
		w[t].id = t;
		w[t].nthread = nthread;
		w[t].slots = slots;
		if (!(w[t].ctx = htr_font_ctx_new(fonts, nfonts)) ||
		    !(w[t].used = htr_zalloc((size_t)nfonts, sizeof(long))) ||
		    !(w[t].lacked = htr_zalloc((size_t)nfonts, sizeof(long))) ||
		    !(w[t].order = htr_alloc((size_t)nfonts, sizeof(int))))
			htr_cli_die(NULL);
	}
	for (long base = 0; base < n; base += BATCH) {
		int m = n - base < BATCH ? (int)(n - base) : BATCH;

		for (int i = 0; i < m; i++)
			slots[i].index = base + i;
		for (int t = 0; t < nthread; t++) {
			w[t].nslot = m;
			if (nthread == 1)
				work(&w[t]);
			else if (pthread_create(&w[t].tid, NULL, work, &w[t]))
				htr_cli_fatal("cannot start a thread");
		}
		for (int t = 0; nthread > 1 && t < nthread; t++)
			pthread_join(w[t].tid, NULL);
		for (int i = 0; i < m; i++) {
			struct slot *s = &slots[i];
			char enc[HTR_TAG_MAX], name[64];

			total++;
			if (s->ok < 0) {
				if (from_lines)
					htr_cli_fatal("%s:%d: %s", corpus_name,
					    corpus[0].lineno[s->line], s->err);
				htr_cli_fatal("%s: %s", corpus_name, s->err);
			}
			if (!s->ok) {
				skipped++;
				if (verbose && from_lines)
					fprintf(stderr, "htr-synth: %s:%d: no font "
					    "has U+%04X, line skipped\n",
					    corpus_name, corpus[0].lineno[s->line],
					    (unsigned)s->missing);
				continue;
			}
			snprintf(name, sizeof name, "%0*ld.pgm", digits & 15,
			    written);
			if (htr_synth_encode(enc, sizeof enc, fonts[s->font].name)
			    < 0 || htr_tag_setf(s->im.tags, "synth", "%ld",
			    s->index) || htr_tag_set(s->im.tags, "font", enc))
				htr_cli_die(fonts[s->font].path);
			if (htr_synth_encode(enc, sizeof enc, s->text) < 0 ||
			    htr_tag_set(s->im.tags, "text", enc)) {
				if (!outdir)
					htr_cli_fatal("%s: text of %zu bytes does "
					    "not fit in a PGM tag; use -o",
					    corpus_name, strlen(s->text));
			}
			if (outdir) {
				char path[4096];
				FILE *f = open_out(outdir, name, path,
				    sizeof path);
				if (htr_pgm_write(f, &s->im) || fclose(f))
					htr_cli_fatal("%s: write error", path);
				fprintf(manifest, "%s\t%s\n", name, s->text);
			} else if (htr_pgm_write(stdout, &s->im))
				htr_cli_die("stdout");
			htr_image_free(&s->im);
			written++;
		}
	}
	if (!written)
		htr_cli_fatal("%s: no sample could be rendered: no font has all "
		    "the characters of any text", corpus_name);
	if (manifest && (fflush(manifest) || ferror(manifest) ||
	    fclose(manifest)))
		htr_cli_fatal("%s/manifest.tsv: write error", outdir);
	if (verbose) {
		long lack = 0;
		for (int f = 0; f < nfonts; f++) {
			long u = 0, l = 0;
			for (int t = 0; t < nthread; t++) {
				u += w[t].used[f];
				l += w[t].lacked[f];
			}
			lack += l;
			fprintf(stderr, "htr-synth: %s: %ld samples, lacked "
			    "characters %ld times\n", fonts[f].path, u, l);
		}
		fprintf(stderr, "htr-synth: %ld samples written, %ld skipped "
		    "(no font has all their characters), %ld font choices "
		    "refused for missing characters\n", written, skipped, lack);
	}
	for (int t = 0; t < nthread; t++) {
		htr_font_ctx_free(w[t].ctx);
		free(w[t].used);
		free(w[t].lacked);
		free(w[t].order);
	}
	free(slots);
	for (int i = 0; i < nfonts; i++)
		htr_font_free(&fonts[i]);
	for (int i = 0; i < nbgs; i++)
		htr_image_free(&bgs[i]);
	free(bgs);
	for (int i = 0; i < ncorpus; i++)
		htr_synthtext_free(&corpus[i]);
	return htr_cli_finish();
}
