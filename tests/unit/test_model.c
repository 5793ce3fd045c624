/* test_model.c — model file round trip; corrupt, truncated, foreign and
 * future files are one-line errors; atomic saving leaves no debris. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "htr.h"
#include "model.h"
#include "net.h"
#include "t.h"

static char dir[400];

static char *
path(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static unsigned char *
readall(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b = malloc(1 << 20);

	*n = f ? fread(b, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return b;
}

static void
writeall(const char *p, const void *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	fwrite(b, 1, n, f);
	fclose(f);
}

/* Loading p fails with a one-line message that names p and says why. */
static void
refused(const char *p, const char *why)
{
	struct htr_model *m = htr_model_load(p);

	CHECKF(m == NULL, "%s loaded", p);
	htr_model_free(m);
	CHECKF(strstr(htr_errmsg(), p) != NULL, "'%s' lacks the path",
	    htr_errmsg());
	CHECKF(strstr(htr_errmsg(), why) != NULL, "'%s' lacks '%s'",
	    htr_errmsg(), why);
	CHECK(strchr(htr_errmsg(), '\n') == NULL);
}

static void
test_roundtrip(void)
{
	const char *alpha[5] = { "", "a", "é", "’", "b" };
	struct htr_net *net = htr_net_create("[1,16,0,1 Cr3,3,4 Bnr Mp2,2 "
	    "Lbx6 O1c5]", 0, 77);
	struct htr_model *m = htr_model_new(net, alpha, 5, HTR_LEVEL_LINE,
	    "data=toy epochs=3 cer=0.5");
	float x[2 * 16 * 20];

	CHECK(m != NULL);
	/* train-mode forward moves the batch-norm running statistics */
	for (int i = 0; i < 2 * 16 * 20; i++)
		x[i] = (i * 7 % 13) / 13.0f;
	CHECK(htr_net_forward(m->net, x, 2, 20, NULL, HTR_NET_TRAIN) == 0);
	CHECK(htr_model_save(m, path("m.htrm")) == 0);
	struct htr_model *r = htr_model_load(path("m.htrm"));
	CHECKF(r != NULL, "%s", htr_errmsg());
	if (!r)
		return;
	CHECK(!strcmp(htr_net_vgsl(r->net), htr_net_vgsl(m->net)));
	CHECK(r->nclass == 5 && r->height == 16 && r->level == HTR_LEVEL_LINE);
	for (int i = 0; i < 5; i++)
		CHECK(!strcmp(r->alphabet[i], alpha[i]));
	CHECK(!strcmp(r->provenance, "data=toy epochs=3 cer=0.5"));
	CHECK(htr_net_nstate(r->net) == htr_net_nstate(m->net));
	CHECK(memcmp(htr_net_params(r->net), htr_net_params(m->net),
	    htr_net_nstate(m->net) * sizeof(float)) == 0);
	/* same outputs */
	int T, N, C;
	CHECK(htr_net_forward(m->net, x, 2, 20, NULL, HTR_NET_EVAL) == 0);
	const float *y = htr_net_output(m->net, &T, &N, &C);
	float *keep = malloc((size_t)T * N * C * sizeof *keep);
	memcpy(keep, y, (size_t)T * N * C * sizeof *keep);
	CHECK(htr_net_forward(r->net, x, 2, 20, NULL, HTR_NET_INFER) == 0);
	CHECK(memcmp(htr_net_output(r->net, NULL, NULL, NULL), keep,
	    (size_t)T * N * C * sizeof *keep) == 0);
	free(keep);
	CHECK(htr_level_parse("word") == HTR_LEVEL_WORD);
	CHECK(htr_level_parse("page") == -1);
	CHECK(!strcmp(htr_level_name(HTR_LEVEL_CHAR), "char"));
	/* wrong alphabet size */
	CHECK(htr_model_new(htr_net_create("[1,8,0,1 Lbx2 O1c3]", 0, 1), alpha,
	    5, 0, NULL) == NULL);
	CHECK(strstr(htr_errmsg(), "alphabet") != NULL);
	htr_model_free(m);
	htr_model_free(r);
}

