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

/* log1p on [0, 1], the same operations for every element and in every
 * build (vmath.h). With 1 + x = u + c exactly (u rounded, c = x - (u - 1)
 * its error: u - 1 is exact for u in [1, 2]), u = 2^k m with m in
 * [sqrt(1/2), sqrt(2)] (k = 0 or 1, exact) and f = m - 1 (exact):
 * log1p(x) = k ln2 + log(1 + f) + log(1 + c / u), where
 * log(1 + f) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + R), s = f / (2 + f),
 * R = sum over n = 1..10 of 2 s^(2n) / (2n + 1) (|s| <= 0.1716, so the
 * first term left out is below 1e-19 of the result), and
 * log(1 + c / u) = c / u to far below an ulp (|c| <= 2^-53 u), 1 / u taken
 * as 2^-k (1 - s)^2 (1 + s^2) (relative error below 1e-3, on a term of at
 * most half an ulp). ln 2 in two parts, the low one added with the small
 * terms. */
static inline __attribute__((always_inline)) double log1p_unit(double x)
{
    const double sqrt2 = 1.4142135623730951, ln2_hi = 0.6931471805599453,
                 ln2_lo = 2.3190468138462996e-17;
    double u = 1.0 + x, c = x - (u - 1.0);
    double half = u > sqrt2 ? 0.5 : 1.0, k = u > sqrt2 ? 1.0 : 0.0;
    double m = u * half, f = m - 1.0, s = f * (1.0 / (2.0 + f)), z = s * s;
    double p = 2.0 / 21;
    p = fma(z, p, 2.0 / 19);
    p = fma(z, p, 2.0 / 17);
    p = fma(z, p, 2.0 / 15);
    p = fma(z, p, 2.0 / 13);
    p = fma(z, p, 2.0 / 11);
    p = fma(z, p, 2.0 / 9);
    p = fma(z, p, 2.0 / 7);
    p = fma(z, p, 2.0 / 5);
    p = fma(z, p, 2.0 / 3);
    double R = z * p, hfsq = 0.5 * f * f, oms = 1.0 - s;
    double t = c * (oms * oms * (1.0 + z) * half);
    double lo = fma(s, hfsq + R, k * ln2_lo + t);
    return k * ln2_hi + (f - (hfsq - lo));
}

/* GCC vectorises the loop; on x86-64 also for AVX-512 where the CPU has it
 * (the same operations on wider vectors: the same bits). */
#define LOG1P_UNIT_LOOP(x, y, n)                                                                   \
    for (long i = 0; i < n; i++)                                                                   \
        y[i] = log1p_unit(x[i]);

#if defined(__GNUC__) && defined(__x86_64__) && defined(__AVX2__)
__attribute__((target("avx512f"))) static void log1p_unit_512(const double *x, double *y, long n)
{
    LOG1P_UNIT_LOOP(x, y, n)
}

static int wide_on = 1;

int nn_vmath_set_wide(int on)
{
    int was = wide_on;
    wide_on = on != 0;
    return was;
}

void nn_log1p_unit_array(const double *x, double *y, long n)
{
    static int wide = -1;
    if (wide < 0) {
        __builtin_cpu_init();
        wide = __builtin_cpu_supports("avx512f") != 0;
    }
    if (wide && wide_on) {
        log1p_unit_512(x, y, n);
        return;
    }
    LOG1P_UNIT_LOOP(x, y, n)
}
#else
int nn_vmath_set_wide(int on) { return (void)on, 0; }
void nn_log1p_unit_array(const double *x, double *y, long n) { LOG1P_UNIT_LOOP(x, y, n) }
#endif
