/* test_reg.c: the regularizer plugins (l2, l1, elastic_net, dropout,
 * gaussian_noise, max_norm) against an independent NumPy computation
 * (tests/data/reg_reference.txt from tests/gen_reg_reference.py, 1e-12) and
 * against central finite differences (< 1e-7); neutral settings change
 * nothing bit for bit; the lecun and xavier initializers and the generated
 * planar shapes equal their NumPy / scikit-learn definitions. */
#include "testutil.h"

#include "experiment.h"
#include "data.h"
#include "model.h"
#include "run.h"

#define REF NN_TEST_DATA "/reg_reference.txt"
#define MB 6

/* An experiment file around the given sections (data and reg lists). */
static void load_exp(nn_experiment *x, const char *data, const char *reg_list, const char *init)
{
    char text[4096], path[128];
    snprintf(text, sizeof text, "name = \"t\";\ndata = { %s };\nreg = ( %s );\ninit = { %s };\n",
             data ? data : "plugin = \"planar\";", reg_list ? reg_list : "", init ? init : "plugin = \"lecun\";");
    tu_temp_file(path, ".cfg", text);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_err err;
    int rc = nn_experiment_load(x, path, NULL, 0, &reg, &err);
    nn_registry_free(&reg);
    unlink(path);
    if (rc)
        fail_msg("%s", err.msg);
}

/* The reference network [3, 5, 4, 1], sigmoid output, with the reference
 * parameters and batch (or, with act != relu, the same with that activation). */
static void ref_net(nn_model *m, nn_act act)
{
    nn_model_spec s = {.n_layers = 3, .sizes = {3, 5, 4, 1}, .act = act, .out = NN_OUT_SIGMOID,
                       .batch_cap = MB};
    nn_err err;
    assert_int_equal(nn_model_create(m, &s, &err), NN_OK);
    double *v;
    assert_int_equal(tu_record(REF, "theta", &v), m->n_params);
    memcpy(m->theta, v, m->n_params * sizeof(double));
    free(v);
    assert_int_equal(tu_record(REF, "X", &v), 3 * MB);
    memcpy(m->Xb, v, 3 * MB * sizeof(double));
    free(v);
    assert_int_equal(tu_record(REF, "y", &v), MB);
    for (int j = 0; j < MB; j++)
        m->yb[j] = (int32_t)v[j];
    free(v);
}

/* As train.c: every penalty of every regularizer over every tensor. */
static double penalties(const nn_experiment *x, nn_model *m, long mb)
{
    double pen = 0;
    for (int r = 0; r < x->n_reg; r++) {
        const nn_reg_ops *ro = x->reg[r].plugin.desc->ops.reg;
        for (int i = 0; ro->penalty && i < m->n_tensors; i++) {
            const nn_tensor *t = &m->tensors[i];
            nn_reg_tensor rt = {m->theta + t->off, m->grad + t->off, t->rows, t->cols, mb, t->layer, t->is_bias};
            pen += ro->penalty(x->reg[r].values, &rt);
        }
    }
    return pen;
}

/* Training cost (data loss mean + penalties) and its gradient in m->grad.
 * reseed >= 0 restarts every regularizer stream first (frozen masks/noise). */
static double cost_grad(const nn_experiment *x, nn_model *m, long reseed)
{
    for (int r = 0; reseed >= 0 && r < x->n_reg; r++)
        nn_rng_seed((nn_rng *)&x->reg[r].rng, (uint32_t)reseed);
    double data = nn_model_forward(m, MB, 1);
    nn_model_backward(m, MB, 1);
    return data / MB + penalties(x, m, MB);
}

static double cost_only(const nn_experiment *x, nn_model *m, long reseed, double *scratch)
{
    double *g = m->grad;
    m->grad = scratch; /* penalties add into a scratch gradient */
    for (int r = 0; reseed >= 0 && r < x->n_reg; r++)
        nn_rng_seed((nn_rng *)&x->reg[r].rng, (uint32_t)reseed);
    double c = nn_model_forward(m, MB, 1) / MB + penalties(x, m, MB);
    m->grad = g;
    return c;
}

static void setup_net(nn_experiment *x, nn_model *m, const char *reg_list, nn_act act)
{
    load_exp(x, NULL, reg_list, NULL);
    ref_net(m, act);
    nn_err err;
    if (nn_attach_hooks(x, m, &err))
        fail_msg("%s", err.msg);
}

