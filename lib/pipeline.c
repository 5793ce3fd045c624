/* pipeline.c — image to text in process (pipeline.h). */
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "clock.h"
#include "htr.h"
#include "lm.h"
#include "net.h"
#include "par.h"
#include "pipeline.h"
#include "recognize.h"
#include "segment.h"
#include "wordlm.h"

struct htr_pipeline {
	struct htr_model *model;
	struct htr_alphabet a;
	struct htr_charlm lm;
	struct htr_wordlm wlm;
	int havelm, havewlm;
	struct htr_pipeline_opts o;     /* file names are not kept */
	struct htr_decode_opts dec;
	/* copies of the model's network for the batch threads, made when
	 * first needed */
	struct htr_net *more[HTR_RECOGNIZE_MAXTHREADS - 1];
	int nmore;
	/* the ensemble's second model (opts mix) and its copies */
	struct htr_model *mix;
	struct htr_net *mixmore[HTR_RECOGNIZE_MAXTHREADS - 1];
	int nmixmore;
};

void
htr_pipeline_defaults(struct htr_pipeline_opts *o)
{
	memset(o, 0, sizeof *o);
	o->prep = 1;
	htr_prep_defaults(&o->prepopts);
	o->margin = -1;
	o->batch = HTR_RECOGNIZE_BATCH;
	o->batch_threads = 1;
	o->addk = 0.01;
	o->mix_weight = 0.7;
	htr_decode_defaults(&o->decode);
}

/* Reads a whole file (NUL-terminated).  NULL + htr_fail on error. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		htr_fail("%s: cannot open", path);
		return NULL;
	}
	if (!(buf = (char *)htr_read_all(f, SIZE_MAX - 2, len)))
		htr_fail_prefix(path);
	fclose(f);
	return buf;
}

static int
load_lms(struct htr_pipeline *p, const struct htr_pipeline_opts *o)
{
	if (o->lm) {
		FILE *f = fopen(o->lm, "rb");
		int r;

		if (!f)
			return htr_fail("%s: cannot open", o->lm);
		r = htr_charlm_read(f, &p->lm);
		fclose(f);
		if (r)
			return htr_fail_prefix(o->lm);
		p->havelm = 1;
		p->dec.lm = &p->lm;
	}
	if (p->dec.method == HTR_DECODE_WORD && !o->corpus)
		return htr_fail("word beam search needs a corpus (a text "
		    "file whose words make the dictionary)");
	if (o->corpus) {
		char *corpus, *wc = NULL;
		size_t len, wclen = 0;
		int r;

		if (!(corpus = slurp(o->corpus, &len)))
			return -1;
		if (o->wordchars && !(wc = slurp(o->wordchars, &wclen))) {
			free(corpus);
			return -1;
		}
		r = htr_wordlm_build(&p->wlm, corpus, len,
		    wc ? wc : o->wordcharlist, wc ? wclen : o->wordcharlist ?
		    strlen(o->wordcharlist) : 0, &p->a, o->addk);
		free(corpus);
		free(wc);
		if (r)
			return htr_fail_prefix(o->corpus);
		p->havewlm = 1;
		p->dec.wlm = &p->wlm;
	}
	return 0;
}

struct htr_pipeline *
htr_pipeline_new(const struct htr_pipeline_opts *o)
{
	struct htr_pipeline *p = htr_zalloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->o = *o;
	p->o.model = p->o.argv0 = p->o.lm = p->o.corpus = p->o.wordchars =
	    p->o.wordcharlist = p->o.mix = NULL;
	p->dec = o->decode;
	p->dec.lm = NULL;
	p->dec.wlm = NULL;
	if (o->batch < 1) {
		htr_fail("batch size %d (at least 1)", o->batch);
		goto fail;
	}
	if (!(p->model = htr_recognize_load(o->model, HTR_LEVEL_LINE,
	    o->argv0)))
		goto fail;
	if (!htr_net_is_ctc(p->model->net)) {
		htr_fail("%s: a classifier of single characters (%s level), "
		    "not a line model: run htr-segment -level char | htr-crnn",
		    o->model ? o->model : "default model",
		    htr_level_name(p->model->level));
		goto fail_model;
	}
	if (htr_alphabet_init(&p->a, (const char *const *)p->model->alphabet,
	    p->model->nclass)) {
		htr_fail_prefix("model alphabet");
		goto fail_model;
	}
	if (o->mix && !(o->mix_weight >= 0 && o->mix_weight <= 1)) {
		htr_fail("mix weight %g (0 to 1)", o->mix_weight);
		htr_pipeline_free(p);
		return NULL;
	}
	if (o->mix && (!(p->mix = htr_model_load(o->mix)) ||
	    htr_recognize_mixable(p->model, p->mix, o->mix))) {
		htr_pipeline_free(p);
		return NULL;
	}
	if (load_lms(p, o)) {
		htr_pipeline_free(p);
		return NULL;
	}
	return p;
fail_model:
	htr_model_free(p->model);
fail:
	free(p);
	return NULL;
}

void
htr_pipeline_free(struct htr_pipeline *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nmore; i++)
		htr_net_free(p->more[i]);
	for (int i = 0; i < p->nmixmore; i++)
		htr_net_free(p->mixmore[i]);
	htr_model_free(p->mix);
	if (p->havewlm)
		htr_wordlm_free(&p->wlm);
	if (p->havelm)
		htr_charlm_free(&p->lm);
	if (p->a.sym)
		htr_alphabet_free(&p->a);
	htr_model_free(p->model);
	free(p);
}

const struct htr_model *
htr_pipeline_model(const struct htr_pipeline *p)
{
	return p->model;
}

/* Turns the preprocessed page into recognition inputs: the whole page as
 * one line, or its segmented lines.  *in is malloc'd [*n]; with an
 * ensemble *in2 too, the same crops as the mix model's inputs. */
