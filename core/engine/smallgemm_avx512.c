/* smallgemm_avx512.c: smallgemm.h's products on 512-bit vectors, compiled in
 * this file only (-mavx512f -mavx512vl) and run where the CPU has them
 * (smallgemm.c chooses). The sums are smallgemm.h's, in its order, so every
 * result is the AVX2 code's bit for bit:
 * - nn, tn and their epilogues: each element of C is still one fused chain
 *   over k; a vector holds 8 doubles (16 floats) of a row of C, the last
 *   columns masked; blocks of up to 10 rows x 2 vectors (20 of the 32
 *   registers), 1 or 2 rows x 4 vectors.
 * - nt (and the row sums): smallgemm.h's lane sums are 256 bits wide (4
 *   doubles, 8 floats). A 512-bit vector holds two of them, those of two
 *   elements of a row of C (one row of A against rows s and s + 1 of B), so
 *   one instruction does two of the AVX2 code's; at the end each half is
 *   added up as that code adds its vector. Blocks of R rows x Q such pairs,
 *   R * Q <= 16. */
#include "smallgemm.h"

#if NN_SMALL_WIDE
#include <immintrin.h>

#include "smallgemm_ep.h"
#include <math.h>
#include <stddef.h>

#define AI static inline __attribute__((always_inline))

#if defined(NN_REAL_IS_FLOAT)
typedef __m512 zvec;
typedef __m256 hvec;
typedef __mmask16 zmask;
enum { ZL = 16, HL = 8 };
#define zload _mm512_loadu_ps
#define zmload _mm512_maskz_loadu_ps
#define zstore _mm512_storeu_ps
#define zmstore _mm512_mask_storeu_ps
#define zset1 _mm512_set1_ps
#define zzero _mm512_setzero_ps
#define zfma _mm512_fmadd_ps
#define zadd _mm512_add_ps
#define zmul _mm512_mul_ps
#define zmax _mm512_max_ps
#define zgt(x, y) _mm512_cmp_ps_mask(x, y, _CMP_GT_OQ)
#define zblend _mm512_mask_blend_ps
#define hload _mm256_loadu_ps
#define hadd _mm256_add_ps
#define hzero _mm256_setzero_ps
#define sfma fmaf
AI zvec zpair(hvec lo, hvec hi)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)),
                                               _mm256_castps_pd(hi), 1));
}
AI hvec zlo(zvec v) { return _mm512_castps512_ps256(v); }
AI zvec zbcast(const float *p)
{
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(p))));
}
AI hvec zhi(zvec v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
#else
typedef __m512d zvec;
typedef __m256d hvec;
typedef __mmask8 zmask;
enum { ZL = 8, HL = 4 };
#define zload _mm512_loadu_pd
#define zmload _mm512_maskz_loadu_pd
#define zstore _mm512_storeu_pd
#define zmstore _mm512_mask_storeu_pd
#define zset1 _mm512_set1_pd
#define zzero _mm512_setzero_pd
#define zfma _mm512_fmadd_pd
#define zadd _mm512_add_pd
#define zmul _mm512_mul_pd
#define zmax _mm512_max_pd
#define zgt(x, y) _mm512_cmp_pd_mask(x, y, _CMP_GT_OQ)
#define zblend _mm512_mask_blend_pd
#define hload _mm256_loadu_pd
#define hadd _mm256_add_pd
#define hzero _mm256_setzero_pd
#define sfma fma
AI zvec zpair(hvec lo, hvec hi) { return _mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1); }
AI hvec zlo(zvec v) { return _mm512_castpd512_pd256(v); }
AI zvec zbcast(const double *p) { return _mm512_broadcast_f64x4(_mm256_loadu_pd(p)); }
AI hvec zhi(zvec v) { return _mm512_extractf64x4_pd(v, 1); }
#endif

/* The store steps (EP_*, epilogue: smallgemm_ep.h), with their operations
 * per element: max(v, 0) returns the second operand for NaN and equal zeros
 * as AVX2's does, and a blend on the mask v > 0 is its blendv on the same
 * compare. */

