/* serve.c — htr-serve's HTTP server (serve.h): routes, request bodies,
 * limits, the JSON replies, and handing recognition to the worker pool.
 *
 * A POST /v1/recognize goes through these steps, all on libmicrohttpd's
 * one I/O thread except the recognition itself:
 *   1. headers: route and method (404, 405), Content-Type (415),
 *      Content-Length against max_body (413) before a byte is read;
 *   2. body: appended to a buffer that counts against the server-wide
 *      upload budget (503 when spent) and max_body (413 for chunked
 *      uploads that grow too long);
 *   3. complete body: the image is taken from the multipart field
 *      "image" or the raw body, options are checked (400), the image type
 *      (415) and pixel count (413) are read from its header;
 *   4. the request is queued for a worker (503 + Retry-After when the
 *      queue is full) and its connection suspended;
 *   5. the worker decodes the image from memory, recognises it, writes
 *      the JSON reply and resumes the connection, which sends it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "htr.h"
#include "recognize.h"
#include "serve.h"
#include "serve_json.h"
#include "serve_multipart.h"
#include "serve_pool.h"
#include "serve_recog.h"

#define MAX_PARTS     16
#define RETRY_AFTER   "1"       /* seconds, for 503 when busy */

enum route { R_NONE, R_PAGE, R_HEALTH, R_MODELS, R_RECOGNIZE };

struct htr_serve {
	struct htr_serve_config cfg;
	struct MHD_Daemon *mhd;
	struct htr_pool *pool;
	struct htr_recog *recog;        /* NULL: no model loaded */
	char *model_path;
	char model_err[512];
	char addr[80];
	size_t budget;                  /* bytes of uploads held at once */
	atomic_size_t buffered;
	atomic_long nrequest, nbusy;
	pthread_mutex_t mu;             /* guards stopping vs submitting */
	int stopping;
	double t_start;
};

