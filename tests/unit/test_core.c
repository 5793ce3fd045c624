/* test_core.c — errors, reading whole files, tags, RNG and the PGM crop
 * reader/writer. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "htr.h"
#include "image.h"
#include "rng.h"
#include "tag.h"
#include "t.h"

static void
test_tags(void)
{
	char t[HTR_TAG_MAX] = "", buf[64];
	int box[4];

	CHECK(htr_tag_set(t, "src", "scan 1.png") == 0);
	CHECK(htr_tag_setf(t, "line", "%d", 3) == 0);
	CHECK(htr_tag_set(t, "box", "120,340,88,40") == 0);
	CHECK(!strcmp(t, "src=scan_1.png line=3 box=120,340,88,40"));
	CHECK(htr_tag_get(t, "src", buf, sizeof buf) == 0 &&
	    !strcmp(buf, "scan_1.png"));
	CHECK(htr_tag_int(t, "line", -1) == 3);
	CHECK(htr_tag_int(t, "word", -1) == -1);
	CHECK(htr_tag_box(t, box) == 0 && box[0] == 120 && box[3] == 40);
	CHECK(htr_tag_set(t, "line", "4") == 0);
	CHECK(!strcmp(t, "src=scan_1.png box=120,340,88,40 line=4"));
	htr_tag_del(t, "line");
	CHECK(!strcmp(t, "src=scan_1.png box=120,340,88,40"));
	/* "ine" must not match inside "line" */
	CHECK(htr_tag_get("line=3", "ine", buf, sizeof buf) == -1);
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(htr_tag_set(t, "src", big) == -1);
	CHECK(strstr(htr_errmsg(), "does not fit") != NULL);
	CHECK(htr_tag_valid("a=b\tc") == -1);
}

static void
test_rng(void)
{
	struct htr_rng a, b;
	double sum = 0, sq = 0;
	int hist[10] = {0};

	htr_rng_seed(&a, 42);
	htr_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		CHECK(htr_rng_u64(&a) == htr_rng_u64(&b));
	for (int i = 0; i < 100000; i++) {
		float u = htr_rng_uniform(&a), z = htr_rng_normal(&a);
		CHECK(u >= 0 && u < 1);
		sum += z;
		sq += z * z;
		hist[htr_rng_below(&a, 10)]++;
	}
	CHECK_NEAR(sum / 100000, 0, 0.02, 0);
	CHECK_NEAR(sq / 100000, 1, 0.02, 0);
	for (int i = 0; i < 10; i++)
		CHECK(hist[i] > 9500 && hist[i] < 10500);
}

static void
test_pgm(void)
{
	struct htr_image im, a, b;
	FILE *f = tmpfile();

	CHECK(htr_image_init(&im, 5, 3, 255) == 0);
	im.pix[7] = 0;
	strcpy(im.tags, "src=a.png line=1 box=1,2,5,3");
	CHECK(htr_pgm_write(f, &im) == 0);
	im.tags[0] = 0;
	im.pix[0] = 17;
	CHECK(htr_pgm_write(f, &im) == 0);
	rewind(f);
	CHECK(htr_pgm_read(f, &a) == 1);
	CHECK(a.w == 5 && a.h == 3 && a.pix[7] == 0 && a.pix[0] == 255);
	CHECK(!strcmp(a.tags, "src=a.png line=1 box=1,2,5,3"));
	CHECK(htr_pgm_read(f, &b) == 1);
	CHECK(b.tags[0] == 0 && b.pix[0] == 17);
	htr_image_free(&b);
	CHECK(htr_pgm_read(f, &b) == 0);
	htr_image_free(&a);
	fclose(f);

	/* 16-bit and plain PGM, truncated data, absurd header */
	f = tmpfile();
	fputs("P2\n# a comment\n2 1\n65535\n0 65535\n", f);
	fputs("P5 2 2 255\n\x01\x02\x03", f);
	rewind(f);
	CHECK(htr_pgm_read(f, &a) == 1 && a.pix[0] == 0 && a.pix[1] == 255);
	htr_image_free(&a);
	CHECK(htr_pgm_read(f, &a) == -1 && strstr(htr_errmsg(), "truncated"));
	fclose(f);
	f = tmpfile();
	fputs("P5\n100000 100000\n255\n", f);
	rewind(f);
	CHECK(htr_pgm_read(f, &a) == -1 && strstr(htr_errmsg(), "limit"));
	fclose(f);
	htr_image_free(&im);
}

/* htr_read_all: a regular file (sized up front), a pipe longer than the
 * first buffer (grown as it goes), the limit, an empty file. */
static void
test_read_all(void)
{
	size_t n = 200000, len = 0;
	unsigned char *want = malloc(n), *got;
	FILE *f = tmpfile();

	CHECK(want && f);
	if (!want || !f)
		return;
	for (size_t i = 0; i < n; i++)
		want[i] = (unsigned char)(i * 7 + i / 251);
	CHECK(fwrite(want, 1, n, f) == n && fflush(f) == 0);
	rewind(f);
	got = htr_read_all(f, n, &len);
	CHECK(got && len == n && !memcmp(got, want, n) && got[n] == 0);
	free(got);
	rewind(f);
	CHECK(!htr_read_all(f, n - 1, &len) &&
	    strstr(htr_errmsg(), "larger than"));
	fclose(f);

	int fd[2];
	CHECK(pipe(fd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		_exit(write(fd[1], want, n) == (ssize_t)n ? 0 : 1);
	}
	close(fd[1]);
	f = fdopen(fd[0], "rb");
	CHECK(f != NULL);
	got = f ? htr_read_all(f, n, &len) : NULL;
	CHECK(got && len == n && !memcmp(got, want, n) && got[n] == 0);
	free(got);
	if (f)
		fclose(f);
	waitpid(pid, NULL, 0);

	f = tmpfile();
	got = f ? htr_read_all(f, 10, &len) : NULL;
	CHECK(got && len == 0 && got[0] == 0);
	free(got);
	if (f)
		fclose(f);
	free(want);
}

int
main(void)
{
	test_read_all();
	test_tags();
	test_rng();
	test_pgm();
	return T_DONE();
}