/* The vector to store at C[off] for the product c (MASKED: only the lanes
 * of m exist). */
AI zvec ep_vec(int EP, int MASKED, zmask m, const epilogue *e, zvec c, zvec bias, size_t off)
{
    if (EP == EP_RELU || EP == EP_LEAKY) {
        zvec v = zadd(c, bias);
        zvec a = EP == EP_RELU ? zmax(v, zzero())
                               : zblend(zgt(v, zzero()), zmul(zset1(e->slope), v), v);
        if (MASKED)
            zmstore(e->act + off, m, a);
        else
            zstore(e->act + off, a);
        return v;
    }
    if (EP == EP_DSIGN || EP == EP_DKEPT) {
        zvec g = MASKED ? zmload(m, e->g + off) : zload(e->g + off);
        if (EP == EP_DSIGN)
            return zmul(c, zblend(zgt(g, zzero()), zset1(e->slope), zset1(1)));
        return zmul(g, c);
    }
    return c;
}

/* Rows i .. i+R-1, columns j .. j+NV*ZL-1 of C = op(A) B (op(A)[i][p] =
 * A[i * ai + p * ak]); MASKED: only the columns of the masks m. */
AI void nn_block(int EP, int R, int NV, int MASKED, const zmask *m, const epilogue *e, int i,
                 int j, int k, const nn_real *A, long ai, long ak, const nn_real *B, int ldb,
                 nn_real *C, int ldc)
{
    zvec c[10][4];
    _Pragma("GCC unroll 10")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 4")
        for (int v = 0; v < NV; v++)
            c[r][v] = zzero();
    for (int p = 0; p < k; p++) {
        const nn_real *b = B + (size_t)p * (size_t)ldb + j;
        zvec bv[4];
        _Pragma("GCC unroll 4")
        for (int v = 0; v < NV; v++)
            bv[v] = MASKED ? zmload(m[v], b + v * ZL) : zload(b + v * ZL);
        _Pragma("GCC unroll 10")
        for (int r = 0; r < R; r++) {
            zvec a = zset1(A[(i + r) * ai + p * ak]);
            _Pragma("GCC unroll 4")
            for (int v = 0; v < NV; v++)
                c[r][v] = zfma(a, bv[v], c[r][v]);
        }
    }
    _Pragma("GCC unroll 10")
    for (int r = 0; r < R; r++) {
        size_t off = (size_t)(i + r) * (size_t)ldc + (size_t)j;
        zvec bias = EP == EP_RELU || EP == EP_LEAKY ? zset1(e->bias[i + r]) : zzero();
        _Pragma("GCC unroll 4")
        for (int v = 0; v < NV; v++) {
            zvec o = ep_vec(EP, MASKED, MASKED ? m[v] : 0, e, c[r][v], bias, off + v * ZL);
            if (!C) /* the activations only (nn_small_nn_act) */
                continue;
            if (MASKED)
                zmstore(C + off + v * ZL, m[v], o);
            else
                zstore(C + off + v * ZL, o);
        }
    }
}

AI zmask lanes(int n) { return n >= ZL ? (zmask)~(zmask)0 : (zmask)((1u << (n > 0 ? n : 0)) - 1); }

/* Blocks of NV vectors across the row: 4 for one or two rows (8
 * accumulators, enough chains in flight for the FMA units' latency), else 2. */
AI void nn_rows(int EP, int R, const epilogue *e, int i, int n, int k, const nn_real *A, long ai,
                long ak, const nn_real *B, int ldb, nn_real *C, int ldc)
{
    const int nv = R <= 2 ? 4 : 2;
    int j = 0;
    for (; j + nv * ZL <= n; j += nv * ZL)
        nn_block(EP, R, R <= 2 ? 4 : 2, 0, NULL, e, i, j, k, A, ai, ak, B, ldb, C, ldc);
    if (j < n) {
        zmask m[4];
        for (int v = 0; v < 4; v++)
            m[v] = lanes(n - j - v * ZL);
        nn_block(EP, R, R <= 2 ? 4 : 2, 1, m, e, i, j, k, A, ai, ak, B, ldb, C, ldc);
    }
}

