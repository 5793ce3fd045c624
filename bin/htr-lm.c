/* htr-lm — builds a character n-gram language model (HTRL file) from a
 * text corpus, or measures a model's perplexity on a text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "htr.h"
#include "lm.h"

/* Appends a whole input to buf. */
static void
slurp(const char *path, char **buf, size_t *len, size_t *cap)
{
	FILE *f = htr_cli_open(path);
	size_t k;

	do {
		if (*len + 1 >= *cap && !(*buf = htr_realloc(*buf, *cap = 2 *
		    *cap + 65536, 1)))
			htr_cli_die(htr_cli_name(path));
		k = fread(*buf + *len, 1, *cap - *len - 1, f);
		*len += k;
	} while (k > 0);
	if (ferror(f))
		htr_cli_fatal("%s: read error", htr_cli_name(path));
	if (f != stdin)
		fclose(f);
	/* a file without a final newline still ends its last line */
	if (*len && (*buf)[*len - 1] != '\n')
		(*buf)[(*len)++] = '\n';
}

int
main(int argc, char **argv)
{
	unsigned int order = 6, info = 0, x;
	const char *lmfile = NULL;
	struct htr_charlm lm;
	char *text = NULL;
	size_t len = 0, cap = 0;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-lm", "[-order N] [corpus ...] > model.htrl | "
	    "-lm FILE [-info] [text ...]");
	OPTENT3(0, "order", OPT_UINT, &order, &x, 0);
	OPTENT3(0, "lm", OPT_STRING, &lmfile, &x, 0);
	OPTENT3(0, "info", OPT_FLAG, NULL, &info, 0);
	htr_cli_parse(&argc, argv, option_def);
	if (order < 1 || order > HTR_LM_MAXORDER)
		htr_cli_usage("-order must be 1 to %d", HTR_LM_MAXORDER);
	if (info && !lmfile)
		htr_cli_usage("-info goes with -lm FILE");

	if (lmfile) {
		FILE *f = htr_cli_open(lmfile);
		if (htr_charlm_read(f, &lm))
			htr_cli_die(lmfile);
		if (f != stdin)
			fclose(f);
		if (info) {
			printf("order %d, %d symbols, %ld n-grams\n", lm.order,
			    lm.nsym, lm.ngram);
		} else {
			long n;
			double ppl;
			for (int i = 1; i < argc || (i == 1 && argc == 1); i++)
				slurp(argc > 1 ? argv[i] : NULL, &text, &len,
				    &cap);
			if ((ppl = htr_charlm_perplexity(&lm, text ? text : "",
			    len, &n)) < 0)
				htr_cli_die("text");
			printf("perplexity %.4f over %ld symbols (%.4f bits "
			    "each)\n", ppl, n, n ? log2(ppl) : 0.0);
		}
		htr_charlm_free(&lm);
		free(text);
		return htr_cli_finish();
	}
	for (int i = 1; i < argc || (i == 1 && argc == 1); i++)
		slurp(argc > 1 ? argv[i] : NULL, &text, &len, &cap);
	if (htr_charlm_build(&lm, text ? text : "", len, (int)order))
		htr_cli_die("corpus");
	if (htr_charlm_write(stdout, &lm))
		htr_cli_die("stdout");
	htr_charlm_free(&lm);
	free(text);
	return htr_cli_finish();
}
