/* mkmodel.c — writes tiny.htrm, the hand-set CTC model of the decoder
 * tests (tests/eval-decoders.test): network [1,5,0,1 O1c5], alphabet
 * blank a c o t, and weights that make every class's score 5 times the
 * ink of its own pixel row (row 0 the blank, then a c o t): an image
 * 5 pixels high spells out, column by column, the frames the decoders
 * see.  Rebuild (from the repository root, after make):
 *   cc -Ilib -pthread -o build/mkmodel tests/data/evaldec/mkmodel.c \
 *       lib/libhtr.a -lnetpbm -lpng -ljpeg -lz -lopenblas -lm &&
 *   build/mkmodel tests/data/evaldec/tiny.htrm
 */
#include <stdio.h>
#include <string.h>

#include "htr.h"
#include "model.h"
#include "net.h"

int
main(int argc, char **argv)
{
	static const char *const alphabet[] = {"", "a", "c", "o", "t"};
	struct htr_net *net;
	struct htr_model *m;
	float *p;

	if (argc != 2) {
		fprintf(stderr, "usage: mkmodel out.htrm\n");
		return 2;
	}
	if (!(net = htr_net_create("[1,5,0,1 O1c5]", 5, 1)))
		goto fail;
	HTR_ASSERT(htr_net_nparams(net) == 5 * 5 + 5);
	p = htr_net_params(net);
	memset(p, 0, 30 * sizeof *p);
	for (int o = 0; o < 5; o++)
		p[o * 5 + o] = 5;       /* w [class][row], then 5 zero biases */
	if (!(m = htr_model_new(net, alphabet, 5, HTR_LEVEL_LINE,
	    "hand-set test model: class score = 5 x ink of its row")))
		goto fail;
	if (htr_model_save(m, argv[1]))
		goto fail;
	htr_model_free(m);
	return 0;
fail:
	fprintf(stderr, "mkmodel: %s\n", htr_errmsg());
	return 1;
}
