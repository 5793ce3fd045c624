/* net.c — a network assembled from VGSL: shapes, parameter and activation
 * arenas, forward/backward over a batch, losses, Adam. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctc.h"
#include "htr.h"
#include "layers.h"
#include "net.h"
#include "par.h"
#include "rng.h"
#include "vgsl.h"

enum kind { K_CONV, K_BN, K_POOL, K_DROP, K_M2S, K_M2V, K_LSTM, K_LIN,
	K_OUT };
enum form { MAP, SEQ, VEC };

#define BN_MOMENTUM 0.1f
#define BN_EPS      1e-5f
#define COL_FLOATS  (8u << 20)   /* im2col scratch: 32 MiB or one sample */

struct layer {
	int kind;
	const char *tok;
	int act;                /* conv, bn, linear */
	int kh, kw, sh, sw;     /* conv, pool */
	float rate;             /* dropout */
	int reverse0, ndir, H;  /* LSTM */
	int ic, ih, oc, oh;     /* maps: channels, height; else features */
	int form;               /* of the output */
	size_t p, np;           /* trainable parameters */
	size_t s, ns;           /* running statistics (batch norm) */
	/* set by each forward */
	int iw, ow;             /* map width, or T, or 1 */
	size_t out, nout;       /* output in the activation arena */
	size_t aux, naux;       /* what backward needs besides the output */
	double flops, fwd_s, bwd_s, fwd_cpu, bwd_cpu;
};

struct htr_net {
	struct htr_vgsl spec;
	char vgsl[HTR_VGSL_STRMAX + 1];
	int nl;
	struct layer l[2 * HTR_VGSL_MAX];
	int ctc, nclass;
	size_t nparams, nstate;
	float *params;          /* [nstate] */
	float *grads;           /* [nparams] */
	float *adam;            /* [2][nparams]: m then v */
	long adam_t;
	struct htr_rng rng;
	/* activations of the last forward */
	float *act, *dact;
	size_t cap, dcap;       /* floats allocated */
	size_t in0, col, ncol, tmp, lscr;  /* offsets/sizes in act */
	const float *x0;        /* the network input as CNHW */
	int N, W, T, mode, have_fwd;
	int *lens;              /* [N] output frames per sample */
	int *lw;                /* [nl][N] each sample's map width per layer */
	int masked;             /* some sample narrower than the batch */
	int lens_full;          /* all lens == T: LSTMs skip masking */
	int lcap;
	int profile;
};

static int
relu_like(int act)
{
	return act == HTR_ACT_RELU || act == HTR_ACT_LEAKY;
}

/* ---- building ------------------------------------------------------------ */

static struct layer *
add(struct htr_net *net, int kind, const char *tok)
{
	struct layer *l = &net->l[net->nl++];

	memset(l, 0, sizeof *l);
	l->kind = kind;
	l->tok = tok;
	return l;
}