static int
make_inputs(struct htr_pipeline *p, struct htr_recognize_in **in,
    struct htr_recognize_in **in2, int *n, const struct htr_image *pg,
    const char *src, long pageno)
{
	struct htr_segment s;
	int margin, nl;

	*in = *in2 = NULL;
	*n = 0;
	memset(&s, 0, sizeof s);
	if (!p->o.line && htr_segment_page(&s, pg, HTR_SEGMENT_LINE,
	    p->o.doubt_conf > 0))
		return -1;
	nl = p->o.line ? 1 : s.nline;
	margin = p->o.margin >= 0 ? p->o.margin : (int)(s.height / 8 + 0.5);
	if (nl > 0 && (!(*in = htr_zalloc((size_t)nl, sizeof **in)) ||
	    (p->mix && !(*in2 = htr_zalloc((size_t)nl, sizeof **in2)))))
		goto fail;
	for (int i = 0; i < nl; i++) {
		struct htr_image crop;
		int r;

		if (p->o.line) {
			/* the whole image is the line (a shallow copy) */
			crop = *pg;
			snprintf(crop.tags, sizeof crop.tags,
			    "line=0 box=0,0,%d,%d", pg->w, pg->h);
		} else if (htr_segment_crop(&crop, &s, pg, &s.lines[i], margin))
			goto fail;
		r = htr_segment_crop_tags(crop.tags, src, pageno, pg->tags) ||
		    htr_recognize_input(&(*in)[i], p->model, &crop);
		if (!r && p->mix && htr_recognize_input(&(*in2)[i], p->mix,
		    &crop)) {
			htr_recognize_in_free(&(*in)[i]);
			r = -1;
		}
		if (!p->o.line)
			htr_image_free(&crop);
		if (r) {
			htr_fail_prefix("line crop");
			goto fail;
		}
		*n = i + 1;
	}
	htr_segment_free(&s);
	return 0;
fail:
	for (int i = 0; i < *n; i++) {
		htr_recognize_in_free(&(*in)[i]);
		if (*in2)
			htr_recognize_in_free(&(*in2)[i]);
	}
	free(*in);
	free(*in2);
	*in = *in2 = NULL;
	*n = 0;
	htr_segment_free(&s);
	return -1;
}

/* Makes the copies of a network that the batch threads need: one per
 * OpenBLAS thread beyond the first (more[*nmore..]).  0 or -1. */
static int
more_nets(const struct htr_pipeline *p, const struct htr_net *net,
    struct htr_net **more, int *nmore)
{
	int want = p->o.batch_threads ? htr_par_threads() - 1 : 0;

