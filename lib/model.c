/* model.c — the model file (HTRM) and the optimiser checkpoint (HTRC):
 * little-endian fields written byte by byte, CRC32 at the end, atomic
 * saving; loading reads the whole file, checks magic, version and CRC
 * before trusting any field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alphabet.h"
#include "atomic.h"
#include "htr.h"
#include "model.h"
#include "net.h"
#include "rng.h"

#define MODEL_VERSION 1
#define CKPT_VERSION  1
#define FILE_MAX      ((size_t)1 << 31)

/* ---- writing ------------------------------------------------------------- */

struct out {
	FILE *f;
	uLong crc;
};

static void
put(struct out *o, const void *p, size_t n)
{
	fwrite(p, 1, n, o->f);
	o->crc = crc32(o->crc, p, (uInt)n);
}

static void
put32(struct out *o, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(o, b, 4);
}

static void
put64(struct out *o, uint64_t v)
{
	put32(o, (uint32_t)v);
	put32(o, (uint32_t)(v >> 32));
}

static void
putstr(struct out *o, const char *s)
{
	size_t n = strlen(s);

	put32(o, (uint32_t)n);
	put(o, s, n);
}

static void
putf32s(struct out *o, const float *p, size_t n)
{
	unsigned char b[4096];

	put64(o, n);
	for (size_t i = 0; i < n; ) {
		size_t k = 0;
		for (; i < n && k < sizeof b; i++, k += 4) {
			uint32_t v = 0;
			if (p)
				memcpy(&v, &p[i], 4);
			b[k] = v, b[k + 1] = v >> 8, b[k + 2] = v >> 16;
			b[k + 3] = v >> 24;
		}
		put(o, b, k);
	}
}

static int
finish(struct out *o, struct htr_atomic *a)
{
	uint32_t crc = (uint32_t)o->crc;

	put32(o, crc);
	return htr_atomic_commit(a);
}

/* ---- reading ------------------------------------------------------------- */

struct in {
	const unsigned char *p, *end;
	const char *path;
	int bad;
};

static int
need(struct in *r, size_t n, const char *what)
{
	if (r->bad)
		return -1;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return htr_fail("%s: truncated in the %s", r->path, what);
	}
	return 0;
}

static uint32_t
get32(struct in *r, const char *what)
{
	if (need(r, 4, what) < 0)
		return 0;
	const unsigned char *b = r->p;
	r->p += 4;
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
get64(struct in *r, const char *what)
{
	uint64_t lo = get32(r, what);

	return lo | (uint64_t)get32(r, what) << 32;
}

/* A length-prefixed string of at most max bytes, NUL-terminated copy. */
static char *
getstr(struct in *r, size_t max, const char *what)
{
	uint32_t n = get32(r, what);

	if (r->bad)
		return NULL;
	if (n > max) {
		r->bad = 1;
		htr_fail("%s: %s of %u bytes (at most %zu): corrupt file",
		    r->path, what, n, max);
		return NULL;
	}
	if (need(r, n, what) < 0)
		return NULL;
	char *s = htr_alloc(n + 1, 1);
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = 0;
	r->p += n;
	if (memchr(s, 0, n)) {
		free(s);
		r->bad = 1;
		htr_fail("%s: %s contains a NUL byte: corrupt file", r->path,
		    what);
		return NULL;
	}
	return s;
}

static int
getf32s(struct in *r, float *p, size_t n, const char *what)
{
	uint64_t m = get64(r, what);

	if (r->bad)
		return -1;
	if (m != n) {
		r->bad = 1;
		return htr_fail("%s: %s holds %llu values, the network has %zu",
		    r->path, what, (unsigned long long)m, n);
	}
	if (need(r, 4 * n, what) < 0)
		return -1;
	for (size_t i = 0; i < n; i++, r->p += 4) {
		uint32_t v = r->p[0] | (uint32_t)r->p[1] << 8 |
		    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
		memcpy(&p[i], &v, 4);
	}
	return 0;
}

/* Reads path whole, checks magic, version and CRC; on success r covers
 * the bytes after the version and before the CRC, *buf owns the data. */
static int
slurp(struct in *r, unsigned char **buf, const char *path,
    const char *magic, int version, const char *kind, const char *hint)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	unsigned char *b;

	*buf = NULL;
	if (!f)
		return htr_fail("%s: %s", path, strerror(errno));
	b = htr_read_all(f, FILE_MAX, &n);
	fclose(f);
	if (!b)
		return htr_fail_prefix(path);
	*buf = b;
	r->p = b;
	r->end = b + n;
	r->path = path;
	r->bad = 0;
	if (n < 4 || memcmp(b, magic, 4) != 0)
		return htr_fail("%s: not %s (no %s magic)%s", path, kind, magic,
		    hint);
	r->p += 4;
	uint32_t v = get32(r, "header");
	if (r->bad)
		return -1;
	if (v == 0 || v > (uint32_t)version)
		return htr_fail("%s: %s version %u, this htr reads up to %d: "
		    "upgrade htr", path, kind, v, version);
	if (n < 12)
		return htr_fail("%s: truncated", path);
	uint32_t stored = b[n - 4] | (uint32_t)b[n - 3] << 8 |
	    (uint32_t)b[n - 2] << 16 | (uint32_t)b[n - 1] << 24;
	if ((uint32_t)crc32(crc32(0, NULL, 0), b, (uInt)(n - 4)) != stored)
		return htr_fail("%s: checksum mismatch: the file is truncated "
		    "or corrupt%s", path, hint);
	r->end = b + n - 4;
	return 0;
}

