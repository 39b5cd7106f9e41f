/* reg.c: the suite of a regularizer: penalty gradient and activation
 * backward against central differences, the neutral setting (check.h)
 * changes nothing, evaluation ignores it and training is reproducible from
 * its stream, and a small net with it through the gradient check. The
 * checks run at the active setting: the defaults, with any default that is
 * already neutral moved off it. */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decls.h"
#include "util.h"

/* The fingerprint of "parameter blocks independent". */
static size_t reg_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    const nn_reg_ops *o = p->ops.reg;
    nn_rng r;
    nn_rng_seed(&r, 5);
    size_t k = 0;
    if (o->penalty) {
        nn_real w[24], g[24] = {0};
        nn_chk_randn(&r, w, 24, 1);
        nn_reg_tensor t = {w, g, 6, 4, 10, 0, 0};
        out[k++] = o->penalty(hp, &t);
        memcpy(out + k, g, sizeof g);
        k += 24;
    }
    if (o->act_forward) {
        nn_real mask[20];
        nn_rng s;
        nn_rng_seed(&s, 9);
        nn_chk_randn(&r, out + k, 20, 1);
        if (o->begin_pass)
            o->begin_pass(hp, &s);
        nn_reg_act a = {out + k, mask, 5, 4, 0, 2, &s};
        o->act_forward(hp, &a);
        k += 20;
        nn_chk_randn(&r, out + k, 20, 1);
        a.a = out + k;
        o->act_backward(hp, &a);
        k += 20;
    }
    if (o->constrain) {
        nn_chk_randn(&r, out + k, 20, 1);
        o->constrain(hp, out + k, 5, 4);
        k += 20;
    }
    return k;
}

/* Regularizer neutral value of a REAL range (check.h). */
static double neutral_of(const nn_param_decl *d) { return d->min <= 0 && 0 <= d->max ? 0 : d->max; }

/* neutral = 1: the neutral setting; 0: the active one (defaults, but a
 * default that is already neutral is moved off it). Lists the settings in
 * desc. Returns how many REAL values it set, -1 when the defaults cannot be
 * read (err says why). */
static int reg_body(const nn_plugin *p, int neutral, char *body, size_t n, char *desc, size_t dn, nn_err *err)
{
    nn_value def[NN_MAX_PARAMS];
    void *lists[NN_MAX_PARAMS];
    if (nn_decls_defaults(p->params, p->n_params, def, lists, err) != NN_OK)
        return -1;
    int count = 0;
    body[0] = desc[0] = '\0';
    for (int i = 0; i < p->n_params; i++) {
        const nn_param_decl *d = &p->params[i];
        char lit[64], one[64];
        double nv = neutral_of(d);
        if (d->type == NN_T_REAL) {
            double v = nv;
            if (!neutral) {
                if (d->def != nv)
                    continue;
                v = nv == 0 ? fmin(0.1, d->max) : d->min + 0.8 * (d->max - d->min);
            }
            nn_chk_literal(lit, sizeof lit, v, NN_T_REAL);
            nn_chk_body_add(body, n, d->name, lit);
            snprintf(one, sizeof one, "%s%s = %g", count ? ", " : "", d->name, v);
            strncat(desc, one, dn - strlen(desc) - 1);
            count++;
        } else if (d->type == NN_T_REALLIST && neutral && def[i].n > 0) {
            char list[512] = "[";
            nn_chk_literal(lit, sizeof lit, nv, NN_T_REAL);
            for (int k = 0; k < def[i].n; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, lit, sizeof list - strlen(list) - 1);
            }
            strncat(list, "]", sizeof list - strlen(list) - 1);
            nn_chk_body_add(body, n, d->name, list);
            snprintf(one, sizeof one, "%s%s = [%g, ...]", count ? ", " : "", d->name, nv);
            strncat(desc, one, dn - strlen(desc) - 1);
            count++;
        }
    }
    for (int i = 0; i < p->n_params; i++)
        free(lists[i]);
    return count;
}

typedef struct reg_arg {
    const nn_plugin *p;
    const nn_chk_block *b; /* the active setting */
} reg_arg;

