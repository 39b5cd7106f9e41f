/* packgemm_avx512.c: the kernels of packgemm.h, compiled with -mavx512f
 * (called only where the CPU has it).
 *
 * C's columns in blocks of up to NN_PACK_NC, k in blocks of up to NN_PACK_KC
 * (both split evenly): op(B)'s block is packed into panels of NR columns
 * (3 vectors: 24 doubles or 48 floats), row p of a panel contiguous, zeros
 * past the last column; then for every 8 rows of op(A), their block is packed
 * (8 values per p, zeros past the last row) and the register block of 8 x 3
 * vectors runs over every panel (over a last, narrower one with only the
 * vectors its columns need), the A block staying in L1 while the B
 * panels stream from L2 (prefetched a few rows ahead). A later k block loads
 * C into the accumulators and goes on with the same chain of fused
 * multiply-adds, so the blocking changes no bit. Edges are masked loads and
 * stores; an operand whose packing runs across its rows is transposed 8 x 8
 * in registers (tr8). Up to 16 rows of C, op(B) is read where it is instead
 * of packed; from 9 to 12 rows (an output layer's forward product) the two
 * blocks of rows then run together, 2 vectors wide, so that it is read once. */
#include "packgemm.h"

#if NN_PACK_GEMM
#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#define AI static inline __attribute__((always_inline))

enum { MR = NN_PACK_MR, NR = NN_PACK_NR, NV = 3, KC = NN_PACK_KC, NC = NN_PACK_NC,
       /* how many rows of a B panel ahead the kernel prefetches */
       PREFETCH_ROWS = 8,
       /* how many rows ahead pack_b requests op(B)'s rows */
       PACK_PREFETCH_ROWS = 8,
       /* up to this many rows of C, op(B) is not packed (when its rows are contiguous) */
       DIRECT_ROWS = 2 * NN_PACK_MR,
       /* from 9 to this many rows, the direct path's two blocks of rows run
        * together on panels of TALL_NV vectors (kernel_tall) */
       TALL_ROWS = 12, TALL_NV = 2 };

#if defined(NN_REAL_IS_FLOAT)
typedef __m512 vec;
typedef __mmask16 vmask;
enum { VL = 16 };
#define vzero _mm512_setzero_ps
#define vset1 _mm512_set1_ps
#define vfma _mm512_fmadd_ps
#define vload _mm512_load_ps
#define vstore _mm512_store_ps
#define vmaskz_loadu _mm512_maskz_loadu_ps
#define vmask_storeu _mm512_mask_storeu_ps
#define vloadu _mm512_loadu_ps
#define SFMA fmaf
#define vadd _mm512_add_ps
#define vmul _mm512_mul_ps
#define vmax _mm512_max_ps
#define vgt(x, y) _mm512_cmp_ps_mask(x, y, _CMP_GT_OQ)
#define vblend _mm512_mask_blend_ps
/* an A row block: 8 values of op(A)'s column p, stored at dst (32 bytes;
 * AVX2's masked forms: the 256-bit AVX-512 ones would need AVX-512VL) */
AI __m256i first8(int rr)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(rr), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
AI void put8_contig(float *dst, const float *src, int rr)
{
    _mm256_store_ps(dst, _mm256_maskload_ps(src, first8(rr)));
}
#else
typedef __m512d vec;
typedef __mmask8 vmask;
enum { VL = 8 };
#define vzero _mm512_setzero_pd
#define vset1 _mm512_set1_pd
#define vfma _mm512_fmadd_pd
#define vload _mm512_load_pd
#define vstore _mm512_store_pd
#define vmaskz_loadu _mm512_maskz_loadu_pd
#define vmask_storeu _mm512_mask_storeu_pd
#define vloadu _mm512_loadu_pd
#define SFMA fma
#define vadd _mm512_add_pd
#define vmul _mm512_mul_pd
#define vmax _mm512_max_pd
#define vgt(x, y) _mm512_cmp_pd_mask(x, y, _CMP_GT_OQ)
/* vblend(k, a, b): b where k, else a */
#define vblend _mm512_mask_blend_pd
AI void put8_contig(double *dst, const double *src, int rr)
{
    __mmask8 mk = rr >= 8 ? 0xff : (__mmask8)((1u << rr) - 1);
    _mm512_store_pd(dst, _mm512_maskz_loadu_pd(mk, src));
}
#endif

