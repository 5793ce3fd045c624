/* serve_recog.c — the recognition seam of htr-serve (serve_recog.h):
 * names of decoders and formats, image probing, and the calls into the
 * recognition pipeline (lib/pipeline.h), one pipeline per worker.
 *
 * Images are decoded from memory with htr_image_read() on a FILE from
 * fmemopen(); nothing touches the disk.  libnetpbm keeps its error hooks
 * in global state, so PBM/PPM/PAM decoding (which goes through it) is
 * serialised with a mutex; PNG, JPEG and PGM decoding run in parallel.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "htr.h"
#include "image.h"
#include "model.h"
#include "serve_json.h"
#include "serve_recog.h"

static const char *const decoder_names[] = { "best", "beam", "word" };
static const char *const format_names[] = {
	"json", "text", "tsv", "hocr", "alto"
};
static const char *const format_mimes[] = {
	"application/json", "text/plain; charset=utf-8",
	"text/tab-separated-values; charset=utf-8",
	"text/html; charset=utf-8", "application/xml; charset=utf-8"
};

static pthread_mutex_t netpbm_lock = PTHREAD_MUTEX_INITIALIZER;

const char *
htr_recog_decoder_name(int d)
{
	HTR_ASSERT(d >= 0 && d < 3);
	return decoder_names[d];
}

int
htr_recog_decoder_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, decoder_names[i]))
			return i;
	/* Long names, as htr-ctcdecode spells them. */
	if (!strcmp(name, "bestpath") || !strcmp(name, "greedy"))
		return HTR_RECOG_BEST;
	if (!strcmp(name, "wordbeam") || !strcmp(name, "wbs"))
		return HTR_RECOG_WORD;
	return -1;
}

const char *
htr_recog_format_name(int f)
{
	HTR_ASSERT(f >= 0 && f < 5);
	return format_names[f];
}

int
htr_recog_format_parse(const char *name)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	if (!strcmp(name, "txt"))
		return HTR_RECOG_TEXT;
	return -1;
}

const char *
htr_recog_format_mime(int f)
{
	HTR_ASSERT(f >= 0 && f < 5);
	return format_mimes[f];
}

void
htr_recog_defaults(struct htr_recog_opts *o)
{
	o->decoder = HTR_RECOG_BEST;
	o->beam = 25;
	o->format = HTR_RECOG_JSON;
	o->max_pixels = HTR_MAX_PIXELS;
}

/* ------------------------------------------------------------ probing */

static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* Size from a JPEG's first frame header (SOFn); 0 if not found in data. */
static void
probe_jpeg(const unsigned char *d, size_t n, long *w, long *h)
{
	size_t i = 2;

	while (i + 4 <= n) {
		unsigned m;
		size_t len;

		if (d[i] != 0xFF)
			return;                 /* not at a marker: corrupt */
		m = d[i + 1];
		if (m == 0xFF) {                /* fill byte */
			i++;
			continue;
		}
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			i += 2;                 /* markers without length */
			continue;
		}
		len = (size_t)d[i + 2] << 8 | d[i + 3];
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 &&
		    m != 0xCC) {
			if (i + 9 > n)
				return;
			*h = (long)d[i + 5] << 8 | d[i + 6];
			*w = (long)d[i + 7] << 8 | d[i + 8];
			return;
		}
		if (m == 0xDA || m == 0xD9 || len < 2)
			return;                 /* scan data before a frame */
		i += 2 + len;
	}
}

/* Next decimal number of a PNM header at *i, skipping white space and
 * comments; -1 if there is none within the data. */
static long
pnm_number(const unsigned char *d, size_t n, size_t *i)
{
	long v = 0;
	int digits = 0;

	while (*i < n) {
		if (d[*i] == '#') {
			while (*i < n && d[*i] != '\n')
				(*i)++;
		} else if (d[*i] == ' ' || d[*i] == '\t' || d[*i] == '\n' ||
		    d[*i] == '\r') {
			(*i)++;
		} else {
			break;
		}
	}
	while (*i < n && d[*i] >= '0' && d[*i] <= '9' && digits < 10) {
		v = v * 10 + (d[*i] - '0');
		(*i)++;
		digits++;
	}
	return digits ? v : -1;
}