	if (want > HTR_RECOGNIZE_MAXTHREADS - 1)
		want = HTR_RECOGNIZE_MAXTHREADS - 1;
	while (*nmore < want) {
		if (!(more[*nmore] = htr_net_clone(net)))
			return -1;
		(*nmore)++;
	}
	return 0;
}

/* Runs the model over in[0..n-1] into out, and with an ensemble the mix
 * model over in2 (its outputs mixed into out).  0 or -1. */
static int
recognize(struct htr_pipeline *p, struct htr_recognize_out *out,
    const struct htr_recognize_in *in, const struct htr_recognize_in *in2,
    int n)
{
	struct htr_recognize_out *out2 = NULL;
	int r = -1, ran = 0;

	if (more_nets(p, p->model->net, p->more, &p->nmore) ||
	    htr_recognize_run_threads(out, p->model, p->more, p->nmore, in, n,
	    p->o.batch))
		return -1;
	if (!p->mix)
		return 0;
	if (!(out2 = htr_zalloc((size_t)n, sizeof *out2)) ||
	    more_nets(p, p->mix->net, p->mixmore, &p->nmixmore) ||
	    htr_recognize_run_threads(out2, p->mix, p->mixmore, p->nmixmore,
	    in2, n, p->o.batch))
		goto done;
	ran = 1;
	r = 0;
	for (int i = 0; i < n && r == 0; i++)
		r = htr_recognize_mix(&out[i], &out2[i], p->o.mix_weight);
done:
	for (int i = 0; i < n && ran; i++)
		htr_recognize_out_free(&out2[i]);
	free(out2);
	if (r)
		for (int i = 0; i < n; i++)
			htr_recognize_out_free(&out[i]);
	return r;
}

struct decodek {
	const struct htr_pipeline *p;
	const struct htr_recognize_out *out;
	struct htr_decoded *d;
	int *rc;
	char (*msg)[256];
};

static void
decode_chunk(void *ctx, size_t lo, size_t hi)
{
	struct decodek *k = ctx;

	for (size_t i = lo; i < hi; i++) {
		const struct htr_recognize_out *o = &k->out[i];

		k->rc[i] = htr_decode(&k->d[i], o->lp, o->T, o->C, &k->p->a,
		    &k->p->dec);
		if (k->rc[i])   /* the error is this thread's: keep it */
			snprintf(k->msg[i], sizeof k->msg[i], "%s",
			    htr_errmsg());
	}
}

/* Decodes the n lines of out on the cores OpenBLAS uses (beam search
 * with a language model costs as much as the network), then adds them
 * to tr in order.  0 or -1. */
static int
decode_lines(const struct htr_pipeline *p, struct htr_transcript *tr,
    const struct htr_recognize_out *out, int n)
{
	struct decodek k = { p, out, NULL, NULL, NULL };
	int r = 0;

	if (n == 0)
		return 0;
	k.d = htr_zalloc((size_t)n, sizeof *k.d);
	k.rc = htr_zalloc((size_t)n, sizeof *k.rc);
	k.msg = htr_zalloc((size_t)n, sizeof *k.msg);
	if (!k.d || !k.rc || !k.msg) {
		r = -1;
		goto done;
	}
	/* best path is too cheap to be worth a thread */
	htr_par_for((size_t)n, p->dec.method == HTR_DECODE_BEST ? 1 : 1u << 20,
	    decode_chunk, &k);
	for (int i = 0; i < n && r == 0; i++) {
		if (k.rc[i]) {
			r = htr_fail("%s", k.msg[i]);
			break;
		}
		if (!p->o.line && !htr_decoded_keep(&k.d[i], out[i].tags,
		    p->o.min_conf, p->o.doubt_conf))
			continue;   /* a stamp or scribble read as gibberish */
		r = htr_transcript_add(tr, out[i].tags, &k.d[i], &p->a,
		    out[i].T);
	}
done:
	for (int i = 0; i < n && k.d; i++)
		if (k.rc && !k.rc[i])
			htr_decoded_free(&k.d[i]);
	free(k.d);
	free(k.rc);
	free(k.msg);
	return r;
}

