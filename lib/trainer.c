/* trainer.c — prepared datasets, batches, evaluation, and the training
 * loop with checkpoints, resume, validation and early stopping. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctc.h"
#include "dp.h"
#include "feat.h"
#include "htr.h"
#include "labels.h"
#include "model.h"
#include "net.h"
#include "par.h"
#include "rng.h"
#include "trainer.h"
#include "utf8.h"

/* ---- prepared sets ---- */

void
htr_set_free(struct htr_set *s)
{
	if (s->im)
		for (long i = 0; i < s->n; i++)
			htr_image_free(&s->im[i]);
	free(s->im);
	free(s->width);
	free(s->labels);
	free(s->label_off);
	free(s->label_len);
	memset(s, 0, sizeof *s);
}

/* Least width >= w whose output has at least frames frames (or w when no
 * width up to the limit does). */
static int
width_for_frames(const struct htr_net *net, int w, int frames)
{
	int lo = w, hi = w;

	if (htr_net_out_width(net, w) >= frames)
		return w;
	while (htr_net_out_width(net, hi) < frames) {
		if (hi >= 8192)
			return w;
		lo = hi;
		hi = hi * 2 > 8192 ? 8192 : hi * 2;
	}
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		if (htr_net_out_width(net, mid) >= frames)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int
htr_set_prepare(struct htr_set *s, const struct htr_dataset *ds,
    const struct htr_net *net, const struct htr_alphabet *a, int strict)
{
	int H = htr_net_input_height(net), Wfix = htr_net_input_width(net);
	int ctc = htr_net_is_ctc(net), minw = htr_net_min_width(net);
	long cap = 0, used = 0;
	char where[600];
	struct htr_labeler lab = {0};

	memset(s, 0, sizeof *s);
	if (a && htr_labeler_init(&lab, a))
		return -1;
	s->ds = ds;
	if (!(s->im = htr_zalloc((size_t)ds->n, sizeof *s->im)) ||
	    !(s->width = htr_alloc((size_t)ds->n, sizeof *s->width)) ||
	    !(s->label_off = htr_zalloc((size_t)ds->n, sizeof *s->label_off)) ||
	    !(s->label_len = htr_zalloc((size_t)ds->n, sizeof *s->label_len)))
		goto fail;
	for (long i = 0; i < ds->n; i++) {
		struct htr_image raw;
		int r;

		if (htr_dataset_image(ds, i, &raw))
			goto fail;
		if (Wfix > 0 && raw.w == Wfix && raw.h == H) {
			s->im[i] = raw;
			r = 0;
		} else {
			r = Wfix > 0 ? htr_features_resize(&s->im[i], &raw, Wfix, H) :
			    htr_features_scale(&s->im[i], &raw, H, 0);
			htr_image_free(&raw);
		}
		s->n = i + 1;
		if (r) {
			htr_fail_prefix(htr_dataset_where(ds, i, where,
			    sizeof where));
			goto fail;
		}
		s->width[i] = Wfix > 0 ? Wfix : s->im[i].w > minw ?
		    s->im[i].w : minw;
		if (!a)
			continue;
		/* labels */
		long n = htr_utf8_decode(ds->s[i].text, NULL, 0);
		if (n < 0)
			goto fail_where;
		if (used + n > cap) {
			long nc = (cap + n) * 2 + 64;
			int *l = htr_realloc(s->labels, (size_t)nc, sizeof *l);
			if (!l)
				goto fail;
			s->labels = l;
			cap = nc;
		}
		s->label_off[i] = used;
		/* (n code points make n or fewer symbols) */
		if ((n = htr_labeler_encode(&lab, ds->s[i].text, s->labels + used,
		    n)) < 0) {
			if (strict)
				goto fail_where;
			s->label_len[i] = -1;
			continue;
		}
		if (!ctc && n != 1) {
			if (strict) {
				htr_fail("a classifier takes one symbol per image, "
				    "not \"%.40s\"", ds->s[i].text);
				goto fail_where;
			}
			s->label_len[i] = -1;
			continue;
		}
		s->label_len[i] = (int)n;
		used += n;
		if (ctc && Wfix == 0)
			s->width[i] = width_for_frames(net, s->width[i],
			    htr_ctc_min_frames(s->labels + s->label_off[i],
			    (int)n));
	}
	if (a && !s->labels && !(s->labels = htr_alloc(1, sizeof *s->labels)))
		goto fail;
	htr_labeler_free(&lab);
	return 0;
fail_where:
	htr_fail_prefix(htr_dataset_where(ds, s->n ? s->n - 1 : 0, where,
	    sizeof where));
fail:
	htr_labeler_free(&lab);
	htr_set_free(s);
	return -1;
}

int
htr_set_batch_width(const struct htr_set *s, const long *idx, int N)
{
	int W = 0;

	for (int n = 0; n < N; n++)
		if (s->width[idx[n]] > W)
			W = s->width[idx[n]];
	return W;
}

int
htr_set_batch(float *x, int *widths, const struct htr_set *s,
    const long *idx, int N, int W, int H, const struct htr_augment *aug,
    struct htr_rng *rng)
{
	float *tmp = NULL;
	size_t cap = 0;

	memset(x, 0, (size_t)N * H * W * sizeof *x);
	for (int n = 0; n < N; n++) {
		const struct htr_image *src = &s->im[idx[n]];
		struct htr_image a;
		size_t need = (size_t)src->w * src->h;

		HTR_ASSERT(src->h == H && s->width[idx[n]] <= W);
		if (need > cap) {
			free(tmp);
			if (!(tmp = htr_alloc(need, sizeof *tmp)))
				return -1;
			cap = need;
		}
		if (aug && rng && htr_augment_any(aug)) {
			if (htr_image_init(&a, src->w, src->h, 0)) {
				free(tmp);
				return -1;
			}
			memcpy(a.pix, src->pix, need);
			if (htr_augment_apply(&a, aug, rng)) {
				htr_image_free(&a);
				free(tmp);
				return -1;
			}
			htr_features_fill(tmp, &a, 0, 0);
			htr_image_free(&a);
		} else {
			htr_features_fill(tmp, src, 0, 0);
		}
		for (int y = 0; y < H; y++)
			memcpy(x + ((size_t)n * H + y) * W, tmp +
			    (size_t)y * src->w, (size_t)src->w * sizeof *x);
		widths[n] = s->width[idx[n]];
	}
	free(tmp);
	return W;
}

/* One slice of htr_set_batch_par. */
struct slice {
	pthread_t th;
	int started;
	float *x;
	int *widths;
	const struct htr_set *s;
	const long *idx;
	int N, W, H, rc;
	const struct htr_augment *aug;
	struct htr_rng rng, *r;
	char err[512];
};

static void *
slice_run(void *p)
{
	struct slice *c = p;

	c->rc = htr_set_batch(c->x, c->widths, c->s, c->idx, c->N, c->W, c->H,
	    c->aug, c->r) < 0 ? -1 : 0;
	if (c->rc)
		snprintf(c->err, sizeof c->err, "%s", htr_errmsg());
	return NULL;
}

int
htr_set_batch_par(float *x, int *widths, const struct htr_set *s,
    const long *idx, int N, int W, int H, const struct htr_augment *aug,
    struct htr_rng *rng, int nslices)
{
	struct slice c[HTR_SET_MAXSLICES];
	int aug_on = aug && rng && htr_augment_any(aug);

	HTR_ASSERT(nslices >= 1 && nslices <= HTR_SET_MAXSLICES);
	if (nslices > N)
		nslices = N;
	if (nslices <= 1)
		return htr_set_batch(x, widths, s, idx, N, W, H, aug, rng);
	/* slice k starts at the first sample whose preceding widths add up
	 * to k / nslices of the batch's (the work is per pixel), and holds
	 * one sample at least */
	long total = 0, sum = 0;
	int first[HTR_SET_MAXSLICES + 1];
	for (int n = 0; n < N; n++)
		total += s->width[idx[n]];
	first[0] = 0;
	first[nslices] = N;
	for (int k = 1, n = 0; k < nslices; k++) {
		while (n < N && sum * nslices < total * k)
			sum += s->width[idx[n++]];
		first[k] = n < first[k - 1] + 1 ? first[k - 1] + 1 :
		    n > N - (nslices - k) ? N - (nslices - k) : n;
	}
	for (int k = 0; k < nslices; k++) {
		c[k].x = x + (size_t)first[k] * H * W;
		c[k].widths = widths + first[k];
		c[k].s = s;
		c[k].idx = idx + first[k];
		c[k].N = first[k + 1] - first[k];
		c[k].W = W, c[k].H = H;
		c[k].aug = aug;
		c[k].r = NULL;
		if (aug_on) {
			htr_rng_seed(&c[k].rng, htr_rng_u64(rng));
			c[k].r = &c[k].rng;
		}
	}
	for (int k = 1; k < nslices; k++)
		c[k].started = pthread_create(&c[k].th, NULL, slice_run,
		    &c[k]) == 0;
	slice_run(&c[0]);
	for (int k = 1; k < nslices; k++) {
		if (c[k].started)
			pthread_join(c[k].th, NULL);
		else
			slice_run(&c[k]);   /* no thread: here */
	}
	for (int k = 0; k < nslices; k++)
		if (c[k].rc)
			return htr_fail("%s", c[k].err);
	return W;
}

int
htr_net_input_image(float **x, int *width, const struct htr_image *crop,
    const struct htr_net *net)
{
	int H = htr_net_input_height(net), Wfix = htr_net_input_width(net);
	int minw = htr_net_min_width(net), r;
	struct htr_image im;

	*x = NULL;
	if (Wfix > 0 ? htr_features_resize(&im, crop, Wfix, H) :
	    htr_features_scale(&im, crop, H, 0))
		return -1;
	*width = Wfix > 0 ? Wfix : htr_features_width(im.w, minw, 0);
	r = (*x = htr_alloc((size_t)*width * H, sizeof **x)) ? 0 : -1;
	if (*x)
		htr_features_fill(*x, &im, Wfix > 0 ? Wfix : minw, 0);
	htr_image_free(&im);
	return r;
}

int
htr_ctc_best_path(int *out, const float *logp, int T, int C, int stride)
{
	int n = 0, prev = -1;

	for (int t = 0; t < T; t++) {
		const float *p = logp + (size_t)t * stride;
		int best = 0;

		for (int c = 1; c < C; c++)
			if (p[c] > p[best])
				best = c;
		if (best != 0 && best != prev)
			out[n++] = best;
		prev = best;
	}
	return n;
}

/* Sorting sample indices by width without a global (the library may run
 * in several threads): pairs of (width, index) are sorted, then the
 * indices copied back. */
struct wi {
	int w;
	long i;
};

static int
cmp_wi(const void *a, const void *b)
{
	const struct wi *x = a, *y = b;

	return x->w != y->w ? (x->w > y->w) - (x->w < y->w) :
	    (x->i > y->i) - (x->i < y->i);
}

/* Sorts idx[0..n-1] by the widths of s, stable by index.  Returns 0 or
 * -1 (out of memory). */
static int
sort_by_width(long *idx, long n, const struct htr_set *s)
{
	struct wi *p = htr_alloc((size_t)n + 1, sizeof *p);

	if (!p)
		return -1;
	for (long k = 0; k < n; k++) {
		p[k].w = s->width[idx[k]];
		p[k].i = idx[k];
	}
	qsort(p, (size_t)n, sizeof *p, cmp_wi);
	for (long k = 0; k < n; k++)
		idx[k] = p[k].i;
	free(p);
	return 0;
}

/* Concatenates the class strings of labels into a fresh string. */
static char *
join_classes(char *const *alphabet, int nclass, const int *lab, int n)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < n; i++)
		if (lab[i] > 0 && lab[i] < nclass)
			len += strlen(alphabet[lab[i]]);
	if (!(s = p = htr_alloc(len, 1)))
		return NULL;
	for (int i = 0; i < n; i++)
		if (lab[i] > 0 && lab[i] < nclass) {
			size_t k = strlen(alphabet[lab[i]]);
			memcpy(p, alphabet[lab[i]], k);
			p += k;
		}
	*p = 0;
	return s;
}

