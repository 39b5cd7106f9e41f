/* vmath.h: elementwise functions of the loss over arrays. The summed loss of
 * a sigmoid output needs log1p(exp(-|z|)) for every example of a batch; one
 * scalar log1p costs about as much as the whole small network's step per
 * example, and only the loss value (not the gradient) depends on it.
 *
 * Where the build has glibc's vector math library (libmvec, x86-64 with
 * AVX2: NN_HAVE_MVEC, found by cmake/arch.cmake), four values at a time go
 * through its AVX2 log1p, whose documented maximal error is a few ulps;
 * elsewhere each value goes through the C library's log1p. Every element
 * of an array uses the same function (a short tail is padded to a vector),
 * so a value's result does not depend on its position.
 * tests/test_vmath.c compares against NumPy's log1p (tests/gen_vmath_reference.py). */
#ifndef NN_VMATH_H
#define NN_VMATH_H

/* y[i] = log1p(x[i]) for i < n; x and y may be the same array. */
void nn_log1p_array(const double *x, double *y, long n);

/* Which implementation nn_log1p_array uses: "libmvec AVX2" or "libm". */
const char *nn_log1p_array_impl(void);

#endif