struct request {
	struct htr_pool_job job;        /* first: the pool hands it back */
	struct htr_serve *srv;
	struct MHD_Connection *conn;
	double t0;
	unsigned char *body;            /* [cap], n used */
	size_t n, cap;
	size_t held;                    /* bytes of the upload budget held */
	int too_big, over_budget;
	size_t dropped;                 /* bytes discarded past the limit */
	const unsigned char *img;       /* the image inside body */
	size_t nimg;
	struct htr_recog_opts opts;
	double t_queued, ms_queue;
	int done;                       /* the worker has answered */
	int status;
	int retry;                      /* 503 for load: add Retry-After */
	char *reply;                    /* JSON */
	size_t nreply;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
logf_(struct htr_serve *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
logf_(struct htr_serve *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->cfg.log)
		return;
	va_start(ap, fmt);
	s->cfg.log(s->cfg.log_arg, fmt, ap);
	va_end(ap);
}

static void
mhd_log(void *arg, const char *fmt, va_list ap)
{
	struct htr_serve *s = arg;

	if (s->cfg.log)
		s->cfg.log(s->cfg.log_arg, fmt, ap);
}

void
htr_serve_defaults(struct htr_serve_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "127.0.0.1:8080";
	c->workers = 1;
	c->queue = 8;
	c->max_body = 20u << 20;
	c->max_pixels = HTR_MAX_PIXELS;
	c->timeout = 30;
	c->max_conn = 128;
	c->mix_weight = 0.7;
}

/* ------------------------------------------------------------ budget */

static int
hold(struct htr_serve *s, struct request *rq, size_t n)
{
	size_t old = atomic_fetch_add(&s->buffered, n);

	if (old + n > s->budget) {
		atomic_fetch_sub(&s->buffered, n);
		return -1;
	}
	rq->held += n;
	return 0;
}

static void
release_body(struct request *rq)
{
	free(rq->body);
	rq->body = NULL;
	rq->img = NULL;
	rq->n = rq->cap = rq->nimg = 0;
	atomic_fetch_sub(&rq->srv->buffered, rq->held);
	rq->held = 0;
}

/* ----------------------------------------------------------- replies */

static void
add_common_headers(struct MHD_Response *r, const char *ctype)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* Queues body (malloc'd, taken over; NULL = out of memory) as the reply. */
static enum MHD_Result
reply(struct htr_serve *s, struct MHD_Connection *c, const char *method,
    const char *url, double t0, int status, const char *ctype, char *body,
    size_t n, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (!body) {
		static char oom[] = "{\"error\": \"out of memory\"}\n";

		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		ctype = "application/json";
		r = MHD_create_response_from_buffer(strlen(oom), oom,
		    MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer_with_free_callback(n, body,
		    free);
	}
	if (!r) {
		free(body);
		return MHD_NO;
	}
	add_common_headers(r, ctype);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE && allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, allow);
	else if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	if (s->cfg.verbose || status >= 500)
		logf_(s, "%s %s %d %zu bytes %.1f ms\n", method, url, status,
		    n, now_ms() - t0);
	return rc;
}

/* A JSON error reply {"error": msg}.  For 503 'extra' is Retry-After,
 * for 405 it is Allow. */
static enum MHD_Result
reply_error(struct htr_serve *s, struct MHD_Connection *c,
    const char *method, const char *url, double t0, int status,
    const char *extra, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
static enum MHD_Result
reply_error(struct htr_serve *s, struct MHD_Connection *c,
    const char *method, const char *url, double t0, int status,
    const char *extra, const char *fmt, ...)
{
	struct htr_json j;
	char msg[1024];
	va_list ap;
	size_t n;
	char *body;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	htr_json_init(&j);
	htr_json_raw(&j, "{\"error\": ");
	htr_json_str(&j, msg);
	htr_json_printf(&j, ", \"status\": %d}\n", status);
	body = htr_json_take(&j, &n);
	if (s->cfg.verbose && status < 500)
		logf_(s, "%s %s: %s\n", method, url, msg);
	return reply(s, c, method, url, t0, status, "application/json", body,
	    n, extra);
}

/* ------------------------------------------------------------ routes */

static enum route
find_route(const char *url, const char **allow)
{
	*allow = "GET, HEAD";
	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		return R_PAGE;
	if (!strcmp(url, "/healthz"))
		return R_HEALTH;
	if (!strcmp(url, "/v1/models"))
		return R_MODELS;
	if (!strcmp(url, "/v1/recognize")) {
		*allow = "POST";
		return R_RECOGNIZE;
	}
	return R_NONE;
}

static enum MHD_Result
serve_page(struct htr_serve *s, struct MHD_Connection *c, const char *method,
    const char *url, double t0)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(htr_serve_page_len,
	    (void *)htr_serve_page, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_common_headers(r, "text/html; charset=utf-8");
	/* Everything the page needs is in it: forbid the rest. */
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; script-src 'unsafe-inline'; "
	    "style-src 'unsafe-inline'; img-src blob: data:; "
	    "connect-src 'self'; form-action 'none'; base-uri 'none'; "
	    "frame-ancestors 'none'");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	if (s->cfg.verbose)
		logf_(s, "%s %s 200 %zu bytes %.1f ms\n", method, url,
		    htr_serve_page_len, now_ms() - t0);
	return rc;
}

static enum MHD_Result
serve_health(struct htr_serve *s, struct MHD_Connection *c,
    const char *method, const char *url, double t0)
{
	struct htr_json j;
	int waiting, running, ready;
	char *body;
	size_t n;

	htr_pool_load(s->pool, &waiting, &running);
	ready = s->recog && htr_recog_available();
	htr_json_init(&j);
	htr_json_printf(&j, "{\"status\": \"%s\", \"model\": ",
	    ready ? "ok" : "unavailable");
	htr_json_str(&j, s->model_path);
	htr_json_printf(&j, ", \"model_loaded\": %s, \"recognition\": %s, "
	    "\"error\": ", s->recog ? "true" : "false",
	    htr_recog_available() ? "true" : "false");
	if (ready)
		htr_json_raw(&j, "null");
	else if (!htr_recog_available())
		htr_json_str(&j, "recognition is unavailable: this build of "
		    "htr-serve has no recognition pipeline (lib/pipeline.h)");
	else
		htr_json_str(&j, s->model_err);
	htr_json_printf(&j, ", \"workers\": %d, \"running\": %d, "
	    "\"queue_depth\": %d, \"queue_limit\": %d, \"requests\": %ld, "
	    "\"rejected_busy\": %ld, \"uptime_s\": %.0f}\n",
	    s->cfg.workers, running, waiting, s->cfg.queue,
	    atomic_load(&s->nrequest), atomic_load(&s->nbusy),
	    (now_ms() - s->t_start) / 1e3);
	body = htr_json_take(&j, &n);
	/* Load balancers read the status code: 503 until it can recognise. */
	return reply(s, c, method, url, t0, ready ? MHD_HTTP_OK :
	    MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body, n, NULL);
}

/* Adds every *.htrm in dir to j (comma-separated after *count entries),
 * skipping files whose real path is in seen [*nseen]. */
static void
list_dir(struct htr_serve *s, struct htr_json *j, const char *dir,
    char (*seen)[PATH_MAX], int *nseen, int maxseen, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], real[PATH_MAX];
		size_t len = strlen(e->d_name);
		struct stat st;
		int dup = 0, loaded;

		if (len < 6 || strcmp(e->d_name + len - 5, ".htrm"))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
		    (int)sizeof path || stat(path, &st) || !S_ISREG(st.st_mode)
		    || !realpath(path, real))
			continue;
		for (int i = 0; i < *nseen; i++)
			dup |= !strcmp(seen[i], real);
		if (dup || *nseen == maxseen)
			continue;
		strcpy(seen[(*nseen)++], real);
		loaded = 0;
		if (s->recog) {
			char lreal[PATH_MAX];

			loaded = realpath(s->model_path, lreal) &&
			    !strcmp(lreal, real);
		}
		htr_json_raw(j, *count ? ",\n  {\"name\": " : "\n  {\"name\": ");
		htr_json_strn(j, e->d_name, len - 5);
		htr_json_raw(j, ", \"path\": ");
		htr_json_str(j, path);
		htr_json_printf(j, ", \"size\": %lld, \"loaded\": %s",
		    (long long)st.st_size, loaded ? "true" : "false");
		if (loaded) {
			char *info = htr_recog_describe(s->recog);

			if (info) {
				htr_json_raw(j, ", \"info\": ");
				htr_json_raw(j, info);
				free(info);
			}
		}
		htr_json_raw(j, "}");
		(*count)++;
	}
	closedir(d);
}

