/* test_optim_reference.c: every optimizer plugin, loaded from the build tree,
 * against trajectories made by tests/gen_optim_reference.py with PyTorch 1.13
 * and the course / CS231n formulas (tests/data/optim_reference.txt), to 1e-12
 * relative; plus the plugins' declarations and finiteness on zero and huge
 * gradients. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nnlab/plugin.h"
#include "optim_refdata.h"

#define NN_OPTIM_DIR NN_BUILD_DIR "/plugins/optim/"

static const char *const nn_optims[] = {"momentum", "adam",    "adamw", "rmsprop",
                                        "adagrad",  "nadam",   "lion"};

static nn_ref nn_refs;

/* dlopens <build>/plugins/optim/<name>.so and checks its descriptor. */
static const nn_plugin *nn_load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, NN_OPTIM_DIR "%s.so", name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen %s: %s", path, dlerror());
    nn_plugin_entry entry = (nn_plugin_entry)(uintptr_t)dlsym(h, NN_ENTRY_SYMBOL);
    assert_non_null(entry);
    const nn_plugin *p = entry();
    assert_non_null(p);
    assert_int_equal(p->abi_version, NN_ABI_VERSION);
    assert_int_equal(p->real_size, sizeof(nn_real));
    assert_int_equal(p->kind, NN_KIND_OPTIM);
    assert_string_equal(p->name, name);
    assert_non_null(p->ops.optim);
    assert_non_null(p->ops.optim->step);
    return p;
}

/* Where the largest difference of a trajectory was seen. */
typedef struct nn_worst {
    double rel;
    int step, index;
    double got, want;
} nn_worst;

/* Gradient at p for step k of the record's source. */
static void nn_grad(const nn_ref_rec *src, int k, const double *p, double *g, int n)
{
    if (strcmp(src->kind, "grads") == 0) {
        memcpy(g, src->g + (size_t)k * n, (size_t)n * sizeof *g);
        return;
    }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += src->A[(size_t)i * n + j] * p[j];
        g[i] = s - src->b[i];
    }
}

/* Runs one trajectory with core-style zeroed slots; returns the worst step. */
static nn_worst nn_run_case(const nn_plugin *pl, const nn_ref_rec *c)
{
    const nn_ref_rec *src = nn_ref_find(&nn_refs, "grads", c->source);
    if (!src)
        src = nn_ref_find(&nn_refs, "model", c->source);
    assert_non_null(src);
    assert_int_equal(src->n, c->n);
    nn_value hp[32];
    assert_true(pl->n_params <= 32);
    assert_int_equal(nn_ref_values(pl->params, pl->n_params, c, hp), 0);

    const int n = c->n, ns = pl->ops.optim->n_slots;
    assert_true(ns >= 0 && ns <= 8);
    double *p = nn_ref_alloc(n), *g = nn_ref_alloc(n);
    nn_real *slot[8] = {0};
    for (int s = 0; s < ns; s++)
        slot[s] = (nn_real *)nn_ref_alloc(n);
    memcpy(p, c->x0, (size_t)n * sizeof *p);
    nn_worst w = {0, -1, -1, 0, 0};
    for (int k = 0; k < c->steps; k++) {
        nn_grad(src, k, p, g, n);
        nn_optim_step st = {.param = p, .grad = g, .slot = slot, .n = (size_t)n, .t = k + 1, .lr = c->lr[k]};
        pl->ops.optim->step(hp, &st);
        for (int i = 0; i < n; i++) {
            double want = c->p[(size_t)k * n + i];
            double rel = nn_ref_rel(p[i], want);
            if (!(rel <= w.rel)) /* also catches NaN */
                w = (nn_worst){isnan(rel) ? INFINITY : rel, k + 1, i, p[i], want};
        }
    }
    for (int s = 0; s < ns; s++)
        free(slot[s]);
    free(p);
    free(g);
    return w;
}

