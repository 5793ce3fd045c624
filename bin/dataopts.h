/* dataopts.h — the data-source options of htr-train and htr-eval: one
 * option table for the MNIST pair and for how a manifest or IAM source
 * is read (-image-root, -skip-err), and the loading of either into a
 * dataset.  Each program keeps its own source option (-train, -test)
 * and its own checks of which combinations it takes. */
#ifndef HTR_DATAOPTS_H
#define HTR_DATAOPTS_H

#include "cli.h"
#include "dataset.h"

struct htr_dataopts {
	const char *mnist_images;       /* -mnist-images, or NULL */
	const char *mnist_labels;       /* -mnist-labels, or NULL */
	const char *root;               /* -image-root, or NULL */
	unsigned int skip_err;          /* -skip-err */
};

/* The synopsis of the source; SRC is the program's own option, as
 * "-train SRC". */
#define HTR_DATAOPTS_USAGE(SRC) "(" SRC " | -mnist-images F " \
	"-mnist-labels F)"

/* Adds the options to the table of HTR_CLI_OPTIONS; d is a struct
 * htr_dataopts, zeroed before parsing. */
#define HTR_DATAOPTS_OPTIONS(d) do { \
	OPTENT3(0, "mnist-images", OPT_STRING, &(d).mnist_images, NULL, 0); \
	OPTENT3(0, "mnist-labels", OPT_STRING, &(d).mnist_labels, NULL, 0); \
	OPTENT3(0, "image-root", OPT_STRING, &(d).root, NULL, 0); \
	OPTENT3(0, "skip-err", OPT_FLAG, NULL, &(d).skip_err, 0); \
} while (0)

/* Adds to ds the MNIST pair of d when given, else src (a manifest, an
 * IAM folder...: htr_dataset_add_file) with d's image root; exits with
 * the library's message when it cannot. */
static inline void
htr_dataopts_add(struct htr_dataset *ds, const struct htr_dataopts *d,
    const char *src)
{
	if (d->mnist_images) {
		if (htr_dataset_add_mnist(ds, d->mnist_images, d->mnist_labels))
			htr_cli_die(NULL);
	} else if (htr_dataset_add_file(ds, src, d->root, d->skip_err)) {
		htr_cli_die(NULL);
	}
}

#endif
