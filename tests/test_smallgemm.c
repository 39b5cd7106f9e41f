/* test_smallgemm.c: the model's products for small layers (core/engine/
 * smallgemm.c) on every edge of their blocking (1..9 rows, 1..41 columns,
 * 1..37 terms) and the notebooks' shapes:
 * - against the product in long double: within the bound of a sum of k
 *   rounded products, k * eps * sum |a||b| (the largest ratio is printed);
 * - against the order smallgemm.h documents, computed here by plain scalar
 *   loops: equal bit for bit (nn, tn: one fused chain per element; nt,
 *   rowsum: lane partial sums added pairwise, then the tail);
 * - against the BLAS: within the same bound, and nn/tn identical wherever the
 *   BLAS uses one fused chain too (the count is printed, not required: it
 *   depends on the BLAS's kernels);
 * - a NaN or an infinity in an operand reaches its row and column of C;
 * - the fused variants (nn_small_nn_act, also without Z, nn_small_tn_dact,
 *   nn_small_nt_rowsum) on the same shapes: equal bit for bit to the plain
 *   product (itself checked against the documented order above) followed by
 *   the model's elementwise formulas, and their products within the long
 *   double bound; zeros, NaNs and infinities in the pre-activations.
 * All of it twice, where the build and the CPU have the 512-bit products
 * (smallgemm_avx512.c): on the AVX2 code, then on those.
 * Skipped (77) in a build without AVX2 + FMA, which has no such path. */
#include "testutil.h"

#include <cblas.h>
#include <float.h>

#include "smallgemm.h"

#if !NN_SMALL_GEMM
int main(void)
{
    printf("SKIPPED: this build has no small-product path (it needs AVX2 and FMA)\n");
    return 77;
}
#else

#if defined(NN_REAL_IS_FLOAT)
#define LANES 8
#define EPS FLT_EPSILON
#define SFMA fmaf
#else
#define LANES 4
#define EPS DBL_EPSILON
#define SFMA fma
#endif

static unsigned long long rng_state = 88172645463325252ull;
static nn_real urand(void) { return (nn_real)tu_uniform(&rng_state); }

enum { NN, TN, NT };

/* rows 1 .. MAX_ROWS: every block of both paths (AVX2: up to 6 rows; 512-bit:
 * up to 10, and 11 = 6 + 5, 13 = 7 + 6) */
enum { MAX_ROWS = 13 };

/* op(A)[i][p] and op(B)[p][j] of a product of kind `kind`, row-major. */
static nn_real opa(int kind, const nn_real *A, int lda, int i, int p)
{
    return kind == TN ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
}
static nn_real opb(int kind, const nn_real *B, int ldb, int p, int j)
{
    return kind == NT ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
}

/* The documented order, one scalar at a time. */
static nn_real order_ref(int kind, int k, const nn_real *A, int lda, const nn_real *B, int ldb,
                         int i, int j)
{
    if (kind != NT) {
        nn_real acc = 0;
        for (int p = 0; p < k; p++)
            acc = SFMA(opa(kind, A, lda, i, p), opb(kind, B, ldb, p, j), acc);
        return acc;
    }
    int kv = k - k % LANES;
    nn_real s[LANES];
    for (int l = 0; l < LANES; l++) {
        s[l] = 0;
        for (int p = l; p < kv; p += LANES)
            s[l] = SFMA(opa(kind, A, lda, i, p), opb(kind, B, ldb, p, j), s[l]);
    }
#if LANES == 8
    for (int l = 0; l < 4; l++)
        s[l] = s[l] + s[l + 4];
#endif
    nn_real v = (s[0] + s[2]) + (s[1] + s[3]);
    for (int p = kv; p < k; p++)
        v = SFMA(opa(kind, A, lda, i, p), opb(kind, B, ldb, p, j), v);
    return v;
}

static void blas(int kind, int m, int n, int k, const nn_real *A, int lda, const nn_real *B,
                 int ldb, nn_real *C, int ldc)
{
    enum CBLAS_TRANSPOSE ta = kind == TN ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = kind == NT ? CblasTrans : CblasNoTrans;
#if defined(NN_REAL_IS_FLOAT)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1, A, lda, B, ldb, 0, C, ldc);
#else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1, A, lda, B, ldb, 0, C, ldc);
#endif
}