/* An 8 x 8 block transposed: dst[p * ds + i] = src[i * ss + p] for p < cols
 * (all 8 i; zero where i >= rows), read from rows < rows and columns < cols
 * of src only (masked loads), in 24 shuffles: the packing of an operand whose
 * rows are contiguous, 8 values of 8 rows at a time, instead of a gather per
 * column (on AMD's cores a gather is several times slower). Only moves: the
 * packed values, and so every bit of the products, are the gathers'. */
#if defined(NN_REAL_IS_FLOAT)
AI void tr8(float *dst, long ds, const float *src, long ss, int rows, int cols)
{
    __m256 r[8], t[8], u[8];
    __m256i mk = first8(cols);
    for (int i = 0; i < 8; i++)
        r[i] = i >= rows ? _mm256_setzero_ps()
               : cols >= 8 ? _mm256_loadu_ps(src + (size_t)i * (size_t)ss)
                           : _mm256_maskload_ps(src + (size_t)i * (size_t)ss, mk);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    /* u[q] (q < 4) holds columns q and q + 4 of rows 0-3, u[q + 4] of rows 4-7 */
    for (int q = 0; q < 4; q++) {
        if (q < cols)
            _mm256_storeu_ps(dst + (size_t)q * (size_t)ds, _mm256_permute2f128_ps(u[q], u[q + 4], 0x20));
        if (q + 4 < cols)
            _mm256_storeu_ps(dst + (size_t)(q + 4) * (size_t)ds,
                             _mm256_permute2f128_ps(u[q], u[q + 4], 0x31));
    }
}
#else
AI void tr8(double *dst, long ds, const double *src, long ss, int rows, int cols)
{
    __m512d r[8], t[8], u[8];
    __mmask8 mk = cols >= 8 ? 0xff : (__mmask8)((1u << cols) - 1);
    for (int i = 0; i < 8; i++)
        r[i] = i >= rows ? _mm512_setzero_pd() : _mm512_maskz_loadu_pd(mk, src + (size_t)i * (size_t)ss);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    /* t[2h] holds rows 2h, 2h + 1 at the even columns, t[2h + 1] at the odd */
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);
        u[i + 1] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xdd);
        u[i + 2] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0x88);
        u[i + 3] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0xdd);
    }
    /* u[i + q] (i = 0: rows 0-3, 4: rows 4-7) holds columns c and c + 4 of
     * its rows, c = 0, 2, 1, 3 for q = 0, 1, 2, 3 */
    static const int col_of[4] = {0, 2, 1, 3};
    for (int q = 0; q < 4; q++) {
        int c = col_of[q];
        if (c < cols)
            _mm512_storeu_pd(dst + (size_t)c * (size_t)ds, _mm512_shuffle_f64x2(u[q], u[q + 4], 0x88));
        if (c + 4 < cols)
            _mm512_storeu_pd(dst + (size_t)(c + 4) * (size_t)ds,
                             _mm512_shuffle_f64x2(u[q], u[q + 4], 0xdd));
    }
}
#endif

_Static_assert(NR == NV * VL, "a B panel is three vectors wide");

/* The first n (0..VL) lanes. */
AI vmask lanes(int n)
{
    return n >= VL ? (vmask)~(vmask)0 : n <= 0 ? (vmask)0 : (vmask)((1u << n) - 1);
}

/* The register block's last store through the epilogue (packgemm.h), its
 * first nw vectors: C is the block's place, off its offset from C's start
 * (where act and g have the block's elements), bias the block's first row's. */