/* Size of a PAM (P7) from its WIDTH and HEIGHT header lines. */
static void
probe_pam(const unsigned char *d, size_t n, long *w, long *h)
{
	size_t i = 2;

	while (i < n) {
		size_t e = i;

		while (e < n && d[e] != '\n')
			e++;
		if (e - i >= 6 && !memcmp(d + i, "ENDHDR", 6))
			break;
		if (e - i > 6 && !memcmp(d + i, "WIDTH ", 6)) {
			size_t j = i + 6;
			*w = pnm_number(d, e, &j);
		} else if (e - i > 7 && !memcmp(d + i, "HEIGHT ", 7)) {
			size_t j = i + 7;
			*h = pnm_number(d, e, &j);
		}
		i = e + 1;
	}
	if (*w < 0 || *h < 0)
		*w = *h = 0;
}

int
htr_recog_probe(const unsigned char *d, size_t n, long *w, long *h)
{
	static const unsigned char png_sig[8] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'
	};

	*w = *h = 0;
	if (n >= 8 && !memcmp(d, png_sig, 8)) {
		if (n >= 24 && !memcmp(d + 12, "IHDR", 4)) {
			unsigned long pw = be32(d + 16), ph = be32(d + 20);

			/* PNG allows up to 2^31 - 1; keep it in a long. */
			*w = pw > 0x7FFFFFFFUL ? 0x7FFFFFFFL : (long)pw;
			*h = ph > 0x7FFFFFFFUL ? 0x7FFFFFFFL : (long)ph;
		}
		return HTR_IMG_PNG;
	}
	if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
		probe_jpeg(d, n, w, h);
		return HTR_IMG_JPEG;
	}
	if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' &&
	    (d[2] == ' ' || d[2] == '\t' || d[2] == '\n' || d[2] == '\r' ||
	    d[2] == '#')) {
		if (d[1] == '7') {
			probe_pam(d, n, w, h);
		} else {
			size_t i = 2;
			long pw = pnm_number(d, n, &i), ph = -1;

			if (pw >= 0)
				ph = pnm_number(d, n, &i);
			if (pw >= 0 && ph >= 0) {
				*w = pw;
				*h = ph;
			}
		}
		return HTR_IMG_PNM;
	}
	if (n == 0)
		return htr_fail("empty upload (no image data)");
	return htr_fail("not a PNG, JPEG or PNM image (the first bytes are "
	    "%s)", n >= 2 && d[0] == '<' ? "markup" :
	    n >= 4 && !memcmp(d, "%PDF", 4) ? "a PDF header" :
	    n >= 4 && !memcmp(d, "GIF8", 4) ? "a GIF header" :
	    n >= 4 && (!memcmp(d, "II*", 4) || !memcmp(d, "MM\0*", 4)) ?
	    "a TIFF header" : "unknown");
}

/* ------------------------------------------------------------- models */

#include "pipeline.h"
#include "recognize.h"
#include "transcript.h"

/* Pipelines kept per slot: a decoder and beam width each.  A request
 * whose decoder is not among them loads one, replacing the least
 * recently used. */
#define NCACHE 3

struct entry {
	struct htr_pipeline *p;
	int decoder, beam;
	unsigned long used;             /* tick of the last use, 0 = empty */
};

struct slot {
	int busy;
	struct entry e[NCACHE];
};

struct htr_recog {
	char *path, *corpus, *lm, *argv0, *mix;
	double mix_weight;
	long size;                      /* bytes of the model file */
	struct htr_model *model;        /* for describe() without pipeline */
	int nslot;
	struct slot *slot;              /* [nslot] */
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* a slot became free */
	unsigned long tick;
};

int
htr_recog_available(void)
{
	return 1;
}

int
htr_recog_default_model(char *path, size_t n, const char *argv0)
{
	char msg[1024];

	if (htr_recognize_find_model(path, n,
	    htr_recognize_default_model(HTR_LEVEL_LINE), argv0) == 0)
		return 0;
	snprintf(msg, sizeof msg, "%s", htr_errmsg());
	snprintf(path, n, "%s/%s", HTR_MODELDIR,
	    htr_recognize_default_model(HTR_LEVEL_LINE));
	return htr_fail("%s", msg);
}

static const int decode_method[] = {
	HTR_DECODE_BEST, HTR_DECODE_BEAM, HTR_DECODE_WORD
};