static void teardown_net(nn_experiment *x, nn_model *m)
{
    nn_model_free(m);
    nn_experiment_free(x);
}

/* ---- NumPy reference ---------------------------------------------------------- */

static const struct {
    const char *name, *reg;
} cases[] = {
    {"none", ""},
    {"l2_course", "{ plugin = \"l2\"; lambda = 0.7; }"},
    {"l2_unscaled", "{ plugin = \"l2\"; lambda = 0.7; convention = \"unscaled\"; }"},
    {"l2_unhalved_bias", "{ plugin = \"l2\"; lambda = 0.3; convention = \"unhalved\"; include_bias = true; }"},
    {"l1_course", "{ plugin = \"l1\"; lambda = 0.2; }"},
    {"l1_unscaled_bias", "{ plugin = \"l1\"; lambda = 0.05; convention = \"unscaled\"; include_bias = true; }"},
    {"en_course", "{ plugin = \"elastic_net\"; lambda = 0.5; l1_ratio = 0.3; }"},
    {"en_unscaled_bias",
     "{ plugin = \"elastic_net\"; lambda = 0.1; l1_ratio = 0.7; convention = \"unscaled\"; include_bias = true; }"},
    {"dropout_layers", "{ plugin = \"dropout\"; keep_probs = [0.8, 0.6]; notebook = true; }"},
    {"dropout_086", "{ plugin = \"dropout\"; keep_prob = 0.86; notebook = true; }"},
};

static void test_numpy_reference(void **s)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nn_experiment x;
        nn_model m;
        setup_net(&x, &m, cases[c].reg, NN_ACT_RELU);
        char key[96], label[128];
        double *want, got;
        if (strncmp(cases[c].name, "none", 4) && strncmp(cases[c].name, "dropout", 7)) {
            /* the penalty alone, on its own zeroed gradient */
            double *scratch = calloc(m.n_params, sizeof(double));
            double *g = m.grad;
            m.grad = scratch;
            got = penalties(&x, &m, MB);
            m.grad = g;
            free(scratch);
            snprintf(key, sizeof key, "pen_%s", cases[c].name);
            tu_record(REF, key, &want);
            snprintf(label, sizeof label, "%s penalty", cases[c].name);
            tu_compare(label, &got, want, 1, 1e-12, 1e-300);
            free(want);
        }
        got = cost_grad(&x, &m, -1);
        snprintf(key, sizeof key, "cost_%s", cases[c].name);
        tu_record(REF, key, &want);
        snprintf(label, sizeof label, "%s cost", cases[c].name);
        tu_compare(label, &got, want, 1, 1e-12, 1e-300);
        free(want);
        snprintf(key, sizeof key, "grad_%s", cases[c].name);
        assert_int_equal(tu_record(REF, key, &want), m.n_params);
        snprintf(label, sizeof label, "%s gradient", cases[c].name);
        tu_compare(label, m.grad, want, m.n_params, 1e-12, 1e-4);
        free(want);
        if (strncmp(cases[c].name, "dropout", 7) == 0) {
            for (int l = 0; l < 2; l++) {
                snprintf(key, sizeof key, "mask%d_%s", l + 1, cases[c].name);
                size_t n = tu_record(REF, key, &want);
                assert_int_equal(n, (size_t)m.spec.sizes[l + 1] * MB);
                snprintf(label, sizeof label, "%s mask %d", cases[c].name, l + 1);
                tu_compare(label, m.hooks[0].mask[l], want, n, 0, 1);
                free(want);
            }
        }
        teardown_net(&x, &m);
    }
}

/* ---- finite differences ----------------------------------------------------------- */

/* ||g - g_num|| / (||g|| + ||g_num||) of the whole training cost. */
static double fd_difference(const nn_experiment *x, nn_model *m)
{
    double *g = malloc(m->n_params * sizeof(double)), *scratch = calloc(m->n_params, sizeof(double));
    cost_grad(x, m, 9);
    memcpy(g, m->grad, m->n_params * sizeof(double));
    double num2 = 0, na = 0, nb = 0, eps = 1e-6;
    for (size_t i = 0; i < m->n_params; i++) {
        double keep = m->theta[i];
        m->theta[i] = keep + eps;
        double jp = cost_only(x, m, 9, scratch);
        m->theta[i] = keep - eps;
        double jm = cost_only(x, m, 9, scratch);
        m->theta[i] = keep;
        double gn = (jp - jm) / (2 * eps);
        num2 += (g[i] - gn) * (g[i] - gn);
        na += g[i] * g[i];
        nb += gn * gn;
    }
    free(g);
    free(scratch);
    return sqrt(num2) / (sqrt(na) + sqrt(nb));
}

