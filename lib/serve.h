/* serve.h — htr-serve's HTTP server: the upload page, the JSON API and the
 * worker pool that runs recognition in process (libmicrohttpd).
 *
 *   GET  /               the upload page (embedded, no external resources)
 *   POST /v1/recognize   an image (multipart field "image", or the raw
 *                        body) -> JSON lines, words, boxes, text, timings
 *   GET  /healthz        status, model loaded or not, queue depth
 *   GET  /v1/models      the model files found
 *
 * Every error is a JSON object {"error": "..."} with a 4xx/5xx status.
 * One libmicrohttpd thread does all network I/O; a request whose body is
 * complete and valid is queued for a worker (at most 'workers' run and
 * 'queue' wait; more get 503 with Retry-After) while its connection is
 * suspended.  Uploads stay in memory: each at most max_body bytes, all
 * together at most (workers + queue + 2) * max_body (more get 503).
 */
#ifndef HTR_SERVE_H
#define HTR_SERVE_H

#include <stdarg.h>
#include <stddef.h>

struct htr_serve_config {
	const char *listen;     /* "ADDR:PORT", "[ADDR6]:PORT"; port 0 = any */
	const char *model;      /* model file to load (may be missing);
	                         * NULL: the default line model */
	const char *argv0;      /* the program's argv[0], to find that */
	const char *corpus;     /* word beam search dictionary, or NULL */
	const char *lm;         /* character LM for beam search, or NULL */
	const char *mix;        /* second line model (an ensemble), or NULL */
	double mix_weight;      /* the model's share of the mix */
	const char *const *model_dirs;  /* NULL-terminated: listed in
	                                 * /v1/models besides the model's */
	int workers;            /* recognition threads, >= 1 */
	int queue;              /* requests that may wait, >= 0 */
	size_t max_body;        /* bytes of one request body */
	long max_pixels;        /* pixels of one image */
	unsigned timeout;       /* seconds a connection may stay idle */
	unsigned max_conn;      /* connections at once */
	/* Request log (one line per request) and server errors; NULL: none.
	 * Called from the server's threads. */
	void (*log)(void *arg, const char *fmt, va_list ap);
	void *log_arg;
	int verbose;            /* log every request, not just errors */
};

struct htr_serve;

void htr_serve_defaults(struct htr_serve_config *c);
/* Loads the model (a missing or bad one is reported by
 * htr_serve_model_error(), not fatal), starts the workers and listens.
 * Returns NULL (htr_fail) if the address is bad or taken. */
struct htr_serve *htr_serve_start(const struct htr_serve_config *c);
/* The address it listens on, e.g. "127.0.0.1:43117". */
const char *htr_serve_address(const struct htr_serve *s);
/* Why no model is loaded, or NULL if one is. */
const char *htr_serve_model_error(const struct htr_serve *s);
/* Stops taking requests, lets the queued ones finish, closes everything. */
void htr_serve_stop(struct htr_serve *s);

/* The embedded upload page (lib/serve_page.c, made from web/index.html). */
extern const unsigned char htr_serve_page[];
extern const size_t htr_serve_page_len;

#endif