/* One batch of htr_set_infer_nets on one network, in a thread of its own. */
struct infer_job {
	struct htr_net *net;
	long first;             /* position in the width order */
	int N, rc;
	float *x;
	size_t xcap;
	int *widths;
	char err[512];
};

struct infer {
	const struct htr_set *s;
	const long *idx;        /* the samples by width */
	int H;
	struct infer_job *job;  /* [nnets] */
};

static void
infer_task(void *ctx, int k)
{
	struct infer *f = ctx;
	struct infer_job *j = &f->job[k];
	const long *idx = f->idx + j->first;
	int W = htr_set_batch_width(f->s, idx, j->N);
	size_t need = (size_t)j->N * f->H * W;

	j->rc = -1;
	if (need > j->xcap) {
		free(j->x);
		j->xcap = 0;
		if (!(j->x = htr_alloc(need, sizeof *j->x)))
			goto out;
		j->xcap = need;
	}
	if (htr_set_batch(j->x, j->widths, f->s, idx, j->N, W, f->H, NULL,
	    NULL) < 0 || htr_net_forward(j->net, j->x, j->N, W, j->widths,
	    HTR_NET_INFER))
		goto out;
	j->rc = 0;
out:
	if (j->rc)
		snprintf(j->err, sizeof j->err, "%s", htr_errmsg());
}

