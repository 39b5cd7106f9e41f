/* test_optim_pipeline.c: the trainer's optimizer pipeline of ABI 2
 * (nnlab/plugin.h), driven by small optimizers defined here (and the eval_avg
 * fixture), each using one v2 feature, on a 2-3-2-1 network:
 *   - shapes and slots whose length is not n, per-tensor scratch regions;
 *   - global scalars: scalars_init once, the reduce pass, scalars_update once
 *     per step, the sums seen by step();
 *   - an evaluation point used for validation, the best-model copy, the
 *     report and weights/ / best_weights/, the raw iterate kept;
 *   - model_step with evaluate(): at unchanged parameters the loss and the
 *     gradient are bit-identical (dropout, L2 and clipping on), the dropout
 *     stream is as without re-evaluation, the bound is enforced, every
 *     evaluation is counted;
 *   - the registry's checks of the v2 fields, an ABI-1 descriptor read only
 *     up to its three fields, an ABI newer than this nnlab refused.
 * Expected values are computed here from the model's gradient with the same
 * arithmetic as the rule, so every comparison is exact (bit for bit). */
#include "testutil.h"

#include "data.h"
#include "experiment.h"
#include "model.h"
#include "nnlab/io.h"
#include "registry.h"
#include "report.h"
#include "run.h"
#include "train.h"
#include "util.h"

/* ---- the network, its data, and the optimizer under test ------------------- */

typedef struct env {
    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_trainer t;
} env;

static const nn_param_decl lr_only[] = {
    {"lr", NN_T_REAL, 0.1, NULL, 0, 10, NULL, "learning rate"},
};

#define SGD "\"sgd\"; lr = 0.1"

#define TEST_OPTIM(var, nm, opsvar)                                                               \
    static const nn_plugin var = {NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, nm,            \
                                  "test optimizer", NN_ARRAY_LEN(lr_only), lr_only,              \
                                  {.optim = &opsvar}}

/* Loads the experiment (optim, reg and train are the bodies of its
 * sections, optim starting with the plugin's name in quotes), builds the model and, when swap is set, makes
 * swap the optimizer (the experiment's hyperparameters are sgd's: lr first). */
static void env_open(env *e, const char *optim, const char *reg, const char *train,
                     const nn_plugin *swap)
{
    char text[2048], path[128];
    snprintf(text, sizeof text,
             "name = \"pipeline\"; seed = 1;\n"
             "data = { plugin = \"planar\"; shape = \"moons\"; n_train = 12; n_val = 8; n_test = 8; noise = 0.3; };\n"
             "model = { hidden = [3, 2]; };\n"
             "init = { plugin = \"he\"; };\n"
             "optim = { plugin = %s; };\n"
             "%s\n"
             "train = { shuffle = \"none\"; log_every = 1; val_every = 1; %s };\n",
             optim, reg, train);
    tu_temp_file(path, ".cfg", text);
    nn_registry r;
    nn_registry_init(&r, NN_FIXTURE_DIR);
    nn_err err;
    memset(e, 0, sizeof *e);
    if (nn_experiment_load(&e->x, path, NULL, 0, &r, &err) || nn_load_data(&e->x, &e->d, 1, &err) ||
        nn_build_model(&e->x, &e->d, (long)e->d.train.m, &e->m, &err) || nn_attach_hooks(&e->x, &e->m, &err))
        fail_msg("%s", err.msg);
    nn_registry_free(&r);
    unlink(path);
    if (swap) {
        if (nn_plugin_validate(swap, &err) != NN_OK)
            fail_msg("test optimizer %s: %s", swap->name, err.msg);
        e->x.optim.plugin.desc = swap;
        nn_optim_resolve(swap, &e->x.optim.plugin.optim);
    }
}

static void env_init(env *e)
{
    nn_err err;
    if (nn_trainer_init(&e->t, &e->x, &e->d, &e->m, &err) != NN_OK)
        fail_msg("nn_trainer_init: %s", err.msg);
}

static void env_close(env *e)
{
    nn_trainer_free(&e->t);
    nn_model_free(&e->m);
    nn_data_free(&e->d);
    nn_experiment_free(&e->x);
}

/* One full-batch step through the trainer (examples 0..m-1 in order). */
static int full_step(env *e, nn_real lr, nn_err *err)
{
    static int64_t idx[64];
    for (size_t i = 0; i < e->d.train.m; i++)
        idx[i] = (int64_t)i;
    nn_step_result r;
    return nn_trainer_train_step(&e->t, idx, (long)e->d.train.m, lr, &r, err);
}

/* The gradient of the full-batch loss (data plus penalties, no hooks) at
 * theta, from a model of its own: the reference the rules are checked with. */
