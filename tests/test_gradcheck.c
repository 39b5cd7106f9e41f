/* test_gradcheck.c: the core gradient checker.
 *  - the course notebook's N-parameter case (tests/data/gradcheck_case.txt,
 *    from tests/gen_gradcheck_case.py): our model and checker on the same
 *    X, Y and W1..b3 with the notebook's epsilon 1e-7 give ~1.19e-07 for the
 *    correct backward pass, and ~0.285 when the analytic gradient is
 *    corrupted exactly as the notebook's shipped backward_propagation_n
 *    (dW2 * 2, db1 with 4./m);
 *  - dropout-style hooks (streams frozen across the +/- evaluations),
 *    ReLU kinks (detected and skipped), weight penalties (included in J). */
#include "testutil.h"

#include "experiment.h"
#include "gradcheck.h"
#include "model.h"

#define CASE NN_TEST_DATA "/gradcheck_case.txt"

static void load_case(nn_model *m)
{
    nn_model_spec s = {.n_layers = 3, .sizes = {4, 5, 3, 1}, .act = NN_ACT_RELU,
                       .out = NN_OUT_SIGMOID, .batch_cap = 3};
    nn_err err;
    assert_int_equal(nn_model_create(m, &s, &err), NN_OK);
    static const char *const names[] = {"W1", "b1", "W2", "b2", "W3", "b3"};
    for (int t = 0; t < 6; t++) {
        double *v;
        size_t n = tu_record(CASE, names[t], &v);
        assert_int_equal(n, m->tensors[t].n);
        assert_string_equal(m->tensors[t].name, names[t]);
        memcpy(m->theta + m->tensors[t].off, v, n * sizeof(double));
        free(v);
    }
    double *X, *Y;
    assert_int_equal(tu_record(CASE, "X", &X), 12);
    assert_int_equal(tu_record(CASE, "Y", &Y), 3);
    memcpy(m->Xb, X, 12 * sizeof(double)); /* (features, examples), as the notebook's X */
    for (int j = 0; j < 3; j++)
        m->yb[j] = (int32_t)Y[j];
    free(X);
    free(Y);
}

static double record1(const char *name)
{
    double *v;
    tu_record(CASE, name, &v);
    double x = v[0];
    free(v);
    return x;
}

/* The notebook's shipped backward_propagation_n: dW2 = 1./m * dZ2 A1^T * 2 and
 * db1 = 4./m * sum(dZ1): W2's gradient doubled, b1's multiplied by 4. */
static void notebook_bugs(void *ud, const nn_model *m, nn_real *g)
{
    const nn_tensor *W2 = &m->tensors[2], *b1 = &m->tensors[1];
    for (size_t i = 0; i < W2->n; i++)
        g[W2->off + i] *= 2;
    for (size_t i = 0; i < b1->n; i++)
        g[b1->off + i] *= 4;
}

/* The notebook's forward_propagation_n cost from the output pre-activations:
 * 1/m sum(-log(A3) y - log(1 - A3) (1 - y)), A3 = 1 / (1 + exp(-Z3)). */
static double notebook_cost(void *ud, const nn_model *m, long mb)
{
    const nn_real *Z3 = m->Z[m->spec.n_layers - 1];
    double s = 0;
    for (long j = 0; j < mb; j++) {
        double a = 1 / (1 + exp(-Z3[j]));
        s += -log(a) * m->yb[j] + -log(1 - a) * (1 - m->yb[j]);
    }
    return 1. / (double)mb * s;
}

