/* vgsl.c — parser and printer for the VGSL subset in vgsl.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "layers.h"
#include "vgsl.h"

#define NUMMAX 65535

static const char acts[] = "lrktsm";   /* index = enum htr_act */

static int
act_of(char ch)
{
	const char *p = ch ? strchr(acts, ch) : NULL;

	return p ? (int)(p - acts) : -1;
}

/* Parses "a,b,c" (n_min..n_max integers, each 1..NUMMAX unless zero_ok)
 * from s; returns the count or -1. */
static int
ints(const char *s, int *v, int nmin, int nmax, int zero_ok)
{
	int n = 0;

	for (;;) {
		if (!isdigit((unsigned char)*s) || n == nmax)
			return -1;
		long x = 0;
		while (isdigit((unsigned char)*s)) {
			x = x * 10 + (*s++ - '0');
			if (x > NUMMAX)
				return -1;
		}
		if (x == 0 && !zero_ok)
			return -1;
		v[n++] = (int)x;
		if (*s == 0)
			break;
		if (*s++ != ',')
			return -1;
	}
	return n >= nmin ? n : -1;
}

static int
bad(const char *tok, const char *why)
{
	return htr_fail("VGSL: '%s': %s", tok, why);
}

static int
layer(struct htr_vgsl_layer *l, const char *t)
{
	int v[5], n;

	memset(l, 0, sizeof *l);
	snprintf(l->tok, sizeof l->tok, "%s", t);
	switch (t[0]) {
	case 'C':
		l->kind = HTR_VGSL_CONV;
		if ((l->act = act_of(t[1])) < 0)
			return bad(t, "unknown activation (r, l, t, s, m, k)");
		n = ints(t + 2, v, 3, 5, 0);
		if (n != 3 && n != 5)
			return bad(t, "expected C<act><kh>,<kw>,<filters>"
			    "[,<sh>,<sw>]");
		l->kh = v[0], l->kw = v[1], l->n = v[2];
		l->sh = n == 5 ? v[3] : 1, l->sw = n == 5 ? v[4] : 1;
		if (l->kh > 63 || l->kw > 63)
			return bad(t, "kernel larger than 63");
		return 0;
	case 'B':
		l->kind = HTR_VGSL_BATCHNORM;
		if (t[1] != 'n' || (t[2] && t[3]))
			return bad(t, "expected Bn or Bn<act>");
		l->act = t[2] ? act_of(t[2]) : HTR_ACT_LINEAR;
		if (l->act < 0 || l->act == HTR_ACT_SOFTMAX)
			return bad(t, "unknown activation (r, l, t, s, k)");
		return 0;
	case 'M':
		l->kind = HTR_VGSL_MAXPOOL;
		if (t[1] != 'p')
			return bad(t, "only max pooling (Mp) is supported");
		n = ints(t + 2, v, 2, 4, 0);
		if (n != 2 && n != 4)
			return bad(t, "expected Mp<kh>,<kw>[,<sh>,<sw>]");
		l->kh = v[0], l->kw = v[1];
		l->sh = n == 4 ? v[2] : v[0], l->sw = n == 4 ? v[3] : v[1];
		return 0;
	case 'D': {
		l->kind = HTR_VGSL_DROPOUT;
		if (t[1] != 'o')
			return bad(t, "expected Do[<rate>]");
		l->rate = 0.5f;
		if (t[2]) {
			char *end;
			double r = strtod(t + 2, &end);
			if (*end || !(r >= 0 && r < 1))
				return bad(t, "dropout rate must be in [0, 1)");
			l->rate = (float)r;
		}
		return 0;
	}
	case 'L':
		l->kind = HTR_VGSL_LSTM;
		if (!t[1] || !strchr("frb", t[1]))
			return bad(t, "expected Lfx<n>, Lrx<n> or Lbx<n>");
		if (t[2] != 'x')
			return bad(t, "only LSTMs along the width (x) are "
			    "supported");
		if (ints(t + 3, v, 1, 1, 0) != 1)
			return bad(t, "expected a unit count after L?x");
		l->dir = t[1], l->n = v[0];
		return 0;
	case 'F':
		l->kind = HTR_VGSL_LINEAR;
		if ((l->act = act_of(t[1])) < 0 || l->act == HTR_ACT_SOFTMAX)
			return bad(t, "unknown activation (r, l, t, s, k)");
		if (ints(t + 2, v, 1, 1, 0) != 1)
			return bad(t, "expected F<act><n>");
		l->n = v[0];
		return 0;
	case 'O':
		l->kind = HTR_VGSL_OUTPUT;
		if (!((t[1] == '1' && t[2] == 'c') || (t[1] == '0' && t[2] == 's')))
			return bad(t, "supported outputs: O1c<n> (CTC) and "
			    "O0s<n> (one class per image)");
		if (ints(t + 3, v, 1, 1, 0) != 1 || v[0] < 2)
			return bad(t, "expected a class count of at least 2");
		l->outdim = t[1] - '0', l->n = v[0];
		return 0;
	case 'S':
		l->kind = HTR_VGSL_FOLD;
		if (strcmp(t, "S1(1x0)1,3") != 0)
			return bad(t, "the only reshape supported is S1(1x0)1,3 "
			    "(fold the height into the features)");
		return 0;
	}
	return bad(t, "unknown layer (C, Bn, Mp, Do, L, F, O, S)");
}

