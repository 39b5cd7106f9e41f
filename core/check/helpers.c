/* helpers.c: what several suites use: bitwise comparisons, random fills,
 * config literals, parameter blocks read through the experiment reader,
 * the relative difference of two gradients, small networks and the report
 * of a gradient check. */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int nn_chk_same(const nn_real *a, const nn_real *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

int nn_chk_same_finite(const nn_real *a, const nn_real *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return nn_chk_same(a, b, n);
}

void nn_chk_randn(nn_rng *r, nn_real *v, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        v[i] = scale * nn_rng_randn(r);
}

void nn_chk_literal(char *buf, size_t n, double v, nn_type t)
{
    if (t == NN_T_INT) {
        snprintf(buf, n, "%.0f%s", v, fabs(v) > 2147483647.0 ? "L" : "");
        return;
    }
    snprintf(buf, n, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

void nn_chk_body_add(char *body, size_t n, const char *name, const char *lit)
{
    size_t len = strlen(body);
    snprintf(body + len, n - len, "%s = %s; ", name, lit);
}

int nn_chk_is_numeric(nn_type t) { return t == NN_T_REAL || t == NN_T_INT; }

/* ---- parameter blocks ---------------------------------------------------------- */

nn_chk_block *nn_chk_block_read(const nn_plugin *p, const char *body, nn_err *err)
{
    nn_chk_block *b = calloc(1, sizeof *b);
    if (!b) {
        nn_err_set(err, NN_ENOMEM, "out of memory");
        return NULL;
    }
    if (nn_experiment_read_block(&b->x, p, "nnlab check", body, err) != NN_OK) {
        nn_chk_block_free(b);
        return NULL;
    }
    b->s = nn_experiment_block(&b->x, p->kind);
    return b;
}

void nn_chk_block_free(nn_chk_block *b)
{
    if (!b)
        return;
    nn_experiment_free(&b->x);
    free(b);
}

/* ---- gradients ------------------------------------------------------------------- */

void nn_chk_diff_add(nn_chk_diff *d, double an, double num, const char *label, int row, int col)
{
    double e = an - num;
    d->d2 += e * e;
    d->a2 += an * an;
    d->b2 += num * num;
    if (fabs(e) > d->worst || isnan(e)) {
        d->worst = isnan(e) ? INFINITY : fabs(e);
        snprintf(d->where, sizeof d->where, "%s[%d,%d]", label, row, col);
        d->wa = an;
        d->wb = num;
    }
}

double nn_chk_diff_value(const nn_chk_diff *d) { return nn_rel_diff(d->d2, d->a2, d->b2); }

int nn_chk_small_net(nn_model *m, nn_act act, const int *sizes, int n_layers, long mb, uint32_t seed,
                     nn_err *err)
{
    nn_model_spec s = {.n_layers = n_layers, .act = act, .leaky_slope = 0.1, .out = NN_OUT_SOFTMAX,
                       .batch_cap = mb};
    memcpy(s.sizes, sizes, (size_t)(n_layers + 1) * sizeof(int));
    int rc = nn_model_create(m, &s, err);
    if (rc)
        return rc;
    nn_rng r;
    nn_rng_seed(&r, seed);
    nn_chk_randn(&r, m->theta, m->n_params, 0.5);
    int K = sizes[n_layers];
    nn_model_batch_changed(m);
    for (long j = 0; j < mb; j++) {
        for (int f = 0; f < sizes[0]; f++)
            m->Xb[(size_t)f * (size_t)mb + (size_t)j] = nn_rng_randn(&r);
        m->yb[j] = (int32_t)(j % K);
    }
    return NN_OK;
}

void nn_chk_report_gradcheck(nn_checker *c, const char *what, const nn_gc_result *r, int rc, const nn_err *e)
{
    if (rc) {
        nn_chk_report(c, NN_CHK_FAIL, what, "%s", e->msg);
        return;
    }
    char sum[256];
    nn_gc_summary(r, sum, sizeof sum);
    int ok = r->diff < NN_CHECK_GRAD_TOL && r->checked > 0;
    if (ok) {
        nn_chk_report(c, NN_CHK_PASS, what, "%s", sum);
        return;
    }
    int w = 0;
    for (int i = 1; i < r->n_tensors; i++)
        if (!(r->t[i].diff <= r->t[w].diff))
            w = i;
    const nn_gc_tensor *t = &r->t[w];
    nn_chk_report(c, NN_CHK_FAIL, what,
                  "%s > %g; worst tensor %s (difference %.3e, element [%d,%d]: analytic %.10g, numeric %.10g)",
                  sum, NN_CHECK_GRAD_TOL, t->name, t->diff, t->worst_row, t->worst_col, t->worst_g,
                  t->worst_num);
}
