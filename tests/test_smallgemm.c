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
 * - a NaN or an infinity in an operand reaches its row and column of C.
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
static nn_real urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (nn_real)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

enum { NN, TN, NT };

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
    for (int m = 1; m <= 9; m++)
        for (int n = 1; n <= 41; n += (n < 18 ? 1 : 7))
            for (int k = 1; k <= 37; k += (k < 10 ? 1 : 9))
                one(kind, m, n, k, (m + n + k) % 3, &t);
    /* the notebooks' 2-10-5-1 net on 300 points: forward, input and weight gradients */
    static const int shapes[][4] = {{NN, 10, 300, 2}, {NN, 5, 300, 10}, {NN, 1, 300, 5},
                                    {TN, 10, 300, 5}, {TN, 5, 300, 1},  {NT, 10, 2, 300},
                                    {NT, 5, 10, 300}, {NT, 1, 5, 300},  {NT, 20, 3, 211}};
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

/* Row sums: the lane order, against long double, on every tail length. */
static void test_rowsum(void **state)
{
    (void)state;
    double worst = 0;
    for (int m = 1; m <= 9; m++)
        for (int k = 1; k <= 50; k++) {
            int lda = k + m % 3;
            nn_real *A = malloc(sizeof(nn_real) * (size_t)m * lda), s[9];
            for (int q = 0; q < m * lda; q++)
                A[q] = urand();
            nn_small_rowsum(m, k, A, lda, s);
            for (int i = 0; i < m; i++) {
                const nn_real *a = A + (size_t)i * lda;
                int kv = k - k % LANES;
                nn_real l[LANES];
                long double exact = 0, mag = 0;
                for (int p = 0; p < k; p++)
                    exact += a[p], mag += fabsl((long double)a[p]);
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
                if (s[i] != v)
                    fail_msg("rowsum %d x %d row %d: %.17g, the documented order gives %.17g", m,
                             k, i, (double)s[i], (double)v);
                double e = fabs((double)((long double)s[i] - exact)) / (double)(k * EPS * mag);
                worst = e > worst ? e : worst;
            }
            free(A);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn),      cmocka_unit_test(test_tn),
        cmocka_unit_test(test_nt),      cmocka_unit_test(test_rowsum),
        cmocka_unit_test(test_nonfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