int
htr_set_infer_nets(struct htr_net *const *nets, int nnets,
    const struct htr_set *s, int batch, htr_set_frames_fn fn, void *ctx)
{
	int ctc = htr_net_is_ctc(nets[0]);
	struct infer f = { s, NULL, htr_net_input_height(nets[0]), NULL };
	long *idx = htr_alloc((size_t)s->n + 1, sizeof *idx);
	struct infer_job *job = htr_zalloc((size_t)nnets, sizeof *job);
	int rc = -1;

	HTR_ASSERT(nnets >= 1 && nnets <= 16);
	if (!idx || !job)
		goto out;
	f.idx = idx;
	f.job = job;
	for (int k = 0; k < nnets; k++) {
		job[k].net = nets[k];
		if (!(job[k].widths = htr_alloc((size_t)batch, sizeof (int))))
			goto out;
	}
	for (long i = 0; i < s->n; i++)
		idx[i] = i;
	if (sort_by_width(idx, s->n, s))
		goto out;
	/* rounds of nnets batches (of similar widths) at once, their
	 * samples then handed to fn in order */
	for (long b = 0; b < s->n; ) {
		int nj = 0;
		for (; nj < nnets && b < s->n; nj++, b += job[nj - 1].N) {
			job[nj].first = b;
			job[nj].N = s->n - b < batch ? (int)(s->n - b) : batch;
		}
		htr_par_tasks(nj, infer_task, &f);
		for (int k = 0; k < nj; k++) {
			int T, NN, C;
			if (job[k].rc) {
				htr_fail("%s", job[k].err);
				goto out;
			}
			const float *out = htr_net_output(job[k].net, &T, &NN, &C);
			const int *lens = htr_net_output_lengths(job[k].net);
			for (int n = 0; n < job[k].N; n++)
				if (fn(ctx, idx[job[k].first + n], out + (size_t)n * C,
				    ctc ? lens[n] : 1, C, NN * C))
					goto out;
		}
	}
	rc = 0;
out:
	for (int k = 0; job && k < nnets; k++) {
		free(job[k].x);
		free(job[k].widths);
	}
	free(job);
	free(idx);
	return rc;
}

