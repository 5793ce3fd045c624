/* htr-tensor — look at a tensor stream: one line per record, PGM crops,
 * CSV; or make a logprob stream from CSV matrices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "cli.h"
#include "decode.h"
#include "htr.h"
#include "image.h"
#include "tensor.h"

static void
print_info(FILE *out, long i, const struct htr_tensor *t)
{
	fprintf(out, "%ld %s ", i, htr_tensor_dtype_name(t->dtype));
	if (t->rank == 0)
		fprintf(out, "scalar");
	for (int k = 0; k < t->rank; k++)
		fprintf(out, k ? "x%d" : "%d", t->dim[k]);
	if (htr_tensor_is(t, "alphabet")) {
		struct htr_alphabet a;
		if (htr_alphabet_from_tensor(&a, t) == 0) {
			fprintf(out, " symbols=%d", a.n);
			htr_alphabet_free(&a);
		}
	}
	fprintf(out, "%s%s\n", t->tags[0] ? " " : "", t->tags);
}

/* A record as an 8-bit image: rank 1 is one row, rank 2 [H][W] is H rows
 * except logprob [T][C], drawn with time to the right (C rows, T columns)
 * and exp(value) so 1 is white; other values are scaled min..max. */
static int
to_image(struct htr_image *im, const struct htr_tensor *t)
{
	const float *x = t->data;
	int rows, cols, lp = htr_tensor_is(t, "logprob");
	long n = htr_tensor_count(t);
	float lo = INFINITY, hi = -INFINITY;

	if (t->dtype != HTR_F32 || t->rank < 1 || t->rank > 2 || n == 0)
		return 1;
	rows = t->rank == 1 ? 1 : t->dim[0];
	cols = t->rank == 1 ? t->dim[0] : t->dim[1];
	if (lp) {
		int tmp = rows;
		rows = cols;
		cols = tmp;
	}
	if (htr_image_init(im, cols, rows, 0))
		return -1;
	memcpy(im->tags, t->tags, sizeof im->tags);
	for (long i = 0; i < n; i++)
		if (isfinite(x[i])) {
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			double v;
			if (lp) {
				v = exp(x[(long)c * rows + r]);
			} else {
				v = x[(long)r * cols + c];
				v = hi > lo ? (v - lo) / (hi - lo) : 0.5;
			}
			v = v < 0 ? 0 : v > 1 ? 1 : v;
			im->pix[(long)r * cols + c] = (unsigned char)lrint(255 * v);
		}
	return 0;
}

static void
print_csv(FILE *out, const struct htr_tensor *t)
{
	long n = htr_tensor_count(t);
	int cols = t->rank >= 1 ? t->dim[t->rank - 1] : 1;

	if (cols == 0)
		return;
	for (long i = 0; i < n; i++) {
		if (t->dtype == HTR_F32)
			fprintf(out, "%.9g", ((const float *)t->data)[i]);
		else
			fprintf(out, "%u", ((const unsigned char *)t->data)[i]);
		putc((i + 1) % cols ? ',' : '\n', out);
	}
}