static void
test_bad_files(void)
{
	size_t n;
	unsigned char *b = readall(path("m.htrm"), &n);
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };

	CHECK(n > 100);
	refused(path("missing.htrm"), "No such file");
	writeall(path("png.htrm"), png, sizeof png);
	refused(path("png.htrm"), "not an htr model");
	writeall(path("empty.htrm"), "", 0);
	refused(path("empty.htrm"), "not an htr model");
	/* truncated anywhere */
	size_t cuts[] = { 4, 6, 9, 40, n / 2, n - 5, n - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
		writeall(path("cut.htrm"), b, cuts[i]);
		struct htr_model *m = htr_model_load(path("cut.htrm"));
		CHECKF(m == NULL, "cut at %zu loaded", cuts[i]);
		htr_model_free(m);
		CHECK(strstr(htr_errmsg(), "truncated") != NULL);
	}
	/* a flipped bit anywhere is a checksum error */
	for (size_t i = 8; i < n; i += n / 17) {
		b[i] ^= 0x10;
		writeall(path("flip.htrm"), b, n);
		refused(path("flip.htrm"), "checksum");
		b[i] ^= 0x10;
	}
	/* a version from the future */
	b[4] = 9;
	writeall(path("future.htrm"), b, n);
	refused(path("future.htrm"), "version 9");
	b[4] = 1;
	/* trailing garbage */
	unsigned char *big = malloc(n + 3);
	memcpy(big, b, n);
	memcpy(big + n, "xyz", 3);
	writeall(path("tail.htrm"), big, n + 3);
	refused(path("tail.htrm"), "checksum");
	free(big);
	/* a checkpoint is not a model, and the other way round */
	struct htr_net *net = htr_net_create("[1,16,0,1 Cr3,3,4 Bnr Mp2,2 "
	    "Lbx6 O1c5]", 0, 77);
	CHECK(htr_net_ckpt_save(net, path("c.htrc"), NULL) == 0);
	refused(path("c.htrc"), "not an htr model");
	CHECK(htr_net_ckpt_load(net, path("m.htrm"), NULL, 0) == -1);
	CHECK(strstr(htr_errmsg(), "not an htr checkpoint") != NULL);
	CHECK(htr_net_ckpt_load(net, path("c.htrc"), NULL, 0) == 0);
	/* a corrupt checkpoint leaves the optimiser state untouched */
	size_t cn;
	unsigned char *cb = readall(path("c.htrc"), &cn);
	cb[cn - 9] ^= 1;
	writeall(path("bad.htrc"), cb, cn);
	long t0 = htr_net_adam_t(net);
	CHECK(htr_net_ckpt_load(net, path("bad.htrc"), NULL, 0) == -1);
	CHECK(strstr(htr_errmsg(), "checksum") != NULL);
	CHECK(htr_net_adam_t(net) == t0);
	writeall(path("bad.htrc"), cb, cn / 2);
	CHECK(htr_net_ckpt_load(net, path("bad.htrc"), NULL, 0) == -1);
	free(cb);
	htr_net_free(net);
	free(b);
}

static void
test_atomic(void)
{
	struct htr_atomic a;
	FILE *f;

	/* the old file survives an aborted write */
	writeall(path("keep.txt"), "old", 3);
	CHECK((f = htr_atomic_open(&a, path("keep.txt"))) != NULL);
	fputs("new", f);
	htr_atomic_abort(&a);
	size_t n;
	unsigned char *b = readall(path("keep.txt"), &n);
	CHECK(n == 3 && !memcmp(b, "old", 3));
	free(b);
	CHECK((f = htr_atomic_open(&a, path("keep.txt"))) != NULL);
	fputs("newer", f);
	CHECK(htr_atomic_commit(&a) == 0);
	b = readall(path("keep.txt"), &n);
	CHECK(n == 5 && !memcmp(b, "newer", 5));
	free(b);
	/* a directory that does not exist */
	CHECK(htr_atomic_open(&a, path("no/such/dir/x")) == NULL);
	CHECK(strstr(htr_errmsg(), "no/such/dir/x") != NULL);
	/* no temporary files left behind */
	DIR *d = opendir(dir);
	struct dirent *e;
	int debris = 0;
	while ((e = readdir(d)))
		debris += strchr(e->d_name, '.') &&
		    strlen(strrchr(e->d_name, '.')) == 7;
	closedir(d);
	CHECK(debris == 0);
}

