/* independent.c: the check every kind's suite runs with its own signature
 * of a plugin's output: parameter blocks are independent (blocks A and B
 * interleaved A, B, A, B give A, B, A, B, and B differs from A), so no value
 * is cached in static state. */
#include "suite.h"

#include <math.h>
#include <string.h>

/* A value other than the default, inside the range (NAN when none). */
static double varied_of(const nn_param_decl *d)
{
    double v;
    if (d->type == NN_T_INT)
        v = d->def + 1 <= d->max ? d->def + 1 : d->def - 1;
    else if (d->def != 0)
        v = d->def * 0.5;
    else
        v = fmin(0.1, d->min + 0.5 * (d->max - d->min));
    if (v < d->min || v > d->max || v == d->def)
        v = d->min + 0.5 * (d->max - d->min);
    return (v >= d->min && v <= d->max && v != d->def) ? v : NAN;
}

/* The j-th parameter to vary: declaration order, with an optimizer's lr
 * (wherever it is declared) moved to the end. */
static int lr_last_index(const nn_plugin *p, int j)
{
    int lr = -1;
    for (int i = 0; p->kind == NN_KIND_OPTIM && i < p->n_params; i++)
        if (strcmp(p->params[i].name, "lr") == 0)
            lr = i;
    if (lr < 0)
        return j;
    if (j == p->n_params - 1)
        return lr;
    return j < lr ? j : j + 1;
}

typedef struct indep_arg {
    const nn_plugin *p;
    nn_chk_sig_fn sig;
} indep_arg;

static void check_independent(nn_checker *c, const void *arg)
{
    const nn_plugin *p = ((const indep_arg *)arg)->p;
    nn_chk_sig_fn sig = ((const indep_arg *)arg)->sig;
    nn_err e;
    nn_chk_block *A = nn_chk_block_read(p, "", &e), *B = NULL;
    if (!A)
        return; /* reported by "config accepts the defaults" */
    nn_real *sa = nn_chk_alloc(NN_CHK_SIG_CAP, sizeof(nn_real)), *sb = nn_chk_alloc(NN_CHK_SIG_CAP, sizeof(nn_real));
    nn_real *t = nn_chk_alloc(NN_CHK_SIG_CAP, sizeof(nn_real));
    size_t na = sig(p, A->s->values, sa), nb = 0;
    if (na == 0) {
        nn_chk_report(c, NN_CHK_SKIP, NULL, "the default parameter block gives no result to compare (its run fails: see the checks below)");
        return;
    }
    int eligible = 0, found = -1;
    char names[512] = "", lit[64] = "";
    double v = 0;
    /* optimizers: lr last (the core passes the scheduled rate in the step) */
    for (int j = 0; j < p->n_params && found < 0; j++) {
        int i = lr_last_index(p, j);
        const nn_param_decl *d = &p->params[i];
        v = nn_chk_is_numeric(d->type) ? varied_of(d) : NAN;
        if (isnan(v))
            continue;
        eligible++;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", eligible > 1 ? ", " : "", d->name);
        char body[256] = "";
        nn_chk_literal(lit, sizeof lit, v, d->type);
        nn_chk_body_add(body, sizeof body, d->name, lit);
        B = nn_chk_block_read(p, body, &e);
        if (!B)
            continue;
        nb = sig(p, B->s->values, sb);
        if (nb != na || !nn_chk_same(sa, sb, na))
            found = i;
        else {
            nn_chk_block_free(B);
            B = NULL;
        }
    }
    if (found < 0) {
        if (eligible == 0)
            nn_chk_report(c, NN_CHK_SKIP, NULL, "no numeric hyperparameter to vary");
        else
            nn_chk_report(c, NN_CHK_FAIL, NULL,
                          "changing %s one at a time never changed the result (are the values cached in static state?)",
                          names);
    } else {
        int ok = 1;
        for (int round = 0; round < 2 && ok; round++) {
            ok = sig(p, A->s->values, t) == na && nn_chk_same(t, sa, na);
            ok = ok && sig(p, B->s->values, t) == nb && nn_chk_same(t, sb, nb);
        }
        const nn_param_decl *d = &p->params[found];
        nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      ok ? "%s %g -> %g changes the result; blocks A, B, A, B interleaved give A, B, A, B exactly"
                         : "%s %g -> %g: blocks A, B, A, B interleaved do not reproduce A and B (state kept between calls)",
                      d->name, d->def, v);
    }
}

void nn_chk_independent(nn_checker *c, const nn_plugin *p, nn_chk_sig_fn sig)
{
    indep_arg a = {p, sig};
    nn_chk_run(c, "parameter blocks independent", 1, check_independent, &a);
}

