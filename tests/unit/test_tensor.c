/* test_tensor.c — tensor stream round trip, byte layout, bad streams,
 * alphabet records, CSV matrices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alphabet.h"
#include "htr.h"
#include "tensor.h"
#include "t.h"

/* Writes raw bytes to a fresh temporary file and rewinds it. */
static FILE *
bytes(const void *p, size_t n)
{
	FILE *f = tmpfile();
	fwrite(p, 1, n, f);
	rewind(f);
	return f;
}

static void
test_roundtrip(void)
{
	struct htr_tensor a, b, c;
	int dim[2] = {3, 2};
	FILE *f = tmpfile();
	float *x;

	CHECK(htr_tensor_alloc(&a, HTR_F32, 2, dim, "logprob") == 0);
	x = a.data;
	x[0] = -0.5f;
	x[1] = -INFINITY;
	x[5] = 1e-30f;
	CHECK(htr_tag_set(a.tags, "line", "3") == 0);
	CHECK(!strcmp(a.tags, "kind=logprob line=3"));
	CHECK(htr_tensor_write(f, &a) == 0);
	int d0 = 0;
	CHECK(htr_tensor_alloc(&b, HTR_F32, 2, (int[]){d0, 5}, "logprob") == 0);
	CHECK(htr_tensor_write(f, &b) == 0);
	htr_tensor_free(&b);
	rewind(f);
	CHECK(htr_tensor_read(f, &b) == 1);
	CHECK(b.dtype == HTR_F32 && b.rank == 2 && b.dim[0] == 3 &&
	    b.dim[1] == 2);
	CHECK(!memcmp(a.data, b.data, 6 * sizeof(float)));
	CHECK(!strcmp(b.tags, a.tags) && htr_tensor_is(&b, "logprob"));
	CHECK(htr_tensor_read(f, &c) == 1);
	CHECK(c.rank == 2 && c.dim[0] == 0 && c.dim[1] == 5 &&
	    htr_tensor_count(&c) == 0);
	htr_tensor_free(&c);
	CHECK(htr_tensor_read(f, &c) == 0);
	fclose(f);
	htr_tensor_free(&b);

	/* The byte layout of man/htr-tensor.5, field by field. */
	f = tmpfile();
	strcpy(a.tags, "kind=x");
	CHECK(htr_tensor_write(f, &a) == 0);
	long n = ftell(f);
	unsigned char buf[64];
	rewind(f);
	CHECK(n == 4 + 2 + 1 + 1 + 8 + 2 + 6 + 24);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	CHECK(!memcmp(buf, "HTRT\1\0\0\2\3\0\0\0\2\0\0\0\6\0kind=x", 24));
	/* -0.5f is 0xbf000000 */
	CHECK(buf[24] == 0 && buf[25] == 0 && buf[26] == 0 && buf[27] == 0xbf);
	fclose(f);
	htr_tensor_free(&a);

	/* rank 0 and u8 */
	CHECK(htr_tensor_alloc(&a, HTR_U8, 0, NULL, NULL) == 0);
	CHECK(htr_tensor_count(&a) == 1);
	((unsigned char *)a.data)[0] = 200;
	f = tmpfile();
	CHECK(htr_tensor_write(f, &a) == 0);
	rewind(f);
	CHECK(htr_tensor_read(f, &b) == 1 && b.rank == 0 &&
	    ((unsigned char *)b.data)[0] == 200 && b.tags[0] == 0);
	fclose(f);
	htr_tensor_free(&a);
	htr_tensor_free(&b);
}

static void
test_bad(void)
{
	struct htr_tensor t;
	FILE *f;
	/* a valid 1-element f32 record to damage */
	unsigned char r[] = "HTRT\1\0\0\1\1\0\0\0\0\0\0\0\x80\x3f";
	size_t n = sizeof r - 1;

	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == 1 && ((float *)t.data)[0] == 1.0f);
	htr_tensor_free(&t);
	fclose(f);
	for (size_t k = 1; k < n; k++) {
		f = bytes(r, k);
		CHECKF(htr_tensor_read(f, &t) == -1 &&
		    strstr(htr_errmsg(), "truncated"), "at %zu: %s", k,
		    htr_errmsg());
		fclose(f);
	}
	f = bytes("P5\n2 2\n255\n", 11);
	CHECK(htr_tensor_read(f, &t) == -1 &&
	    strstr(htr_errmsg(), "not an htr tensor stream"));
	fclose(f);
	r[4] = 7;
	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == -1 &&
	    !strcmp(htr_errmsg(), "version 7 is newer than this htr (1); "
	    "upgrade htr"));
	fclose(f);
	r[4] = 1;
	r[6] = 9;
	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "dtype 9"));
	fclose(f);
	r[6] = 0;
	r[7] = 5;
	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "rank 5"));
	fclose(f);
	r[7] = 1;
	r[11] = 0x40;           /* dim 2^30 */
	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "limit"));
	fclose(f);
	r[11] = 0;
	r[16] = 0xc0;           /* 0x7fc00000 is a quiet NaN */
	r[17] = 0x7f;
	f = bytes(r, n);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "NaN"));
	fclose(f);
	/* 2^15 x 2^15 is over the element limit although each side is not */
	unsigned char big[] = "HTRT\1\0\0\2\0\x80\0\0\0\x80\0\0\0\0";
	f = bytes(big, sizeof big - 1);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "limit"));
	fclose(f);
	/* a control character in the tag */
	unsigned char tg[] = "HTRT\1\0\1\0\2\0a\n\1";
	f = bytes(tg, sizeof tg - 1);
	CHECK(htr_tensor_read(f, &t) == -1 && strstr(htr_errmsg(), "control"));
	fclose(f);

	float nan = NAN;
	struct htr_tensor w = {.dtype = HTR_F32, .rank = 0, .data = &nan};
	f = tmpfile();
	CHECK(htr_tensor_write(f, &w) == -1 && strstr(htr_errmsg(), "NaN"));
	CHECK(ftell(f) == 0);
	fclose(f);
}

