/* rng.c: MT19937 with NumPy legacy RandomState semantics (seed, rand, randn,
 * random_interval, shuffle, permutation). */
#include "nnlab/rng.h"

#include <math.h>

#define MT_M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

void nn_rng_seed(nn_rng *r, uint32_t seed)
{
    uint32_t s = seed;
    for (int i = 0; i < NN_MT_N; i++) {
        r->key[i] = s;
        s = 1812433253U * (s ^ (s >> 30)) + (uint32_t)(i + 1);
    }
    r->pos = NN_MT_N;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

static void mt_generate(nn_rng *r)
{
    uint32_t y;
    int i;
    for (i = 0; i < NN_MT_N - MT_M; i++) {
        y = (r->key[i] & UPPER_MASK) | (r->key[i + 1] & LOWER_MASK);
        r->key[i] = r->key[i + MT_M] ^ (y >> 1) ^ (-(y & 1U) & MATRIX_A);
    }
    for (; i < NN_MT_N - 1; i++) {
        y = (r->key[i] & UPPER_MASK) | (r->key[i + 1] & LOWER_MASK);
        r->key[i] = r->key[i + (MT_M - NN_MT_N)] ^ (y >> 1) ^ (-(y & 1U) & MATRIX_A);
    }
    y = (r->key[NN_MT_N - 1] & UPPER_MASK) | (r->key[0] & LOWER_MASK);
    r->key[NN_MT_N - 1] = r->key[MT_M - 1] ^ (y >> 1) ^ (-(y & 1U) & MATRIX_A);
    r->pos = 0;
}

uint32_t nn_rng_u32(nn_rng *r)
{
    if (r->pos >= NN_MT_N)
        mt_generate(r);
    uint32_t y = r->key[r->pos++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

double nn_rng_rand(nn_rng *r)
{
    uint32_t a = nn_rng_u32(r) >> 5, b = nn_rng_u32(r) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

double nn_rng_randn(nn_rng *r)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * nn_rng_rand(r) - 1.0;
        x2 = 2.0 * nn_rng_rand(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

uint64_t nn_rng_interval(nn_rng *r, uint64_t max)
{
    if (max == 0)
        return 0;
    uint64_t mask = max, value;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffULL) {
        while ((value = (nn_rng_u32(r) & mask)) > max)
            ;
    } else {
        do {
            uint64_t hi = nn_rng_u32(r), lo = nn_rng_u32(r);
            value = ((hi << 32) | lo) & mask;
        } while (value > max);
    }
    return value;
}

void nn_rng_shuffle(nn_rng *r, int64_t *a, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)nn_rng_interval(r, i);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void nn_rng_permutation(nn_rng *r, int64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)i;
    nn_rng_shuffle(r, out, n);
}

void nn_rng_fill_randn(nn_rng *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = nn_rng_randn(r);
}

void nn_rng_fill_rand(nn_rng *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = nn_rng_rand(r);
}

uint32_t nn_rng_derive(uint32_t parent, const char *label)
{
    /* FNV-1a over the label, mixed with the parent seed (splitmix finaliser). */
    uint64_t h = 1469598103934665603ULL ^ parent;
    for (const char *p = label; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return (uint32_t)h;
}
