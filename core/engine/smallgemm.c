/* smallgemm.c: register-blocked products for small layers (smallgemm.h says
 * the orders of their sums). Vectors of 4 doubles or 8 floats (AVX2), fused
 * multiply-adds; blocks of 4 rows x 2 vectors (nn, tn) and 2 x 4 dot
 * products (nt), 8 accumulators each, the edges by the same code with fewer
 * rows (always inlined, so the row counts are constants). */
#include "smallgemm.h"

#include <math.h>
#include <stddef.h>

#if NN_SMALL_GEMM
#include <immintrin.h>

#define AI static inline __attribute__((always_inline))

#if defined(NN_REAL_IS_FLOAT)
typedef __m256 vec;
enum { VL = 8 };
#define vload _mm256_loadu_ps
#define vstore _mm256_storeu_ps
#define vset1 _mm256_set1_ps
#define vzero _mm256_setzero_ps
#define vfma _mm256_fmadd_ps
#define vadd _mm256_add_ps
#define sfma fmaf
/* (s0 + s4, s1 + s5, s2 + s6, s3 + s7) = t, then (t0 + t2) + (t1 + t3) */
AI float hsum(__m256 v)
{
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
}
#else
typedef __m256d vec;
enum { VL = 4 };
#define vload _mm256_loadu_pd
#define vstore _mm256_storeu_pd
#define vset1 _mm256_set1_pd
#define vzero _mm256_setzero_pd
#define vfma _mm256_fmadd_pd
#define vadd _mm256_add_pd
#define sfma fma
/* (s0 + s2, s1 + s3) = t, then t0 + t1 */
AI double hsum(__m256d v)
{
    __m128d t = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}
#endif

/* The products of at most 2^18 multiply-adds, none of whose sizes exceeds
 * 4096: the notebooks' layers (2-10-5-1 on a few hundred points), while every
 * product of the 154-512-512-10 and 1225-256-10 nets stays with BLAS
 * (docs/performance.md). */
int nn_small_gemm_ok(long m, long n, long k)
{
    return m > 0 && n > 0 && k > 0 && m <= 4096 && n <= 4096 && k <= 4096 &&
           m * n * k <= (1L << 18);
}

/* Rows i .. i+R-1 of C = op(A) B, with op(A)[i][p] = A[i * ai + p * ak]. */
AI void nn_rows(int R, int i, int n, int k, const nn_real *A, long ai, long ak,
                const nn_real *B, int ldb, nn_real *C, int ldc)
{
    int j = 0;
    for (; j + 2 * VL <= n; j += 2 * VL) {
        vec c0[4], c1[4];
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            c0[r] = c1[r] = vzero();
        for (int p = 0; p < k; p++) {
            const nn_real *b = B + (size_t)p * (size_t)ldb + j;
            vec b0 = vload(b), b1 = vload(b + VL);
            _Pragma("GCC unroll 4")
            for (int r = 0; r < R; r++) {
                vec a = vset1(A[(i + r) * ai + p * ak]);
                c0[r] = vfma(a, b0, c0[r]);
                c1[r] = vfma(a, b1, c1[r]);
            }
        }
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++) {
            nn_real *c = C + (size_t)(i + r) * (size_t)ldc + j;
            vstore(c, c0[r]);
            vstore(c + VL, c1[r]);
        }
    }
    for (; j + VL <= n; j += VL) {
        vec c0[4];
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            c0[r] = vzero();
        for (int p = 0; p < k; p++) {
            vec b0 = vload(B + (size_t)p * (size_t)ldb + j);
            _Pragma("GCC unroll 4")
            for (int r = 0; r < R; r++)
                c0[r] = vfma(vset1(A[(i + r) * ai + p * ak]), b0, c0[r]);
        }
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            vstore(C + (size_t)(i + r) * (size_t)ldc + j, c0[r]);
    }
    for (; j < n; j++)
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++) {
            nn_real acc = 0;
            for (int p = 0; p < k; p++)
                acc = sfma(A[(i + r) * ai + p * ak], B[(size_t)p * (size_t)ldb + j], acc);
            C[(size_t)(i + r) * (size_t)ldc + j] = acc;
        }
}

