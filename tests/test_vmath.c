/* test_vmath.c: the vector log1p (core/engine/vmath.h: libmvec's or libm's),
 * nnlab's own exp and log1p on [0, 1], and the sigmoid output's loss and
 * gradient they serve (core/engine/model.c) against
 * correctly rounded references (tests/gen_vmath_reference.py, mpmath). */
#include "testutil.h"

#include <float.h>

#include "model.h"
#include "vmath.h"

#define REF NN_TEST_DATA "/vmath_reference.txt"

/* Distance in units in the last place of want (subnormal spacing below). */
static double ulps(double got, double want)
{
    if (got == want)
        return 0;
    double u = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / u;
}

typedef void (*array_fn)(const double *x, double *y, long n);

/* f over the record args in [lo, hi] against the record want: every value
 * within max_ulp of the correctly rounded one (glibc documents its vector
 * functions within a few ulps, the scalar ones within 1; infinities and
 * zeros exactly), also the same bits in place, alone (a padded tail) and at
 * every lane of a vector as in the whole-array call. */
static void check_fn(const char *name, array_fn f, const char *args, const char *ref, double lo,
                     double hi, double max_ulp)
{
    double *x, *want;
    size_t all = tu_record(REF, args, &x), n = 0;
    assert_int_equal(tu_record(REF, ref, &want), all);
    for (size_t i = 0; i < all; i++)
        if (x[i] >= lo && x[i] <= hi) {
            x[n] = x[i];
            want[n++] = want[i];
        }
    double *got = malloc(n * sizeof *got);
    f(x, got, (long)n);
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double u = isinf(want[i]) || want[i] == 0 ? (got[i] == want[i] ? 0 : INFINITY) : ulps(got[i], want[i]);
        if (!(u <= worst))
            worst = u, at = i;
    }
    printf("  %s %s: %zu values, largest difference %.1f ulp at [%zu] %s(%.17g) = %.17g, want %.17g\n",
           f == nn_log1p_unit_array || f == nn_exp_array ? "nnlab's" : nn_vmath_impl(), name, n, worst, at, name, x[at],
           got[at], want[at]);
    assert_true(worst <= max_ulp);
    for (size_t i = 0; i < n; i++) {
        double one, five[5] = {x[i], x[i], x[i], x[i], x[i]}, out5[5];
        f(x + i, &one, 1);
        f(five, out5, 5);
        for (int k = 0; k < 5; k++)
            if (memcmp(&out5[k], &got[i], sizeof(double)) != 0 || memcmp(&one, &got[i], sizeof one) != 0)
                fail_msg("%s(%.17g): %.17g alone, %.17g at lane %d, %.17g in the array", name, x[i], one,
                         out5[k], k, got[i]);
    }
    double *inplace = malloc(n * sizeof *inplace);
    memcpy(inplace, x, n * sizeof *inplace);
    f(inplace, inplace, (long)n);
    assert_memory_equal(inplace, got, n * sizeof *got);
    free(x), free(want), free(got), free(inplace);
}

static void test_log1p(void **s) { check_fn("log1p", nn_log1p_array, "x", "log1p", -1, INFINITY, 4); }

/* 1 where long double is finer than double (not under Valgrind, which
 * computes it in double: the dense checks below need it) */
static int long_double_finer(const char *what)
{
    volatile long double ld_one = 1, ld_tiny = 0x1p-60L;
    if (ld_one + ld_tiny != ld_one)
        return 1;
    printf("  %s: long double has no more precision than double here (as under Valgrind): the "
           "3 million arguments not checked\n", what);
    return 0;
}

/* f (nnlab's own) on the n arguments a: within 1 ulp of ref (the x87 long
 * double function, itself within an ulp of long double, 2^11 times finer),
 * the same bits alone as in the array and with the AVX-512 code off as on. */
static void check_dense(const char *name, array_fn f, long double (*ref)(long double),
                        const double *a, long n)
{
    double *got = malloc((size_t)n * sizeof *got), *narrow = malloc((size_t)n * sizeof *narrow);
    f(a, got, n);
    int was = nn_vmath_set_wide(0);
    f(a, narrow, n);
    nn_vmath_set_wide(was);
    long differ = 0;
    for (long i = 0; i < n; i++)
        differ += memcmp(&narrow[i], &got[i], sizeof(double)) != 0;
    if (differ)
        fail_msg("own %s: %ld of %ld values differ between the AVX-512 and AVX2 code", name, differ, n);
    double worst = 0, wx = 0;
    long rounded = 0;
    for (long i = 0; i < n; i++) {
        long double w = ref((long double)a[i]);
        double wd = (double)w, ulp = nextafter(fabs(wd), INFINITY) - fabs(wd);
        if (wd != 0 && fabs(wd) < DBL_MIN)
            ulp = 0x1p-1074; /* the subnormal spacing */
        double e = wd == 0 || isinf(wd) ? (got[i] == wd ? 0 : INFINITY)
                                        : (double)(fabsl((long double)got[i] - w) / (long double)ulp);
        if (!(e <= worst))
            worst = e, wx = a[i];
        rounded += got[i] == wd;
        if (i % 1000 == 0) {
            double one;
            f(a + i, &one, 1);
            if (memcmp(&one, &got[i], sizeof one) != 0)
                fail_msg("%s(%.17g): %.17g alone, %.17g in the array", name, a[i], one, got[i]);
        }
    }
    printf("  own %s: %ld values, largest difference %.3f ulp at %s(%.17g) (long double "
           "reference), %.1f%% correctly rounded\n", name, n, worst, name, wx, 100.0 * rounded / n);
    assert_true(worst <= 1);
    free(got), free(narrow);
}