static double ref_grad(env *e, const nn_real *theta, nn_real *g)
{
    nn_model ref;
    nn_err err;
    long n = (long)e->d.train.m;
    if (nn_build_model(&e->x, &e->d, n, &ref, &err))
        fail_msg("%s", err.msg);
    memcpy(ref.theta, theta, ref.n_params * sizeof(nn_real));
    nn_model_gather_range(&ref, e->d.train.X, e->d.train.y, e->d.d, 0, n);
    double data = nn_model_forward(&ref, n, 1);
    nn_model_backward(&ref, n, 1);
    double pen = nn_penalties(e->x.reg, e->x.n_reg, &ref, ref.grad, n);
    memcpy(g, ref.grad, ref.n_params * sizeof(nn_real));
    nn_model_free(&ref);
    return data * (1.0 / (double)n) + pen;
}

#define NP 64 /* more than the 2-3-2-1 network's 23 parameters */

static void expect_same(const char *what, const nn_real *got, const nn_real *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof(nn_real)) != 0)
            fail_msg("%s: element %zu is %.17g, expected %.17g", what, i, got[i], want[i]);
    printf("  %-58s %2zu values bit-identical\n", what, n);
}

/* ---- 1. shapes, slots of other lengths than n, scratch ---------------------- */

typedef struct seen_step {
    int rows, cols, layer, n_layers, index, n_tensors, is_bias;
    size_t n, slot_len[2], scratch_len;
    const nn_real *scratch, *slot[2];
    long t;
} seen_step;

static seen_step rc_seen[NN_MAX_TENSORS];
static int rc_calls;

static size_t rc_slot_len(const nn_value *hp, int slot, int rows, int cols)
{
    return slot == 0 ? (size_t)rows : (size_t)cols + 1;
}

static size_t rc_scratch_len(const nn_value *hp, int rows, int cols)
{
    return (size_t)rows * (size_t)cols + 2;
}

/* slot 0: running row sums of the gradient; slot 1: column sums, then a
 * step counter; param -= lr * g^2 through the scratch. */
static void rc_step(const nn_value *hp, const nn_optim_step *s)
{
    rc_calls++;
    rc_seen[s->index] = (seen_step){s->rows, s->cols, s->layer, s->n_layers, s->index, s->n_tensors,
                                    s->is_bias, s->n, {s->slot_len[0], s->slot_len[1]},
                                    s->scratch_len, s->scratch, {s->slot[0], s->slot[1]}, s->t};
    for (size_t i = 0; i < s->scratch_len; i++)
        s->scratch[i] = i < s->n ? s->grad[i] * s->grad[i] : -1;
    for (int r = 0; r < s->rows; r++)
        for (int c = 0; c < s->cols; c++) {
            s->slot[0][r] += s->grad[(size_t)r * (size_t)s->cols + (size_t)c];
            s->slot[1][c] += s->grad[(size_t)r * (size_t)s->cols + (size_t)c];
        }
    s->slot[1][s->cols] += 1;
    for (size_t i = 0; i < s->n; i++)
        s->param[i] -= s->lr * s->scratch[i];
}

static const nn_optim_ops rc_ops = {.n_slots = 2, .flags = NN_OPTIM_MATRIX, .step = rc_step,
                                    .slot_len = rc_slot_len, .scratch_len = rc_scratch_len};
TEST_OPTIM(rc_desc, "rowcol", rc_ops);

