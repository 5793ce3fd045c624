/* htr-synth — renders synthetic handwriting: text from a corpus, drawn
 * with handwriting fonts and distorted, as labelled PGM images. */
#include <errno.h>
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
#include "synthgen.h"
#include "synthtext.h"

#define BATCH     256
#define MAXFONTS  4096
#define MAXCORPUS 16

static struct htr_font fonts[MAXFONTS];
static int nfonts;
static struct htr_image *bgs;
static int nbgs;
static struct htr_synthtext corpus[MAXCORPUS]; /* -text: one; -words: list */
static int ncorpus;

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

/* Adds every file under dir that want() accepts. */
static void
find(const char *dir, int (*want)(const char *), void (*add)(const char *))
{
	char **paths;

	if (htr_synthgen_find(dir, want, &paths) < 0)
		htr_cli_die(NULL);
	for (int i = 0; paths[i]; i++)
		add(paths[i]);
	htr_synthgen_find_free(paths);
}

/* The image files htr_image_read knows, by their usual endings. */
static int
image_ext(const char *name)
{
	static const char *ext[] = {".pgm", ".pnm", ".pbm", ".ppm", ".pam",
	    ".png", ".jpg", ".jpeg"};
	const char *e = strrchr(name, '.');

	for (size_t i = 0; e && i < sizeof ext / sizeof *ext; i++)
		if (!strcasecmp(e, ext[i]))
			return 1;
	return 0;
}