int
htr_set_infer(struct htr_net *net, const struct htr_set *s, int batch,
    htr_set_frames_fn fn, void *ctx)
{
	return htr_set_infer_nets(&net, 1, s, batch, fn, ctx);
}

/* htr_evaluate's per-sample work: best path or argmax, metrics, text. */
struct eval_ctx {
	char *const *alphabet;
	const struct htr_set *s;
	int ctc;
	struct htr_metrics *m;
	char **hyp;
	int *lab;               /* [labcap] */
	int labcap;
};

static int
eval_sample(void *vc, long i, const float *logp, int T, int C, int stride)
{
	struct eval_ctx *c = vc;
	int k;
	char *h;

	if (T > c->labcap) {
		free(c->lab);
		if (!(c->lab = htr_alloc((size_t)T, sizeof *c->lab)))
			return -1;
		c->labcap = T;
	}
	if (c->ctc) {
		k = htr_ctc_best_path(c->lab, logp, T, C, stride);
	} else {
		int best = C > 1 ? 1 : 0;
		for (int j = 2; j < C; j++)
			if (logp[j] > logp[best])
				best = j;
		c->lab[0] = best;
		k = 1;
	}
	if (!(h = join_classes(c->alphabet, C, c->lab, k)))
		return -1;
	if (c->m && htr_metrics_add(c->m, c->s->ds->s[i].text, h)) {
		free(h);
		return -1;
	}
	if (c->hyp)
		c->hyp[i] = h;
	else
		free(h);
	return 0;
}

int
htr_evaluate_nets(struct htr_net *const *nets, int nnets,
    char *const *alphabet, const struct htr_set *s, int batch,
    struct htr_metrics *m, char **hyp)
{
	struct eval_ctx c = {alphabet, s, htr_net_is_ctc(nets[0]), m, hyp, NULL,
	    0};
	int rc;

	for (long i = 0; hyp && i < s->n; i++)
		hyp[i] = NULL;
	rc = htr_set_infer_nets(nets, nnets, s, batch, eval_sample, &c);
	if (rc && hyp)
		for (long i = 0; i < s->n; i++) {
			free(hyp[i]);
			hyp[i] = NULL;
		}
	free(c.lab);
	return rc;
}

int
htr_evaluate(struct htr_net *net, char *const *alphabet,
    const struct htr_set *s, int batch, struct htr_metrics *m, char **hyp)
{
	return htr_evaluate_nets(&net, 1, alphabet, s, batch, m, hyp);
}

/* ---- training ---- */

void
htr_train_defaults(struct htr_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->level = HTR_LEVEL_LINE;
	o->batch = 16;
	o->lr = 1e-3f;
	o->lr_decay = 1;
	o->epochs = 10;
	o->seed = 1;
	o->dropout = -1;
	o->ckpt_minutes = 5;
	o->report_s = 2;
}

/* What a checkpoint must carry besides the net: everything that decides
 * what happens next. */
struct state {
	int epoch;              /* current epoch, from 0 */
	long batch;             /* next batch within the epoch */
	long step;
	struct htr_rng order;   /* data-order RNG at the start of the epoch */
	struct htr_rng aug;     /* augmentation RNG now */
	double best;            /* best validation error (2: none yet) */
	int bad;                /* epochs without improvement */
	double loss_sum;        /* this epoch's summed batch losses */
	long loss_n;
	long ntrain;
	int batch_size;
	double seconds;         /* training time so far */
};

static void
state_format(char *buf, size_t n, const struct state *s)
{
	snprintf(buf, n, "htr-train-state 1 epoch=%d batch=%ld step=%ld "
	    "order=%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64
	    " aug=%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64
	    " best=%a bad=%d loss_sum=%a loss_n=%ld ntrain=%ld batch_size=%d "
	    "seconds=%a", s->epoch, s->batch, s->step,
	    s->order.s[0], s->order.s[1], s->order.s[2], s->order.s[3],
	    s->aug.s[0], s->aug.s[1], s->aug.s[2], s->aug.s[3],
	    s->best, s->bad, s->loss_sum, s->loss_n, s->ntrain, s->batch_size,
	    s->seconds);
}

