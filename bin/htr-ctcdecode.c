/* htr-ctcdecode — turns logprob tensor records into text: best path,
 * prefix beam search with an optional character LM, or word beam search;
 * output as text, TSV, JSON, hOCR, ALTO or PAGE XML.  -min-conf and
 * -doubt-conf leave out lines read with low confidence, as htr(1) does
 * on a page. */
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "cli.h"
#include "decode.h"
#include "decopts.h"
#include "htr.h"
#include "tensor.h"
#include "transcript.h"

/* Options and the state shared by all inputs. */
struct ctx {
	struct htr_decsetup d;
	struct htr_transcript tr;
	float min_conf, doubt_conf;
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

/* Decodes one logprob record into the transcript. */
static int
decode_record(struct ctx *c, const struct htr_tensor *t)
{
	struct htr_decoded d;

	if (!c->d.havea)
		return htr_fail("logprob record before any alphabet record "
		    "(the stream must begin with the model's alphabet)");
	if (t->dtype != HTR_F32 || t->rank != 2)
		return htr_fail("logprob record is %s of rank %d, not f32 of "
		    "rank 2", htr_tensor_dtype_name(t->dtype), t->rank);
	if (t->dim[1] != c->d.a.n)
		return htr_fail("logprob record has %d columns but the alphabet "
		    "has %d symbols", t->dim[1], c->d.a.n);
	if (htr_decsetup_run(&d, &c->d, 0, t->data, t->dim[0], t->dim[1], 1))
		return -1;
	int r = htr_decoded_keep(&d, t->tags, c->min_conf, c->doubt_conf) ?
	    htr_transcript_add(&c->tr, t->tags, &d, &c->d.a, t->dim[0]) : 0;
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
				r = htr_decsetup_alphabet(&c->d, &a);
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
	if (t.dim[0] > 0 && t.dim[1] != c->d.a.n)
		htr_cli_fatal("%s: %d columns but -chars gives %d characters "
		    "and the blank", name, t.dim[1], c->d.a.n - 1);
	t.dim[1] = c->d.a.n;
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
	static const char *const valnames[] = {"logit", "prob", "logprob"};
	const char *csv = NULL, *chars = NULL, *values_s = "logit";
	const char *format_s = "text";
	unsigned int blanklast = 0, x;
	struct htr_decsetup_args g;
	struct ctx c;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-ctcdecode", HTR_DECOPTS_USAGE("best|beam|word")
	    " [-format " HTR_FORMAT_NAMES "] [-min-conf F] [-doubt-conf F] "
	    "[file ... | -csv FILE -chars FILE [-blanklast] "
	    "[-values logit|prob|logprob] [csvfile ...]]");
	htr_decsetup_args_defaults(&g);
	c.min_conf = c.doubt_conf = 0;
	HTR_DECOPTS_OPTIONS(g);
	OPTENT3(0, "csv", OPT_STRING, &csv, &x, 0);
	OPTENT3(0, "chars", OPT_STRING, &chars, &x, 0);
	OPTENT3(0, "blanklast", OPT_FLAG, NULL, &blanklast, 0);
	OPTENT3(0, "values", OPT_STRING, &values_s, &x, 0);
	OPTENT3(0, "format", OPT_STRING, &format_s, &x, 0);
	OPTENT3(0, "min-conf", OPT_FLOAT, &c.min_conf, NULL, 0);
	OPTENT3(0, "doubt-conf", OPT_FLOAT, &c.doubt_conf, NULL, 0);
	htr_cli_parse(&argc, argv, option_def);

	int format = htr_format_parse(format_s);
	if (format < 0)
		htr_cli_usage("-format must be one of " HTR_FORMAT_NAMES);
	int values = lookup("kind of values", values_s, valnames, 3);
	htr_cli_unit("-min-conf", c.min_conf);
	htr_cli_unit("-doubt-conf", c.doubt_conf);
	if (htr_decsetup_check(&g, 0) < 0)
		htr_cli_usage("%s", htr_errmsg());
	if (!csv && (chars || blanklast || strcmp(values_s, "logit")))
		htr_cli_usage("-chars, -blanklast and -values go with -csv");
	if (csv && !chars)
		htr_cli_usage("-csv needs -chars FILE");
	if (htr_decsetup_open(&c.d, &g, 0))
		htr_cli_die(NULL);
	htr_transcript_init(&c.tr);

	if (csv) {
		size_t len;
		char *s = slurp(chars, &len);
		struct htr_alphabet a;
		if (htr_alphabet_from_chars(&a, s, len))
			htr_cli_die(chars);
		if (htr_decsetup_alphabet(&c.d, &a))
			htr_cli_die(NULL);
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
	htr_decsetup_close(&c.d);
	return htr_cli_finish();
}
