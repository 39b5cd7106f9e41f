/* test_packgemm.c: the model's packed products for large layers (core/engine/
 * packgemm_avx512.c) in the three forms the model uses (C = A B, A^T B,
 * A B^T), on the edges of their blocking (1..41 rows around the 8-row
 * block and the 16 rows up to which op(B) is read in place, columns around the panel width,
 * its vectors and the column block, terms around
 * the 256-term k block, leading dimensions wider than the matrices) and the
 * shapes of the 154-512-512-10 net at batch 500:
 * - against the order packgemm.h documents, computed here by a scalar fma()
 *   chain per element (for A B^T with fewer than 16 rows, lane partial
 *   sums): equal bit for bit (the largest difference and where are
 *   printed);
 * - against the product in long double: within k * eps * sum |a||b|;
 * - the same bits with 1, 2 and 3 threads (the column split), also in a
 *   fork()ed child of a process whose workers run;
 * - a NaN in op(A) makes its row of C NaN, an infinity in op(B) its column
 *   infinite (but on the NaN row);
 * - nothing written outside C's m x n (the padding of ldc stays);
 * - k = 0 gives zeros;
 * - the hidden layers' elementwise passes done at the store (ReLU, leaky
 *   ReLU, their derivatives and a kept one): the same bits as the product
 *   followed by the model's separate passes;
 * - op(A)'s row sums read with its packing (the bias gradient): those of
 *   model.c's row_sums, bit for bit, the product unchanged.
 * Skipped (77) in a build without the path or on a CPU without AVX-512F. */
#include "testutil.h"

#include <sys/wait.h>

#include <cblas.h>
#include <float.h>

#include "packgemm.h"

#if !NN_PACK_GEMM
int main(void)
{
    printf("SKIPPED: this build has no AVX-512 product path\n");
    return 77;
}
#else

#if defined(NN_REAL_IS_FLOAT)
#define EPS FLT_EPSILON
#define SFMA fmaf
#else
#define EPS DBL_EPSILON
#define SFMA fma
#endif

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;
static nn_real urand(void) { return (nn_real)tu_uniform(&rng_state); }

static nn_real opa(int ta, const nn_real *A, int lda, int i, int p)
{
    return ta ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
}
static nn_real opb(int tb, const nn_real *B, int ldb, int p, int j)
{
    return tb ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
}

/* packgemm.h's order for the few-row C = A B^T: lane partial sums, the
 * upper half of the lanes added onto the lower until one is left, then the
 * tail in order. */
static nn_real dot_order(const nn_real *a, const nn_real *b, int k)
{
    enum { L = 64 / sizeof(nn_real) };
    nn_real s[L];
    int kv = k - k % L;
    for (int l = 0; l < L; l++) {
        s[l] = 0;
        for (int p = l; p < kv; p += L)
            s[l] = SFMA(a[p], b[p], s[l]);
    }
    for (int h = L / 2; h >= 1; h /= 2)
        for (int l = 0; l < h; l++)
            s[l] = s[l] + s[l + h];
    nn_real v = s[0];
    for (int p = kv; p < k; p++)
        v = SFMA(a[p], b[p], v);
    return v;
}

static int failures;
static double worst_bound_ratio;

static const nn_real PAD = (nn_real)12345.0;