static void store_ep(const nn_pack_epilogue *ep, vec c[MR][NV], const vmask *mk, int nw, nn_real *C,
                     long ldc, int rr, size_t off, const nn_real *bias)
{
    vec zero = vzero(), one = vset1(1), slope = vset1(ep->slope);
    for (int r = 0; r < rr; r++)
        for (int v = 0; v < nw; v++) {
            size_t o = (size_t)r * (size_t)ldc + (size_t)(v * VL);
            vec x = c[r][v];
            switch (ep->kind) {
            case NN_PACK_RELU:
            case NN_PACK_LEAKY: {
                /* max(v, 0): v > 0 ? v : +0 (the second operand for NaN and
                 * for equal zeros); blend(w, v, v > 0): v > 0 ? v : w */
                vec z = vadd(x, vset1(bias[r]));
                vec a = ep->kind == NN_PACK_RELU ? vmax(z, zero)
                                                 : vblend(vgt(z, zero), vmul(slope, z), z);
                vmask_storeu(ep->act + off + o, mk[v], a);
                x = z;
                break;
            }
            case NN_PACK_DSIGN:
                x = vmul(x, vblend(vgt(vmaskz_loadu(mk[v], ep->g + off + o), zero), slope, one));
                break;
            case NN_PACK_DKEPT:
                x = vmul(x, vmaskz_loadu(mk[v], ep->g + off + o));
                break;
            }
            vmask_storeu(C + o, mk[v], x);
        }
}

/* What a register block's store reads and writes (rows < rr, its first nw
 * vectors of C, and the epilogue's act or g), requested at the block's start
 * so that it is in L1 by the end of the k loop. */
AI void prefetch_store(const nn_real *C, long ldc, int rr, int nw, const nn_pack_epilogue *ep,
                       size_t off)
{
    for (int r = 0; r < rr; r++)
        for (int v = 0; v < nw; v++) {
            size_t o = (size_t)r * (size_t)ldc + (size_t)(v * VL);
            _mm_prefetch((const char *)(C + o), _MM_HINT_T0);
            if (ep && ep->act)
                _mm_prefetch((const char *)(ep->act + off + o), _MM_HINT_T0);
            if (ep && ep->g)
                _mm_prefetch((const char *)(ep->g + off + o), _MM_HINT_T0);
        }
}

/* C (rows < rr, columns < nn of the block at C) = or += the 8 x NR product
 * of the packed ap (kc x 8) and bp (kc x NR, or with DIRECT op(B) itself:
 * rows bs apart, read masked past nn): first: from zero, else on from what C
 * holds. Only the first NW vectors of the panel (those with columns < nn)
 * are multiplied: a last panel of C's block narrower than NR costs what its
 * columns need. */
AI void kernel(int DIRECT, int RR, int NW, int kc, const nn_real *restrict ap,
               const nn_real *restrict bp, long bs, nn_real *C, long ldc, int rr, int nn, int first,
               const nn_pack_epilogue *ep, size_t off, const nn_real *bias)
{
    vec c[MR][NV];
    vmask mk[NV];
    _Pragma("GCC unroll 3")
    for (int v = 0; v < NV; v++)
        mk[v] = v < NW ? lanes(nn - v * VL) : (vmask)0;
    if (first || ep)
        prefetch_store(C, ldc, rr, NW, ep, off);
    _Pragma("GCC unroll 8")
    for (int r = 0; r < RR; r++)
        _Pragma("GCC unroll 3")
        for (int v = 0; v < NV; v++)
            c[r][v] = first || r >= rr || v >= NW ? vzero()
                                                  : vmaskz_loadu(mk[v], C + r * ldc + v * VL);
    for (int p = 0; p < kc; p++) {
        const nn_real *b = bp + (size_t)p * (size_t)bs;
        _Pragma("GCC unroll 3")
        for (int v = 0; v < NW; v++)
            _mm_prefetch((const char *)(b + PREFETCH_ROWS * bs + v * VL), _MM_HINT_T0);
        vec bv[NV];
        _Pragma("GCC unroll 3")
        for (int v = 0; v < NW; v++)
            bv[v] = DIRECT ? vmaskz_loadu(mk[v], b + v * VL) : vload(b + v * VL);
        _Pragma("GCC unroll 8")
        for (int r = 0; r < RR; r++) {
            vec a = vset1(ap[(size_t)p * MR + r]);
            _Pragma("GCC unroll 3")
            for (int v = 0; v < NW; v++)
                c[r][v] = vfma(a, bv[v], c[r][v]);
        }
    }
    if (ep) {
        store_ep(ep, c, mk, NW, C, ldc, rr, off, bias);
        return;
    }
    _Pragma("GCC unroll 8")
    for (int r = 0; r < RR; r++)
        if (r < rr)
            _Pragma("GCC unroll 3")
            for (int v = 0; v < NW; v++)
                vmask_storeu(C + r * ldc + v * VL, mk[v], c[r][v]);
}

