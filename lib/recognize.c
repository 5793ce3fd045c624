/* recognize.c — batched recognition of crops with a model (recognize.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alphabet.h"
#include "htr.h"
#include "net.h"
#include "par.h"
#include "recognize.h"
#include "trainer.h"

/* ---- inputs --------------------------------------------------------------- */

static int
check_channels(const struct htr_model *m)
{
	int c = htr_net_input_channels(m->net);

	if (c != 1)
		return htr_fail("the model takes %d input channels; crops are "
		    "gray (1 channel)", c);
	return 0;
}

/* Copies tags without their kind= word. */
static void
copy_tags(char *dst, const char *src)
{
	memcpy(dst, src, HTR_TAG_MAX);
	dst[HTR_TAG_MAX - 1] = '\0';
	htr_tag_del(dst, "kind");
}

int
htr_recognize_input(struct htr_recognize_in *in, const struct htr_model *m,
    const struct htr_image *crop)
{
	memset(in, 0, sizeof *in);
	if (check_channels(m))
		return -1;
	if (crop->w < 1 || crop->h < 1)
		return htr_fail("empty crop (%dx%d)", crop->w, crop->h);
	/* the one place that makes a net input, shared with training */
	if (htr_net_input_image(&in->x, &in->w, crop, m->net))
		return -1;
	in->h = m->height;
	copy_tags(in->tags, crop->tags);
	return 0;
}

int
htr_recognize_input_tensor(struct htr_recognize_in *in,
    const struct htr_model *m, struct htr_tensor *t)
{
	int H = m->height, Wfix = htr_net_input_width(m->net);
	char kind[32];

	memset(in, 0, sizeof *in);
	if (check_channels(m))
		return -1;
	htr_tensor_kind(t, kind, sizeof kind);
	if (strcmp(kind, "image"))
		return htr_fail("a kind=%s record where a kind=image record "
		    "belongs (make image records with htr-features)",
		    *kind ? kind : "(none)");
	if (t->dtype != HTR_F32 || t->rank != 2)
		return htr_fail("a kind=image record must be f32 of rank 2 "
		    "[H][W], not %s of rank %d",
		    htr_tensor_dtype_name(t->dtype), t->rank);
	if (t->dim[0] != H || (Wfix > 0 && t->dim[1] != Wfix)) {
		if (Wfix > 0)
			return htr_fail("image record is %dx%d (HxW) but the "
			    "model takes %dx%d (make it with htr-features -m "
			    "MODEL)", t->dim[0], t->dim[1], H, Wfix);
		return htr_fail("image record is %d rows high but the model "
		    "takes %d (make it with htr-features -m MODEL)",
		    t->dim[0], H);
	}
	if (t->dim[1] < 1)
		return htr_fail("image record of width 0");
	in->x = t->data;
	in->h = t->dim[0];
	in->w = t->dim[1];
	t->data = NULL;
	copy_tags(in->tags, t->tags);
	return 0;
}

void
htr_recognize_in_free(struct htr_recognize_in *in)
{
	if (!in)
		return;
	free(in->x);
	in->x = NULL;
}

/* ---- batches -------------------------------------------------------------- */

struct order {
	int i;          /* input index */
	int w;          /* width fed to the network */
};

static int
cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

void
htr_recognize_out_free(struct htr_recognize_out *out)
{
	if (!out)
		return;
	free(out->lp);
	out->lp = NULL;
}

/* Runs one batch of inputs ord[0..N-1], all of padded width W, on net. */
static int
run_batch(struct htr_recognize_out *out, struct htr_net *net, int H,
    const struct htr_recognize_in *in, const struct order *ord, int N,
    int W, float *x, int *widths)
{
	int T, NN, C;
	const float *y;
	const int *lens;

	memset(x, 0, (size_t)N * H * W * sizeof *x);
	for (int k = 0; k < N; k++) {
		const struct htr_recognize_in *s = &in[ord[k].i];

		for (int r = 0; r < H; r++)
			memcpy(x + ((size_t)k * H + r) * W,
			    s->x + (size_t)r * s->w, (size_t)s->w * sizeof *x);
		widths[k] = ord[k].w;
	}
	if (htr_net_forward(net, x, N, W, widths, HTR_NET_INFER))
		return -1;
	y = htr_net_output(net, &T, &NN, &C);
	lens = htr_net_output_lengths(net);
	HTR_ASSERT(NN == N);
	for (int k = 0; k < N; k++) {
		struct htr_recognize_out *o = &out[ord[k].i];
		int Tk = htr_net_is_ctc(net) ? lens[k] : 1;

		HTR_ASSERT(Tk >= 1 && Tk <= T);
		if (!(o->lp = htr_alloc((size_t)Tk * C, sizeof *o->lp)))
			return -1;
		for (int t = 0; t < Tk; t++)
			memcpy(o->lp + (size_t)t * C,
			    y + ((size_t)t * N + k) * C, (size_t)C * sizeof *y);
		o->T = Tk;
		o->C = C;
		memcpy(o->tags, in[ord[k].i].tags, HTR_TAG_MAX);
	}
	return 0;
}