static int
build(struct htr_net *net, int nclass)
{
	struct htr_vgsl *v = &net->spec;
	int form = MAP, c = v->in_c, h = v->in_h, w = v->in_w;
	size_t np = 0, ns = 0;

	for (int i = 0; i < v->nlayer; i++) {
		struct htr_vgsl_layer *s = &v->layer[i];
		const char *tok = s->tok;
		int seqlike = s->kind == HTR_VGSL_LSTM ||
		    (s->kind == HTR_VGSL_OUTPUT && s->outdim == 1) ||
		    (s->kind == HTR_VGSL_LINEAR && w == 0);
		if (s->kind == HTR_VGSL_OUTPUT && nclass > 0)
			s->n = nclass;
		if (s->kind == HTR_VGSL_FOLD && form != MAP)
			return htr_fail("VGSL: '%s': nothing to fold, the input is "
			    "already a %s", tok, form == SEQ ? "sequence" : "vector");
		if (s->kind == HTR_VGSL_FOLD)
			seqlike = 1;
		if (form == MAP && (s->kind == HTR_VGSL_LSTM ||
		    s->kind == HTR_VGSL_LINEAR || s->kind == HTR_VGSL_OUTPUT ||
		    s->kind == HTR_VGSL_FOLD)) {
			struct layer *r = add(net, seqlike ? K_M2S : K_M2V,
			    seqlike ? "(map->seq)" : "(map->vec)");
			if (!seqlike && w == 0)
				return htr_fail("VGSL: '%s': needs a fixed input "
				    "width (the input spec has width 0)", tok);
			r->ic = c, r->ih = h;
			c = seqlike ? c * h : c * h * w;
			r->oc = c, r->oh = 1;
			form = r->form = seqlike ? SEQ : VEC;
			h = 1;
			r->p = np, r->s = ns;
			if (s->kind == HTR_VGSL_FOLD) {
				r->tok = tok;
				continue;
			}
		}
		struct layer *l = NULL;
		switch (s->kind) {
		case HTR_VGSL_CONV:
		case HTR_VGSL_BATCHNORM:
		case HTR_VGSL_MAXPOOL:
			if (form != MAP)
				return htr_fail("VGSL: '%s': needs a feature map, "
				    "but the input is already a %s", tok,
				    form == SEQ ? "sequence" : "vector");
			l = add(net, s->kind == HTR_VGSL_CONV ? K_CONV :
			    s->kind == HTR_VGSL_BATCHNORM ? K_BN : K_POOL, tok);
			l->ic = c, l->ih = h, l->act = s->act;
			l->kh = s->kh, l->kw = s->kw, l->sh = s->sh, l->sw = s->sw;
			if (s->kind == HTR_VGSL_CONV) {
				l->oc = s->n;
				l->oh = htr_conv_outsize(h, s->sh);
				l->np = (size_t)s->n * c * s->kh * s->kw + s->n;
				if (w)
					w = htr_conv_outsize(w, s->sw);
			} else if (s->kind == HTR_VGSL_BATCHNORM) {
				l->oc = c, l->oh = h;
				l->np = 2 * (size_t)c;
				l->ns = 2 * (size_t)c;
			} else {
				l->oc = c;
				l->oh = htr_pool_outsize(h, s->kh, s->sh);
				if (l->oh == 0)
					return htr_fail("VGSL: '%s': the map is only "
					    "%d high here", tok, h);
				if (w && (w = htr_pool_outsize(w, s->kw, s->sw)) == 0)
					return htr_fail("VGSL: '%s': the fixed-width "
					    "map is too narrow here", tok);
			}
			c = l->oc, h = l->oh;
			break;
		case HTR_VGSL_DROPOUT:
			l = add(net, K_DROP, tok);
			l->rate = s->rate;
			l->ic = l->oc = c, l->ih = l->oh = h;
			break;
		case HTR_VGSL_LSTM:
			if (form != SEQ)
				return htr_fail("VGSL: '%s': needs a sequence, but "
				    "the input is a vector", tok);
			l = add(net, K_LSTM, tok);
			l->ic = c, l->ih = l->oh = 1;
			l->H = s->n;
			l->ndir = s->dir == 'b' ? 2 : 1;
			l->reverse0 = s->dir == 'r';
			l->oc = l->ndir * s->n;
			l->np = (size_t)l->ndir * 4 * s->n * (c + s->n + 1);
			c = l->oc;
			break;
		case HTR_VGSL_LINEAR:
		case HTR_VGSL_OUTPUT:
			if (s->kind == HTR_VGSL_OUTPUT && s->outdim == 1 &&
			    form != SEQ)
				return htr_fail("VGSL: '%s': a per-frame output "
				    "needs a sequence; the map was flattened to a "
				    "vector (fixed width)", tok);
			if (s->kind == HTR_VGSL_OUTPUT && s->outdim == 0 &&
			    form != VEC)
				return htr_fail("VGSL: '%s': a per-image output "
				    "needs a map of fixed width or a vector", tok);
			l = add(net, s->kind == HTR_VGSL_LINEAR ? K_LIN : K_OUT,
			    tok);
			l->ic = c, l->ih = l->oh = 1, l->oc = s->n;
			l->act = s->act;
			l->np = (size_t)s->n * c + s->n;
			c = s->n;
			if (s->kind == HTR_VGSL_OUTPUT) {
				net->ctc = s->outdim == 1;
				net->nclass = s->n;
			}
			break;
		}
		l->form = form;
		l->p = np;
		np += l->np;
		l->s = ns;
		ns += l->ns;
	}
	net->nparams = np;
	net->nstate = np + ns;
	for (int i = 0; i < net->nl; i++)
		net->l[i].s += np;
	return 0;
}

/* Draws the initial weights from seed (unless !draw: the caller overwrites
 * every value, and 5 M random draws would be most of loading a model) and
 * seeds the dropout RNG. */
static void
init_params(struct htr_net *net, uint64_t seed, int draw)
{
	struct htr_rng r;

	htr_rng_seed(&r, seed);
	for (int i = 0; draw && i < net->nl; i++) {
		struct layer *l = &net->l[i];
		float *p = net->params + l->p;
		size_t nw;
		float bound;
		switch (l->kind) {
		case K_CONV:
		case K_LIN:
		case K_OUT: {
			int fan = l->kind == K_CONV ? l->ic * l->kh * l->kw : l->ic;
			int next_relu = l->kind == K_CONV && i + 1 < net->nl &&
			    net->l[i + 1].kind == K_BN &&
			    relu_like(net->l[i + 1].act);
			bound = sqrtf((relu_like(l->act) || next_relu ? 6.0f :
			    3.0f) / fan);
			nw = l->np - l->oc;
			for (size_t k = 0; k < nw; k++)
				p[k] = (2 * htr_rng_uniform(&r) - 1) * bound;
			memset(p + nw, 0, l->oc * sizeof *p);
			break;
		}
		case K_BN:
			for (int k = 0; k < l->ic; k++) {
				p[k] = 1;
				p[l->ic + k] = 0;
				net->params[l->s + k] = 0;
				net->params[l->s + l->ic + k] = 1;
			}
			break;
		case K_LSTM: {
			int H = l->H, G = 4 * H;
			size_t per = (size_t)G * (l->ic + H + 1);
			bound = 1 / sqrtf(H);
			for (int d = 0; d < l->ndir; d++) {
				float *q = p + d * per;
				for (size_t k = 0; k < per - G; k++)
					q[k] = (2 * htr_rng_uniform(&r) - 1) * bound;
				float *b = q + per - G;
				for (int k = 0; k < G; k++)
					b[k] = k >= H && k < 2 * H ? 1 : 0;
			}
			break;
		}
		}
	}
	htr_rng_seed(&net->rng, seed ^ 0x5eed5eed5eedULL);
}