/* The rows in blocks of at most 10, as even as they can be (20: 10 + 10). */
AI void nn_all(int EP, const epilogue *e, int m, int n, int k, const nn_real *A, long ai, long ak,
               const nn_real *B, int ldb, nn_real *C, int ldc)
{
    for (int i = 0; i < m;) {
        int rest = m - i, blocks = (rest + 9) / 10, R = (rest + blocks - 1) / blocks;
        switch (R) {
#define NN_R(r)                                                                                    \
    case r: nn_rows(EP, r, e, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
        NN_R(10) NN_R(9) NN_R(8) NN_R(7) NN_R(6) NN_R(5) NN_R(4) NN_R(3) NN_R(2)
        default: nn_rows(EP, 1, e, i, n, k, A, ai, ak, B, ldb, C, ldc); break;
#undef NN_R
        }
        i += R;
    }
}

void nn_wide_nn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc)
{
    nn_all(EP_PLAIN, NULL, m, n, k, A, lda, 1, B, ldb, C, ldc);
}

void nn_wide_tn(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc)
{
    nn_all(EP_PLAIN, NULL, m, n, k, A, 1, lda, B, ldb, C, ldc);
}

void nn_wide_nn_act(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                    const nn_real *bias, int leaky, nn_real slope, nn_real *Z, nn_real *Act,
                    int ldc)
{
    epilogue e = {.bias = bias, .act = Act, .slope = slope};
    if (leaky)
        nn_all(EP_LEAKY, &e, m, n, k, A, lda, 1, B, ldb, Z, ldc);
    else
        nn_all(EP_RELU, &e, m, n, k, A, lda, 1, B, ldb, Z, ldc);
}

void nn_wide_tn_dact(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                     const nn_real *z, const nn_real *gk, nn_real neg, nn_real *D, int ldc)
{
    epilogue e = {.g = gk ? gk : z, .slope = neg};
    if (gk)
        nn_all(EP_DKEPT, &e, m, n, k, A, 1, lda, B, ldb, D, ldc);
    else
        nn_all(EP_DSIGN, &e, m, n, k, A, 1, lda, B, ldb, D, ldc);
}

/* C[r][s] = row r of A . row s of B for r < R, s < S = 2 Q - odd (A, B, C at
 * the block), the pair q's vector holding the lane sums of s = 2q (low
 * half) and 2q + 1 (high; with odd, the last pair's high half repeats its
 * low one and is not stored); with SUM, sum[r] = the sum of row r of A in
 * smallgemm.h's lane order. */