typedef struct {
    double worst;     /* largest |error| / bound against long double */
    long order_diff;  /* elements not equal to the documented order */
    long blas_same, blas_all;
    double blas_worst;
} tally;

/* One product of kind `kind` with leading dimensions padded by `pad`. */
static void one(int kind, int m, int n, int k, int pad, tally *t)
{
    int ar = kind == TN ? k : m, ac = kind == TN ? m : k;
    int br = kind == NT ? n : k, bc = kind == NT ? k : n;
    int lda = ac + pad, ldb = bc + pad, ldc = n + pad;
    nn_real *A = malloc(sizeof(nn_real) * (size_t)ar * lda);
    nn_real *B = malloc(sizeof(nn_real) * (size_t)br * ldb);
    nn_real *C = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *R = malloc(sizeof(nn_real) * (size_t)m * ldc);
    for (size_t q = 0; q < (size_t)ar * lda; q++)
        A[q] = urand();
    for (size_t q = 0; q < (size_t)br * ldb; q++)
        B[q] = urand();
    for (size_t q = 0; q < (size_t)m * ldc; q++)
        C[q] = R[q] = (nn_real)12345; /* the padding must stay */
    if (kind == NN)
        nn_small_nn(m, n, k, A, lda, B, ldb, C, ldc);
    else if (kind == TN)
        nn_small_tn(m, n, k, A, lda, B, ldb, C, ldc);
    else
        nn_small_nt(m, n, k, A, lda, B, ldb, C, ldc);
    blas(kind, m, n, k, A, lda, B, ldb, R, ldc);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            long double exact = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                long double x = (long double)opa(kind, A, lda, i, p) * opb(kind, B, ldb, p, j);
                exact += x;
                mag += fabsl(x);
            }
            double bound = (double)(k * EPS * mag) + 1e-300;
            nn_real c = C[(size_t)i * ldc + j], r = R[(size_t)i * ldc + j];
            double e = fabs((double)((long double)c - exact)) / bound;
            if (e > t->worst)
                t->worst = e;
            double eb = fabs((double)c - (double)r) / (2 * bound);
            if (eb > t->blas_worst)
                t->blas_worst = eb;
            if (c != order_ref(kind, k, A, lda, B, ldb, i, j))
                t->order_diff++;
            t->blas_all++;
            t->blas_same += c == r;
        }
        for (int j = n; j < ldc; j++)
            if (C[(size_t)i * ldc + j] != (nn_real)12345)
                fail_msg("kind %d %dx%dx%d: wrote past column %d", kind, m, n, k, n);
    }
    free(A);
    free(B);
    free(C);
    free(R);
}

