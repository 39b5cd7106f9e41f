/* vmath.c: see vmath.h. */
#include "vmath.h"

#include <math.h>

#if defined(NN_HAVE_MVEC) && NN_HAVE_MVEC
#include <immintrin.h>
#include <string.h>

/* libmvec's AVX2 variants (the vector function ABI's names for "4 doubles,
 * one vector argument"); math.h declares them only under -ffast-math, which
 * the tree does not use. */
__m256d _ZGVdN4v_log1p(__m256d x);
__m256d _ZGVdN4v_exp(__m256d x);

/* y = f(x) four at a time, a short tail padded with zeros to a vector. */
static inline __attribute__((always_inline)) void apply(__m256d (*f)(__m256d), const double *x,
                                                        double *y, long n)
{
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, f(_mm256_loadu_pd(x + i)));
    if (i < n) {
        double t[4] = {0, 0, 0, 0};
        memcpy(t, x + i, (size_t)(n - i) * sizeof *t);
        _mm256_storeu_pd(t, f(_mm256_loadu_pd(t)));
        memcpy(y + i, t, (size_t)(n - i) * sizeof *t);
    }
}

void nn_log1p_array(const double *x, double *y, long n) { apply(_ZGVdN4v_log1p, x, y, n); }
void nn_exp_array(const double *x, double *y, long n) { apply(_ZGVdN4v_exp, x, y, n); }
const char *nn_vmath_impl(void) { return "libmvec AVX2"; }
#else
void nn_log1p_array(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = log1p(x[i]);
}

void nn_exp_array(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = exp(x[i]);
}

const char *nn_vmath_impl(void) { return "libm"; }
#endif