static void nn_all(int m, int n, int k, const nn_real *A, long ai, long ak, const nn_real *B,
                   int ldb, nn_real *C, int ldc)
{
    int i = 0;
    for (; i + 4 <= m; i += 4)
        nn_rows(4, i, n, k, A, ai, ak, B, ldb, C, ldc);
    switch (m - i) {
    case 3: nn_rows(3, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
    case 2: nn_rows(2, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
    case 1: nn_rows(1, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
    }
}

void nn_small_nn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    nn_all(m, n, k, A, lda, 1, B, ldb, C, ldc);
}

void nn_small_tn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    nn_all(m, n, k, A, 1, lda, B, ldb, C, ldc);
}

/* C[r][s] = row r of A . row s of B for r < R, s < S (A, B, C at the block). */
AI void nt_block(int R, int S, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    vec acc[2][4];
    _Pragma("GCC unroll 4")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 4")
        for (int s = 0; s < S; s++)
            acc[r][s] = vzero();
    int kv = k - k % VL;
    for (int p = 0; p < kv; p += VL) {
        vec a[2], b[4];
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            a[r] = vload(A + (size_t)r * (size_t)lda + p);
        _Pragma("GCC unroll 4")
        for (int s = 0; s < S; s++)
            b[s] = vload(B + (size_t)s * (size_t)ldb + p);
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            _Pragma("GCC unroll 4")
            for (int s = 0; s < S; s++)
                acc[r][s] = vfma(a[r], b[s], acc[r][s]);
    }
    _Pragma("GCC unroll 4")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 4")
        for (int s = 0; s < S; s++) {
            const nn_real *a = A + (size_t)r * (size_t)lda, *b = B + (size_t)s * (size_t)ldb;
            nn_real v = hsum(acc[r][s]);
            for (int p = kv; p < k; p++)
                v = sfma(a[p], b[p], v);
            C[(size_t)r * (size_t)ldc + s] = v;
        }
}

AI void nt_rows(int R, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc)
{
    int j = 0;
    for (; j + 4 <= n; j += 4)
        nt_block(R, 4, k, A, lda, B + (size_t)j * (size_t)ldb, ldb, C + j, ldc);
    switch (n - j) {
    case 3: nt_block(R, 3, k, A, lda, B + (size_t)j * (size_t)ldb, ldb, C + j, ldc); break;
    case 2: nt_block(R, 2, k, A, lda, B + (size_t)j * (size_t)ldb, ldb, C + j, ldc); break;
    case 1: nt_block(R, 1, k, A, lda, B + (size_t)j * (size_t)ldb, ldb, C + j, ldc); break;
    }
}

void nn_small_nt(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    int i = 0;
    for (; i + 2 <= m; i += 2)
        nt_rows(2, n, k, A + (size_t)i * (size_t)lda, lda, B, ldb, C + (size_t)i * (size_t)ldc, ldc);
    if (i < m)
        nt_rows(1, n, k, A + (size_t)i * (size_t)lda, lda, B, ldb, C + (size_t)i * (size_t)ldc, ldc);
}

AI void rowsum_rows(int R, int k, const nn_real *A, int lda, nn_real *s)
{
    vec acc[4];
    _Pragma("GCC unroll 4")
    for (int r = 0; r < R; r++)
        acc[r] = vzero();
    int kv = k - k % VL;
    for (int p = 0; p < kv; p += VL)
        _Pragma("GCC unroll 4")
        for (int r = 0; r < R; r++)
            acc[r] = vadd(acc[r], vload(A + (size_t)r * (size_t)lda + p));
    _Pragma("GCC unroll 4")
    for (int r = 0; r < R; r++) {
        const nn_real *a = A + (size_t)r * (size_t)lda;
        nn_real v = hsum(acc[r]);
        for (int p = kv; p < k; p++)
            v = v + a[p];
        s[r] = v;
    }
}

void nn_small_rowsum(int m, int k, const nn_real *A, int lda, nn_real *s)
{
    int i = 0;
    for (; i + 4 <= m; i += 4)
        rowsum_rows(4, k, A + (size_t)i * (size_t)lda, lda, s + i);
    switch (m - i) {
    case 3: rowsum_rows(3, k, A + (size_t)i * (size_t)lda, lda, s + i); break;
    case 2: rowsum_rows(2, k, A + (size_t)i * (size_t)lda, lda, s + i); break;
    case 1: rowsum_rows(1, k, A + (size_t)i * (size_t)lda, lda, s + i); break;
    }
}

#endif