static struct htr_net *
create(const char *vgsl, int nclass, uint64_t seed, int draw)
{
	struct htr_net *net = htr_zalloc(1, sizeof *net);

	if (!net)
		return NULL;
	if (htr_vgsl_parse(&net->spec, vgsl) < 0 || build(net, nclass) < 0 ||
	    htr_vgsl_format(net->vgsl, sizeof net->vgsl, &net->spec) < 0) {
		free(net);
		return NULL;
	}
	if (net->nstate > ((size_t)1 << 31)) {
		htr_fail("VGSL: %zu parameters is too many", net->nstate);
		free(net);
		return NULL;
	}
	net->params = htr_alloc(net->nstate ? net->nstate : 1, sizeof (float));
	if (!net->params) {
		free(net);
		return NULL;
	}
	init_params(net, seed, draw);
	return net;
}

struct htr_net *
htr_net_create(const char *vgsl, int nclass, uint64_t seed)
{
	return create(vgsl, nclass, seed, 1);
}

struct htr_net *
htr_net_create_blank(const char *vgsl, int nclass)
{
	return create(vgsl, nclass, 0, 0);
}

void
htr_net_free(struct htr_net *net)
{
	if (!net)
		return;
	free(net->params);
	free(net->grads);
	free(net->adam);
	free(net->act);
	free(net->dact);
	free(net->lens);
	free(net->lw);
	free(net);
}

struct htr_net *
htr_net_clone(const struct htr_net *net)
{
	struct htr_net *c = htr_net_create_blank(net->vgsl, net->nclass);

	if (!c)
		return NULL;
	HTR_ASSERT(c->nstate == net->nstate);
	memcpy(c->params, net->params, net->nstate * sizeof *c->params);
	return c;
}

int
htr_net_set_dropout(struct htr_net *net, float rate)
{
	struct htr_vgsl *v = &net->spec;
	int n = 0;

	if (!(rate >= 0 && rate < 1))
		return htr_fail("dropout rate %g is not in [0, 1)", rate);
	for (int i = 0; i < v->nlayer; i++)
		if (v->layer[i].kind == HTR_VGSL_DROPOUT) {
			v->layer[i].rate = rate;
			snprintf(v->layer[i].tok, sizeof v->layer[i].tok,
			    "Do%g", rate);
			n++;
		}
	for (int i = 0; i < net->nl; i++)
		if (net->l[i].kind == K_DROP)
			net->l[i].rate = rate;
	if (n == 0)
		return htr_fail("the network %s has no dropout layer", net->vgsl);
	return htr_vgsl_format(net->vgsl, sizeof net->vgsl, v) < 0 ? -1 : n;
}

const char *htr_net_vgsl(const struct htr_net *net) { return net->vgsl; }
int htr_net_input_height(const struct htr_net *net) { return net->spec.in_h; }
int htr_net_input_channels(const struct htr_net *net) { return net->spec.in_c; }
int htr_net_input_width(const struct htr_net *net) { return net->spec.in_w; }
int htr_net_nclass(const struct htr_net *net) { return net->nclass; }
int htr_net_is_ctc(const struct htr_net *net) { return net->ctc; }
size_t htr_net_nparams(const struct htr_net *net) { return net->nparams; }
size_t htr_net_nstate(const struct htr_net *net) { return net->nstate; }
int htr_net_nlayers(const struct htr_net *net) { return net->nl; }
float *htr_net_params(struct htr_net *net) { return net->params; }
float *htr_net_grads(struct htr_net *net) { return net->grads; }
float *htr_net_adam_m(struct htr_net *net) { return net->adam; }
float *htr_net_adam_v(struct htr_net *net)
{
	return net->adam ? net->adam + net->nparams : NULL;
}
long htr_net_adam_t(const struct htr_net *net) { return net->adam_t; }
struct htr_rng *htr_net_rng(struct htr_net *net) { return &net->rng; }

/* Map width after layer l for input width w (0 when too narrow). */
static int
width_after(const struct layer *l, int w)
{
	if (l->kind == K_CONV)
		return htr_conv_outsize(w, l->sw);
	if (l->kind == K_POOL)
		return htr_pool_outsize(w, l->kw, l->sw);
	if (l->kind == K_M2V)
		return 1;
	return w;
}

int
htr_net_out_width(const struct htr_net *net, int w)
{
	if (w <= 0)
		return 0;
	for (int i = 0; i < net->nl && w > 0; i++)
		w = width_after(&net->l[i], w);
	return w;
}

int
htr_net_min_width(const struct htr_net *net)
{
	if (net->spec.in_w)
		return net->spec.in_w;
	for (int w = 1; w <= HTR_MAX_DIM; w++)
		if (htr_net_out_width(net, w) > 0)
			return w;
	return HTR_MAX_DIM + 1;
}