static void check_kind(int kind, const char *name)
{
    tally t = {0};
    for (int m = 1; m <= MAX_ROWS; m++)
        for (int n = 1; n <= 41; n += (n < 18 ? 1 : 7))
            for (int k = 1; k <= 37; k += (k < 10 ? 1 : 9))
                one(kind, m, n, k, (m + n + k) % 3, &t);
    /* the notebooks' 2-10-5-1 net on 300 points: forward, input and weight gradients */
    static const int shapes[][4] = {{NN, 10, 300, 2}, {NN, 5, 300, 10}, {NN, 1, 300, 5},
                                    {TN, 10, 300, 5}, {TN, 5, 300, 1},  {NT, 10, 2, 300},
                                    {NT, 5, 10, 300}, {NT, 1, 5, 300},  {NT, 20, 3, 211},
                                    {NN, 21, 67, 3},  {TN, 20, 45, 4},  {NT, 21, 9, 67}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        if (shapes[s][0] == kind)
            one(kind, shapes[s][1], shapes[s][2], shapes[s][3], 0, &t);
    printf("%s: largest error %.3g of the bound k*eps*sum|ab| (long double reference); %ld "
           "elements off the documented order; BLAS: %ld of %ld identical, largest difference "
           "%.3g of twice the bound\n",
           name, t.worst, t.order_diff, t.blas_same, t.blas_all, t.blas_worst);
    assert_true(t.worst <= 1.0);
    assert_int_equal(t.order_diff, 0);
    assert_true(t.blas_worst <= 1.0);
}

static void test_nn(void **state)
{
    (void)state;
    check_kind(NN, "nn");
}
static void test_tn(void **state)
{
    (void)state;
    check_kind(TN, "tn");
}
static void test_nt(void **state)
{
    (void)state;
    check_kind(NT, "nt");
}

/* The sum of a row a of k values in the documented lane order (smallgemm.h). */
static nn_real lane_rowsum(const nn_real *a, int k)
{
    int kv = k - k % LANES;
    nn_real l[LANES];
    for (int q = 0; q < LANES; q++) {
        l[q] = 0;
        for (int p = q; p < kv; p += LANES)
            l[q] = l[q] + a[p];
    }
#if LANES == 8
    for (int q = 0; q < 4; q++)
        l[q] = l[q] + l[q + 4];
#endif
    nn_real v = (l[0] + l[2]) + (l[1] + l[3]);
    for (int p = kv; p < k; p++)
        v = v + a[p];
    return v;
}

/* Row sums: the lane order, against long double, on every tail length. */
static void test_rowsum(void **state)
{
    (void)state;
    double worst = 0;
    for (int m = 1; m <= MAX_ROWS; m++)
        for (int k = 1; k <= 50; k++) {
            int lda = k + m % 3;
            nn_real *A = malloc(sizeof(nn_real) * (size_t)m * lda), s[MAX_ROWS], C[MAX_ROWS];
            nn_real *B = malloc(sizeof(nn_real) * (size_t)k);
            for (int q = 0; q < m * lda; q++)
                A[q] = urand();
            for (int q = 0; q < k; q++)
                B[q] = urand();
            nn_small_nt_rowsum(m, 1, k, A, lda, B, k, C, 1, s); /* the row sums s, a 1-column product */
            for (int i = 0; i < m; i++) {
                const nn_real *a = A + (size_t)i * lda;
                long double exact = 0, mag = 0;
                for (int p = 0; p < k; p++)
                    exact += a[p], mag += fabsl((long double)a[p]);
                nn_real v = lane_rowsum(a, k);
                if (s[i] != v)
                    fail_msg("rowsum %d x %d row %d: %.17g, the documented order gives %.17g", m,
                             k, i, (double)s[i], (double)v);
                double e = fabs((double)((long double)s[i] - exact)) / (double)(k * EPS * mag);
                worst = e > worst ? e : worst;
            }
            free(A), free(B);
        }
    printf("rowsum: largest error %.3g of the bound k*eps*sum|a|\n", worst);
    assert_true(worst <= 1.0);
}

/* A NaN in A's row i and an infinity in B's column j reach exactly C's row i
 * and column j (no lane of a block leaks into another). */
static void test_nonfinite(void **state)
{
    (void)state;
    int m = 7, n = 13, k = 11;
    nn_real A[7 * 11], B[11 * 13], C[7 * 13], Bt[13 * 11], Ct[7 * 13];
    for (int q = 0; q < m * k; q++)
        A[q] = urand();
    for (int q = 0; q < k * n; q++)
        B[q] = urand();
    A[3 * k + 5] = NAN;
    B[2 * n + 9] = INFINITY;
    for (int p = 0; p < k; p++)
        for (int j = 0; j < n; j++)
            Bt[j * k + p] = B[p * n + j];
    nn_small_nn(m, n, k, A, k, B, n, C, n);
    nn_small_nt(m, n, k, A, k, Bt, k, Ct, n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            int bad = i == 3 || j == 9;
            assert_int_equal(!isfinite(C[i * n + j]), bad);
            assert_int_equal(!isfinite(Ct[i * n + j]), bad);
        }
}

static int same_bits(nn_real x, nn_real y) { return memcmp(&x, &y, sizeof x) == 0; }

/* Some pre-activations exactly 0, -0, NaN or infinite: each form of the
 * elementwise formulas' compares. */
static nn_real special(int q)
{
    switch (q % 23) {
    case 3: return 0;
    case 7: return -(nn_real)0;
    case 11: return NAN;
    case 13: return INFINITY;
    case 17: return -INFINITY;
    default: return urand();
    }
}

/* nn_small_nn_act: Z = A B + bias and act(Z) against nn_small_nn then the
 * model's bias_activate formulas (v = c + b; relu v > 0 ? v : 0; leaky
 * w = slope * v, v > 0 ? v : w), bit for bit, with a bias that makes some
 * Z exactly 0 and some non-finite; padding left alone. */
static void one_act(int m, int n, int k, int pad, int leaky, long *checked)
{
    int lda = k + pad, ldb = n + pad, ldc = n + pad;
    nn_real slope = (nn_real)0.125;
    nn_real *A = malloc(sizeof(nn_real) * (size_t)m * lda);
    nn_real *B = malloc(sizeof(nn_real) * (size_t)k * ldb);
    nn_real *P = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *Z = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *Ac = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *bias = malloc(sizeof(nn_real) * (size_t)m);
    for (int q = 0; q < m * lda; q++)
        A[q] = urand();
    for (int q = 0; q < k * ldb; q++)
        B[q] = urand();
    for (int i = 0; i < m; i++)
        bias[i] = i % 5 == 4 ? NAN : urand();
    for (int q = 0; q < m * ldc; q++)
        Z[q] = Ac[q] = (nn_real)12345;
    nn_small_nn(m, n, k, A, lda, B, ldb, P, ldc);
    /* Z exactly 0 where the bias is minus the product */
    if (m > 1 && n > 2)
        bias[1] = -P[(size_t)1 * ldc + 2];
    nn_small_nn_act(m, n, k, A, lda, B, ldb, bias, leaky, slope, Z, Ac, ldc);
    /* Z NULL: the same activations, nothing else written */
    nn_real *Ao = malloc(sizeof(nn_real) * (size_t)m * ldc);
    for (int q = 0; q < m * ldc; q++)
        Ao[q] = (nn_real)12345;
    nn_small_nn_act(m, n, k, A, lda, B, ldb, bias, leaky, slope, NULL, Ao, ldc);
    if (memcmp(Ao, Ac, sizeof(nn_real) * (size_t)m * ldc) != 0)
        fail_msg("nn_act %s %dx%dx%d: the activations without Z differ", leaky ? "leaky" : "relu",
                 m, n, k);
    free(Ao);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            size_t q = (size_t)i * ldc + j;
            nn_real v = P[q] + bias[i], w = slope * v, a = leaky ? (v > 0 ? v : w) : (v > 0 ? v : 0);
            if (!same_bits(Z[q], v) || !same_bits(Ac[q], a))
                fail_msg("nn_act %s %dx%dx%d [%d,%d]: z %.17g a %.17g, the formulas give %.17g %.17g",
                         leaky ? "leaky" : "relu", m, n, k, i, j, (double)Z[q], (double)Ac[q],
                         (double)v, (double)a);
            ++*checked;
        }
        for (int j = n; j < ldc; j++)
            if (Z[(size_t)i * ldc + j] != (nn_real)12345 || Ac[(size_t)i * ldc + j] != (nn_real)12345)
                fail_msg("nn_act %dx%dx%d: wrote past column %d", m, n, k, n);
    }
    free(A);
    free(B);
    free(P);
    free(Z);
    free(Ac);
    free(bias);
}