int
htr_vgsl_parse(struct htr_vgsl *v, const char *s)
{
	char buf[HTR_VGSL_STRMAX + 1];
	size_t len = strlen(s);

	memset(v, 0, sizeof *v);
	if (len > HTR_VGSL_STRMAX)
		return htr_fail("VGSL: longer than %d bytes", HTR_VGSL_STRMAX);
	memcpy(buf, s, len + 1);
	char *p = buf, *e = buf + len;
	while (isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if (*p != '[' || e == p || e[-1] != ']')
		return htr_fail("VGSL: '%s': must be enclosed in [ ], e.g. "
		    "[1,32,0,1 Cr3,3,32 Mp2,2 Lbx128 O1c80]", s);
	p++;
	*--e = 0;
	int ntok = 0;
	for (char *tok = strtok(p, " \t\n\r"); tok; tok = strtok(NULL,
	    " \t\n\r"), ntok++) {
		if (ntok == 0) {
			int d[4];
			if (ints(tok, d, 4, 4, 1) != 4)
				return bad(tok, "input spec must be <batch>,"
				    "<height>,<width>,<channels>");
			if (d[1] == 0)
				return bad(tok, "variable height is not "
				    "supported: give the input height");
			if (d[3] == 0)
				return bad(tok, "channel count must be at least 1");
			v->in_n = d[0], v->in_h = d[1], v->in_w = d[2];
			v->in_c = d[3];
			continue;
		}
		if (v->nlayer == HTR_VGSL_MAX)
			return bad(tok, "too many layers");
		if (v->nlayer > 0 &&
		    v->layer[v->nlayer - 1].kind == HTR_VGSL_OUTPUT)
			return bad(tok, "layer after the output layer");
		if (layer(&v->layer[v->nlayer], tok) < 0)
			return -1;
		v->nlayer++;
	}
	if (ntok == 0)
		return htr_fail("VGSL: empty specification");
	if (v->nlayer == 0 || v->layer[v->nlayer - 1].kind != HTR_VGSL_OUTPUT)
		return htr_fail("VGSL: the last layer must be an output "
		    "(O1c<n> or O0s<n>)");
	return 0;
}

int
htr_vgsl_format(char *buf, size_t size, const struct htr_vgsl *v)
{
	size_t n = 0;
	int r;

#define PUT(...) do { r = snprintf(buf + n, n < size ? size - n : 0, \
	__VA_ARGS__); if (r < 0) return -1; n += r; } while (0)
	PUT("[%d,%d,%d,%d", v->in_n, v->in_h, v->in_w, v->in_c);
	for (int i = 0; i < v->nlayer; i++) {
		const struct htr_vgsl_layer *l = &v->layer[i];
		switch (l->kind) {
		case HTR_VGSL_CONV:
			PUT(" C%c%d,%d,%d", acts[l->act], l->kh, l->kw, l->n);
			if (l->sh != 1 || l->sw != 1)
				PUT(",%d,%d", l->sh, l->sw);
			break;
		case HTR_VGSL_BATCHNORM:
			if (l->act == HTR_ACT_LINEAR)
				PUT(" Bn");
			else
				PUT(" Bn%c", acts[l->act]);
			break;
		case HTR_VGSL_MAXPOOL:
			PUT(" Mp%d,%d", l->kh, l->kw);
			if (l->sh != l->kh || l->sw != l->kw)
				PUT(",%d,%d", l->sh, l->sw);
			break;
		case HTR_VGSL_DROPOUT:
			PUT(" Do%g", l->rate);
			break;
		case HTR_VGSL_LSTM:
			PUT(" L%cx%d", l->dir, l->n);
			break;
		case HTR_VGSL_LINEAR:
			PUT(" F%c%d", acts[l->act], l->n);
			break;
		case HTR_VGSL_OUTPUT:
			PUT(" O%d%c%d", l->outdim, l->outdim ? 'c' : 's', l->n);
			break;
		case HTR_VGSL_FOLD:
			PUT(" S1(1x0)1,3");
			break;
		}
	}
	PUT("]");
#undef PUT
	return n < size ? 0 : htr_fail("VGSL: string longer than %zu bytes",
	    size - 1);
}
