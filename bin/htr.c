/* htr — the whole pipeline in one command: images in, text out.
 *
 *	htr [-m model.htrm] [-format F] [-decoder best|beam|word] ...
 *	    [file ...]
 *
 * Every image of every input goes through lib/pipeline (preprocessing,
 * line segmentation, recognition, decoding) in this process.  All output
 * is held until every input has been read, so an error leaves stdout
 * empty. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "htr.h"
#include "image.h"
#include "pipeline.h"
#include "recognize.h"
#include "transcript.h"
#include "wordlm.h"

/* Looks name up in names[0..n-1]; usage error if absent. */
static int
lookup(const char *opt, const char *name, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return i;
	htr_cli_usage("-%s: unknown value '%s'", opt, name);
}

int
main(int argc, char **argv)
{
	static const char *const decoders[] = { "best", "beam", "word" };
	static const char *const modes[] = { "words", "ngrams", "forecast",
	    "sample" };
	struct htr_pipeline_opts o;
	struct htr_pipeline *p;
	struct htr_transcript tr;
	const char *format = "text", *decoder = NULL, *mode = "words";
	unsigned int noprep = 0, line = 0, verbose = 0, seedspec = 0;
	unsigned int marginspec = 0, lmwspec = 0, bonusspec = 0, beamspec = 0;
	int threads = 0, fmt, nin;
	float lmweight = 0, bonus = 0, addk = 0.01f,
	    minconf = HTR_PAGE_MIN_CONF, doubtconf = HTR_PAGE_DOUBT_CONF,
	    mixw = 0.7f;
	unsigned int mixwspec = 0;
	unsigned int seed = 0;
	long pageno = 0, *first;
	char lmpath[4096];
	HTR_CLI_OPTIONS;

	htr_pipeline_defaults(&o);
	htr_cli_init("htr", "[-m model.htrm] [-mix model.htrm [-mix-weight W]] "
	    "[-format text|tsv|json|hocr|alto|"
	    "page] [-decoder best|beam|word] [-beam N] [-lm FILE] [-lmweight F]"
	    " [-bonus F] [-corpus FILE [-wordchars FILE | -wordcharlist CHARS] "
	    "[-mode words|ngrams|"
	    "forecast|sample] [-addk F] [-seed N]] [-line] [-noprep] "
	    "[-margin N] [-min-conf F] [-doubt-conf F] [-batch N] [-threads N] [-verbose] "
	    "[file ...]");
	OPTENT3(0, "m", OPT_STRING, &o.model, NULL, 0);
	OPTENT3(0, "mix", OPT_STRING, &o.mix, NULL, 0);
	OPTENT3(0, "mix-weight", OPT_FLOAT, &mixw, &mixwspec, 0);
	OPTENT3(0, "format", OPT_STRING, &format, NULL, 0);
	OPTENT3(0, "decoder", OPT_STRING, &decoder, NULL, 0);
	OPTENT3(0, "beam", OPT_INT, &o.decode.beam, &beamspec, 0);
	OPTENT3(0, "lm", OPT_STRING, &o.lm, NULL, 0);
	OPTENT3(0, "lmweight", OPT_FLOAT, &lmweight, &lmwspec, 0);
	OPTENT3(0, "bonus", OPT_FLOAT, &bonus, &bonusspec, 0);
	OPTENT3(0, "corpus", OPT_STRING, &o.corpus, NULL, 0);
	OPTENT3(0, "wordchars", OPT_STRING, &o.wordchars, NULL, 0);
	OPTENT3(0, "wordcharlist", OPT_STRING, &o.wordcharlist, NULL, 0);
	OPTENT3(0, "mode", OPT_STRING, &mode, NULL, 0);
	OPTENT3(0, "addk", OPT_FLOAT, &addk, NULL, 0);
	OPTENT3(0, "seed", OPT_UINT, &seed, &seedspec, 0);
	OPTENT3(0, "line", OPT_FLAG, NULL, &line, 0);
	OPTENT3(0, "noprep", OPT_FLAG, NULL, &noprep, 0);
	OPTENT3(0, "margin", OPT_INT, &o.margin, &marginspec, 0);
	OPTENT3(0, "min-conf", OPT_FLOAT, &minconf, NULL, 0);
	OPTENT3(0, "doubt-conf", OPT_FLOAT, &doubtconf, NULL, 0);
	OPTENT3(0, "batch", OPT_INT, &o.batch, NULL, 0);
	OPTENT3(0, "threads", OPT_INT, &threads, NULL, 0);
	OPTENT3(0, "verbose", OPT_FLAG, NULL, &verbose, 0);
	htr_cli_parse(&argc, argv, option_def);

	if ((fmt = htr_format_parse(format)) < 0)
		htr_cli_usage("-format must be one of " HTR_FORMAT_NAMES
		    ", not '%s'", format);
	/* Without -decoder, -lm or -corpus, the model's own language model
	 * (line.htrl beside line.htrm), if it has one, with beam search at
	 * the settings tuned for it (models/README); -decoder best turns it
	 * off. */
	if (!decoder && !o.lm && !o.corpus &&
	    !htr_recognize_companion_lm(lmpath, sizeof lmpath, o.model,
	    argv[0])) {
		o.lm = lmpath;
		if (!bonusspec)
			bonus = HTR_COMPANION_LM_BONUS;
	}
	/* the defaults of htr-ctcdecode: -corpus means word beam search,
	 * -lm beam search; a character LM weighs 0.5, word LMs 1 */
	o.decode.method = decoder ? lookup("decoder", decoder, decoders, 3) :
	    o.corpus ? HTR_DECODE_WORD : o.lm ? HTR_DECODE_BEAM :
	    HTR_DECODE_BEST;
	o.decode.wbsmode = lookup("mode", mode, modes, 4);
	o.decode.lmweight = lmwspec ? lmweight :
	    o.decode.method == HTR_DECODE_BEAM ? 0.5f : 1.0f;
	o.decode.bonus = bonus;
	o.addk = addk;
	if (addk < 0)
		htr_cli_usage("-addk must not be negative");
	if (seedspec)
		o.decode.seed = seed;
	if (o.decode.beam < 1 || o.decode.beam > 10000)
		htr_cli_usage("-beam must be 1..10000");
	htr_cli_unit("-min-conf", minconf);
	o.min_conf = minconf;
	htr_cli_unit("-doubt-conf", doubtconf);
	o.doubt_conf = doubtconf;
	htr_cli_mix_weight(o.mix, mixw, mixwspec);
	o.mix_weight = mixw;
	if (o.batch < 1 || o.batch > 4096)
		htr_cli_usage("-batch must be 1..4096");
	if (threads < 0 || threads > 1024)
		htr_cli_usage("-threads must be 0..1024");
	if (marginspec && (o.margin < 0 || o.margin > 1000))
		htr_cli_usage("-margin must be 0..1000");
	if (o.decode.method == HTR_DECODE_WORD && !o.corpus)
		htr_cli_usage("-decoder word needs -corpus FILE");
	if (o.decode.method != HTR_DECODE_WORD && (o.corpus || o.wordchars ||
	    o.wordcharlist))
		htr_cli_usage("-corpus and -wordchars go with -decoder word");
	if (o.wordchars && o.wordcharlist)
		htr_cli_usage("give -wordchars or -wordcharlist, not both");
	if (o.decode.method != HTR_DECODE_BEAM && (o.lm || bonusspec))
		htr_cli_usage("-lm and -bonus go with -decoder beam");
	if (o.decode.method == HTR_DECODE_BEST && beamspec)
		htr_cli_usage("-beam goes with -decoder beam or word");
	if (fmt == HTR_FORMAT_PAGE && argc > 2)
		htr_cli_usage("-format page writes one page: give one file");
	o.prep = !noprep;
	o.line = line;
	o.argv0 = argv[0];
	if (threads > 0)
		openblas_set_num_threads(threads);

	if (!(p = htr_pipeline_new(&o)))
		htr_cli_die(NULL);
	htr_transcript_init(&tr);
	nin = argc > 1 ? argc - 1 : 1;
	if (!(first = calloc((size_t)nin + 1, sizeof *first)))
		htr_cli_fatal("out of memory");
	for (int a = 0; a < nin; a++) {
		const char *path = argc > 1 ? argv[a + 1] : NULL;
		const char *name = htr_cli_name(path);
		FILE *f = htr_cli_open(path);
		struct htr_image im;
		long k = 0;
		int r;

		first[a] = tr.nline;
		while ((r = htr_image_read(f, &im)) == 1) {
			struct htr_pipeline_info info;

			k++;
			r = htr_pipeline_add(p, &tr, &im, name, pageno, &info);
			htr_image_free(&im);
			if (r)
				break;
			if (verbose)
				fprintf(stderr, "htr: %s: image %ld: %dx%d, %s"
				    "skew %.2f deg, %d lines; prep %.3f s, "
				    "segment %.3f s, recognize %.3f s, decode "
				    "%.3f s; CPU %.3f s\n", name, k, info.w,
				    info.h, info.inverted ? "inverted, " : "",
				    info.skew, info.nline, info.t_prep,
				    info.t_segment, info.t_recognize,
				    info.t_decode, info.c_total);
			pageno++;
		}
		if (r < 0) {
			if (k > 0 && (argc > 2 || k > 1))
				htr_cli_fatal("%s: image %ld: %s", name, k,
				    htr_errmsg());
			htr_cli_die(name);
		}
		if (k == 0)
			htr_cli_fatal("%s: no image in the input", name);
		if (f != stdin)
			fclose(f);
	}
	first[nin] = tr.nline;

	if (fmt == HTR_FORMAT_TEXT && nin > 1) {
		/* like head(1): a header per file */
		for (int a = 0; a < nin; a++) {
			printf("%s==> %s <==\n", a ? "\n" : "", argv[a + 1]);
			for (long i = first[a]; i < first[a + 1]; i++)
				printf("%s\n", tr.line[i].text);
		}
	} else if (htr_transcript_write(stdout, &tr, fmt)) {
		htr_cli_die("stdout");
	}
	free(first);
	htr_transcript_free(&tr);
	htr_pipeline_free(p);
	return htr_cli_finish();
}
