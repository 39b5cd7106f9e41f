/* test_gradcheck_precision.c: the gradient checker's step and tolerance in
 * the build's type (gradcheck.h, check.h), in both builds:
 *  - a correct 4-6-5-3 tanh softmax net measures far below the tolerance
 *    nnlab check applies (NN_CHECK_GRAD_TOL: 1e-7 double, 1e-3 float);
 *  - the same gradient scaled by 1 + 4 tol fails it, so the tolerance still
 *    catches small errors (in float, 0.4% of the gradient);
 *  - on J = 1/2 sum theta^2, computed in double from the weights, the
 *    quotient must divide by the step actually taken: in float, theta +- eps
 *    round to floats up to half an ulp of theta away, and dividing by 2 eps
 *    instead would leave errors of about ulp / eps (6e-5 relative). */
#include "testutil.h"

#include "check.h"
#include "gradcheck.h"
#include "model.h"
#include "suite.h"

static const int sizes[] = {4, 6, 5, 3};
enum { MB = 5 };

static void scale_grad(void *ud, const nn_model *m, nn_real *g)
{
    double f = *(const double *)ud;
    for (size_t i = 0; i < m->n_params; i++)
        g[i] = (nn_real)(g[i] * f);
}

/* Each test gets the net with its batch (mb = MB) in *st. */
static int net_setup(void **st)
{
    static nn_model m;
    nn_err e;
    if (nn_chk_small_net(&m, NN_ACT_TANH, sizes, 3, MB, 4, &e) != NN_OK)
        return -1;
    *st = &m;
    return 0;
}

static int net_teardown(void **st)
{
    nn_model_free(*st);
    return 0;
}

static void test_small_net(void **st)
{
    nn_model *m = *st;
    nn_err e;
    nn_gc_result r;
    assert_int_equal(nn_gradcheck(m, MB, NULL, &r, &e), NN_OK);
    printf("  correct gradient, %zu-byte nn_real, eps %g: difference %.3e (tolerance %g)\n", sizeof(nn_real), r.eps,
           r.diff, NN_CHECK_GRAD_TOL);
    nn_gc_print_tensors(stdout, &r, "    ");
    assert_true(r.eps == NN_GC_DEFAULT_EPS);
    assert_int_equal(r.checked, m->n_params);
    assert_true(r.diff < NN_CHECK_GRAD_TOL / 4);

    double f = 1 + 4 * NN_CHECK_GRAD_TOL;
    nn_gc_opts o = {.corrupt = scale_grad, .ud = &f};
    assert_int_equal(nn_gradcheck(m, MB, &o, &r, &e), NN_OK);
    printf("  gradient scaled by 1 + %g: difference %.3e\n", 4 * NN_CHECK_GRAD_TOL, r.diff);
    assert_true(r.diff > NN_CHECK_GRAD_TOL);
}

static double half_square(void *ud, const nn_model *m, long mb)
{
    (void)ud;
    (void)mb;
    double s = 0;
    for (size_t i = 0; i < m->n_params; i++)
        s += 0.5 * (double)m->theta[i] * (double)m->theta[i];
    return s;
}

static void gradient_is_theta(void *ud, const nn_model *m, nn_real *g)
{
    (void)ud;
    memcpy(g, m->theta, m->n_params * sizeof(nn_real));
}

static void test_step_actually_taken(void **st)
{
    nn_model *m = *st;
    nn_err e;
    nn_gc_result r;
    nn_gc_opts o = {.loss = half_square, .corrupt = gradient_is_theta};
    assert_int_equal(nn_gradcheck(m, MB, &o, &r, &e), NN_OK);
    printf("  J = 1/2 |theta|^2 (%zu weights), eps %g: difference %.3e\n", m->n_params, r.eps, r.diff);
    nn_gc_print_tensors(stdout, &r, "    ");
    assert_int_equal(r.checked, m->n_params);
    assert_true(r.diff < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_small_net, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(test_step_actually_taken, net_setup, net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
