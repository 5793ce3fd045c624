/* htr-features — turns a stream of crops into tensor records: the network
 * input (kind=image, f32 [H][W]) or the profile features of a glyph
 * (kind=profile, f32 [2N]: N row sums then N column sums).  Tags are
 * kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "feat.h"
#include "htr.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "recognize.h"
#include "tensor.h"

enum { KIND_IMAGE, KIND_PROFILE };

struct opts {
	int kind;
	int height, width;      /* -height, -width (0: unset) */
	int length;             /* -length */
	const char *mpath;
	const char *argv0;
	struct htr_model *model;
};

/* Writes one record of data [d0] or [d0][d1] with kind and the crop's
 * tags. */
static int
write_record(float *data, int rank, int d0, int d1, const char *kind,
    const char *tags)
{
	struct htr_tensor t;
	char rest[HTR_TAG_MAX];
	int len;

	memset(&t, 0, sizeof t);
	t.dtype = HTR_F32;
	t.rank = rank;
	t.dim[0] = d0;
	t.dim[1] = rank > 1 ? d1 : 0;
	memcpy(rest, tags, sizeof rest);
	htr_tag_del(rest, "kind");
	len = snprintf(t.tags, sizeof t.tags, "kind=%s%s%s", kind,
	    *rest ? " " : "", rest);
	if (len < 0 || len >= (int)sizeof t.tags)
		return htr_fail("tags too long for a record");
	t.data = data;
	return htr_tensor_write(stdout, &t);
}

/* The image input of one crop: with a model exactly what htr-crnn feeds
 * it; else scaled to -height (and -width when given). */
static int
image_record(struct opts *o, const struct htr_image *im)
{
	struct htr_recognize_in in;
	struct htr_image s;
	int r;

	if (o->model) {
		if (htr_recognize_input(&in, o->model, im))
			return -1;
		r = write_record(in.x, 2, in.h, in.w, "image", im->tags);
		htr_recognize_in_free(&in);
		return r;
	}
	if (o->width > 0 ? htr_features_resize(&s, im, o->width, o->height) :
	    htr_features_scale(&s, im, o->height, 0))
		return -1;
	if (!(in.x = htr_alloc((size_t)s.w * s.h, sizeof *in.x))) {
		htr_image_free(&s);
		return -1;
	}
	htr_features_fill(in.x, &s, 0, 0);
	r = write_record(in.x, 2, s.h, s.w, "image", im->tags);
	free(in.x);
	htr_image_free(&s);
	return r;
}

static int
profile_record(struct opts *o, const struct htr_image *im)
{
	float *v = htr_alloc(2 * (size_t)o->length, sizeof *v);
	int r;

	if (!v)
		return -1;
	r = htr_features_profile(v, o->length, im);
	if (!r)
		r = write_record(v, 1, 2 * o->length, 0, "profile", im->tags);
	free(v);
	return r;
}

static void
process(struct opts *o, const char *path)
{
	const char *name = htr_cli_name(path);
	FILE *f = htr_cli_open(path);
	struct htr_image im;
	long rec = 0;
	int r;

	while ((r = htr_image_read(f, &im)) > 0) {
		rec++;
		if (o->kind == KIND_IMAGE && !o->height && !o->model) {
			/* the default model of the first crop's level */
			if (!(o->model = htr_recognize_load(NULL,
			    htr_recognize_level_of(im.tags), o->argv0)))
				htr_cli_die(NULL);
		}
		r = o->kind == KIND_IMAGE ? image_record(o, &im) :
		    profile_record(o, &im);
		htr_image_free(&im);
		if (r)
			htr_cli_fatal("%s: record %ld: %s", name, rec,
			    htr_errmsg());
	}
	if (r < 0)
		htr_cli_fatal("%s: record %ld: %s", name, rec + 1,
		    htr_errmsg());
	if (f != stdin)
		fclose(f);
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *kind = "image";
	HTR_CLI_OPTIONS;

	memset(&o, 0, sizeof o);
	o.length = 16;
	htr_cli_init("htr-features", "[-kind image|profile] [-m model.htrm | "
	    "-height N [-width N]] [-length N] [file ...]");
	OPTENT3(0, "kind", OPT_STRING, &kind, NULL, 0);
	OPTENT3(0, "m", OPT_STRING, &o.mpath, NULL, 0);
	OPTENT3(0, "height", OPT_INT, &o.height, NULL, 0);
	OPTENT3(0, "width", OPT_INT, &o.width, NULL, 0);
	OPTENT3(0, "length", OPT_INT, &o.length, NULL, 0);
	htr_cli_parse(&argc, argv, option_def);

	if (!strcmp(kind, "image"))
		o.kind = KIND_IMAGE;
	else if (!strcmp(kind, "profile"))
		o.kind = KIND_PROFILE;
	else
		htr_cli_usage("-kind must be image or profile, not '%s'",
		    kind);
	if (o.height < 0 || o.height > 4096 || o.width < 0 || o.width > 65535)
		htr_cli_usage("-height must be 1..4096, -width 1..65535");
	if (o.width && !o.height)
		htr_cli_usage("-width needs -height");
	if (o.mpath && o.height)
		htr_cli_usage("give -m or -height, not both");
	if (o.length < 1 || o.length > 4096)
		htr_cli_usage("-length must be 1..4096");
	if (o.kind == KIND_PROFILE && (o.mpath || o.height))
		htr_cli_usage("-m and -height are for -kind image");
	o.argv0 = argv[0];
	if (o.mpath && !(o.model = htr_model_load(o.mpath)))
		htr_cli_die(NULL);
	if (argc < 2)
		process(&o, NULL);
	for (int i = 1; i < argc; i++)
		process(&o, argv[i]);
	htr_model_free(o.model);
	return htr_cli_finish();
}