AI void nt_block(int SUM, int R, int Q, int odd, int k, const nn_real *A, int lda,
                 const nn_real *B, int ldb, nn_real *C, int ldc, nn_real *sum)
{
    zvec acc[10][4];
    hvec as[10];
    const nn_real *lo[4], *hi[4];
    _Pragma("GCC unroll 4")
    for (int q = 0; q < Q; q++) {
        lo[q] = B + (size_t)(2 * q) * (size_t)ldb;
        hi[q] = odd && q == Q - 1 ? lo[q] : lo[q] + ldb;
    }
    _Pragma("GCC unroll 10")
    for (int r = 0; r < R; r++) {
        as[r] = hzero();
        _Pragma("GCC unroll 4")
        for (int q = 0; q < Q; q++)
            acc[r][q] = zzero();
    }
    int kv = k - k % HL;
    for (int p = 0; p < kv; p += HL) {
        zvec b[4];
        _Pragma("GCC unroll 4")
        for (int q = 0; q < Q; q++)
            b[q] = zpair(hload(lo[q] + p), hload(hi[q] + p));
        _Pragma("GCC unroll 10")
        for (int r = 0; r < R; r++) {
            /* both halves loaded at once (a broadcast from memory: no
             * shuffle), the low one also taken by the row sum */
            zvec a2 = zbcast(A + (size_t)r * (size_t)lda + p);
            if (SUM)
                as[r] = hadd(as[r], zlo(a2));
            _Pragma("GCC unroll 4")
            for (int q = 0; q < Q; q++)
                acc[r][q] = zfma(a2, b[q], acc[r][q]);
        }
    }
    _Pragma("GCC unroll 10")
    for (int r = 0; r < R; r++) {
        const nn_real *a = A + (size_t)r * (size_t)lda;
        nn_real *c = C + (size_t)r * (size_t)ldc;
        _Pragma("GCC unroll 4")
        for (int q = 0; q < Q; q++) {
            nn_real v = hsum(zlo(acc[r][q]));
            for (int p = kv; p < k; p++)
                v = sfma(a[p], lo[q][p], v);
            c[2 * q] = v;
            if (odd && q == Q - 1)
                continue;
            nn_real w = hsum(zhi(acc[r][q]));
            for (int p = kv; p < k; p++)
                w = sfma(a[p], hi[q][p], w);
            c[2 * q + 1] = w;
        }
        if (SUM) {
            nn_real v = hsum(as[r]);
            for (int p = kv; p < k; p++)
                v = v + a[p];
            sum[r] = v;
        }
    }
}

/* The most pairs a block of R rows takes (R * Q <= 16, Q <= 4). */
#define QMAX(R) ((R) > 8 ? 1 : (R) > 5 ? 2 : (R) > 4 ? 3 : 4)
#define QCLAMP(R, Q) ((Q) < QMAX(R) ? (Q) : QMAX(R))

/* Rows 0 .. R-1 against all n rows of B: the pairs in blocks of at most
 * QMAX(R), as even as they can be; the first block also sums the rows when
 * sum is not NULL. */
AI void nt_rows(int R, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                nn_real *C, int ldc, nn_real *sum)
{
    int pairs = (n + 1) / 2;
    for (int q0 = 0; q0 < pairs;) {
        int rest = pairs - q0, blocks = (rest + QMAX(R) - 1) / QMAX(R);
        int Q = (rest + blocks - 1) / blocks, odd = q0 + Q == pairs && n % 2;
        const nn_real *Bq = B + (size_t)(2 * q0) * (size_t)ldb;
        nn_real *Cq = C + 2 * q0, *s = q0 == 0 ? sum : NULL;
#define NT_Q(q)                                                                                    \
    case q:                                                                                        \
        if (s)                                                                                     \
            nt_block(1, R, QCLAMP(R, q), odd, k, A, lda, Bq, ldb, Cq, ldc, s);                     \
        else                                                                                       \
            nt_block(0, R, QCLAMP(R, q), odd, k, A, lda, Bq, ldb, Cq, ldc, NULL);                  \
        break;
        switch (Q) {
            NT_Q(4) NT_Q(3) NT_Q(2) default : NT_Q(1)
        }
#undef NT_Q
        q0 += Q;
    }
}

void nn_wide_nt_rowsum(int m, int n, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                       nn_real *C, int ldc, nn_real *s)
{
    for (int i = 0; i < m;) {
        int rest = m - i, blocks = (rest + 9) / 10, R = (rest + blocks - 1) / blocks;
        const nn_real *Ai = A + (size_t)i * (size_t)lda;
        nn_real *Ci = C + (size_t)i * (size_t)ldc, *si = s ? s + i : NULL;
        switch (R) {
#define NT_R(r)                                                                                    \
    case r: nt_rows(r, n, k, Ai, lda, B, ldb, Ci, ldc, si); break;
            NT_R(10) NT_R(9) NT_R(8) NT_R(7) NT_R(6) NT_R(5) NT_R(4) NT_R(3) NT_R(2)
        default: nt_rows(1, n, k, Ai, lda, B, ldb, Ci, ldc, si); break;
#undef NT_R
        }
        i += R;
    }
}

#endif