/* A pipeline for decoder d with beam width beam.  NULL (htr_fail). */
static struct htr_pipeline *
pipeline_new(const struct htr_recog *r, int d, int beam)
{
	struct htr_pipeline_opts o;

	htr_pipeline_defaults(&o);
	o.model = r->path;
	o.argv0 = r->argv0;
	o.mix = r->mix;
	o.mix_weight = r->mix_weight;
	/* a page reads as htr(1) reads it */
	o.min_conf = HTR_PAGE_MIN_CONF;
	o.doubt_conf = HTR_PAGE_DOUBT_CONF;
	o.decode.method = decode_method[d];
	o.decode.beam = beam;
	if (d == HTR_RECOG_BEAM && r->lm) {
		o.lm = r->lm;
		o.decode.bonus = HTR_COMPANION_LM_BONUS;
	}
	if (d == HTR_RECOG_WORD)
		o.corpus = r->corpus;
	return htr_pipeline_new(&o);
}

static char *
dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*err = 1;
	return d;
}

struct htr_recog *
htr_recog_open(const struct htr_recog_config *c)
{
	struct htr_recog *r;
	struct stat st;
	int err = 0;

	HTR_ASSERT(c->nslot >= 1);
	if (!(r = htr_zalloc(1, sizeof *r)))
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->path = dup_or_null(c->model, &err);
	r->corpus = dup_or_null(c->corpus, &err);
	r->lm = dup_or_null(c->lm, &err);
	r->argv0 = dup_or_null(c->argv0, &err);
	r->mix = dup_or_null(c->mix, &err);
	r->mix_weight = c->mix_weight;
	if (err || !c->model || !(r->slot = htr_zalloc((size_t)c->nslot,
	    sizeof *r->slot))) {
		if (err || c->model)
			htr_fail("out of memory");
		else
			htr_fail("no model file given");
		htr_recog_close(r);
		return NULL;
	}
	r->nslot = c->nslot;
	if (stat(c->model, &st)) {
		htr_fail("%s: model file: %s", c->model, strerror(errno));
		htr_recog_close(r);
		return NULL;
	}
	r->size = (long)st.st_size;
	/* Each slot gets its own copy of the network now, so that a bad
	 * model is found at start and no request waits for a load. */
	for (int i = 0; i < r->nslot; i++) {
		struct entry *e = &r->slot[i].e[0];

		if (!(e->p = pipeline_new(r, HTR_RECOG_BEST, 25))) {
			htr_recog_close(r);
			return NULL;
		}
		e->decoder = HTR_RECOG_BEST;
		e->beam = 25;
		e->used = ++r->tick;
	}
	return r;
}

void
htr_recog_close(struct htr_recog *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nslot; i++)
		for (int k = 0; k < NCACHE; k++)
			htr_pipeline_free(r->slot[i].e[k].p);
	htr_model_free(r->model);
	free(r->slot);
	free(r->path);
	free(r->corpus);
	free(r->lm);
	free(r->argv0);
	free(r->mix);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static const struct htr_model *
loaded_model(const struct htr_recog *r)
{
	return htr_pipeline_model(r->slot[0].e[0].p);
}

char *
htr_recog_describe(const struct htr_recog *r)
{
	const struct htr_model *m = loaded_model(r);
	struct htr_json j;
	const char *prov = m->provenance;
	size_t nprov = strcspn(prov, "\n");

	htr_json_init(&j);
	htr_json_raw(&j, "{\"path\": ");
	htr_json_str(&j, r->path);
	htr_json_printf(&j, ", \"size\": %ld, \"level\": ", r->size);
	htr_json_str(&j, htr_level_name(m->level));
	htr_json_printf(&j, ", \"height\": %d, \"classes\": %d, "
	    "\"provenance\": ", m->height, m->nclass);
	/* The first line of it: the full text can be long. */
	htr_json_strn(&j, prov, nprov);
	htr_json_raw(&j, ", \"dictionary\": ");
	htr_json_str(&j, r->corpus);
	htr_json_raw(&j, ", \"charlm\": ");
	htr_json_str(&j, r->lm);
	htr_json_raw(&j, ", \"mix\": ");
	htr_json_str(&j, r->mix);
	if (r->mix)
		htr_json_printf(&j, ", \"mix_weight\": %g", r->mix_weight);
	htr_json_raw(&j, "}");
	return htr_json_take(&j, NULL);
}

