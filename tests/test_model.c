/* test_model.c: forward/backward on tiny nets against central finite
 * differences (every activation, both output layers), the stable loss on
 * saturated outputs, the best-model deep copy, and the divergence stop. */
#include "testutil.h"

#include "experiment.h"
#include "data.h"
#include "model.h"
#include "run.h"
#include "train.h"
#include "util.h"
#include "smallgemm.h"
#include "vmath.h"

#include <float.h>

static void make_net(nn_model *m, nn_act act, nn_out out, int K, long mb)
{
    nn_model_spec s = {.n_layers = 3, .sizes = {3, 5, 4, out == NN_OUT_SIGMOID ? 1 : K},
                       .act = act, .leaky_slope = 0.1, .out = out, .batch_cap = mb};
    nn_err err;
    assert_int_equal(nn_model_create(m, &s, &err), NN_OK);
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (size_t i = 0; i < m->n_params; i++)
        m->theta[i] = nn_rng_randn(&r) * 0.8;
    for (long j = 0; j < mb; j++) {
        for (int f = 0; f < 3; f++)
            m->Xb[f * mb + j] = nn_rng_randn(&r);
        m->yb[j] = (int32_t)(nn_rng_u32(&r) % (unsigned)K);
    }
}

static double mean_loss(nn_model *m, long mb) { return nn_model_forward(m, mb, 0) / (double)mb; }

/* Relative difference ||g - g_num|| / (||g|| + ||g_num||) over all params. */
static double grad_diff(nn_model *m, long mb)
{
    nn_model_forward(m, mb, 1);
    nn_model_backward(m, mb, 1);
    double num2 = 0, den_a = 0, den_b = 0, eps = 1e-6;
    for (size_t i = 0; i < m->n_params; i++) {
        double keep = m->theta[i];
        m->theta[i] = keep + eps;
        double jp = mean_loss(m, mb);
        m->theta[i] = keep - eps;
        double jm = mean_loss(m, mb);
        m->theta[i] = keep;
        double g = (jp - jm) / (2 * eps);
        num2 += (g - m->grad[i]) * (g - m->grad[i]);
        den_a += g * g;
        den_b += m->grad[i] * m->grad[i];
    }
    return nn_rel_diff(num2, den_a, den_b);
}

static void test_gradients(void **s)
{
    static const char *const an[] = {"relu", "leaky_relu", "tanh", "sigmoid"};
    for (int a = 0; a < 4; a++)
        for (int o = 0; o < 2; o++) {
            nn_model m;
            make_net(&m, (nn_act)a, (nn_out)o, o ? 3 : 2, 7);
            double d = grad_diff(&m, 7);
            printf("  %-10s %-7s relative difference %.3e\n", an[a], o ? "softmax" : "sigmoid", d);
            assert_true(d < 1e-7);
            nn_model_free(&m);
        }
}

/* A saturated sigmoid output gives a large finite loss, not inf. */
static void test_stable_loss(void **s)
{
    nn_model m;
    make_net(&m, NN_ACT_RELU, NN_OUT_SIGMOID, 2, 4);
    for (size_t i = 0; i < m.n_params; i++)
        m.theta[i] *= 1000;
    double l = mean_loss(&m, 4);
    printf("  saturated loss %.6g\n", l);
    assert_true(isfinite(l) && l > 1);
    nn_model_free(&m);
    make_net(&m, NN_ACT_TANH, NN_OUT_SOFTMAX, 3, 4);
    for (size_t i = 0; i < m.n_params; i++)
        m.theta[i] *= 1e4;
    assert_true(isfinite(mean_loss(&m, 4)));
    nn_model_free(&m);
}

/* The sigmoid output's summed loss in model.c's order: the examples' terms
 * (softplus(z) - y z from the same vector exp and log1p, vmath.h) in 4 lane
 * sums, lane l over examples l, l + 4, ... below mb - mb % 4, added as
 * (s0 + s2) + (s1 + s3), then the last mb % 4 in order: equal bit for bit on
 * every tail length and across the 64-example blocks; and within
 * mb * eps * sum |term| of a long double sum of libm's terms. */