/* Two blocks of rows at once on op(B) itself (the direct path's 9 to
 * TALL_ROWS rows of C: an output layer's forward product), R0 rows packed at
 * ap and R1 at ap1, on panels of TALL_NV vectors: op(B) is read once instead
 * of once per block. Each element's chain is the one of kernel(), so the
 * same bits. */
AI void kernel_tall(int R0, int R1, int NW, int kc, const nn_real *restrict ap,
                    const nn_real *restrict ap1, const nn_real *restrict bp, long bs, nn_real *C,
                    long ldc, int nn, int first, const nn_pack_epilogue *ep, size_t off,
                    const nn_real *bias)
{
    vec c[2 * MR][TALL_NV];
    vmask mk[NV];
    _Pragma("GCC unroll 3")
    for (int v = 0; v < NV; v++)
        mk[v] = v < NW ? lanes(nn - v * VL) : (vmask)0;
    if (first || ep)
        prefetch_store(C, ldc, R0 + R1, NW, ep, off);
    _Pragma("GCC unroll 16")
    for (int r = 0; r < R0 + R1; r++)
        _Pragma("GCC unroll 2")
        for (int v = 0; v < TALL_NV; v++)
            c[r][v] = first || v >= NW ? vzero() : vmaskz_loadu(mk[v], C + r * ldc + v * VL);
    for (int p = 0; p < kc; p++) {
        const nn_real *b = bp + (size_t)p * (size_t)bs;
        _Pragma("GCC unroll 2")
        for (int v = 0; v < NW; v++)
            _mm_prefetch((const char *)(b + PREFETCH_ROWS * bs + v * VL), _MM_HINT_T0);
        vec bv[TALL_NV];
        _Pragma("GCC unroll 2")
        for (int v = 0; v < NW; v++)
            bv[v] = vmaskz_loadu(mk[v], b + v * VL);
        _Pragma("GCC unroll 16")
        for (int r = 0; r < R0 + R1; r++) {
            vec a = vset1(r < R0 ? ap[(size_t)p * MR + r] : ap1[(size_t)p * MR + r - R0]);
            _Pragma("GCC unroll 2")
            for (int v = 0; v < NW; v++)
                c[r][v] = vfma(a, bv[v], c[r][v]);
        }
    }
    if (ep) { /* each block through store_ep, as kernel() stores it */
        vec h[MR][NV];
        _Pragma("GCC unroll 8")
        for (int r = 0; r < R0; r++)
            _Pragma("GCC unroll 2")
            for (int v = 0; v < TALL_NV; v++)
                h[r][v] = c[r][v];
        store_ep(ep, h, mk, NW, C, ldc, R0, off, bias);
        _Pragma("GCC unroll 8")
        for (int r = 0; r < R1; r++)
            _Pragma("GCC unroll 2")
            for (int v = 0; v < TALL_NV; v++)
                h[r][v] = c[R0 + r][v];
        store_ep(ep, h, mk, NW, C + (size_t)R0 * (size_t)ldc, ldc, R1, off + (size_t)R0 * (size_t)ldc,
                 bias ? bias + R0 : NULL);
        return;
    }
    _Pragma("GCC unroll 16")
    for (int r = 0; r < R0 + R1; r++)
        _Pragma("GCC unroll 2")
        for (int v = 0; v < NW; v++)
            vmask_storeu(C + r * ldc + v * VL, mk[v], c[r][v]);
}