static void test_shapes_slots_scratch(void **state)
{
    env e;
    env_open(&e, SGD, "", "epochs = 1;", &rc_desc);
    env_init(&e);
    nn_trainer *t = &e.t;
    const nn_model *m = &e.m;
    size_t n = m->n_params, want_slots = 0, want_scratch = 0;
    nn_real theta0[NP], g0[NP], want[NP];
    assert_true(n <= NP && m->n_tensors == 6);
    memcpy(theta0, m->theta, n * sizeof(nn_real));
    ref_grad(&e, theta0, g0);
    rc_calls = 0;
    nn_err err;
    assert_int_equal(full_step(&e, 0.1, &err), NN_OK);
    assert_int_equal(rc_calls, 6);
    /* what each tensor's step saw */
    const nn_real *next_scratch = t->scratch;
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_tensor *ts = &m->tensors[i];
        const seen_step *s = &rc_seen[i];
        int l = ts->layer;
        int rows = m->spec.sizes[l + 1], cols = ts->is_bias ? 1 : m->spec.sizes[l];
        printf("  %-3s (%d, %d) layer %d/%d index %d/%d bias %d slots %zu %zu scratch %zu\n", ts->name,
               s->rows, s->cols, s->layer, s->n_layers, s->index, s->n_tensors, s->is_bias,
               s->slot_len[0], s->slot_len[1], s->scratch_len);
        assert_int_equal(s->rows, rows);
        assert_int_equal(s->cols, cols);
        assert_int_equal(s->layer, i / 2);
        assert_int_equal(s->n_layers, 3);
        assert_int_equal(s->index, i);
        assert_int_equal(s->n_tensors, 6);
        assert_int_equal(s->is_bias, i % 2);
        assert_int_equal(s->n, (size_t)rows * (size_t)cols);
        assert_int_equal(s->t, 1);
        assert_int_equal(s->slot_len[0], (size_t)rows);
        assert_int_equal(s->slot_len[1], (size_t)cols + 1);
        assert_int_equal(s->scratch_len, (size_t)rows * (size_t)cols + 2);
        /* scratch regions: one per tensor, in order, disjoint */
        assert_ptr_equal(s->scratch, next_scratch);
        next_scratch += s->scratch_len;
        want_slots += s->slot_len[0] + s->slot_len[1];
        want_scratch += s->scratch_len;
        /* the slots hold the row and column sums of the gradient, and one step */
        const nn_real *g = g0 + ts->off;
        nn_real rs[8] = {0}, cs[8] = {0};
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                rs[r] += g[r * cols + c];
                cs[c] += g[r * cols + c];
            }
        cs[cols] = 1;
        char what[64];
        snprintf(what, sizeof what, "%s slot 0 (%d row sums)", ts->name, rows);
        expect_same(what, s->slot[0], rs, (size_t)rows);
        snprintf(what, sizeof what, "%s slot 1 (%d column sums, step count)", ts->name, cols);
        expect_same(what, s->slot[1], cs, (size_t)cols + 1);
    }
    /* every slot inside the trainer's one buffer, slot-major, back to back */
    assert_int_equal(t->slot_total, want_slots);
    assert_int_equal(t->scratch_total, want_scratch);
    const nn_real *p = t->slots;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < m->n_tensors; i++) {
            assert_ptr_equal(rc_seen[i].slot[k], p);
            p += rc_seen[i].slot_len[k];
        }
    assert_ptr_equal(p, t->slots + t->slot_total);
    for (size_t i = 0; i < n; i++)
        want[i] = theta0[i] - (nn_real)0.1 * (g0[i] * g0[i]);
    expect_same("parameters after one step: theta - lr * g^2", m->theta, want, n);
    /* the second step sees t = 2 and the counters went on */
    assert_int_equal(full_step(&e, 0.1, &err), NN_OK);
    for (int i = 0; i < m->n_tensors; i++) {
        assert_int_equal(rc_seen[i].t, 2);
        assert_true(rc_seen[i].slot[1][rc_seen[i].cols] == 2);
    }
    assert_int_equal(t->grad_evals, 2);
    env_close(&e);
}

/* ---- 2. global scalars, reduce pass, once-per-step update ------------------- */

static struct {
    int inits, reduces, updates, steps, reduce_saw_sums, step_missed_sums;
    long update_t;
    nn_real update_lr;
} gl;

static void gl_init(const nn_value *hp, nn_real *s)
{
    gl.inits++;
    s[0] = 1;
}

static void gl_reduce(const nn_value *hp, const nn_optim_step *s, nn_real *acc)
{
    gl.reduces++;
    gl.reduce_saw_sums += s->reduced != NULL;
    for (size_t i = 0; i < s->n; i++)
        acc[0] += s->grad[i] * s->grad[i];
    acc[1] += (nn_real)s->n;
}

/* s[0] halves every step; s[1] = the global gradient norm; s[2] = the count */
static void gl_update(const nn_value *hp, nn_real *s, const nn_real *acc, long t, nn_real lr)
{
    gl.updates++;
    gl.update_t = t;
    gl.update_lr = lr;
    s[0] *= 0.5;
    s[1] = sqrt(acc[0]);
    s[2] = acc[1];
}

static void gl_step(const nn_value *hp, const nn_optim_step *s)
{
    gl.steps++;
    gl.step_missed_sums += !s->reduced || s->reduced[1] != s->scalars[2];
    for (size_t i = 0; i < s->n; i++)
        s->param[i] -= s->lr * s->scalars[0] * s->grad[i] / (1 + s->scalars[1]);
}

static const nn_optim_ops gl_ops = {.step = gl_step, .n_scalars = 3, .scalars_init = gl_init,
                                    .n_reduce = 2, .reduce = gl_reduce, .scalars_update = gl_update};
TEST_OPTIM(gl_desc, "global", gl_ops);

