/* toy.h — the toy CTC task of the training tests (test_net.c,
 * test_dp.c): images TH pixels high, one network that learns it. */
#ifndef HTR_TEST_TOY_H
#define HTR_TEST_TOY_H

#include <string.h>

#include "rng.h"

#define TH 8
/* Toy handwriting: symbol 1 a full bar, 2 a top block, 3 a bottom block,
 * each 3 columns wide, 2-column gaps; 1 to 4 symbols.  Batch padded. */
static void
toy_batch(struct htr_rng *r, int n, float *x, int *W, int *widths,
    int *labels, int *llen)
{
	int off = 0, maxw = 0;

	for (int i = 0; i < n; i++) {
		llen[i] = 1 + htr_rng_below(r, 4);
		for (int k = 0; k < llen[i]; k++)
			labels[off + k] = 1 + htr_rng_below(r, 3);
		widths[i] = 2 + 5 * llen[i];
		if (widths[i] > maxw)
			maxw = widths[i];
		off += llen[i];
	}
	*W = maxw;
	memset(x, 0, (size_t)n * TH * maxw * sizeof *x);
	off = 0;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < llen[i]; k++) {
			int s = labels[off + k], x0 = 2 + 5 * k;
			int y0 = s == 3 ? TH / 2 : 0, y1 = s == 2 ? TH / 2 : TH;
			for (int y = y0; y < y1; y++)
				for (int c = x0; c < x0 + 3; c++)
					x[((size_t)i * TH + y) * maxw + c] = 1;
		}
		off += llen[i];
	}
}

static const char toy_vgsl[] = "[1,8,0,1 Cr3,3,8 Bnr Mp2,2 Do0.1 Lbx16 "
    "O1c4]";

#endif