/* ---------------------------------------------------------- recognise */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Decodes the upload into im.  Returns 0 or -1 (htr_fail, *status). */
static int
decode_image(struct htr_image *im, const unsigned char *data, size_t len,
    const struct htr_recog_opts *o, int *status)
{
	long w, h;
	int type, rc, locked = 0;
	FILE *f;

	*status = HTR_RECOG_EBADIMAGE;
	if ((type = htr_recog_probe(data, len, &w, &h)) < 0)
		return -1;
	if (w > 0 && h > 0 && (w > HTR_MAX_DIM || h > HTR_MAX_DIM ||
	    w * h > o->max_pixels)) {
		*status = HTR_RECOG_ETOOLARGE;
		return htr_fail("image of %ldx%ld pixels is larger than this "
		    "server's limit of %ld pixels (%d a side)", w, h,
		    o->max_pixels, HTR_MAX_DIM);
	}
	/* fmemopen() wants a writable buffer type but "rb" never writes. */
	if (!(f = fmemopen((void *)data, len, "rb"))) {
		*status = HTR_RECOG_EINTERNAL;
		return htr_fail("fmemopen: %s", strerror(errno));
	}
	if (type == HTR_IMG_PNM && data[1] != '2' && data[1] != '5') {
		pthread_mutex_lock(&netpbm_lock);
		locked = 1;
	}
	rc = htr_image_read(f, im);
	if (locked)
		pthread_mutex_unlock(&netpbm_lock);
	fclose(f);
	if (rc == 0)
		return htr_fail("empty upload (no image data)");
	if (rc < 0)
		return htr_fail_prefix("cannot decode the image");
	if ((long)im->w * im->h > o->max_pixels) {
		*status = HTR_RECOG_ETOOLARGE;
		htr_fail("image of %dx%d pixels is larger than this server's "
		    "limit of %ld pixels", im->w, im->h, o->max_pixels);
		htr_image_free(im);
		return -1;
	}
	return 0;
}

/* Takes a free slot (there are as many as workers, so this does not wait
 * in htr-serve). */
static struct slot *
slot_get(struct htr_recog *r)
{
	pthread_mutex_lock(&r->mu);
	for (;;) {
		for (int i = 0; i < r->nslot; i++)
			if (!r->slot[i].busy) {
				r->slot[i].busy = 1;
				pthread_mutex_unlock(&r->mu);
				return &r->slot[i];
			}
		pthread_cond_wait(&r->cv, &r->mu);
	}
}