static void test_finite_differences(void **s)
{
    static const char *const regs[] = {
        "{ plugin = \"l2\"; lambda = 0.7; }",
        "{ plugin = \"l2\"; lambda = 0.3; convention = \"unscaled\"; include_bias = true; }",
        "{ plugin = \"l2\"; lambda = 0.3; convention = \"unhalved\"; }",
        "{ plugin = \"l1\"; lambda = 0.2; include_bias = true; }",
        "{ plugin = \"l1\"; lambda = 0.05; convention = \"unscaled\"; }",
        "{ plugin = \"elastic_net\"; lambda = 0.5; l1_ratio = 0.3; include_bias = true; }",
        "{ plugin = \"elastic_net\"; lambda = 0.1; convention = \"unscaled\"; }",
        "{ plugin = \"dropout\"; keep_prob = 0.7; keep_probs = [0.5]; }",
        "{ plugin = \"dropout\"; keep_prob = 0.86; notebook = true; }",
        "{ plugin = \"gaussian_noise\"; std = 0.3; }",
        /* several at once, hooks in order */
        "{ plugin = \"l2\"; lambda = 0.7; }, { plugin = \"dropout\"; keep_prob = 0.6; },"
        " { plugin = \"gaussian_noise\"; std = 0.2; }, { plugin = \"l1\"; lambda = 0.1; }",
    };
    static const nn_act acts[] = {NN_ACT_TANH, NN_ACT_RELU};
    for (size_t r = 0; r < sizeof regs / sizeof regs[0]; r++)
        for (int a = 0; a < 2; a++) {
            nn_experiment x;
            nn_model m;
            setup_net(&x, &m, regs[r], acts[a]);
            double d = fd_difference(&x, &m);
            printf("  %-5s %-100.100s difference %.3e\n", a ? "relu" : "tanh", regs[r], d);
            assert_true(d < 1e-7);
            teardown_net(&x, &m);
        }
}

/* ---- neutral settings ---------------------------------------------------------------- */

static void test_neutral_settings(void **s)
{
    static const char *const regs[] = {
        "{ plugin = \"l2\"; lambda = 0.0; include_bias = true; }",
        "{ plugin = \"l2\"; lambda = 0.0; convention = \"unhalved\"; }",
        "{ plugin = \"l1\"; lambda = 0.0; include_bias = true; }",
        "{ plugin = \"elastic_net\"; lambda = 0.0; }",
        "{ plugin = \"dropout\"; keep_prob = 1.0; }",
        "{ plugin = \"dropout\"; keep_prob = 0.5; keep_probs = [1.0, 1.0]; notebook = true; }",
        "{ plugin = \"gaussian_noise\"; std = 0.0; }",
        "{ plugin = \"max_norm\"; max_value = 1e300; }",
    };
    nn_experiment x0;
    nn_model m0;
    setup_net(&x0, &m0, "", NN_ACT_RELU);
    double c0 = cost_grad(&x0, &m0, -1);
    for (size_t r = 0; r < sizeof regs / sizeof regs[0]; r++) {
        nn_experiment x;
        nn_model m;
        setup_net(&x, &m, regs[r], NN_ACT_RELU);
        double c = cost_grad(&x, &m, -1);
        const nn_reg_ops *ro = x.reg[0].plugin.desc->ops.reg;
        for (int l = 0; ro->constrain && l < m.spec.n_layers; l++)
            ro->constrain(x.reg[0].values, nn_model_W(&m, l), m.spec.sizes[l + 1], m.spec.sizes[l]);
        printf("  %-75s cost %.17g\n", regs[r], c);
        assert_memory_equal(&c, &c0, sizeof c);
        assert_memory_equal(m.grad, m0.grad, m.n_params * sizeof(double));
        assert_memory_equal(m.theta, m0.theta, m.n_params * sizeof(double));
        for (int l = 0; l < 2; l++)
            assert_memory_equal(m.A[l], m0.A[l], (size_t)m.spec.sizes[l + 1] * MB * sizeof(double));
        teardown_net(&x, &m);
    }
    teardown_net(&x0, &m0);
}

/* ---- max_norm and dropout behaviour ------------------------------------------------------ */

