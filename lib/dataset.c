/* dataset.c — TSV manifests, IAM words.txt/lines.txt, MNIST idx files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dataset.h"
#include "htr.h"
#include "utf8.h"

/* Longest manifest line accepted (path + text). */
#define LINE_MAX_BYTES (1 << 16)

void
htr_dataset_init(struct htr_dataset *ds)
{
	memset(ds, 0, sizeof *ds);
}

void
htr_dataset_free(struct htr_dataset *ds)
{
	for (long i = 0; i < ds->n; i++) {
		free(ds->s[i].path);
		free(ds->s[i].text);
	}
	free(ds->s);
	for (int i = 0; i < ds->nsrc; i++)
		free(ds->src[i]);
	for (int i = 0; i < ds->nblocks; i++)
		free(ds->blocks[i]);
	memset(ds, 0, sizeof *ds);
}

static char *
dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = htr_alloc(n, 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int
add_source(struct htr_dataset *ds, const char *name)
{
	if (ds->nsrc == HTR_DATASET_MAXSRC)
		return htr_fail("more than %d sources in one dataset",
		    HTR_DATASET_MAXSRC);
	if (!(ds->src[ds->nsrc] = dupstr(name)))
		return -1;
	return ds->nsrc++;
}

static struct htr_sample *
new_sample(struct htr_dataset *ds)
{
	if (ds->n == ds->cap) {
		long cap = ds->cap ? ds->cap * 2 : 1024;
		struct htr_sample *s;

		if (ds->n >= HTR_DATASET_MAX) {
			htr_fail("more than %ld samples", HTR_DATASET_MAX);
			return NULL;
		}
		if (!(s = htr_realloc(ds->s, (size_t)cap, sizeof *s)))
			return NULL;
		ds->s = s;
		ds->cap = cap;
	}
	memset(&ds->s[ds->n], 0, sizeof ds->s[0]);
	return &ds->s[ds->n++];
}

/* dir/rel, or rel itself when it is absolute or dir is empty. */
static char *
join(const char *dir, size_t ndir, const char *rel)
{
	size_t nr = strlen(rel);
	char *p;

	if (rel[0] == '/' || ndir == 0)
		return dupstr(rel);
	if (!(p = htr_alloc(ndir + nr + 2, 1)))
		return NULL;
	memcpy(p, dir, ndir);
	p[ndir] = '/';
	memcpy(p + ndir + 1, rel, nr + 1);
	return p;
}

/* Reads one line into buf without its newline (and \r); returns its
 * length, -1 at EOF, -2 when it is too long. */
static long
get_line(FILE *f, char *buf, long n)
{
	long len;

	if (!fgets(buf, (int)n, f))
		return -1;
	len = (long)strlen(buf);
	if (len == n - 1 && buf[len - 1] != '\n' && !feof(f))
		return -2;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	return len;
}

/* Strips ASCII spaces at both ends, in place. */
static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = 0;
	return s;
}

