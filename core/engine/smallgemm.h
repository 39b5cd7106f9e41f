/* smallgemm.h: the model's own products for small layers (the notebooks'
 * 2-10-5-1 nets: a few units, a batch of hundreds), where a BLAS call's fixed
 * cost (argument checks, packing, dispatch: about a microsecond) exceeds the
 * arithmetic. AVX2 + FMA builds only (cmake/arch.cmake's default on such a
 * CPU), where NN_SMALL_GEMM is 1; elsewhere it is 0, nothing here is
 * declared and the model calls BLAS throughout.
 *
 * Row-major, as nn_gemm. The orders of the sums are fixed here, whatever the
 * machine (the same in every build that has the path):
 * - nn_small_nn, nn_small_tn: C = op(A) B, each element one fused
 *   multiply-add chain over k = 0, 1, ..., K-1 from zero: the order of
 *   OpenBLAS's own kernels for these shapes, so their results are BLAS's bit
 *   for bit (tests/test_smallgemm.c compares them where the BLAS does so).
 * - nn_small_nt (C = A B^T, the weight gradient: a reduction along rows) and
 *   nn_small_rowsum (the bias gradient): one partial sum per vector lane
 *   (LANES = 4 doubles or 8 floats), lane l a fused chain over k = l,
 *   l + LANES, ... below K - K % LANES, the lanes added pairwise ((s0 + s2) + (s1 + s3) for 4 lanes; for 8 first
 *   s_l + s_(l+4)), then the last K % LANES terms in order. */
#ifndef NN_SMALLGEMM_H
#define NN_SMALLGEMM_H

#include "nnlab/plugin.h"

#if defined(__AVX2__) && defined(__FMA__)
#define NN_SMALL_GEMM 1
#else
#define NN_SMALL_GEMM 0
#endif

#if NN_SMALL_GEMM
/* 1 when a product of these sizes (op(A) m x k,
 * B k x n) is small enough for it to beat BLAS. */
int nn_small_gemm_ok(long m, long n, long k);

/* C (m, n) = A (m, k) B (k, n) */
void nn_small_nn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc);
/* C (m, n) = A^T B with A (k, m) */
void nn_small_tn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc);
/* C (m, n) = A (m, k) B^T with B (n, k) */
void nn_small_nt(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc);
/* s[i] = sum over the k values of row i of A (m, k) */
void nn_small_rowsum(int m, int k, const nn_real *A, int lda, nn_real *s);
#endif

#endif
