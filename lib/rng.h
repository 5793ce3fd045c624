/* rng.h — a small explicit-state random number generator (xoshiro128+-style
 * state seeded by splitmix64).  Never rand(): every program that draws
 * random numbers takes -seed and owns its struct htr_rng. */
#ifndef HTR_RNG_H
#define HTR_RNG_H

#include <stdint.h>

struct htr_rng {
	uint64_t s[4];
};

void     htr_rng_seed(struct htr_rng *r, uint64_t seed);
uint64_t htr_rng_u64(struct htr_rng *r);
/* Uniform in [0, 1). */
float    htr_rng_uniform(struct htr_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t htr_rng_below(struct htr_rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
float    htr_rng_normal(struct htr_rng *r);
/* Fisher-Yates shuffle of n ints. */
void     htr_rng_shuffle(struct htr_rng *r, int *a, int n);

#endif
