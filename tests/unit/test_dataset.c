/* test_dataset.c — TSV manifests, IAM words.txt/lines.txt, MNIST idx
 * files (plain, gzip, bad magic, truncated), the alphabet. Fixtures are
 * written into $TMPDIR by the test itself. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "htr.h"
#include "t.h"

static char dir[512];

static const char *
tmp(const char *name)
{
	static char buf[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(tmp(name), "wb");

	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void
put_pgm(const char *name, int w, int h, int ink)
{
	struct htr_image im;
	FILE *f = fopen(tmp(name), "wb");

	CHECK(htr_image_init(&im, w, h, 255) == 0);
	im.pix[0] = (unsigned char)ink;
	CHECK(htr_pgm_write(f, &im) == 0);
	fclose(f);
	htr_image_free(&im);
}

static void
test_tsv(void)
{
	struct htr_dataset ds, va;
	struct htr_image im;
	struct htr_alphabet a;
	char where[256];

	put_pgm("a.pgm", 4, 2, 10);
	mkdir(tmp("sub"), 0777);
	put_pgm("sub/b.pgm", 3, 3, 20);
	put("m.tsv", "a.pgm\tcaf\xc3\xa9\r\n\nsub/b.pgm\t  the cat \n"
	    "a.pgm\t\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("m.tsv")) == 0);
	CHECK(ds.n == 3);
	CHECK(!strcmp(ds.s[0].text, "caf\xc3\xa9"));
	CHECK(!strcmp(ds.s[1].text, "the cat"));
	CHECK(!strcmp(ds.s[2].text, ""));
	CHECK(ds.s[1].line == 3);
	CHECK(!strcmp(ds.s[1].path, tmp("sub/b.pgm")));
	CHECK(htr_dataset_image(&ds, 1, &im) == 0);
	CHECK(im.w == 3 && im.h == 3 && im.pix[0] == 20);
	CHECK(strstr(im.tags, "src=") != NULL);
	htr_image_free(&im);

	CHECK(htr_alphabet_build(&a, &ds) == 0);
	/* blank, ' ', a c e f h t, e-acute */
	CHECK(a.n == 9 && a.cp[0] == 0 && a.cp[1] == ' ' && a.cp[8] == 0xe9);
	int lab[16];
	CHECK(htr_alphabet_encode(&a, "cat", lab, 16) == 3);
	char back[16];
	CHECK(htr_alphabet_decode(&a, lab, 3, back, sizeof back) == 3 &&
	    !strcmp(back, "cat"));
	char *s = htr_alphabet_to_utf8(&a);
	struct htr_alphabet b;
	CHECK(htr_alphabet_from_utf8(&b, s) == 0 && b.n == a.n &&
	    !memcmp(a.cp, b.cp, a.n * sizeof *a.cp));
	free(s);
	htr_alphabet_free(&b);
	CHECK(htr_alphabet_encode(&a, "dog", lab, 16) == -1);
	CHECK(strstr(htr_errmsg(), "'d' (U+0064)") != NULL);

	/* a character outside a given alphabet: file and line named */
	CHECK(htr_alphabet_from_utf8(&b, "tcaf ") == 0);
	CHECK(htr_dataset_check_alphabet(&ds, &b) == -1);
	snprintf(where, sizeof where, "%s:1: character '\xc3\xa9' (U+00E9)",
	    tmp("m.tsv"));
	CHECKF(strstr(htr_errmsg(), where) != NULL, "%s", htr_errmsg());
	htr_alphabet_free(&b);
	htr_alphabet_free(&a);

	CHECK(htr_dataset_split(&ds, 1, &va) == 0);
	CHECK(ds.n == 2 && va.n == 1 && !strcmp(va.s[0].text, ""));
	htr_dataset_free(&va);
	CHECK(htr_dataset_split(&ds, 2, &va) == -1);
	htr_dataset_free(&va);
	htr_dataset_free(&ds);

	/* errors name file and line */
	put("bad1.tsv", "a.pgm\tok\nb.pgm no tab\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("bad1.tsv")) == -1);
	CHECKF(strstr(htr_errmsg(), "bad1.tsv:2: no tab"), "%s", htr_errmsg());
	htr_dataset_free(&ds);
	put("bad2.tsv", "a.pgm\tok\na.pgm\t\xff\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("bad2.tsv")) == -1);
	CHECKF(strstr(htr_errmsg(), "bad2.tsv:2: text: invalid UTF-8"), "%s",
	    htr_errmsg());
	htr_dataset_free(&ds);
	put("bad3.tsv", "missing.pgm\tx\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("bad3.tsv")) == 0);
	CHECK(htr_dataset_image(&ds, 0, &im) == -1);
	CHECKF(strstr(htr_errmsg(), "bad3.tsv:1: ") &&
	    strstr(htr_errmsg(), "missing.pgm"), "%s", htr_errmsg());
	htr_dataset_free(&ds);

	/* any format htr_image_read knows: PNG and JPEG fixtures of prep */
	char cwd[512], man[1200];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	snprintf(man, sizeof man, "%s/data/images/color.png\tpng\n"
	    "%s/data/images/color.jpg\tjpeg\n", cwd, cwd);
	put("formats.tsv", man);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("formats.tsv")) == 0 && ds.n == 2);
	for (int i = 0; i < 2; i++) {
		CHECKF(htr_dataset_image(&ds, i, &im) == 0, "%s", htr_errmsg());
		CHECK(im.w > 0 && im.h > 0);
		htr_image_free(&im);
	}
	htr_dataset_free(&ds);

	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_tsv(&ds, tmp("nonexistent.tsv")) == -1);
	put("empty.tsv", "\n\n");
	CHECK(htr_dataset_add_tsv(&ds, tmp("empty.tsv")) == -1);
	CHECK(strstr(htr_errmsg(), "no samples") != NULL);
	htr_dataset_free(&ds);
}