/* nn_small_tn_dact: D = (A^T B) * g against nn_small_tn then the model's
 * row_backward (g = z > 0 ? 1 : neg, or the kept gk), bit for bit, with
 * special values in z and gk. */
static void one_dact(int m, int n, int k, int pad, int kept, long *checked)
{
    int lda = m + pad, ldb = n + pad, ldc = n + pad;
    const nn_real one = 1, neg = kept ? 0 : (nn_real)(m % 2 ? 0 : 0.01);
    nn_real *A = malloc(sizeof(nn_real) * (size_t)k * lda);
    nn_real *B = malloc(sizeof(nn_real) * (size_t)k * ldb);
    nn_real *P = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *G = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *D = malloc(sizeof(nn_real) * (size_t)m * ldc);
    for (int q = 0; q < k * lda; q++)
        A[q] = urand();
    for (int q = 0; q < k * ldb; q++)
        B[q] = q % 29 == 5 ? INFINITY : urand();
    for (int q = 0; q < m * ldc; q++) {
        G[q] = special(q);
        D[q] = (nn_real)12345;
    }
    nn_small_tn(m, n, k, A, lda, B, ldb, P, ldc);
    nn_small_tn_dact(m, n, k, A, lda, B, ldb, kept ? NULL : G, kept ? G : NULL, neg, D, ldc);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            size_t q = (size_t)i * ldc + j;
            nn_real g = kept ? G[q] : (G[q] > 0 ? one : neg), d = P[q] * g;
            /* when both factors are NaN, C leaves open which one's sign and payload the
             * product has (and compilers order the operands either way) */
            int both_nan = isnan(P[q]) && isnan(g) && isnan(D[q]);
            if (!same_bits(D[q], d) && !both_nan)
                fail_msg("tn_dact %s %dx%dx%d [%d,%d]: %.17g, the formula gives %.17g",
                         kept ? "kept" : "sign", m, n, k, i, j, (double)D[q], (double)d);
            ++*checked;
        }
        for (int j = n; j < ldc; j++)
            if (D[(size_t)i * ldc + j] != (nn_real)12345)
                fail_msg("tn_dact %dx%dx%d: wrote past column %d", m, n, k, n);
    }
    free(A);
    free(B);
    free(P);
    free(G);
    free(D);
}