static void test_scalars_reduce(void **state)
{
    env e;
    memset(&gl, 0, sizeof gl);
    env_open(&e, SGD, "", "epochs = 1;", &gl_desc);
    env_init(&e);
    const nn_model *m = &e.m;
    size_t n = m->n_params;
    nn_real theta[NP], g[NP], want[NP];
    assert_int_equal(gl.inits, 1);
    assert_true(e.t.scalars[0] == 1 && e.t.scalars[1] == 0 && e.t.scalars[2] == 0);
    memcpy(theta, m->theta, n * sizeof(nn_real));
    nn_err err;
    nn_real scale = 1;
    for (int k = 1; k <= 3; k++) {
        ref_grad(&e, theta, g);
        nn_real sum = 0;
        for (int i = 0; i < m->n_tensors; i++)
            for (size_t j = 0; j < m->tensors[i].n; j++)
                sum += g[m->tensors[i].off + j] * g[m->tensors[i].off + j];
        scale *= 0.5;
        nn_real norm = sqrt(sum);
        for (size_t i = 0; i < n; i++)
            want[i] = theta[i] - (nn_real)0.25 * scale * g[i] / (1 + norm);
        assert_int_equal(full_step(&e, 0.25, &err), NN_OK);
        printf("  step %d: scalars %.17g %.17g %.0f\n", k, e.t.scalars[0], e.t.scalars[1], e.t.scalars[2]);
        assert_int_equal(gl.updates, k);      /* once per step */
        assert_int_equal(gl.reduces, 6 * k);  /* once per tensor */
        assert_int_equal(gl.steps, 6 * k);
        assert_int_equal(gl.update_t, k);
        assert_true(gl.update_lr == 0.25);
        assert_true(e.t.scalars[0] == scale);
        assert_true(memcmp(&e.t.scalars[1], &norm, sizeof norm) == 0);
        assert_true(e.t.scalars[2] == (nn_real)n);
        char what[64];
        snprintf(what, sizeof what, "step %d: theta - lr * s0 * g / (1 + ||g||)", k);
        expect_same(what, m->theta, want, n);
        memcpy(theta, want, n * sizeof(nn_real));
    }
    assert_int_equal(gl.inits, 1);
    assert_int_equal(gl.reduce_saw_sums, 0);  /* reduce gets reduced == NULL */
    assert_int_equal(gl.step_missed_sums, 0); /* step gets this step's sums */
    env_close(&e);
}

/* ---- 3. the evaluation point --------------------------------------------------- */

#define EV_EPOCHS 16
#define EV_LR 0.5

typedef struct ev_watch {
    nn_trainer *t;
    nn_real point[EV_EPOCHS][NP], raw[EV_EPOCHS][NP]; /* at each logged epoch */
    double val_acc[EV_EPOCHS], train_acc[EV_EPOCHS];
    int n;
} ev_watch;

static void ev_on_log(void *ud, const nn_metric_row *row, long epochs, int full)
{
    ev_watch *w = ud;
    assert_true(w->n < EV_EPOCHS && row->epoch == w->n);
    memcpy(w->point[w->n], nn_trainer_eval_theta(w->t), w->t->model->n_params * sizeof(nn_real));
    memcpy(w->raw[w->n], w->t->model->theta, w->t->model->n_params * sizeof(nn_real));
    w->val_acc[w->n] = row->val_acc;
    w->train_acc[w->n] = row->train_acc;
    w->n++;
}

static nn_eval eval_at(nn_model *m, const nn_real *theta, const nn_split *s, int d)
{
    nn_real *raw = m->theta;
    m->theta = (nn_real *)theta;
    nn_eval e = nn_model_evaluate(m, s->X, s->y, s->m, d);
    m->theta = raw;
    return e;
}