int
htr_dataset_add_tsv(struct htr_dataset *ds, const char *manifest)
{
	FILE *f = fopen(manifest, "rb");
	const char *slash = strrchr(manifest, '/');
	size_t ndir = slash ? (size_t)(slash - manifest) : 0;
	char *buf = NULL;
	long line = 0, len, n0 = ds->n;
	int src;

	if (!f)
		return htr_fail("%s: %s", manifest, strerror(errno));
	if ((src = add_source(ds, manifest)) < 0 ||
	    !(buf = htr_alloc(LINE_MAX_BYTES, 1)))
		goto fail;
	if (slash == manifest)
		ndir = 1;            /* "/m.tsv": the root directory */
	while ((len = get_line(f, buf, LINE_MAX_BYTES)) != -1) {
		struct htr_sample *s;
		char *tab, *text;

		line++;
		if (len == -2) {
			htr_fail("%s:%ld: line longer than %d bytes", manifest,
			    line, LINE_MAX_BYTES - 2);
			goto fail;
		}
		if (len == 0)
			continue;
		if (!(tab = strchr(buf, '\t'))) {
			htr_fail("%s:%ld: no tab between image path and text "
			    "(expected path<TAB>text)", manifest, line);
			goto fail;
		}
		*tab = 0;
		text = trim(tab + 1);
		if (!buf[0]) {
			htr_fail("%s:%ld: empty image path", manifest, line);
			goto fail;
		}
		if (htr_utf8_decode(text, NULL, 0) < 0) {
			htr_fail_prefix("text");
			goto failpre;
		}
		if (!(s = new_sample(ds)))
			goto fail;
		s->src = src;
		s->line = line;
		if (!(s->path = join(manifest, ndir, buf)) ||
		    !(s->text = dupstr(text)))
			goto fail;
	}
	if (ferror(f)) {
		htr_fail("%s: read error", manifest);
		goto fail;
	}
	if (ds->n == n0) {
		htr_fail("%s: no samples in the manifest", manifest);
		goto fail;
	}
	free(buf);
	fclose(f);
	return 0;
failpre:
	{
		char where[512];
		snprintf(where, sizeof where, "%s:%ld", manifest, line);
		htr_fail_prefix(where);
	}
fail:
	free(buf);
	fclose(f);
	return -1;
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
htr_dataset_add_iam(struct htr_dataset *ds, const char *txt,
    const char *root, int skip_err)
{
	FILE *f = fopen(txt, "rb");
	char *buf = NULL, *base = NULL;
	long line = 0, len, n0 = ds->n;
	int src, kind = 0;               /* 1 words.txt, 2 lines.txt */

	if (!f)
		return htr_fail("%s: %s", txt, strerror(errno));
	if ((src = add_source(ds, txt)) < 0 ||
	    !(buf = htr_alloc(LINE_MAX_BYTES, 1)))
		goto fail;
	while ((len = get_line(f, buf, LINE_MAX_BYTES)) != -1) {
		char *field[9], *p = buf, *text, path[1024], form[64], part[16];
		struct htr_sample *s;
		int nf = 0, dashes = 0;

		line++;
		if (len == -2) {
			htr_fail("%s:%ld: line too long", txt, line);
			goto fail;
		}
		if (len == 0 || buf[0] == '#')
			continue;
		/* 8 space-separated fields, then the transcription */
		while (nf < 8) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			field[nf++] = p;
			while (*p && *p != ' ')
				p++;
			if (*p)
				*p++ = 0;
		}
		while (*p == ' ')
			p++;
		if (nf < 8 || !*p) {
			htr_fail("%s:%ld: expected 9 fields (id ok|err graylevel "
			    "... transcription) as in IAM's words.txt or "
			    "lines.txt", txt, line);
			goto fail;
		}
		text = trim(p);
		if (strcmp(field[1], "ok") && strcmp(field[1], "err")) {
			htr_fail("%s:%ld: second field is '%s', not ok or err",
			    txt, line, field[1]);
			goto fail;
		}
		for (char *q = field[0]; *q; q++)
			dashes += *q == '-';
		if (dashes != 2 && dashes != 3) {
			htr_fail("%s:%ld: '%s' is not an IAM word or line id",
			    txt, line, field[0]);
			goto fail;
		}
		if (!kind) {
			kind = dashes == 3 ? 1 : 2;
			/* root/words/a01/... or root/a01/...; no root: the
			 * folder of the .txt file */
			const char *sub = kind == 1 ? "words" : "lines";
			const char *sl = strrchr(txt, '/');
			int nr = root ? (int)strlen(root) : sl ? (int)(sl - txt) : 1;
			const char *r = root ? root : sl ? txt : ".";

			if (sl == txt && !root)
				r = "/", nr = 1;
			if (!(base = htr_alloc((size_t)nr + 8, 1)))
				goto fail;
			snprintf(base, (size_t)nr + 8, "%.*s/%s", nr, r, sub);
			if (!is_dir(base))
				snprintf(base, (size_t)nr + 8, "%.*s", nr, r);
		} else if ((kind == 1) != (dashes == 3)) {
			htr_fail("%s:%ld: '%s' mixes line and word ids", txt,
			    line, field[0]);
			goto fail;
		}
		if (skip_err && !strcmp(field[1], "err"))
			continue;
		if (kind == 2)
			for (char *q = text; *q; q++)
				if (*q == '|')
					*q = ' ';
		if (htr_utf8_decode(text, NULL, 0) < 0) {
			char where[512];
			snprintf(where, sizeof where, "%s:%ld", txt, line);
			htr_fail_prefix(where);
			goto fail;
		}
		/* a01-000u-00-00: part a01, form a01-000u */
		const char *d1 = strchr(field[0], '-'), *d2 = strchr(d1 + 1, '-');
		if ((size_t)(d1 - field[0]) >= sizeof part ||
		    (size_t)(d2 - field[0]) >= sizeof form) {
			htr_fail("%s:%ld: bad id '%s'", txt, line, field[0]);
			goto fail;
		}
		memcpy(part, field[0], d1 - field[0]);
		part[d1 - field[0]] = 0;
		memcpy(form, field[0], d2 - field[0]);
		form[d2 - field[0]] = 0;
		if (snprintf(path, sizeof path, "%s/%s/%s/%s.png", base, part,
		    form, field[0]) >= (int)sizeof path) {
			htr_fail("%s:%ld: image path too long", txt, line);
			goto fail;
		}
		if (!(s = new_sample(ds)))
			goto fail;
		s->src = src;
		s->line = line;
		if (!(s->path = dupstr(path)) || !(s->text = dupstr(text)))
			goto fail;
	}
	if (ferror(f)) {
		htr_fail("%s: read error", txt);
		goto fail;
	}
	if (ds->n == n0) {
		htr_fail("%s: no samples", txt);
		goto fail;
	}
	free(base);
	free(buf);
	fclose(f);
	return 0;
fail:
	free(base);
	free(buf);
	fclose(f);
	return -1;
}