static enum MHD_Result
serve_models(struct htr_serve *s, struct MHD_Connection *c,
    const char *method, const char *url, double t0)
{
	enum { MAXSEEN = 256 };
	static __thread char seen[MAXSEEN][PATH_MAX];
	struct htr_json j;
	int nseen = 0, count = 0;
	char dir[PATH_MAX], *slash;
	char *body;
	size_t n;

	htr_json_init(&j);
	htr_json_raw(&j, "{\"default\": ");
	htr_json_str(&j, s->model_path);
	htr_json_printf(&j, ", \"loaded\": %s, \"error\": ",
	    s->recog ? "true" : "false");
	if (s->recog)
		htr_json_raw(&j, "null");
	else
		htr_json_str(&j, s->model_err);
	htr_json_raw(&j, ", \"models\": [");
	snprintf(dir, sizeof dir, "%s", s->model_path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = 0;
		list_dir(s, &j, slash == dir ? "/" : dir, seen, &nseen,
		    MAXSEEN, &count);
	} else {
		list_dir(s, &j, ".", seen, &nseen, MAXSEEN, &count);
	}
	for (const char *const *d = s->cfg.model_dirs; d && *d; d++)
		list_dir(s, &j, *d, seen, &nseen, MAXSEEN, &count);
	htr_json_raw(&j, count ? "\n]}\n" : "]}\n");
	body = htr_json_take(&j, &n);
	return reply(s, c, method, url, t0, MHD_HTTP_OK, "application/json",
	    body, n, NULL);
}

