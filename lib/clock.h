/* clock.h — wall and CPU time for measuring how long things take. */
#ifndef HTR_CLOCK_H
#define HTR_CLOCK_H

/* Seconds on the monotonic clock (an arbitrary origin, never set back):
 * only differences mean anything. */
double htr_clock_seconds(void);
/* CPU seconds used by the process so far, all its threads together (on a
 * busy machine a better measure of work done than wall time). */
double htr_clock_cpu_seconds(void);

#endif