/* nn_small_nt_rowsum: C equal to nn_small_nt's, s to the documented lane
 * order of the row sums, bit for bit. */
static void one_ntsum(int m, int n, int k, int pad, long *checked)
{
    int lda = k + pad, ldb = k + pad, ldc = n + pad;
    nn_real *A = malloc(sizeof(nn_real) * (size_t)m * lda);
    nn_real *B = malloc(sizeof(nn_real) * (size_t)n * ldb);
    nn_real *C = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *R = malloc(sizeof(nn_real) * (size_t)m * ldc);
    nn_real *sm = malloc(sizeof(nn_real) * (size_t)m);
    for (int q = 0; q < m * lda; q++)
        A[q] = urand();
    for (int q = 0; q < n * ldb; q++)
        B[q] = urand();
    nn_small_nt(m, n, k, A, lda, B, ldb, R, ldc);
    nn_small_nt_rowsum(m, n, k, A, lda, B, ldb, C, ldc, sm);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++)
            if (!same_bits(C[(size_t)i * ldc + j], R[(size_t)i * ldc + j]))
                fail_msg("nt_rowsum %dx%dx%d [%d,%d]: not nn_small_nt's product", m, n, k, i, j);
        nn_real v = lane_rowsum(A + (size_t)i * lda, k);
        if (!same_bits(sm[i], v))
            fail_msg("nt_rowsum %dx%dx%d row %d: sum %.17g, the documented order gives %.17g", m,
                     n, k, i, (double)sm[i], (double)v);
        ++*checked;
    }
    free(A);
    free(B);
    free(C);
    free(R);
    free(sm);
}

