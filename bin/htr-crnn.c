/* htr-crnn — runs a recognition model over a stream of crops (PGM with
 * "# htr" tags, any image format htr_image_read knows, or kind=image
 * tensor records) and writes one alphabet record, then one kind=logprob
 * record per crop, in input order, with the crop's tags.
 *
 * Crops are read in windows of 8 x -batch records, sorted by width within
 * the window and run in batches (recognize.h).  The output is spooled to
 * a temporary file and copied to stdout only when every input has been
 * read without error, so a bad record leaves stdout empty.
 *
 * -mix B.htrm: an ensemble of two; every crop also runs through model B
 * (its own input, its own batches) and its log-probabilities are mixed
 * into the first model's (htr_recognize_mix). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "htr.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "recognize.h"
#include "tensor.h"

struct state {
	const char *mpath;      /* -m, or NULL */
	int level;              /* -level, or -1: from the first crop */
	const char *argv0;
	struct htr_model *model;
	FILE *spool;
	int batch, window;
	struct htr_recognize_in *in;
	struct htr_recognize_out *out;
	const char *mixpath;    /* -mix, or NULL */
	double mixw;            /* -mix-weight: the first model's share */
	struct htr_model *mix;
	struct htr_recognize_in *in2;    /* the same crops for mix */
	struct htr_recognize_out *out2;
	int n;                  /* inputs held */
	long rec0;              /* record number of in[0] within its file */
};

static void
load_model(struct state *s, const char *first_tags)
{
	int level = s->level >= 0 ? s->level :
	    htr_recognize_level_of(first_tags ? first_tags : "");

	if (!(s->model = htr_recognize_load(s->mpath, level, s->argv0)))
		htr_cli_die(NULL);
	if (s->mixpath) {
		if (!(s->mix = htr_model_load(s->mixpath)))
			htr_cli_die(NULL);
		if (!htr_net_is_ctc(s->model->net))
			htr_cli_fatal("%s: a classifier; -mix mixes CTC models",
			    s->mpath ? s->mpath : "the default model");
		if (htr_recognize_mixable(s->model, s->mix, s->mixpath))
			htr_cli_die(NULL);
	}
	if (htr_recognize_write_alphabet(s->spool, s->model))
		htr_cli_die("temporary file");
}

/* Recognises the inputs held and writes their records to the spool. */
static void
flush(struct state *s, const char *name)
{
	if (s->n == 0)
		return;
	if (htr_recognize_run(s->out, s->model, s->in, s->n, s->batch) ||
	    (s->mix && htr_recognize_run(s->out2, s->mix, s->in2, s->n,
	    s->batch))) {
		/* the message names the index within the window */
		htr_cli_fatal("%s: records from %ld: %s", name, s->rec0 + 1,
		    htr_errmsg());
	}
	for (int i = 0; i < s->n; i++) {
		if (s->mix) {
			if (htr_recognize_mix(&s->out[i], &s->out2[i], s->mixw))
				htr_cli_fatal("%s: record %ld: -mix: %s", name,
				    s->rec0 + i + 1, htr_errmsg());
			htr_recognize_out_free(&s->out2[i]);
			htr_recognize_in_free(&s->in2[i]);
		}
		if (htr_recognize_write(s->spool, &s->out[i]))
			htr_cli_die("temporary file");
		htr_recognize_out_free(&s->out[i]);
		htr_recognize_in_free(&s->in[i]);
	}
	s->rec0 += s->n;
	s->n = 0;
}

