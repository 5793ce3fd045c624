/* clock.h — wall time for measuring how long things take. */
#ifndef HTR_CLOCK_H
#define HTR_CLOCK_H

/* Seconds on the monotonic clock (an arbitrary origin, never set back):
 * only differences mean anything. */
double htr_clock_seconds(void);

#endif