static void
test_iam(void)
{
	struct htr_dataset ds;
	struct htr_image im;

	mkdir(tmp("iam"), 0777);
	mkdir(tmp("iam/words"), 0777);
	mkdir(tmp("iam/words/a01"), 0777);
	mkdir(tmp("iam/words/a01/a01-000u"), 0777);
	put_pgm("iam/words/a01/a01-000u/a01-000u-00-00.png", 5, 5, 0);
	put("iam/words.txt",
	    "#--- words.txt ---\n"
	    "a01-000u-00-00 ok 154 408 768 27 51 AT A\n"
	    "a01-000u-00-01 err 154 507 766 213 48 NN MOVE\n"
	    "a01-000u-00-02 ok 154 796 764 70 50 TO to\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/words.txt"), tmp("iam"), 0)
	    == 0);
	CHECK(ds.n == 3 && !strcmp(ds.s[1].text, "MOVE"));
	CHECK(!strcmp(ds.s[0].path,
	    tmp("iam/words/a01/a01-000u/a01-000u-00-00.png")));
	/* (the fixture is a PGM under a .png name: the reader goes by magic) */
	CHECK(htr_dataset_image(&ds, 0, &im) == 0 && im.w == 5);
	htr_image_free(&im);
	htr_dataset_free(&ds);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/words.txt"), tmp("iam"), 1)
	    == 0);
	CHECK(ds.n == 2 && !strcmp(ds.s[1].text, "to") && ds.s[1].line == 4);
	htr_dataset_free(&ds);
	/* no root: the folder of words.txt */
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/words.txt"), NULL, 0) == 0);
	CHECK(ds.n == 3 && !strcmp(ds.s[0].path,
	    tmp("iam/words/a01/a01-000u/a01-000u-00-00.png")));
	htr_dataset_free(&ds);

	put("iam/lines.txt",
	    "a01-000u-00 ok 154 19 408 746 1661 89 A|MOVE|to|stop|Mr.\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/lines.txt"), tmp("iam"), 0)
	    == 0);
	CHECK(ds.n == 1 && !strcmp(ds.s[0].text, "A MOVE to stop Mr."));
	CHECK(!strcmp(ds.s[0].path, tmp("iam/a01/a01-000u/a01-000u-00.png")));
	htr_dataset_free(&ds);

	put("iam/bad.txt", "a01-000u-00 maybe 154 19 408 746 1661 89 A\n");
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/bad.txt"), tmp("iam"), 0)
	    == -1);
	CHECKF(strstr(htr_errmsg(), "bad.txt:1: second field"), "%s",
	    htr_errmsg());
	put("iam/bad.txt", "a01-000u-00 ok 154 19\n");
	CHECK(htr_dataset_add_iam(&ds, tmp("iam/bad.txt"), tmp("iam"), 0)
	    == -1);
	CHECK(strstr(htr_errmsg(), "expected 9 fields") != NULL);
	htr_dataset_free(&ds);
}