static void test_sigmoid_loss_order(void **s)
{
    static const long sizes[] = {1, 2, 3, 4, 5, 7, 63, 64, 65, 67, 128, 130, 300, 301};
    double worst = 0;
    for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
        long mb = sizes[q];
        nn_model m;
        make_net(&m, NN_ACT_RELU, NN_OUT_SIGMOID, 2, mb);
        double got = nn_model_forward(&m, mb, 0);
        const nn_real *z = m.Z[m.spec.n_layers - 1];
        double *e = malloc(sizeof(double) * (size_t)mb), *t = malloc(sizeof(double) * (size_t)mb);
        for (long j = 0; j < mb; j++)
            e[j] = -(double)z[j];
        nn_exp_array(e, e, mb);
        for (long j = 0; j < mb; j++)
            e[j] = z[j] >= 0 ? e[j] : 1.0 / e[j];
        nn_log1p_unit_array(e, t, mb);
        long double exact = 0, mag = 0;
        for (long j = 0; j < mb; j++) {
            double v = z[j];
            t[j] = ((v > 0 ? v : 0) + t[j]) - (m.yb[j] ? v : 0.0);
            long double lt = (v > 0 ? v : 0) + log1pl(expl(-fabsl((long double)v))) -
                             (m.yb[j] ? (long double)v : 0);
            exact += lt;
            mag += fabsl(lt);
        }
        long mv = mb - mb % 4;
        double l4[4] = {0, 0, 0, 0};
        for (long j = 0; j < mv; j++)
            l4[j % 4] += t[j];
        double want = (l4[0] + l4[2]) + (l4[1] + l4[3]);
        for (long j = mv; j < mb; j++)
            want += t[j];
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("batch %ld: loss %.17g, the lane order gives %.17g", mb, got, want);
        double err = fabs((double)((long double)got - exact)) / (double)(mb * DBL_EPSILON * mag);
        worst = err > worst ? err : worst;
        free(e);
        free(t);
        nn_model_free(&m);
    }
    printf("  sigmoid loss: the lane order on %zu batch sizes; largest error %.3g of the bound "
           "mb*eps*sum|term| (long double)\n", sizeof sizes / sizeof sizes[0], worst);
    assert_true(worst <= 1.0);
}

/* skip_z: a training forward of a small ReLU / leaky net leaves the hidden
 * Z unwritten (z_skipped), its gradient equal bit for bit to that of a
 * forward that writes Z (backward takes the signs from A); nn_model_fill_z
 * then writes the Z an ordinary forward writes. Where the build has no
 * small-product path nothing is skipped and the rest still holds. */
static void test_skip_z(void **s)
{
    for (int a = 0; a < 2; a++) {
        nn_act act = a ? NN_ACT_LEAKY_RELU : NN_ACT_RELU;
        nn_model m, r;
        long mb = 37;
        make_net(&m, act, NN_OUT_SIGMOID, 2, mb);
        make_net(&r, act, NN_OUT_SIGMOID, 2, mb);
        /* layer 1's first pre-activation of example 0 exactly +0: its bias
         * minus the product's fma chain (W1 (5, 3) at theta[0], b1 at theta[15]) */
        nn_real acc = 0;
        for (int f = 0; f < 3; f++)
            acc = (nn_real)fma(m.theta[f], m.Xb[f * mb], acc);
        m.theta[15] = r.theta[15] = -acc;
        m.skip_z = 1;
        for (int l = 0; l < 2; l++)
            for (long q = 0; q < m.spec.sizes[l + 1] * mb; q++)
                m.Z[l][q] = r.Z[l][q] = (nn_real)-7; /* stale values */
        double lm = nn_model_forward(&m, mb, 1), lr = nn_model_forward(&r, mb, 1);
        nn_model_backward(&m, mb, 1);
        nn_model_backward(&r, mb, 1);
        assert_true(lm == lr);
        assert_memory_equal(m.grad, r.grad, m.n_params * sizeof(nn_real));
        int skipped = m.z_skipped[0] + m.z_skipped[1];
        assert_int_equal(r.z_skipped[0] + r.z_skipped[1], 0);
#if NN_SMALL_GEMM
        assert_int_equal(skipped, 2);
        assert_true(m.Z[0][0] == (nn_real)-7); /* left as it was */
#endif
        assert_true(r.Z[0][0] == 0); /* the zero made above */
        nn_model_fill_z(&m, mb);
        for (int l = 0; l < 2; l++)
            assert_memory_equal(m.Z[l], r.Z[l], sizeof(nn_real) * (size_t)m.spec.sizes[l + 1] * mb);
        printf("  skip_z %-10s %d hidden layers' Z skipped, gradients identical, Z filled\n",
               a ? "leaky_relu" : "relu", skipped);
        /* a negative slope: A > 0 is not Z > 0, so nothing is skipped */
        m.spec.leaky_slope = -0.1;
        nn_model_forward(&m, mb, 1);
        assert_int_equal(m.z_skipped[0] + m.z_skipped[1], a || !NN_SMALL_GEMM ? 0 : 2);
        nn_model_free(&m);
        nn_model_free(&r);
    }
}