static void penalty_fd(nn_checker *c, const void *arg)
{
    const reg_arg *a = arg;
    const nn_reg_ops *o = a->p->ops.reg;
    const nn_value *hp = a->b->s->values;
    static const int ts[3][4] = {{6, 4, 0, 0}, {6, 1, 0, 1}, {3, 6, 1, 0}}; /* rows, cols, layer, bias */
    static const char *const names[3] = {"W1", "b1", "W2"};
    const double eps = NN_GC_DEFAULT_EPS;
    nn_chk_diff d = {0};
    double pen = 0;
    nn_rng r;
    nn_rng_seed(&r, 21);
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)ts[k][0] * (size_t)ts[k][1];
        nn_real *w = nn_chk_alloc(n, sizeof(nn_real)), *g = nn_chk_alloc(n, sizeof(nn_real)),
                *scratch = nn_chk_alloc(n, sizeof(nn_real));
        nn_chk_randn(&r, w, n, 1);
        nn_reg_tensor t = {w, g, ts[k][0], ts[k][1], 10, ts[k][2], ts[k][3]};
        pen += o->penalty(hp, &t);
        nn_reg_tensor s = t;
        s.grad = scratch;
        for (size_t i = 0; i < n; i++) {
            nn_real keep = w[i], xp = (nn_real)(keep + eps), xm = (nn_real)(keep - eps);
            w[i] = xp;
            double jp = o->penalty(hp, &s);
            w[i] = xm;
            double jm = o->penalty(hp, &s);
            w[i] = keep;
            nn_chk_diff_add(&d, g[i], nn_gc_quotient(jp, jm, xp, xm, eps), names[k], (int)(i / (size_t)ts[k][1]),
                            (int)(i % (size_t)ts[k][1]));
        }
    }
    double diff = nn_chk_diff_value(&d);
    int ok = diff < NN_CHECK_GRAD_TOL;
    char over[32] = "";
    if (!ok)
        snprintf(over, sizeof over, " > %g", NN_CHECK_GRAD_TOL);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  "difference %.3e%s (eps %g, W 6x4, b 6x1, W 3x6, m 10, penalty %.6g; worst %s: analytic %.10g, numeric %.10g)",
                  diff, over, eps, pen, d.where, d.wa, d.wb);
}

/* Sum of G * act_forward(a) with the stream restored to *s0. */
static double act_objective(const nn_reg_ops *o, const nn_value *hp, const nn_rng *s0, const nn_real *a0,
                            nn_real *a, nn_real *mask, const nn_real *G, int units, long m, int layer)
{
    nn_rng s = *s0;
    size_t n = (size_t)units * (size_t)m;
    memcpy(a, a0, n * sizeof(nn_real));
    if (o->begin_pass)
        o->begin_pass(hp, &s);
    nn_reg_act act = {a, mask, units, m, layer, 2, &s};
    o->act_forward(hp, &act);
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += G[i] * a[i];
    return L;
}

static void act_fd(nn_checker *c, const void *arg)
{
    const reg_arg *a = arg;
    const nn_reg_ops *o = a->p->ops.reg;
    const nn_value *hp = a->b->s->values;
    enum { U = 5, M = 4, N = U * M };
    const double eps = NN_GC_DEFAULT_EPS;
    nn_chk_diff d = {0};
    nn_rng r;
    nn_rng_seed(&r, 31);
    for (int layer = 0; layer < 2; layer++) {
        nn_real a0[N], x[N], mask[N], G[N], dA[N];
        nn_chk_randn(&r, a0, N, 1);
        nn_chk_randn(&r, G, N, 1);
        nn_rng s0;
        nn_rng_seed(&s0, 77 + (uint32_t)layer);
        act_objective(o, hp, &s0, a0, x, mask, G, U, M, layer);
        memcpy(dA, G, sizeof dA);
        nn_rng s = s0;
        nn_reg_act act = {dA, mask, U, M, layer, 2, &s};
        o->act_backward(hp, &act);
        for (int i = 0; i < N; i++) {
            nn_real y[N];
            memcpy(y, a0, sizeof y);
            nn_real xp = (nn_real)(a0[i] + eps), xm = (nn_real)(a0[i] - eps);
            y[i] = xp;
            double jp = act_objective(o, hp, &s0, y, x, mask, G, U, M, layer);
            y[i] = xm;
            double jm = act_objective(o, hp, &s0, y, x, mask, G, U, M, layer);
            nn_chk_diff_add(&d, dA[i], nn_gc_quotient(jp, jm, xp, xm, eps), layer ? "A2" : "A1", i / M, i % M);
        }
    }
    double diff = nn_chk_diff_value(&d);
    int ok = diff < NN_CHECK_GRAD_TOL;
    char over[32] = "";
    if (!ok)
        snprintf(over, sizeof over, " > %g", NN_CHECK_GRAD_TOL);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  "difference %.3e%s (eps %g, 5 units x 4 examples, hidden layers 1 and 2, masks from the same stream; worst %s: analytic %.10g, numeric %.10g)",
                  diff, over, eps, d.where, d.wa, d.wb);
}

