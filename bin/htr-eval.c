/* htr-eval — runs a model over a labelled set and reports its errors,
 * with one or more CTC decoders (best path, beam search with a character
 * LM, word beam search) on the same network output. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "clock.h"
#include "dataopts.h"
#include "dataset.h"
#include "decopts.h"
#include "htr.h"
#include "metrics.h"
#include "model.h"
#include "net.h"
#include "par.h"
#include "recognize.h"
#include "trainer.h"
#include "utf8.h"

/* copies of the network, one per thread (htr_set_infer_nets' limit) */
#define EVAL_MAXNETS 16

struct worst {
	long i;
	long dist;
	double rate;
};

static int
cmp_worst(const void *a, const void *b)
{
	const struct worst *x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? 1 : -1;
	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/* The per-sample work of the CTC decoders. */
struct run {
	struct htr_decsetup d;
	char *const *alphabet;
	const struct htr_dataset *ds;
	float *lp;                      /* [cap] one sample's frames */
	size_t cap;
	struct htr_metrics m[HTR_DECSETUP_MAX];
	char **hyp[HTR_DECSETUP_MAX];   /* [samples] text per decoder */
	double seconds[HTR_DECSETUP_MAX];
	/* -mix: the other model's frames of every sample, and the weight
	 * of this model's in the mix */
	float **mix;                    /* [samples] [T][C] or NULL */
	int *mixT;
	double w;
};

/* The T frames of C classes at logp, 'stride' floats apart, packed into
 * dst [T][C]. */
static void
pack_frames(float *dst, const float *logp, int T, int C, int stride)
{
	for (int t = 0; t < T; t++)
		memcpy(dst + (size_t)t * C, logp + (size_t)t * stride,
		    (size_t)C * sizeof *logp);
}

/* -mix, first pass: keeps the other model's frames of sample i. */
static int
keep_sample(void *vr, long i, const float *logp, int T, int C, int stride)
{
	struct run *r = vr;

	if (!(r->mix[i] = htr_alloc((size_t)T * C, sizeof **r->mix)))
		return -1;
	pack_frames(r->mix[i], logp, T, C, stride);
	r->mixT[i] = T;
	return 0;
}

/* Concatenates the symbols of d into a fresh string. */
static char *
join(char *const *alphabet, const struct htr_decoded *d)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < d->n; i++)
		len += strlen(alphabet[d->label[i]]);
	if (!(s = p = htr_alloc(len, 1)))
		return NULL;
	for (int i = 0; i < d->n; i++) {
		size_t k = strlen(alphabet[d->label[i]]);
		memcpy(p, alphabet[d->label[i]], k);
		p += k;
	}
	*p = 0;
	return s;
}

static int
decode_sample(void *vr, long i, const float *logp, int T, int C, int stride)
{
	struct run *r = vr;

	if ((size_t)T * C > r->cap) {
		free(r->lp);
		r->cap = (size_t)T * C;
		if (!(r->lp = htr_alloc(r->cap, sizeof *r->lp)))
			return -1;
	}
	pack_frames(r->lp, logp, T, C, stride);
	if (r->mix) {
		if (r->mixT[i] != T)
			return htr_fail("sample %ld: %d frames, the -mix model's "
			    "%d: the two networks must shrink widths alike", i,
			    T, r->mixT[i]);
		htr_recognize_mix_frames(r->lp, r->mix[i], (size_t)T * C,
		    r->w);
		free(r->mix[i]);
		r->mix[i] = NULL;
	}
	for (int k = 0; k < r->d.n; k++) {
		struct htr_decoded dec;
		double t0 = htr_clock_seconds();

		if (htr_decsetup_run(&dec, &r->d, k, r->lp, T, C, 0))
			return htr_fail_prefix(htr_decsetup_name(&r->d, k));
		r->seconds[k] += htr_clock_seconds() - t0;
		r->hyp[k][i] = join(r->alphabet, &dec);
		htr_decoded_free(&dec);
		if (!r->hyp[k][i] ||
		    htr_metrics_add(&r->m[k], r->ds->s[i].text, r->hyp[k][i]))
			return -1;
	}
	return 0;
}

/* The -worst list of one decoder. */
static void
print_worst(const struct htr_dataset *use, char **hyp, long n, int nworst)
{
	struct worst *w = calloc((size_t)n + 1, sizeof *w);
	char where[600];
	long nw = 0;

	if (!w)
		htr_cli_fatal("out of memory");
	for (long i = 0; i < n; i++) {
		const char *ref = use->s[i].text;
		long d = htr_metrics_char_distance(ref, hyp[i]);
		long len = htr_utf8_decode(ref, NULL, 0);

		if (d > 0) {
			w[nw].i = i;
			w[nw].dist = d;
			w[nw].rate = (double)d / (len > 0 ? len : 1);
			nw++;
		}
	}
	qsort(w, (size_t)nw, sizeof *w, cmp_worst);
	if (nworst > 0 && nw > 0)
		printf("worst\t%ld wrong, the %ld worst (where, edit distance, "
		    "truth, read):\n", nw, nw < nworst ? nw : nworst);
	for (long k = 0; k < nw && k < nworst; k++) {
		long i = w[k].i;
		printf("%s\t%ld\t%s\t%s\n", htr_dataset_where(use, i, where,
		    sizeof where), w[k].dist, use->s[i].text, hyp[i]);
	}
	free(w);
}