/* Big-endian 32-bit integer from an idx header. */
static uint32_t
be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* Reads exactly n bytes; gzread handles plain files transparently. */
static int
gz_read_all(gzFile g, unsigned char *p, size_t n, const char *name)
{
	while (n > 0) {
		unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
		int r = gzread(g, p, chunk);

		if (r < 0) {
			int e;
			return htr_fail("%s: %s", name, gzerror(g, &e));
		}
		if (r == 0)
			return htr_fail("%s: truncated idx file (regenerate or "
			    "download it again)", name);
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
htr_dataset_add_file(struct htr_dataset *ds, const char *path,
    const char *root, int skip_err)
{
	FILE *f = fopen(path, "rb");
	char line[4096];
	int tsv = 0;

	if (!f)
		return htr_fail("%s: %s", path, strerror(errno));
	/* the first line that is neither a comment nor blank decides */
	while (fgets(line, sizeof line, f))
		if (line[0] != '#' && line[0] != '\n') {
			tsv = strchr(line, '\t') != NULL;
			break;
		}
	fclose(f);
	return tsv ? htr_dataset_add_tsv(ds, path) :
	    htr_dataset_add_iam(ds, path, root, skip_err);
}

/* Opens an idx file and reads its header: magic 0x000008 (unsigned
 * byte), rank, then rank big-endian sizes. */
static gzFile
idx_open(const char *name, int rank, uint32_t *dims)
{
	gzFile g = gzopen(name, "rb");
	unsigned char h[16];

	if (!g) {
		htr_fail("%s: %s", name, errno ? strerror(errno) :
		    "cannot open");
		return NULL;
	}
	if (gz_read_all(g, h, 4, name))
		goto fail;
	if (h[0] || h[1] || h[2] != 0x08 || h[3] != rank) {
		htr_fail("%s: not an idx%d-ubyte file (magic %02x%02x%02x%02x, "
		    "expected 000008%02x)", name, rank, h[0], h[1], h[2], h[3],
		    rank);
		goto fail;
	}
	if (gz_read_all(g, h + 4, 4 * (size_t)rank, name))
		goto fail;
	for (int i = 0; i < rank; i++)
		dims[i] = be32(h + 4 + 4 * i);
	return g;
fail:
	gzclose(g);
	return NULL;
}

int
htr_dataset_add_mnist(struct htr_dataset *ds, const char *images,
    const char *labels)
{
	uint32_t di[3], dl[1];
	gzFile gi = NULL, gl = NULL;
	unsigned char *pix = NULL, *lab = NULL;
	long n0 = ds->n;
	int src;

	if (ds->nblocks == HTR_DATASET_MAXSRC)
		return htr_fail("too many sources");
	if (!(gi = idx_open(images, 3, di)) || !(gl = idx_open(labels, 1, dl)))
		goto fail;
	if (di[0] == 0 || di[0] > HTR_DATASET_MAX || di[0] != dl[0]) {
		htr_fail("%s: %u images but %s has %u labels", images, di[0],
		    labels, dl[0]);
		goto fail;
	}
	if (htr_image_check_size(di[2], di[1]) || di[1] * di[2] > 4096) {
		htr_fail("%s: images of %ux%u pixels, not digits", images,
		    di[2], di[1]);
		goto fail;
	}
	size_t npix = (size_t)di[1] * di[2];
	if (!(pix = htr_alloc(di[0], npix)) || !(lab = htr_alloc(dl[0], 1)))
		goto fail;
	if (gz_read_all(gi, pix, di[0] * npix, images) ||
	    gz_read_all(gl, lab, dl[0], labels))
		goto fail;
	/* MNIST has white ink on black; htr has dark ink on white */
	for (size_t i = 0; i < di[0] * npix; i++)
		pix[i] = 255 - pix[i];
	if ((src = add_source(ds, images)) < 0)
		goto fail;
	ds->blocks[ds->nblocks++] = pix;
	for (uint32_t i = 0; i < di[0]; i++) {
		struct htr_sample *s = new_sample(ds);
		char t[4];

		if (!s)
			goto fail_samples;
		snprintf(t, sizeof t, "%u", lab[i]);
		s->src = src;
		s->line = (long)i + 1;
		s->pix = pix + i * npix;
		s->w = (int)di[2];
		s->h = (int)di[1];
		if (!(s->text = dupstr(t)))
			goto fail_samples;
	}
	free(lab);
	gzclose(gi);
	gzclose(gl);
	return 0;
fail_samples:
	/* the block stays registered and is freed with ds */
	while (ds->n > n0) {
		ds->n--;
		free(ds->s[ds->n].text);
	}
	pix = NULL;
fail:
	free(pix);
	free(lab);
	if (gi)
		gzclose(gi);
	if (gl)
		gzclose(gl);
	return -1;
}

const char *
htr_dataset_where(const struct htr_dataset *ds, long i, char *buf, int n)
{
	const struct htr_sample *s = &ds->s[i];

	if (s->pix)
		snprintf(buf, n, "%s: image %ld", ds->src[s->src], s->line);
	else
		snprintf(buf, n, "%s:%ld", ds->src[s->src], s->line);
	return buf;
}

int
htr_dataset_image(const struct htr_dataset *ds, long i, struct htr_image *im)
{
	const struct htr_sample *s = &ds->s[i];
	char where[600];
	FILE *f;
	int r;

	HTR_ASSERT(i >= 0 && i < ds->n);
	if (s->pix) {
		if (htr_image_init(im, s->w, s->h, 0))
			return -1;
		memcpy(im->pix, s->pix, (size_t)s->w * s->h);
		return 0;
	}
	if (!(f = fopen(s->path, "rb"))) {
		htr_fail("%s: %s", s->path, strerror(errno));
		goto fail;
	}
	r = htr_image_read(f, im);
	fclose(f);
	if (r == 0)
		htr_fail("%s: empty file", s->path);
	else if (r < 0)
		htr_fail_prefix(s->path);
	if (r <= 0)
		goto fail;
	if (!im->tags[0])
		htr_tag_set(im->tags, "src", s->path);
	return 0;
fail:
	htr_dataset_where(ds, i, where, sizeof where);
	return htr_fail_prefix(where);
}

int
htr_dataset_split(struct htr_dataset *ds, long nvalid,
    struct htr_dataset *valid)
{
	htr_dataset_init(valid);
	if (nvalid <= 0 || nvalid >= ds->n)
		return htr_fail("cannot split %ld validation samples off a set "
		    "of %ld", nvalid, ds->n);
	if (!(valid->s = htr_alloc((size_t)nvalid, sizeof *valid->s)))
		return -1;
	for (int i = 0; i < ds->nsrc; i++) {
		if (!(valid->src[i] = dupstr(ds->src[i]))) {
			htr_dataset_free(valid);
			return -1;
		}
		valid->nsrc++;
	}
	memcpy(valid->s, ds->s + ds->n - nvalid, nvalid * sizeof *valid->s);
	valid->n = valid->cap = nvalid;
	ds->n -= nvalid;
	return 0;
}