void
htr_net_layer_info(const struct htr_net *net, int i,
    struct htr_net_layer_info *info)
{
	const struct layer *l = &net->l[i];

	HTR_ASSERT(i >= 0 && i < net->nl);
	info->tok = l->tok;
	info->nparams = l->np;
	info->out_c = l->oc;
	info->out_h = l->form == MAP ? l->oh : 1;
	info->out_w = l->ow;
	info->flops = l->flops;
	info->fwd_s = l->fwd_s;
	info->bwd_s = l->bwd_s;
	info->fwd_cpu = l->fwd_cpu;
	info->bwd_cpu = l->bwd_cpu;
}

void
htr_net_profile(struct htr_net *net, int on)
{
	net->profile = on;
	for (int i = 0; i < net->nl; i++)
		net->l[i].fwd_s = net->l[i].bwd_s = net->l[i].fwd_cpu =
		    net->l[i].bwd_cpu = 0;
}

/* ---- forward ------------------------------------------------------------- */

static size_t
maxz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Lays out the activation arena for a batch of N, width W, in mode. */
static int
plan(struct htr_net *net, int N, int W, int mode)
{
	size_t off = 0, maxout = 0, maxaux = 0, col = 0, lscr = 0;
	int w = W, T = 1;

	net->in0 = 0;
	off += (size_t)net->spec.in_c * N * net->spec.in_h * W;
	for (int i = 0; i < net->nl; i++) {
		struct layer *l = &net->l[i];
		l->iw = w;
		w = width_after(l, w);
		if (w <= 0)
			return htr_fail("batch width %d is too narrow for the "
			    "network (at least %d)", W, htr_net_min_width(net));
		l->ow = l->form == VEC ? 1 : w;
		if (l->kind == K_M2S)
			T = w;
		size_t rows = l->form == MAP ? (size_t)N * l->oh * w :
		    l->form == SEQ ? (size_t)T * N : (size_t)N;
		l->nout = rows * l->oc;
		l->naux = 0;
		l->flops = 0;
		switch (l->kind) {
		case K_CONV: {
			size_t per = htr_conv_colsize(l->ic, l->kh, l->kw, l->oh, w);
			size_t K = (size_t)l->ic * l->kh * l->kw;
			col = maxz(col, maxz(per, (size_t)COL_FLOATS < per * N ?
			    COL_FLOATS : per * N));
			l->flops = 2.0 * l->oc * K * rows;
			break;
		}
		case K_BN:
			l->naux = 2 * (size_t)l->ic;
			break;
		case K_DROP:
			l->naux = mode == HTR_NET_TRAIN ? l->nout : 0;
			break;
		case K_LSTM:
			l->naux = (size_t)l->ndir * T * N * 6 * l->H;
			lscr = maxz(lscr, l->ndir * htr_lstm_scratch(T, N, l->H));
			l->flops = 2.0 * l->ndir * T * N * 4 * l->H *
			    (l->ic + l->H);
			break;
		case K_LIN:
			l->flops = 2.0 * rows * l->ic * l->oc;
			break;
		case K_OUT:
			l->naux = l->nout;
			l->flops = 2.0 * rows * l->ic * l->oc;
			break;
		}
		maxout = maxz(maxout, l->nout);
		maxaux = maxz(maxaux, l->naux);
	}
	if (mode == HTR_NET_INFER) {
		/* outputs alternate between two buffers; aux shared */
		for (int i = 0; i < net->nl; i++) {
			net->l[i].out = off + (i & 1) * maxout;
			net->l[i].aux = off + 2 * maxout;
		}
		off += 2 * maxout + maxaux;
	} else {
		for (int i = 0; i < net->nl; i++) {
			net->l[i].out = off;
			off += net->l[i].nout;
		}
		for (int i = 0; i < net->nl; i++) {
			net->l[i].aux = off;
			off += net->l[i].naux;
		}
	}
	net->col = off, net->ncol = col;
	off += col;
	net->tmp = off;
	off += mode == HTR_NET_INFER ? 0 : maxout;
	net->lscr = off;
	off += mode == HTR_NET_INFER ? 0 : lscr;
	if (off > net->cap) {
		free(net->act);
		net->cap = 0;
		if (!(net->act = htr_alloc(off, sizeof (float))))
			return htr_fail("batch of %d x %d: %s", N, W, htr_errmsg());
		net->cap = off;
	}
	if (mode != HTR_NET_INFER && off > net->dcap) {
		free(net->dact);
		net->dcap = 0;
		if (!(net->dact = htr_alloc(off, sizeof (float))))
			return htr_fail("batch of %d x %d: %s", N, W, htr_errmsg());
		net->dcap = off;
	}
	net->T = T;
	return 0;
}

static const float *
input_of(const struct htr_net *net, int i)
{
	return i == 0 ? net->x0 : net->act + net->l[i - 1].out;
}