AI void panels_tall(int R0, int R1, int kc, const nn_real *ap, const nn_real *ap1, const nn_real *b,
                    long bs, nn_real *C, size_t off, long ldc, int nc, int first,
                    const nn_pack_epilogue *e, const nn_real *bias)
{
    enum { W = TALL_NV * VL };
    int j = 0;
    for (; j + W <= nc; j += W)
        kernel_tall(R0, R1, TALL_NV, kc, ap, ap1, b + j, bs, C + off + j, ldc, nc - j, first, e,
                    off + j, bias);
    if (j < nc) /* the last panel, narrower: the vectors its columns need */
        kernel_tall(R0, R1, nc - j > VL ? 2 : 1, kc, ap, ap1, b + j, bs, C + off + j, ldc, nc - j,
                    first, e, off + j, bias);
}

/* The tall blocks' instances: rows = ceil(m / 2) in the first, the rest in
 * the second (9 = 5 + 4, 10 = 5 + 5, 11 = 6 + 5, 12 = 6 + 6). */
static void panel_tall(int m, int kc, const nn_real *ap, const nn_real *ap1, const nn_real *b,
                       long bs, nn_real *C, size_t off, long ldc, int nc, int first,
                       const nn_pack_epilogue *e, const nn_real *bias)
{
    switch (m) {
    case 9: panels_tall(5, 4, kc, ap, ap1, b, bs, C, off, ldc, nc, first, e, bias); break;
    case 10: panels_tall(5, 5, kc, ap, ap1, b, bs, C, off, ldc, nc, first, e, bias); break;
    case 11: panels_tall(6, 5, kc, ap, ap1, b, bs, C, off, ldc, nc, first, e, bias); break;
    default: panels_tall(6, 6, kc, ap, ap1, b, bs, C, off, ldc, nc, first, e, bias); break;
    }
}

/* Every panel of a block of rr rows: the kernel for exactly rr rows (an
 * instance per count), on packed panels (bs = NR: bp the packed block, kc
 * rows per panel) or on op(B) itself (bs its row stride). */
AI void panels(int DIRECT, int RR, int kc, const nn_real *ap, const nn_real *bp, long bs, nn_real *C,
               size_t off, long ldc, int nc, int first, const nn_pack_epilogue *e,
               const nn_real *bias)
{
#define PANEL(NW)                                                                                  \
    kernel(DIRECT, RR, NW, kc, ap, DIRECT ? bp + j : bp + (size_t)j * (size_t)kc, bs, C + off + j, \
           ldc, RR, nc - j, first, e, off + j, bias)
    int j = 0;
    for (; j + NR <= nc; j += NR)
        PANEL(NV);
    if (j < nc) { /* the last panel, narrower: the vectors its columns need */
        if (nc - j > 2 * VL)
            PANEL(3);
        else if (nc - j > VL)
            PANEL(2);
        else
            PANEL(1);
    }
#undef PANEL
}

static void panel_row(int direct, int rr, int kc, const nn_real *ap, const nn_real *bp, long bs,
                      nn_real *C, size_t off, long ldc, int nc, int first,
                      const nn_pack_epilogue *e, const nn_real *bias)
{
#define PANELS(R)                                                                                  \
    case R:                                                                                        \
        if (direct)                                                                                \
            panels(1, R, kc, ap, bp, bs, C, off, ldc, nc, first, e, bias);                         \
        else                                                                                       \
            panels(0, R, kc, ap, bp, bs, C, off, ldc, nc, first, e, bias);                         \
        break;
    switch (rr) {
        PANELS(8)
        PANELS(7)
        PANELS(6)
        PANELS(5)
        PANELS(4)
        PANELS(3)
        PANELS(2)
        PANELS(1)
    }
#undef PANELS
}

