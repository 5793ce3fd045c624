/* htr-prep — PNG, JPEG or PNM images in, preprocessed 8-bit PGM out, one
 * per input image: gray, ink dark on light, contrast normalised, deskewed
 * (see man/htr-prep.1 and lib/prep.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "htr.h"
#include "image.h"
#include "prep.h"

static const char usage[] =
    "[-invert auto|yes|no] [-[no]flatten] [-[no]normalize] "
    "[-binarize none|otsu|sauvola] [-window N] [-k F] [-[no]deskew] "
    "[-maxskew DEG] [-deslant] [-noborder] [-despeckle N] [-thin] "
    "[-height N | -scale F] [-verbose] [file]";

/* A pair of flags -x / -nox; both at once is a usage error. */
static int
onoff(const char *name, unsigned yes, unsigned no, int def)
{
	if (yes && no)
		htr_cli_usage("-%s and -no%s are exclusive", name, name);
	return yes ? 1 : no ? 0 : def;
}

static void
parse(int *argc, char **argv, struct htr_prep_opts *o, int *verbose)
{
	const char *invert = "auto", *binarize = "none";
	unsigned flat = 0, noflat = 0, norm = 0, nonorm = 0, desk = 0,
	    nodesk = 0, deslant = 0, noborder = 0, thin = 0, verb = 0,
	    invert_spec = 0, bin_spec = 0, window_spec = 0, k_spec = 0,
	    despeckle_spec = 0, height_spec = 0, scale_spec = 0, maxskew_spec = 0;
	int window = 0, despeckle = 0, height = 0;
	float k = 0, scale = 0, maxskew = 0;
	HTR_CLI_OPTIONS;

	OPTENT3(0, "invert",      OPT_STRING, &invert,    &invert_spec, 0);
	OPTENT3(0, "flatten",     OPT_FLAG,   NULL,       &flat,        0);
	OPTENT3(0, "noflatten",   OPT_FLAG,   NULL,       &noflat,      0);
	OPTENT3(0, "normalize",   OPT_FLAG,   NULL,       &norm,        0);
	OPTENT3(0, "nonormalize", OPT_FLAG,   NULL,       &nonorm,      0);
	OPTENT3(0, "binarize",    OPT_STRING, &binarize,  &bin_spec,    0);
	OPTENT3(0, "window",      OPT_INT,    &window,    &window_spec, 0);
	OPTENT3(0, "k",           OPT_FLOAT,  &k,         &k_spec,      0);
	OPTENT3(0, "deskew",      OPT_FLAG,   NULL,       &desk,        0);
	OPTENT3(0, "nodeskew",    OPT_FLAG,   NULL,       &nodesk,      0);
	OPTENT3(0, "maxskew",     OPT_FLOAT,  &maxskew,   &maxskew_spec, 0);
	OPTENT3(0, "deslant",     OPT_FLAG,   NULL,       &deslant,     0);
	OPTENT3(0, "noborder",    OPT_FLAG,   NULL,       &noborder,    0);
	OPTENT3(0, "despeckle",   OPT_INT,    &despeckle, &despeckle_spec, 0);
	OPTENT3(0, "thin",        OPT_FLAG,   NULL,       &thin,        0);
	OPTENT3(0, "height",      OPT_INT,    &height,    &height_spec, 0);
	OPTENT3(0, "scale",       OPT_FLOAT,  &scale,     &scale_spec,  0);
	OPTENT3(0, "verbose",     OPT_FLAG,   NULL,       &verb,        0);
	htr_cli_parse(argc, argv, option_def);

	htr_prep_defaults(o);
	if (!strcmp(invert, "auto"))
		o->invert = HTR_PREP_INVERT_AUTO;
	else if (!strcmp(invert, "yes"))
		o->invert = HTR_PREP_INVERT_YES;
	else if (!strcmp(invert, "no"))
		o->invert = HTR_PREP_INVERT_NO;
	else
		htr_cli_usage("-invert must be auto, yes or no, not '%s'", invert);
	if (!strcmp(binarize, "none"))
		o->binarize = HTR_PREP_BIN_NONE;
	else if (!strcmp(binarize, "otsu"))
		o->binarize = HTR_PREP_BIN_OTSU;
	else if (!strcmp(binarize, "sauvola"))
		o->binarize = HTR_PREP_BIN_SAUVOLA;
	else
		htr_cli_usage("-binarize must be none, otsu or sauvola, not '%s'",
		    binarize);
	o->flatten = onoff("flatten", flat, noflat, o->flatten);
	o->normalize = onoff("normalize", norm, nonorm, o->normalize);
	o->deskew = onoff("deskew", desk, nodesk, o->deskew);
	if (desk)
		o->deskew_min_height = 0;       /* lines too */
	o->deslant = deslant;
	o->border = noborder;
	o->thin = thin;
	if (window_spec) {
		if (window < 3 || window > 4095)
			htr_cli_usage("-window must be 3..4095, not %d", window);
		o->window = window;
	}
	if (k_spec) {
		if (!(k >= 0 && k <= 1))
			htr_cli_usage("-k must be 0..1, not %g", k);
		o->k = k;
	}
	if (maxskew_spec) {
		if (!(maxskew > 0 && maxskew <= 45))
			htr_cli_usage("-maxskew must be in (0, 45], not %g", maxskew);
		o->maxskew = maxskew;
	}
	if (despeckle_spec) {
		if (despeckle < 0)
			htr_cli_usage("-despeckle must be >= 0, not %d", despeckle);
		o->despeckle = despeckle;
	}
	if (height_spec && scale_spec)
		htr_cli_usage("-height and -scale are exclusive");
	if (height_spec) {
		if (height < 1 || height > HTR_MAX_DIM)
			htr_cli_usage("-height must be 1..%d, not %d", HTR_MAX_DIM,
			    height);
		o->height = height;
	}
	if (scale_spec) {
		if (!(scale > 0 && scale <= 16))
			htr_cli_usage("-scale must be in (0, 16], not %g", scale);
		o->scale = scale;
	}
	if (*argc > 2)
		htr_cli_usage("too many arguments");
	*verbose = verb;
}

