/* smallgemm.h: the model's own products for small layers (the notebooks'
 * 2-10-5-1 nets: a few units, a batch of hundreds), where a BLAS call's fixed
 * cost (argument checks, packing, dispatch: about a microsecond) exceeds the
 * arithmetic. AVX2 + FMA builds only (cmake/arch.cmake's default on such a
 * CPU), where NN_SMALL_GEMM is 1; elsewhere it is 0, nothing here is
 * declared and the model calls BLAS throughout. Where the CPU has AVX-512F
 * and VL, the same products run on 512-bit vectors (smallgemm_avx512.c,
 * NN_SMALL_WIDE below) with the same orders below: the same bits.
 *
 * Row-major, as nn_gemm. The orders of the sums are fixed here, whatever the
 * machine (the same in every build that has the path):
 * - nn_small_nn, nn_small_tn: C = op(A) B, each element one fused
 *   multiply-add chain over k = 0, 1, ..., K-1 from zero: the order of
 *   OpenBLAS's own kernels for these shapes, so their results are BLAS's bit
 *   for bit (tests/test_smallgemm.c compares them where the BLAS does so).
 * - nn_small_nt (C = A B^T, the weight gradient: a reduction along rows) and
 *   nn_small_nt_rowsum's row sums of A (the bias gradient): one partial sum per vector lane
 *   (LANES = 4 doubles or 8 floats), lane l a fused chain over k = l,
 *   l + LANES, ... below K - K % LANES, the lanes added pairwise ((s0 + s2) + (s1 + s3) for 4 lanes; for 8 first
 *   s_l + s_(l+4)), then the last K % LANES terms in order.
 * The fused variants (a hidden layer's elementwise pass at the store, the
 * bias sums with the weight gradient) do each element's operations of the
 * separate passes in their order, on the same products and sums: the same
 * bits as the product followed by the pass. */
#ifndef NN_SMALLGEMM_H
#define NN_SMALLGEMM_H

#include "nnlab/plugin.h"

#if defined(__AVX2__) && defined(__FMA__)
#define NN_SMALL_GEMM 1
#else
#define NN_SMALL_GEMM 0
#endif

/* The same products on 512-bit vectors (smallgemm_avx512.c), compiled where
 * the build compiles its AVX-512 kernels (cmake/arch.cmake) and run where the
 * CPU has AVX-512F and VL: the same sums in the same order, the same bits. */
#if NN_SMALL_GEMM && defined(NN_HAVE_AVX512) && NN_HAVE_AVX512
#define NN_SMALL_WIDE 1
#else
#define NN_SMALL_WIDE 0
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
/* nn_small_nt, and with s, s[i] = the sum of row i of A in the lane order above
 * (read once for both) */
void nn_small_nt_rowsum(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                        nn_real *C, int ldc, nn_real *s);
/* A hidden layer forward: Z (m, n) = A B (nn_small_nn) + bias[i] in row i,
 * Act = relu(Z) (leaky 0: z > 0 ? z : 0) or the leaky ReLU (z > 0 ? z :
 * slope * z); Z and Act with row stride ldc; Z NULL: Act only */
void nn_small_nn_act(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                     const nn_real *bias, int leaky, nn_real slope, nn_real *Z, nn_real *Act,
                     int ldc);
/* A hidden layer's dZ: D (m, n) = (A^T B) (nn_small_tn) * g, g = gk (the
 * derivative kept by forward) or, gk NULL, (z > 0 ? 1 : neg); z, gk and D
 * with row stride ldc */
void nn_small_tn_dact(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                      const nn_real *z, const nn_real *gk, nn_real neg, nn_real *D, int ldc);

/* 1 when the products above run on 512-bit vectors (the build has them,
 * the CPU runs them and they are on). */
int nn_small_gemm_wide(void);
/* Turns the 512-bit products on or off (tests compare both); returns the
 * previous setting. */
int nn_small_gemm_set_wide(int on);
#endif

#if NN_SMALL_WIDE
/* smallgemm_avx512.c: the functions above (nn_small_nn, ...) on 512-bit
 * vectors, called by them where nn_small_gemm_wide() */
void nn_wide_nn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc);
void nn_wide_tn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc);
void nn_wide_nt_rowsum(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                       nn_real *C, int ldc, nn_real *s);
void nn_wide_nn_act(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                    const nn_real *bias, int leaky, nn_real slope, nn_real *Z, nn_real *Act,
                    int ldc);
void nn_wide_tn_dact(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                     const nn_real *z, const nn_real *gk, nn_real neg, nn_real *D, int ldc);
#endif

#endif
