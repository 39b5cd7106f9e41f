/* test_schedule.c: core/schedule.c against torch.optim.lr_scheduler and the
 * course's formulas, and core/clip.c against torch.nn.utils.clip_grad_norm_ /
 * clip_grad_value_ (numbers in tests/data/optim_reference.txt, made by
 * tests/gen_optim_reference.py), to 1e-12 relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clip.h"
#include "optim_refdata.h"
#include "schedule.h"

static nn_ref nn_refs;

/* Runs one schedule record; returns the largest relative difference. */
static double nn_run_sched(const nn_ref_rec *c, int *where, double *got)
{
    nn_value hp[64];
    assert_true(nn_schedule_n_params <= 64);
    assert_int_equal(nn_ref_values(nn_schedule_params, nn_schedule_n_params, c, hp), 0);
    nn_schedule s;
    nn_schedule_init(&s, hp, c->scalar);
    double worst = 0;
    *where = -1;
    for (int k = 0; k < c->steps; k++) {
        double lr = nn_schedule_lr(&s, c->it[k], c->ep[k]);
        double rel = nn_ref_rel(lr, c->lr[k]);
        if (!(rel <= worst)) {
            worst = isnan(rel) ? INFINITY : rel;
            *where = k;
            *got = lr;
        }
        if (!isnan(c->metric[k]))
            nn_schedule_observe(&s, c->ep[k], c->metric[k]);
    }
    return worst;
}

static void test_schedules(void **state)
{
    (void)state;
    int cases = 0, bad = 0;
    for (int r = 0; r < nn_refs.n; r++) {
        const nn_ref_rec *c = &nn_refs.rec[r];
        if (strcmp(c->kind, "sched") != 0)
            continue;
        int k;
        double got = 0, worst = nn_run_sched(c, &k, &got);
        cases++;
        printf("  %-32s max rel diff %.3g\n", c->label, worst);
        if (worst > NN_REF_TOL) {
            bad++;
            printf("  MISMATCH %s at iteration %ld epoch %ld: got %.17g want %.17g"
                   " (rel %.3g)\n", c->label, c->it[k], c->ep[k], got, c->lr[k], worst);
        }
    }
    assert_true(cases >= 10);
    assert_int_equal(bad, 0);
}

/* The resolved defaults of the schedule group with type and monitor set;
 * hp's strings point into *c. */
static void nn_sched_values(nn_value *hp, nn_ref_rec *c, const char *type, const char *monitor)
{
    memset(c, 0, sizeof *c);
    snprintf(c->set[0].key, sizeof c->set[0].key, "type");
    snprintf(c->set[0].val, sizeof c->set[0].val, "%s", type);
    snprintf(c->set[1].key, sizeof c->set[1].key, "monitor");
    snprintf(c->set[1].val, sizeof c->set[1].val, "%s", monitor);
    c->nset = 2;
    nn_ref_values(nn_schedule_params, nn_schedule_n_params, c, hp);
}

static void test_monitor_and_table(void **state)
{
    (void)state;
    nn_value hp[64];
    nn_ref_rec c;
    nn_schedule s;
    nn_sched_values(hp, &c, "cosine", "val_loss");
    nn_schedule_init(&s, hp, 0.1);
    assert_null(nn_schedule_monitor(&s));
    nn_sched_values(hp, &c, "plateau", "val_accuracy");
    nn_schedule_init(&s, hp, 0.1);
    assert_string_equal(nn_schedule_monitor(&s), "val_accuracy");
    assert_int_equal(s.maximize, 1); /* mode auto */
    for (int i = 0; i < nn_schedule_n_params; i++) {
        const nn_param_decl *d = &nn_schedule_params[i];
        assert_non_null(d->doc);
        if (d->type == NN_T_STRING)
            assert_non_null(strstr(d->choices, d->def_str));
        else
            assert_true(d->min <= d->def && d->def <= d->max);
    }
}

static void test_clip(void **state)
{
    (void)state;
    int cases = 0;
    for (int r = 0; r < nn_refs.n; r++) {
        const nn_ref_rec *c = &nn_refs.rec[r];
        if (strncmp(c->kind, "clip", 4) != 0)
            continue;
        nn_real *g = (nn_real *)nn_ref_alloc(c->n);
        memcpy(g, c->g, (size_t)c->n * sizeof *g);
        double worst = 0;
        if (strcmp(c->kind, "clipnorm") == 0)
            worst = nn_ref_rel(nn_clip_grad_norm(g, c->n, c->scalar), c->norm);
        else
            nn_clip_grad_value(g, c->n, c->scalar);
        for (int i = 0; i < c->n; i++)
            worst = fmax(worst, nn_ref_rel(g[i], c->out[i]));
        printf("  %-9s %-10s max rel diff %.3g\n", c->kind, c->label, worst);
        free(g);
        assert_true(worst <= NN_REF_TOL);
        cases++;
    }
    assert_true(cases >= 5);
}

/* Large finite gradients keep a finite norm and are scaled to max_norm. */
static void test_clip_huge(void **state)
{
    (void)state;
    nn_real g[3] = {1e300, -1e300, 0};
    double norm = nn_clip_grad_norm(g, 3, 1.0);
    assert_true(isfinite(norm));
    assert_true(fabs(norm - sqrt(2.0) * 1e300) <= 1e-12 * norm);
    assert_true(fabs(g[0] - sqrt(0.5)) < 1e-12 && fabs(g[1] + sqrt(0.5)) < 1e-12);
}

static int nn_setup(void **state)
{
    (void)state;
    nn_ref_load(&nn_refs);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_monitor_and_table),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_clip_huge),
    };
    return cmocka_run_group_tests(tests, nn_setup, NULL);
}