/* The mean of two models of one network, and the refusals. */
static void
test_average(void)
{
	const char *alpha[5] = { "", "a", "é", "’", "b" };
	const char *vgsl = "[1,16,0,1 Cr3,3,4 Bnr Mp2,2 Lbx6 O1c5]";
	struct htr_model *a = htr_model_new(htr_net_create(vgsl, 0, 1), alpha,
	    5, HTR_LEVEL_LINE, "run a");
	struct htr_model *b = htr_model_new(htr_net_create(vgsl, 0, 2), alpha,
	    5, HTR_LEVEL_LINE, "run b");
	struct htr_model *c = htr_model_new(htr_net_create("[1,16,0,1 Cr3,3,4 "
	    "Bnr Mp2,2 Lbx7 O1c5]", 0, 1), alpha, 5, HTR_LEVEL_LINE, "");
	float x[16 * 20];

	CHECK(a && b && c);
	if (!a || !b || !c)
		return;
	for (int i = 0; i < 16 * 20; i++)
		x[i] = (i * 5 % 11) / 11.0f;
	/* different batch-norm statistics too */
	CHECK(htr_net_forward(b->net, x, 1, 20, NULL, HTR_NET_TRAIN) == 0);
	CHECK(htr_model_save(a, path("a.htrm")) == 0);
	CHECK(htr_model_save(b, path("b.htrm")) == 0);
	CHECK(htr_model_save(c, path("c.htrm")) == 0);
	char pa[4096], pb[4096], pc[4096];
	snprintf(pa, sizeof pa, "%s", path("a.htrm"));
	snprintf(pb, sizeof pb, "%s", path("b.htrm"));
	snprintf(pc, sizeof pc, "%s", path("c.htrm"));
	const char *ab[2] = { pa, pb }, *ac[2] = { pa, pc };
	struct htr_model *m = htr_model_average(ab, 2);
	CHECKF(m != NULL, "%s", htr_errmsg());
	if (m) {
		const float *u = htr_net_params(a->net), *v =
		    htr_net_params(b->net), *w = htr_net_params(m->net);
		double md = 0;
		for (size_t i = 0; i < htr_net_nstate(m->net); i++)
			md = fmax(md, fabs(w[i] - 0.5 * ((double)u[i] + v[i])));
		CHECKF(md < 1e-6, "the mean is off by %g", md);
		CHECK(!strncmp(m->provenance, "run a\naverage of 2 models: ",
		    27) && strstr(m->provenance, "b.htrm") != NULL);
		CHECK(m->nclass == 5 && !strcmp(m->alphabet[2], "é"));
	}
	htr_model_free(m);
	/* dropout rates aside: the same layers */
	struct htr_model *d1 = htr_model_new(htr_net_create("[1,16,0,1 Cr3,3,4 "
	    "Do0.2 Lbx6 O1c5]", 0, 1), alpha, 5, HTR_LEVEL_LINE, "");
	struct htr_model *d2 = htr_model_new(htr_net_create("[1,16,0,1 Cr3,3,4 "
	    "Do0.55 Lbx6 O1c5]", 0, 2), alpha, 5, HTR_LEVEL_LINE, "");
	CHECK(d1 && d2 && htr_model_save(d1, path("d1.htrm")) == 0 &&
	    htr_model_save(d2, path("d2.htrm")) == 0);
	char pd1[4096], pd2[4096];
	snprintf(pd1, sizeof pd1, "%s", path("d1.htrm"));
	snprintf(pd2, sizeof pd2, "%s", path("d2.htrm"));
	const char *dd[2] = { pd1, pd2 }, *da[2] = { pd1, pa };
	m = htr_model_average(dd, 2);
	CHECKF(m && strstr(htr_net_vgsl(m->net), "Do0.2 ") != NULL, "%s",
	    m ? htr_net_vgsl(m->net) : htr_errmsg());
	htr_model_free(m);
	CHECK(htr_model_average(da, 2) == NULL);
	htr_model_free(d1);
	htr_model_free(d2);
	CHECK(htr_model_average(ac, 2) == NULL);
	CHECK(strstr(htr_errmsg(), "c.htrm: not the network") != NULL);
	htr_model_free(a);
	htr_model_free(b);
	htr_model_free(c);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_model.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	test_roundtrip();
	test_bad_files();
	test_atomic();
	test_average();
	return T_DONE();
}
