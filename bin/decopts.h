/* decopts.h — the decoder options of htr-ctcdecode and htr-eval: one
 * option table and synopsis for both, filling a struct htr_decsetup_args
 * (lib/decsetup.h checks and loads them). */
#ifndef HTR_DECOPTS_H
#define HTR_DECOPTS_H

#include "cli.h"
#include "decsetup.h"

/* The synopsis of the options; DECODERS is how -decoder is written. */
#define HTR_DECOPTS_USAGE(DECODERS) "[-decoder " DECODERS "] [-beam N] " \
	"[-lm FILE [-lmweight F] [-bonus F]] [-corpus FILE [-wordchars FILE " \
	"| -wordcharlist CHARS] [-mode words|ngrams|forecast|sample] " \
	"[-addk F] [-seed N]]"

/* Adds the options to the table of HTR_CLI_OPTIONS; g is a struct
 * htr_decsetup_args (set to its defaults before parsing). */
#define HTR_DECOPTS_OPTIONS(g) do { \
	OPTENT3(0, "decoder", OPT_STRING, &(g).decoder, NULL, 0); \
	OPTENT3(0, "beam", OPT_UINT, &(g).beam, &(g).beam_spec, 0); \
	OPTENT3(0, "lm", OPT_STRING, &(g).lm, NULL, 0); \
	OPTENT3(0, "lmweight", OPT_FLOAT, &(g).lmweight, \
	    &(g).lmweight_spec, 0); \
	OPTENT3(0, "bonus", OPT_FLOAT, &(g).bonus, &(g).bonus_spec, 0); \
	OPTENT3(0, "corpus", OPT_STRING, &(g).corpus, NULL, 0); \
	OPTENT3(0, "wordchars", OPT_STRING, &(g).wordchars, NULL, 0); \
	OPTENT3(0, "wordcharlist", OPT_STRING, &(g).wordcharlist, NULL, 0); \
	OPTENT3(0, "mode", OPT_STRING, &(g).mode, NULL, 0); \
	OPTENT3(0, "addk", OPT_FLOAT, &(g).addk, NULL, 0); \
	OPTENT3(0, "seed", OPT_UINT, &(g).seed, NULL, 0); \
} while (0)

#endif
