/* test_vmath.c: the loss's vector log1p (core/engine/vmath.h) and the sigmoid
 * output's loss and gradient it serves (core/engine/model.c) against
 * correctly rounded references (tests/gen_vmath_reference.py, mpmath). */
#include "testutil.h"

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

/* Every argument, also at every position of a vector and in a short tail:
 * within 4 ulps of the correctly rounded log1p (glibc documents its vector
 * log1p within a few ulps; the C library's within 1), and the same value at
 * every position. */
static void test_log1p(void **s)
{
    double *x, *want;
    size_t n = tu_record(REF, "x", &x);
    assert_int_equal(tu_record(REF, "log1p", &want), n);
    double *got = malloc(n * sizeof *got);
    nn_log1p_array(x, got, (long)n);
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double u = ulps(got[i], want[i]);
        if (!(u <= worst))
            worst = u, at = i;
    }
    printf("  %s: %zu values, largest difference %.1f ulp at [%zu] log1p(%.17g) = %.17g, want %.17g\n",
           nn_log1p_array_impl(), n, worst, at, x[at], got[at], want[at]);
    assert_true(worst <= 4);
    /* position independence: each value alone (a padded tail) and at each
     * lane of a vector of copies gives the bits of the whole-array call */
    for (size_t i = 0; i < n; i++) {
        double one, four[5] = {x[i], x[i], x[i], x[i], x[i]}, out4[5];
        nn_log1p_array(x + i, &one, 1);
        nn_log1p_array(four, out4, 5);
        for (int k = 0; k < 5; k++)
            if (memcmp(&out4[k], &got[i], sizeof(double)) != 0 || memcmp(&one, &got[i], sizeof one) != 0)
                fail_msg("log1p(%.17g): %.17g alone, %.17g at lane %d, %.17g in the array", x[i], one,
                         out4[k], k, got[i]);
    }
    /* in place */
    memcpy(got, x, n * sizeof *got);
    nn_log1p_array(got, got, (long)n);
    for (size_t i = 0; i < n; i++)
        assert_true(ulps(got[i], want[i]) <= 4);
    free(x), free(want), free(got);
}

/* A one-layer sigmoid model with W = 1 and b = 0, so that its pre-activations
 * are the reference's z: the summed loss within 1e-14 of the correctly
 * rounded sum, the gradient of the mean loss within 1e-15 of 1 / n (sigmoid(z)
 * - y cancels where the prediction is right: its error is one of 1 / n's
 * scale, not of the difference's), the same loss in
 * evaluation and in training, and every value finite at |z| = 800. */
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
    tu_compare("gradient (sigmoid(z) - y) / n", dz, grad, n, 1e-15, 1.0 / (double)n);
    free(dz);
    nn_model_free(&m);
    free(z), free(y), free(loss), free(grad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log1p),
        cmocka_unit_test(test_sigmoid_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