/* The rows' sums go on in column order, one lane per row, in double: the
 * packed column p of the 8 rows (zeros past rr) added at its store, so that
 * the chain of adds overlaps the loads. */
AI __m512d add_column(__m512d s8, const nn_real *col)
{
#if defined(NN_REAL_IS_FLOAT)
    return _mm512_add_pd(s8, _mm512_cvtps_pd(_mm256_load_ps(col)));
#else
    return _mm512_add_pd(s8, _mm512_load_pd(col));
#endif
}

AI void pack_a_rows(int SUM, nn_real *ap, const nn_real *base, long ai, long ak, int rr, int kc,
                    double *sum)
{
    __m512d s8 = SUM ? _mm512_loadu_pd(sum) : _mm512_setzero_pd();
    if (ai != 1) /* op(A)'s rows contiguous (ak = 1) */
        for (int p = 0; p < kc; p += 8) {
            tr8(ap + (size_t)p * MR, MR, base + p, ai, rr, kc - p < 8 ? kc - p : 8);
            if (SUM)
                for (int q = p; q < kc && q < p + 8; q++)
                    s8 = add_column(s8, ap + (size_t)q * MR);
        }
    else
        for (int p = 0; p < kc; p++) {
            nn_real *col = ap + (size_t)p * MR;
            put8_contig(col, base + (size_t)p * (size_t)ak, rr);
            if (SUM)
                s8 = add_column(s8, col);
        }
    if (SUM)
        _mm512_storeu_pd(sum, s8);
}

/* ap (kc x 8) = rows i0 .. i0+rr-1 of op(A) at columns p0 .. p0+kc-1, with
 * op(A)[i][p] = A[i * ai + p * ak]; rows past rr are zero. With sum, the
 * rows' sums over these columns go on in sum[0 .. 8). */
static void pack_a(nn_real *ap, const nn_real *A, long ai, long ak, int i0, int rr, int p0, int kc,
                   double *sum)
{
    const nn_real *base = A + (size_t)i0 * (size_t)ai + (size_t)p0 * (size_t)ak;
    if (sum)
        pack_a_rows(1, ap, base, ai, ak, rr, kc, sum);
    else
        pack_a_rows(0, ap, base, ai, ak, rr, kc, NULL);
}

/* bp = op(B)'s rows p0 .. p0+kc-1 at columns j0 .. j0+nc-1 in panels of NR
 * columns (kc x NR each), op(B)[p][j] = B[p * bk + j * bj]; zero past nc. */
static void pack_b(nn_real *bp, const nn_real *B, long bk, long bj, int p0, int kc, int j0, int nc)
{
    for (int j = 0; j < nc; j += NR) {
        nn_real *dst = bp + (size_t)j * (size_t)kc;
        const nn_real *base = B + (size_t)p0 * (size_t)bk + (size_t)(j0 + j) * (size_t)bj;
        vmask mk[NV];
        for (int v = 0; v < NV; v++)
            mk[v] = lanes(nc - j - v * VL);
        if (bj == 1)
            for (int p = 0; p < kc; p++) {
                const nn_real *s = base + (size_t)p * (size_t)bk;
                /* rows far apart: each is a new line, requested some rows ahead */
                for (int v = 0; v < NV; v++)
                    _mm_prefetch((const char *)(s + PACK_PREFETCH_ROWS * bk + v * VL), _MM_HINT_T0);
                for (int v = 0; v < NV; v++)
                    vstore(dst + (size_t)p * NR + v * VL, vmaskz_loadu(mk[v], s + v * VL));
            }
        else /* op(B)'s columns contiguous (bk = 1): 8 of them at a time */
            for (int p = 0; p < kc; p += 8)
                for (int q = 0; q < NR; q += 8)
                    tr8(dst + (size_t)p * NR + q, NR, base + (size_t)q * (size_t)bj + p, bj,
                        nc - j - q, kc - p < 8 ? kc - p : 8);
    }
}

