/* htr-train — trains a network described in VGSL on labelled images. */
#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dataopts.h"
#include "dataset.h"
#include "htr.h"
#include "model.h"
#include "net.h"
#include "plot.h"
#include "trainer.h"

static unsigned int quiet;

/* Reads "@file" arguments; returns a malloc'd string with the trailing
 * white space removed. */
static char *
arg_text(const char *arg, const char *what)
{
	FILE *f;
	char *buf;
	size_t n;

	if (arg[0] != '@') {
		if (!(buf = strdup(arg)))
			htr_cli_fatal("out of memory");
		return buf;
	}
	if (!(f = fopen(arg + 1, "rb")))
		htr_cli_fatal("%s: %s", arg + 1, strerror(errno));
	if (!(buf = malloc(65536)))
		htr_cli_fatal("out of memory");
	n = fread(buf, 1, 65535, f);
	if (ferror(f) || !feof(f))
		htr_cli_fatal("%s: unreadable or longer than 64 KiB (%s)",
		    arg + 1, what);
	fclose(f);
	buf[n] = 0;
	/* drop comment lines (#) and join lines with spaces */
	int bol = 1;
	for (char *p = buf; *p; p++) {
		if (*p == '#' && bol)
			while (*p && *p != '\n')
				*p++ = ' ';
		if (!*p)
			break;
		bol = *p == '\n';
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = 0;
	return buf;
}

static void
fmt_time(char *buf, size_t n, double s)
{
	if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600),
		    (int)(s / 60) % 60);
	else
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void
progress(void *ctx, const struct htr_train_status *st)
{
	char eta[32];

	(void)ctx;
	if (quiet)
		return;
	if (st->event) {
		fprintf(stderr, "%s: %s %s (epoch %d, step %ld)\n", htr_prog,
		    st->event, st->detail, st->epoch, st->step);
		return;
	}
	fmt_time(eta, sizeof eta, st->eta_s);
	if (!st->validated) {
		char last[48] = "";
		if (st->last_valid >= 0)
			snprintf(last, sizeof last, " (last valid error %.3f%%)",
			    100 * st->last_valid);
		fprintf(stderr, "%s: epoch %d/%d step %ld batch %ld/%ld loss "
		    "%.4f %.0f samples/s ETA %s%s\n", htr_prog, st->epoch,
		    st->epochs, st->step, st->batch, st->nbatch, st->loss,
		    st->samples_per_s, eta, last);
		return;
	}
	fprintf(stderr, "%s: epoch %d/%d done: loss %.4f valid error %.4f%% "
	    "(CER %.4f%% WER %.4f%% acc %.4f%%) best %.4f%%%s%s ETA %s\n",
	    htr_prog, st->epoch, st->epochs, st->loss, 100 * st->valid_error,
	    100 * st->valid_cer, 100 * st->valid_wer, 100 * st->valid_acc,
	    100 * st->best_error, st->improved ? " (saved)" : "",
	    st->stopped ? "; no progress, stopping early" : "", eta);
}

static void
summary(const char *vgsl, int nclass, uint64_t seed)
{
	struct htr_net *net = htr_net_create(vgsl, nclass, seed);
	int W;
	float *x;

	if (!net)
		htr_cli_die("-net");
	/* one forward at the least width fills in the shapes (cheap even for
	 * big networks) */
	W = htr_net_input_width(net);
	if (W == 0)
		W = htr_net_min_width(net);
	x = calloc((size_t)W * htr_net_input_height(net) *
	    htr_net_input_channels(net), sizeof *x);
	if (!x)
		htr_cli_fatal("out of memory");
	if (htr_net_forward(net, x, 1, W, NULL, HTR_NET_INFER))
		htr_cli_die("-net");
	free(x);
	printf("network %s\n", htr_net_vgsl(net));
	printf("%-16s %12s  %s (input width %d)\n", "layer", "parameters",
	    "output C x H x W", W);
	for (int i = 0; i < htr_net_nlayers(net); i++) {
		struct htr_net_layer_info li;
		htr_net_layer_info(net, i, &li);
		printf("%-16s %12zu  %d x %d x %d\n", li.tok, li.nparams,
		    li.out_c, li.out_h, li.out_w);
	}
	printf("parameters %zu\n", htr_net_nparams(net));
	htr_net_free(net);
}