static void
process(struct state *s, const char *path)
{
	const char *name = htr_cli_name(path);
	FILE *f = htr_cli_open(path);
	int c = getc(f), tensors = c == 'H', r;
	long rec = 0;

	if (c != EOF && ungetc(c, f) == EOF)
		htr_cli_fatal("%s: cannot push back a byte", name);
	s->rec0 = 0;
	for (;;) {
		struct htr_recognize_in *in = &s->in[s->n];
		struct htr_image im;
		struct htr_tensor t;

		memset(&t, 0, sizeof t);
		r = tensors ? htr_tensor_read(f, &t) : htr_image_read(f, &im);
		if (r < 0)
			htr_cli_fatal("%s: record %ld: %s", name, rec + 1,
			    htr_errmsg());
		if (r == 0)
			break;
		if (!s->model)
			load_model(s, tensors ? t.tags : im.tags);
		if (tensors && s->mix)
			htr_cli_fatal("%s: -mix reads crops, not tensor records "
			    "(each model makes its own input)", name);
		r = tensors ? htr_recognize_input_tensor(in, s->model, &t) :
		    htr_recognize_input(in, s->model, &im);
		if (!r && s->mix)
			r = htr_recognize_input(&s->in2[s->n], s->mix, &im);
		if (tensors)
			htr_tensor_free(&t);
		else
			htr_image_free(&im);
		if (r)
			htr_cli_fatal("%s: record %ld: %s", name, rec + 1,
			    htr_errmsg());
		rec++;
		if (++s->n == s->window)
			flush(s, name);
	}
	flush(s, name);
	if (ferror(f))
		htr_cli_fatal("%s: read error", name);
	if (f != stdin)
		fclose(f);
}

int
main(int argc, char **argv)
{
	struct state s;
	const char *level = NULL;
	int threads = 0;
	char buf[65536];
	size_t k;
	HTR_CLI_OPTIONS;

	memset(&s, 0, sizeof s);
	s.batch = HTR_RECOGNIZE_BATCH;
	float mixw = 0.7f;
	unsigned int mixw_spec = 0;

	htr_cli_init("htr-crnn", "[-m model.htrm] [-mix model.htrm "
	    "[-mix-weight W]] [-level line|word|char] [-batch N] [-threads N] "
	    "[file ...]");
	OPTENT3(0, "m", OPT_STRING, &s.mpath, NULL, 0);
	OPTENT3(0, "mix", OPT_STRING, &s.mixpath, NULL, 0);
	OPTENT3(0, "mix-weight", OPT_FLOAT, &mixw, &mixw_spec, 0);
	OPTENT3(0, "level", OPT_STRING, &level, NULL, 0);
	OPTENT3(0, "batch", OPT_INT, &s.batch, NULL, 0);
	OPTENT3(0, "threads", OPT_INT, &threads, NULL, 0);
	htr_cli_parse(&argc, argv, option_def);

	htr_cli_mix_weight(s.mixpath, mixw, mixw_spec);
	s.mixw = mixw;
	if (s.batch < 1 || s.batch > 4096)
		htr_cli_usage("-batch must be 1..4096");
	if (threads < 0 || threads > 1024)
		htr_cli_usage("-threads must be 0..1024 (0: OpenBLAS's choice)");
	s.level = -1;
	if (level && (s.level = htr_level_parse(level)) < 0)
		htr_cli_usage("-level must be line, word or char, not '%s'",
		    level);
	if (threads > 0)
		openblas_set_num_threads(threads);
	s.argv0 = argv[0];
	s.window = 8 * s.batch;
	s.in = calloc((size_t)s.window, sizeof *s.in);
	s.out = calloc((size_t)s.window, sizeof *s.out);
	s.in2 = calloc((size_t)s.window, sizeof *s.in2);
	s.out2 = calloc((size_t)s.window, sizeof *s.out2);
	if (!s.in || !s.out || !s.in2 || !s.out2)
		htr_cli_fatal("out of memory");
	if (!(s.spool = tmpfile()))
		htr_cli_fatal("cannot create a temporary file");
	if (s.mpath)
		load_model(&s, NULL);
	if (argc < 2)
		process(&s, NULL);
	for (int i = 1; i < argc; i++)
		process(&s, argv[i]);
	if (!s.model)
		load_model(&s, NULL);   /* no crops at all: just the alphabet */
	if (fflush(s.spool) == EOF || ferror(s.spool))
		htr_cli_fatal("temporary file: write error");
	rewind(s.spool);
	while ((k = fread(buf, 1, sizeof buf, s.spool)) > 0)
		if (fwrite(buf, 1, k, stdout) != k)
			break;
	if (ferror(s.spool))
		htr_cli_fatal("temporary file: read error");
	fclose(s.spool);
	htr_model_free(s.model);
	htr_model_free(s.mix);
	free(s.in);
	free(s.out);
	free(s.in2);
	free(s.out2);
	return htr_cli_finish();
}
