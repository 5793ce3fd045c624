/* ctc.h — connectionist temporal classification loss (Graves et al. 2006)
 * in log space, with its gradient.
 *
 * Input: per-frame LOG-probabilities (the log-softmax output), blank is
 * class 0.  The gradient returned is d loss / d logp, i.e. with respect to
 * the log-softmax OUTPUT: -gamma_t(k), the posterior occupancy of class k
 * at frame t.  Chained through htr_logsoftmax_backward it becomes the
 * familiar softmax - gamma on the logits.  (It is exact for any inputs,
 * normalised or not, so it can be checked by finite differences.)
 *
 * A label of length L with R repeated neighbours (as "ll" in "hello") needs
 * T >= L + R frames.  Shorter sequences cannot emit it: that sample is
 * skipped (no loss, no gradient) and reported, never a NaN or infinity.
 */
#ifndef HTR_CTC_H
#define HTR_CTC_H

#include <math.h>

/* log(exp(a) + exp(b)) without overflow; -INFINITY stands for log 0.  The
 * one log-space sum of the CTC loss and the CTC decoders. */
static inline double
htr_ctc_logadd(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

/* Frames needed to emit label[0..L-1]: L plus the number of repeats. */
int htr_ctc_min_frames(const int *label, int L);

/* One sample.  Frame t's C log-probs are logp[t * stride ...]; grad, if not
 * NULL, has the same layout and receives scale * d loss / d logp (adds).
 * Returns 0 and sets *loss = -log p(label | input); returns 1 when the
 * label is too long for T (loss 0, grad untouched); returns -1 (htr_fail)
 * for a label entry outside 1..C-1 or T, C out of range. */
int htr_ctc_loss(
    double *loss,
    float *grad,           /* [T][stride], adds; or NULL */
    const float *logp,     /* [T][stride], first C of each row used */
    int T, int C, int stride,
    const int *label,      /* [L], entries in 1..C-1 */
    int L, float scale);

/* A batch in the network's output layout.  losses[n] gets sample n's loss,
 * or -1 if it was skipped; *nskipped (may be NULL) counts the skipped.
 * scale multiplies every gradient (1/batch for a batch mean).  Returns the
 * sum of the losses of the samples not skipped, or -1 (htr_fail) on bad
 * labels. */
double htr_ctc_batch(
    float *losses,         /* [N] or NULL */
    int *nskipped,
    float *grad,           /* [T][N][C], adds; or NULL */
    const float *logp,     /* [T][N][C] */
    const int *lens,       /* [N] frames of each sample (<= T) */
    const int *labels,     /* all labels back to back */
    const int *label_lens, /* [N] */
    int T, int N, int C, float scale);

#endif