/* One product: checks it as the header above says; returns 0 when it passes. */
static int check(int ta, int tb, int m, int n, int k, int extra, int special)
{
    int lda = (ta ? m : k) + extra, ldb = (tb ? k : n) + extra, ldc = n + extra;
    size_t na = (size_t)(ta ? k : m) * (size_t)(lda > 0 ? lda : 1) + 1;
    size_t nb = (size_t)(tb ? n : k) * (size_t)(ldb > 0 ? ldb : 1) + 1;
    size_t nc = (size_t)m * (size_t)ldc;
    nn_real *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    nn_real *C = malloc(nc * sizeof *C), *C2 = malloc(nc * sizeof *C);
    for (size_t i = 0; i < na; i++)
        A[i] = urand();
    for (size_t i = 0; i < nb; i++)
        B[i] = urand();
    /* a NaN in op(A)'s row 3 and an infinity in op(B)'s column 5 */
    int nan_row = 3, inf_col = n > 5 ? 5 : n - 1;
    if (special && k > 2) {
        A[ta ? (size_t)1 * lda + nan_row : (size_t)nan_row * lda + 1] = (nn_real)NAN;
        B[tb ? (size_t)inf_col * ldb + 2 : (size_t)2 * ldb + inf_col] = (nn_real)INFINITY;
    }
    int bad = 0;
    double maxdiff = 0;
    long where = -1;
    for (int threads = 1; threads <= 3; threads++) {
        for (size_t i = 0; i < nc; i++)
            C[i] = PAD;
        openblas_set_num_threads(threads);
        nn_pack_gemm(ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
        if (threads == 1)
            memcpy(C2, C, nc * sizeof *C);
        else if (memcmp(C, C2, nc * sizeof *C) != 0) {
            printf("FAIL %c%c %dx%dx%d: %d threads differ from one\n", ta ? 'T' : 'N',
                   tb ? 'T' : 'N', m, n, k, threads);
            bad = 1;
        }
    }
    openblas_set_num_threads(1);
    for (int i = 0; i < m && !bad; i++) {
        for (int j = 0; j < ldc; j++) {
            nn_real got = C[(size_t)i * ldc + j];
            if (j >= n) {
                if (got != PAD) {
                    printf("FAIL %dx%dx%d: wrote C[%d][%d] past column %d\n", m, n, k, i, j, n);
                    bad = 1;
                }
                continue;
            }
            nn_real acc = 0;
            long double exact = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                nn_real a = opa(ta, A, lda, i, p), b = opb(tb, B, ldb, p, j);
                acc = SFMA(a, b, acc);
                exact += (long double)a * b;
                mag += fabsl((long double)a * b);
            }
            if (!ta && tb && m < NN_PACK_DOT_ROWS)
                acc = dot_order(A + (size_t)i * lda, B + (size_t)j * ldb, k);
            int in_nan_row = special && k > 2 && i == nan_row;
            int in_inf_col = special && k > 2 && j == inf_col;
            if (in_nan_row && !isnan(got)) {
                printf("FAIL %dx%dx%d: C[%d][%d] = %g, NaN expected\n", m, n, k, i, j,
                       (double)got);
                bad = 1;
            }
            if (in_nan_row)
                continue;
            if (in_inf_col && !isinf(got)) {
                printf("FAIL %dx%dx%d: C[%d][%d] = %g, an infinity expected\n", m, n, k, i, j,
                       (double)got);
                bad = 1;
            }
            if (memcmp(&got, &acc, sizeof got) != 0) {
                double d = fabs((double)got - (double)acc);
                if (d >= maxdiff) {
                    maxdiff = d;
                    where = (long)i * n + j;
                }
                bad = 1;
            }
            if (in_inf_col)
                continue;
            double bound = (double)k * EPS * (double)mag + 1e-300;
            double ratio = fabs((double)((long double)got - exact)) / bound;
            if (ratio > worst_bound_ratio)
                worst_bound_ratio = ratio;
            if (ratio > 1) {
                printf("FAIL %dx%dx%d: C[%d][%d] off the exact product by %.3g bounds\n", m, n,
                       k, i, j, ratio);
                bad = 1;
            }
        }
    }
    if (where >= 0)
        printf("FAIL %c%c %dx%dx%d (ld +%d): not the documented chain, largest difference "
               "%.3g at C[%ld][%ld]\n",
               ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, extra, maxdiff, where / n, where % n);
    free(A);
    free(B);
    free(C);
    free(C2);
    failures += bad;
    return bad;
}

/* The epilogues against the plain product followed by the model's separate
 * passes (model.c's row_relu, row_leaky, row_backward), element by element:
 * equal bit for bit, with zeros of both signs, NaNs and infinities among
 * the pre-activations and the kept derivatives. */
