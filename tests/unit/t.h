/* t.h — the unit-test harness: CHECK() records a failure with file and
 * line and the test goes on; T_DONE() prints the tally and makes the exit
 * status non-zero on any failure.  Tests run from the tests/ directory. */
#ifndef HTR_T_H
#define HTR_T_H

#include <math.h>
#include <stdio.h>

static int t_checks, t_failed;

#define CHECK(c) do { t_checks++; if (!(c)) { t_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
	} } while (0)
#define CHECKF(c, ...) do { t_checks++; if (!(c)) { t_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #c); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
/* |a - b| <= atol + rtol * |b| */
#define CHECK_NEAR(a, b, atol, rtol) do { double t_a = (a), t_b = (b); \
	CHECKF(fabs(t_a - t_b) <= (atol) + (rtol) * fabs(t_b), \
	    "%s = %.10g, %s = %.10g", #a, t_a, #b, t_b); } while (0)
#define T_DONE() (printf("%d checks, %d failed\n", t_checks, t_failed), \
	t_failed ? 1 : 0)

#endif