static void
add_background(const char *path)
{
	FILE *f = htr_cli_open(path);
	struct htr_image *p = htr_realloc(bgs, (size_t)nbgs + 1, sizeof *bgs);

	if (!p)
		htr_cli_die(path);
	bgs = p;
	if (htr_image_read(f, &bgs[nbgs]) != 1) {
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

static FILE *
open_out(const char *dir, const char *name, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		htr_cli_fatal("%s: %s", path, strerror(errno));
	return f;
}

/* Adds the corpus files of a comma list. */
static void
load_corpora(const char *list)
{
	char *copy, *tok, *save = NULL;

	if (!(copy = htr_alloc(strlen(list) + 1, 1)))
		htr_cli_die(NULL);
	strcpy(copy, list);
	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (ncorpus == MAXCORPUS)
			htr_cli_usage("-words: more than %d files", MAXCORPUS);
		if (htr_synthtext_load(&corpus[ncorpus], tok))
			htr_cli_die(NULL);
		ncorpus++;
	}
	free(copy);
	if (!ncorpus)
		htr_cli_usage("-words: no file");
}

/* Bytes the encoded text may take in "synth=N font=F text=T". */
static int
text_room(int digits, const char *lines_file)
{
	char enc[HTR_TAG_MAX];
	size_t longest = 0;
	int room;

	for (int i = 0; i < nfonts; i++) {
		int k = htr_synth_encode(enc, sizeof enc, fonts[i].name);
		if (k < 0)
			htr_cli_fatal("%s: font file name too long for a PGM "
			    "tag", fonts[i].path);
		longest = (size_t)k > longest ? (size_t)k : longest;
	}
	room = HTR_TAG_MAX - 1 - (int)(strlen("synth= font= text=") +
	    (size_t)digits + longest);
	if (room < 16)
		htr_cli_fatal("font file names too long for PGM tags; use -o");
	for (int i = 0; lines_file && i < corpus[0].nline; i++)
		if (htr_synth_encode(enc, (size_t)room + 1, corpus[0].line[i]) < 0)
			htr_cli_fatal("%s:%d: text too long for a PGM tag (%d "
			    "bytes encoded at most); use -o", lines_file,
			    corpus[0].lineno[i], room);
	return room;
}

/* Writes one sample: a file and a manifest line, or to stdout. */
static void
put_sample(struct htr_synth_sample *s, const char *outdir, FILE *manifest,
    int digits, long number)
{
	char enc[HTR_TAG_MAX], name[64];

	if (htr_synth_encode(enc, sizeof enc, fonts[s->font].name) < 0 ||
	    htr_tag_setf(s->im.tags, "synth", "%ld", s->index) ||
	    htr_tag_set(s->im.tags, "font", enc))
		htr_cli_die(fonts[s->font].path);
	/* with -o a text too long for the tag is in the manifest only */
	if ((htr_synth_encode(enc, sizeof enc, s->text) < 0 ||
	    htr_tag_set(s->im.tags, "text", enc)) && !outdir)
		htr_cli_fatal("text of %zu bytes does not fit in a PGM tag; "
		    "use -o", strlen(s->text));
	if (outdir) {
		char path[4096];
		FILE *f;

		snprintf(name, sizeof name, "%0*ld.pgm", digits & 15, number);
		f = open_out(outdir, name, path, sizeof path);
		if (htr_pgm_write(f, &s->im) || fclose(f))
			htr_cli_fatal("%s: write error", path);
		fprintf(manifest, "%s\t%s\n", name, s->text);
	} else if (htr_pgm_write(stdout, &s->im))
		htr_cli_die("stdout");
}

int
main(int argc, char **argv)
{
	const char *fontdir = NULL, *textf = NULL, *wordsf = NULL,
	    *outdir = NULL, *bgdir = NULL, *o_font = NULL, *o_quality = NULL;
	unsigned int nspec = 0, threadspec = 0, verbose = 0, plainflag = 0,
	    minspec = 0, maxspec = 0;
	int n = 0, height = 64, nthread = 0, minwords = 2, maxwords = 6,
	    digits = 6;
	unsigned long seed = 1;
	struct htr_synth_params par;
	struct htr_synthgen g;
	struct htr_synth_sample *slots;
	FILE *manifest = NULL;
	long written = 0, skipped = 0;
	const char *corpus_name;
	/* the variation options: name, value, and whether it is a range */
	struct { const char *name; float *v; int range; const char *arg; }
	    var[] = {
		{"size", par.size, 1, NULL},
		{"charspace", par.charspace, 1, NULL},
		{"charjitter", &par.charjitter, 0, NULL},
		{"wordspace", par.wordspace, 1, NULL},
		{"wordjitter", &par.wordjitter, 0, NULL},
		{"wobble", &par.wobble, 0, NULL},
		{"slant", par.slant, 1, NULL},
		{"rotate", &par.rotate, 0, NULL},
		{"stroke", par.stroke, 1, NULL},
		{"minstroke", &par.minstroke, 0, NULL},
		{"elastic", &par.elastic, 0, NULL},
		{"elastic-scale", &par.elastic_scale, 0, NULL},
		{"ink", par.ink, 1, NULL},
		{"opacity", par.opacity, 1, NULL},
		{"pressure", &par.pressure, 0, NULL},
		{"blur", par.blur, 1, NULL},
		{"paper", par.paper, 1, NULL},
		{"texture", &par.texture, 0, NULL},
		{"noise", par.noise, 1, NULL},
		{"margin", par.margin, 1, NULL},
		{"neighbours", &par.neighbours, 0, NULL},
		{"jpeg", &par.jpeg, 0, NULL},
	};
	const int nvar = (int)(sizeof var / sizeof var[0]);
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-synth", "[-font FILE[,FILE...]]... [-fontdir DIR] "
	    "(-text FILE | -words FILE[,FILE...] [-n N] [-min-words A] "
	    "[-max-words B]) [-o DIR] [-seed S] [-height H] [-plain] "
	    "[variation options] [-background DIR] [-threads N] [-verbose]");
	OPTENT3(0, "font", OPT_STRING, &o_font, NULL, 0);
	OPTENT3(0, "fontdir", OPT_STRING, &fontdir, NULL, 0);
	OPTENT3(0, "text", OPT_STRING, &textf, NULL, 0);
	OPTENT3(0, "words", OPT_STRING, &wordsf, NULL, 0);
	OPTENT3(0, "n", OPT_INT, &n, &nspec, 0);
	OPTENT3(0, "min-words", OPT_INT, &minwords, &minspec, 0);
	OPTENT3(0, "max-words", OPT_INT, &maxwords, &maxspec, 0);
	OPTENT3(0, "o", OPT_STRING, &outdir, NULL, 0);
	OPTENT3(0, "seed", OPT_ULONG, &seed, NULL, 0);
	OPTENT3(0, "height", OPT_INT, &height, NULL, 0);
	OPTENT3(0, "plain", OPT_FLAG, NULL, &plainflag, 0);
	for (int i = 0; i < nvar; i++)
		OPTENT3(0, var[i].name, OPT_STRING, &var[i].arg, NULL, 0);
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
	if (threadspec && (nthread < 1 || nthread > HTR_SYNTHGEN_MAXTHREAD))
		htr_cli_usage("-threads %d: want 1 to %d", nthread,
		    HTR_SYNTHGEN_MAXTHREAD);
	if (!threadspec) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nthread = c < 1 ? 1 : c > 8 ? 8 : (int)c;
	}
	htr_synth_defaults(&par);
	par.height = height;
	if (plainflag)
		htr_synth_plain(&par);
	for (int i = 0; i < nvar; i++) {
		if (var[i].range)
			parse_range(var[i].name, var[i].arg, var[i].v);
		else
			parse_float(var[i].name, var[i].arg, var[i].v);
	}
	if (o_quality) {
		float q[2];
		parse_range("quality", o_quality, q);
		if (q[0] != (int)q[0] || q[1] != (int)q[1])
			htr_cli_usage("-quality %s: want whole numbers",
			    o_quality);
		par.quality[0] = (int)q[0];
		par.quality[1] = (int)q[1];
	}
	if (htr_synth_check(&par))
		htr_cli_usage("%s", htr_errmsg());

	/* everything is read and checked before anything is written */
	for (int i = 0; i < nfontargs; i++) {
		char *tok, *save = NULL;
		for (tok = strtok_r(fontargs[i], ",", &save); tok;
		    tok = strtok_r(NULL, ",", &save))
			add_font(tok);
	}
	free(fontargs);
	if (fontdir) {
		int before = nfonts;
		find(fontdir, font_ext, add_font);
		if (nfonts == before)
			htr_cli_fatal("%s: no .ttf, .otf, .woff or .woff2 fonts "
			    "in it", fontdir);
	}
	if (!nfonts)            /* e.g. -font "" or -font , */
		htr_cli_usage("no fonts: give -font or -fontdir");
	if (bgdir) {
		struct stat st;
		if (stat(bgdir, &st))
			htr_cli_fatal("%s: %s", bgdir, strerror(errno));
		if (S_ISDIR(st.st_mode))
			find(bgdir, image_ext, add_background);
		else
			add_background(bgdir);
		if (!nbgs)
			htr_cli_fatal("%s: no PGM, PNM, PNG or JPEG images in it",
			    bgdir);
	}
	corpus_name = textf ? textf : wordsf;
	if (textf) {
		if (htr_synthtext_load(&corpus[0], textf))
			htr_cli_die(NULL);
		ncorpus = 1;
	} else
		load_corpora(wordsf);
	if (!nspec)
		n = textf ? corpus[0].nline : 100;
	for (long k = n; k >= 1000000; k /= 10)
		digits++;
	memset(&g, 0, sizeof g);
	if (!outdir)
		g.textmax = text_room(digits, textf);
	else {
		char path[4096];
		struct stat st;

		if (mkdir(outdir, 0777) && errno != EEXIST)
			htr_cli_fatal("%s: %s", outdir, strerror(errno));
		if (stat(outdir, &st) || !S_ISDIR(st.st_mode))
			htr_cli_fatal("%s: not a directory", outdir);
		manifest = open_out(outdir, "manifest.tsv", path, sizeof path);
	}
	g.fonts = fonts;
	g.nfonts = nfonts;
	g.corpus = corpus;
	g.ncorpus = ncorpus;
	g.lines = textf != NULL;
	g.minwords = minwords;
	g.maxwords = maxwords;
	g.bgs = bgs;
	g.nbgs = nbgs;
	g.par = &par;
	g.seed = seed;
	g.nthread = nthread;
	if (htr_synthgen_init(&g) ||
	    !(slots = htr_zalloc(BATCH, sizeof *slots)))
		htr_cli_die(NULL);

	for (long base = 0; base < n; base += BATCH) {
		int m = n - base < BATCH ? (int)(n - base) : BATCH;

		for (int i = 0; i < m; i++)
			slots[i].index = base + i;
		if (htr_synthgen_run(&g, slots, m))
			htr_cli_die(NULL);
		for (int i = 0; i < m; i++) {
			struct htr_synth_sample *s = &slots[i];

			if (s->ok < 0 && textf)
				htr_cli_fatal("%s:%d: %s", textf,
				    corpus[0].lineno[s->line], s->err);
			if (s->ok < 0)
				htr_cli_fatal("%s: %s", corpus_name, s->err);
			if (!s->ok) {
				skipped++;
				if (verbose && textf)
					fprintf(stderr, "htr-synth: %s:%d: no font "
					    "has U+%04X, line skipped\n", textf,
					    corpus[0].lineno[s->line],
					    (unsigned)s->missing);
				continue;
			}
			put_sample(s, outdir, manifest, digits, written++);
			htr_image_free(&s->im);
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

		htr_synthgen_stats(&g);
		for (int f = 0; f < nfonts; f++) {
			lack += g.lacked[f];
			fprintf(stderr, "htr-synth: %s: %ld samples, lacked "
			    "characters %ld times\n", fonts[f].path, g.used[f],
			    g.lacked[f]);
		}
		fprintf(stderr, "htr-synth: %ld samples written, %ld skipped "
		    "(no font has all their characters), %ld font choices "
		    "refused for missing characters\n", written, skipped, lack);
	}
	htr_synthgen_free(&g);
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