/* All reference trajectories of one optimizer (state = its name). */
static void test_reference(void **state)
{
    const char *name = *state;
    const nn_plugin *pl = nn_load(name);
    int cases = 0, bad = 0;
    double worst = 0;
    for (int r = 0; r < nn_refs.n; r++) {
        const nn_ref_rec *c = &nn_refs.rec[r];
        if (strcmp(c->kind, "optim") != 0 || strcmp(c->name, name) != 0)
            continue;
        nn_worst w = nn_run_case(pl, c);
        cases++;
        worst = fmax(worst, w.rel);
        printf("  %-9s %-22s max rel diff %.3g\n", name, c->label, w.rel);
        if (w.rel > NN_REF_TOL) {
            bad++;
            printf("  MISMATCH %s %s: step %d index %d: got %.17g want %.17g (rel %.3g)\n",
                   name, c->label, w.step, w.index, w.got, w.want, w.rel);
        }
    }
    printf("  %-9s %d trajectories, largest rel diff %.3g\n", name, cases, worst);
    assert_true(cases >= 2);
    assert_int_equal(bad, 0);
}

/* lr first; defaults inside [min, max]; strings among their choices; docs. */
static void test_declarations(void **state)
{
    (void)state;
    for (int k = 0; k < NN_ARRAY_LEN(nn_optims); k++) {
        const nn_plugin *pl = nn_load(nn_optims[k]);
        assert_true(pl->n_params >= 1);
        assert_string_equal(pl->params[0].name, "lr");
        assert_int_equal(pl->params[0].type, NN_T_REAL);
        assert_non_null(pl->doc);
        for (int i = 0; i < pl->n_params; i++) {
            const nn_param_decl *d = &pl->params[i];
            assert_non_null(d->doc);
            if (d->type == NN_T_STRING) {
                assert_non_null(d->def_str);
                assert_non_null(strstr(d->choices, d->def_str));
            } else {
                assert_true(d->min <= d->def && d->def <= d->max);
            }
        }
        unsigned want = strcmp(pl->name, "adamw") == 0 || strcmp(pl->name, "lion") == 0
                            ? NN_OPTIM_DECOUPLED_DECAY : 0;
        assert_int_equal(pl->ops.optim->flags, want);
    }
}

/* Defaults, gradients 0 then +-1e300 then 0 again: parameters stay finite. */
static void test_finite_extremes(void **state)
{
    (void)state;
    enum { N = 4, STEPS = 40 };
    for (int k = 0; k < NN_ARRAY_LEN(nn_optims); k++) {
        const nn_plugin *pl = nn_load(nn_optims[k]);
        nn_value hp[32];
        nn_ref_rec none = {0};
        nn_ref_values(pl->params, pl->n_params, &none, hp);
        double p[N] = {1, -2, 0, 1e3}, g[N];
        double slots[8][N] = {{0}};
        nn_real *slot[8];
        for (int s = 0; s < 8; s++)
            slot[s] = slots[s];
        for (int t = 1; t <= STEPS; t++) {
            double big = (t % 3 == 0 ? -1e300 : 1e300);
            for (int i = 0; i < N; i++)
                g[i] = (t <= 10 || t > 30) ? 0.0 : (i == 2 ? 0.0 : big);
            nn_optim_step st = {.param = p, .grad = g, .slot = slot, .n = N, .t = t, .lr = hp[0].r};
            pl->ops.optim->step(hp, &st);
            for (int i = 0; i < N; i++)
                if (!isfinite(p[i]))
                    fail_msg("%s: param %d is %g after step %d", pl->name, i, p[i], t);
        }
    }
}

static int nn_setup(void **state)
{
    (void)state;
    nn_ref_load(&nn_refs);
    return 0;
}

/* A test named after the optimizer, with its name as state. */
#define NN_REF_TEST(name) {"reference_" #name, test_reference, NULL, NULL, (void *)#name}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declarations),
        cmocka_unit_test(test_finite_extremes),
        NN_REF_TEST(momentum),
        NN_REF_TEST(adam),
        NN_REF_TEST(adamw),
        NN_REF_TEST(rmsprop),
        NN_REF_TEST(adagrad),
        NN_REF_TEST(nadam),
        NN_REF_TEST(lion),
    };
    return cmocka_run_group_tests(tests, nn_setup, NULL);
}