/* nn_pack_epilogue.rowsum's sums (one caller at a time, packgemm.h) */
static double row_sums_of_a[NN_PACK_ROWSUM_MAX + NN_PACK_MR];

/* Splits n into the fewest blocks of at most cap, as even as they can be,
 * each a multiple of unit (but the last). */
static int block_size(int n, int cap, int unit)
{
    int nb = (n + cap - 1) / cap, b = (n + nb - 1) / nb;
    return (b + unit - 1) / unit * unit;
}

/* The lanes of v added as packgemm.h says: the upper half onto the lower,
 * then again, down to one. */
AI nn_real lane_sum(vec v)
{
#if defined(NN_REAL_IS_FLOAT)
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
#else
    __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
#endif
}

/* C[r][s] (r < R, s < S at the block) = row r of A . row s of B over k in
 * packgemm.h's lane order for the few-row weight gradient. */
AI void dot_block(int R, int S, int k, const nn_real *A, long lda, const nn_real *B, long ldb,
                  nn_real *C, long ldc)
{
    vec acc[5][4];
    _Pragma("GCC unroll 5")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 4")
        for (int t = 0; t < S; t++)
            acc[r][t] = vzero();
    int kv = k - k % VL;
    for (int p = 0; p < kv; p += VL) {
        vec b[4];
        _Pragma("GCC unroll 4")
        for (int t = 0; t < S; t++)
            b[t] = vloadu(B + (size_t)t * (size_t)ldb + p);
        _Pragma("GCC unroll 5")
        for (int r = 0; r < R; r++) {
            vec a = vloadu(A + (size_t)r * (size_t)lda + p);
            _Pragma("GCC unroll 4")
            for (int t = 0; t < S; t++)
                acc[r][t] = vfma(a, b[t], acc[r][t]);
        }
    }
    _Pragma("GCC unroll 5")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 4")
        for (int t = 0; t < S; t++) {
            const nn_real *a = A + (size_t)r * (size_t)lda, *b = B + (size_t)t * (size_t)ldb;
            nn_real v = lane_sum(acc[r][t]);
            for (int p = kv; p < k; p++)
                v = (nn_real)SFMA(a[p], b[p], v);
            C[(size_t)r * (size_t)ldc + t] = v;
        }
}

/* C = A B^T for a few rows of A (DOT_ROWS or fewer), columns [j0, j1):
 * dot products along k, both operands read where they are. */
static void dot_cols(int m, int j0, int j1, int k, const nn_real *A, long lda, const nn_real *B,
                     long ldb, nn_real *C, long ldc)
{
    for (int i = 0; i < m; i += 5) {
        int R = m - i < 5 ? m - i : 5;
        const nn_real *Ai = A + (size_t)i * (size_t)lda;
        nn_real *Ci = C + (size_t)i * (size_t)ldc;
        int j = j0;
#define DOT(RR, SS)                                                                                \
    dot_block(RR, SS, k, Ai, lda, B + (size_t)j * (size_t)ldb, ldb, Ci + j, ldc)
#define DOT_ROWS(SS)                                                                               \
    switch (R) {                                                                                   \
    case 5: DOT(5, SS); break;                                                                     \
    case 4: DOT(4, SS); break;                                                                     \
    case 3: DOT(3, SS); break;                                                                     \
    case 2: DOT(2, SS); break;                                                                     \
    default: DOT(1, SS); break;                                                                    \
    }
        for (; j + 4 <= j1; j += 4)
            DOT_ROWS(4)
        for (; j < j1; j++)
            DOT_ROWS(1)
#undef DOT_ROWS
#undef DOT
    }
}