static void
act_fwd(float *y, const struct layer *l, int N)
{
	size_t m = l->nout / l->oc;

	if (l->act == HTR_ACT_SOFTMAX)
		htr_softmax_forward(y, y, l->oc, (size_t)N * l->oh * l->ow, m, 1);
	else if (l->act != HTR_ACT_LINEAR)
		htr_act_forward(y, y, l->nout, l->act);
}

/* The recurrence of one direction d of LSTM layer l (the two directions
 * of a bidirectional layer run at once: htr_par_tasks). */
struct lstm_task {
	struct htr_net *net;
	const struct layer *l;
	const float *dout;      /* backward: the output's gradient */
	size_t scr;             /* backward: scratch floats per direction */
};

static void
lstm_fwd_task(void *ctx, int d)
{
	const struct lstm_task *k = ctx;
	const struct layer *l = k->l;
	struct htr_net *net = k->net;
	int H = l->H, I = l->ic, T = l->iw, N = net->N, G = 4 * H;
	const float *q = net->params + l->p + d * (size_t)G * (I + H + 1);
	float *c = net->act + l->aux + (size_t)d * T * N * 6 * H;

	htr_lstm_forward_steps(net->act + l->out + d * H, c,
	    c + (size_t)T * N * H, q + (size_t)G * I,
	    net->lens_full ? NULL : net->lens, T, N, H, l->oc,
	    l->reverse0 || d == 1);
}

static void
lstm_bwd_task(void *ctx, int d)
{
	const struct lstm_task *k = ctx;
	const struct layer *l = k->l;
	struct htr_net *net = k->net;
	int H = l->H, I = l->ic, T = l->iw, N = net->N, G = 4 * H;
	const float *q = net->params + l->p + d * (size_t)G * (I + H + 1);
	const float *c = net->act + l->aux + (size_t)d * T * N * 6 * H;

	htr_lstm_backward_steps(net->act + net->lscr + d * k->scr,
	    k->dout + d * H, c, c + (size_t)T * N * H, q + (size_t)G * I,
	    net->lens_full ? NULL : net->lens, T, N, H, l->oc,
	    l->reverse0 || d == 1);
}

static void
forward_layer(struct htr_net *net, struct layer *l, const float *in,
    int mode)
{
	float *out = net->act + l->out, *aux = net->act + l->aux;
	float *p = net->params + l->p;
	int N = net->N;

	switch (l->kind) {
	case K_CONV: {
		size_t nw = l->np - l->oc;
		htr_conv_forward(out, net->act + net->col, net->ncol, in, p,
		    p + nw, N, l->ic, l->ih, l->iw, l->oc, l->kh, l->kw, l->sh,
		    l->sw);
		act_fwd(out, l, N);
		break;
	}
	case K_BN:
		if (htr_batchnorm_fuses(l->act)) {
			htr_batchnorm_act_forward(out, aux, aux + l->ic,
			    net->params + l->s, net->params + l->s + l->ic, in, p,
			    p + l->ic, l->ic, N * l->ih * l->iw, BN_MOMENTUM, BN_EPS,
			    mode == HTR_NET_TRAIN, l->act);
			break;
		}
		htr_batchnorm_forward(out, aux, aux + l->ic, net->params + l->s,
		    net->params + l->s + l->ic, in, p, p + l->ic, l->ic,
		    N * l->ih * l->iw, BN_MOMENTUM, BN_EPS,
		    mode == HTR_NET_TRAIN);
		act_fwd(out, l, N);
		break;
	case K_POOL:
		htr_maxpool_forward(out, in, l->ic * N, l->ih, l->iw, l->kh,
		    l->kw, l->sh, l->sw);
		break;
	case K_DROP:
		if (mode == HTR_NET_TRAIN && l->rate > 0) {
			htr_dropout_mask(aux, l->nout, l->rate, &net->rng);
			htr_dropout_forward(out, in, aux, l->nout);
		} else
			memcpy(out, in, l->nout * sizeof *out);
		break;
	case K_M2S:
		htr_map2seq_forward(out, in, l->ic, N, l->ih, l->iw);
		break;
	case K_M2V:
		htr_map2vec_forward(out, in, l->ic, N, l->ih, l->iw);
		break;
	case K_LSTM: {
		int H = l->H, I = l->ic, T = l->iw, G = 4 * H;
		size_t per = (size_t)G * (I + H + 1);
		for (int d = 0; d < l->ndir; d++) {
			float *q = p + d * per;
			float *c = aux + (size_t)d * T * N * 6 * H;
			htr_lstm_forward_input(c + (size_t)T * N * H, in, q,
			    q + (size_t)G * (I + H), T, N, I, H);
		}
		struct lstm_task k = { net, l, NULL, 0 };
		htr_par_tasks(l->ndir, lstm_fwd_task, &k);
		break;
	}
	case K_LIN:
	case K_OUT: {
		int M = (int)(l->nout / l->oc);
		size_t nw = l->np - l->oc;
		if (l->kind == K_LIN) {
			htr_linear_forward(out, in, p, p + nw, M, l->ic, l->oc);
			act_fwd(out, l, N);
		} else {
			htr_linear_forward(aux, in, p, p + nw, M, l->ic, l->oc);
			htr_logsoftmax_forward(out, aux, M, l->oc);
		}
		break;
	}
	}
}