/* ------------------------------------------------------- recognition */

static void
result_json(struct htr_json *j, const struct request *rq,
    const struct htr_recog_result *res, const char *model)
{
	const struct htr_recog_opts *o = &rq->opts;

	htr_json_printf(j, "{\"width\": %d, \"height\": %d, "
	    "\"box_width\": %d, \"box_height\": %d, \"model\": ",
	    res->width, res->height, res->box_width ? res->box_width :
	    res->width, res->box_height ? res->box_height : res->height);
	htr_json_str(j, model);
	htr_json_printf(j, ", \"decoder\": \"%s\", \"beam\": %d, "
	    "\"format\": \"%s\",\n \"text\": ",
	    htr_recog_decoder_name(o->decoder), o->beam,
	    htr_recog_format_name(o->format));
	htr_json_str(j, res->text ? res->text : "");
	htr_json_raw(j, ",\n \"lines\": [");
	for (int i = 0; i < res->nline; i++) {
		const struct htr_recog_line *l = &res->line[i];

		htr_json_raw(j, i ? ",\n  {\"text\": " : "\n  {\"text\": ");
		htr_json_str(j, l->text);
		htr_json_raw(j, ", \"box\": ");
		htr_json_box(j, l->box);
		htr_json_raw(j, ", \"conf\": ");
		htr_json_num(j, l->conf, 4);
		htr_json_raw(j, ", \"words\": [");
		for (int k = l->w0; k < l->w0 + l->nw; k++) {
			const struct htr_recog_word *w = &res->word[k];

			htr_json_raw(j, k > l->w0 ? ", {\"text\": " :
			    "{\"text\": ");
			htr_json_str(j, w->text);
			htr_json_raw(j, ", \"box\": ");
			htr_json_box(j, w->box);
			htr_json_raw(j, ", \"conf\": ");
			htr_json_num(j, w->conf, 4);
			htr_json_raw(j, "}");
		}
		htr_json_raw(j, "]}");
	}
	htr_json_raw(j, res->nline ? "\n ],\n" : "],\n");
	if (o->format != HTR_RECOG_JSON) {
		htr_json_raw(j, " \"output\": ");
		htr_json_strn(j, res->output ? res->output : "",
		    res->output ? res->noutput : 0);
		htr_json_raw(j, ", \"output_type\": ");
		htr_json_str(j, htr_recog_format_mime(o->format));
		htr_json_raw(j, ",\n");
	}
	htr_json_raw(j, " \"timing_ms\": {\"queue\": ");
	htr_json_num(j, rq->ms_queue, 2);
	htr_json_raw(j, ", \"image\": ");
	htr_json_num(j, res->ms_image, 2);
	htr_json_raw(j, ", \"prep\": ");
	htr_json_num(j, res->ms_prep, 2);
	htr_json_raw(j, ", \"segment\": ");
	htr_json_num(j, res->ms_segment, 2);
	htr_json_raw(j, ", \"recognize\": ");
	htr_json_num(j, res->ms_recognize, 2);
	htr_json_raw(j, ", \"decode\": ");
	htr_json_num(j, res->ms_decode, 2);
	htr_json_raw(j, ", \"total\": ");
	htr_json_num(j, now_ms() - rq->t0, 2);
	htr_json_raw(j, "}}\n");
}

