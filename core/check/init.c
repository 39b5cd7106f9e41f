/* init.c: the suite of a weight initializer: every element filled, mean and
 * variance against the declared mean()/variance(), seeds, and a small net
 * initialised with it through the gradient check. */
#include "suite.h"

#include <math.h>
#include <string.h>

/* The fingerprint of "parameter blocks independent". */
static size_t init_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    nn_rng r;
    nn_rng_seed(&r, 42);
    p->ops.init->fill(hp, &r, out, out + 35, 7, 5);
    return 40;
}

typedef struct init_arg {
    const nn_plugin *p;
    const nn_value *hp;
} init_arg;

static void fills_every_element(nn_checker *c, const void *arg)
{
    const init_arg *a = arg;
    static const int shapes[3][2] = {{53, 37}, {1, 1}, {3, 200}}; /* fan_in, fan_out */
    char bad[256] = "";
    for (int s = 0; s < 3 && !bad[0]; s++) {
        int fi = shapes[s][0], fo = shapes[s][1];
        size_t n = (size_t)fi * (size_t)fo, left = 0;
        nn_real *W = nn_chk_alloc(n, sizeof(nn_real)), *b = nn_chk_alloc((size_t)fo, sizeof(nn_real));
        for (size_t i = 0; i < n; i++)
            W[i] = NAN;
        for (int i = 0; i < fo; i++)
            b[i] = NAN;
        nn_rng r;
        nn_rng_seed(&r, 1);
        int rc = a->p->ops.init->fill(a->hp, &r, W, b, fi, fo);
        for (size_t i = 0; i < n; i++)
            left += !isfinite(W[i]);
        for (int i = 0; i < fo; i++)
            left += !isfinite(b[i]);
        if (rc)
            snprintf(bad, sizeof bad, "fill returned %d for fan_in %d, fan_out %d", rc, fi, fo);
        else if (left)
            snprintf(bad, sizeof bad, "%zu of %zu elements of W (%d x %d) and b not finite afterwards", left,
                     n + (size_t)fo, fo, fi);
    }
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "W and b pre-filled with NaN all finite after fill (W 37x53, 1x1, 200x3)");
}

/* One line per matrix shape. */
static void mean_and_variance(nn_checker *c, const void *arg)
{
    const init_arg *a = arg;
    const nn_init_ops *o = a->p->ops.init;
    static const int big[2][2] = {{400, 300}, {150, 600}};
    if (!o->variance) {
        nn_chk_report(c, NN_CHK_SKIP, NULL, "the plugin declares no variance()");
        return;
    }
    for (int s = 0; s < 2; s++) {
        int fi = big[s][0], fo = big[s][1];
        size_t n = (size_t)fi * (size_t)fo;
        nn_real *W = nn_chk_alloc(n, sizeof(nn_real)), *b = nn_chk_alloc((size_t)fo, sizeof(nn_real));
        nn_rng r;
        nn_rng_seed(&r, 7 + (uint32_t)s);
        o->fill(a->hp, &r, W, b, fi, fo);
        double mean = 0, var = 0, m4 = 0;
        for (size_t i = 0; i < n; i++)
            mean += W[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = W[i] - mean;
            var += d * d;
            m4 += d * d * d * d;
        }
        var /= (double)(n - 1);
        m4 /= (double)n;
        double dv = o->variance(a->hp, fi, fo), dm = o->mean ? o->mean(a->hp, fi, fo) : 0;
        double se_m = sqrt(var / (double)n), se_v = sqrt(fmax(m4 - var * var, 0) / (double)n);
        double zm, zv;
        int ok;
        if (dv == 0) {
            ok = var == 0 && fabs(mean - dm) <= 1e-12 * fmax(1, fabs(dm));
            zm = zv = ok ? 0 : INFINITY;
        } else {
            zm = se_m > 0 ? (mean - dm) / se_m : (mean == dm ? 0 : INFINITY);
            zv = se_v > 0 ? (var - dv) / se_v : INFINITY;
            ok = fabs(zm) <= 5 && fabs(zv) <= 5;
        }
        nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      "%zu weights, fan_in %d, fan_out %d: mean %.4e (declared %.4e, %.1f standard errors), variance %.5e (declared %.5e, %.1f standard errors)%s",
                      n, fi, fo, mean, dm, zm, var, dv, zv, ok ? "" : "; tolerance 5");
    }
}

static void seeds(nn_checker *c, const void *arg)
{
    const init_arg *a = arg;
    const nn_init_ops *o = a->p->ops.init;
    enum { FI = 30, FO = 20, N = FI * FO + FO };
    nn_real *x = nn_chk_alloc(N, sizeof(nn_real)), *y = nn_chk_alloc(N, sizeof(nn_real)),
            *z = nn_chk_alloc(N, sizeof(nn_real));
    nn_rng r;
    nn_rng_seed(&r, 11);
    o->fill(a->hp, &r, x, x + FI * FO, FI, FO);
    nn_rng_seed(&r, 11);
    o->fill(a->hp, &r, y, y + FI * FO, FI, FO);
    nn_rng_seed(&r, 12);
    o->fill(a->hp, &r, z, z + FI * FO, FI, FO);
    int constant = 1;
    for (int i = 1; i < FI * FO; i++)
        constant &= x[i] == x[0];
    int repro = nn_chk_same(x, y, N), differ = !nn_chk_same(x, z, N);
    if (!repro)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "the same seed gave different weights");
    else if (!differ && !constant)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "seeds 11 and 12 gave identical weights (the stream is not used)");
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      constant ? "same seed, same weights (constant initializer: the seed has no effect)"
                               : "same seed, same weights; different seeds, different weights");
}

static void small_net_gradcheck(nn_checker *c, const void *arg)
{
    const init_arg *a = arg;
    static const int sizes[] = {4, 6, 5, 3};
    nn_model m;
    nn_err e;
    nn_gc_result r;
    int rc = nn_chk_small_net(&m, NN_ACT_TANH, sizes, 3, 5, 4, &e);
    if (rc == NN_OK) {
        nn_rng ir;
        nn_rng_seed(&ir, 3);
        for (int l = 0; l < 3 && rc == NN_OK; l++)
            rc = a->p->ops.init->fill(a->hp, &ir, nn_model_W(&m, l), nn_model_b(&m, l), sizes[l], sizes[l + 1]);
        if (rc)
            nn_err_set(&e, rc, "fill failed");
        else
            rc = nn_gradcheck(&m, 5, NULL, &r, &e);
        nn_model_free(&m);
    }
    nn_chk_report_gradcheck(c, NULL, &r, rc, &e);
}

void nn_chk_suite_init(nn_checker *c, const nn_plugin *p, const nn_chk_block *b)
{
    init_arg a = {p, b->s->values};
    nn_chk_independent(c, p, init_sig);
    nn_chk_run(c, "fills every element", 1, fills_every_element, &a);
    nn_chk_run(c, "mean and variance", 1, mean_and_variance, &a);
    nn_chk_run(c, "seeds", 1, seeds, &a);
    nn_chk_run(c, "gradient check of a 4-6-5-3 tanh net initialised with it", 1, small_net_gradcheck, &a);
}