static void test_fused(void **state)
{
    (void)state;
    long act = 0, dact = 0, sums = 0;
    for (int m = 1; m <= MAX_ROWS; m++)
        for (int n = 1; n <= 41; n += (n < 18 ? 1 : 7))
            for (int k = 1; k <= 37; k += (k < 10 ? 1 : 9)) {
                int pad = (m + n + k) % 3;
                one_act(m, n, k, pad, 0, &act);
                one_act(m, n, k, pad, 1, &act);
                one_dact(m, n, k, pad, 0, &dact);
                one_dact(m, n, k, pad, 1, &dact);
                one_ntsum(m, n, k, pad, &sums);
            }
    /* the notebooks' nets: 2-10-5-1 and 2-20-3-1 on 300 and 200 points */
    one_act(10, 300, 2, 0, 0, &act);
    one_act(5, 300, 10, 0, 1, &act);
    one_act(20, 200, 2, 0, 0, &act);
    one_dact(10, 300, 5, 0, 0, &dact);
    one_dact(5, 300, 1, 0, 1, &dact);
    one_dact(3, 200, 1, 0, 0, &dact);
    one_ntsum(10, 2, 300, 0, &sums);
    one_ntsum(5, 10, 300, 0, &sums);
    one_ntsum(1, 5, 300, 0, &sums);
    one_ntsum(3, 20, 200, 0, &sums);
    printf("fused: %ld forward, %ld backward elements and %ld row sums identical to the product "
           "and then the formulas\n", act, dact, sums);
}

/* The fused products themselves against long double: the forward's Z minus
 * its bias (exact: the bias is 0 here) and the backward with g = 1. */
static void test_fused_accuracy(void **state)
{
    (void)state;
    int m = 10, n = 300, k = 37;
    nn_real *A = malloc(sizeof(nn_real) * (size_t)m * k), *B = malloc(sizeof(nn_real) * (size_t)k * n);
    nn_real *Z = malloc(sizeof(nn_real) * (size_t)m * n), *Ac = malloc(sizeof(nn_real) * (size_t)m * n);
    nn_real *D = malloc(sizeof(nn_real) * (size_t)m * n), *ones = malloc(sizeof(nn_real) * (size_t)m * n);
    nn_real bias[10] = {0};
    for (int q = 0; q < m * k; q++)
        A[q] = urand();
    for (int q = 0; q < k * n; q++)
        B[q] = urand();
    for (int q = 0; q < m * n; q++)
        ones[q] = 1;
    nn_small_nn_act(m, n, k, A, k, B, n, bias, 0, 0, Z, Ac, n);
    /* the backward one reads the same values as A (k, m): D = A^T B, g = 1 */
    nn_small_tn_dact(m, n, k, A, m, B, n, NULL, ones, 0, D, n);
    double worst = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            long double ex = 0, mag = 0, ext = 0, magt = 0;
            for (int p = 0; p < k; p++) {
                long double x = (long double)A[i * k + p] * B[p * n + j];
                long double y = (long double)A[p * m + i] * B[p * n + j];
                ex += x, mag += fabsl(x), ext += y, magt += fabsl(y);
            }
            double e = fabs((double)((long double)Z[i * n + j] - ex)) / (double)(k * EPS * mag);
            double et = fabs((double)((long double)D[i * n + j] - ext)) / (double)(k * EPS * magt);
            worst = fmax(worst, fmax(e, et));
            if (!same_bits(Ac[i * n + j], Z[i * n + j] > 0 ? Z[i * n + j] : 0))
                fail_msg("relu of Z at [%d,%d]", i, j);
        }
    printf("fused products: largest error %.3g of the bound k*eps*sum|ab|\n", worst);
    assert_true(worst <= 1.0);
    free(A);
    free(B);
    free(Z);
    free(Ac);
    free(D);
    free(ones);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn),      cmocka_unit_test(test_tn),
        cmocka_unit_test(test_nt),      cmocka_unit_test(test_rowsum),
        cmocka_unit_test(test_nonfinite), cmocka_unit_test(test_fused),
        cmocka_unit_test(test_fused_accuracy),
    };
    /* both paths against the same documented orders: the AVX2 code, then
     * (where the build has it and the CPU runs it) the 512-bit one */
    nn_small_gemm_set_wide(0);
    printf("the AVX2 products\n");
    int failed = cmocka_run_group_tests_name("avx2", tests, NULL, NULL);
    nn_small_gemm_set_wide(1);
    if (!nn_small_gemm_wide()) {
        printf("the 512-bit products: not tested (%s)\n",
               NN_SMALL_WIDE ? "this CPU has no AVX-512F and VL" : "not in this build");
        return failed;
    }
    printf("the 512-bit products\n");
    return failed + cmocka_run_group_tests_name("avx512", tests, NULL, NULL);
}
#endif