static void test_notebook_case(void **st)
{
    nn_model m;
    load_case(&m);
    /* Our analytic gradient is the notebook's (fixed) backprop vector. */
    double loss = nn_model_forward(&m, 3, 1) / 3;
    nn_model_backward(&m, 3, 1);
    double *want;
    assert_int_equal(tu_record(CASE, "grad_fixed", &want), m.n_params);
    tu_compare("analytic gradient vs notebook backprop", m.grad, want, m.n_params, 1e-12, 1e-9);
    free(want);
    double cost = record1("cost");
    printf("  cost %.17g (notebook %.17g)\n", loss, cost);
    assert_true(fabs(loss - cost) < 1e-12);

    nn_err err;
    nn_gc_result r;
    double ref = record1("difference_fixed"), rec = record1("recorded_fixed");
    nn_gc_opts o = {.eps = record1("epsilon"), .keep_kinks = 1};
    assert_int_equal(nn_gradcheck(&m, 3, &o, &r, &err), NN_OK);
    printf("  correct backward, our stable loss, eps 1e-7: difference %.6e (%zu kink crossings)\n", r.diff, r.kinks);
    nn_gc_print_tensors(stdout, &r, "    ");
    assert_int_equal(r.checked, 47);
    assert_int_equal(r.kinks, 0);
    assert_true(r.diff < 5e-9);

    /* The notebook's figure comes from its cost, -log(A3) y - log(1 - A3)(1 - y):
     * example 3 has y = 0 and z = 6.79, so 1 - A3 = 0.00113 keeps only about
     * 13 digits, and eps = 1e-7 divides that round-off by 2e-7. */
    o.loss = notebook_cost;
    assert_int_equal(nn_gradcheck(&m, 3, &o, &r, &err), NN_OK);
    printf("  correct backward, notebook's cost, eps 1e-7: difference %.6e (notebook %.6e, seed report %.6e)\n",
           r.diff, ref, rec);
    printf("  notebook's cost at the test case %.17g (recorded %.17g)\n", r.loss, cost);
    assert_true(fabs(r.loss - cost) < 1e-15);
    assert_true(r.diff > 1.0e-7 && r.diff < 1.4e-7);

    o.corrupt = notebook_bugs;
    double bref = record1("difference_buggy");
    assert_int_equal(nn_gradcheck(&m, 3, &o, &r, &err), NN_OK);
    printf("  notebook's buggy backward (dW2*2, db1 4./m), notebook's cost: difference %.12f (notebook %.12f)\n",
           r.diff, bref);
    nn_gc_print_tensors(stdout, &r, "    ");
    assert_true(fabs(r.diff - bref) < 1e-7);
    assert_true(r.t[2].diff > 0.3 && r.t[1].diff > 0.5 && r.t[0].diff < 1e-6);
    o.loss = NULL;
    assert_int_equal(nn_gradcheck(&m, 3, &o, &r, &err), NN_OK);
    printf("  notebook's buggy backward, our stable loss: difference %.12f\n", r.diff);
    assert_true(fabs(r.diff - bref) < 1e-7);

    /* The default step is well above the round-off floor. */
    nn_gc_opts d = {0};
    assert_int_equal(nn_gradcheck(&m, 3, &d, &r, &err), NN_OK);
    printf("  correct backward, default eps %g: difference %.3e\n", r.eps, r.diff);
    assert_true(r.diff < 1e-8);
    nn_model_free(&m);
}

/* ---- a dropout-like hook defined here: masks from the stream ---------------- */

static void drop_forward(const nn_value *hp, const nn_reg_act *a)
{
    size_t n = (size_t)a->units * (size_t)a->m;
    for (size_t i = 0; i < n; i++) {
        a->mask[i] = nn_rng_rand(a->rng) < 0.6 ? 1.0 / 0.6 : 0.0;
        a->a[i] *= a->mask[i];
    }
}

static void drop_backward(const nn_value *hp, const nn_reg_act *a)
{
    size_t n = (size_t)a->units * (size_t)a->m;
    for (size_t i = 0; i < n; i++)
        a->a[i] *= a->mask[i];
}

static const nn_reg_ops drop_ops = {NULL, NULL, drop_forward, drop_backward, NULL, NULL};

static void make_net(nn_model *m, nn_act act, long mb, uint32_t seed)
{
    nn_model_spec s = {.n_layers = 3, .sizes = {3, 6, 5, 4}, .act = act, .leaky_slope = 0.1,
                       .out = NN_OUT_SOFTMAX, .batch_cap = mb};
    nn_err err;
    assert_int_equal(nn_model_create(m, &s, &err), NN_OK);
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t i = 0; i < m->n_params; i++)
        m->theta[i] = nn_rng_randn(&r) * 0.7;
    for (long j = 0; j < mb; j++) {
        for (int f = 0; f < 3; f++)
            m->Xb[f * mb + j] = nn_rng_randn(&r);
        m->yb[j] = (int32_t)(nn_rng_u32(&r) % 4u);
    }
}

static void test_dropout_frozen(void **st)
{
    nn_model m;
    make_net(&m, NN_ACT_TANH, 6, 3);
    nn_rng stream;
    nn_rng_seed(&stream, 99);
    nn_err err;
    assert_int_equal(nn_model_add_hook(&m, &drop_ops, NULL, &stream, &err), NN_OK);
    nn_rng before = stream;
    nn_gc_result r;
    assert_int_equal(nn_gradcheck(&m, 6, NULL, &r, &err), NN_OK);
    printf("  dropout hook, masks frozen: difference %.3e\n", r.diff);
    assert_true(r.diff < 1e-8);
    assert_memory_equal(&before, &stream, sizeof stream); /* stream left as found */

    /* Without freezing, every evaluation would draw new masks: show the
     * checker would then be useless (what freezing prevents). */
    double eps = 1e-6, num2 = 0, den = 0;
    nn_model_forward(&m, 6, 1);
    nn_model_backward(&m, 6, 1);
    nn_real g0 = m.grad[0];
    nn_real keep = m.theta[0];
    m.theta[0] = keep + eps;
    double jp = nn_model_forward(&m, 6, 1) / 6;
    m.theta[0] = keep - eps;
    double jm = nn_model_forward(&m, 6, 1) / 6;
    m.theta[0] = keep;
    num2 = (jp - jm) / (2 * eps) - g0;
    den = fabs(g0) + fabs((jp - jm) / (2 * eps));
    printf("  same element with fresh masks each evaluation: difference %.3e\n", fabs(num2) / den);
    nn_model_free(&m);
}

