/* gemm.c: nn_gemm, the core's BLAS matrix product offered to plugins
 * (nnlab/plugin.h), so that matrix-aware optimizers need no BLAS of their own. */
#include <cblas.h>

#include "gemm.h"
#include "nnlab/plugin.h"

/* The pthread OpenBLAS's pool shutdown (its fork handler); weak, so that a
 * BLAS without it (OpenMP or serial OpenBLAS) links and the call is skipped. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

int nn_blas_set_threads(int n)
{
    openblas_set_num_threads(n);
    if (n == 1 && blas_thread_shutdown_)
        blas_thread_shutdown_();
    return openblas_get_num_threads();
}

void nn_gemm(int trans_a, int trans_b, int m, int n, int k, nn_real alpha, const nn_real *A,
             int lda, const nn_real *B, int ldb, nn_real beta, nn_real *C, int ldc)
{
    enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    if (m <= 0 || n <= 0)
        return;
#if defined(NN_REAL_IS_FLOAT)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