static void neutral_setting(nn_checker *c, const void *arg)
{
    const nn_plugin *p = ((const reg_arg *)arg)->p;
    char body[2048], desc[512];
    nn_err e;
    int count = reg_body(p, 1, body, sizeof body, desc, sizeof desc, &e);
    if (count < 0) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
        return;
    }
    if (count == 0) {
        nn_chk_report(c, NN_CHK_SKIP, NULL, "no real hyperparameter to turn it off with");
        return;
    }
    nn_chk_block *b = nn_chk_block_read(p, body, &e);
    if (!b) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "the neutral setting (%s) is refused: %s", desc, e.msg);
        return;
    }
    const nn_reg_ops *o = p->ops.reg;
    const nn_value *hp = b->s->values;
    enum { N = 24 };
    nn_real w[N], g[N], g0[N], a[N], a0[N], mask[N];
    nn_rng r;
    nn_rng_seed(&r, 41);
    char bad[256] = "";
    if (o->penalty) {
        nn_chk_randn(&r, w, N, 1);
        nn_chk_randn(&r, g0, N, 1);
        memcpy(g, g0, sizeof g);
        nn_reg_tensor t = {w, g, 6, 4, 10, 0, 0};
        nn_real pen = o->penalty(hp, &t);
        if (pen != 0)
            snprintf(bad, sizeof bad, "penalty %g instead of 0", pen);
        else if (!nn_chk_same(g, g0, N))
            snprintf(bad, sizeof bad, "the penalty changed the gradient");
    }
    if (o->act_forward && !bad[0]) {
        nn_chk_randn(&r, a0, N, 1);
        memcpy(a, a0, sizeof a);
        nn_rng s;
        nn_rng_seed(&s, 3);
        if (o->begin_pass)
            o->begin_pass(hp, &s);
        nn_reg_act act = {a, mask, 6, 4, 0, 2, &s};
        o->act_forward(hp, &act);
        if (!nn_chk_same(a, a0, N))
            snprintf(bad, sizeof bad, "the activation hook changed the activations");
        o->act_backward(hp, &act);
        if (!bad[0] && !nn_chk_same(a, a0, N))
            snprintf(bad, sizeof bad, "the activation hook changed the backward gradient");
    }
    if (o->constrain && !bad[0]) {
        nn_chk_randn(&r, w, N, 1);
        memcpy(g0, w, sizeof w);
        o->constrain(hp, w, 6, 4);
        if (!nn_chk_same(w, g0, N))
            snprintf(bad, sizeof bad, "the constraint changed the weights");
    }
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s: %s", desc, bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "%s: penalty 0 and gradients, activations and weights bit-identical",
                      desc);
}

/* Outputs of two forward passes of a 3-6-5-2 relu net with the hook, in
 * training or evaluation mode (each training pass restarts the stream from
 * the same state); plain: the output without the hook. */
enum { MODE_MB = 4, MODE_OUT = 2 * MODE_MB };

