/* serve_multipart.c — Content-Type values and multipart/form-data bodies
 * (serve_multipart.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "htr.h"
#include "serve_multipart.h"

/* Headers of one part: generous for a browser, small for an attacker. */
#define PART_HEADERS_MAX 4096

int
htr_mp_type_is(const char *ctype, const char *type)
{
	size_t n = strlen(type), m;

	if (!ctype)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	m = strcspn(ctype, "; \t");
	return m == n && !strncasecmp(ctype, type, n);
}

/* The ';' that ends the parameter at v (skipping quoted strings, which
 * may hold ';'), or NULL. */
static const char *
next_param(const char *v)
{
	int q = 0;

	for (; *v; v++) {
		if (q && *v == '\\' && v[1])
			v++;
		else if (*v == '"')
			q = !q;
		else if (!q && *v == ';')
			return v;
	}
	return NULL;
}

/* htr_mp_param(), but 1 (and no error) when the parameter is absent. */
static int
param_get(const char *v, const char *param, char *out, size_t n)
{
	size_t plen = strlen(param);

	v = next_param(v);
	while (v) {
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strncasecmp(v, param, plen) && v[plen] == '=') {
			size_t k = 0;

			v += plen + 1;
			if (*v == '"') {
				for (v++; *v && *v != '"'; v++) {
					if (*v == '\\' && v[1])
						v++;
					if (k + 1 >= n)
						return htr_fail("%s parameter "
						    "too long", param);
					out[k++] = *v;
				}
				if (*v != '"')
					return htr_fail("unterminated quote in "
					    "the %s parameter", param);
			} else {
				for (; *v && *v != ';' && *v != ' ' &&
				    *v != '\t'; v++) {
					if (k + 1 >= n)
						return htr_fail("%s parameter "
						    "too long", param);
					out[k++] = *v;
				}
			}
			out[k] = 0;
			if (k == 0)
				return htr_fail("empty %s parameter", param);
			return 0;
		}
		v = next_param(v);
	}
	return 1;
}

int
htr_mp_param(const char *v, const char *param, char *out, size_t n)
{
	int rc = param_get(v, param, out, n);

	return rc > 0 ? htr_fail("no %s parameter", param) : rc;
}

/* First occurrence of needle [nn] in hay [nh], or NULL. */
static const unsigned char *
find(const unsigned char *hay, size_t nh, const char *needle, size_t nn)
{
	if (nn == 0 || nh < nn)
		return NULL;
	for (const unsigned char *p = hay, *end = hay + nh - nn + 1; p < end;
	    p++) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (!p)
			return NULL;
		if (!memcmp(p, needle, nn))
			return p;
	}
	return NULL;
}

/* The next real delimiter in p [n]: "\r\n--boundary" followed by "--" or
 * by optional white space and CRLF (the same bytes followed by anything
 * else are data).  NULL if there is none. */
static const unsigned char *
find_delim(const unsigned char *p, size_t n, const char *delim, size_t dlen)
{
	const unsigned char *end = p + n, *q;

	while ((q = find(p, (size_t)(end - p), delim, dlen))) {
		const unsigned char *r = q + dlen;

		if (end - r >= 2 && r[0] == '-' && r[1] == '-')
			return q;
		while (r < end && (*r == ' ' || *r == '\t'))
			r++;
		if (end - r >= 2 && r[0] == '\r' && r[1] == '\n')
			return q;
		p = q + 1;
	}
	return NULL;
}

/* Copies a header's parameter (e.g. name="x") into out; an absent one
 * leaves out empty.  Returns 0 or -1 (htr_fail). */
static int
disposition_param(const char *hdr, const char *param, char *out, size_t n)
{
	int rc;

	out[0] = 0;
	rc = param_get(hdr, param, out, n);
	if (rc > 0)
		out[0] = 0;     /* absent is fine; malformed is not */
	return rc < 0 ? -1 : 0;
}

/* Parses the header block of one part, hdr [n] (CRLF-separated lines, no
 * final empty line). */
