/* test_serve.c — htr-serve's library parts: JSON writing, Content-Type
 * and multipart parsing, the bounded worker pool, image probing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htr.h"
#include "serve_json.h"
#include "serve_multipart.h"
#include "serve_pool.h"
#include "serve_recog.h"
#include "t.h"

static void
test_json(void)
{
	struct htr_json j;
	char *s;
	size_t n;
	int box[4] = { 1, -2, 30, 40 };

	htr_json_init(&j);
	htr_json_raw(&j, "{\"a\": ");
	htr_json_str(&j, "q\"b\\s\n\t\x01\x7f é €");
	htr_json_raw(&j, ", \"bad\": ");
	/* A lone continuation byte, a truncated 3-byte sequence, an
	 * overlong '/', a surrogate: each becomes U+FFFD. */
	htr_json_str(&j, "x\x80y\xE2\x82z\xC0\xAF\xED\xA0\x80");
	htr_json_raw(&j, ", \"n\": [");
	htr_json_num(&j, 0.5, 3);
	htr_json_raw(&j, ",");
	htr_json_num(&j, 12, 3);
	htr_json_raw(&j, ",");
	htr_json_num(&j, 0.0 / 0.0, 3);
	htr_json_raw(&j, ",");
	htr_json_num(&j, 1.0 / 0.0, 3);
	htr_json_raw(&j, "], \"box\": ");
	htr_json_box(&j, box);
	htr_json_printf(&j, ", \"k\": %d}", 7);
	htr_json_raw(&j, "");
	s = htr_json_take(&j, &n);
	CHECK(s != NULL);
	CHECKF(s && !strcmp(s, "{\"a\": \"q\\\"b\\\\s\\n\\t\\u0001\\u007f "
	    "é €\", \"bad\": \"x\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBDz"
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\", "
	    "\"n\": [0.500,12,null,null], \"box\": [1,-2,30,40], \"k\": 7}"),
	    "got %s", s ? s : "NULL");
	CHECK(s && n == strlen(s));
	CHECK(j.s == NULL && j.n == 0);
	free(s);
	/* Empty buffer still gives a string. */
	s = htr_json_take(&j, &n);
	CHECK(s && n == 0 && s[0] == 0);
	free(s);
	/* A failed allocation poisons the buffer; take reports it. */
	htr_json_raw(&j, "x");
	j.oom = 1;
	htr_json_raw(&j, "y");
	CHECK(htr_json_take(&j, &n) == NULL);
	CHECK(strstr(htr_errmsg(), "out of memory") != NULL);
	/* Embedded NUL with strn is escaped, not a terminator. */
	htr_json_strn(&j, "a\0b", 3);
	s = htr_json_take(&j, NULL);
	CHECK(s && !strcmp(s, "\"a\\u0000b\""));
	free(s);
}

static void
test_ctype(void)
{
	char b[80];

	CHECK(htr_mp_type_is("multipart/form-data; boundary=x",
	    "multipart/form-data"));
	CHECK(htr_mp_type_is("  Image/PNG", "image/png"));
	CHECK(!htr_mp_type_is("image/pngx", "image/png"));
	CHECK(!htr_mp_type_is("image/pn", "image/png"));
	CHECK(!htr_mp_type_is(NULL, "image/png"));
	CHECK(htr_mp_param("multipart/form-data; boundary=abc", "boundary",
	    b, sizeof b) == 0 && !strcmp(b, "abc"));
	CHECK(htr_mp_param("multipart/form-data;charset=x; BOUNDARY=\"a b;c\"",
	    "boundary", b, sizeof b) == 0 && !strcmp(b, "a b;c"));
	/* A quoted ';' does not start a parameter. */
	CHECK(htr_mp_param("form-data; filename=\"x; name=evil\"; name=img",
	    "name", b, sizeof b) == 0 && !strcmp(b, "img"));
	CHECK(htr_mp_param("multipart/form-data", "boundary", b, sizeof b)
	    == -1);
	CHECK(strstr(htr_errmsg(), "no boundary") != NULL);
	CHECK(htr_mp_param("x; boundary=\"abc", "boundary", b, sizeof b) == -1);
	CHECK(htr_mp_param("x; boundary=", "boundary", b, sizeof b) == -1);
	CHECK(htr_mp_param("x; boundary=abcdef", "boundary", b, 4) == -1);
	CHECK(strstr(htr_errmsg(), "too long") != NULL);
}

