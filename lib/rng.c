/* rng.c — xoshiro256** seeded by splitmix64. */
#include <math.h>

#include "rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
htr_rng_seed(struct htr_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
htr_rng_u64(struct htr_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

float
htr_rng_uniform(struct htr_rng *r)
{
	return (float)(htr_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

uint32_t
htr_rng_below(struct htr_rng *r, uint32_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = htr_rng_u64(r);
	while (x >= lim);
	return (uint32_t)(x % n);
}

float
htr_rng_normal(struct htr_rng *r)
{
	double u1 = ((htr_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
	double u2 = (htr_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);

	return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void
htr_rng_shuffle(struct htr_rng *r, int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)htr_rng_below(r, (uint32_t)i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}