/* Zeroes the columns of layer i's map output (or its gradient) beyond each
 * sample's own width, so that a sample's result does not depend on the
 * padding or on the other samples of its batch (batch norm statistics in
 * training aside). */
static void
mask(struct htr_net *net, int i, float *y)
{
	const struct layer *l = &net->l[i];
	int N = net->N, ow = l->ow;

	if (l->form != MAP || !(l->kind == K_CONV || l->kind == K_BN ||
	    l->kind == K_POOL))
		return;
	for (int c = 0; c < l->oc; c++)
		for (int n = 0; n < N; n++) {
			int vw = net->lw[(size_t)i * N + n];
			if (vw >= ow)
				continue;
			float *p = y + ((size_t)c * N + n) * l->oh * ow;
			for (int r = 0; r < l->oh; r++)
				memset(p + (size_t)r * ow + vw, 0,
				    (ow - vw) * sizeof *p);
		}
}

int
htr_net_forward(struct htr_net *net, const float *x, int N, int W,
    const int *widths, int mode)
{
	int C = net->spec.in_c, H = net->spec.in_h;

	net->have_fwd = 0;
	if (N < 1 || W < 1)
		return htr_fail("empty batch (%d x %d)", N, W);
	if (net->spec.in_w && W != net->spec.in_w)
		return htr_fail("batch width %d: the network takes images %d "
		    "wide", W, net->spec.in_w);
	if ((double)N * C * H * W > HTR_MAX_PIXELS)
		return htr_fail("batch of %d x %d x %d is too large", N, H, W);
	if (N > net->lcap) {
		int *p = htr_realloc(net->lens, N, sizeof *p);
		if (!p)
			return -1;
		net->lens = p;
		if (!(p = htr_realloc(net->lw, (size_t)N * net->nl, sizeof *p)))
			return -1;
		net->lw = p;
		net->lcap = N;
	}
	net->N = N, net->W = W;
	if (plan(net, N, W, mode) < 0)
		return -1;
	int Tout = net->l[net->nl - 1].ow;
	net->lens_full = 1;
	net->masked = 0;
	for (int n = 0; n < N; n++) {
		if (widths && (widths[n] < 1 || widths[n] > W))
			return htr_fail("sample %d: width %d outside 1..%d", n,
			    widths[n], W);
		int w = widths ? widths[n] : W;
		net->masked |= w < W;
		for (int i = 0; i < net->nl; i++)
			net->lw[(size_t)i * N + n] = w = width_after(&net->l[i], w);
		net->lens[n] = !net->ctc ? 1 : w;
		net->lens_full &= net->lens[n] == Tout;
	}
	if (C > 1 || net->masked) {
		/* channel-major, and zero beyond each sample's width */
		float *x0 = net->act + net->in0;
		htr_nchw2cnhw(x0, x, N, C, H, W);
		for (int c = 0; c < C && net->masked; c++)
			for (int n = 0; n < N; n++)
				for (int y = 0; y < H; y++)
					memset(x0 + (((size_t)c * N + n) * H + y) * W +
					    widths[n], 0, (W - widths[n]) * sizeof *x0);
		net->x0 = x0;
	} else
		net->x0 = x;
	for (int i = 0; i < net->nl; i++) {
		double t0 = net->profile ? htr_clock_seconds() : 0;
		double c0 = net->profile ? htr_clock_cpu_seconds() : 0;
		forward_layer(net, &net->l[i], input_of(net, i), mode);
		if (net->masked)
			mask(net, i, net->act + net->l[i].out);
		if (net->profile) {
			net->l[i].fwd_s += htr_clock_seconds() - t0;
			net->l[i].fwd_cpu += htr_clock_cpu_seconds() - c0;
		}
	}
	net->mode = mode;
	net->have_fwd = 1;
	return 0;
}

const float *
htr_net_output(const struct htr_net *net, int *T, int *N, int *C)
{
	const struct layer *l = &net->l[net->nl - 1];

	HTR_ASSERT(net->have_fwd);
	if (T)
		*T = net->ctc ? l->ow : 1;
	if (N)
		*N = net->N;
	if (C)
		*C = l->oc;
	return net->act + l->out;
}

const int *
htr_net_output_lengths(const struct htr_net *net)
{
	HTR_ASSERT(net->have_fwd);
	return net->lens;
}

/* ---- losses -------------------------------------------------------------- */

float *
htr_net_output_grad(struct htr_net *net)
{
	const struct layer *l = &net->l[net->nl - 1];

	if (!net->have_fwd || net->mode == HTR_NET_INFER)
		return NULL;
	float *g = net->dact + l->out;
	memset(g, 0, l->nout * sizeof *g);
	return g;
}

