/* packgemm.h: the model's own products for large layers on CPUs with
 * AVX-512F: packed operands and an 8-row register block, as BLAS libraries
 * do it, tuned for the shapes of a training step (154-512-512-10 at batch
 * 500: about 20% faster than OpenBLAS 0.3.21 on a Sapphire Rapids Xeon,
 * docs/performance.md). packgemm_avx512.c, the kernels, is compiled with
 * -mavx512f and runs only where the CPU has it (nn_pack_gemm_available: a
 * runtime check in packgemm.c, so that the same binary runs under Valgrind,
 * whose CPU has no AVX-512, and on older machines); NN_PACK_GEMM is 0 where
 * the build has no such path (cmake/arch.cmake).
 *
 * Row-major, as nn_gemm, beta 0. The order of the sums is fixed whatever the
 * blocking, the thread count or the machine: each element of C is one fused
 * multiply-add chain over k = 0, 1, ..., K-1 from zero (the order of
 * smallgemm.h's nn_small_nn and nn_small_tn), so a product gives the same
 * bits with 1 or 8 threads; tests/test_packgemm.c compares every element
 * with a scalar fma() chain. The exception: C = A B^T with fewer than
 * NN_PACK_DOT_ROWS rows (an output layer's weight gradient, whose B would
 * cost more to pack than the product) is a dot product of rows, one partial
 * sum per lane of a 512-bit vector (L = 8 doubles or 16 floats), lane l a
 * fused chain over k = l, l + L, ... below K - K % L, the upper half of the
 * lanes added onto the lower until one is left (for 8: (s0 + s4) + (s2 + s6)
 * and (s1 + s5) + (s3 + s7), then their sum), then the last K % L terms in
 * order as fused multiply-adds. */
#ifndef NN_PACKGEMM_H
#define NN_PACKGEMM_H

#include "nnlab/plugin.h"

#if defined(NN_HAVE_AVX512) && NN_HAVE_AVX512
#define NN_PACK_GEMM 1
#else
#define NN_PACK_GEMM 0
#endif

#if NN_PACK_GEMM
/* 1 when this CPU runs the kernels (AVX-512F) and they are enabled. */
int nn_pack_gemm_available(void);
/* Turns the path off (0) or back on (1) where the CPU has it (tests and
 * nnlab bench compare it with BLAS); returns the previous setting. */
int nn_pack_gemm_enable(int on);
/* 1 when the model uses the kernels for a product of these sizes (op(A)
 * m x k, op(B) k x n, trans_b as nn_pack_gemm's): available, and large
 * enough for them to beat the BLAS (or, for a few rows of C = A B^T, the
 * dot products above). */
int nn_pack_gemm_ok(int trans_b, long m, long n, long k);
/* C (m, n) = op(A) op(B); trans_a: A is (k, m), trans_b: B is (n, k); the
 * sizes and leading dimensions at most 2^24 (the blocking's indices are
 * int, as nn_pack_gemm_ok's sizes and the model's leading dimensions are). Splits
 * C's columns between the BLAS thread count's threads (at most
 * NN_PACK_MAX_THREADS) when the product is large; the workers wait on a
 * condition variable between products, never spinning. */
void nn_pack_gemm(int trans_a, int trans_b, int m, int n, int k, const nn_real *A, int lda,
                  const nn_real *B, int ldb, nn_real *C, int ldc);

/* A hidden layer's elementwise pass done at the product's last store, with
 * each element's operations those of the model's separate pass (model.c), so
 * the same bits: NN_PACK_RELU, NN_PACK_LEAKY: v = c + bias[row], C = v,
 * act = (v > 0 ? v : 0) or (v > 0 ? v : slope * v); NN_PACK_DSIGN: C = c *
 * (g > 0 ? 1 : slope) with g the pre-activation; NN_PACK_DKEPT: C = c * g
 * with g the derivative kept by forward. act and g are laid out as C;
 * k >= 1. The products are not re-entrant: one caller thread at a time
 * (the training loop's). */
enum { NN_PACK_PLAIN, NN_PACK_RELU, NN_PACK_LEAKY, NN_PACK_DSIGN, NN_PACK_DKEPT };
typedef struct nn_pack_epilogue {
    int kind;
    const nn_real *bias;
    nn_real *act;
    const nn_real *g;
    nn_real slope;
    /* with any kind: rowsum[i] = the sum of row i of op(A) (m rows, at most
     * NN_PACK_ROWSUM_MAX; not for the few-row dot products), in column order
     * from 0 in double, as model.c's row_sums: a weight gradient's bias
     * gradient, read with the packing of its dZ */
    nn_real *rowsum;
} nn_pack_epilogue;
void nn_pack_gemm_ep(int trans_a, int trans_b, int m, int n, int k, const nn_real *A, int lda,
                     const nn_real *B, int ldb, nn_real *C, int ldc, const nn_pack_epilogue *ep);

/* packgemm_avx512.c: columns [j0, j1) of the product (j0 a multiple of
 * NN_PACK_NR), with workspace w of NN_PACK_WS reals aligned to 64 bytes. */
enum { NN_PACK_ROWSUM_MAX = 4096, NN_PACK_DOT_ROWS = 16, NN_PACK_MR = 8, NN_PACK_NR = 3 * 64 / (int)sizeof(nn_real), NN_PACK_KC = 256,
       NN_PACK_NC = 22 * NN_PACK_NR, NN_PACK_WS = NN_PACK_KC * (NN_PACK_NC + NN_PACK_MR) };
void nn_pack_gemm_cols(int trans_a, int trans_b, int m, int j0, int j1, int k, const nn_real *A,
                       int lda, const nn_real *B, int ldb, nn_real *C, int ldc,
                       const nn_pack_epilogue *ep, nn_real *w);
#endif

enum { NN_PACK_MAX_THREADS = 8 };

#endif
