/* htr-ctcdecode — turns logprob tensor records into text: best path,
 * prefix beam search with an optional character LM, or word beam search;
 * output as text, TSV, JSON, hOCR, ALTO or PAGE XML. */
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "cli.h"
#include "decode.h"
#include "htr.h"
#include "lm.h"
#include "tensor.h"
#include "transcript.h"
#include "wordlm.h"

/* Options and the state shared by all inputs. */
struct ctx {
	struct htr_decode_opts o;
	const char *corpus, *wordchars;     /* contents (NULL if none) */
	size_t corpuslen, wclen;
	double addk;
	struct htr_alphabet a;              /* current alphabet */
	int havea;
	struct htr_wordlm wlm;
	int havewlm;
	struct htr_transcript tr;
};

/* Reads a whole file into memory (NUL-terminated); dies on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = htr_cli_open(path);
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	do {
		if (n + 1 >= cap && !(buf = htr_realloc(buf, cap = 2 * cap +
		    65536, 1)))
			htr_cli_die(htr_cli_name(path));
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	if (ferror(f))
		htr_cli_fatal("%s: read error", htr_cli_name(path));
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* A new alphabet: the dictionary is rebuilt for its symbols. */
static int
set_alphabet(struct ctx *c, struct htr_alphabet *a)
{
	if (c->havea && c->a.n == a->n) {
		int same = 1;
		for (int i = 0; i < a->n && same; i++)
			same = !strcmp(c->a.sym[i], a->sym[i]);
		if (same) {     /* a repeated alphabet: keep the dictionary */
			htr_alphabet_free(a);
			return 0;
		}
	}
	if (c->havea)
		htr_alphabet_free(&c->a);
	c->a = *a;
	c->havea = 1;
	if (c->havewlm)
		htr_wordlm_free(&c->wlm);
	c->havewlm = 0;
	if (c->o.method != HTR_DECODE_WORD)
		return 0;
	if (htr_wordlm_build(&c->wlm, c->corpus, c->corpuslen, c->wordchars,
	    c->wclen, &c->a, c->addk))
		return htr_fail_prefix("corpus");
	c->havewlm = 1;
	c->o.wlm = &c->wlm;
	return 0;
}

/* Decodes one logprob record into the transcript. */
static int
decode_record(struct ctx *c, const struct htr_tensor *t)
{
	struct htr_decoded d;

	if (!c->havea)
		return htr_fail("logprob record before any alphabet record "
		    "(the stream must begin with the model's alphabet)");
	if (t->dtype != HTR_F32 || t->rank != 2)
		return htr_fail("logprob record is %s of rank %d, not f32 of "
		    "rank 2", htr_tensor_dtype_name(t->dtype), t->rank);
	if (t->dim[1] != c->a.n)
		return htr_fail("logprob record has %d columns but the alphabet "
		    "has %d symbols", t->dim[1], c->a.n);
	if (htr_decode(&d, t->data, t->dim[0], t->dim[1], &c->a, &c->o))
		return -1;
	int r = htr_transcript_add(&c->tr, t->tags, &d, &c->a, t->dim[0]);
	htr_decoded_free(&d);
	return r;
}

static void
run_stream(struct ctx *c, const char *path)
{
	const char *name = htr_cli_name(path);
	FILE *f = htr_cli_open(path);
	struct htr_tensor t;
	long rec = 0;
	int r;

	while ((r = htr_tensor_read(f, &t)) == 1) {
		struct htr_alphabet a;
		char kind[64];

		htr_tensor_kind(&t, kind, sizeof kind);
		if (!strcmp(kind, "alphabet")) {
			r = htr_alphabet_from_tensor(&a, &t);
			if (r == 0)
				r = set_alphabet(c, &a);
		} else if (!strcmp(kind, "logprob")) {
			r = decode_record(c, &t);
		} else if (!strcmp(kind, "image") || !strcmp(kind, "profile")) {
			r = htr_fail("a %s record, not logprob (run htr-crnn "
			    "before htr-ctcdecode)", kind);
		}
		htr_tensor_free(&t);
		if (r < 0)
			break;
		rec++;
	}
	if (r < 0)
		htr_cli_fatal("%s: record %ld: %s", name, rec, htr_errmsg());
	if (f != stdin)
		fclose(f);
}

