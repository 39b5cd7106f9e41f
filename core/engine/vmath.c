/* vmath.c: see vmath.h. */
#include "vmath.h"

#include <math.h>

#if defined(NN_HAVE_MVEC) && NN_HAVE_MVEC
#include <immintrin.h>
#include <string.h>

/* libmvec's AVX2 variant of log1p (the vector function ABI's name for
 * "4 doubles, one vector argument"); math.h declares it only under
 * -ffast-math, which the tree does not use. */
__m256d _ZGVdN4v_log1p(__m256d x);

void nn_log1p_array(const double *x, double *y, long n)
{
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, _ZGVdN4v_log1p(_mm256_loadu_pd(x + i)));
    if (i < n) {
        double t[4] = {0, 0, 0, 0};
        memcpy(t, x + i, (size_t)(n - i) * sizeof *t);
        _mm256_storeu_pd(t, _ZGVdN4v_log1p(_mm256_loadu_pd(t)));
        memcpy(y + i, t, (size_t)(n - i) * sizeof *t);
    }
}

const char *nn_log1p_array_impl(void) { return "libmvec AVX2"; }
#else
void nn_log1p_array(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = log1p(x[i]);
}

const char *nn_log1p_array_impl(void) { return "libm"; }
#endif