/* nnlab's own log1p on [0, 1] (the loss's log1p(exp(-|z|))): the
 * reference's arguments there within 1 ulp of mpmath's correctly rounded
 * values, 0 and NaN exactly; and 3 million arguments (uniform on [0, 1],
 * exp(-40 u) and 2^-e u, the sigmoid's own spread) by check_dense. */
static void test_log1p_unit(void **s)
{
    check_fn("log1p on [0, 1]", nn_log1p_unit_array, "x", "log1p", 0, 1, 1);
    double x[3] = {0, NAN, -0.0}, y[3];
    nn_log1p_unit_array(x, y, 3);
    assert_true(y[0] == 0 && !signbit(y[0]) && isnan(y[1]) && y[2] == 0);
    if (!long_double_finer("own log1p on [0, 1]"))
        return;
    enum { N = 3000000 };
    double *a = malloc(N * sizeof *a);
    unsigned long long st = 88172645463325252ull;
    for (long i = 0; i < N; i++) {
        double u = 0.5 * (tu_uniform(&st) + 1); /* [0, 1) */
        a[i] = i % 3 == 0 ? u : i % 3 == 1 ? exp(-40 * u) : ldexp(u, -(int)(i % 60));
    }
    check_dense("log1p", nn_log1p_unit_array, log1pl, a, N);
    free(a);
}

/* nnlab's own exp: the reference's arguments (its whole range: overflow,
 * subnormal results, zero) within 1 ulp of mpmath's correctly rounded
 * values, infinities and zeros exactly; NaN, -inf, +inf; and 3 million
 * arguments (uniform on [-40, 40], the sigmoid's own range, on
 * [-745.2, 709.8] and tiny ones) by check_dense. */
static void test_exp(void **s)
{
    check_fn("exp", nn_exp_array, "ex", "exp", -INFINITY, INFINITY, 1);
    double x[5] = {NAN, -INFINITY, INFINITY, 1e300, -1e300}, y[5];
    nn_exp_array(x, y, 5);
    assert_true(isnan(y[0]) && y[1] == 0 && isinf(y[2]) && y[2] > 0 && isinf(y[3]) && y[4] == 0);
    if (!long_double_finer("own exp"))
        return;
    enum { N = 3000000 };
    double *a = malloc(N * sizeof *a);
    unsigned long long st = 1181783497276652981ull;
    for (long i = 0; i < N; i++) {
        double u = tu_uniform(&st); /* [-1, 1) */
        a[i] = i % 3 == 0 ? 40 * u : i % 3 == 1 ? 727.5 * u - 17.7 : ldexp(u, -(int)(i % 60));
    }
    check_dense("exp", nn_exp_array, expl, a, N);
    free(a);
}

/* A one-layer sigmoid model with W = 1 and b = 0, so that its pre-activations
 * are the reference's z: the summed loss within 1e-14 of the correctly
 * rounded sum, the gradient of the mean loss within 2e-15 of 1 / n (sigmoid(z)
 * - y cancels where the prediction is right: its error is one of 1 / n's
 * scale, not of the difference's), the same loss in
 * evaluation and in training and with the AVX-512 code off as on, and every
 * value finite at |z| = 800. */
static void test_sigmoid_loss(void **s)
{
    double *z, *y, *loss, *grad;
    size_t n = tu_record(REF, "z", &z);
    assert_int_equal(tu_record(REF, "y", &y), n);
    assert_int_equal(tu_record(REF, "grad", &grad), n);
    assert_int_equal(tu_record(REF, "loss", &loss), 1);
    nn_model_spec spec = {.n_layers = 1, .sizes = {1, 1}, .act = NN_ACT_RELU, .out = NN_OUT_SIGMOID,
                          .batch_cap = (long)n};
    nn_model m;
    nn_err err;
    assert_int_equal(nn_model_create(&m, &spec, &err), NN_OK);
    nn_model_W(&m, 0)[0] = 1;
    nn_model_b(&m, 0)[0] = 0;
    for (size_t j = 0; j < n; j++) {
        m.Xb[j] = (nn_real)z[j];
        m.yb[j] = y[j] != 0;
    }
    double eval = nn_model_forward(&m, (long)n, 0), train = nn_model_forward(&m, (long)n, 1);
    tu_compare("summed sigmoid loss", &eval, loss, 1, 1e-14, 1e-300);
    assert_true(memcmp(&eval, &train, sizeof eval) == 0);
    double *dz = malloc(n * sizeof *dz);
    for (size_t j = 0; j < n; j++)
        dz[j] = m.dZ[j];
    tu_compare("gradient (sigmoid(z) - y) / n", dz, grad, n, 2e-15, 1.0 / (double)n);
    /* the AVX-512 clone of the pass (where the CPU has it) and the other:
     * the same loss and gradient bit for bit */
    int was = nn_vmath_set_wide(0);
    double narrow = nn_model_forward(&m, (long)n, 1);
    nn_vmath_set_wide(was);
    assert_true(memcmp(&narrow, &train, sizeof narrow) == 0);
    for (size_t j = 0; j < n; j++)
        if (memcmp(&dz[j], &(double){m.dZ[j]}, sizeof(double)) != 0)
            fail_msg("gradient [%zu]: %.17g with the AVX-512 code, %.17g without", j, dz[j], (double)m.dZ[j]);
    free(dz);
    nn_model_free(&m);
    free(z), free(y), free(loss), free(grad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log1p),
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_log1p_unit),
        cmocka_unit_test(test_sigmoid_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
