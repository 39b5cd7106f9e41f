/* vmath.h: elementwise functions of the sigmoid output over arrays. Its
 * probabilities 1 / (1 + exp(-z)) and its loss, which needs
 * log1p(exp(-|z|)), take one exp and one log1p per example; on the
 * notebooks' small networks one scalar call of each costs about as much as
 * the rest of the step per example.
 *
 * Where the build has glibc's vector math library (libmvec, x86-64 with
 * AVX2: NN_HAVE_MVEC, found by cmake/arch.cmake), four values at a time go
 * through its AVX2 variants, within a few ulps of the exact values as the
 * scalar functions are within one (their bits can differ from libm's, so a
 * run's weights differ in the last bits from those of a build without
 * libmvec); elsewhere each value goes through the C library's function.
 * Every element of an array uses the same code (a short tail is padded to a
 * vector), so a value's result does not depend on its position.
 * tests/test_vmath.c compares both against mpmath (tests/gen_vmath_reference.py). */
#ifndef NN_VMATH_H
#define NN_VMATH_H

/* y[i] = log1p(x[i]) for i < n; x and y may be the same array. */
void nn_log1p_array(const double *x, double *y, long n);
/* y[i] = log1p(x[i]) for x[i] in [0, 1] or NaN (the loss's log1p(exp(-|z|))),
 * within an ulp of the exact value (0.85 ulp measured), by nnlab's own
 * formula (vmath.c): the same bits in every build and on every CPU, and
 * vectorised (AVX2, AVX-512 where the CPU has it). Other x: unspecified. */
void nn_log1p_unit_array(const double *x, double *y, long n);
/* Its AVX-512 clone on (1, the default, used where the CPU has AVX-512F) or
 * off (tests compare the two); returns the previous setting. */
int nn_vmath_set_wide(int on);
/* y[i] = exp(x[i]) for i < n; x and y may be the same array. */
void nn_exp_array(const double *x, double *y, long n);

/* Which implementation they use: "libmvec AVX2" or "libm". */
const char *nn_vmath_impl(void);

#endif
