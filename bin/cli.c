/* cli.c — shared option parsing and error reporting of the htr programs. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pm.h>

#include "cli.h"
#include "htr.h"

const char *htr_prog = "htr";
static const char *usage_line = "";

void
htr_cli_init(const char *prog, const char *usage)
{
	htr_prog = prog;
	usage_line = usage;
	pm_init(prog, 0);
}

static void
usage_exit(void)
{
	fprintf(stderr, "usage: %s %s\n", htr_prog, usage_line);
	exit(2);
}

static void
opt_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", htr_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (fmt[0] && fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
	usage_exit();
}

void
htr_cli_parse(int *argc, char **argv, optEntry *opts)
{
	optStruct3 opt;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-help") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h")) {
			printf("usage: %s %s\n", htr_prog, usage_line);
			exit(0);
		}
	}
	opt.opt_table = opts;
	opt.short_allowed = 0;
	opt.allowNegNum = 1;
	pm_optSetFatalFunc(opt_fatal);
	pm_optParseOptions3(argc, argv, opt, sizeof opt, 0);
}

void
htr_cli_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", htr_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_exit();
	exit(2);
}

void
htr_cli_unit(const char *opt, double v)
{
	if (!(v >= 0 && v <= 1))
		htr_cli_usage("%s must be 0..1", opt);
}

void
htr_cli_mix_weight(const char *mix, double w, unsigned int spec)
{
	if (spec && !mix)
		htr_cli_usage("-mix-weight needs -mix");
	if (!(w >= 0 && w <= 1))
		htr_cli_usage("-mix-weight must be from 0 to 1, not %g", w);
}

void
htr_cli_die(const char *what)
{
	if (what)
		fprintf(stderr, "%s: %s: %s\n", htr_prog, what, htr_errmsg());
	else
		fprintf(stderr, "%s: %s\n", htr_prog, htr_errmsg());
	exit(1);
}

void
htr_cli_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", htr_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

const char *
htr_cli_name(const char *path)
{
	return !path || !strcmp(path, "-") ? "stdin" : path;
}

FILE *
htr_cli_open(const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdin;
	if (!(f = fopen(path, "rb")))
		htr_cli_fatal("%s: %s", path, strerror(errno));
	return f;
}

int
htr_cli_finish(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		htr_cli_fatal("stdout: write error: %s", strerror(errno));
	return 0;
}