static void check_epilogues(int ta, int m, int n, int k, int threads)
{
    int ldc = n + 3;
    size_t nc = (size_t)m * (size_t)ldc;
    nn_real *A = malloc((size_t)m * k * sizeof *A), *B = malloc((size_t)k * n * sizeof *B);
    nn_real *P = malloc(nc * sizeof *P), *C = malloc(nc * sizeof *C), *act = malloc(nc * sizeof *C);
    nn_real *g = malloc(nc * sizeof *g), *bias = malloc((size_t)m * sizeof *bias);
    for (size_t i = 0; i < (size_t)m * k; i++)
        A[i] = urand();
    for (size_t i = 0; i < (size_t)k * n; i++)
        B[i] = urand();
    /* biases of both zeros, NaN and infinities, so that some pre-activations are */
    static const nn_real odd_bias[] = {0, -0.0, NAN, INFINITY, -INFINITY};
    for (int i = 0; i < m; i++)
        bias[i] = i % 7 == 0 ? odd_bias[(i / 7) % 5] : urand();
    static const nn_real odd[] = {0, -0.0, NAN, INFINITY, -INFINITY, 1e-30};
    for (size_t i = 0; i < nc; i++)
        g[i] = i % 11 == 0 ? odd[(i / 11) % 6] : urand();
    openblas_set_num_threads(threads);
    int lda = ta ? m : k;
    nn_pack_gemm(ta, 0, m, n, k, A, lda, B, n, P, ldc);
    const nn_real one = 1, slope = (nn_real)0.01;
    for (int kind = NN_PACK_RELU; kind <= NN_PACK_DKEPT; kind++) {
        nn_pack_epilogue e = {.kind = kind, .bias = bias, .act = act, .g = g, .slope = slope};
        nn_pack_gemm_ep(ta, 0, m, n, k, A, lda, B, n, C, ldc, &e);
        long bad = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                size_t o = (size_t)i * ldc + j;
                nn_real z = P[o], a = 0, want = z;
                if (kind == NN_PACK_RELU || kind == NN_PACK_LEAKY) {
                    nn_real v = z + bias[i], w = slope * v;
                    want = v;
                    a = kind == NN_PACK_RELU ? (v > 0 ? v : 0) : (v > 0 ? v : w);
                } else if (kind == NN_PACK_DSIGN) {
                    nn_real gg = g[o] > 0 ? one : slope;
                    want = z * gg;
                } else
                    want = z * g[o];
                int same = memcmp(&want, &C[o], sizeof want) == 0 || (isnan(want) && isnan(C[o]));
                if (kind <= NN_PACK_LEAKY)
                    same = same && memcmp(&a, &act[o], sizeof a) == 0;
                if (!same && bad++ == 0)
                    printf("FAIL epilogue %d, %dx%dx%d, C[%d][%d]: %a, separate pass %a\n", kind,
                           m, n, k, i, j, (double)C[o], (double)want);
            }
        failures += bad != 0;
    }
    openblas_set_num_threads(1);
    free(A);
    free(B);
    free(P);
    free(C);
    free(act);
    free(g);
    free(bias);
}

/* The row sums read with the packing of op(A) (a weight gradient's bias
 * gradient): each row of op(A) summed in column order from 0 in double, as
 * model.c's row_sums; bit for bit, on 1 to 3 threads, with the product
 * unchanged. */
static void check_rowsums(int ta, int m, int n, int k)
{
    int lda = ta ? m : k;
    nn_real *A = malloc((size_t)m * k * sizeof *A), *B = malloc((size_t)n * k * sizeof *B);
    nn_real *C = malloc((size_t)m * n * sizeof *C), *P = malloc((size_t)m * n * sizeof *P);
    nn_real *sum = malloc((size_t)m * sizeof *sum);
    for (size_t i = 0; i < (size_t)m * k; i++)
        A[i] = urand();
    for (size_t i = 0; i < (size_t)n * k; i++)
        B[i] = urand();
    openblas_set_num_threads(1);
    nn_pack_gemm(ta, 1, m, n, k, A, lda, B, k, P, n);
    for (int threads = 1; threads <= 3; threads++) {
        openblas_set_num_threads(threads);
        for (int i = 0; i < m; i++)
            sum[i] = PAD;
        nn_pack_epilogue e = {.rowsum = sum};
        nn_pack_gemm_ep(ta, 1, m, n, k, A, lda, B, k, C, n, &e);
        long bad = memcmp(C, P, (size_t)m * n * sizeof *C) != 0;
        if (bad)
            printf("FAIL rowsum %dx%dx%d, %d threads: the product changed\n", m, n, k, threads);
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int p = 0; p < k; p++)
                acc += ta ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
            nn_real want = (nn_real)acc;
            if (memcmp(&want, &sum[i], sizeof want) != 0) {
                if (!bad)
                    printf("FAIL rowsum %dx%dx%d, %d threads: row %d sums to %a, not %a\n", m, n,
                           k, threads, i, (double)sum[i], (double)want);
                bad = 1;
            }
        }
        failures += bad != 0;
    }
    openblas_set_num_threads(1);
    free(A);
    free(B);
    free(C);
    free(P);
    free(sum);
}

