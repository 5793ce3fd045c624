/* htr-serve — the recognition pipeline behind an upload page and a JSON
 * API over HTTP (see man/htr-serve.1 and lib/serve.h).  The model is
 * loaded once; requests run in a bounded pool of worker threads. */
#include <cblas.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "htr.h"
#include "serve.h"

static const char usage[] =
    "[-listen ADDR:PORT] [-m model.htrm] [-mix model.htrm [-mix-weight W]] "
    "[-corpus FILE] [-lm FILE] "
    "[-workers N] [-queue N] "
    "[-max-body BYTES] [-max-pixels N] [-timeout SECONDS] [-max-conn N] "
    "[-verbose]";

static void
log_stderr(void *arg, const char *fmt, va_list ap)
{
	(void)arg;
	fprintf(stderr, "%s: ", htr_prog);
	vfprintf(stderr, fmt, ap);
}

/* "20M", "512k", "1000000" -> bytes; exits 2 on nonsense. */
static size_t
parse_size(const char *opt, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || v[0] == '-')
		htr_cli_usage("-%s: '%s' is not a size", opt, v);
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	}
	if (*end || n == 0 || n > (1ULL << 32))
		htr_cli_usage("-%s: '%s' is not a size from 1 to 4G", opt, v);
	return (size_t)n;
}

int
main(int argc, char **argv)
{
	static const char *const dirs[] = { "models", HTR_MODELDIR, NULL };
	struct htr_serve_config cfg;
	struct htr_serve *s;
	const char *listen = NULL, *model = NULL, *maxbody = NULL,
	    *corpus = NULL, *lm = NULL, *mix = NULL;
	float mixw = 0.7f;
	unsigned mixw_spec = 0;
	unsigned listen_spec = 0, model_spec = 0, workers_spec = 0,
	    corpus_spec = 0, lm_spec = 0,
	    queue_spec = 0, maxbody_spec = 0, maxpix_spec = 0,
	    timeout_spec = 0, maxconn_spec = 0, verbose = 0;
	int workers = 0, queue = 0, timeout = 0, maxconn = 0;
	long maxpix = 0, ncpu;
	sigset_t sigs;
	int sig;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-serve", usage);
	OPTENT3(0, "listen",     OPT_STRING, &listen,  &listen_spec,  0);
	OPTENT3('m', "model",    OPT_STRING, &model,   &model_spec,   0);
	OPTENT3(0, "corpus",     OPT_STRING, &corpus,  &corpus_spec,  0);
	OPTENT3(0, "lm",         OPT_STRING, &lm,      &lm_spec,      0);
	OPTENT3(0, "mix",        OPT_STRING, &mix,     NULL,          0);
	OPTENT3(0, "mix-weight", OPT_FLOAT,  &mixw,    &mixw_spec,    0);
	OPTENT3(0, "workers",    OPT_INT,    &workers, &workers_spec, 0);
	OPTENT3(0, "queue",      OPT_INT,    &queue,   &queue_spec,   0);
	OPTENT3(0, "max-body",   OPT_STRING, &maxbody, &maxbody_spec, 0);
	OPTENT3(0, "max-pixels", OPT_LONG,   &maxpix,  &maxpix_spec,  0);
	OPTENT3(0, "timeout",    OPT_INT,    &timeout, &timeout_spec, 0);
	OPTENT3(0, "max-conn",   OPT_INT,    &maxconn, &maxconn_spec, 0);
	OPTENT3(0, "verbose",    OPT_FLAG,   NULL,     &verbose,      0);
	htr_cli_parse(&argc, argv, option_def);
	if (argc > 1)
		htr_cli_usage("unexpected argument '%s'", argv[1]);

	htr_serve_defaults(&cfg);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.workers = ncpu > 0 ? (int)(ncpu > 256 ? 256 : ncpu) : 1;
	cfg.queue = 4 * cfg.workers;
	if (listen_spec)
		cfg.listen = listen;
	cfg.model = model_spec ? model : NULL;
	cfg.argv0 = argv[0];
	cfg.corpus = corpus_spec ? corpus : NULL;
	cfg.lm = lm_spec ? lm : NULL;
	htr_cli_mix_weight(mix, mixw, mixw_spec);
	cfg.mix = mix;
	cfg.mix_weight = mixw;
	cfg.model_dirs = dirs;
	if (workers_spec && (workers < 1 || workers > 1024))
		htr_cli_usage("-workers must be from 1 to 1024");
	if (workers_spec) {
		cfg.workers = workers;
		cfg.queue = 4 * workers;
	}
	if (queue_spec && (queue < 0 || queue > 100000))
		htr_cli_usage("-queue must be from 0 to 100000");
	if (queue_spec)
		cfg.queue = queue;
	if (maxbody_spec)
		cfg.max_body = parse_size("max-body", maxbody);
	if (maxpix_spec && (maxpix < 1 || maxpix > HTR_MAX_PIXELS))
		htr_cli_usage("-max-pixels must be from 1 to %ld",
		    HTR_MAX_PIXELS);
	if (maxpix_spec)
		cfg.max_pixels = maxpix;
	if (timeout_spec && (timeout < 1 || timeout > 3600))
		htr_cli_usage("-timeout must be from 1 to 3600 seconds");
	if (timeout_spec)
		cfg.timeout = (unsigned)timeout;
	if (maxconn_spec && (maxconn < 1 || maxconn > 65536))
		htr_cli_usage("-max-conn must be from 1 to 65536");
	if (maxconn_spec)
		cfg.max_conn = (unsigned)maxconn;
	cfg.log = log_stderr;
	cfg.verbose = verbose;

	/* The workers are the parallelism: OpenBLAS inside each stays on one
	 * thread, or N workers would each start N BLAS threads. */
	if (cfg.workers > 1)
		openblas_set_num_threads(1);
	/* Every thread inherits the mask; main waits for the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!(s = htr_serve_start(&cfg)))
		htr_cli_die(cfg.listen);
	if (htr_serve_model_error(s))
		fprintf(stderr, "%s: warning: %s (recognition requests will "
		    "get 503 until a model is given with -m)\n", htr_prog,
		    htr_serve_model_error(s));
	fprintf(stderr, "%s: listening on http://%s/ (%d workers, queue %d)\n",
	    htr_prog, htr_serve_address(s), cfg.workers, cfg.queue);
	fflush(stderr);
	sigwait(&sigs, &sig);
	if (verbose)
		fprintf(stderr, "%s: signal %d, stopping\n", htr_prog, sig);
	htr_serve_stop(s);
	return htr_cli_finish();
}