static void test_eval_point(void **state)
{
    env e;
    char optim[64], train[64];
    snprintf(optim, sizeof optim, "\"eval_avg\"; lr = %g", EV_LR);
    snprintf(train, sizeof train, "epochs = %d;", EV_EPOCHS);
    env_open(&e, optim, "", train, NULL);
    env_init(&e);
    nn_model *m = &e.m;
    size_t n = m->n_params;
    nn_real theta0[NP], theta[NP], g[NP], avg[NP] = {0};
    memcpy(theta0, m->theta, n * sizeof(nn_real));
    /* step 0: the evaluation point is the parameters */
    assert_non_null(e.t.eval_theta);
    assert_ptr_equal(nn_trainer_eval_point(&e.t), e.t.eval_theta);
    expect_same("evaluation point at step 0 = parameters", e.t.eval_theta, theta0, n);
    /* the rule by hand: full-batch steps, average of the iterates */
    memcpy(theta, theta0, n * sizeof(nn_real));
    for (long k = 1; k <= EV_EPOCHS; k++) {
        ref_grad(&e, theta, g);
        for (size_t i = 0; i < n; i++) {
            theta[i] -= (nn_real)EV_LR * g[i];
            avg[i] = (avg[i] * (nn_real)(k - 1) + theta[i]) / (nn_real)k;
        }
    }
    static ev_watch w;
    memset(&w, 0, sizeof w);
    w.t = &e.t;
    nn_train_cb cb = {&w, ev_on_log, NULL};
    nn_err err;
    assert_int_equal(nn_train(&e.t, &cb, &err), NN_OK);
    assert_int_equal(w.n, EV_EPOCHS);
    expect_same("raw iterate kept in the model after the last step", m->theta, theta, n);
    expect_same("evaluation point = average of the iterates", nn_trainer_eval_theta(&e.t), avg, n);
    int differ = memcmp(theta, avg, n * sizeof(nn_real)) != 0;
    assert_true(differ);
    /* every logged accuracy was measured at that epoch's evaluation point */
    for (int k = 0; k < w.n; k++) {
        assert_true(w.val_acc[k] == eval_at(m, w.point[k], &e.d.val, e.d.d).accuracy);
        assert_true(w.train_acc[k] == eval_at(m, w.point[k], &e.d.train, e.d.d).accuracy);
    }
    /* the best model is a copy of the evaluation point at the best epoch */
    assert_true(e.t.has_best);
    long be = e.t.best_epoch;
    printf("  best validation accuracy %.4f at epoch %ld (the raw iterate there: %.4f)\n", e.t.best_val,
           be, eval_at(m, w.raw[be], &e.d.val, e.d.d).accuracy);
    assert_true(be >= 1 && memcmp(w.point[be], w.raw[be], n * sizeof(nn_real)) != 0);
    expect_same("best-model copy = evaluation point at the best epoch", e.t.best_theta,
                w.point[e.t.best_epoch], n);
    /* the report: final accuracies at the evaluation point, test on the best */
    nn_report rep;
    nn_report_fill(&rep, &e.x, &e.d, m, &e.t);
    expect_same("model parameters unchanged by the report", m->theta, theta, n);
    assert_true(rep.train_acc == eval_at(m, avg, &e.d.train, e.d.d).accuracy);
    assert_true(rep.val_acc == eval_at(m, avg, &e.d.val, e.d.d).accuracy);
    assert_true(rep.test_acc == eval_at(m, e.t.best_theta, &e.d.test, e.d.d).accuracy);
    assert_int_equal(rep.gradient_evaluations, EV_EPOCHS);
    printf("  report: train %.4f val %.4f test %.4f (%s), %ld gradient evaluations\n", rep.train_acc,
           rep.val_acc, rep.test_acc, rep.test_model, rep.gradient_evaluations);

    /* the command's run folder: weights/ and best_weights/ are those points */
    char dir[128], cfg[256], cmd[1024];
    tu_temp_dir(dir);
    snprintf(cfg, sizeof cfg, "%s/config.cfg", dir);
    nn_err e2;
    assert_int_equal(nn_experiment_write(&e.x, cfg, &e2), NN_OK);
    snprintf(cmd, sizeof cmd, "NNLAB_PLUGIN_PATH= '%s' run '%s' -q -o '%s/run' --plugin-path '%s' > /dev/null",
             NN_CMD, cfg, dir, NN_FIXTURE_DIR);
    assert_int_equal(system(cmd), 0);
    static const char *const names[] = {"W1", "b1", "W2", "b2", "W3", "b3"};
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < m->n_tensors; i++) {
            char path[512], what[64];
            snprintf(path, sizeof path, "%s/run/%s/%s.npy", dir, b ? "best_weights" : "weights", names[i]);
            nn_npy a;
            if (nn_npy_read(path, &a, &e2))
                fail_msg("%s", e2.msg);
            snprintf(what, sizeof what, "%s/%s.npy = %s", b ? "best_weights" : "weights", names[i],
                     b ? "best evaluation point" : "final evaluation point");
            const nn_real *want = (b ? e.t.best_theta : avg) + m->tensors[i].off;
            assert_int_equal(a.count, m->tensors[i].n);
            expect_same(what, a.data, want, m->tensors[i].n);
            nn_npy_free(&a);
            unlink(path);
        }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    env_close(&e);
}

/* ---- 4. model_step and evaluate() -------------------------------------------- */

static struct {
    int calls, checked, loss_differs, grad_differs;
    int codes[8], n_codes;
    nn_real g_first[NP];
} ms;

/* Evaluates at unchanged parameters (must give back the given loss and
 * gradient bit for bit), then a plain gradient step. */
static int re_model_step(const nn_value *hp, const nn_optim_model *m)
{
    ms.calls++;
    double loss0 = m->loss, loss1 = 0;
    memcpy(ms.g_first, m->grad, m->n * sizeof(nn_real));
    for (int r = 0; r < 2; r++) {
        int rc = m->evaluate(m->core, &loss1);
        if (rc)
            return rc;
        ms.checked++;
        ms.loss_differs += memcmp(&loss0, &loss1, sizeof loss0) != 0;
        ms.grad_differs += memcmp(ms.g_first, m->grad, m->n * sizeof(nn_real)) != 0;
    }
    for (size_t i = 0; i < m->n; i++)
        m->param[i] -= m->lr * m->grad[i];
    return NN_OK;
}

static int two_evals(const nn_value *hp) { return 2; }

static const nn_optim_ops re_ops = {.model_step = re_model_step, .max_evals = two_evals};
TEST_OPTIM(re_desc, "reeval", re_ops);

static void plain_step(const nn_value *hp, const nn_optim_step *s)
{
    for (size_t i = 0; i < s->n; i++)
        s->param[i] -= s->lr * s->grad[i];
}

static const nn_optim_ops plain_ops = {.step = plain_step};
TEST_OPTIM(plain_desc, "plain", plain_ops);

static const char *noisy_reg =
    "reg = ( { plugin = \"dropout\"; keep_prob = 0.7; }, { plugin = \"gaussian_noise\"; std = 0.3; },"
    " { plugin = \"l2\"; lambda = 0.05; } );";
