/* nnlab/rng.h: a seeded generator whose streams equal NumPy's legacy
 * np.random (RandomState): MT19937, rand, randn (polar method), permutation. */
#ifndef NNLAB_RNG_H
#define NNLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "nnlab/api.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NN_MT_N 624

typedef struct nn_rng {
    uint32_t key[NN_MT_N];
    int pos;
    int has_gauss;
    double gauss;
} nn_rng;

/* np.random.seed(seed) for an integer seed in [0, 2^32). */
NN_API void nn_rng_seed(nn_rng *r, uint32_t seed);
NN_API uint32_t nn_rng_u32(nn_rng *r);
/* np.random.rand(): uniform [0, 1) with 53 bits. */
NN_API double nn_rng_rand(nn_rng *r);
/* np.random.randn(): legacy polar Box-Muller, caching the second value. */
NN_API double nn_rng_randn(nn_rng *r);
/* Uniform integer in [0, max] as NumPy's legacy random_interval. */
NN_API uint64_t nn_rng_interval(nn_rng *r, uint64_t max);
/* np.random.shuffle of an int64 array (legacy Fisher-Yates from the end). */
NN_API void nn_rng_shuffle(nn_rng *r, int64_t *a, size_t n);
/* np.random.permutation(n) into out (n). */
NN_API void nn_rng_permutation(nn_rng *r, int64_t *out, size_t n);
/* Fill out with randn() / rand() in order. */
NN_API void nn_rng_fill_randn(nn_rng *r, double *out, size_t n);
NN_API void nn_rng_fill_rand(nn_rng *r, double *out, size_t n);
/* A seed derived deterministically from a parent seed and a label, for
 * sections that do not set their own seed. */
NN_API uint32_t nn_rng_derive(uint32_t parent, const char *label);

#ifdef __cplusplus
}
#endif
#endif
