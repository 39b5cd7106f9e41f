/* vmath.c: see vmath.h. */
#include "vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(NN_HAVE_MVEC) && NN_HAVE_MVEC
#include <immintrin.h>

/* libmvec's AVX2 variants (the vector function ABI's names for "4 doubles,
 * one vector argument"); math.h declares them only under -ffast-math, which
 * the tree does not use. */
__m256d _ZGVdN4v_log1p(__m256d x);

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
const char *nn_vmath_impl(void) { return "libmvec AVX2"; }
#else
void nn_log1p_array(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = log1p(x[i]);
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

/* exp, the same operations for every element and in every build
 * (vmath.h). x clamped to [-746, 710] (beyond them the result is 0 or
 * infinite either way; NaN passes). k = x / ln2 rounded to an integer (by
 * the 1.5 * 2^52 shift, whose low bits then hold k), r = x - k ln2 with
 * |r| <= ln2 / 2 (a little more where x / ln2 rounded the other way), as
 * rh + c: rh = x - k ln2_hi is exact (one fused multiply-add: k ln2_hi has
 * no bits below 2^-53, x none below 2^-54 where k != 0, and |rh| < 1/2),
 * c = -k ln2_lo. exp(r) = 1 + (rh + (c + r^2 P(r))), P the Taylor series
 * 1/2! + r/3! + ... + r^11/13! (the first term left out, r^14/14!, is below
 * 4e-18), the large terms added last. The result is exp(r) 2^k, as two
 * factors 2^k1 2^k2 (k1 = k / 2, k2 = k - k1: each a normal number from its
 * bits) so that a subnormal result is rounded once and the largest finite
 * results do not overflow on the way. Within an ulp (tests/test_vmath.c);
 * the loops below are vectorised by GCC, with no table lookups. */
static inline __attribute__((always_inline)) double exp_own(double x)
{
    const double log2e = 1.4426950408889634, shift = 6755399441055744.0, /* 1.5 * 2^52 */
        ln2_hi = 0.6931471805599453, ln2_lo = 2.3190468138462996e-17;
    x = x > 710.0 ? 710.0 : x;
    x = x < -746.0 ? -746.0 : x;
    double t = x * log2e + shift, k = t - shift;
    double rh = fma(-k, ln2_hi, x), c = -k * ln2_lo, r = rh + c;
    double p = 1.0 / 6227020800; /* 1/13! */
    p = fma(r, p, 1.0 / 479001600);
    p = fma(r, p, 1.0 / 39916800);
    p = fma(r, p, 1.0 / 3628800);
    p = fma(r, p, 1.0 / 362880);
    p = fma(r, p, 1.0 / 40320);
    p = fma(r, p, 1.0 / 5040);
    p = fma(r, p, 1.0 / 720);
    p = fma(r, p, 1.0 / 120);
    p = fma(r, p, 1.0 / 24);
    p = fma(r, p, 1.0 / 6);
    p = fma(r, p, 0.5);
    double e = 1.0 + (rh + fma(r * r, p, c));
    int64_t kb, k1, s1, s2;
    memcpy(&kb, &t, sizeof kb);
    kb = (int64_t)((uint64_t)kb << 32) >> 32; /* k, from the low 32 bits of t */
    k1 = kb >> 1;
    s1 = (int64_t)((uint64_t)(k1 + 1023) << 52);
    s2 = (int64_t)((uint64_t)(kb - k1 + 1023) << 52);
    double f1, f2;
    memcpy(&f1, &s1, sizeof f1);
    memcpy(&f2, &s2, sizeof f2);
    return (e * f1) * f2;
}

/* The sigmoid output's terms (vmath.h), on x = exp(-z): exp(-|z|) is x for
 * z >= 0 and 1 / x for z < 0 (within an ulp of exp(z); where x overflows,
 * 1 / x is 0 against a true value below 1e-308). Three loops over the
 * examples, t holding x, then exp(-|z|), then the loss term: one loop doing
 * all of it per element is a dependency chain of about 100 operations that
 * the core cannot overlap across iterations (1105 against 873 ns for 300
 * examples on the AVX-512 path, Zen 4); each element's operations are the
 * same either way. */
static inline __attribute__((always_inline)) double sigmoid_grad(double x, double y, double inv)
{
    return inv * (1.0 / (1.0 + x) - y);
}

static inline __attribute__((always_inline)) double sigmoid_loss(double z, double y, double e)
{
    double l = (z > 0 ? z : 0) + log1p_unit(e);
    return y != 0 ? l - z : l;
}

/* The loops, vectorised by GCC; on x86-64 also for AVX-512 where the CPU
 * has it (the same operations on wider vectors: the same bits). */
#define LOG1P_UNIT_LOOP(x, y, n)                                                                   \
    for (long i = 0; i < n; i++)                                                                   \
        y[i] = log1p_unit(x[i]);
#define EXP_LOOP(x, y, n)                                                                          \
    for (long i = 0; i < n; i++)                                                                   \
        y[i] = exp_own(x[i]);
#define SIGMOID_LOOP(z, y, n, inv, g, t)                                                           \
    for (long i = 0; i < n; i++)                                                                   \
        t[i] = exp_own(-(double)z[i]);                                                             \
    for (long i = 0; i < n; i++) {                                                                 \
        double x = t[i];                                                                           \
        g[i] = (nn_real)sigmoid_grad(x, (double)y[i], inv);                                        \
        t[i] = z[i] >= 0 ? x : 1.0 / x;                                                            \
    }                                                                                              \
    for (long i = 0; i < n; i++)                                                                   \
        t[i] = sigmoid_loss((double)z[i], (double)y[i], t[i]);

#if defined(__GNUC__) && defined(__x86_64__) && defined(__AVX2__)
#define WIDE __attribute__((target("avx512f")))
WIDE static void log1p_unit_512(const double *x, double *y, long n) { LOG1P_UNIT_LOOP(x, y, n) }
WIDE static void exp_512(const double *x, double *y, long n) { EXP_LOOP(x, y, n) }
WIDE static void sigmoid_512(const nn_real *z, const int32_t *y, long n, double inv, nn_real *g,
                             double *t)
{
    SIGMOID_LOOP(z, y, n, inv, g, t)
}

static int wide_on = 1;

int nn_vmath_set_wide(int on)
{
    int was = wide_on;
    wide_on = on != 0;
    return was;
}

/* 1 where the AVX-512 clones run (the CPU has AVX-512F and they are on) */
static int wide(void)
{
    static int cpu = -1;
    if (cpu < 0) {
        __builtin_cpu_init();
        cpu = __builtin_cpu_supports("avx512f") != 0;
    }
    return cpu && wide_on;
}
#else
int nn_vmath_set_wide(int on) { return (void)on, 0; }
static int wide(void) { return 0; }
#define log1p_unit_512(x, y, n) (void)0
#define exp_512(x, y, n) (void)0
#define sigmoid_512(z, y, n, inv, g, t) (void)0
#endif

void nn_log1p_unit_array(const double *x, double *y, long n)
{
    if (wide()) {
        log1p_unit_512(x, y, n);
        return;
    }
    LOG1P_UNIT_LOOP(x, y, n)
}

void nn_exp_array(const double *x, double *y, long n)
{
    if (wide()) {
        exp_512(x, y, n);
        return;
    }
    EXP_LOOP(x, y, n)
}

void nn_sigmoid_terms(const nn_real *z, const int32_t *y, long n, double inv, nn_real *g,
                      double *t)
{
    if (wide()) {
        sigmoid_512(z, y, n, inv, g, t);
        return;
    }
    SIGMOID_LOOP(z, y, n, inv, g, t)
}