/* One forward pass: inputs ord[first .. first+N-1], padded to width W. */
struct batch {
	int first, N, W;
};

/* Batches by decreasing work, handed out to the threads of
 * htr_par_tasks: each takes the next one not yet taken. */
struct pool {
	struct htr_recognize_out *out;
	struct htr_net *const *nets;    /* [thread] */
	const struct htr_recognize_in *in;
	const struct order *ord;
	const struct batch *b;          /* [nb], largest first */
	int nb, H, maxN;
	size_t maxx;                    /* floats of the largest batch */
	pthread_mutex_t mu;
	int next;                       /* guarded by mu */
	int failed;                     /* guarded by mu */
	char err[512];                  /* the first failure's message */
};

static int
cmp_work(const void *a, const void *b)
{
	const struct batch *x = a, *y = b;
	long wx = (long)x->N * x->W, wy = (long)y->N * y->W;

	if (wx != wy)
		return wx > wy ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

static void
pool_worker(void *ctx, int t)
{
	struct pool *p = ctx;
	float *x = htr_alloc(p->maxx, sizeof *x);
	int *widths = htr_alloc((size_t)p->maxN, sizeof *widths);
	int ok = x && widths;

	for (;;) {
		int i;

		pthread_mutex_lock(&p->mu);
		if (!ok && !p->failed) {
			p->failed = 1;
			snprintf(p->err, sizeof p->err, "%s", htr_errmsg());
		}
		i = p->failed || p->next >= p->nb ? -1 : p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i < 0)
			break;
		const struct batch *b = &p->b[i];
		if (run_batch(p->out, p->nets[t], p->H, p->in, p->ord + b->first,
		    b->N, b->W, x, widths)) {
			htr_fail("input %d: %s", p->ord[b->first].i,
			    htr_errmsg());
			ok = 0;
		}
	}
	free(x);
	free(widths);
}

int
htr_recognize_run(struct htr_recognize_out *out, struct htr_model *m,
    const struct htr_recognize_in *in, int n, int batch)
{
	return htr_recognize_run_threads(out, m, NULL, 0, in, n, batch);
}

