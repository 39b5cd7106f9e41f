/* test_quadratic.c: the quadratic data plugin (the benchmark's noisy
 * ill-conditioned problem) against NumPy (tests/gen_quadratic_reference.py,
 * committed as tests/data/quadratic_reference.txt): every input of every
 * split and every label (a label may differ only where the teacher's noisy
 * score is within rounding of 0), and the fixed Hessian spectrum: the
 * training split's X^T X / m equals NumPy's Q diag(lambda) Q^T and its
 * columns have mean 0. Bad settings are refused with a message. */
#include "testutil.h"

#include "data.h"
#include "experiment.h"
#include "run.h"

#define REF NN_TEST_DATA "/quadratic_reference.txt"

static const char *exp_text =
    "name = \"q\"; seed = 1;\n"
    "data = { plugin = \"quadratic\"; seed = 5; features = 6; n_train = 40; n_val = 12; n_test = 10;\n"
    "         n_large = 2; small_lo = 0.1; small_hi = 1.0; large_lo = 30.0; large_hi = 60.0; noise = 0.5; };\n"
    "model = { hidden = []; output = \"sigmoid\"; };\n"
    "init = { plugin = \"zeros\"; };\n"
    "optim = { plugin = \"sgd\"; lr = 0.1; };\n"
    "train = { epochs = 1; };\n";

static int load(const char *ov, nn_data *d, nn_experiment *x, nn_err *err)
{
    char path[128];
    tu_temp_file(path, ".cfg", exp_text);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    const char *ovs[1] = {ov};
    int rc = nn_experiment_load(x, path, ovs, ov ? 1 : 0, &reg, err);
    if (rc == NN_OK) {
        rc = nn_load_data(x, d, 1, err);
        if (rc)
            nn_experiment_free(x);
    }
    nn_registry_free(&reg);
    unlink(path);
    return rc;
}

static void compare_split(const char *name, const nn_split *s, int dim)
{
    char key[64];
    double *X, *y, *margin;
    snprintf(key, sizeof key, "X_%s", name);
    size_t n = tu_record(REF, key, &X);
    snprintf(key, sizeof key, "y_%s", name);
    size_t ny = tu_record(REF, key, &y);
    snprintf(key, sizeof key, "margin_%s", name);
    tu_record(REF, key, &margin);
    assert_int_equal(n, s->m * (size_t)dim);
    assert_int_equal(ny, s->m);
    double *got = malloc(n * sizeof *got);
    for (size_t i = 0; i < n; i++)
        got[i] = (double)s->X[i];
    snprintf(key, sizeof key, "X_%s", name);
    tu_compare(key, got, X, n, 1e-11, 1.0);
    int differ = 0;
    for (size_t i = 0; i < s->m; i++)
        if ((double)s->y[i] != y[i]) {
            printf("  y_%s[%zu]: %d, NumPy %g (|score| %.3g)\n", name, i, s->y[i], y[i], margin[i]);
            differ++;
            assert_true(margin[i] < 1e-9);
        }
    printf("  y_%s: %zu labels, %d differ (only at |score| < 1e-9)\n", name, s->m, differ);
    free(got);
    free(X);
    free(y);
    free(margin);
}

static void test_matches_numpy(void **state)
{
    nn_experiment x;
    nn_data d;
    nn_err err = {{0}};
    if (load(NULL, &d, &x, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(d.d, 6);
    assert_int_equal(d.n_classes, 2);
    compare_split("train", &d.train, d.d);
    compare_split("val", &d.val, d.d);
    compare_split("test", &d.test, d.d);
    /* the Hessian at zero weights: X^T X / m = Q diag(lambda) Q^T, column means 0 */
    double *sigma, H[36], mean[6] = {0};
    assert_int_equal(tu_record(REF, "sigma", &sigma), 36);
    size_t m = d.train.m;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
            double s = 0;
            for (size_t i = 0; i < m; i++)
                s += (double)d.train.X[i * 6 + (size_t)a] * (double)d.train.X[i * 6 + (size_t)b];
            H[a * 6 + b] = s / (double)m;
        }
    for (size_t i = 0; i < m; i++)
        for (int a = 0; a < 6; a++)
            mean[a] += (double)d.train.X[i * 6 + (size_t)a] / (double)m;
    tu_compare("X'X/m vs Q diag(lambda) Q'", H, sigma, 36, 1e-12, 60.0);
    double zero[6] = {0};
    tu_compare("column means of X_train", mean, zero, 6, 1e-12, 1.0);
    free(sigma);
    nn_data_free(&d);
    nn_experiment_free(&x);
}

static void expect_refused(const char *ov, const char *frag)
{
    nn_experiment x;
    nn_data d;
    nn_err err = {{0}};
    int rc = load(ov, &d, &x, &err);
    printf("  %s -> %s\n", ov, err.msg);
    assert_int_equal(rc, NN_EINPUT);
    if (!strstr(err.msg, frag))
        fail_msg("message '%s' lacks '%s'", err.msg, frag);
}

static void test_bad_settings(void **state)
{
    expect_refused("data.n_large=7", "n_large = 7 is more than features = 6");
    expect_refused("data.n_train=6", "must be more than features");
    expect_refused("data.small_lo=2.0", "bottom above its top");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_numpy),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