static void test_max_norm_rows(void **s)
{
    nn_experiment x;
    load_exp(&x, NULL, "{ plugin = \"max_norm\"; max_value = 1.5; }", NULL);
    double W[3][4] = {{0.1, -0.2, 0.3, 0.1}, {1, -1, 1, -1}, {3, 0, -4, 0}}, orig[3][4];
    memcpy(orig, W, sizeof W);
    x.reg[0].plugin.desc->ops.reg->constrain(x.reg[0].values, &W[0][0], 3, 4);
    assert_memory_equal(W[0], orig[0], sizeof W[0]); /* norm 0.39: untouched */
    for (int r = 1; r < 3; r++) {
        double n = 0, on = 0;
        for (int c = 0; c < 4; c++) {
            n += W[r][c] * W[r][c];
            on += orig[r][c] * orig[r][c];
        }
        printf("  row %d: norm %.17g -> %.17g\n", r, sqrt(on), sqrt(n));
        assert_true(fabs(sqrt(n) - 1.5) < 1e-15);
        for (int c = 0; c < 4; c++) /* same direction */
            assert_true(fabs(W[r][c] - orig[r][c] * 1.5 / sqrt(on)) < 1e-15);
    }
    nn_experiment_free(&x);
}

/* Stream mode: about keep_prob of the units kept, fresh masks every pass,
 * E[A * D / p] = A; notebook mode: the same masks every pass. */
static void test_dropout_masks(void **s)
{
    nn_experiment x;
    load_exp(&x, NULL, "{ plugin = \"dropout\"; keep_prob = 0.7; seed = 4; }", NULL);
    const nn_reg_ops *ro = x.reg[0].plugin.desc->ops.reg;
    enum { U = 50, N = 2000 };
    double *a = malloc(U * N * sizeof(double)), *mask = malloc(U * N * sizeof(double)),
           *mask2 = malloc(U * N * sizeof(double));
    for (int i = 0; i < U * N; i++)
        a[i] = 2.0;
    nn_reg_act act = {a, mask, U, N, 0, 2, (nn_rng *)&x.reg[0].rng};
    ro->begin_pass(x.reg[0].values, act.rng);
    ro->act_forward(x.reg[0].values, &act);
    double kept = 0, sum = 0;
    for (int i = 0; i < U * N; i++) {
        kept += mask[i];
        sum += a[i];
        assert_true(mask[i] == 0 || mask[i] == 1);
        assert_true(a[i] == (mask[i] ? 2.0 / 0.7 : 0.0));
    }
    double f = kept / (U * N), sd = sqrt(0.7 * 0.3 / (U * N));
    printf("  kept fraction %.5f (keep_prob 0.7, sd %.5f), mean activation %.5f (2 before)\n", f, sd,
           sum / (U * N));
    assert_true(fabs(f - 0.7) < 5 * sd);
    assert_true(fabs(sum / (U * N) - 2.0) < 5 * sd * 2.0 / 0.7);
    act.mask = mask2;
    ro->begin_pass(x.reg[0].values, act.rng);
    ro->act_forward(x.reg[0].values, &act);
    assert_memory_not_equal(mask, mask2, U * N * sizeof(double));
    nn_experiment_free(&x);

    load_exp(&x, NULL, "{ plugin = \"dropout\"; keep_prob = 0.7; notebook = true; }", NULL);
    ro = x.reg[0].plugin.desc->ops.reg;
    act.rng = (nn_rng *)&x.reg[0].rng;
    for (int pass = 0; pass < 2; pass++) {
        act.mask = pass ? mask2 : mask;
        ro->begin_pass(x.reg[0].values, act.rng);
        ro->act_forward(x.reg[0].values, &act);
    }
    assert_memory_equal(mask, mask2, U * N * sizeof(double));
    /* and they are np.random.seed(1); rand(U, N) < 0.7 */
    nn_rng r;
    nn_rng_seed(&r, 1);
    for (int i = 0; i < U * N; i++)
        assert_true(mask[i] == (nn_rng_rand(&r) < 0.7));
    nn_experiment_free(&x);
    free(a);
    free(mask);
    free(mask2);
}

/* ---- initializers ------------------------------------------------------------------------ */

