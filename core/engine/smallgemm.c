/* smallgemm.c: register-blocked products for small layers (smallgemm.h says
 * the orders of their sums). Vectors of 4 doubles or 8 floats (AVX2), fused
 * multiply-adds; blocks of up to 6 rows x 2 vectors (nn, tn: the rows split
 * as evenly as they can be, 10 = 5 + 5, up to 12 accumulators) and 2 x 4 dot
 * products (nt, 8 accumulators), the edges by the same code with fewer rows
 * (always inlined, so the row counts are constants). The hidden layers'
 * elementwise passes can be done at the store of nn and tn (an epilogue, a
 * constant in each instance) and the bias sums with nt. */
#include "smallgemm.h"

#include <math.h>
#include <stddef.h>

#if NN_SMALL_GEMM
#include <immintrin.h>

#include "smallgemm_ep.h"

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
#endif

/* The products of at most 2^18 multiply-adds, none of whose sizes exceeds
 * 4096: the notebooks' layers (2-10-5-1 on a few hundred points), while every
 * product of the 154-512-512-10 and 1225-256-10 nets goes to BLAS or, on an
 * AVX-512 CPU, packgemm.h's kernels (docs/performance.md). */
#if NN_SMALL_WIDE
static int wide_on = 1;

int nn_small_gemm_wide(void)
{
    static int cpu = -1;
    if (cpu < 0) {
        __builtin_cpu_init();
        cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    }
    return cpu && wide_on;
}
#define WIDE(call)                                                                                 \
    do {                                                                                           \
        if (nn_small_gemm_wide()) {                                                                \
            call;                                                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#else
static int wide_on = 0;
int nn_small_gemm_wide(void) { return 0; }
#define WIDE(call) ((void)0)
#endif

int nn_small_gemm_set_wide(int on)
{
    int was = wide_on;
    wide_on = NN_SMALL_WIDE && on;
    return was;
}

int nn_small_gemm_ok(long m, long n, long k)
{
    return m > 0 && n > 0 && k > 0 && m <= 4096 && n <= 4096 && k <= 4096 &&
           m * n * k <= (1L << 18);
}

/* The store steps (EP_*, epilogue): smallgemm_ep.h. */

#if defined(NN_REAL_IS_FLOAT)
#define vmul _mm256_mul_ps
#define vmax _mm256_max_ps
#define vblend _mm256_blendv_ps
#define vgt(x, y) _mm256_cmp_ps(x, y, _CMP_GT_OQ)
#else
#define vmul _mm256_mul_pd
#define vmax _mm256_max_pd
#define vblend _mm256_blendv_pd
#define vgt(x, y) _mm256_cmp_pd(x, y, _CMP_GT_OQ)
#endif

/* The value stored at C[off] (off = row * ldc + column) for the product c;
 * bias is the row's bias broadcast. max(v, 0) is v > 0 ? v : +0 (the second
 * operand for NaN and for equal zeros), blend(w, v, v > 0) v > 0 ? v : w. */
AI vec ep_vec(int EP, const epilogue *e, vec c, vec bias, size_t off)
{
    if (EP == EP_RELU || EP == EP_LEAKY) {
        vec v = vadd(c, bias);
        vec a = EP == EP_RELU ? vmax(v, vzero()) : vblend(vmul(vset1(e->slope), v), v, vgt(v, vzero()));
        vstore(e->act + off, a);
        return v;
    }
    if (EP == EP_DSIGN)
        return vmul(c, vblend(vset1(e->slope), vset1(1), vgt(vload(e->g + off), vzero())));
    if (EP == EP_DKEPT)
        return vmul(vload(e->g + off), c);
    return c;
}

AI nn_real ep_one(int EP, const epilogue *e, nn_real c, nn_real bias, size_t off)
{
    const nn_real one = 1;
    if (EP == EP_RELU || EP == EP_LEAKY) {
        nn_real v = c + bias;
        if (EP == EP_RELU)
            e->act[off] = v > 0 ? v : 0;
        else {
            nn_real w = e->slope * v;
            e->act[off] = v > 0 ? v : w;
        }
        return v;
    }
    if (EP == EP_DSIGN) {
        nn_real g = e->g[off] > 0 ? one : e->slope;
        return c * g;
    }
    if (EP == EP_DKEPT)
        return c * e->g[off];
    return c;
}

/* Rows i .. i+R-1 of C = op(A) B, with op(A)[i][p] = A[i * ai + p * ak],
 * stored through the epilogue EP. */
AI void nn_rows(int EP, const epilogue *e, int R, int i, int n, int k, const nn_real *A, long ai,
                long ak, const nn_real *B, int ldb, nn_real *C, int ldc)
{
    int j = 0;
    for (; j + 2 * VL <= n; j += 2 * VL) {
        vec c0[6], c1[6];
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++)
            c0[r] = c1[r] = vzero();
        for (int p = 0; p < k; p++) {
            const nn_real *b = B + (size_t)p * (size_t)ldb + j;
            vec b0 = vload(b), b1 = vload(b + VL);
            _Pragma("GCC unroll 6")
            for (int r = 0; r < R; r++) {
                vec a = vset1(A[(i + r) * ai + p * ak]);
                c0[r] = vfma(a, b0, c0[r]);
                c1[r] = vfma(a, b1, c1[r]);
            }
        }
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++) {
            size_t off = (size_t)(i + r) * (size_t)ldc + (size_t)j;
            vec bias = EP == EP_RELU || EP == EP_LEAKY ? vset1(e->bias[i + r]) : vzero();
            vec v0 = ep_vec(EP, e, c0[r], bias, off), v1 = ep_vec(EP, e, c1[r], bias, off + VL);
            if (C) { /* NULL: the activations only (nn_small_nn_act) */
                vstore(C + off, v0);
                vstore(C + off + VL, v1);
            }
        }
    }
    for (; j + VL <= n; j += VL) {
        vec c0[6];
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++)
            c0[r] = vzero();
        for (int p = 0; p < k; p++) {
            vec b0 = vload(B + (size_t)p * (size_t)ldb + j);
            _Pragma("GCC unroll 6")
            for (int r = 0; r < R; r++)
                c0[r] = vfma(vset1(A[(i + r) * ai + p * ak]), b0, c0[r]);
        }
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++) {
            size_t off = (size_t)(i + r) * (size_t)ldc + (size_t)j;
            vec bias = EP == EP_RELU || EP == EP_LEAKY ? vset1(e->bias[i + r]) : vzero();
            vec v0 = ep_vec(EP, e, c0[r], bias, off);
            if (C)
                vstore(C + off, v0);
        }
    }
    for (; j < n; j++)
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++) {
            nn_real acc = 0;
            for (int p = 0; p < k; p++)
                acc = sfma(A[(i + r) * ai + p * ak], B[(size_t)p * (size_t)ldb + j], acc);
            size_t off = (size_t)(i + r) * (size_t)ldc + (size_t)j;
            nn_real bias = EP == EP_RELU || EP == EP_LEAKY ? e->bias[i + r] : 0;
            nn_real v = ep_one(EP, e, acc, bias, off);
            if (C)
                C[off] = v;
        }
}