int main(void)
{
    if (!nn_pack_gemm_available()) {
        printf("SKIPPED: this CPU has no AVX-512F\n");
        return 77;
    }
    int n_checked = 0;
    static const int rows[] = {1, 9, 16, 17, 23, 24, 41};
    /* last panels of 1, 23, 5 and 7 columns, and on both sides of the
     * two-vector one (a panel is three vectors of NN_PACK_NR / 3) */
    enum { VEC = NN_PACK_NR / 3 };
    static const int cols[] = {NN_PACK_NR, NN_PACK_NR + 1, 2 * NN_PACK_NR - 1, 3 * NN_PACK_NR + 5,
                               NN_PACK_NC + 7, NN_PACK_NR + 2 * VEC, NN_PACK_NR + 2 * VEC + 1};
    static const int terms[] = {1, 7, 255, 256, 257, 513};
    for (int form = 0; form < 3; form++) {
        int ta = form == 1, tb = form == 2;
        for (size_t a = 0; a < sizeof rows / sizeof *rows; a++)
            for (size_t b = 0; b < sizeof cols / sizeof *cols; b++)
                for (size_t c = 0; c < sizeof terms / sizeof *terms; c++) {
                    /* the large column count with the long sums only once */
                    if (cols[b] > NN_PACK_NC && terms[c] > 257 && a)
                        continue;
                    check(ta, tb, rows[a], cols[b], terms[c], (int)((a + b + c) % 3) * 5,
                          (a == 2 || a == 5) && c == 3);
                    n_checked++;
                }
    }
    /* the direct path's two row blocks run together (9 to 12 rows: 9 is in
     * rows above), each instance on every last-panel width */
    for (int m = 10; m <= 12; m++)
        for (size_t b = 0; b < sizeof cols / sizeof *cols; b++) {
            check(0, 0, m, cols[b], 257, (int)b % 3 * 5, 0);
            check(0, 0, m, cols[b], 7, 1, 0);
            n_checked += 2;
        }
    /* the 154-512-512-10 net at batch 500 (forward, weight and input gradients) */
    check(0, 0, 512, 500, 154, 0, 0);
    check(0, 0, 512, 500, 512, 0, 1);
    check(0, 1, 512, 512, 500, 0, 0);
    check(0, 1, 512, 154, 500, 0, 0);
    check(1, 0, 512, 500, 512, 0, 0);
    check(1, 0, 512, 500, 10, 0, 0);
    check(0, 1, 10, 512, 500, 0, 1);
    check(0, 1, 10, 1063, 500, 0, 0); /* the dot products split over threads */
    n_checked += 8;
    check_rowsums(0, 512, 512, 500);
    check_rowsums(0, 41, NN_PACK_NC + 7, 513);
    check_rowsums(1, 17, 2 * NN_PACK_NR, 300);
    check_rowsums(0, NN_PACK_ROWSUM_MAX + 3, NN_PACK_NR, 9);
    check_epilogues(0, 41, 3 * NN_PACK_NR + 5, 300, 1);
    check_epilogues(0, 512, 500, 154, 2);
    check_epilogues(0, 9, NN_PACK_NR + 1, 7, 1);
    check_epilogues(0, 10, NN_PACK_NR + 2 * VEC + 1, 300, 1);
    check_epilogues(0, 11, 2 * NN_PACK_NR + 3, 7, 1);
    check_epilogues(0, 12, NN_PACK_NR, 257, 2);
    check_epilogues(1, 512, 500, 512, 2); /* the input gradient's form, A^T B */
    check_epilogues(1, 23, 2 * NN_PACK_NR + 3, 10, 1);
    /* a fork()ed child (a sweep worker) after the parent's workers started:
     * its products on 2 threads start workers of its own */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(60); /* a pool that waits for workers the child has not: killed */
        _exit(check(0, 0, 512, 500, 154, 0, 0) ? 1 : 0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        printf("FAIL: a product in a fork()ed child (status %d)\n", status);
        failures++;
    }
    /* an empty sum */
    {
        nn_real C[16 * 30];
        for (int i = 0; i < 16 * 30; i++)
            C[i] = PAD;
        nn_real A[1] = {1}, B[1] = {1};
        nn_pack_gemm(0, 0, 16, 30, 0, A, 1, B, 30, C, 30);
        for (int i = 0; i < 16 * 30; i++)
            if (C[i] != 0) {
                printf("FAIL: k = 0 left C[%d] = %g\n", i, (double)C[i]);
                failures++;
                break;
            }
    }
    printf("%d products checked: %s; largest error against the exact product %.3g of its "
           "bound\n",
           n_checked, failures ? "FAILED" : "every element the documented fma chain, the same "
                                            "bits on 1 to 3 threads",
           worst_bound_ratio);
    return failures ? 1 : 0;
}
#endif