void nn_pack_gemm_cols(int trans_a, int trans_b, int m, int j0, int j1, int k, const nn_real *A,
                       int lda, const nn_real *B, int ldb, nn_real *C, int ldc,
                       const nn_pack_epilogue *ep, nn_real *w)
{
    if (!trans_a && trans_b && m < NN_PACK_DOT_ROWS && (!ep || (!ep->kind && !ep->rowsum))) {
        dot_cols(m, j0, j1, k, A, lda, B, ldb, C, ldc);
        return;
    }
    long ai = trans_a ? 1 : lda, ak = trans_a ? lda : 1;
    long bk = trans_b ? 1 : ldb, bj = trans_b ? ldb : 1;
    int n = j1 - j0;
    if (m <= 0 || n <= 0)
        return;
    nn_real *bp = w, *ap = w + (size_t)KC * NC;
    /* a few rows of C: op(B) is read where it is (rows in place), packing it
     * would cost as much as the product */
    int direct = bj == 1 && m <= DIRECT_ROWS;
    int tall = direct && m > MR && m <= TALL_ROWS && !(ep && ep->rowsum);
    int kcs = k > 0 ? block_size(k, KC, 1) : 0, ncs = block_size(n, NC, NR);
    /* the rows in blocks of at most 8, as even as they can be (10 = 5 + 5) */
    int nrb = (m + MR - 1) / MR, rows = (m + nrb - 1) / nrb;
    /* op(A)'s row sums, by the part with the first columns (packing op(A)
     * for them), in double: sums[MR * block + r] */
    double *sums = ep && ep->rowsum && j0 == 0 ? row_sums_of_a : NULL;
    if (sums)
        for (int i = 0; i < nrb * MR; i++)
            sums[i] = 0;
    for (int jc = 0; jc < n; jc += ncs) {
        int nc = n - jc < ncs ? n - jc : ncs;
        if (k <= 0) { /* an empty sum: zeros */
            for (int i = 0; i < m; i++)
                for (int j = 0; j < nc; j++)
                    C[(size_t)i * (size_t)ldc + (size_t)(j0 + jc + j)] = 0;
            continue;
        }
        for (int pc = 0; pc < k; pc += kcs) {
            int kc = k - pc < kcs ? k - pc : kcs;
            if (!direct)
                pack_b(bp, B, bk, bj, pc, kc, j0 + jc, nc);
            if (tall) {
                pack_a(ap, A, ai, ak, 0, rows, pc, kc, NULL);
                pack_a(bp, A, ai, ak, rows, m - rows, pc, kc, NULL); /* bp: unused when direct */
                const nn_pack_epilogue *e = pc + kc == k && ep && ep->kind ? ep : NULL;
                panel_tall(m, kc, ap, bp, B + (size_t)pc * (size_t)bk + (size_t)(j0 + jc),
                           bk, C, (size_t)(j0 + jc), ldc, nc, pc == 0, e, e && e->bias ? e->bias : NULL);
                continue;
            }
            for (int i0 = 0; i0 < m; i0 += rows) {
                int rr = m - i0 < rows ? m - i0 : rows;
                pack_a(ap, A, ai, ak, i0, rr, pc, kc,
                       sums && jc == 0 ? sums + (size_t)(i0 / rows) * MR : NULL);
                size_t off = (size_t)i0 * (size_t)ldc + (size_t)(j0 + jc);
                /* the epilogue at the last k block's store */
                const nn_pack_epilogue *e = pc + kc == k && ep && ep->kind ? ep : NULL;
                const nn_real *bias = e && e->bias ? e->bias + i0 : NULL;
                const nn_real *b0 = B + (size_t)pc * (size_t)bk + (size_t)(j0 + jc);
                panel_row(direct, rr, kc, ap, direct ? b0 : bp, direct ? bk : NR, C, off, ldc, nc,
                          pc == 0, e, bias);
            }
        }
    }
    if (sums)
        for (int i = 0; i < m; i++)
            ep->rowsum[i] = (nn_real)sums[(size_t)(i / rows) * MR + (size_t)(i % rows)];
}
#endif