/* The rows in blocks of at most 6, as even as they can be (10 rows: 5 + 5). */
AI void nn_all(int EP, const epilogue *e, int m, int n, int k, const nn_real *A, long ai, long ak,
               const nn_real *B, int ldb, nn_real *C, int ldc)
{
    for (int i = 0; i < m;) {
        int rest = m - i, blocks = (rest + 5) / 6, R = (rest + blocks - 1) / blocks;
        switch (R) {
        case 6: nn_rows(EP, e, 6, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        case 5: nn_rows(EP, e, 5, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        case 4: nn_rows(EP, e, 4, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        case 3: nn_rows(EP, e, 3, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        case 2: nn_rows(EP, e, 2, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        default: nn_rows(EP, e, 1, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        }
        i += R;
    }
}

static void nn_plain(int m, int n, int k, const nn_real *A, long ai, long ak, const nn_real *B,
                     int ldb, nn_real *C, int ldc)
{
    nn_all(EP_PLAIN, NULL, m, n, k, A, ai, ak, B, ldb, C, ldc);
}

void nn_small_nn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    WIDE(nn_wide_nn(m, n, k, A, lda, B, ldb, C, ldc));
    nn_plain(m, n, k, A, lda, 1, B, ldb, C, ldc);
}

void nn_small_tn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    WIDE(nn_wide_tn(m, n, k, A, lda, B, ldb, C, ldc));
    nn_plain(m, n, k, A, 1, lda, B, ldb, C, ldc);
}

void nn_small_nn_act(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                     const nn_real *bias, int leaky, nn_real slope, nn_real *Z, nn_real *Act,
                     int ldc)
{
    WIDE(nn_wide_nn_act(m, n, k, A, lda, B, ldb, bias, leaky, slope, Z, Act, ldc));
    epilogue e = {.bias = bias, .act = Act, .slope = slope};
    if (leaky)
        nn_all(EP_LEAKY, &e, m, n, k, A, lda, 1, B, ldb, Z, ldc);
    else
        nn_all(EP_RELU, &e, m, n, k, A, lda, 1, B, ldb, Z, ldc);
}

void nn_small_tn_dact(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                      const nn_real *z, const nn_real *gk, nn_real neg, nn_real *D, int ldc)
{
    WIDE(nn_wide_tn_dact(m, n, k, A, lda, B, ldb, z, gk, neg, D, ldc));
    epilogue e = {.g = gk ? gk : z, .slope = neg};
    if (gk)
        nn_all(EP_DKEPT, &e, m, n, k, A, 1, lda, B, ldb, D, ldc);
    else
        nn_all(EP_DSIGN, &e, m, n, k, A, 1, lda, B, ldb, D, ldc);
}

/* C[r][s] = row r of A . row s of B for r < R, s < S (A, B, C at the block);
 * with SUM, also sum[r] = the sum of row r of A, in the lane order of smallgemm.h
 * (its lane sums take the vectors of A the products load). */
AI void nt_block(int SUM, int R, int S, int k, const nn_real *A, int lda, const nn_real *B,
                 int ldb, nn_real *C, int ldc, nn_real *sum)
{
    vec acc[2][4], as[2];
    _Pragma("GCC unroll 6")
    for (int r = 0; r < R; r++) {
        as[r] = vzero();
        _Pragma("GCC unroll 6")
        for (int s = 0; s < S; s++)
            acc[r][s] = vzero();
    }
    int kv = k - k % VL;
    for (int p = 0; p < kv; p += VL) {
        vec a[2], b[4];
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++) {
            a[r] = vload(A + (size_t)r * (size_t)lda + p);
            if (SUM)
                as[r] = vadd(as[r], a[r]);
        }
        _Pragma("GCC unroll 6")
        for (int s = 0; s < S; s++)
            b[s] = vload(B + (size_t)s * (size_t)ldb + p);
        _Pragma("GCC unroll 6")
        for (int r = 0; r < R; r++)
            _Pragma("GCC unroll 6")
            for (int s = 0; s < S; s++)
                acc[r][s] = vfma(a[r], b[s], acc[r][s]);
    }
    _Pragma("GCC unroll 6")
    for (int r = 0; r < R; r++) {
        const nn_real *a = A + (size_t)r * (size_t)lda;
        _Pragma("GCC unroll 6")
        for (int s = 0; s < S; s++) {
            const nn_real *b = B + (size_t)s * (size_t)ldb;
            nn_real v = hsum(acc[r][s]);
            for (int p = kv; p < k; p++)
                v = sfma(a[p], b[p], v);
            C[(size_t)r * (size_t)ldc + s] = v;
        }
        if (SUM) {
            nn_real v = hsum(as[r]);
            for (int p = kv; p < k; p++)
                v = v + a[p];
            sum[r] = v;
        }
    }
}

/* The first block of columns also sums the rows when sum is not NULL. */
AI void nt_rows(int R, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc, nn_real *sum)
{
#define NT_BLOCK(S)                                                                                \
    do {                                                                                           \
        const nn_real *Bj = B + (size_t)j * (size_t)ldb;                                           \
        if (sum && j == 0)                                                                         \
            nt_block(1, R, S, k, A, lda, Bj, ldb, C + j, ldc, sum);                                \
        else                                                                                       \
            nt_block(0, R, S, k, A, lda, Bj, ldb, C + j, ldc, NULL);                               \
    } while (0)
    int j = 0;
    for (; j + 4 <= n; j += 4)
        NT_BLOCK(4);
    switch (n - j) {
    case 3: NT_BLOCK(3); break;
    case 2: NT_BLOCK(2); break;
    case 1: NT_BLOCK(1); break;
    }
#undef NT_BLOCK
}

void nn_small_nt_rowsum(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                        nn_real *C, int ldc, nn_real *s)
{
    WIDE(nn_wide_nt_rowsum(m, n, k, A, lda, B, ldb, C, ldc, s));
    int i = 0;
    for (; i + 2 <= m; i += 2)
        nt_rows(2, n, k, A + (size_t)i * (size_t)lda, lda, B, ldb, C + (size_t)i * (size_t)ldc, ldc,
                s ? s + i : NULL);
    if (i < m)
        nt_rows(1, n, k, A + (size_t)i * (size_t)lda, lda, B, ldb, C + (size_t)i * (size_t)ldc, ldc,
                s ? s + i : NULL);
}

void nn_small_nt(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    nn_small_nt_rowsum(m, n, k, A, lda, B, ldb, C, ldc, NULL);
}

#endif
