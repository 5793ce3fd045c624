/* plot.h — the learning curve of a training run as a PNG (libpng): the
 * training loss (blue, left scale) and the validation error (red, right
 * scale, per cent) against the epoch, read from htr-train's CSV log. */
#ifndef HTR_PLOT_H
#define HTR_PLOT_H

/* Reads the CSV log (header "epoch,step,train_loss,valid_error,...") and
 * writes the PNG atomically.  Returns 0 or -1 (htr_fail). */
int htr_plot_log(const char *png, const char *csv);

/* The same from arrays: n points of epoch, loss and error (error < 0 or
 * NaN: none). */
int htr_plot_curve(const char *png, const double *epoch, const double *loss,
	const double *error, int n);

#endif