/* -csv: one matrix per file, the alphabet from -chars. */
static void
run_csv(struct ctx *c, const char *path, int values, int blanklast)
{
	const char *name = htr_cli_name(path);
	FILE *f = htr_cli_open(path);
	struct htr_tensor t;

	if (htr_tensor_read_csv(f, &t))
		htr_cli_die(name);
	if (f != stdin)
		fclose(f);
	if (t.dim[0] > 0 && t.dim[1] != c->a.n)
		htr_cli_fatal("%s: %d columns but -chars gives %d characters "
		    "and the blank", name, t.dim[1], c->a.n - 1);
	t.dim[1] = c->a.n;
	if (htr_decode_normalize(t.data, t.dim[0], t.dim[1], values,
	    blanklast) || htr_tag_set(t.tags, "kind", "logprob") ||
	    htr_tag_set(t.tags, "src", name) || decode_record(c, &t))
		htr_cli_die(name);
	htr_tensor_free(&t);
}

static int
lookup(const char *what, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	htr_cli_usage("unknown %s \"%s\"", what, s);
}

int
main(int argc, char **argv)
{
	static const char *const decoders[] = {"best", "beam", "word"};
	static const char *const modes[] = {"words", "ngrams", "forecast",
	    "sample"};
	static const char *const valnames[] = {"logit", "prob", "logprob"};
	const char *decoder = NULL, *lmfile = NULL, *corpus = NULL;
	const char *wcfile = NULL, *wclist = NULL, *mode = "words";
	const char *csv = NULL, *chars = NULL, *values_s = "logit";
	const char *format_s = "text";
	unsigned int beam = 25, seed = 1, blanklast = 0;
	float lmweight = 0, bonus = 0, addk = 0.01f;
	unsigned int beam_spec = 0, lmw_spec = 0, bonus_spec = 0, x;
	struct ctx c;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-ctcdecode", "[-decoder best|beam|word] [-beam N] "
	    "[-lm FILE [-lmweight F] [-bonus F]] [-corpus FILE [-wordchars FILE "
	    "| -wordcharlist CHARS] [-mode words|ngrams|forecast|sample] "
	    "[-addk F] [-seed N]] [-format " HTR_FORMAT_NAMES "] "
	    "[file ... | -csv FILE -chars FILE [-blanklast] "
	    "[-values logit|prob|logprob] [csvfile ...]]");
	OPTENT3(0, "decoder", OPT_STRING, &decoder, &x, 0);
	OPTENT3(0, "beam", OPT_UINT, &beam, &beam_spec, 0);
	OPTENT3(0, "lm", OPT_STRING, &lmfile, &x, 0);
	OPTENT3(0, "lmweight", OPT_FLOAT, &lmweight, &lmw_spec, 0);
	OPTENT3(0, "bonus", OPT_FLOAT, &bonus, &bonus_spec, 0);
	OPTENT3(0, "corpus", OPT_STRING, &corpus, &x, 0);
	OPTENT3(0, "wordchars", OPT_STRING, &wcfile, &x, 0);
	OPTENT3(0, "wordcharlist", OPT_STRING, &wclist, &x, 0);
	OPTENT3(0, "mode", OPT_STRING, &mode, &x, 0);
	OPTENT3(0, "addk", OPT_FLOAT, &addk, &x, 0);
	OPTENT3(0, "seed", OPT_UINT, &seed, &x, 0);
	OPTENT3(0, "csv", OPT_STRING, &csv, &x, 0);
	OPTENT3(0, "chars", OPT_STRING, &chars, &x, 0);
	OPTENT3(0, "blanklast", OPT_FLAG, NULL, &blanklast, 0);
	OPTENT3(0, "values", OPT_STRING, &values_s, &x, 0);
	OPTENT3(0, "format", OPT_STRING, &format_s, &x, 0);
	htr_cli_parse(&argc, argv, option_def);

	memset(&c, 0, sizeof c);
	htr_decode_defaults(&c.o);
	htr_transcript_init(&c.tr);
	int format = htr_format_parse(format_s);
	if (format < 0)
		htr_cli_usage("-format must be one of " HTR_FORMAT_NAMES);
	c.o.method = decoder ? lookup("decoder", decoder, decoders, 3) :
	    corpus ? HTR_DECODE_WORD : lmfile ? HTR_DECODE_BEAM :
	    HTR_DECODE_BEST;
	c.o.wbsmode = lookup("mode", mode, modes, 4);
	int values = lookup("kind of values", values_s, valnames, 3);
	if (beam < 1 || beam > 10000)
		htr_cli_usage("-beam must be 1 to 10000");
	c.o.beam = (int)beam;
	c.o.seed = seed;
	c.o.bonus = bonus;
	/* a character LM weighs less than word probabilities, which are
	 * averaged over the words */
	c.o.lmweight = lmw_spec ? lmweight :
	    c.o.method == HTR_DECODE_BEAM ? 0.5f : 1.0f;
	c.addk = addk;
	if (addk < 0)
		htr_cli_usage("-addk must not be negative");
	if (c.o.method == HTR_DECODE_WORD && !corpus)
		htr_cli_usage("word beam search needs -corpus FILE");
	if (c.o.method != HTR_DECODE_WORD && (corpus || wcfile || wclist))
		htr_cli_usage("-corpus and -wordchars go with -decoder word");
	if (c.o.method != HTR_DECODE_BEAM && (lmfile || bonus_spec))
		htr_cli_usage("-lm and -bonus go with -decoder beam");
	if (c.o.method == HTR_DECODE_BEST && beam_spec)
		htr_cli_usage("-beam goes with -decoder beam or word");
	if (wcfile && wclist)
		htr_cli_usage("-wordchars and -wordcharlist exclude each other");
	if (!csv && (chars || blanklast || strcmp(values_s, "logit")))
		htr_cli_usage("-chars, -blanklast and -values go with -csv");
	if (csv && !chars)
		htr_cli_usage("-csv needs -chars FILE");

	struct htr_charlm lm;
	if (lmfile) {
		FILE *f = htr_cli_open(lmfile);
		if (htr_charlm_read(f, &lm))
			htr_cli_die(lmfile);
		if (f != stdin)
			fclose(f);
		c.o.lm = &lm;
	}
	char *corpus_buf = NULL, *wc_buf = NULL;
	if (corpus) {
		corpus_buf = slurp(corpus, &c.corpuslen);
		c.corpus = corpus_buf;
	}
	if (wcfile) {
		wc_buf = slurp(wcfile, &c.wclen);
		while (c.wclen && (wc_buf[c.wclen - 1] == '\n' ||
		    wc_buf[c.wclen - 1] == '\r'))
			wc_buf[--c.wclen] = 0;
		c.wordchars = wc_buf;
	} else if (wclist) {
		c.wordchars = wclist;
		c.wclen = strlen(wclist);
	}

	if (csv) {
		size_t len;
		char *s = slurp(chars, &len);
		struct htr_alphabet a;
		if (htr_alphabet_from_chars(&a, s, len) || set_alphabet(&c, &a))
			htr_cli_die(chars);
		free(s);
		run_csv(&c, csv, values, blanklast);
		for (int i = 1; i < argc; i++)
			run_csv(&c, argv[i], values, blanklast);
	} else if (argc == 1) {
		run_stream(&c, NULL);
	} else {
		for (int i = 1; i < argc; i++)
			run_stream(&c, argv[i]);
	}
	if (htr_transcript_write(stdout, &c.tr, format))
		htr_cli_die("stdout");
	htr_transcript_free(&c.tr);
	if (c.havewlm)
		htr_wordlm_free(&c.wlm);
	if (c.havea)
		htr_alphabet_free(&c.a);
	if (lmfile)
		htr_charlm_free(&lm);
	free(corpus_buf);
	free(wc_buf);
	return htr_cli_finish();
}