/* Runs on a worker thread. */
static void
run_job(struct htr_pool_job *job)
{
	struct request *rq = (struct request *)job;
	struct htr_serve *s = rq->srv;
	struct htr_recog_result res;
	struct htr_json j;
	int status;

	rq->ms_queue = now_ms() - rq->t_queued;
	htr_json_init(&j);
	if (htr_recog_run(s->recog, rq->img, rq->nimg, &rq->opts, &res,
	    &status)) {
		char msg[1024];

		if (status == HTR_RECOG_EUNAVAIL && !s->recog &&
		    htr_recog_available())
			snprintf(msg, sizeof msg, "no model loaded: %s",
			    s->model_err);
		else
			snprintf(msg, sizeof msg, "%s", htr_errmsg());
		htr_json_raw(&j, "{\"error\": ");
		htr_json_str(&j, msg);
		htr_json_printf(&j, ", \"status\": %d}\n", status);
		rq->status = status;
	} else {
		result_json(&j, rq, &res, s->model_path);
		htr_recog_result_free(&res);
		rq->status = MHD_HTTP_OK;
	}
	rq->reply = htr_json_take(&j, &rq->nreply);
	release_body(rq);
	rq->done = 1;
	/* The connection owns rq from here on. */
	MHD_resume_connection(rq->conn);
}

/* Reads an option from the multipart fields or the query string into buf;
 * 1 if present, 0 if not, -1 (htr_fail) if too long. */
static int
get_option(struct MHD_Connection *c, const struct htr_mp_part *part,
    int npart, const char *name, char *buf, size_t n)
{
	const struct htr_mp_part *p = htr_mp_find(part, npart, name);
	const char *v;

	if (p) {
		if (p->len >= n)
			return htr_fail("field %s is too long", name);
		memcpy(buf, p->data, p->len);
		buf[p->len] = 0;
		return 1;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name))) {
		if (strlen(v) >= n)
			return htr_fail("parameter %s is too long", name);
		strcpy(buf, v);
		return 1;
	}
	return 0;
}

/* Fills rq->opts from fields and query; 0, or -1 (htr_fail). */
static int
parse_options(struct request *rq, struct MHD_Connection *c,
    const struct htr_mp_part *part, int npart)
{
	char v[32];
	int rc;

	htr_recog_defaults(&rq->opts);
	rq->opts.max_pixels = rq->srv->cfg.max_pixels;
	if ((rc = get_option(c, part, npart, "decoder", v, sizeof v)) < 0)
		return -1;
	if (rc && (rq->opts.decoder = htr_recog_decoder_parse(v)) < 0)
		return htr_fail("unknown decoder '%s' (best, beam or word)", v);
	if ((rc = get_option(c, part, npart, "format", v, sizeof v)) < 0)
		return -1;
	if (rc && (rq->opts.format = htr_recog_format_parse(v)) < 0)
		return htr_fail("unknown format '%s' (json, text, tsv, hocr "
		    "or alto)", v);
	if ((rc = get_option(c, part, npart, "beam", v, sizeof v)) < 0)
		return -1;
	if (rc) {
		char *end;
		long b;

		errno = 0;
		b = strtol(v, &end, 10);
		if (errno || end == v || *end || b < 1 ||
		    b > HTR_RECOG_BEAM_MAX)
			return htr_fail("beam must be an integer from 1 to %d",
			    HTR_RECOG_BEAM_MAX);
		rq->opts.beam = (int)b;
	}
	return 0;
}