static int
state_parse(struct state *s, const char *buf)
{
	int k = sscanf(buf, "htr-train-state 1 epoch=%d batch=%ld step=%ld "
	    "order=%" SCNx64 ",%" SCNx64 ",%" SCNx64 ",%" SCNx64
	    " aug=%" SCNx64 ",%" SCNx64 ",%" SCNx64 ",%" SCNx64
	    " best=%la bad=%d loss_sum=%la loss_n=%ld ntrain=%ld batch_size=%d "
	    "seconds=%la", &s->epoch, &s->batch, &s->step,
	    &s->order.s[0], &s->order.s[1], &s->order.s[2], &s->order.s[3],
	    &s->aug.s[0], &s->aug.s[1], &s->aug.s[2], &s->aug.s[3],
	    &s->best, &s->bad, &s->loss_sum, &s->loss_n, &s->ntrain,
	    &s->batch_size, &s->seconds);

	if (k != 18 || s->epoch < 0 || s->batch < 0 || s->step < 0)
		return htr_fail("trainer state unreadable (not written by this "
		    "htr-train?)");
	return 0;
}

long
htr_set_epoch_order(long *order, long *start, const struct htr_set *s,
    int batch, int drop_last, struct htr_rng *rng)
{
	HTR_ASSERT(batch > 0);
	int *perm = htr_alloc((size_t)s->n, sizeof *perm);
	long nb = drop_last ? s->n / batch : (s->n + batch - 1) / batch;
	long chunk = (long)batch * 32;
	int *bperm = htr_alloc((size_t)nb, sizeof *bperm);
	long *tmp = htr_alloc((size_t)s->n, sizeof *tmp), pos = 0;

	if (!perm || !bperm || !tmp) {
		free(perm), free(bperm), free(tmp);
		return -1;
	}
	for (long i = 0; i < s->n; i++)
		perm[i] = (int)i;
	htr_rng_shuffle(rng, perm, (int)s->n);
	for (long i = 0; i < s->n; i++)
		tmp[i] = perm[i];
	for (long c = 0; c < s->n; c += chunk)
		if (sort_by_width(tmp + c, s->n - c < chunk ? s->n - c : chunk,
		    s)) {
			free(perm), free(bperm), free(tmp);
			return -1;
		}
	for (long b = 0; b < nb; b++)
		bperm[b] = (int)b;
	htr_rng_shuffle(rng, bperm, (int)nb);
	for (long b = 0; b < nb; b++) {
		long first = (long)bperm[b] * batch;
		long len = s->n - first < batch ? s->n - first : batch;

		start[b] = pos;
		memcpy(order + pos, tmp + first, (size_t)len * sizeof *order);
		pos += len;
	}
	start[nb] = pos;
	free(perm);
	free(bperm);
	free(tmp);
	return nb;
}

/* Newest checkpoint step in dir, or -1 when there is none. */
static long
newest_ckpt(const char *dir, long *steps, int max, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long best = -1;

	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		long step;
		char tail[8];

		if (sscanf(e->d_name, "ckpt-%ld.%7s", &step, tail) == 2 &&
		    !strcmp(tail, "htrc")) {
			if (*n < max)
				steps[(*n)++] = step;
			if (step > best)
				best = step;
		}
	}
	closedir(d);
	return best;
}

static void
ckpt_path(char *buf, size_t n, const char *dir, long step, const char *ext)
{
	snprintf(buf, n, "%s/ckpt-%09ld.%s", dir, step, ext);
}

static int
cmp_long_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x < y) - (x > y);
}

static int
save_ckpt(const struct htr_train_opts *o, struct htr_model *model,
    const struct state *st, char *path, size_t pathn)
{
	char extra[1024], p2[1024];
	long steps[256];
	int n;

	state_format(extra, sizeof extra, st);
	ckpt_path(path, pathn, o->ckpt_dir, st->step, "htrm");
	if (htr_model_save(model, path))
		return -1;
	ckpt_path(path, pathn, o->ckpt_dir, st->step, "htrc");
	if (htr_net_ckpt_save(model->net, path, extra))
		return -1;
	/* keep the newest three */
	newest_ckpt(o->ckpt_dir, steps, 256, &n);
	qsort(steps, (size_t)n, sizeof *steps, cmp_long_desc);
	for (int i = 3; i < n; i++) {
		ckpt_path(p2, sizeof p2, o->ckpt_dir, steps[i], "htrc");
		unlink(p2);
		ckpt_path(p2, sizeof p2, o->ckpt_dir, steps[i], "htrm");
		unlink(p2);
	}
	return 0;
}

/* Rewrites the CSV log keeping the header and the rows of the first
 * 'epochs' epochs (a resumed run rewrites what came after). */
static int
trim_log(const char *path, int epochs)
{
	FILE *f = fopen(path, "r"), *g;
	char line[1024], tmp[1100];
	int first = 1;

	if (!f)
		return 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(g = fopen(tmp, "w"))) {
		fclose(f);
		return htr_fail("%s: %s", tmp, strerror(errno));
	}
	while (fgets(line, sizeof line, f)) {
		if (first || atoi(line) <= epochs)
			fputs(line, g);
		first = 0;
	}
	fclose(f);
	if (fclose(g) || rename(tmp, path))
		return htr_fail("%s: %s", path, strerror(errno));
	return 0;
}