double
htr_net_loss_ctc(struct htr_net *net, const int *labels,
    const int *label_lens, float *losses, int *nskipped)
{
	int T, N, C, valid = 0, skipped;
	size_t off = 0;

	if (!net->have_fwd)
		return htr_fail("CTC loss: no forward pass");
	if (!net->ctc)
		return htr_fail("CTC loss: the network has no O1c output");
	const float *y = htr_net_output(net, &T, &N, &C);
	for (int n = 0; n < N; n++) {
		if (label_lens[n] < 0)
			return htr_fail("CTC loss: sample %d: negative label "
			    "length", n);
		int need = htr_ctc_min_frames(labels + off, label_lens[n]);
		valid += net->lens[n] > 0 && net->lens[n] >= need;
		off += label_lens[n];
	}
	float *g = htr_net_output_grad(net);
	double sum = htr_ctc_batch(losses, &skipped, g, y, net->lens, labels,
	    label_lens, T, N, C, valid ? 1.0f / valid : 0);
	if (sum < 0)
		return -1;
	if (nskipped)
		*nskipped = skipped;
	return valid ? sum / valid : 0;
}

double
htr_net_loss_nll(struct htr_net *net, const int *targets, float *losses)
{
	int N, C;

	if (!net->have_fwd)
		return htr_fail("NLL loss: no forward pass");
	if (net->ctc)
		return htr_fail("NLL loss: the network has a CTC output");
	const float *y = htr_net_output(net, NULL, &N, &C);
	for (int n = 0; n < N; n++)
		if (targets[n] < 0 || targets[n] >= C)
			return htr_fail("NLL loss: sample %d: class %d outside "
			    "0..%d", n, targets[n], C - 1);
	float *g = htr_net_output_grad(net);
	double sum = 0;
	for (int n = 0; n < N; n++) {
		float l = -y[(size_t)n * C + targets[n]];
		sum += l;
		if (losses)
			losses[n] = l;
		if (g)
			g[(size_t)n * C + targets[n]] = -1.0f / N;
	}
	return sum / N;
}

/* ---- backward ------------------------------------------------------------ */

static int
ensure_grads(struct htr_net *net)
{
	if (!net->grads &&
	    !(net->grads = htr_zalloc(net->nparams ? net->nparams : 1,
	    sizeof (float))))
		return -1;
	return 0;
}

int
htr_net_zero_grad(struct htr_net *net)
{
	if (ensure_grads(net) < 0)
		return -1;
	memset(net->grads, 0, net->nparams * sizeof *net->grads);
	return 0;
}

/* The gradient on the pre-activation values of l, in the tmp buffer. */
static const float *
act_bwd(struct htr_net *net, const struct layer *l, const float *dout)
{
	const float *out = net->act + l->out;
	float *t = net->act + net->tmp;

	if (l->act == HTR_ACT_LINEAR)
		return dout;
	if (l->act == HTR_ACT_SOFTMAX) {
		size_t m = l->nout / l->oc;
		htr_par_zero(t, l->nout);
		htr_softmax_backward(t, dout, out, l->oc, m, m, 1);
	} else
		htr_act_grad(t, dout, out, l->nout, l->act);
	return t;
}

/* Batch norm and its activation have one backward pass (train mode). */
static int
bn_fused_bwd(const struct htr_net *net, const struct layer *l)
{
	return l->kind == K_BN && net->mode == HTR_NET_TRAIN &&
	    htr_batchnorm_fuses(l->act);
}

static void
backward_layer(struct htr_net *net, struct layer *l, float *din,
    const float *in)
{
	const float *dout = net->dact + l->out;
	const float *out = net->act + l->out, *aux = net->act + l->aux;
	const float *p = net->params + l->p;
	float *dp = net->grads + l->p;
	int N = net->N;

	switch (l->kind) {
	case K_CONV: {
		size_t nw = l->np - l->oc;
		htr_conv_backward(din, dp, dp + nw, net->act + net->col,
		    net->ncol, act_bwd(net, l, dout), in, p, N, l->ic, l->ih,
		    l->iw, l->oc, l->kh, l->kw, l->sh, l->sw);
		break;
	}
	case K_BN: {
		if (bn_fused_bwd(net, l)) { /* writes din: see writes_din() */
			htr_batchnorm_act_backward(din, dp, dp + l->ic, dout, out,
			    in, aux, aux + l->ic, p, l->ic, N * l->ih * l->iw, l->act);
			break;
		}
		const float *g = act_bwd(net, l, dout);
		if (net->mode == HTR_NET_TRAIN)
			htr_batchnorm_backward(din, dp, dp + l->ic, g, in, aux,
			    aux + l->ic, p, l->ic, N * l->ih * l->iw);
		else
			htr_batchnorm_backward_eval(din, dp, dp + l->ic, g, in,
			    net->params + l->s, net->params + l->s + l->ic, p,
			    l->ic, N * l->ih * l->iw, BN_EPS);
		break;
	}
	case K_POOL:               /* writes din: see writes_din() */
		if (din)
			htr_maxpool_backward_set(din, dout, in, l->ic * N, l->ih,
			    l->iw, l->kh, l->kw, l->sh, l->sw);
		break;
	case K_DROP:
		if (!din)
			break;
		if (net->mode == HTR_NET_TRAIN && l->rate > 0)
			htr_dropout_backward(din, dout, aux, l->nout);
		else
			for (size_t i = 0; i < l->nout; i++)
				din[i] += dout[i];
		break;
	case K_M2S:
		if (din)
			htr_map2seq_backward(din, dout, l->ic, N, l->ih, l->iw);
		break;
	case K_M2V:
		if (din)
			htr_map2vec_backward(din, dout, l->ic, N, l->ih, l->iw);
		break;
	case K_LSTM: {
		int H = l->H, I = l->ic, T = l->iw, G = 4 * H;
		size_t per = (size_t)G * (I + H + 1);
		size_t scr = htr_lstm_scratch(T, N, H);
		struct lstm_task k = { net, l, dout, scr };
		htr_par_tasks(l->ndir, lstm_bwd_task, &k);
		for (int d = 0; d < l->ndir; d++) {
			float *dq = dp + d * per;
			htr_lstm_backward_weights(din, dq, dq + (size_t)G * I,
			    dq + (size_t)G * (I + H), net->act + net->lscr + d * scr,
			    out + d * H, in, p + d * per, T, N, I, H, l->oc,
			    l->reverse0 || d == 1);
		}
		break;
	}
	case K_LIN:
	case K_OUT: {
		int M = (int)(l->nout / l->oc);
		size_t nw = l->np - l->oc;
		const float *g;
		if (l->kind == K_LIN)
			g = act_bwd(net, l, dout);
		else {
			float *t = net->act + net->tmp;
			memset(t, 0, l->nout * sizeof *t);
			htr_logsoftmax_backward(t, dout, out, M, l->oc);
			g = t;
		}
		htr_linear_backward(din, dp, dp + nw, g, in, p, M, l->ic, l->oc);
		break;
	}
	}
}