/* The body is complete: check it and queue the job. */
static enum MHD_Result
recognize(struct htr_serve *s, struct request *rq, struct MHD_Connection *c,
    const char *method, const char *url)
{
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	struct htr_mp_part part[MAX_PARTS];
	int npart = 0, rc;
	long w, h;

	if (rq->too_big)
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_CONTENT_TOO_LARGE, NULL, "request body larger "
		    "than this server's limit of %zu bytes", s->cfg.max_body);
	if (rq->over_budget) {
		atomic_fetch_add(&s->nbusy, 1);
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_SERVICE_UNAVAILABLE, RETRY_AFTER, "server busy: "
		    "too many uploads in progress, retry later");
	}
	if (htr_mp_type_is(ctype, "multipart/form-data")) {
		char boundary[HTR_MP_BOUNDARY_MAX + 1];
		const struct htr_mp_part *img;

		if (htr_mp_param(ctype, "boundary", boundary, sizeof boundary)
		    || (npart = htr_mp_parse(part, MAX_PARTS, rq->body, rq->n,
		    boundary)) < 0)
			return reply_error(s, c, method, url, rq->t0,
			    MHD_HTTP_BAD_REQUEST, NULL, "bad multipart form: "
			    "%s", htr_errmsg());
		if (!(img = htr_mp_find(part, npart, "image")))
			return reply_error(s, c, method, url, rq->t0,
			    MHD_HTTP_BAD_REQUEST, NULL, "the form has no "
			    "field named 'image' (the file to recognise)");
		rq->img = img->data;
		rq->nimg = img->len;
	} else {
		rq->img = rq->body;
		rq->nimg = rq->n;
	}
	if (parse_options(rq, c, part, npart))
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_BAD_REQUEST, NULL, "%s", htr_errmsg());
	if (rq->nimg == 0)
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_BAD_REQUEST, NULL, "empty upload (no image data)");
	if (htr_recog_probe(rq->img, rq->nimg, &w, &h) < 0)
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL, "%s", htr_errmsg());
	if (w > 0 && h > 0 && (w > HTR_MAX_DIM || h > HTR_MAX_DIM ||
	    w * h > s->cfg.max_pixels))
		return reply_error(s, c, method, url, rq->t0,
		    MHD_HTTP_CONTENT_TOO_LARGE, NULL, "image of %ldx%ld pixels "
		    "is larger than this server's limit of %ld pixels (%d a "
		    "side)", w, h, s->cfg.max_pixels, HTR_MAX_DIM);
	/* Suspend before the worker can resume; undo if it is refused. */
	rq->job.run = run_job;
	rq->conn = c;
	rq->t_queued = now_ms();
	MHD_suspend_connection(c);
	pthread_mutex_lock(&s->mu);
	rc = s->stopping ? htr_fail("server is stopping") :
	    htr_pool_submit(s->pool, &rq->job);
	pthread_mutex_unlock(&s->mu);
	if (rc) {
		struct htr_json j;

		htr_json_init(&j);
		htr_json_raw(&j, "{\"error\": ");
		htr_json_printf(&j, "\"server busy: %s, retry later\", "
		    "\"status\": 503}\n", htr_errmsg());
		rq->reply = htr_json_take(&j, &rq->nreply);
		rq->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		rq->retry = 1;
		rq->done = 1;
		atomic_fetch_add(&s->nbusy, 1);
		release_body(rq);
		MHD_resume_connection(c);
	}
	return MHD_YES;
}

/* First call for POST /v1/recognize: checks the headers. */
static enum MHD_Result
recognize_start(struct htr_serve *s, struct MHD_Connection *c,
    const char *method, const char *url, double t0, void **con_cls)
{
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct request *rq;

	if (!ctype || !(htr_mp_type_is(ctype, "multipart/form-data") ||
	    htr_mp_type_is(ctype, "image/png") ||
	    htr_mp_type_is(ctype, "image/jpeg") ||
	    htr_mp_type_is(ctype, "image/x-portable-anymap") ||
	    htr_mp_type_is(ctype, "image/x-portable-graymap") ||
	    htr_mp_type_is(ctype, "image/x-portable-pixmap") ||
	    htr_mp_type_is(ctype, "image/x-portable-bitmap") ||
	    htr_mp_type_is(ctype, "image/x-portable-arbitrarymap") ||
	    htr_mp_type_is(ctype, "application/octet-stream")))
		return reply_error(s, c, method, url, t0,
		    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL, "Content-Type %s "
		    "not accepted: send multipart/form-data with a field "
		    "'image', or the image itself as image/png, image/jpeg, "
		    "image/x-portable-anymap or application/octet-stream",
		    ctype ? ctype : "missing");
	if (clen) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(clen, &end, 10);
		if (!errno && end != clen && v > s->cfg.max_body)
			return reply_error(s, c, method, url, t0,
			    MHD_HTTP_CONTENT_TOO_LARGE, NULL, "request body of "
			    "%llu bytes is larger than this server's limit of "
			    "%zu bytes", v, s->cfg.max_body);
	}
	if (!(rq = calloc(1, sizeof *rq)))
		return MHD_NO;
	rq->srv = s;
	rq->t0 = t0;
	if (clen) {
		size_t want = (size_t)strtoull(clen, NULL, 10);

		if (want > 0 && (hold(s, rq, want) ||
		    !(rq->body = malloc(want)))) {
			release_body(rq);
			free(rq);
			atomic_fetch_add(&s->nbusy, 1);
			return reply_error(s, c, method, url, t0,
			    MHD_HTTP_SERVICE_UNAVAILABLE, RETRY_AFTER, "server "
			    "busy: too many uploads in progress, retry later");
		}
		rq->cap = want;
	}
	*con_cls = rq;
	return MHD_YES;
}