/* ---- training-level tests through a real experiment ------------------------ */

typedef struct {
    nn_trainer *t;
    double *snap;
    long snap_epoch;
} best_watch;

static void on_log(void *ud, const nn_metric_row *row, long epochs, int full)
{
    best_watch *w = ud;
    if (w->t->has_best && w->t->best_epoch == row->epoch) {
        memcpy(w->snap, w->t->model->theta, w->t->model->n_params * sizeof(double));
        w->snap_epoch = row->epoch;
    }
}

static void setup(const char *text, const char *const *ov, int n_ov, nn_experiment *x, nn_data *d,
                  nn_model *m)
{
    char path[128];
    tu_temp_file(path, ".cfg", text);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_err err;
    if (nn_experiment_load(x, path, ov, n_ov, &reg, &err) || nn_load_data(x, d, 1, &err) ||
        nn_build_model(x, d, (long)d->train.m, m, &err) || nn_attach_hooks(x, m, &err))
        fail_msg("%s", err.msg);
    nn_registry_free(&reg);
    unlink(path);
}

static const char *exp_text =
    "name = \"best\"; seed = 4;\n"
    "data = { plugin = \"planar\"; shape = \"moons\"; n_train = 200; n_val = 100; n_test = 100; noise = 0.3; };\n"
    "model = { hidden = [8]; };\n"
    "optim = { plugin = \"sgd\"; lr = 0.5; };\n"
    "train = { epochs = 300; log_every = 1; val_every = 1; };\n";

/* The best model is a deep copy: training after the best epoch leaves it as
 * it was when taken (the report's best_net = net aliasing bug). */
static void test_best_model_copy(void **s)
{
    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_trainer t;
    nn_err err;
    setup(exp_text, NULL, 0, &x, &d, &m);
    assert_int_equal(nn_trainer_init(&t, &x, &d, &m, &err), NN_OK);
    best_watch w = {&t, malloc(m.n_params * sizeof(double)), -1};
    nn_train_cb cb = {&w, on_log, NULL};
    assert_int_equal(nn_train(&t, &cb, &err), NN_OK);
    printf("  best validation accuracy %.4f at epoch %ld of %ld\n", t.best_val, t.best_epoch, t.epochs_done);
    assert_true(t.has_best && w.snap_epoch == t.best_epoch);
    assert_true(t.best_epoch < t.epochs_done - 1); /* training went on after the best epoch */
    assert_memory_equal(t.best_theta, w.snap, m.n_params * sizeof(double));
    assert_memory_not_equal(t.best_theta, m.theta, m.n_params * sizeof(double));
    /* and the best parameters really give the best validation accuracy */
    memcpy(m.theta, t.best_theta, m.n_params * sizeof(double));
    nn_eval e = nn_model_evaluate(&m, d.val.X, d.val.y, d.val.m, d.d);
    assert_true(e.accuracy == t.best_val);
    free(w.snap);
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_data_free(&d);
    nn_experiment_free(&x);
}