/* ---- model --------------------------------------------------------------- */

static const char *levels[] = { "char", "word", "line" };

const char *
htr_level_name(int level)
{
	return level >= 0 && level < 3 ? levels[level] : "?";
}

int
htr_level_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, levels[i]))
			return i;
	return -1;
}

static void
free_alphabet(char **a, int n)
{
	if (a)
		for (int i = 0; i < n; i++)
			free(a[i]);
	free(a);
}

void
htr_model_free(struct htr_model *m)
{
	if (!m)
		return;
	htr_net_free(m->net);
	free_alphabet(m->alphabet, m->nclass);
	free(m->provenance);
	free(m);
}

int
htr_model_set_provenance(struct htr_model *m, const char *text)
{
	size_t n = strlen(text ? text : "");
	char *s;

	if (n > HTR_MODEL_PROVMAX)
		return htr_fail("provenance longer than %d bytes",
		    HTR_MODEL_PROVMAX);
	if (!(s = htr_alloc(n + 1, 1)))
		return -1;
	memcpy(s, text ? text : "", n + 1);
	free(m->provenance);
	m->provenance = s;
	return 0;
}

struct htr_model *
htr_model_new(struct htr_net *net, const char *const *alphabet, int nclass,
    int level, const char *provenance)
{
	struct htr_model *m = htr_zalloc(1, sizeof *m);

	if (!m) {
		htr_net_free(net);
		return NULL;
	}
	m->net = net;
	if (nclass != htr_net_nclass(net)) {
		htr_fail("alphabet of %d symbols, the network has %d classes",
		    nclass, htr_net_nclass(net));
		goto fail;
	}
	if (level < 0 || level > HTR_LEVEL_LINE) {
		htr_fail("unknown recognition level %d", level);
		goto fail;
	}
	m->level = level;
	m->height = htr_net_input_height(net);
	if (!(m->alphabet = htr_zalloc(nclass, sizeof *m->alphabet)))
		goto fail;
	m->nclass = nclass;
	for (int i = 0; i < nclass; i++) {
		size_t n = strlen(alphabet[i]);
		if (n > HTR_SYMBOL_MAX) {
			htr_fail("alphabet symbol %d longer than %d bytes", i,
			    HTR_SYMBOL_MAX);
			goto fail;
		}
		if (!(m->alphabet[i] = htr_alloc(n + 1, 1)))
			goto fail;
		memcpy(m->alphabet[i], alphabet[i], n + 1);
	}
	if (htr_model_set_provenance(m, provenance) < 0)
		goto fail;
	return m;
fail:
	htr_model_free(m);
	return NULL;
}

int
htr_model_save(const struct htr_model *m, const char *path)
{
	struct htr_atomic a;
	struct out o = { NULL, crc32(0, NULL, 0) };

	if (!(o.f = htr_atomic_open(&a, path)))
		return -1;
	put(&o, "HTRM", 4);
	put32(&o, MODEL_VERSION);
	putstr(&o, htr_net_vgsl(m->net));
	put32(&o, (uint32_t)m->nclass);
	for (int i = 0; i < m->nclass; i++)
		putstr(&o, m->alphabet[i]);
	put32(&o, (uint32_t)m->height);
	put32(&o, (uint32_t)m->level);
	putstr(&o, m->provenance ? m->provenance : "");
	putf32s(&o, htr_net_params(m->net), htr_net_nstate(m->net));
	return finish(&o, &a);
}