static const char form[] =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n--XyZnot-a-boundary\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=decoder\r\n"
    "\r\n"
    "beam\r\n"
    "--XyZ--\r\n"
    "epilogue";

static void
test_multipart(void)
{
	struct htr_mp_part p[4];
	const struct htr_mp_part *q;
	const unsigned char *b = (const unsigned char *)form;
	size_t n = sizeof form - 1;
	int np;

	np = htr_mp_parse(p, 4, b, n, "XyZ");
	CHECKF(np == 2, "np %d: %s", np, htr_errmsg());
	if (np == 2) {
		CHECK(!strcmp(p[0].name, "image"));
		CHECK(!strcmp(p[0].filename, "a.png"));
		CHECK(!strcmp(p[0].type, "image/png"));
		CHECK(p[0].len == 25 && !memcmp(p[0].data, "\x89PNG\r\n--XyZnot",
		    14));
		CHECK(!strcmp(p[1].name, "decoder") && p[1].filename[0] == 0);
		CHECK(p[1].len == 4 && !memcmp(p[1].data, "beam", 4));
		q = htr_mp_find(p, np, "decoder");
		CHECK(q == &p[1]);
		CHECK(htr_mp_find(p, np, "format") == NULL);
	}
	/* Body that starts with the delimiter (no preamble). */
	np = htr_mp_parse(p, 4, b + 10, n - 10, "XyZ");
	CHECK(np == 2);
	/* Every truncation is an error, never a part cut short. */
	for (size_t k = 0; k < n - 10; k++) {
		np = htr_mp_parse(p, 4, b, k, "XyZ");
		CHECKF(np < 0, "truncated at %zu gave %d parts", k, np);
	}
	CHECK(htr_mp_parse(p, 4, b, n, "other") == -1);
	CHECK(strstr(htr_errmsg(), "no multipart boundary") != NULL);
	CHECK(htr_mp_parse(p, 1, b, n, "XyZ") == -1);
	CHECK(strstr(htr_errmsg(), "more than 1 parts") != NULL);
	CHECK(htr_mp_parse(p, 4, b, n, "") == -1);
	{
		static const char noname[] = "--b\r\nContent-Type: x\r\n\r\n"
		    "data\r\n--b--\r\n";
		static const char nohdr[] = "--b\r\n\r\ndata\r\n--b--\r\n";
		static const char notform[] = "--b\r\nContent-Disposition: "
		    "attachment; name=x\r\n\r\ndata\r\n--b--\r\n";
		static const char bare_lf[] = "--b\r\nContent-Disposition: "
		    "form-data; name=x\n\r\n\r\ndata\r\n--b--\r\n";

		CHECK(htr_mp_parse(p, 4, (const unsigned char *)noname,
		    sizeof noname - 1, "b") == -1);
		CHECK(strstr(htr_errmsg(), "without a Content-Disposition"));
		CHECK(htr_mp_parse(p, 4, (const unsigned char *)nohdr,
		    sizeof nohdr - 1, "b") == -1);
		CHECK(htr_mp_parse(p, 4, (const unsigned char *)notform,
		    sizeof notform - 1, "b") == -1);
		CHECK(htr_mp_parse(p, 4, (const unsigned char *)bare_lf,
		    sizeof bare_lf - 1, "b") == -1);
	}
	{
		/* Headers past the limit are refused before any copying. */
		size_t big = 10000;
		char *h = malloc(big + 64);

		CHECK(h != NULL);
		if (h) {
			int k = sprintf(h, "--b\r\nX-Pad: ");
			memset(h + k, 'a', big);
			strcpy(h + k + big, "\r\n\r\nd\r\n--b--");
			CHECK(htr_mp_parse(p, 4, (unsigned char *)h, strlen(h),
			    "b") == -1);
			CHECK(strstr(htr_errmsg(), "longer than") != NULL);
			free(h);
		}
	}
}

/* ---- pool ---- */

struct job {
	struct htr_pool_job j;
	atomic_int *count;
	pthread_mutex_t *gate;
};

static void
run(struct htr_pool_job *pj)
{
	struct job *j = (struct job *)pj;

	if (j->gate) {
		pthread_mutex_lock(j->gate);
		pthread_mutex_unlock(j->gate);
	}
	atomic_fetch_add(j->count, 1);
}