int
htr_pipeline_add(struct htr_pipeline *p, struct htr_transcript *tr,
    const struct htr_image *image, const char *src, long pageno,
    struct htr_pipeline_info *info)
{
	struct htr_pipeline_info nfo;
	struct htr_prep_info pinfo;
	struct htr_recognize_in *in = NULL, *in2 = NULL;
	struct htr_recognize_out *out = NULL;
	struct htr_image pg;
	double t0 = htr_clock_seconds(), t1, t2, t3;
	double c0 = htr_clock_cpu_seconds(), c1, c2, c3;
	int n = 0, r = -1;

	memset(&nfo, 0, sizeof nfo);
	memset(&pinfo, 0, sizeof pinfo);
	if (htr_image_init(&pg, image->w, image->h, 0))
		return -1;
	memcpy(pg.pix, image->pix, (size_t)image->w * image->h);
	memcpy(pg.tags, image->tags, sizeof pg.tags);
	/* A page is segmented without the contrast stretch: stretching a
	 * page of pale writing darkens its faint strokes and paper grain
	 * until htr-segment's binarisation joins letters and lines into
	 * large blobs and misjudges the glyph height (page AN_0118-0: 70 ->
	 * 96 px, 22 -> 7 lines found).  Page CER on 55 train writers' pages
	 * 16.1 -> 14.5 %, on the 16 valid pages 21.7 -> 22.3 %
	 * (bench/pageprep.sh, session 7's line model).  A line image keeps
	 * it, as htr-prep's default. */
	struct htr_prep_opts po = p->o.prepopts;
	if (!p->o.line)
		po.normalize = 0;
	if (p->o.prep && htr_prep_run(&pg, &po, &pinfo))
		goto done;
	nfo.w = pg.w;
	nfo.h = pg.h;
	nfo.skew = pinfo.skew;
	nfo.inverted = pinfo.inverted;
	t1 = htr_clock_seconds();
	c1 = htr_clock_cpu_seconds();
	if (make_inputs(p, &in, &in2, &n, &pg, src, pageno))
		goto done;
	t2 = htr_clock_seconds();
	c2 = htr_clock_cpu_seconds();
	if (n > 0 && !(out = htr_alloc((size_t)n, sizeof *out)))
		goto done;
	if (n > 0 && recognize(p, out, in, in2, n)) {
		free(out);
		out = NULL;
		goto done;
	}
	t3 = htr_clock_seconds();
	c3 = htr_clock_cpu_seconds();
	r = decode_lines(p, tr, out, n);
	nfo.nline = n;
	nfo.t_prep = t1 - t0;
	nfo.t_segment = t2 - t1;
	nfo.t_recognize = t3 - t2;
	nfo.t_total = htr_clock_seconds() - t0;
	nfo.t_decode = nfo.t_total - (t3 - t0);
	nfo.c_prep = c1 - c0;
	nfo.c_segment = c2 - c1;
	nfo.c_recognize = c3 - c2;
	nfo.c_total = htr_clock_cpu_seconds() - c0;
	nfo.c_decode = nfo.c_total - (c3 - c0);
done:
	for (int i = 0; i < n; i++) {
		htr_recognize_in_free(&in[i]);
		if (in2)
			htr_recognize_in_free(&in2[i]);
		if (out)
			htr_recognize_out_free(&out[i]);
	}
	free(in);
	free(in2);
	free(out);
	htr_image_free(&pg);
	if (info)
		*info = nfo;
	return r;
}

int
htr_pipeline_page(struct htr_pipeline *p, struct htr_result *r,
    const struct htr_image *image, const char *src)
{
	size_t len = 1;
	char *s;

	memset(r, 0, sizeof *r);
	htr_transcript_init(&r->tr);
	if (htr_pipeline_add(p, &r->tr, image, src, 0, &r->info))
		goto fail;
	for (long i = 0; i < r->tr.nline; i++)
		len += strlen(r->tr.line[i].text) + 1;
	if (!(r->text = s = htr_alloc(len, 1)))
		goto fail;
	for (long i = 0; i < r->tr.nline; i++) {
		size_t k = strlen(r->tr.line[i].text);

		memcpy(s, r->tr.line[i].text, k);
		s[k] = '\n';
		s += k + 1;
	}
	*s = '\0';
	return 0;
fail:
	htr_transcript_free(&r->tr);
	memset(r, 0, sizeof *r);
	return -1;
}

void
htr_result_free(struct htr_result *r)
{
	if (!r)
		return;
	htr_transcript_free(&r->tr);
	free(r->text);
	r->text = NULL;
}