static const char *noisy_train = "epochs = 4; batch_size = 5; clip_norm = 0.2;";

/* Dropout, noise, L2 and clipping on, mini-batches of 5 (3 per epoch, the last
 * of 2): evaluate() at unchanged parameters returns the same bits, the run
 * equals the same rule without re-evaluation, every evaluation is counted. */
static void test_reevaluation_same_batch(void **state)
{
    env a, b;
    memset(&ms, 0, sizeof ms);
    env_open(&a, SGD, noisy_reg, noisy_train, &re_desc);
    env_open(&b, SGD, noisy_reg, noisy_train, &plain_desc);
    assert_int_equal(a.m.n_hooks, 2);
    env_init(&a);
    env_init(&b);
    nn_err err;
    assert_int_equal(nn_train(&a.t, NULL, &err), NN_OK);
    assert_int_equal(nn_train(&b.t, NULL, &err), NN_OK);
    printf("  %d model steps, %d re-evaluations: loss differs %d times, gradient %d times\n", ms.calls,
           ms.checked, ms.loss_differs, ms.grad_differs);
    assert_int_equal(ms.calls, 12);
    assert_int_equal(ms.checked, 24);
    assert_int_equal(ms.loss_differs, 0);
    assert_int_equal(ms.grad_differs, 0);
    expect_same("parameters: re-evaluating rule = plain rule", a.m.theta, b.m.theta, a.m.n_params);
    for (int h = 0; h < 2; h++)
        assert_memory_equal(a.m.hooks[h].rng, b.m.hooks[h].rng, sizeof(nn_rng));
    printf("  hooks' random streams after training identical\n");
    printf("  gradient evaluations: %ld (12 steps x 3) and %ld (12 steps)\n", a.t.grad_evals, b.t.grad_evals);
    assert_int_equal(a.t.grad_evals, 36);
    assert_int_equal(b.t.grad_evals, 12);
    nn_report rep;
    nn_report_fill(&rep, &a.x, &a.d, &a.m, &a.t);
    assert_int_equal(rep.gradient_evaluations, 36);
    assert_int_equal(rep.iterations, 12);
    env_close(&a);
    env_close(&b);
}

/* SAM's two gradients (Foret et al. 2021), kept in slot 0 across evaluate():
 * x_adv = x + rho * g(x); x <- x - lr * g(x_adv). */
#define SAM_RHO 0.05

static int sam_model_step(const nn_value *hp, const nn_optim_model *m)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_optim_step *s = &m->tensors[i];
        for (size_t j = 0; j < s->n; j++) {
            s->slot[0][j] = s->param[j];
            s->param[j] += (nn_real)SAM_RHO * s->grad[j];
        }
    }
    double loss;
    int rc = m->evaluate(m->core, &loss);
    if (rc)
        return rc;
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_optim_step *s = &m->tensors[i];
        for (size_t j = 0; j < s->n; j++)
            s->param[j] = s->slot[0][j] - m->lr * s->grad[j];
    }
    return NN_OK;
}

static int one_eval(const nn_value *hp) { return 1; }

static const nn_optim_ops sam_ops = {.n_slots = 1, .model_step = sam_model_step, .max_evals = one_eval};
TEST_OPTIM(sam_desc, "sam_like", sam_ops);

static void test_model_step_by_hand(void **state)
{
    env e;
    env_open(&e, SGD, "reg = ( { plugin = \"l2\"; lambda = 0.1; } );", "epochs = 1;", &sam_desc);
    env_init(&e);
    size_t n = e.m.n_params;
    nn_real theta[NP], g[NP], adv[NP], want[NP];
    memcpy(theta, e.m.theta, n * sizeof(nn_real));
    nn_err err;
    for (int k = 1; k <= 3; k++) {
        ref_grad(&e, theta, g);
        for (size_t i = 0; i < n; i++)
            adv[i] = theta[i] + (nn_real)SAM_RHO * g[i];
        ref_grad(&e, adv, g);
        for (size_t i = 0; i < n; i++)
            want[i] = theta[i] - (nn_real)0.1 * g[i];
        assert_int_equal(full_step(&e, 0.1, &err), NN_OK);
        char what[64];
        snprintf(what, sizeof what, "SAM step %d: x - lr * g(x + rho g(x))", k);
        expect_same(what, e.m.theta, want, n);
        memcpy(theta, want, n * sizeof(nn_real));
    }
    assert_int_equal(e.t.grad_evals, 6);
    env_close(&e);
}

/* Asks for one evaluation more than it declared: the third evaluate() is
 * refused with NN_EINTERNAL; the step fails even though model_step says OK. */
static int greedy_model_step(const nn_value *hp, const nn_optim_model *m)
{
    double loss;
    for (int r = 0; r < 3 && ms.n_codes < 8; r++)
        ms.codes[ms.n_codes++] = m->evaluate(m->core, &loss);
    return NN_OK;
}

static const nn_optim_ops greedy_ops = {.model_step = greedy_model_step, .max_evals = two_evals};
TEST_OPTIM(greedy_desc, "greedy", greedy_ops);