int
htr_recognize_run_threads(struct htr_recognize_out *out,
    struct htr_model *m, struct htr_net *const *more, int nmore,
    const struct htr_recognize_in *in, int n, int batch)
{
	int H = m->height, minw = htr_net_min_width(m->net);
	int Wfix = htr_net_input_width(m->net), nb = 0, nt, maxN = 1;
	struct order *ord;
	struct batch *b = NULL;
	size_t maxx = 0;

	HTR_ASSERT(n >= 0 && batch >= 1 && nmore >= 0);
	memset(out, 0, (size_t)n * sizeof *out);
	if (n == 0)
		return 0;
	if (!(ord = htr_alloc((size_t)n, sizeof *ord)) ||
	    !(b = htr_alloc((size_t)n, sizeof *b))) {
		free(ord);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (in[i].h != H || in[i].w < 1) {
			htr_fail("input %d is %dx%d (HxW); the model takes "
			    "height %d", i, in[i].h, in[i].w, H);
			goto fail;
		}
		if (Wfix > 0 && in[i].w != Wfix) {
			htr_fail("input %d is %d wide; the model takes %d", i,
			    in[i].w, Wfix);
			goto fail;
		}
		ord[i].i = i;
		ord[i].w = in[i].w > minw ? in[i].w : minw;
	}
	qsort(ord, (size_t)n, sizeof *ord, cmp_order);
	for (int i = 0; i < n; ) {
		int w0 = ord[i].w, W = w0, N = 1;

		/* widest at most 1/8 or 8 columns wider than the narrowest */
		while (i + N < n && N < batch &&
		    ord[i + N].w <= w0 + (w0 / 8 > 8 ? w0 / 8 : 8) &&
		    (long)(N + 1) * H * ord[i + N].w <=
		    HTR_RECOGNIZE_MAXFLOATS)
			W = ord[i + N++].w;
		b[nb].first = i;
		b[nb].N = N;
		b[nb++].W = W;
		if ((size_t)N * H * W > maxx)
			maxx = (size_t)N * H * W;
		if (N > maxN)
			maxN = N;
		i += N;
	}
	nt = htr_par_threads();
	if (nt > nmore + 1)
		nt = nmore + 1;
	if (nt > nb)
		nt = nb;
	if (nt <= 1) {
		/* one batch after the other, OpenBLAS on all its threads */
		struct htr_net *nets[1] = { m->net };
		struct pool p = { out, nets, in, ord, b, nb, H, maxN, maxx,
		    PTHREAD_MUTEX_INITIALIZER, 0, 0, "" };
		pool_worker(&p, 0);
		pthread_mutex_destroy(&p.mu);
		if (p.failed) {
			htr_fail("%s", p.err);
			goto fail;
		}
	} else {
		/* a network per thread, OpenBLAS on one thread in each */
		struct htr_net *nets[HTR_RECOGNIZE_MAXTHREADS];
		struct pool p = { out, nets, in, ord, b, nb, H, maxN, maxx,
		    PTHREAD_MUTEX_INITIALIZER, 0, 0, "" };

		if (nt > HTR_RECOGNIZE_MAXTHREADS)
			nt = HTR_RECOGNIZE_MAXTHREADS;
		nets[0] = m->net;
		for (int t = 1; t < nt; t++)
			nets[t] = more[t - 1];
		qsort(b, (size_t)nb, sizeof *b, cmp_work);
		htr_par_tasks(nt, pool_worker, &p);
		pthread_mutex_destroy(&p.mu);
		if (p.failed) {
			htr_fail("%s", p.err);
			goto fail;
		}
	}
	free(b);
	free(ord);
	return 0;
fail:
	for (int i = 0; i < n; i++)
		htr_recognize_out_free(&out[i]);
	free(b);
	free(ord);
	return -1;
}

/* ---- output records ------------------------------------------------------- */

int
htr_recognize_mixable(const struct htr_model *a, const struct htr_model *b,
    const char *bname)
{
	if (!htr_net_is_ctc(b->net))
		return htr_fail("%s: a classifier, not a CTC line model", bname);
	if (a->nclass != b->nclass)
		return htr_fail("%s: %d symbols, not %d", bname, b->nclass,
		    a->nclass);
	for (int k = 0; k < a->nclass; k++)
		if (strcmp(a->alphabet[k], b->alphabet[k]))
			return htr_fail("%s: symbol %d is '%s', not '%s'", bname,
			    k, b->alphabet[k], a->alphabet[k]);
	return 0;
}

void
htr_recognize_mix_frames(float *a, const float *b, size_t n, double w)
{
	for (size_t e = 0; e < n; e++)
		a[e] = (float)(w * a[e] + (1 - w) * b[e]);
}

int
htr_recognize_mix(struct htr_recognize_out *a,
    const struct htr_recognize_out *b, double w)
{
	if (a->T != b->T || a->C != b->C)
		return htr_fail("%dx%d frames mixed with %dx%d: the networks "
		    "must reduce widths alike", a->T, a->C, b->T, b->C);
	htr_recognize_mix_frames(a->lp, b->lp, (size_t)a->T * a->C, w);
	return 0;
}

int
htr_recognize_write(FILE *f, const struct htr_recognize_out *out)
{
	struct htr_tensor t;
	int len;

	memset(&t, 0, sizeof t);
	t.dtype = HTR_F32;
	t.rank = 2;
	t.dim[0] = out->T;
	t.dim[1] = out->C;
	len = snprintf(t.tags, sizeof t.tags, "kind=logprob%s%s",
	    *out->tags ? " " : "", out->tags);
	if (len < 0 || len >= (int)sizeof t.tags)
		return htr_fail("tags too long for a record: %.60s...",
		    out->tags);
	t.data = out->lp;
	return htr_tensor_write(f, &t);
}

