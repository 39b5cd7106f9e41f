/* vmath.h: elementwise functions of the sigmoid output over arrays. Its
 * probabilities 1 / (1 + exp(-z)) and its loss, which needs
 * log1p(exp(-|z|)), take one exp and one log1p per example; on the
 * notebooks' small networks one scalar call of each costs about as much as
 * the rest of the step per example.
 *
 * exp and log1p on [0, 1] are nnlab's own (vmath.c): within an ulp of the
 * exact values, the same bits in every build and on every CPU, vectorised by
 * GCC (AVX2; AVX-512 where the CPU has it: the same operations on wider
 * vectors) with no table lookups. nn_log1p_array, for any argument, goes
 * through glibc's vector math library where the build has it (libmvec,
 * x86-64 with AVX2: NN_HAVE_MVEC, found by cmake/arch.cmake), within a few
 * ulps, else the C library's log1p. Every element of an array uses the same
 * code, so a value's result does not depend on its position.
 * tests/test_vmath.c compares them against mpmath
 * (tests/gen_vmath_reference.py). */
#ifndef NN_VMATH_H
#define NN_VMATH_H

#include <stdint.h>

#include "nnlab/plugin.h"

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
/* y[i] = exp(x[i]) for i < n, within an ulp of the exact value (nnlab's
 * own, vmath.c); x and y may be the same array. */
void nn_exp_array(const double *x, double *y, long n);
/* The sigmoid output's loss terms and gradient for n examples with
 * pre-activations z and labels y (0 or not): with x = exp(-z[i]),
 * g[i] = inv (1 / (1 + x) - y[i]), and t[i] = softplus(z) - y z, as
 * max(z, 0) + log1p(exp(-|z|)), less z where y[i] != 0; exp(-|z|) is x for
 * z >= 0, 1 / x for z < 0 (within an ulp of exp(z); 0 where x overflows, a
 * true value below 1e-308). The operations above in their order, exp and
 * log1p as nn_exp_array and nn_log1p_unit_array, in three loops with t
 * as their workspace (t overlaps neither z nor g). */
void nn_sigmoid_terms(const nn_real *z, const int32_t *y, long n, double inv, nn_real *g,
                      double *t);

/* Which implementation nn_log1p_array uses: "libmvec AVX2" or "libm". */
const char *nn_vmath_impl(void);

#endif