/* -fromcsv: alphabet record, then one logprob record per CSV file. */
static void
from_csv(int argc, char **argv, const char *chars, int blanklast,
    int values, const char *tags)
{
	struct htr_alphabet a;
	struct htr_tensor t;
	FILE *f;
	char *text = NULL;
	size_t cap = 0, len = 0;

	if (!chars)
		htr_cli_usage("-fromcsv needs -chars FILE");
	f = htr_cli_open(chars);
	for (;;) {
		if (len + 4096 > cap && !(text = htr_realloc(text,
		    cap = 2 * cap + 4096, 1)))
			htr_cli_die(chars);
		size_t k = fread(text + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	if (ferror(f) || htr_alphabet_from_chars(&a, text, len))
		htr_cli_die(htr_cli_name(chars));
	free(text);
	if (f != stdin)
		fclose(f);
	/* write nothing until every matrix has been read and checked */
	struct htr_tensor *rec = htr_alloc(argc > 1 ? (size_t)argc - 1 : 1,
	    sizeof *rec);
	int nrec = argc > 1 ? argc - 1 : 1;
	if (!rec)
		htr_cli_die(NULL);
	for (int i = 0; i < nrec; i++) {
		const char *path = argc > 1 ? argv[i + 1] : NULL;
		f = htr_cli_open(path);
		if (htr_tensor_read_csv(f, &rec[i]))
			htr_cli_die(htr_cli_name(path));
		if (f != stdin)
			fclose(f);
		if (rec[i].dim[0] > 0 && rec[i].dim[1] != a.n)
			htr_cli_fatal("%s: %d columns but %s has %d characters "
			    "and the blank", htr_cli_name(path), rec[i].dim[1],
			    chars, a.n - 1);
		rec[i].dim[1] = a.n;
		if (tags) {
			snprintf(rec[i].tags, sizeof rec[i].tags, "%s", tags);
			if (strlen(tags) >= sizeof rec[i].tags ||
			    htr_tag_valid(rec[i].tags))
				htr_cli_usage("-tags: bad or too long tag string");
		}
		if (htr_decode_normalize(rec[i].data, rec[i].dim[0], a.n,
		    values, blanklast) ||
		    htr_tag_set(rec[i].tags, "kind", "logprob") ||
		    (!strstr(rec[i].tags, "src=") &&
		    htr_tag_set(rec[i].tags, "src", htr_cli_name(path))))
			htr_cli_die(htr_cli_name(path));
	}
	if (htr_alphabet_to_tensor(&t, &a) || htr_tensor_write(stdout, &t))
		htr_cli_die("stdout");
	htr_tensor_free(&t);
	for (int i = 0; i < nrec; i++) {
		if (htr_tensor_write(stdout, &rec[i]))
			htr_cli_die("stdout");
		htr_tensor_free(&rec[i]);
	}
	free(rec);
	htr_alphabet_free(&a);
}

int
main(int argc, char **argv)
{
	unsigned int info = 0, pgm = 0, csv = 0, fromcsv = 0, blanklast = 0;
	unsigned int chars_spec = 0, values_spec = 0, record = 0, record_spec = 0;
	const char *chars = NULL, *values_s = "logit", *tags = NULL;
	int values, modes;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-tensor", "[-info | -pgm | -csv] [-record N] [file ...] | "
	    "-fromcsv -chars FILE [-blanklast] [-values logit|prob|logprob] "
	    "[-tags TAGS] [csvfile ...]");
	OPTENT3(0, "info", OPT_FLAG, NULL, &info, 0);
	OPTENT3(0, "pgm", OPT_FLAG, NULL, &pgm, 0);
	OPTENT3(0, "csv", OPT_FLAG, NULL, &csv, 0);
	OPTENT3(0, "fromcsv", OPT_FLAG, NULL, &fromcsv, 0);
	OPTENT3(0, "chars", OPT_STRING, &chars, &chars_spec, 0);
	OPTENT3(0, "blanklast", OPT_FLAG, NULL, &blanklast, 0);
	OPTENT3(0, "values", OPT_STRING, &values_s, &values_spec, 0);
	OPTENT3(0, "tags", OPT_STRING, &tags, &values_spec, 0);
	OPTENT3(0, "record", OPT_UINT, &record, &record_spec, 0);
	htr_cli_parse(&argc, argv, option_def);
	modes = !!info + !!pgm + !!csv + !!fromcsv;
	if (modes > 1)
		htr_cli_usage("-info, -pgm, -csv and -fromcsv exclude each "
		    "other");
	if (!strcmp(values_s, "logit"))
		values = HTR_VALUES_LOGIT;
	else if (!strcmp(values_s, "prob"))
		values = HTR_VALUES_PROB;
	else if (!strcmp(values_s, "logprob"))
		values = HTR_VALUES_LOGPROB;
	else
		htr_cli_usage("-values must be logit, prob or logprob");
	if (fromcsv && record_spec)
		htr_cli_usage("-record does not go with -fromcsv");
	if (fromcsv) {
		from_csv(argc, argv, chars, blanklast, values, tags);
		return htr_cli_finish();
	}
	if (chars_spec || blanklast || values_spec)
		htr_cli_usage("-chars, -blanklast, -values and -tags go with "
		    "-fromcsv");

	/* output is held until every input has been read, so a damaged
	 * stream leaves stdout empty */
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	if (!out)
		htr_cli_fatal("out of memory");
	long rec = 0;
	for (int i = 1; i < argc || (i == 1 && argc == 1); i++) {
		const char *path = argc > 1 ? argv[i] : NULL;
		const char *name = htr_cli_name(path);
		FILE *f = htr_cli_open(path);
		struct htr_tensor t;
		int r;

		while ((r = htr_tensor_read(f, &t)) == 1) {
			struct htr_image im;

			if (record_spec && rec != (long)record) {
				/* not the record asked for */
			} else if (pgm) {
				int k = to_image(&im, &t);
				if (k < 0)
					htr_cli_die(name);
				if (k == 0 && htr_pgm_write(out, &im))
					htr_cli_die("stdout");
				if (k == 0)
					htr_image_free(&im);
			} else if (csv) {
				print_csv(out, &t);
			} else {
				print_info(out, rec, &t);
			}
			rec++;
			htr_tensor_free(&t);
		}
		if (r < 0) {
			/* say which record: a stream breaks in the middle */
			char what[512];
			snprintf(what, sizeof what, "%s: record %ld", name, rec);
			htr_cli_die(what);
		}
		if (f != stdin)
			fclose(f);
	}
	if (fclose(out) || fwrite(obuf, 1, olen, stdout) != olen)
		htr_cli_fatal("stdout: write error");
	free(obuf);
	return htr_cli_finish();
}