/* The decoder's settings, for the report. */
static void
print_decoder(const struct htr_decsetup *d, int k,
    const struct htr_decsetup_args *g)
{
	static const char *const modes[] = {"words", "ngrams", "forecast",
	    "sample"};
	const struct htr_decode_opts *o = &d->o[k];

	printf("decoder\t%s", htr_decsetup_name(d, k));
	if (o->method == HTR_DECODE_BEAM)
		printf("\tbeam %d, lm %s, lmweight %g, bonus %g", o->beam,
		    g->lm ? g->lm : "none", o->lmweight, o->bonus);
	else if (o->method == HTR_DECODE_WORD)
		printf("\tbeam %d, corpus %s, mode %s, lmweight %g, addk %g",
		    o->beam, g->corpus, modes[o->wbsmode], o->lmweight,
		    g->addk);
	printf("\n");
}

static void
print_rates(const struct htr_metrics *m, int ctc)
{
	if (ctc) {
		printf("cer\t%.4f%%\t(%ld errors / %ld characters)\n",
		    100 * htr_metrics_cer(m), m->char_errors, m->chars);
		printf("wer\t%.4f%%\t(%ld errors / %ld words)\n",
		    100 * htr_metrics_wer(m), m->word_errors, m->words);
	}
	printf("accuracy\t%.4f%%\t(%ld of %ld exact)\n",
	    100 * htr_metrics_accuracy(m), m->correct, m->samples);
	if (!ctc)
		printf("error\t%.4f%%\t(%ld wrong)\n",
		    100 * (1 - htr_metrics_accuracy(m)), m->samples - m->correct);
}