static int
part_headers(struct htr_mp_part *p, const char *hdr, size_t n)
{
	char line[PART_HEADERS_MAX + 1];
	int have_disp = 0;

	while (n > 0) {
		const char *eol = memchr(hdr, '\r', n);
		size_t len = eol ? (size_t)(eol - hdr) : n;

		if (eol && (len + 1 >= n || eol[1] != '\n'))
			return htr_fail("part header line not ended by CRLF");
		memcpy(line, hdr, len);
		line[len] = 0;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				return htr_fail("control character in a part "
				    "header");
		if (!strncasecmp(line, "Content-Disposition:", 20)) {
			const char *v = line + 20;

			while (*v == ' ' || *v == '\t')
				v++;
			if (!htr_mp_type_is(v, "form-data"))
				return htr_fail("part disposition is not "
				    "form-data");
			if (disposition_param(v, "name", p->name,
			    sizeof p->name) ||
			    disposition_param(v, "filename", p->filename,
			    sizeof p->filename))
				return htr_fail_prefix("part header");
			have_disp = 1;
		} else if (!strncasecmp(line, "Content-Type:", 13)) {
			const char *v = line + 13;

			while (*v == ' ' || *v == '\t')
				v++;
			if (strlen(v) >= sizeof p->type)
				return htr_fail("part Content-Type too long");
			strcpy(p->type, v);
		}
		/* Other headers (Content-Transfer-Encoding is deprecated by
		 * RFC 7578) are ignored. */
		if (!eol)
			break;
		hdr += len + 2;
		n -= len + 2;
	}
	if (!have_disp || !p->name[0])
		return htr_fail("part without a Content-Disposition name");
	return 0;
}

int
htr_mp_parse(struct htr_mp_part *part, int maxpart,
    const unsigned char *body, size_t len, const char *boundary)
{
	char delim[HTR_MP_BOUNDARY_MAX + 8];
	size_t blen = strlen(boundary), dlen;
	const unsigned char *p, *end = body + len;
	int np = 0;

	if (blen == 0 || blen > 70)
		return htr_fail("boundary of %zu bytes (1 to 70 allowed)",
		    blen);
	/* The first delimiter may start the body; later ones follow CRLF. */
	snprintf(delim, sizeof delim, "\r\n--%s", boundary);
	dlen = strlen(delim);
	if (len >= dlen - 2 && !memcmp(body, delim + 2, dlen - 2))
		p = body + dlen - 2;
	else if ((p = find_delim(body, len, delim, dlen)))
		p += dlen;
	else
		return htr_fail("no multipart boundary in the body");
	for (;;) {
		const unsigned char *hend, *next;
		struct htr_mp_part *q;

		/* After a delimiter: "--" closes, else optional white space
		 * and CRLF begin a part. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return np;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return htr_fail("truncated multipart body (no "
			    "closing boundary)");
		p += 2;
		if (np == maxpart)
			return htr_fail("more than %d parts in the form",
			    maxpart);
		q = &part[np];
		memset(q, 0, sizeof *q);
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			/* No headers at all: no name, an error. */
			return part_headers(q, (const char *)p, 0);
		} else {
			size_t room = (size_t)(end - p);

			if (room > PART_HEADERS_MAX + 4)
				room = PART_HEADERS_MAX + 4;
			if (!(hend = find(p, room, "\r\n\r\n", 4)))
				return htr_fail(end - p > PART_HEADERS_MAX ?
				    "part headers longer than %d bytes" :
				    "truncated multipart body (part "
				    "headers)", PART_HEADERS_MAX);
			if (part_headers(q, (const char *)p,
			    (size_t)(hend - p)))
				return -1;
			hend += 2;
		}
		p = hend + 2;
		if (!(next = find_delim(p, (size_t)(end - p), delim, dlen)))
			return htr_fail("truncated multipart body (no "
			    "closing boundary)");
		q->data = p;
		q->len = (size_t)(next - p);
		np++;
		p = next + dlen;
	}
}

const struct htr_mp_part *
htr_mp_find(const struct htr_mp_part *part, int npart, const char *name)
{
	for (int i = 0; i < npart; i++)
		if (!strcmp(part[i].name, name))
			return &part[i];
	return NULL;
}
