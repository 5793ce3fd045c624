/* htr-eval — runs a model over a labelled set and reports its errors. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "clock.h"
#include "dataset.h"
#include "htr.h"
#include "metrics.h"
#include "model.h"
#include "net.h"
#include "trainer.h"
#include "utf8.h"

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

int
main(int argc, char **argv)
{
	const char *mpath = NULL, *src = NULL, *mi = NULL, *ml = NULL;
	const char *root = NULL;
	unsigned int skip_err = 0, last = 0, last_spec = 0;
	int batch = 32, nworst = 10, threads = 0;
	struct htr_dataset ds, rest;
	struct htr_model *model;
	struct htr_metrics m;
	struct htr_set set;
	struct rusage ru;
	char **hyp, where[600];
	double t0, t1;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-eval", "-m model.htrm (-test SRC | -mnist-images F "
	    "-mnist-labels F) [-image-root DIR] [-batch N] [-worst N] "
	    "[-threads N]");
	OPTENT3(0, "m", OPT_STRING, &mpath, NULL, 0);
	OPTENT3(0, "test", OPT_STRING, &src, NULL, 0);
	OPTENT3(0, "mnist-images", OPT_STRING, &mi, NULL, 0);
	OPTENT3(0, "mnist-labels", OPT_STRING, &ml, NULL, 0);
	OPTENT3(0, "image-root", OPT_STRING, &root, NULL, 0);
	OPTENT3(0, "skip-err", OPT_FLAG, NULL, &skip_err, 0);
	OPTENT3(0, "last", OPT_UINT, &last, &last_spec, 0);
	OPTENT3(0, "batch", OPT_INT, &batch, NULL, 0);
	OPTENT3(0, "worst", OPT_INT, &nworst, NULL, 0);
	OPTENT3(0, "threads", OPT_INT, &threads, NULL, 0);
	htr_cli_parse(&argc, argv, option_def);

	if (argc > 1)
		htr_cli_usage("unexpected argument '%s'", argv[1]);
	if (!mpath)
		htr_cli_usage("-m model.htrm is required");
	if (!src == !(mi || ml) || (mi != NULL) != (ml != NULL))
		htr_cli_usage("give -test SRC, or -mnist-images and "
		    "-mnist-labels");
	if (batch < 1 || batch > 4096 || nworst < 0)
		htr_cli_usage("-batch must be 1..4096, -worst not negative");
	if (threads > 0)
		openblas_set_num_threads(threads);
	if (!(model = htr_model_load(mpath)))
		htr_cli_die(NULL);
	htr_dataset_init(&ds);
	if (mi) {
		if (htr_dataset_add_mnist(&ds, mi, ml))
			htr_cli_die(NULL);
	} else if (htr_dataset_add_file(&ds, src, root, skip_err)) {
		htr_cli_die(NULL);
	}
	/* -last N: only the last N samples (e.g. a validation split) */
	htr_dataset_init(&rest);
	if (last_spec && last < ds.n) {
		if (htr_dataset_split(&ds, last, &rest))
			htr_cli_die("-last");
	}
	struct htr_dataset *use = rest.n ? &rest : &ds;
	if (htr_set_prepare(&set, use, model->net, NULL, 0))
		htr_cli_die(NULL);
	if (!(hyp = calloc((size_t)set.n, sizeof *hyp)))
		htr_cli_fatal("out of memory");
	htr_metrics_init(&m);
	t0 = htr_clock_seconds();
	if (htr_evaluate(model->net, model->alphabet, &set, batch, &m, hyp))
		htr_cli_die(mpath);
	t1 = htr_clock_seconds();
	getrusage(RUSAGE_SELF, &ru);

	int ctc = htr_net_is_ctc(model->net);
	printf("model\t%s\n", mpath);
	printf("samples\t%ld\n", m.samples);
	if (ctc) {
		printf("cer\t%.4f%%\t(%ld errors / %ld characters)\n",
		    100 * htr_metrics_cer(&m), m.char_errors, m.chars);
		printf("wer\t%.4f%%\t(%ld errors / %ld words)\n",
		    100 * htr_metrics_wer(&m), m.word_errors, m.words);
	}
	printf("accuracy\t%.4f%%\t(%ld of %ld exact)\n",
	    100 * htr_metrics_accuracy(&m), m.correct, m.samples);
	if (!ctc)
		printf("error\t%.4f%%\t(%ld wrong)\n",
		    100 * (1 - htr_metrics_accuracy(&m)), m.samples - m.correct);
	printf("seconds\t%.3f\n", t1 - t0);
	printf("samples_per_s\t%.1f\n", set.n / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
	printf("peak_rss_mib\t%.1f\n", ru.ru_maxrss / 1024.0);

	struct worst *w = calloc((size_t)set.n + 1, sizeof *w);
	long nw = 0;
	if (!w)
		htr_cli_fatal("out of memory");
	for (long i = 0; i < set.n; i++) {
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
	for (long i = 0; i < set.n; i++)
		free(hyp[i]);
	free(hyp);
	free(w);
	htr_set_free(&set);
	htr_dataset_free(&rest);
	htr_dataset_free(&ds);
	htr_model_free(model);
	return htr_cli_finish();
}