static void test_relu_kinks(void **st)
{
    nn_model m;
    make_net(&m, NN_ACT_RELU, 5, 11);
    /* Put example 0's first hidden pre-activation 1e-9 above the kink. */
    nn_model_forward(&m, 5, 0);
    nn_real *b1 = nn_model_b(&m, 0);
    b1[0] -= m.Z[0][0] - 1e-9;
    nn_err err;
    nn_gc_result r;
    assert_int_equal(nn_gradcheck(&m, 5, NULL, &r, &err), NN_OK);
    printf("  relu, a pre-activation 1e-9 from the kink: difference %.3e, %zu elements skipped, margin %.1e\n",
           r.diff, r.kinks, r.kink_margin);
    nn_gc_print_tensors(stdout, &r, "    ");
    assert_true(r.kinks >= 1);
    assert_true(r.kink_margin < 1e-8);
    assert_true(r.diff < 1e-7);
    assert_int_equal(r.checked + r.kinks, m.n_params);
    nn_gc_opts keep = {.keep_kinks = 1};
    nn_gc_result r2;
    assert_int_equal(nn_gradcheck(&m, 5, &keep, &r2, &err), NN_OK);
    printf("  same, kink elements compared anyway: difference %.3e\n", r2.diff);
    assert_true(r2.diff > 10 * r.diff);
    /* tanh has no kink: nothing is skipped. */
    nn_model_free(&m);
    make_net(&m, NN_ACT_TANH, 5, 11);
    assert_int_equal(nn_gradcheck(&m, 5, NULL, &r, &err), NN_OK);
    assert_int_equal(r.kinks, 0);
    assert_int_equal(r.checked, m.n_params);
    nn_model_free(&m);
}

/* ---- weight penalties are part of J ----------------------------------------- */

static nn_real l2_penalty(const nn_value *hp, const nn_reg_tensor *t)
{
    size_t n = (size_t)t->rows * (size_t)t->cols;
    nn_real s = 0, k = hp[0].r / (nn_real)t->m;
    for (size_t i = 0; i < n; i++) {
        s += t->w[i] * t->w[i];
        t->grad[i] += k * t->w[i] * (hp[1].i ? 2 : 1);
    }
    return k / 2 * s;
}

static const nn_reg_ops l2_ops = {l2_penalty, NULL, NULL, NULL, NULL, NULL};
static const nn_param_decl l2_params[] = {
    {"lambda", NN_T_REAL, 0.5, NULL, 0, 10, NULL, "strength"},
    {"wrong", NN_T_BOOL, 0, NULL, 0, 1, NULL, "double the gradient"},
};
static const nn_plugin l2_desc = {NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "l2t", "test l2",
                                  2, l2_params, {.reg = &l2_ops}};

static void test_penalties(void **st)
{
    nn_model m;
    make_net(&m, NN_ACT_SIGMOID, 4, 21);
    static nn_section reg;
    reg.plugin.desc = &l2_desc;
    reg.values[0].r = 0.7;
    nn_gc_opts o = {.regs = &reg, .n_reg = 1};
    nn_err err;
    nn_gc_result r;
    assert_int_equal(nn_gradcheck(&m, 4, &o, &r, &err), NN_OK);
    printf("  with an L2 penalty: difference %.3e (J %.6f)\n", r.diff, r.loss);
    assert_true(r.diff < 1e-8);
    double J_pen = r.loss;
    assert_int_equal(nn_gradcheck(&m, 4, NULL, &r, &err), NN_OK);
    assert_true(J_pen > r.loss); /* the penalty is in J */
    reg.values[1].i = 1;
    assert_int_equal(nn_gradcheck(&m, 4, &o, &r, &err), NN_OK);
    printf("  with a penalty whose gradient is doubled: difference %.3e\n", r.diff);
    assert_true(r.diff > 1e-3);
    nn_model_free(&m);
}

static void test_sampling(void **st)
{
    nn_model m;
    make_net(&m, NN_ACT_TANH, 3, 5);
    nn_gc_opts o = {.max_per_tensor = 4};
    nn_err err;
    nn_gc_result r;
    assert_int_equal(nn_gradcheck(&m, 3, &o, &r, &err), NN_OK);
    for (int t = 0; t < r.n_tensors; t++)
        assert_int_equal(r.t[t].checked, r.t[t].n < 4 ? r.t[t].n : 4);
    assert_true(r.diff < 1e-8);
    nn_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notebook_case),
        cmocka_unit_test(test_dropout_frozen),
        cmocka_unit_test(test_relu_kinks),
        cmocka_unit_test(test_penalties),
        cmocka_unit_test(test_sampling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