static const char LOG_HEADER[] =
    "epoch,step,train_loss,valid_error,valid_cer,valid_wer,valid_acc,lr,"
    "seconds\n";

static int
set_provenance(struct htr_model *m, const struct htr_train_opts *o,
    const struct state *st, int epochs_done, long nvalid)
{
	char buf[2048];

	snprintf(buf, sizeof buf, "htr-train data=%s samples=%ld valid=%ld "
	    "epochs=%d steps=%ld batch=%d lr=%g lr_decay=%g seed=%" PRIu64
	    " valid_error=%s%.6f",
	    o->provenance ? o->provenance : "?", st->ntrain, nvalid,
	    epochs_done, st->step, o->batch, o->lr, o->lr_decay, o->seed,
	    st->best > 1.5 ? "none " : "", st->best > 1.5 ? 0 : st->best);
	return htr_model_set_provenance(m, buf);
}

int
htr_train(const struct htr_train_opts *o, const struct htr_dataset *train,
    const struct htr_dataset *valid)
{
	struct htr_alphabet alpha = {0, NULL, NULL};
	struct htr_model *model = NULL;
	struct htr_net *net = NULL;
	struct htr_dp *dp = NULL;
	struct htr_set ts = {0}, vs = {0};
	struct htr_train_status rep;
	struct state st;
	struct htr_adam adam;
	long *order = NULL, *start = NULL, halt = 0;
	int *widths = NULL, *labels = NULL, *lens = NULL, *targets = NULL;
	float *x = NULL;
	size_t xcap = 0;
	char path[1200];
	int rc = -1, H, ctc, resumed = 0;
	FILE *log = NULL;
	double t0 = htr_clock_seconds(), last_report = t0, last_ckpt = t0;
	double seconds0;
	long steps_here = 0, samples_here = 0;
	/* batches built in slices, one per thread, at once */
	int nslice = htr_par_threads() < HTR_SET_MAXSLICES ? htr_par_threads() :
	    HTR_SET_MAXSLICES;

	memset(&st, 0, sizeof st);
	memset(&rep, 0, sizeof rep);
	rep.last_valid = -1;
	HTR_ASSERT(o->batch > 0 && o->epochs > 0);

	/* the network: new, or from the newest checkpoint */
	if (o->resume) {
		long steps[1], step;
		int n;
		char extra[1024];

		if (!o->ckpt_dir)
			return htr_fail("-resume needs -checkpoint DIR");
		if ((step = newest_ckpt(o->ckpt_dir, steps, 1, &n)) < 0)
			return htr_fail("%s: no checkpoint to resume from",
			    o->ckpt_dir);
		ckpt_path(path, sizeof path, o->ckpt_dir, step, "htrm");
		if (!(model = htr_model_load(path)))
			goto resume_fail;
		net = model->net;
		ckpt_path(path, sizeof path, o->ckpt_dir, step, "htrc");
		if (htr_net_ckpt_load(net, path, extra, sizeof extra) ||
		    state_parse(&st, extra))
			goto resume_fail;
		if (htr_alphabet_init(&alpha, (const char *const *)
		    model->alphabet, model->nclass))
			goto resume_fail;
		if (st.batch_size != o->batch) {
			htr_fail("%s: made with a batch of %d, not %d", path,
			    st.batch_size, o->batch);
			goto resume_fail;
		}
		resumed = 1;
		if (0) {
resume_fail:
			htr_fail_prefix("cannot resume (remove the damaged "
			    "checkpoint pair to resume from an older one)");
			goto out;
		}
	} else {
		long steps[1];
		int n;

		if (o->ckpt_dir && newest_ckpt(o->ckpt_dir, steps, 1, &n) >= 0)
			return htr_fail("%s already holds checkpoints: add -resume "
			    "to continue that run, or remove them", o->ckpt_dir);
		if (o->init) {
			/* fine-tuning: the model's network, alphabet and
			 * weights; its running BN statistics too */
			if (!(model = htr_model_load(o->init)) ||
			    htr_alphabet_init(&alpha, (const char *const *)
			    model->alphabet, model->nclass))
				goto out;
			model->level = o->level;
		} else {
			if (o->alphabet ? htr_alphabet_from_chars(&alpha,
			    o->alphabet, strlen(o->alphabet)) :
			    htr_labels_alphabet(&alpha, train))
				goto out;
			if (alpha.n < 2) {
				htr_fail("the training texts hold no characters");
				goto out;
			}
			if (!(net = htr_net_create(o->vgsl, alpha.n, o->seed)))
				goto out;
			if (!(model = htr_model_new(net, (const char *const *)
			    alpha.sym, alpha.n, o->level, ""))) {
				net = NULL;
				goto out;
			}
		}
		net = model->net;
		if (o->dropout >= 0 && htr_net_set_dropout(net, o->dropout) < 0)
			goto out;
		htr_rng_seed(&st.order, o->seed ^ 0x6f72646572ULL);
		htr_rng_seed(&st.aug, o->seed ^ 0x617567ULL);
		st.best = 2;
		st.batch_size = o->batch;
	}
	H = htr_net_input_height(net);
	ctc = htr_net_is_ctc(net);

	/* the data */
	if (htr_set_prepare(&ts, train, net, &alpha, 1))
		goto out;
	/* no labels: the widths must not depend on the truth */
	if (valid && valid->n && htr_set_prepare(&vs, valid, net, NULL, 0))
		goto out;
	if (resumed && st.ntrain != ts.n) {
		htr_fail("the checkpoint was made on %ld training samples, not "
		    "%ld", st.ntrain, ts.n);
		goto out;
	}
	st.ntrain = ts.n;
	/* with more than one thread, each takes a part of every batch */
	if (!(dp = htr_dp_create(net, htr_par_threads() < HTR_DP_MAXTHREADS ?
	    htr_par_threads() : HTR_DP_MAXTHREADS)))
		goto out;
	long nb = (ts.n + o->batch - 1) / o->batch;
	if (!(order = htr_alloc((size_t)ts.n, sizeof *order)) ||
	    !(start = htr_alloc((size_t)nb + 1, sizeof *start)) ||
	    !(widths = htr_alloc((size_t)o->batch, sizeof *widths)) ||
	    !(lens = htr_alloc((size_t)o->batch, sizeof *lens)) ||
	    !(targets = htr_alloc((size_t)o->batch, sizeof *targets)))
		goto out;

	if (o->log) {
		if (resumed && trim_log(o->log, st.epoch))
			goto out;
		if (!(log = fopen(o->log, resumed ? "a" : "w"))) {
			htr_fail("%s: %s", o->log, strerror(errno));
			goto out;
		}
		if (!resumed || ftell(log) == 0)
			fputs(LOG_HEADER, log);
		fflush(log);
	}
	if (resumed && o->progress) {
		rep.event = "resume";
		rep.detail = path;
		rep.epoch = st.epoch + 1;
		rep.epochs = o->epochs;
		rep.step = st.step;
		o->progress(o->ctx, &rep);
		rep.event = NULL;
	}
	/* clocks start once the data is in memory */
	t0 = last_report = last_ckpt = htr_clock_seconds();
	htr_adam_defaults(&adam);
	adam.clip = o->clip;
	adam.weight_decay = o->weight_decay;
	seconds0 = st.seconds;

	for (; st.epoch < o->epochs; st.epoch++, st.batch = 0) {
		struct htr_rng rng = st.order;
		double lr = o->lr * pow(o->lr_decay, st.epoch);

		if (htr_set_epoch_order(order, start, &ts, o->batch, 0,
		    &rng) < 0)
			goto out;
		adam.lr = (float)lr;
		for (; st.batch < nb; st.batch++) {
			long *idx = order + start[st.batch];
			int N = (int)(start[st.batch + 1] - start[st.batch]);
			int W = htr_set_batch_width(&ts, idx, N), nlab = 0;
			size_t need = (size_t)N * H * W;
			double loss;

			if (need > xcap) {
				free(x);
				if (!(x = htr_alloc(need, sizeof *x)))
					goto out;
				xcap = need;
			}
			if (htr_set_batch_par(x, widths, &ts, idx, N, W, H, &o->aug,
			    &st.aug, nslice) < 0)
				goto out;
			if (htr_dp_forward(dp, x, N, W, widths, HTR_NET_TRAIN))
				goto out;
			if (ctc) {
				for (int n = 0; n < N; n++)
					nlab += ts.label_len[idx[n]];
				free(labels);
				if (!(labels = htr_alloc((size_t)nlab + 1,
				    sizeof *labels)))
					goto out;
				nlab = 0;
				for (int n = 0; n < N; n++) {
					lens[n] = ts.label_len[idx[n]];
					memcpy(labels + nlab, ts.labels +
					    ts.label_off[idx[n]],
					    (size_t)lens[n] * sizeof *labels);
					nlab += lens[n];
				}
				loss = htr_dp_loss_ctc(dp, labels, lens, NULL,
				    NULL);
			} else {
				for (int n = 0; n < N; n++)
					targets[n] = ts.labels[ts.label_off[idx[n]]];
				loss = htr_dp_loss_nll(dp, targets, NULL);
			}
			if (loss < 0 || htr_dp_backward(dp) ||
			    htr_net_adam_step(net, &adam) < 0)
				goto out;
			if (!isfinite(loss)) {
				htr_fail("training diverged (loss %g at step "
				    "%ld): lower -lr or set -clip", loss,
				    st.step);
				goto out;
			}
			st.step++;
			st.loss_sum += loss;
			st.loss_n++;
			steps_here++;
			samples_here += N;
			double t = htr_clock_seconds();
			st.seconds = seconds0 + (t - t0);
			if (o->progress && t - last_report >= o->report_s) {
				double rate = samples_here / (t - t0);
				long left = (long)(o->epochs - st.epoch) * nb -
				    st.batch - 1;
				rep.epoch = st.epoch + 1;
				rep.epochs = o->epochs;
				rep.step = st.step;
				rep.batch = st.batch + 1;
				rep.nbatch = nb;
				rep.loss = st.loss_sum / st.loss_n;
				rep.samples_per_s = rate;
				rep.eta_s = left * (double)o->batch / rate;
				rep.validated = 0;
				o->progress(o->ctx, &rep);
				last_report = t;
			}
			if (o->halt_after && ++halt >= o->halt_after) {
				rc = 1;
				goto out;
			}
			if (o->ckpt_dir && st.batch + 1 < nb &&
			    ((o->ckpt_minutes > 0 &&
			    t - last_ckpt >= o->ckpt_minutes * 60) ||
			    (o->ckpt_steps > 0 && st.step % o->ckpt_steps == 0))) {
				struct state s2 = st;
				s2.batch = st.batch + 1;
				if (set_provenance(model, o, &s2, st.epoch,
				    vs.n) || save_ckpt(o, model, &s2, path,
				    sizeof path))
					goto out;
				last_ckpt = t;
				if (o->progress) {
					rep.event = "checkpoint";
					rep.detail = path;
					o->progress(o->ctx, &rep);
					rep.event = NULL;
				}
			}
		}

		/* end of epoch: validate, keep the best, log, checkpoint */
		struct htr_metrics m;
		double err = 0;
		int improved = 0;

		htr_metrics_init(&m);
		if (vs.n) {
			/* on the parts' copies of the network, at once */
			struct htr_net *nets[HTR_DP_MAXTHREADS];
			int nn = htr_dp_sync(dp);
			for (int k = 0; k < nn; k++)
				nets[k] = htr_dp_replica(dp, k);
			if (htr_evaluate_nets(nets, nn, model->alphabet, &vs,
			    o->batch, &m, NULL))
				goto out;
			err = ctc ? htr_metrics_cer(&m) :
			    1 - htr_metrics_accuracy(&m);
			improved = err < st.best;
			if (improved) {
				st.best = err;
				st.bad = 0;
			} else {
				st.bad++;
			}
		}
		double epoch_loss = st.loss_n ? st.loss_sum / st.loss_n : 0;
		st.loss_sum = 0;
		st.loss_n = 0;
		st.order = rng;
		if ((improved || !vs.n) && o->out &&
		    (set_provenance(model, o, &st, st.epoch + 1, vs.n) ||
		    htr_model_save(model, o->out)))
			goto out;
		if (log) {
			fprintf(log, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%g,%.1f\n",
			    st.epoch + 1, st.step, epoch_loss,
			    vs.n ? err : NAN, vs.n ? htr_metrics_cer(&m) : NAN,
			    vs.n ? htr_metrics_wer(&m) : NAN,
			    vs.n ? htr_metrics_accuracy(&m) : NAN, lr,
			    st.seconds);
			if (fflush(log) == EOF || ferror(log)) {
				htr_fail("%s: write error", o->log);
				goto out;
			}
		}
		int stop = o->patience > 0 && st.bad >= o->patience;
		if (o->ckpt_dir) {
			struct state s2 = st;
			s2.epoch = st.epoch + 1;
			s2.batch = 0;
			if (set_provenance(model, o, &s2, st.epoch + 1, vs.n) ||
			    save_ckpt(o, model, &s2, path, sizeof path))
				goto out;
			if (o->keep_epochs) {
				snprintf(path, sizeof path, "%s/epoch-%03d.htrm",
				    o->ckpt_dir, st.epoch + 1);
				if (htr_model_save(model, path))
					goto out;
			}
			last_ckpt = htr_clock_seconds();
		}
		if (o->progress) {
			rep.epoch = st.epoch + 1;
			rep.epochs = o->epochs;
			rep.step = st.step;
			rep.batch = rep.nbatch = nb;
			rep.loss = epoch_loss;
			rep.validated = vs.n > 0;
			rep.valid_error = err;
			rep.valid_cer = htr_metrics_cer(&m);
			rep.valid_wer = htr_metrics_wer(&m);
			rep.valid_acc = htr_metrics_accuracy(&m);
			rep.best_error = st.best;
			rep.improved = improved;
			rep.stopped = stop;
			rep.eta_s = samples_here ? (double)(o->epochs - st.epoch
			    - 1) * ts.n / (samples_here /
			    (htr_clock_seconds() - t0)) : 0;
			o->progress(o->ctx, &rep);
			rep.stopped = rep.improved = rep.validated = 0;
			rep.last_valid = vs.n ? err : -1;
		}
		if (stop)
			break;
	}
	rc = 0;
out:
	if (log && fclose(log) && rc == 0)
		rc = htr_fail("%s: write error", o->log);
	htr_dp_free(dp);
	htr_set_free(&ts);
	htr_set_free(&vs);
	if (model)
		htr_model_free(model);
	else
		htr_net_free(net);
	htr_alphabet_free(&alpha);
	free(order);
	free(start);
	free(widths);
	free(labels);
	free(lens);
	free(targets);
	free(x);
	return rc;
}