static void
test_alphabet(void)
{
	struct htr_alphabet a, b;
	struct htr_tensor t;
	const char *s = "ab \xc3\xa9\n";

	CHECK(htr_alphabet_from_chars(&a, s, strlen(s)) == 0);
	CHECK(a.n == 5 && !strcmp(a.sym[0], "") && !strcmp(a.sym[3], " ") &&
	    !strcmp(a.sym[4], "\xc3\xa9"));
	CHECK(htr_alphabet_find(&a, "b") == 2 && htr_alphabet_find(&a, "c") == -1);
	CHECK(htr_alphabet_to_tensor(&t, &a) == 0);
	CHECK(t.dtype == HTR_U8 && t.rank == 1 && t.dim[0] == 10);
	CHECK(!memcmp(t.data, "\na\nb\n \n\xc3\xa9\n", 10));
	CHECK(htr_alphabet_from_tensor(&b, &t) == 0);
	CHECK(b.n == a.n);
	for (int i = 0; i < a.n && i < b.n; i++)
		CHECK(!strcmp(a.sym[i], b.sym[i]));
	htr_alphabet_free(&b);
	((char *)t.data)[1] = 'b';   /* "b" twice */
	CHECK(htr_alphabet_from_tensor(&b, &t) == -1 &&
	    strstr(htr_errmsg(), "twice"));
	((char *)t.data)[9] = 'x';   /* no final newline */
	CHECK(htr_alphabet_from_tensor(&b, &t) == -1 &&
	    strstr(htr_errmsg(), "newline"));
	((char *)t.data)[0] = 'x';
	htr_tensor_free(&t);
	CHECK(htr_alphabet_from_chars(&b, "a\xff", 2) == -1);
	const char *bad[] = {"x", "a"};
	CHECK(htr_alphabet_init(&b, bad, 2) == -1 && strstr(htr_errmsg(), "blank"));
	htr_alphabet_free(&a);
}

static void
test_csv(void)
{
	struct htr_tensor t;
	FILE *f;
	const char *s = "# a comment\n0.9;0.1;0.0;0.0;\n1,2,3,4\n\n-1 2e3\t-inf 4\n";

	f = bytes(s, strlen(s));
	CHECK(htr_tensor_read_csv(f, &t) == 0);
	fclose(f);
	CHECK(t.rank == 2 && t.dim[0] == 3 && t.dim[1] == 4);
	float *x = t.data;
	CHECK(x[0] == 0.9f && x[4] == 1 && x[9] == 2000 && isinf(x[10]));
	htr_tensor_free(&t);
	s = "1;2\n3\n";
	f = bytes(s, strlen(s));
	CHECK(htr_tensor_read_csv(f, &t) == -1 && strstr(htr_errmsg(), "line 2"));
	fclose(f);
	s = "1;x\n";
	f = bytes(s, strlen(s));
	CHECK(htr_tensor_read_csv(f, &t) == -1 &&
	    strstr(htr_errmsg(), "not a number"));
	fclose(f);
}

/* Every single-byte change of a valid stream reads as records or as an
 * error, never as a crash (run under SAN=1 to see memory errors). */
static void
test_mutations(void)
{
	struct htr_alphabet a;
	struct htr_tensor t;
	int dim[2] = {3, 4};
	FILE *f = tmpfile();
	unsigned char buf[256];
	long n;

	CHECK(htr_alphabet_from_chars(&a, "ab ", 3) == 0);
	CHECK(htr_alphabet_to_tensor(&t, &a) == 0);
	CHECK(htr_tensor_write(f, &t) == 0);
	htr_tensor_free(&t);
	htr_alphabet_free(&a);
	CHECK(htr_tensor_alloc(&t, HTR_F32, 2, dim, "logprob") == 0);
	CHECK(htr_tag_set(t.tags, "box", "1,2,3,4") == 0);
	CHECK(htr_tensor_write(f, &t) == 0);
	htr_tensor_free(&t);
	n = ftell(f);
	CHECK(n > 0 && n < (long)sizeof buf);
	rewind(f);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	int errors = 0;
	for (long i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			int r;
			buf[i] ^= (unsigned char)(1 << bit);
			f = bytes(buf, (size_t)n);
			while ((r = htr_tensor_read(f, &t)) == 1) {
				if (htr_tensor_is(&t, "alphabet") &&
				    htr_alphabet_from_tensor(&a, &t) == 0)
					htr_alphabet_free(&a);
				htr_tensor_free(&t);
			}
			errors += r < 0;
			CHECK(r <= 0 && t.data == NULL);
			fclose(f);
			buf[i] ^= (unsigned char)(1 << bit);
		}
	CHECK(errors > 0);
}

int
main(void)
{
	test_roundtrip();
	test_bad();
	test_alphabet();
	test_csv();
	test_mutations();
	return T_DONE();
}