int
main(int argc, char **argv)
{
	const char *mpath = NULL, *src = NULL, *mixpath = NULL;
	float mixw = 0.7f;
	unsigned int mixw_spec = 0;
	unsigned int last = 0, last_spec = 0;
	int batch = 32, nworst = 10, threads = 0;
	struct htr_decsetup_args g;
	struct htr_dataopts d = {0};
	struct htr_dataset ds, rest;
	struct htr_model *model;
	struct htr_set set;
	struct rusage ru;
	struct run r;
	double t0, t1, dec = 0;
	struct htr_net *nets[EVAL_MAXNETS];
	int nnets;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-eval", "-m model.htrm [-mix model.htrm "
	    "[-mix-weight W]] "
	    HTR_DATAOPTS_USAGE("-test SRC") " [-image-root DIR] [-batch N] "
	    "[-worst N] [-threads N] " HTR_DECOPTS_USAGE("LIST"));
	htr_decsetup_args_defaults(&g);
	OPTENT3(0, "m", OPT_STRING, &mpath, NULL, 0);
	OPTENT3(0, "test", OPT_STRING, &src, NULL, 0);
	OPTENT3(0, "mix", OPT_STRING, &mixpath, NULL, 0);
	OPTENT3(0, "mix-weight", OPT_FLOAT, &mixw, &mixw_spec, 0);
	HTR_DATAOPTS_OPTIONS(d);
	OPTENT3(0, "last", OPT_UINT, &last, &last_spec, 0);
	OPTENT3(0, "batch", OPT_INT, &batch, NULL, 0);
	OPTENT3(0, "worst", OPT_INT, &nworst, NULL, 0);
	OPTENT3(0, "threads", OPT_INT, &threads, NULL, 0);
	HTR_DECOPTS_OPTIONS(g);	/* after -m: shhopt takes the first match */
	htr_cli_parse(&argc, argv, option_def);

	if (argc > 1)
		htr_cli_usage("unexpected argument '%s'", argv[1]);
	if (!mpath)
		htr_cli_usage("-m model.htrm is required");
	if (!src == !(d.mnist_images || d.mnist_labels) ||
	    (d.mnist_images != NULL) != (d.mnist_labels != NULL))
		htr_cli_usage("give -test SRC, or -mnist-images and "
		    "-mnist-labels");
	htr_cli_mix_weight(mixpath, mixw, mixw_spec);
	if (batch < 1 || batch > 4096 || nworst < 0)
		htr_cli_usage("-batch must be 1..4096, -worst not negative");
	if (htr_decsetup_check(&g, 1) < 0)
		htr_cli_usage("%s", htr_errmsg());
	if (threads > 0)
		openblas_set_num_threads(threads);
	memset(&r, 0, sizeof r);
	if (htr_decsetup_open(&r.d, &g, 1))
		htr_cli_die(NULL);
	if (!(model = htr_model_load(mpath)))
		htr_cli_die(NULL);
	int ctc = htr_net_is_ctc(model->net);
	if (!ctc && (r.d.n > 1 || r.d.o[0].method != HTR_DECODE_BEST))
		htr_cli_fatal("%s: a classifier; -decoder beam and word need a "
		    "CTC model", mpath);
	if (ctc) {
		struct htr_alphabet a;
		if (htr_alphabet_init(&a, (const char *const *)model->alphabet,
		    model->nclass))
			htr_cli_die(mpath);
		if (htr_decsetup_alphabet(&r.d, &a))
			htr_cli_die(NULL);
	}
	htr_dataset_init(&ds);
	htr_dataopts_add(&ds, &d, src);
	/* -last N: only the last N samples (e.g. a validation split) */
	htr_dataset_init(&rest);
	if (last_spec && last < ds.n) {
		if (htr_dataset_split(&ds, last, &rest))
			htr_cli_die("-last");
	}
	struct htr_dataset *use = rest.n ? &rest : &ds;
	if (htr_set_prepare(&set, use, model->net, NULL, 0))
		htr_cli_die(NULL);
	r.alphabet = model->alphabet;
	r.ds = use;
	for (int k = 0; k < r.d.n; k++) {
		htr_metrics_init(&r.m[k]);
		if (!(r.hyp[k] = calloc((size_t)set.n + 1, sizeof *r.hyp[k])))
			htr_cli_fatal("out of memory");
	}
	/* one copy of the network per thread, each on batches of its own
	 * (OpenBLAS's threads gain little on the small products of a batch) */
	nnets = htr_par_threads();
	if (nnets > EVAL_MAXNETS)
		nnets = EVAL_MAXNETS;
	/* -mix: the other model's frames first, each sample's kept until
	 * this model's are mixed with them (weight w of this model's) */
	t0 = htr_clock_seconds();   /* network time: both models' */
	if (mixpath) {
		struct htr_model *mm;
		struct htr_set ms;
		if (!ctc)
			htr_cli_fatal("%s: -mix needs a CTC model", mpath);
		if (!(mm = htr_model_load(mixpath)))
			htr_cli_die(NULL);
		if (htr_recognize_mixable(model, mm, mixpath))
			htr_cli_fatal("%s: not a CTC model of %s's symbols (%s)",
			    mixpath, mpath, htr_errmsg());
		r.w = mixw;
		if (!(r.mix = calloc((size_t)set.n + 1, sizeof *r.mix)) ||
		    !(r.mixT = calloc((size_t)set.n + 1, sizeof *r.mixT)))
			htr_cli_fatal("out of memory");
		if (htr_set_prepare(&ms, use, mm->net, NULL, 0))
			htr_cli_die(NULL);
		nets[0] = mm->net;
		for (int k = 1; k < nnets; k++)
			if (!(nets[k] = htr_net_clone(mm->net)))
				htr_cli_die(mixpath);
		if (htr_set_infer_nets(nets, nnets, &ms, batch, keep_sample,
		    &r))
			htr_cli_die(mixpath);
		for (int k = 1; k < nnets; k++)
			htr_net_free(nets[k]);
		htr_set_free(&ms);
		htr_model_free(mm);
	}
	nets[0] = model->net;
	for (int k = 1; k < nnets; k++)
		if (!(nets[k] = htr_net_clone(model->net)))
			htr_cli_die(mpath);
	if (ctc ? htr_set_infer_nets(nets, nnets, &set, batch, decode_sample,
	    &r) : htr_evaluate_nets(nets, nnets, model->alphabet, &set, batch,
	    &r.m[0], r.hyp[0]))
		htr_cli_die(mpath);
	t1 = htr_clock_seconds();
	for (int k = 1; k < nnets; k++)
		htr_net_free(nets[k]);
	getrusage(RUSAGE_SELF, &ru);
	for (int k = 0; k < r.d.n; k++)
		dec += r.seconds[k];

	/* network time: the whole run less the decoders' */
	double net = t1 - t0 - dec, n = set.n > 0 ? (double)set.n : 1;
	printf("model\t%s\n", mpath);
	if (mixpath)
		printf("mix\t%s, weight %g of %s's log-probabilities\n",
		    mixpath, (double)mixw, mpath);
	printf("samples\t%ld\n", set.n);
	printf("seconds\t%.3f\n", net);
	printf("samples_per_s\t%.1f\n", set.n / (net > 0 ? net : 1e-9));
	printf("network_ms_per_line\t%.2f\n", 1000 * net / n);
	printf("peak_rss_mib\t%.1f\n", ru.ru_maxrss / 1024.0);
	for (int k = 0; k < r.d.n; k++) {
		if (ctc)
			print_decoder(&r.d, k, &g);
		print_rates(&r.m[k], ctc);
		if (ctc)
			printf("decode_ms_per_line\t%.3f\n",
			    1000 * r.seconds[k] / n);
		print_worst(use, r.hyp[k], set.n, nworst);
	}
	for (int k = 0; k < r.d.n; k++) {
		for (long i = 0; i < set.n; i++)
			free(r.hyp[k][i]);
		free(r.hyp[k]);
	}
	free(r.lp);
	if (r.mix)
		for (long i = 0; i < set.n; i++)
			free(r.mix[i]);
	free(r.mix);
	free(r.mixT);
	htr_decsetup_close(&r.d);
	htr_set_free(&set);
	htr_dataset_free(&rest);
	htr_dataset_free(&ds);
	htr_model_free(model);
	return htr_cli_finish();
}