static void
test_pool(void)
{
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	atomic_int count = 0;
	struct job jobs[10];
	struct htr_pool *p;
	int waiting, running, accepted = 0;

	/* 2 workers, 3 waiting: with the workers held at the gate, exactly
	 * 5 of 10 submissions are taken, the rest refused at once. */
	pthread_mutex_lock(&gate);
	p = htr_pool_create(2, 3);
	CHECK(p != NULL);
	if (!p)
		return;
	for (int i = 0; i < 10; i++) {
		jobs[i] = (struct job){ { run, NULL }, &count, &gate };
		if (htr_pool_submit(p, &jobs[i].j) == 0)
			accepted++;
		else
			CHECK(strstr(htr_errmsg(), "busy") != NULL);
	}
	CHECK(accepted == 5);
	htr_pool_load(p, &waiting, &running);
	CHECK(waiting + running == 5);
	pthread_mutex_unlock(&gate);
	/* Destroy runs every accepted job before joining. */
	htr_pool_destroy(p);
	CHECK(atomic_load(&count) == 5);

	/* Many jobs through a pool with room: all run. */
	atomic_store(&count, 0);
	p = htr_pool_create(3, 10);
	CHECK(p != NULL);
	if (!p)
		return;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 10; i++) {
			jobs[i] = (struct job){ { run, NULL }, &count, NULL };
			while (htr_pool_submit(p, &jobs[i].j)) {
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
			}
		}
		for (;;) {
			htr_pool_load(p, &waiting, &running);
			if (waiting + running == 0)
				break;
		}
	}
	htr_pool_destroy(p);
	CHECK(atomic_load(&count) == 500);
}

static void
test_probe(void)
{
	static const unsigned char png[24] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0x2C,
		0, 0, 0, 0xC8 };
	/* SOI, APP0 (length 4), SOF0 with height 0x0102, width 0x0304. */
	static const unsigned char jpg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0,
		0, 0xFF, 0xC0, 0, 11, 8, 1, 2, 3, 4, 1 };
	long w, h;

	CHECK(htr_recog_probe(png, 24, &w, &h) == HTR_IMG_PNG && w == 300 &&
	    h == 200);
	CHECK(htr_recog_probe(png, 20, &w, &h) == HTR_IMG_PNG && w == 0);
	CHECK(htr_recog_probe(jpg, sizeof jpg, &w, &h) == HTR_IMG_JPEG &&
	    w == 0x304 && h == 0x102);
	CHECK(htr_recog_probe(jpg, 12, &w, &h) == HTR_IMG_JPEG && w == 0);
	CHECK(htr_recog_probe((const unsigned char *)"P5\n# c\n640 480\n255\n",
	    19, &w, &h) == HTR_IMG_PNM && w == 640 && h == 480);
	CHECK(htr_recog_probe((const unsigned char *)"P6 7", 4, &w, &h) ==
	    HTR_IMG_PNM && w == 0);
	CHECK(htr_recog_probe((const unsigned char *)"P7\nWIDTH 5\nHEIGHT 6\n"
	    "DEPTH 1\nENDHDR\n", 34, &w, &h) == HTR_IMG_PNM && w == 5 &&
	    h == 6);
	CHECK(htr_recog_probe((const unsigned char *)"GIF89a", 6, &w, &h)
	    == -1);
	CHECK(strstr(htr_errmsg(), "GIF") != NULL);
	CHECK(htr_recog_probe((const unsigned char *)"<html>", 6, &w, &h)
	    == -1);
	CHECK(htr_recog_probe((const unsigned char *)"Pfoo", 4, &w, &h) == -1);
	CHECK(htr_recog_probe((const unsigned char *)"", 0, &w, &h) == -1);
	CHECK(htr_recog_decoder_parse("beam") == HTR_RECOG_BEAM);
	CHECK(htr_recog_decoder_parse("wbs") == HTR_RECOG_WORD);
	CHECK(htr_recog_decoder_parse("Beam") == -1);
	CHECK(htr_recog_format_parse("alto") == HTR_RECOG_ALTO);
	CHECK(htr_recog_format_parse("pdf") == -1);
	CHECK(!strcmp(htr_recog_format_name(HTR_RECOG_HOCR), "hocr"));
}

int
main(void)
{
	test_json();
	test_ctype();
	test_multipart();
	test_pool();
	test_probe();
	return T_DONE();
}