static void check_init(const char *init, uint32_t seed, const int *dims, int n_layers, const char *key,
                       double var_want)
{
    nn_experiment x;
    load_exp(&x, NULL, NULL, init);
    const nn_init_ops *io = x.init.plugin.desc->ops.init;
    nn_rng r;
    nn_rng_seed(&r, seed);
    double *want, got[256], b[64];
    size_t n = tu_record(REF, key, &want), o = 0;
    for (int l = 0; l < n_layers; l++) {
        assert_int_equal(io->fill(x.init.values, &r, got + o, b, dims[l], dims[l + 1]), NN_OK);
        for (int i = 0; i < dims[l + 1]; i++)
            assert_true(b[i] == 0);
        o += (size_t)dims[l] * (size_t)dims[l + 1];
    }
    assert_int_equal(o, n);
    char label[128];
    snprintf(label, sizeof label, "%s (%s)", key, init);
    tu_compare(label, got, want, n, 0, 1); /* bit for bit */
    double v = io->variance(x.init.values, dims[n_layers - 1], dims[n_layers]);
    assert_true(fabs(v - var_want) <= 1e-15 * var_want);
    free(want);
    nn_experiment_free(&x);
}

static void test_initializers(void **s)
{
    check_init("plugin = \"lecun\";", 3, (const int[]){2, 20, 3, 1}, 3, "lecun_notebook", 1.0 / 3);
    check_init("plugin = \"lecun\"; distribution = \"uniform\"; gain = 2.0;", 7, (const int[]){5, 4}, 1,
               "lecun_uniform_gain2", 2.0 / 5);
    check_init("plugin = \"xavier\"; gain = 1.5;", 5, (const int[]){3, 4}, 1, "xavier_normal_gain1.5",
               1.5 * 1.5 * 2 / 7);
    check_init("plugin = \"xavier\"; distribution = \"uniform\";", 6, (const int[]){3, 4}, 1, "xavier_uniform",
               2.0 / 7);
}

/* ---- planar shapes ----------------------------------------------------------------------- */

static void check_split(const char *label, const nn_split *sp, const char *key)
{
    char k[96], l[128];
    double *want, *got = malloc((sp->m ? sp->m : 1) * sizeof(double));
    snprintf(k, sizeof k, "data_%s_X", key);
    assert_int_equal(tu_record(REF, k, &want), 2 * sp->m);
    snprintf(l, sizeof l, "%s X", label);
    /* sin/cos are the C library's: bit for bit with glibc, ulps elsewhere */
    tu_compare(l, sp->X, want, 2 * sp->m, 4e-15, 1);
    free(want);
    snprintf(k, sizeof k, "data_%s_y", key);
    assert_int_equal(tu_record(REF, k, &want), sp->m);
    for (size_t i = 0; i < sp->m; i++)
        got[i] = sp->y[i];
    snprintf(l, sizeof l, "%s y", label);
    tu_compare(l, got, want, sp->m, 0, 1);
    free(want);
    free(got);
}

static void test_planar_shapes(void **s)
{
    static const struct {
        const char *data, *train, *test;
        int classes;
    } t[] = {
        {"shape = \"blobs\"; classes = 4; n_train = 203; n_test = 50; seed = 5;", "blobs_train", "blobs_test", 4},
        {"shape = \"gaussian_quantiles\"; classes = 3; n_train = 301; n_test = 0; seed = 7;", "gq", NULL, 3},
        {"shape = \"gaussian_quantiles\"; noise = 0.5; n_train = 100; n_test = 0; seed = 8;", "gq_cov", NULL, 2},
        {"shape = \"flower\"; n_train = 400; n_test = 0; seed = 1;", "flower", NULL, 2},
        {"shape = \"spiral\"; classes = 3; n_train = 300; n_test = 0; seed = 0;", "spiral", NULL, 3},
        {"shape = \"football\"; n_train = 200; n_test = 200; seed = 5; test_seed = 100;", "football_train",
         "football_test", 2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char data[512];
        snprintf(data, sizeof data, "plugin = \"planar\"; %s", t[i].data);
        nn_experiment x;
        nn_data d;
        nn_err err;
        load_exp(&x, data, NULL, NULL);
        if (nn_load_data(&x, &d, 1, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(d.n_classes, t[i].classes);
        check_split(t[i].train, &d.train, t[i].train);
        if (t[i].test)
            check_split(t[i].test, &d.test, t[i].test);
        nn_data_free(&d);
        nn_experiment_free(&x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_reference),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_neutral_settings),
        cmocka_unit_test(test_max_norm_rows),
        cmocka_unit_test(test_dropout_masks),
        cmocka_unit_test(test_initializers),
        cmocka_unit_test(test_planar_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
