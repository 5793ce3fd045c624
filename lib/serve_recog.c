/* serve_recog.c — the recognition seam of htr-serve (serve_recog.h):
 * names of decoders and formats, image probing, and the call into the
 * recognition pipeline.
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

struct htr_recog {
	char *path;
	struct htr_model *model;
	long size;                      /* bytes of the model file */
};

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

struct htr_recog *
htr_recog_open(const char *path)
{
	struct htr_recog *r;
	struct stat st;

	if (!(r = htr_zalloc(1, sizeof *r)))
		return NULL;
	if (!(r->path = strdup(path))) {
		free(r);
		htr_fail("out of memory");
		return NULL;
	}
	if (stat(path, &st)) {
		htr_fail("%s: model file: %s", path, strerror(errno));
		htr_recog_close(r);
		return NULL;
	}
	r->size = (long)st.st_size;
	if (!(r->model = htr_model_load(path))) {
		htr_recog_close(r);
		return NULL;
	}
	return r;
}

void
htr_recog_close(struct htr_recog *r)
{
	if (!r)
		return;
	htr_model_free(r->model);
	free(r->path);
	free(r);
}

char *
htr_recog_describe(const struct htr_recog *r)
{
	struct htr_json j;
	const char *prov = r->model->provenance;
	size_t nprov = strcspn(prov, "\n");

	htr_json_init(&j);
	htr_json_raw(&j, "{\"path\":");
	htr_json_str(&j, r->path);
	htr_json_printf(&j, ",\"size\":%ld,\"level\":", r->size);
	htr_json_str(&j, htr_level_name(r->model->level));
	htr_json_printf(&j, ",\"height\":%d,\"classes\":%d,\"provenance\":",
	    r->model->height, r->model->nclass);
	/* The first line of it: the full text can be long. */
	htr_json_strn(&j, prov, nprov);
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

int
htr_recog_available(void)
{
	return 0;
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
	if (!htr_recog_available()) {
		htr_image_free(&im);
		*status = HTR_RECOG_EUNAVAIL;
		return htr_fail("recognition is unavailable: this build of "
		    "htr-serve has no recognition pipeline (lib/pipeline.h)");
	}
	if (!r) {
		htr_image_free(&im);
		*status = HTR_RECOG_EUNAVAIL;
		return htr_fail("no model loaded");
	}
	htr_image_free(&im);
	*status = HTR_RECOG_EUNAVAIL;
	return htr_fail("recognition is unavailable");
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