static const char model_hint[] = " (models are written by htr-train)";

struct htr_model *
htr_model_load(const char *path)
{
	struct in r;
	unsigned char *buf;
	struct htr_model *m = NULL;
	char *vgsl = NULL;

	if (slurp(&r, &buf, path, "HTRM", MODEL_VERSION, "an htr model",
	    model_hint) < 0)
		goto fail;
	if (!(m = htr_zalloc(1, sizeof *m)))
		goto fail;
	if (!(vgsl = getstr(&r, 1024, "network string")))
		goto fail;
	uint32_t nc = get32(&r, "alphabet");
	if (r.bad)
		goto fail;
	if (nc < 2 || nc > HTR_MODEL_CLASSMAX) {
		htr_fail("%s: alphabet of %u symbols: corrupt file", path, nc);
		goto fail;
	}
	if (!(m->alphabet = htr_zalloc(nc, sizeof *m->alphabet)))
		goto fail;
	m->nclass = nc;
	for (uint32_t i = 0; i < nc; i++)
		if (!(m->alphabet[i] = getstr(&r, HTR_SYMBOL_MAX, "alphabet")))
			goto fail;
	uint32_t h = get32(&r, "header"), lv = get32(&r, "header");
	if (!(m->provenance = getstr(&r, HTR_MODEL_PROVMAX, "provenance")))
		goto fail;
	if (lv > HTR_LEVEL_LINE) {
		htr_fail("%s: unknown recognition level %u", path, lv);
		goto fail;
	}
	m->level = lv;
	if (!(m->net = htr_net_create_blank(vgsl, nc))) {
		htr_fail_prefix(path);
		goto fail;
	}
	m->height = h;
	if (h != (uint32_t)htr_net_input_height(m->net)) {
		htr_fail("%s: input height %u differs from the network's %d: "
		    "corrupt file", path, h, htr_net_input_height(m->net));
		goto fail;
	}
	if (getf32s(&r, htr_net_params(m->net), htr_net_nstate(m->net),
	    "parameters") < 0)
		goto fail;
	if (r.p != r.end) {
		htr_fail("%s: %td bytes of trailing garbage", path, r.end - r.p);
		goto fail;
	}
	free(vgsl);
	free(buf);
	return m;
fail:
	free(vgsl);
	free(buf);
	htr_model_free(m);
	return NULL;
}

/* ---- optimiser checkpoint ----------------------------------------------- */

int
htr_net_ckpt_save(struct htr_net *net, const char *path, const char *extra)
{
	struct htr_atomic a;
	struct out o = { NULL, crc32(0, NULL, 0) };
	size_t n = htr_net_nparams(net);
	const struct htr_rng *rng = htr_net_rng(net);

	if (extra && strlen(extra) > HTR_MODEL_PROVMAX)
		return htr_fail("%s: checkpoint extra text longer than %d bytes",
		    path, HTR_MODEL_PROVMAX);
	if (!(o.f = htr_atomic_open(&a, path)))
		return -1;
	put(&o, "HTRC", 4);
	put32(&o, CKPT_VERSION);
	putstr(&o, htr_net_vgsl(net));
	put64(&o, (uint64_t)htr_net_adam_t(net));
	for (int i = 0; i < 4; i++)
		put64(&o, rng->s[i]);
	putstr(&o, extra ? extra : "");
	putf32s(&o, htr_net_adam_m(net), n);
	putf32s(&o, htr_net_adam_v(net), n);
	return finish(&o, &a);
}