int
htr_recognize_write_alphabet(FILE *f, const struct htr_model *m)
{
	struct htr_alphabet a;
	struct htr_tensor t;
	int r;

	if (htr_alphabet_init(&a, (const char *const *)m->alphabet,
	    m->nclass))
		return htr_fail_prefix("model alphabet");
	r = htr_alphabet_to_tensor(&t, &a);
	htr_alphabet_free(&a);
	if (r)
		return -1;
	r = htr_tensor_write(f, &t);
	htr_tensor_free(&t);
	return r;
}

/* ---- model search --------------------------------------------------------- */

const char *
htr_recognize_default_model(int level)
{
	return level == HTR_LEVEL_CHAR ? "digits.htrm" : "line.htrm";
}

int
htr_recognize_level_of(const char *tags)
{
	char v[16];

	if (!htr_tag_get(tags, "char", v, sizeof v))
		return HTR_LEVEL_CHAR;
	if (!htr_tag_get(tags, "word", v, sizeof v))
		return HTR_LEVEL_WORD;
	return HTR_LEVEL_LINE;
}

/* Directory "models" beside the directory of the running program, into
 * buf; 0 or -1 if unknown. */
static int
beside_program(char *buf, size_t n, const char *argv0)
{
	char exe[4096], *s;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (len > 0)
		exe[len] = '\0';
	else if (!argv0 || !strchr(argv0, '/') || !realpath(argv0, exe))
		return -1;
	/* strip the program's name, then its directory */
	for (int k = 0; k < 2; k++) {
		if (!(s = strrchr(exe, '/')))
			return -1;
		*s = '\0';
	}
	if ((size_t)snprintf(buf, n, "%s/models", exe) >= n)
		return -1;
	return 0;
}

int
htr_recognize_find_model(char *path, size_t n, const char *name,
    const char *argv0)
{
	char dirs[3][4096], looked[1024] = "";
	const char *env = getenv("HTR_MODELDIR");
	int nd = 0;
	size_t used = 0;

	if (env && *env && strlen(env) < sizeof dirs[0])
		strcpy(dirs[nd++], env);
#ifdef HTR_MODELDIR
	if (strlen(HTR_MODELDIR) < sizeof dirs[0])
		strcpy(dirs[nd++], HTR_MODELDIR);
#endif
	if (!beside_program(dirs[nd], sizeof dirs[nd], argv0))
		nd++;
	for (int i = 0; i < nd; i++) {
		int len = snprintf(path, n, "%s/%s", dirs[i], name);

		if (len > 0 && (size_t)len < n && access(path, R_OK) == 0)
			return 0;
		len = snprintf(looked + used, sizeof looked - used, "%s%s",
		    i ? ", " : "", dirs[i]);
		if (len > 0 && used + len < sizeof looked)
			used += len;
	}
	if (n)
		*path = '\0';
	return htr_fail("default model %s not found (looked in %s%s%s); "
	    "give a model with -m FILE or set HTR_MODELDIR", name,
	    env && *env ? "$HTR_MODELDIR=" : "", looked,
	    env && *env ? "" : "; HTR_MODELDIR is not set");
}

int
htr_recognize_companion_lm(char *lm, size_t n, const char *path,
    const char *argv0)
{
	char found[4096];
	size_t len;

	if (!path) {
		if (htr_recognize_find_model(found, sizeof found,
		    htr_recognize_default_model(HTR_LEVEL_LINE), argv0))
			return -1;      /* loading the model says why */
		path = found;
	}
	len = strlen(path);
	if (len < 5 || strcmp(path + len - 5, ".htrm") || len >= n)
		return -1;
	memcpy(lm, path, len - 1);
	lm[len - 1] = 'l';
	lm[len] = '\0';
	return access(lm, R_OK) == 0 ? 0 : -1;
}

struct htr_model *
htr_recognize_load(const char *path, int level, const char *argv0)
{
	char found[4096];

	if (!path) {
		if (htr_recognize_find_model(found, sizeof found,
		    htr_recognize_default_model(level), argv0))
			return NULL;
		path = found;
	}
	return htr_model_load(path);
}
