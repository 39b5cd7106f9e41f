/* smallgemm_ep.h: what smallgemm.c (AVX2) and smallgemm_avx512.c (512-bit
 * vectors) share, so that both do the same operations: the final addition of
 * a 256-bit vector of lane sums (smallgemm.h's order) and the store steps'
 * kinds and operands. Included by those two files only, after immintrin.h. */
#ifndef NN_SMALLGEMM_EP_H
#define NN_SMALLGEMM_EP_H

#include "nnlab/plugin.h"

#include <immintrin.h>

#if defined(NN_REAL_IS_FLOAT)
/* (s0 + s4, s1 + s5, s2 + s6, s3 + s7) = t, then (t0 + t2) + (t1 + t3) */
static inline __attribute__((always_inline)) float hsum(__m256 v)
{
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
}
#else
/* (s0 + s2, s1 + s3) = t, then t0 + t1 */
static inline __attribute__((always_inline)) double hsum(__m256d v)
{
    __m128d t = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}
#endif

/* What the store step of a block of rows does (a constant in each
 * instance): store the product (EP_PLAIN); the hidden layer's forward
 * elementwise pass, v = c + bias[row], C = v, act = relu(v) (EP_RELU) or
 * v > 0 ? v : slope * v (EP_LEAKY); its backward one, C = c * g with
 * g = (z > 0 ? 1 : slope) (EP_DSIGN) or g = gk, the derivative kept by forward
 * (EP_DKEPT). Each element: the operations of the model's separate pass
 * (model.c), in its order. */
enum { EP_PLAIN, EP_RELU, EP_LEAKY, EP_DSIGN, EP_DKEPT };

typedef struct {
    const nn_real *bias; /* EP_RELU, EP_LEAKY: one per row of C */
    nn_real *act;        /* EP_RELU, EP_LEAKY: act(C), laid out as C */
    const nn_real *g;    /* EP_DSIGN: z; EP_DKEPT: gk; laid out as C */
    nn_real slope;       /* EP_LEAKY: the slope; EP_DSIGN: g for z <= 0 */
} epilogue;

#endif