static int mode_outputs(const reg_arg *a, int training, nn_real out[2][MODE_OUT], nn_real plain[MODE_OUT],
                        nn_err *e)
{
    static const int sizes[] = {3, 6, 5, 2};
    nn_model m;
    int rc = nn_chk_small_net(&m, NN_ACT_RELU, sizes, 3, MODE_MB, 8, e);
    if (rc)
        return rc;
    nn_model_forward(&m, MODE_MB, 0);
    memcpy(plain, m.Z[2], sizeof(nn_real) * MODE_OUT);
    nn_rng stream;
    nn_rng_seed(&stream, 5);
    rc = nn_model_add_hook(&m, a->p->ops.reg, a->b->s->values, &stream, e);
    nn_rng saved = stream;
    for (int k = 0; k < 2 && rc == NN_OK; k++) {
        if (training)
            stream = saved;
        nn_model_forward(&m, MODE_MB, training);
        memcpy(out[k], m.Z[2], sizeof(nn_real) * MODE_OUT);
    }
    nn_model_free(&m);
    return rc;
}

static void evaluation_deterministic(nn_checker *c, const void *arg)
{
    nn_real ev[2][MODE_OUT], plain[MODE_OUT];
    nn_err e;
    if (mode_outputs(arg, 0, ev, plain, &e) != NN_OK) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
        return;
    }
    int ok = nn_chk_same(ev[0], plain, MODE_OUT) && nn_chk_same(ev[1], plain, MODE_OUT);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "evaluation outputs identical twice and equal to the network without it"
                     : "evaluation outputs differ between calls or from the network without it");
}

static void training_reproducible(nn_checker *c, const void *arg)
{
    nn_real tr[2][MODE_OUT], plain[MODE_OUT];
    nn_err e;
    if (mode_outputs(arg, 1, tr, plain, &e) != NN_OK) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
        return;
    }
    int ok = nn_chk_same(tr[0], tr[1], MODE_OUT);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "two training passes from the same stream state give identical outputs"
                     : "two training passes from the same stream state differ (randomness outside the given stream?)");
}

static void net_gradcheck(nn_checker *c, const void *arg)
{
    const reg_arg *a = arg;
    const nn_reg_ops *o = a->p->ops.reg;
    static const int sizes[] = {4, 7, 6, 3};
    nn_model m;
    nn_gc_result r;
    nn_err e;
    int rc = nn_chk_small_net(&m, NN_ACT_RELU, sizes, 3, 6, 9, &e);
    nn_rng stream;
    nn_rng_seed(&stream, 13);
    if (rc == NN_OK && o->act_forward)
        rc = nn_model_add_hook(&m, o, a->b->s->values, &stream, &e);
    nn_gc_opts go = {.regs = a->b->s, .n_reg = o->penalty ? 1 : 0};
    if (rc == NN_OK)
        rc = nn_gradcheck(&m, 6, &go, &r, &e);
    nn_chk_report_gradcheck(c, NULL, &r, rc, &e);
}

void nn_chk_suite_reg(nn_checker *c, const nn_plugin *p, const nn_chk_block *defaults)
{
    (void)defaults;
    const nn_reg_ops *o = p->ops.reg;
    nn_chk_independent(c, p, reg_sig);
    char body[2048], desc[512];
    nn_err e;
    int moved = reg_body(p, 0, body, sizeof body, desc, sizeof desc, &e);
    nn_chk_block *b = moved < 0 ? NULL : nn_chk_block_read(p, body, &e);
    if (!b) {
        nn_chk_report(c, NN_CHK_FAIL, "active setting", "%s", e.msg);
        return;
    }
    if (moved)
        fprintf(c->out, "     (checked with %s; every other parameter at its default)\n", desc);
    reg_arg a = {p, b};
    if (o->penalty)
        nn_chk_run(c, "penalty gradient vs central differences", 1, penalty_fd, &a);
    if (o->act_forward)
        nn_chk_run(c, "activation backward vs central differences", 1, act_fd, &a);
    nn_chk_run(c, "neutral setting changes nothing", 1, neutral_setting, &a);
    if (o->act_forward) {
        nn_chk_run(c, "evaluation deterministic", 1, evaluation_deterministic, &a);
        nn_chk_run(c, "training pass reproducible", 1, training_reproducible, &a);
    }
    if (o->penalty || o->act_forward)
        nn_chk_run(c, "gradient check of a 4-7-6-3 relu net with it", 1, net_gradcheck, &a);
    nn_chk_block_free(b);
}