/* An image without tags of its own gets src=<input name> page=<index in
 * the stream>; a name too long for a tag is shortened to its last
 * component. */
static int
set_tags(struct htr_image *im, const char *name, long n)
{
	const char *base = strrchr(name, '/');

	if (htr_tag_set(im->tags, "src", name) &&
	    (!base || htr_tag_set(im->tags, "src", base + 1)))
		return -1;
	return htr_tag_setf(im->tags, "page", "%ld", n);
}

int
main(int argc, char **argv)
{
	struct htr_prep_opts o;
	struct htr_image im;
	const char *path, *name;
	int verbose, rc;
	long n = 0;
	FILE *f;

	htr_cli_init("htr-prep", usage);
	parse(&argc, argv, &o, &verbose);
	path = argc > 1 ? argv[1] : NULL;
	name = htr_cli_name(path);
	f = htr_cli_open(path);
	while ((rc = htr_image_read(f, &im)) == 1) {
		struct htr_prep_info info;
		int w = im.w, h = im.h;

		if (!im.tags[0] && set_tags(&im, name, n))
			goto fail;
		if (htr_prep_run(&im, &o, &info))
			goto fail;
		if (verbose)
			fprintf(stderr, "%s: %s: page %ld: %dx%d -> %dx%d, "
			    "inverted %s, skew %.2f deg, slant %.2f deg, "
			    "threshold %d, border %d, speckles %d\n", htr_prog,
			    name, n, w, h, im.w, im.h, info.inverted ? "yes" : "no",
			    info.skew, info.slant, info.threshold, info.border,
			    info.speckles);
		if (htr_pgm_write(stdout, &im))
			htr_cli_die("stdout");
		htr_image_free(&im);
		n++;
	}
	if (rc < 0) {
		if (n > 0) {
			char what[64];
			snprintf(what, sizeof what, "page %ld", n);
			htr_fail_prefix(what);
		}
		htr_cli_die(name);
	}
	if (n == 0) {
		htr_fail("no image in the input (empty file)");
		htr_cli_die(name);
	}
	if (f != stdin)
		fclose(f);
	return htr_cli_finish();
fail:
	htr_image_free(&im);
	htr_cli_die(name);
}
