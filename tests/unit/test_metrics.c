/* test_metrics.c — UTF-8, Levenshtein distances with known answers, CER,
 * WER and accuracy. */
#include <string.h>

#include "htr.h"
#include "metrics.h"
#include "utf8.h"
#include "t.h"

static void
test_utf8(void)
{
	uint32_t cp[8];
	char buf[8];

	CHECK(htr_utf8_decode("a\xc3\xa9\xe2\x80\x99\xf0\x9f\x98\x80", cp, 8)
	    == 4);
	CHECK(cp[0] == 'a' && cp[1] == 0xe9 && cp[2] == 0x2019 &&
	    cp[3] == 0x1f600);
	CHECK(htr_utf8_decode("\xc3", cp, 8) == -1);             /* truncated */
	CHECK(strstr(htr_errmsg(), "invalid UTF-8"));
	CHECK(htr_utf8_decode("\xc0\xaf", cp, 8) == -1);         /* overlong */
	CHECK(htr_utf8_decode("\xed\xa0\x80", cp, 8) == -1);     /* surrogate */
	CHECK(htr_utf8_decode("\xff", cp, 8) == -1);
	for (uint32_t c = 1; c < 0x110000; c += 97) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		int n = htr_utf8_encode(c, buf);
		CHECK(n >= 1 && n <= 4);
		CHECK(htr_utf8_decode(buf, cp, 8) == 1 && cp[0] == c);
	}
	CHECK(htr_utf8_encode(0xd800, buf) == 0);
}

static void
test_distance(void)
{
	CHECK(htr_metrics_char_distance("kitten", "sitting") == 3);
	CHECK(htr_metrics_char_distance("", "abc") == 3);
	CHECK(htr_metrics_char_distance("abc", "") == 3);
	CHECK(htr_metrics_char_distance("flaw", "lawn") == 2);
	CHECK(htr_metrics_char_distance("same", "same") == 0);
	/* one code point each, though two and three bytes */
	CHECK(htr_metrics_char_distance("caf\xc3\xa9", "cafe") == 1);
	CHECK(htr_metrics_char_distance("l\xe2\x80\x99" "a", "l'a") == 1);
	CHECK(htr_metrics_word_distance("the cat sat", "the cat sat") == 0);
	CHECK(htr_metrics_word_distance("the cat sat", "the  bat sat ") == 1);
	CHECK(htr_metrics_word_distance("a b c d", "a c d e") == 2);
	CHECK(htr_metrics_word_distance("", "x y") == 2);
	CHECK(htr_metrics_word_distance("x y", "") == 2);
	/* equal words found by content, not position */
	CHECK(htr_metrics_word_distance("to be or not to be", "be or not to be")
	    == 1);
	CHECK(htr_metrics_char_distance("ok", "\xc3") == -1);
}

static void
test_rates(void)
{
	struct htr_metrics m;

	htr_metrics_init(&m);
	CHECK(htr_metrics_cer(&m) == 0 && htr_metrics_accuracy(&m) == 0);
	CHECK(htr_metrics_add(&m, "kitten", "sitting") == 0);
	CHECK(htr_metrics_add(&m, "the cat", "the cat") == 0);
	CHECK(htr_metrics_add(&m, "a b c d", "a c d e") == 0);
	CHECK(m.samples == 3 && m.correct == 1);
	CHECK(m.chars == 6 + 7 + 7 && m.char_errors == 3 + 0 + 3);  /* b>c c>d d>e */
	CHECK(m.words == 1 + 2 + 4 && m.word_errors == 1 + 0 + 2);
	CHECK_NEAR(htr_metrics_cer(&m), 6.0 / 20, 1e-12, 0);
	CHECK_NEAR(htr_metrics_wer(&m), 3.0 / 7, 1e-12, 0);
	CHECK_NEAR(htr_metrics_accuracy(&m), 1.0 / 3, 1e-12, 0);
	CHECK(htr_metrics_add(&m, "\xe2", "x") == -1);
	CHECK(m.samples == 3);
}

int
main(void)
{
	test_utf8();
	test_distance();
	test_rates();
	return T_DONE();
}