/* Passes the refusal on, as a rule should. */
static int passing_model_step(const nn_value *hp, const nn_optim_model *m)
{
    double loss;
    return m->evaluate(m->core, &loss);
}

static const nn_optim_ops passing_ops = {.model_step = passing_model_step};
TEST_OPTIM(passing_desc, "no_evals", passing_ops);

static void test_eval_bound(void **state)
{
    env e;
    memset(&ms, 0, sizeof ms);
    env_open(&e, SGD, "", "epochs = 1;", &greedy_desc);
    env_init(&e);
    nn_err err = {{0}};
    assert_int_equal(e.t.max_evals, 2);
    int rc = full_step(&e, 0.1, &err);
    printf("  greedy: evaluate() returned %d %d %d; step: %d: %s\n", ms.codes[0], ms.codes[1],
           ms.codes[2], rc, err.msg);
    assert_int_equal(ms.n_codes, 3);
    assert_int_equal(ms.codes[0], NN_OK);
    assert_int_equal(ms.codes[1], NN_OK);
    assert_int_equal(ms.codes[2], NN_EINTERNAL);
    assert_int_equal(rc, NN_EINTERNAL);
    assert_non_null(strstr(err.msg, "optimizer 'greedy': model_step called evaluate() more than max_evals() = 2 times at step 1"));
    assert_int_equal(e.t.grad_evals, 3); /* the refused call is not an evaluation */
    env_close(&e);

    env_open(&e, SGD, "", "epochs = 1;", &passing_desc);
    env_init(&e);
    assert_int_equal(e.t.max_evals, 0);
    rc = full_step(&e, 0.1, &err);
    printf("  no max_evals: step %d: %s\n", rc, err.msg);
    assert_int_equal(rc, NN_EINTERNAL);
    assert_non_null(strstr(err.msg, "more than max_evals() = 0 times"));
    assert_int_equal(e.t.grad_evals, 1);
    /* nn_train stops there too and reports it */
    env_close(&e);
    env_open(&e, SGD, "", "epochs = 3;", &passing_desc);
    env_init(&e);
    assert_int_equal(nn_train(&e.t, NULL, &err), NN_EINTERNAL);
    assert_int_equal(e.t.iteration, 1);
    nn_report rep;
    nn_report_fill(&rep, &e.x, &e.d, &e.m, &e.t);
    printf("  nn_train: stopped after %ld step, status '%s'\n", e.t.iteration, rep.status);
    assert_true(e.t.failed && !e.t.diverged);
    assert_string_equal(rep.status, "failed");
    env_close(&e);
}

/* max_evals() at the experiment's hyperparameters is checked by the trainer */
static int evals_of_lr(const nn_value *hp) { return hp[0].r > 1 ? NN_MAX_EVALS + 1 : 1; }

static const nn_optim_ops lr_evals_ops = {.model_step = passing_model_step, .max_evals = evals_of_lr};
TEST_OPTIM(lr_evals_desc, "lr_evals", lr_evals_ops);

static void test_bound_at_hyperparameters(void **state)
{
    env e;
    env_open(&e, SGD, "", "epochs = 1;", &lr_evals_desc);
    e.x.optim.values[0].r = 2;
    nn_err err;
    assert_int_equal(nn_trainer_init(&e.t, &e.x, &e.d, &e.m, &err), NN_EPLUGIN);
    printf("  %s\n", err.msg);
    assert_non_null(strstr(err.msg, "optimizer 'lr_evals': max_evals() is 1001, outside 0..1000 (NN_MAX_EVALS)"));
    nn_model_free(&e.m);
    nn_data_free(&e.d);
    nn_experiment_free(&e.x);
}

/* ---- 5. the registry's view of the v2 fields ----------------------------------- */

static void expect_refused(const nn_optim_ops *o, int abi, const char *frag)
{
    nn_plugin p = {abi, sizeof(nn_real), NN_KIND_OPTIM, "bad", "test optimizer",
                   NN_ARRAY_LEN(lr_only), lr_only, {.optim = o}};
    nn_err err = {{0}};
    int rc = nn_plugin_validate(&p, &err);
    printf("  %-52s -> %s\n", frag, err.msg);
    assert_int_equal(rc, NN_EPLUGIN);
    if (!strstr(err.msg, frag))
        fail_msg("message '%s' lacks '%s'", err.msg, frag);
}

static void nop_step(const nn_value *hp, const nn_optim_step *s) {}
static void nop_reduce(const nn_value *hp, const nn_optim_step *s, nn_real *acc) {}
static void nop_init(const nn_value *hp, nn_real *s) {}
static int many_evals(const nn_value *hp) { return hp[0].r == 0.1 ? NN_MAX_EVALS + 1 : 1; }
static int nop_model_step(const nn_value *hp, const nn_optim_model *m) { return NN_OK; }