/* Writes an idx file: magic, dims, data (gzip or plain). */
static void
put_idx(const char *name, int gz, int rank, const unsigned *dims,
    const unsigned char *data, size_t n)
{
	unsigned char h[16] = {0, 0, 8, (unsigned char)rank};
	size_t nh = 4;

	for (int i = 0; i < rank; i++, nh += 4) {
		h[nh] = dims[i] >> 24;
		h[nh + 1] = dims[i] >> 16;
		h[nh + 2] = dims[i] >> 8;
		h[nh + 3] = dims[i];
	}
	if (gz) {
		gzFile g = gzopen(tmp(name), "wb");
		gzwrite(g, h, (unsigned)nh);
		if (n)
			gzwrite(g, data, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(tmp(name), "wb");
		fwrite(h, 1, nh, f);
		fwrite(data, 1, n, f);
		fclose(f);
	}
}

static void
test_mnist(void)
{
	unsigned char pix[3 * 4 * 2], lab[3] = {7, 0, 9};
	unsigned di[3] = {3, 2, 4}, dl[1] = {3};
	struct htr_dataset ds, va;
	struct htr_image im;

	for (int i = 0; i < 24; i++)
		pix[i] = (unsigned char)(i * 10);
	put_idx("img.gz", 1, 3, di, pix, 24);
	put_idx("lab", 0, 1, dl, lab, 3);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_mnist(&ds, tmp("img.gz"), tmp("lab")) == 0);
	CHECK(ds.n == 3 && !strcmp(ds.s[0].text, "7") &&
	    !strcmp(ds.s[2].text, "9"));
	CHECK(htr_dataset_image(&ds, 1, &im) == 0);
	CHECK(im.w == 4 && im.h == 2 && im.pix[0] == 255 - 80 &&
	    im.pix[7] == 255 - 150);
	htr_image_free(&im);
	CHECK(htr_dataset_split(&ds, 1, &va) == 0);
	CHECK(va.n == 1 && htr_dataset_image(&va, 0, &im) == 0 &&
	    im.pix[0] == 255 - 160);
	htr_image_free(&im);
	htr_dataset_free(&va);
	htr_dataset_free(&ds);

	/* truncated data, bad magic, count mismatch */
	put_idx("short.gz", 1, 3, di, pix, 23);
	htr_dataset_init(&ds);
	CHECK(htr_dataset_add_mnist(&ds, tmp("short.gz"), tmp("lab")) == -1);
	CHECKF(strstr(htr_errmsg(), "short.gz: truncated"), "%s", htr_errmsg());
	CHECK(htr_dataset_add_mnist(&ds, tmp("lab"), tmp("lab")) == -1);
	CHECKF(strstr(htr_errmsg(), "not an idx3-ubyte file"), "%s",
	    htr_errmsg());
	dl[0] = 2;
	put_idx("lab2", 0, 1, dl, lab, 2);
	CHECK(htr_dataset_add_mnist(&ds, tmp("img.gz"), tmp("lab2")) == -1);
	CHECKF(strstr(htr_errmsg(), "3 images but"), "%s", htr_errmsg());
	CHECK(ds.n == 0);
	htr_dataset_free(&ds);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_dataset", t ? t : "/tmp");
	mkdir(dir, 0777);
	test_tsv();
	test_iam();
	test_mnist();
	return T_DONE();
}