/* A run whose loss becomes non-finite stops at once with NN_EDIVERGED. */
static void test_divergence_stops(void **s)
{
    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_trainer t;
    nn_err err;
    const char *ov[] = {"optim.lr=1e6", "init.plugin=\"random\"", "init.scale=100.0"};
    setup(exp_text, ov, 3, &x, &d, &m);
    assert_int_equal(nn_trainer_init(&t, &x, &d, &m, &err), NN_OK);
    assert_int_equal(nn_train(&t, NULL, &err), NN_EDIVERGED);
    printf("  %s\n", err.msg);
    assert_non_null(strstr(err.msg, "diverged"));
    assert_true(t.diverged && t.epochs_done < 300);
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_data_free(&d);
    nn_experiment_free(&x);
}

/* The gather keeps a batch it already holds: the rows of X in order (the
 * full batch, every step) are not copied again, anything else is; an
 * index in another order, another range, or nn_model_batch_changed makes
 * the next gather copy. Xb is scribbled on between the calls, so a copy
 * and a skip tell apart. */
static void test_gather_held(void **s)
{
    enum { M = 11, D = 3, MB = 7 };
    nn_real X[M * D];
    int32_t y[M];
    for (int i = 0; i < M * D; i++)
        X[i] = (nn_real)(i + 1);
    for (int i = 0; i < M; i++)
        y[i] = i % 2;
    nn_model_spec spec = {.n_layers = 1, .sizes = {D, 1}, .out = NN_OUT_SIGMOID, .batch_cap = MB};
    nn_model m;
    nn_err err;
    assert_int_equal(nn_model_create(&m, &spec, &err), NN_OK);
    int64_t run[MB], swapped[MB];
    for (int j = 0; j < MB; j++)
        run[j] = swapped[j] = 2 + j;
    swapped[3] = 5, swapped[4] = 4;
    /* want: rows idx of X in Xb's columns; scribble: overwrite Xb and yb */
#define WANT(idx)                                                                                  \
    for (int j = 0; j < MB; j++) {                                                                 \
        for (int f = 0; f < D; f++)                                                                \
            assert_true(m.Xb[f * MB + j] == X[(idx)[j] * D + f]);                                   \
        assert_int_equal(m.yb[j], y[(idx)[j]]);                                                    \
    }
#define SCRIBBLE() (memset(m.Xb, 0, sizeof(nn_real) * D * MB), memset(m.yb, 0x7f, sizeof(int32_t) * MB))
    nn_model_gather(&m, X, y, D, run, MB);
    WANT(run);
    SCRIBBLE();
    nn_model_gather(&m, X, y, D, run, MB); /* held: not copied */
    assert_true(m.Xb[0] == 0 && m.yb[0] == 0x7f7f7f7f);
    nn_model_gather(&m, X, y, D, swapped, MB); /* another order: copied */
    WANT(swapped);
    nn_model_gather(&m, X, y, D, run, MB);
    WANT(run);
    SCRIBBLE();
    nn_model_gather_range(&m, X, y, D, 2, MB); /* the same rows by range: held */
    assert_true(m.Xb[0] == 0);
    nn_model_gather_range(&m, X, y, D, 3, MB); /* another range: copied */
    assert_true(m.Xb[0] == X[3 * D]);
    nn_model_batch_changed(&m);
    SCRIBBLE();
    nn_model_gather_range(&m, X, y, D, 3, MB); /* after nn_model_batch_changed: copied */
    assert_true(m.Xb[0] == X[3 * D] && m.yb[MB - 1] == y[3 + MB - 1]);
    SCRIBBLE();
    nn_model_gather(&m, X + D, y + 1, D, run, MB); /* other arrays: copied */
    assert_true(m.Xb[0] == X[3 * D]);
#undef WANT
#undef SCRIBBLE
    nn_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_stable_loss),
        cmocka_unit_test(test_sigmoid_loss_order),
        cmocka_unit_test(test_skip_z),
        cmocka_unit_test(test_best_model_copy),
        cmocka_unit_test(test_divergence_stops),
        cmocka_unit_test(test_gather_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