static void
slot_put(struct htr_recog *r, struct slot *s)
{
	pthread_mutex_lock(&r->mu);
	s->busy = 0;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The slot's pipeline for decoder d and beam width beam, loading it if
 * needed.  NULL (htr_fail, *status). */
static struct htr_pipeline *
slot_pipeline(struct htr_recog *r, struct slot *s, int d, int beam,
    int *status)
{
	struct entry *e, *lru = &s->e[0];
	unsigned long tick;

	if (d == HTR_RECOG_BEST)
		beam = 25;              /* unused by best path */
	pthread_mutex_lock(&r->mu);
	tick = ++r->tick;
	pthread_mutex_unlock(&r->mu);
	for (int k = 0; k < NCACHE; k++) {
		e = &s->e[k];
		if (e->p && e->decoder == d && e->beam == beam) {
			e->used = tick;
			return e->p;
		}
		if (e->used < lru->used)
			lru = e;
	}
	if (d == HTR_RECOG_WORD && !r->corpus) {
		*status = HTR_RECOG_EUNPROC;
		htr_fail("word beam search needs a dictionary: start "
		    "htr-serve with -corpus FILE");
		return NULL;
	}
	htr_pipeline_free(lru->p);
	memset(lru, 0, sizeof *lru);
	if (!(lru->p = pipeline_new(r, d, beam))) {
		*status = HTR_RECOG_EINTERNAL;
		return NULL;
	}
	lru->decoder = d;
	lru->beam = beam;
	lru->used = tick;
	return lru->p;
}

static char *
strdup_fail(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		htr_fail("out of memory");
	return d;
}

/* Copies the transcript of pr into res.  0 or -1 (htr_fail). */
static int
fill_result(struct htr_recog_result *res, struct htr_result *pr,
    const struct htr_recog_opts *o)
{
	static const int fmt[] = {
		-1, HTR_FORMAT_TEXT, HTR_FORMAT_TSV, HTR_FORMAT_HOCR,
		HTR_FORMAT_ALTO
	};
	const struct htr_transcript *tr = &pr->tr;

	/* the boxes are on the image as sent (pipeline.h: a deskewed
	 * page's are turned back onto it) */
	res->box_width = res->width;
	res->box_height = res->height;
	res->ms_prep = pr->info.t_prep * 1e3;
	res->ms_segment = pr->info.t_segment * 1e3;
	res->ms_recognize = pr->info.t_recognize * 1e3;
	res->ms_decode = pr->info.t_decode * 1e3;
	res->text = pr->text;
	pr->text = NULL;
	if (tr->nline > 0 && !(res->line = htr_zalloc((size_t)tr->nline,
	    sizeof *res->line)))
		return -1;
	if (tr->nword > 0 && !(res->word = htr_zalloc((size_t)tr->nword,
	    sizeof *res->word)))
		return -1;
	for (long i = 0; i < tr->nline; i++) {
		const struct htr_tline *tl = &tr->line[i];
		struct htr_recog_line *l = &res->line[i];

		if (!(l->text = strdup_fail(tl->text)))
			return -1;
		memcpy(l->box, tl->box, sizeof l->box);
		l->conf = tl->conf;
		l->w0 = (int)tl->w0;
		l->nw = (int)tl->nw;
		res->nline++;
	}
	for (long i = 0; i < tr->nword; i++) {
		const struct htr_tword *tw = &tr->word[i];
		struct htr_recog_word *w = &res->word[i];
		size_t len = 1, k = 0;

		for (long c = tw->c0; c < tw->c0 + tw->nc; c++)
			len += strlen(tr->ch[c].s);
		if (!(w->text = htr_alloc(len, 1)))
			return -1;
		for (long c = tw->c0; c < tw->c0 + tw->nc; c++) {
			size_t n = strlen(tr->ch[c].s);

			memcpy(w->text + k, tr->ch[c].s, n);
			k += n;
		}
		w->text[k] = 0;
		memcpy(w->box, tw->box, sizeof w->box);
		w->conf = tw->conf;
		res->nword++;
	}
	if (o->format != HTR_RECOG_JSON) {
		FILE *f = open_memstream(&res->output, &res->noutput);
		int rc;

		if (!f)
			return htr_fail("open_memstream: %s", strerror(errno));
		rc = htr_transcript_write(f, tr, fmt[o->format]);
		if (fclose(f) || rc)
			return rc ? -1 : htr_fail("cannot write the %s output",
			    htr_recog_format_name(o->format));
	}
	return 0;
}

int
htr_recog_run(struct htr_recog *r, const unsigned char *data, size_t len,
    const struct htr_recog_opts *o, struct htr_recog_result *res,
    int *status)
{
	struct htr_image im;
	double t0 = now_ms();

	memset(res, 0, sizeof *res);
	if (decode_image(&im, data, len, o, status))
		return -1;
	res->width = im.w;
	res->height = im.h;
	res->ms_image = now_ms() - t0;
	if (!r) {
		htr_image_free(&im);
		*status = HTR_RECOG_EUNAVAIL;
		return htr_fail("no model loaded");
	}
	{
		struct slot *s = slot_get(r);
		struct htr_pipeline *p;
		struct htr_result pr;
		int rc = -1;

		if ((p = slot_pipeline(r, s, o->decoder, o->beam, status))) {
			*status = HTR_RECOG_EINTERNAL;
			if (htr_pipeline_page(p, &pr, &im, "upload") == 0) {
				rc = fill_result(res, &pr, o);
				htr_result_free(&pr);
			}
		}
		slot_put(r, s);
		htr_image_free(&im);
		if (rc) {
			htr_recog_result_free(res);
			return -1;
		}
		res->ms_total = now_ms() - t0;
		return 0;
	}
}

void
htr_recog_result_free(struct htr_recog_result *res)
{
	for (int i = 0; i < res->nline; i++)
		free(res->line[i].text);
	for (int i = 0; i < res->nword; i++)
		free(res->word[i].text);
	free(res->line);
	free(res->word);
	free(res->text);
	free(res->output);
	memset(res, 0, sizeof *res);
}