/* Whether backward_layer() overwrites its input gradient (rather than
 * adding into it), so that it needs no zeroing first. */
static int
writes_din(const struct htr_net *net, const struct layer *l)
{
	return l->kind == K_POOL || bn_fused_bwd(net, l);
}

int
htr_net_backward(struct htr_net *net)
{
	if (!net->have_fwd)
		return htr_fail("backward: no forward pass");
	if (net->mode == HTR_NET_INFER)
		return htr_fail("backward: the last forward was inference-only");
	if (ensure_grads(net) < 0)
		return -1;
	for (int i = net->nl - 1; i >= 0; i--) {
		struct layer *l = &net->l[i];
		double t0 = net->profile ? htr_clock_seconds() : 0;
		double c0 = net->profile ? htr_clock_cpu_seconds() : 0;
		float *din = NULL;
		if (i > 0) {
			din = net->dact + net->l[i - 1].out;
			if (!writes_din(net, l))
				htr_par_zero(din, net->l[i - 1].nout);
		}
		if (net->masked)
			mask(net, i, net->dact + l->out);
		backward_layer(net, l, din, input_of(net, i));
		if (net->profile) {
			l->bwd_s += htr_clock_seconds() - t0;
			l->bwd_cpu += htr_clock_cpu_seconds() - c0;
		}
	}
	return 0;
}

/* ---- Adam ---------------------------------------------------------------- */

void
htr_adam_defaults(struct htr_adam *a)
{
	a->lr = 1e-3f;
	a->beta1 = 0.9f;
	a->beta2 = 0.999f;
	a->eps = 1e-8f;
	a->weight_decay = 0;
	a->clip = 0;
}

struct adamk {
	struct htr_net *net;
	const struct htr_adam *a;
	float scale, c1, c2;
};

static void
adam_chunk(void *ctx, size_t lo, size_t hi)
{
	const struct adamk *k = ctx;
	const struct htr_adam *a = k->a;
	size_t n = k->net->nparams;
	float *m = k->net->adam, *v = m + n, *p = k->net->params;
	const float *gr = k->net->grads;

	for (size_t i = lo; i < hi; i++) {
		float g = gr[i] * k->scale;
		m[i] = a->beta1 * m[i] + (1 - a->beta1) * g;
		v[i] = a->beta2 * v[i] + (1 - a->beta2) * g * g;
		float mh = m[i] / k->c1, vh = v[i] / k->c2;
		p[i] -= a->lr * (mh / (sqrtf(vh) + a->eps) + a->weight_decay * p[i]);
	}
}

double
htr_net_adam_step(struct htr_net *net, const struct htr_adam *a)
{
	size_t n = net->nparams;

	if (ensure_grads(net) < 0)
		return -1;
	if (!net->adam && !(net->adam = htr_zalloc(2 * n + 1, sizeof (float))))
		return -1;
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (double)net->grads[i] * net->grads[i];
	double norm = sqrt(ss);
	float scale = a->clip > 0 && norm > a->clip ? (float)(a->clip / norm) : 1;
	net->adam_t++;
	struct adamk k = { net, a, scale,
	    1 - (float)pow(a->beta1, (double)net->adam_t),
	    1 - (float)pow(a->beta2, (double)net->adam_t) };
	htr_par_for(n, 8, adam_chunk, &k);
	return norm;
}

/* For the checkpoint code in model.c. */
int
htr_net_adam_restore(struct htr_net *net, long t)
{
	if (!net->adam && !(net->adam = htr_zalloc(2 * net->nparams + 1,
	    sizeof (float))))
		return -1;
	net->adam_t = t;
	return 0;
}