/* Appends upload data to rq->body within the limits. */
static void
append(struct htr_serve *s, struct request *rq, const char *data, size_t n)
{
	if (rq->too_big || rq->over_budget)
		return;
	if (n > s->cfg.max_body - rq->n) {
		rq->too_big = 1;
		return;
	}
	if (rq->n + n > rq->cap) {
		size_t cap = rq->cap ? rq->cap : 65536;
		unsigned char *b;

		while (cap < rq->n + n)
			cap = cap > s->cfg.max_body / 2 ? s->cfg.max_body :
			    cap * 2;
		if (hold(s, rq, cap - rq->cap) ||
		    !(b = realloc(rq->body, cap))) {
			rq->over_budget = 1;
			return;
		}
		rq->body = b;
		rq->cap = cap;
	}
	memcpy(rq->body + rq->n, data, n);
	rq->n += n;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct htr_serve *s = cls;
	struct request *rq = *con_cls;
	const char *allow;
	enum route route;
	double t0;

	(void)version;
	if (rq) {
		if (rq->done) {
			enum MHD_Result rc = reply(s, c, method, url, rq->t0,
			    rq->status, "application/json", rq->reply,
			    rq->nreply, rq->retry ? RETRY_AFTER : NULL);

			rq->reply = NULL;       /* reply() took it */
			return rc;
		}
		if (*upload_data_size) {
			/* An upload past the limit is read and dropped, so
			 * that the client sees the 413; one that goes on and
			 * on is cut off. */
			if (rq->too_big || rq->over_budget) {
				rq->dropped += *upload_data_size;
				if (rq->dropped > s->cfg.max_body)
					return MHD_NO;
			}
			append(s, rq, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		return recognize(s, rq, c, method, url);
	}
	t0 = now_ms();
	atomic_fetch_add(&s->nrequest, 1);
	route = find_route(url, &allow);
	if (route == R_NONE)
		return reply_error(s, c, method, url, t0, MHD_HTTP_NOT_FOUND,
		    NULL, "no such path: %s (try /, /v1/recognize, /healthz "
		    "or /v1/models)", url);
	if (route == R_RECOGNIZE ? strcmp(method, "POST") :
	    strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_error(s, c, method, url, t0,
		    MHD_HTTP_METHOD_NOT_ALLOWED, allow, "method %s not "
		    "allowed on %s (allowed: %s)", method, url, allow);
	switch (route) {
	case R_PAGE:      return serve_page(s, c, method, url, t0);
	case R_HEALTH:    return serve_health(s, c, method, url, t0);
	case R_MODELS:    return serve_models(s, c, method, url, t0);
	default:          break;
	}
	return recognize_start(s, c, method, url, t0, con_cls);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!rq)
		return;
	release_body(rq);
	free(rq->reply);
	free(rq);
	*con_cls = NULL;
}

/* ------------------------------------------------------------- start */

/* Parses "ADDR:PORT" / "[ADDR6]:PORT" into ss.  0 or -1 (htr_fail). */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints, *ai;
	char *end;
	long p;
	int e;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return htr_fail("bad listen address '%s' (expected "
			    "[ADDR6]:PORT)", spec);
		if ((size_t)(close - spec - 1) >= sizeof host)
			return htr_fail("listen address too long");
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = 0;
		port = close + 2;
	} else {
		if (!(colon = strrchr(spec, ':')) || colon == spec)
			return htr_fail("bad listen address '%s' (expected "
			    "ADDR:PORT, e.g. 127.0.0.1:8080)", spec);
		if ((size_t)(colon - spec) >= sizeof host)
			return htr_fail("listen address too long");
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || end == port || *end || p < 0 || p > 65535)
		return htr_fail("bad port '%s' in listen address (0 to 65535)",
		    port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((e = getaddrinfo(host, port, &hints, &ai)))
		return htr_fail("listen address '%s': %s", host,
		    gai_strerror(e));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

struct htr_serve *
htr_serve_start(const struct htr_serve_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	struct htr_serve *s;
	unsigned flags;
	char host[INET6_ADDRSTRLEN];

	HTR_ASSERT(cfg->workers >= 1 && cfg->queue >= 0 && cfg->max_body > 0);
	if (parse_listen(cfg->listen, &ss, &sslen))
		return NULL;
	if (!(s = htr_zalloc(1, sizeof *s)))
		return NULL;
	s->cfg = *cfg;
	if (s->cfg.max_pixels <= 0 || s->cfg.max_pixels > HTR_MAX_PIXELS)
		s->cfg.max_pixels = HTR_MAX_PIXELS;
	s->budget = (size_t)(cfg->workers + cfg->queue + 2) * cfg->max_body;
	s->t_start = now_ms();
	pthread_mutex_init(&s->mu, NULL);
	{
		char def[PATH_MAX], lmdef[PATH_MAX];
		struct htr_recog_config rc = {
			.model = cfg->model, .argv0 = cfg->argv0,
			.corpus = cfg->corpus, .lm = cfg->lm,
			.mix = cfg->mix, .mix_weight = cfg->mix_weight,
			.nslot = cfg->workers
		};
		int found = 1;

		if (!cfg->model) {
			found = !htr_recog_default_model(def, sizeof def,
			    cfg->argv0);
			if (!found)
				snprintf(s->model_err, sizeof s->model_err,
				    "%s", htr_errmsg());
			rc.model = def;
		}
		/* beam search reads with the model's own LM (line.htrl
		 * beside line.htrm) unless -lm named one */
		if (found && !rc.lm && !htr_recognize_companion_lm(lmdef,
		    sizeof lmdef, rc.model, cfg->argv0))
			rc.lm = lmdef;
		if (!(s->model_path = strdup(rc.model))) {
			htr_fail("out of memory");
			goto fail;
		}
		if (found && !(s->recog = htr_recog_open(&rc)))
			snprintf(s->model_err, sizeof s->model_err, "%s",
			    htr_errmsg());
	}
	if (!(s->pool = htr_pool_create(cfg->workers, cfg->queue)))
		goto fail;
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_conn,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_END);
	if (!s->mhd) {
		htr_fail("cannot listen on %s (address in use, or not an "
		    "address of this machine?)", cfg->listen);
		goto fail;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof host);
		snprintf(s->addr, sizeof s->addr, "[%s]:%u", host,
		    info ? info->port : 0);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof host);
		snprintf(s->addr, sizeof s->addr, "%s:%u", host,
		    info ? info->port : 0);
	}
	return s;
fail:
	htr_pool_destroy(s->pool);
	htr_recog_close(s->recog);
	free(s->model_path);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

const char *
htr_serve_address(const struct htr_serve *s)
{
	return s->addr;
}

const char *
htr_serve_model_error(const struct htr_serve *s)
{
	return s->recog ? NULL : s->model_err;
}

void
htr_serve_stop(struct htr_serve *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_mutex_unlock(&s->mu);
	/* Every queued job runs and resumes its connection; only then may
	 * the daemon stop (it must not hold suspended connections). */
	MHD_socket ls = MHD_quiesce_daemon(s->mhd);

	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int waiting, running;

		htr_pool_load(s->pool, &waiting, &running);
		if (waiting + running == 0)
			break;
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->mhd);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);              /* quiesce handed it to us */
	htr_pool_destroy(s->pool);
	htr_recog_close(s->recog);
	free(s->model_path);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