int
htr_net_ckpt_load(struct htr_net *net, const char *path, char *extra,
    size_t extrasize)
{
	struct in r;
	unsigned char *buf;
	char *vgsl = NULL, *ex = NULL;
	float *mv = NULL;
	uint64_t s[4];
	int rc = -1;

	if (slurp(&r, &buf, path, "HTRC", CKPT_VERSION, "an htr checkpoint",
	    " (checkpoints are written by htr-train)") < 0)
		goto out;
	if (!(vgsl = getstr(&r, 1024, "network string")))
		goto out;
	if (strcmp(vgsl, htr_net_vgsl(net)) != 0) {
		htr_fail("%s: checkpoint of network %s, not %s", path, vgsl,
		    htr_net_vgsl(net));
		goto out;
	}
	uint64_t t = get64(&r, "header");
	for (int i = 0; i < 4; i++)
		s[i] = get64(&r, "header");
	if (!(ex = getstr(&r, HTR_MODEL_PROVMAX, "extra text")))
		goto out;
	if (t > ((uint64_t)1 << 62)) {
		htr_fail("%s: step count %llu: corrupt file", path,
		    (unsigned long long)t);
		goto out;
	}
	/* read into a copy: a bad file leaves the net as it was */
	size_t n = htr_net_nparams(net);
	if (!(mv = htr_alloc(2 * n + 1, sizeof *mv)))
		goto out;
	if (getf32s(&r, mv, n, "Adam moments") < 0 ||
	    getf32s(&r, mv + n, n, "Adam moments") < 0)
		goto out;
	if (r.p != r.end) {
		htr_fail("%s: %td bytes of trailing garbage", path, r.end - r.p);
		goto out;
	}
	if (htr_net_adam_restore(net, (long)t) < 0)
		goto out;
	memcpy(htr_net_adam_m(net), mv, n * sizeof *mv);
	memcpy(htr_net_adam_v(net), mv + n, n * sizeof *mv);
	memcpy(htr_net_rng(net)->s, s, sizeof s);
	if (extra && extrasize)
		snprintf(extra, extrasize, "%s", ex);
	rc = 0;
out:
	free(vgsl);
	free(ex);
	free(mv);
	free(buf);
	return rc;
}

/* Whether two network strings differ at most in dropout rates (which
 * hold no weights: a model fine-tuned with htr-train -dropout averages
 * with its origin). */
static int
same_layers(const char *a, const char *b)
{
	while (*a && *a == *b) {
		if (a[0] == 'D' && a[1] == 'o') {
			a += 2, b += 2;
			while (*a == '.' || (*a >= '0' && *a <= '9'))
				a++;
			while (*b == '.' || (*b >= '0' && *b <= '9'))
				b++;
			continue;
		}
		a++, b++;
	}
	return *a == *b;
}

struct htr_model *
htr_model_average(const char *const *paths, int n)
{
	struct htr_model *avg = NULL, *m = NULL;
	double *sum = NULL;
	size_t ns = 0, plen;
	char *prov = NULL;

	if (n < 1) {
		htr_fail("no models to average");
		return NULL;
	}
	if (!(avg = htr_model_load(paths[0])))
		return NULL;
	ns = htr_net_nstate(avg->net);
	if (!(sum = htr_alloc(ns ? ns : 1, sizeof *sum)))
		goto fail;
	for (size_t i = 0; i < ns; i++)
		sum[i] = htr_net_params(avg->net)[i];
	for (int k = 1; k < n; k++) {
		const float *p;
		int same;

		if (!(m = htr_model_load(paths[k])))
			goto fail;
		same = m->nclass == avg->nclass && m->level == avg->level &&
		    same_layers(htr_net_vgsl(m->net), htr_net_vgsl(avg->net));
		for (int c = 0; same && c < m->nclass; c++)
			same = !strcmp(m->alphabet[c], avg->alphabet[c]);
		if (!same) {
			htr_fail("%s: not the network, alphabet and level of %s",
			    paths[k], paths[0]);
			goto fail;
		}
		p = htr_net_params(m->net);
		for (size_t i = 0; i < ns; i++)
			sum[i] += p[i];
		htr_model_free(m);
		m = NULL;
	}
	for (size_t i = 0; i < ns; i++)
		htr_net_params(avg->net)[i] = (float)(sum[i] / n);
	plen = strlen(avg->provenance) + 64;
	for (int k = 0; k < n; k++)
		plen += strlen(paths[k]) + 1;
	if (!(prov = htr_alloc(plen, 1)))
		goto fail;
	snprintf(prov, plen, "%s%saverage of %d models:", avg->provenance,
	    *avg->provenance ? "\n" : "", n);
	for (int k = 0; k < n; k++) {
		strcat(prov, " ");
		strcat(prov, paths[k]);
	}
	if (strlen(prov) > HTR_MODEL_PROVMAX)   /* too long to name them */
		strchr(prov + strlen(avg->provenance) + 1, ':')[0] = 0;
	if (htr_model_set_provenance(avg, prov))
		goto fail;
	free(prov);
	free(sum);
	return avg;
fail:
	free(prov);
	free(sum);
	htr_model_free(m);
	htr_model_free(avg);
	return NULL;
}