static void test_registry_v2(void **state)
{
    expect_refused(&(nn_optim_ops){.step = nop_step, .n_scalars = NN_MAX_SCALARS + 1},
                   2, "n_scalars 65 outside 0..64 (NN_MAX_SCALARS)");
    expect_refused(&(nn_optim_ops){.step = nop_step, .n_scalars = -1}, 2, "n_scalars -1 outside");
    expect_refused(&(nn_optim_ops){.step = nop_step, .n_reduce = NN_MAX_REDUCE + 1, .reduce = nop_reduce},
                   2, "n_reduce 17 outside 0..16 (NN_MAX_REDUCE)");
    expect_refused(&(nn_optim_ops){.step = nop_step, .n_reduce = 2}, 2, "n_reduce 2 without a reduce operation");
    expect_refused(&(nn_optim_ops){.step = nop_step, .reduce = nop_reduce}, 2,
                   "a reduce operation with n_reduce 0");
    expect_refused(&(nn_optim_ops){.n_slots = 1}, 2, "optim plugin without a step operation (or model_step)");
    expect_refused(&(nn_optim_ops){.n_slots = 1}, 1, "optim plugin without a step operation");
    expect_refused(&(nn_optim_ops){.step = nop_step, .n_slots = NN_MAX_SLOTS + 1}, 2,
                   "n_slots 9 outside 0..8 (NN_MAX_SLOTS)");
    expect_refused(&(nn_optim_ops){.model_step = nop_model_step, .max_evals = many_evals}, 2,
                   "max_evals() is 1001 at the default hyperparameters, outside 0..1000 (NN_MAX_EVALS)");
    expect_refused(&(nn_optim_ops){.step = nop_step, .max_evals = one_eval}, 2,
                   "max_evals without a model_step operation");
    expect_refused(&(nn_optim_ops){.step = nop_step, .scalars_init = nop_init}, 2,
                   "scalars_init without global scalars (n_scalars is 0)");
    expect_refused(&(nn_optim_ops){.step = nop_step, .flags = 1u << 7}, 2,
                   "optim flags 0x80 include bits no NN_OPTIM_* flag defines");
    /* newer than this nnlab */
    expect_refused(&(nn_optim_ops){.step = nop_step}, NN_ABI_VERSION + 1,
                   "ABI version 3 is newer than this nnlab's ABI 2");
    /* a model_step rule without step is fine, and so is every v2 feature at once */
    nn_plugin ok = {2, sizeof(nn_real), NN_KIND_OPTIM, "ok", "test optimizer", NN_ARRAY_LEN(lr_only),
                    lr_only, {.optim = &sam_ops}};
    nn_err err;
    assert_int_equal(nn_plugin_validate(&ok, &err), NN_OK);
    ok.ops.optim = &gl_ops;
    assert_int_equal(nn_plugin_validate(&ok, &err), NN_OK);

    /* an ABI-1 descriptor: only its three fields are read, whatever follows
     * them in memory (here every byte of the ABI-2 fields is 0x5a) */
    nn_optim_ops v1;
    memset(&v1, 0x5a, sizeof v1);
    v1.n_slots = 1;
    v1.flags = NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_MATRIX | (1u << 9);
    v1.step = nop_step;
    nn_plugin old = {1, sizeof(nn_real), NN_KIND_OPTIM, "old", "test optimizer", NN_ARRAY_LEN(lr_only),
                     lr_only, {.optim = &v1}};
    assert_int_equal(nn_plugin_validate(&old, &err), NN_OK);
    nn_optim_ops r;
    memset(&r, 0x77, sizeof r);
    nn_optim_resolve(&old, &r);
    assert_int_equal(r.n_slots, 1);
    assert_int_equal(r.flags, NN_OPTIM_DECOUPLED_DECAY); /* ABI 1 had no other flag */
    assert_ptr_equal(r.step, nop_step);
    assert_true(!r.slot_len && !r.scratch_len && !r.n_scalars && !r.scalars_init && !r.n_reduce &&
                !r.reduce && !r.scalars_update && !r.eval_point && !r.model_step && !r.max_evals);
    printf("  ABI-1 descriptor: n_slots, flags and step read, the ABI-2 fields after them ignored\n");
    /* the handle holds the resolved copy */
    nn_registry reg;
    nn_registry_init(&reg, NN_FIXTURE_DIR);
    nn_handle h;
    assert_int_equal(nn_plugin_open(&reg, "eval_avg", NN_KIND_OPTIM, &h, &err), NN_OK);
    assert_int_equal(h.optim.n_slots, 1);
    assert_non_null(h.optim.eval_point);
    assert_non_null(h.optim.step);
    nn_plugin_close(&h);
    nn_registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_slots_scratch),
        cmocka_unit_test(test_scalars_reduce),
        cmocka_unit_test(test_eval_point),
        cmocka_unit_test(test_reevaluation_same_batch),
        cmocka_unit_test(test_model_step_by_hand),
        cmocka_unit_test(test_eval_bound),
        cmocka_unit_test(test_bound_at_hyperparameters),
        cmocka_unit_test(test_registry_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