/* -average A,B,...: the mean of those models' weights into -o. */
static int
average_models(const char *list, const char *out, int training)
{
	char *copy, *tok, *save = NULL;
	const char **paths;
	struct htr_model *m;
	int n = 0;

	if (training)
		htr_cli_usage("-average takes only -o (no -net, -init, -train "
		    "or -resume)");
	if (!out)
		htr_cli_usage("-o model.htrm is required");
	copy = strdup(list);
	paths = calloc(strlen(list) / 2 + 2, sizeof *paths);
	if (!copy || !paths)
		htr_cli_fatal("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save))
		paths[n++] = tok;
	if (n < 2) {
		free(paths);
		free(copy);
		htr_cli_usage("-average needs two models or more, "
		    "comma-separated");
	}
	if (!(m = htr_model_average(paths, n)) || htr_model_save(m, out)) {
		htr_model_free(m);
		free(paths);
		free(copy);
		htr_cli_die(NULL);
	}
	htr_model_free(m);
	free(paths);
	free(copy);
	return htr_cli_finish();
}

int
main(int argc, char **argv)
{
	const char *train_src = NULL, *valid_src = NULL;
	const char *net_arg = NULL, *init = NULL, *level = NULL, *out = NULL;
	const char *ckpt = NULL, *log = NULL, *plot = NULL, *alpha_arg = NULL;
	const char *average = NULL;
	unsigned int valid_split = 0, resume = 0, summ = 0, keep_epochs = 0;
	int height = 0, batch = 16, epochs = 10, threads = 0, patience = 0;
	int classes = 0;
	unsigned int seed = 1;
	long halt = 0, ckpt_steps = 0;
	float lr = 1e-3f, lr_decay = 1, clip = 0, wd = 0, strength = 0;
	float dropout = -1;
	float ckpt_min = 5;
	float aug[10];
	unsigned int aug_spec[10], height_spec, lr_spec, seed_spec, dropout_spec;
	static const char *aug_name[10] = {"aug-scale", "aug-rotate",
	    "aug-shear", "aug-translate", "aug-elastic", "aug-stroke",
	    "aug-blur", "aug-noise", "aug-contrast", "aug-clean"};
	struct htr_dataopts d = {0};
	struct htr_train_opts o;
	struct htr_dataset train, valid;
	char prov[1024];
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-train", "(-net VGSL|@file | -init MODEL) "
	    HTR_DATAOPTS_USAGE("-train SRC") " [-valid SRC | -valid-split N] "
	    "-o model.htrm [options]");
	OPTENT3(0, "train", OPT_STRING, &train_src, NULL, 0);
	OPTENT3(0, "valid", OPT_STRING, &valid_src, NULL, 0);
	/* before -init: shhopt takes the first match of an abbreviation */
	HTR_DATAOPTS_OPTIONS(d);
	OPTENT3(0, "valid-split", OPT_UINT, &valid_split, NULL, 0);
	OPTENT3(0, "net", OPT_STRING, &net_arg, NULL, 0);
	OPTENT3(0, "init", OPT_STRING, &init, NULL, 0);
	OPTENT3(0, "height", OPT_INT, &height, &height_spec, 0);
	OPTENT3(0, "level", OPT_STRING, &level, NULL, 0);
	OPTENT3(0, "alphabet", OPT_STRING, &alpha_arg, NULL, 0);
	OPTENT3(0, "batch", OPT_INT, &batch, NULL, 0);
	OPTENT3(0, "lr", OPT_FLOAT, &lr, &lr_spec, 0);
	OPTENT3(0, "lr-decay", OPT_FLOAT, &lr_decay, NULL, 0);
	OPTENT3(0, "clip", OPT_FLOAT, &clip, NULL, 0);
	OPTENT3(0, "weight-decay", OPT_FLOAT, &wd, NULL, 0);
	OPTENT3(0, "dropout", OPT_FLOAT, &dropout, &dropout_spec, 0);
	OPTENT3(0, "epochs", OPT_INT, &epochs, NULL, 0);
	OPTENT3(0, "seed", OPT_UINT, &seed, &seed_spec, 0);
	OPTENT3(0, "augment", OPT_FLOAT, &strength, NULL, 0);
	for (int i = 0; i < 10; i++)
		OPTENT3(0, aug_name[i], OPT_FLOAT, &aug[i], &aug_spec[i], 0);
	OPTENT3(0, "threads", OPT_INT, &threads, NULL, 0);
	OPTENT3(0, "patience", OPT_INT, &patience, NULL, 0);
	OPTENT3(0, "o", OPT_STRING, &out, NULL, 0);
	OPTENT3(0, "checkpoint", OPT_STRING, &ckpt, NULL, 0);
	OPTENT3(0, "checkpoint-minutes", OPT_FLOAT, &ckpt_min, NULL, 0);
	OPTENT3(0, "checkpoint-steps", OPT_LONG, &ckpt_steps, NULL, 0);
	OPTENT3(0, "resume", OPT_FLAG, NULL, &resume, 0);
	OPTENT3(0, "keep-epochs", OPT_FLAG, NULL, &keep_epochs, 0);
	OPTENT3(0, "halt-after", OPT_LONG, &halt, NULL, 0);
	OPTENT3(0, "log", OPT_STRING, &log, NULL, 0);
	OPTENT3(0, "plot", OPT_STRING, &plot, NULL, 0);
	OPTENT3(0, "summary", OPT_FLAG, NULL, &summ, 0);
	OPTENT3(0, "average", OPT_STRING, &average, NULL, 0);
	OPTENT3(0, "classes", OPT_INT, &classes, NULL, 0);
	OPTENT3(0, "quiet", OPT_FLAG, NULL, &quiet, 0);
	htr_cli_parse(&argc, argv, option_def);
	(void)lr_spec;
	(void)seed_spec;

	if (argc > 1)
		htr_cli_usage("unexpected argument '%s'", argv[1]);
	if (average)
		return average_models(average, out, net_arg || init ||
		    train_src || resume);
	if (!net_arg && !resume && !init)
		htr_cli_usage("-net (or -init model.htrm) is required");
	if (init && alpha_arg)
		htr_cli_usage("-alphabet and -init exclude each other (-init "
		    "takes the model's alphabet)");
	if (net_arg && init)
		htr_cli_usage("-net and -init exclude each other (-init takes "
		    "the model's network)");
	char *vgsl = net_arg ? arg_text(net_arg, "-net") : NULL;
	if (summ) {
		summary(vgsl, classes, seed);
		free(vgsl);
		return htr_cli_finish();
	}
	const char *mi = d.mnist_images, *ml = d.mnist_labels;
	if (!train_src && !(mi && ml))
		htr_cli_usage("give -train, or -mnist-images and -mnist-labels");
	if (train_src && (mi || ml))
		htr_cli_usage("-train and -mnist-* exclude each other");
	if ((mi != NULL) != (ml != NULL))
		htr_cli_usage("-mnist-images and -mnist-labels go together");
	if (!out)
		htr_cli_usage("-o model.htrm is required");
	if (batch < 1 || batch > 4096 || epochs < 1 || epochs > 100000)
		htr_cli_usage("-batch must be 1..4096 and -epochs 1..100000");
	if (!(lr > 0) || !(lr_decay > 0) || patience < 0 || clip < 0 || wd < 0)
		htr_cli_usage("-lr and -lr-decay must be positive, -patience, "
		    "-clip and -weight-decay not negative");
	if (dropout_spec && !(dropout >= 0 && dropout < 1))
		htr_cli_usage("-dropout must be in [0, 1)");
	if (valid_src && valid_split)
		htr_cli_usage("-valid and -valid-split exclude each other");
	if (resume && !ckpt)
		htr_cli_usage("-resume needs -checkpoint DIR");
	if (keep_epochs && !ckpt)
		htr_cli_usage("-keep-epochs needs -checkpoint DIR");
	if (plot && !log)
		htr_cli_usage("-plot needs -log (the curve is drawn from it)");
	if (threads > 0)
		openblas_set_num_threads(threads);

	htr_train_defaults(&o);
	o.vgsl = vgsl;
	o.init = init;
	if (level && (o.level = htr_level_parse(level)) < 0)
		htr_cli_usage("-level must be char, word or line");
	if (!level && init) {
		struct htr_model *m = htr_model_load(init);

		if (!m)
			htr_cli_die(NULL);
		o.level = m->level;
		htr_model_free(m);
	}
	if (!level && vgsl && strstr(vgsl, "O0s"))
		o.level = HTR_LEVEL_CHAR;
	o.batch = batch;
	o.lr = lr;
	o.lr_decay = lr_decay;
	o.clip = clip;
	o.weight_decay = wd;
	o.dropout = dropout_spec ? dropout : -1;
	o.epochs = epochs;
	o.seed = seed;
	htr_augment_defaults(&o.aug, strength);
	float *af[10] = {&o.aug.scale, &o.aug.rotate, &o.aug.shear,
	    &o.aug.translate, &o.aug.elastic, &o.aug.stroke, &o.aug.blur,
	    &o.aug.noise, &o.aug.contrast, &o.aug.clean};
	for (int i = 0; i < 10; i++)
		if (aug_spec[i]) {
			if (aug[i] < 0)
				htr_cli_usage("-%s must not be negative",
				    aug_name[i]);
			*af[i] = aug[i];
		}
	o.patience = patience;
	o.out = out;
	o.ckpt_dir = ckpt;
	o.ckpt_minutes = ckpt_min;
	o.ckpt_steps = ckpt_steps;
	o.resume = resume;
	o.keep_epochs = keep_epochs;
	o.halt_after = halt;
	o.log = log;
	o.progress = progress;
	char *alpha = alpha_arg ? arg_text(alpha_arg, "-alphabet") : NULL;
	o.alphabet = alpha;

	if (ckpt && mkdir(ckpt, 0777) && errno != EEXIST)
		htr_cli_fatal("%s: %s", ckpt, strerror(errno));
	htr_dataset_init(&train);
	htr_dataset_init(&valid);
	htr_dataopts_add(&train, &d, train_src);
	if (valid_src) {
		if (htr_dataset_add_file(&valid, valid_src, d.root, d.skip_err))
			htr_cli_die(NULL);
	} else if (valid_split && htr_dataset_split(&train, valid_split, &valid))
		htr_cli_die("-valid-split");
	/* file names without their folders: the model should not carry the
	 * trainer's directory layout */
	const char *base = mi ? mi : train_src, *sl = strrchr(base, '/');
	if (valid_split)
		snprintf(prov, sizeof prov, "%s,last_%u_for_validation",
		    sl ? sl + 1 : base, valid_split);
	else
		snprintf(prov, sizeof prov, "%s", sl ? sl + 1 : base);
	o.provenance = prov;
	if (height_spec && vgsl) {
		struct htr_net *probe = htr_net_create(vgsl, 0, 1);
		if (!probe)
			htr_cli_die("-net");
		if (htr_net_input_height(probe) != height)
			htr_cli_usage("-height %d differs from the network's "
			    "input height %d", height,
			    htr_net_input_height(probe));
		htr_net_free(probe);
	}
	if (!quiet)
		fprintf(stderr, "%s: %ld training and %ld validation samples\n",
		    htr_prog, train.n, valid.n);
	int r = htr_train(&o, &train, &valid);
	if (r < 0)
		htr_cli_die(NULL);
	if (r == 0 && plot && htr_plot_log(plot, log))
		htr_cli_die(plot);
	htr_dataset_free(&valid);
	htr_dataset_free(&train);
	free(vgsl);
	free(alpha);
	htr_cli_finish();
	return r == 1 ? 3 : 0;
}
