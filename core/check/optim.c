/* optim.c: the suite of an optimizer. Each check is a row of one table with
 * the families of rules it applies to; a rule's families come from what its
 * descriptor declares (every ABI 1 rule is elementwise). A check that does
 * not apply to a rule is listed as skipped with the reason.
 *
 * The state checks run first, at the default lr; each check runs in its own
 * child process, so a plugin with hidden state cannot carry it from one
 * check into the next. */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- families ---------------------------------------------------------------------- */

enum {
    FAM_ELEMENTWISE = 1u << 0, /* an element's update depends on that element alone */
};
#define FAM_ANY (~0u)

static unsigned families_of(const nn_plugin *p)
{
    (void)p;
    return FAM_ELEMENTWISE; /* ABI 1 gives a step nothing but flat arrays */
}

static const char *family_names(unsigned fam)
{
    return fam & FAM_ELEMENTWISE ? "elementwise" : "non-elementwise";
}

typedef struct optim_arg {
    const nn_plugin *p;
    const nn_value *hp;
} optim_arg;

static double default_lr(const nn_value *hp) { return hp[0].r > 0 ? hp[0].r : 1e-3; }

/* The step of a flat array of n as the core would describe it: a vector
 * (n, 1), the only tensor. */
static nn_optim_step flat_step(nn_real *x, const nn_real *g, nn_real *const *sp, size_t n, long t, nn_real lr,
                               int is_bias)
{
    return (nn_optim_step){.param = x, .grad = g, .slot = sp, .n = n, .t = t, .lr = lr, .is_bias = is_bias,
                           .rows = (int)n, .cols = 1, .n_layers = 1, .n_tensors = 1};
}

/* ---- one flat array stepped again and again --------------------------------------------- */

typedef struct opt_run {
    const nn_plugin *p;
    const nn_value *hp;
    size_t n;
    nn_real *x, *g, *slots, *sp[NN_CHK_MAX_SLOTS]; /* sp beyond the declared slots: NULL */
    long t;
} opt_run;

static void opt_init(opt_run *r, const nn_plugin *p, const nn_value *hp, size_t n)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->hp = hp;
    r->n = n;
    int ns = p->ops.optim->n_slots;
    r->x = nn_chk_alloc(n, sizeof(nn_real));
    r->g = nn_chk_alloc(n, sizeof(nn_real));
    r->slots = nn_chk_alloc((size_t)ns * n, sizeof(nn_real));
    for (int k = 0; k < ns; k++)
        r->sp[k] = r->slots + (size_t)k * n;
}

static size_t opt_state(const opt_run *r) { return (size_t)r->p->ops.optim->n_slots * r->n; }

static void opt_reset(opt_run *r, const nn_real *x0)
{
    memcpy(r->x, x0, r->n * sizeof(nn_real));
    memset(r->slots, 0, opt_state(r) * sizeof(nn_real));
    r->t = 0;
}

static void opt_step(opt_run *r, nn_real lr, int is_bias)
{
    r->t++;
    nn_optim_step s = flat_step(r->x, r->g, r->sp, r->n, r->t, lr, is_bias);
    r->p->ops.optim->step(r->hp, &s);
}

/* The fingerprint of "parameter blocks independent". */
static size_t optim_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    enum { N = 6 };
    const nn_optim_ops *o = p->ops.optim;
    nn_real g[N], *slots = nn_chk_alloc((size_t)o->n_slots * N, sizeof(nn_real)), *sp[NN_CHK_MAX_SLOTS] = {0};
    for (int k = 0; k < o->n_slots; k++)
        sp[k] = slots + k * N;
    nn_rng r;
    nn_rng_seed(&r, 3);
    nn_chk_randn(&r, out, N, 1);
    for (long t = 1; t <= 3; t++) {
        nn_chk_randn(&r, g, N, 1);
        nn_optim_step s = flat_step(out, g, sp, N, t, hp[0].r, 0);
        o->step(hp, &s);
    }
    memcpy(out + N, slots, (size_t)o->n_slots * N * sizeof(nn_real));
    free(slots);
    return N + (size_t)o->n_slots * N;
}

/* Objectives: value at x, gradient into g. */
typedef double (*objective)(const nn_real *x, nn_real *g, size_t n, int variant);

/* 1/2 sum h_i x_i^2, h from 1 to 10 (reversed for variant 1). */
static double quadratic(const nn_real *x, nn_real *g, size_t n, int variant)
{
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = variant ? n - 1 - i : i;
        double h = 1 + 9.0 * (double)k / (double)(n - 1);
        g[i] = h * x[i];
        f += 0.5 * h * x[i] * x[i];
    }
    return f;
}

static double rosenbrock(const nn_real *x, nn_real *g, size_t n, int variant)
{
    (void)n;
    (void)variant;
    double a = x[0], b = x[1];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
}

static double descend(opt_run *r, objective f, int variant, long steps, nn_real lr)
{
    for (long k = 0; k < steps; k++) {
        f(r->x, r->g, r->n, variant);
        opt_step(r, lr, 0);
    }
    return f(r->x, r->g, r->n, variant);
}

static void quad_start(nn_real *x0, size_t n, int variant)
{
    for (size_t i = 0; i < n; i++)
        x0[i] = (variant ? -2.0 : 1.0) * ((i % 2) ? -1.0 : 1.0) * (1 + 0.1 * (double)i);
}

/* Best final value over lr = default * 10^k, k = -2..3 (within the range). */
static double lr_search(const nn_plugin *p, const nn_value *hp, objective f, const nn_real *x0, size_t n,
                        long steps, double *best_lr)
{
    opt_run r;
    opt_init(&r, p, hp, n);
    double lr0 = default_lr(hp), best = INFINITY;
    *best_lr = lr0;
    for (int k = -2; k <= 3; k++) {
        double lr = lr0 * pow(10, k);
        if (lr > p->params[0].max)
            continue;
        opt_reset(&r, x0);
        double v = descend(&r, f, 0, steps, lr);
        if (isfinite(v) && v < best) {
            best = v;
            *best_lr = lr;
        }
    }
    return best;
}

/* A run over n parameters; x0 (n) drawn from N(0, 1) with rng seeded seed. */
static void opt_random_start(opt_run *r, const nn_plugin *p, const nn_value *hp, size_t n, nn_real *x0,
                             nn_rng *rng, uint32_t seed)
{
    opt_init(r, p, hp, n);
    nn_rng_seed(rng, seed);
    nn_chk_randn(rng, x0, n, 1);
}

/* ---- a model of four tensors, every array between guard zones ------------------------------ */

enum { N_TENSORS = 4, GUARD = 16, GUARD_BYTE = 0xA5, MODEL_STEPS = 3 };

static const struct {
    const char *name;
    int rows, cols, is_bias;
} shapes[N_TENSORS] = {{"W1", 32, 100, 0}, {"b1", 32, 1, 1}, {"W2", 10, 32, 0}, {"b2", 10, 1, 1}};

typedef struct tensor {
    size_t n;
    nn_real *param, *grad, *grad_copy, *x0;
    nn_real *slot[NN_CHK_MAX_SLOTS]; /* beyond the declared slots: guard bytes only */
} tensor;

/* n elements with GUARD elements of guard bytes either side. */
static nn_real *guarded(size_t n)
{
    nn_real *a = nn_chk_alloc(n + 2 * GUARD, sizeof(nn_real));
    memset(a, GUARD_BYTE, (n + 2 * GUARD) * sizeof(nn_real));
    return a + GUARD;
}

/* First element in [from, to) of a whose bytes are not all guard bytes; to when none. */
static long touched(const nn_real *a, long from, long to)
{
    for (long i = from; i < to; i++) {
        const unsigned char *b = (const unsigned char *)(a + i);
        for (size_t k = 0; k < sizeof(nn_real); k++)
            if (b[k] != GUARD_BYTE)
                return i;
    }
    return to;
}

static void model_init(tensor *m, const nn_plugin *p, nn_rng *r)
{
    int ns = p->ops.optim->n_slots;
    for (int i = 0; i < N_TENSORS; i++) {
        tensor *t = &m[i];
        t->n = (size_t)shapes[i].rows * (size_t)shapes[i].cols;
        t->param = guarded(t->n);
        t->grad = guarded(t->n);
        t->grad_copy = nn_chk_alloc(t->n, sizeof(nn_real));
        t->x0 = nn_chk_alloc(t->n, sizeof(nn_real));
        nn_chk_randn(r, t->param, t->n, 0.1);
        memcpy(t->x0, t->param, t->n * sizeof(nn_real));
        for (int k = 0; k < NN_CHK_MAX_SLOTS; k++) {
            t->slot[k] = guarded(t->n);
            if (k < ns)
                memset(t->slot[k], 0, t->n * sizeof(nn_real));
        }
    }
}

/* MODEL_STEPS steps over the four tensors in the core's order, each with a
 * fresh N(0, 1) gradient (nonzero), at the default lr. */
static void model_steps(tensor *m, const optim_arg *a, nn_rng *r)
{
    for (long t = 1; t <= MODEL_STEPS; t++)
        for (int i = 0; i < N_TENSORS; i++) {
            tensor *x = &m[i];
            nn_chk_randn(r, x->grad, x->n, 1);
            memcpy(x->grad_copy, x->grad, x->n * sizeof(nn_real));
            nn_optim_step s = {.param = x->param, .grad = x->grad, .slot = x->slot, .n = x->n, .t = t,
                               .lr = default_lr(a->hp), .is_bias = shapes[i].is_bias, .rows = shapes[i].rows,
                               .cols = shapes[i].cols, .layer = i / 2, .n_layers = N_TENSORS / 2, .index = i,
                               .n_tensors = N_TENSORS};
            a->p->ops.optim->step(a->hp, &s);
        }
}

/* "param of b1 written at element 32 (it has elements 0..31)" */
static int out_of_bounds(const nn_real *arr, size_t n, const char *what, const char *name, char *bad, size_t bn)
{
    long lo = touched(arr, -GUARD, 0), hi = touched(arr, (long)n, (long)n + GUARD), at;
    if (lo < 0)
        at = lo;
    else if (hi < (long)n + GUARD)
        at = hi;
    else
        return 0;
    snprintf(bad, bn, "%s of %s written at element %ld (it has elements 0..%zu)", what, name, at, n - 1);
    return 1;
}

static void declared_state(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    int ns = a->p->ops.optim->n_slots;
    tensor m[N_TENSORS];
    nn_rng r;
    nn_rng_seed(&r, 81);
    model_init(m, a->p, &r);
    model_steps(m, a, &r);
    char bad[256] = "";
    for (int i = 0; i < N_TENSORS && !bad[0]; i++) {
        const tensor *t = &m[i];
        const char *name = shapes[i].name;
        for (int k = ns; k < NN_CHK_MAX_SLOTS && !bad[0]; k++)
            if (touched(t->slot[k], -GUARD, (long)t->n + GUARD) < (long)t->n + GUARD)
                snprintf(bad, sizeof bad,
                         "slot[%d] of %s written, but the plugin declares %d slot%s (the core does not own, zero, save or restore state there)",
                         k, name, ns, ns == 1 ? "" : "s");
        if (!bad[0])
            out_of_bounds(t->param, t->n, "the parameters", name, bad, sizeof bad);
        for (int k = 0; k < ns && !bad[0]; k++) {
            char what[32];
            snprintf(what, sizeof what, "slot[%d]", k);
            out_of_bounds(t->slot[k], t->n, what, name, bad, sizeof bad);
        }
        if (!bad[0] && !out_of_bounds(t->grad, t->n, "the gradient", name, bad, sizeof bad) &&
            memcmp(t->grad, t->grad_copy, t->n * sizeof(nn_real)) != 0)
            snprintf(bad, sizeof bad, "the gradient of %s changed (it is read-only)", name);
    }
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps on W1 32x100, b1 32, W2 10x32, b2 10: parameters and %d slot array%s written only inside their bounds (%d guard elements either side intact), no slot beyond the %d declared, gradients unchanged",
                      MODEL_STEPS, ns, ns == 1 ? "" : "s", GUARD, ns);
}

static void every_tensor_moves(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tensor m[N_TENSORS];
    nn_rng r;
    nn_rng_seed(&r, 82);
    model_init(m, a->p, &r);
    model_steps(m, a, &r);
    char counts[256] = "", still[128] = "";
    int n_still = 0, biases_still = 0;
    for (int i = 0; i < N_TENSORS; i++) {
        const tensor *t = &m[i];
        size_t moved = 0;
        for (size_t k = 0; k < t->n; k++)
            moved += memcmp(&t->param[k], &t->x0[k], sizeof(nn_real)) != 0;
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), "%s%s %zu/%zu", i ? ", " : "",
                 shapes[i].name, moved, t->n);
        if (moved == 0) {
            snprintf(still + strlen(still), sizeof still - strlen(still), "%s%s", n_still ? ", " : "",
                     shapes[i].name);
            n_still++;
            biases_still += shapes[i].is_bias;
        }
    }
    if (n_still)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s did not move in %d steps with a nonzero gradient at lr %g (elements moved: %s)%s",
                      still, MODEL_STEPS, default_lr(a->hp), counts,
                      biases_still == n_still ? "; biases must be updated too (is_bias only tells them apart)" : "");
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "%d steps with a nonzero gradient at lr %g move every tensor (elements moved: %s)",
                      MODEL_STEPS, default_lr(a->hp), counts);
}

/* ---- one flat array ---------------------------------------------------------------------- */

static void zero_gradient(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 9 };
    if (a->p->ops.optim->flags & NN_OPTIM_DECOUPLED_DECAY) {
        nn_chk_report(c, NN_CHK_SKIP, NULL,
                      "declares decoupled weight decay (NN_OPTIM_DECOUPLED_DECAY): a zero gradient may move parameters");
        return;
    }
    opt_run r;
    nn_real x0[N];
    nn_rng rng;
    opt_random_start(&r, a->p, a->hp, N, x0, &rng, 51);
    int ok = 1;
    for (int bias = 0; bias < 2 && ok; bias++) {
        opt_reset(&r, x0);
        memset(r.g, 0, sizeof(nn_real) * N);
        for (int k = 0; k < 5; k++)
            opt_step(&r, a->hp[0].r, bias);
        ok = nn_chk_same(r.x, x0, N);
    }
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "5 steps with a zero gradient (weights and biases, default lr) leave the parameters bit-identical"
                     : "5 steps with a zero gradient moved the parameters (declare NN_OPTIM_DECOUPLED_DECAY if intended)");
}

static void scheduled_lr(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 9 };
    opt_run r;
    nn_real x0[N];
    nn_rng rng;
    opt_random_start(&r, a->p, a->hp, N, x0, &rng, 51);
    opt_reset(&r, x0);
    for (int k = 0; k < 3; k++) {
        nn_chk_randn(&rng, r.g, N, 1);
        opt_step(&r, 0, 0);
    }
    int ok = nn_chk_same(r.x, x0, N);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "3 steps with lr 0 (the step's lr, which the schedule sets) leave the parameters bit-identical"
                     : "3 steps with lr 0 moved the parameters: use s->lr, the scheduled rate, not hp[0]");
}

static void quadratic_converges(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 10 };
    nn_real x0[N], g[N];
    quad_start(x0, N, 0);
    double f0 = quadratic(x0, g, N, 0), lr;
    const long steps = 5000;
    double f = lr_search(a->p, a->hp, quadratic, x0, N, steps, &lr);
    if (!isfinite(f))
        nn_chk_report(c, NN_CHK_FAIL, NULL, "not finite after %ld steps at every lr tried (default %g x 10^-2..10^3)",
                      steps, a->hp[0].r);
    else
        nn_chk_report(c, f <= 1e-6 * f0 ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      "f=%.3e after %ld steps from f=%.4g (condition number 10, n=%d; best lr %g of default %g x 10^-2..10^3)%s",
                      f, steps, f0, N, lr, a->hp[0].r, f <= 1e-6 * f0 ? "" : "; needs f <= 1e-6 f0");
}

static void rosenbrock_progress(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    nn_real x0[2] = {-1.2, 1}, g[2];
    double f0 = rosenbrock(x0, g, 2, 0), lr;
    const long steps = 5000;
    double f = lr_search(a->p, a->hp, rosenbrock, x0, 2, steps, &lr);
    if (!isfinite(f))
        nn_chk_report(c, NN_CHK_FAIL, NULL, "not finite after %ld steps from (-1.2, 1) at every lr tried", steps);
    else
        nn_chk_report(c, f <= 0.1 * f0 ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      "f=%.3e after %ld steps from (-1.2, 1), f=%.4g (best lr %g)%s", f, steps, f0, lr,
                      f <= 0.1 * f0 ? "" : "; needs f <= 0.1 f0");
}

static void save_restore(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 10, HALF = 15 };
    double lr = a->hp[0].r;
    nn_real x0[N];
    quad_start(x0, N, 0);
    opt_run r1, r2;
    opt_init(&r1, a->p, a->hp, N);
    opt_init(&r2, a->p, a->hp, N); /* other arrays, other addresses */
    opt_reset(&r1, x0);
    descend(&r1, quadratic, 0, HALF, lr);
    size_t ns = opt_state(&r1);
    nn_real *xs = nn_chk_alloc(N, sizeof(nn_real)), *ss = nn_chk_alloc(ns, sizeof(nn_real));
    memcpy(xs, r1.x, N * sizeof(nn_real));
    memcpy(ss, r1.slots, ns * sizeof(nn_real));
    long ts = r1.t;
    descend(&r1, quadratic, 0, HALF, lr);
    memcpy(r2.x, xs, N * sizeof(nn_real));
    memcpy(r2.slots, ss, ns * sizeof(nn_real));
    r2.t = ts;
    descend(&r2, quadratic, 0, HALF, lr);
    int ok = nn_chk_same_finite(r1.x, r2.x, N) && nn_chk_same(r1.slots, r2.slots, ns);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "parameters and %d slot arrays copied out after %d steps, restored into new arrays: the next %d steps are bit-identical"
                     : "parameters and %d slot arrays copied out after %d steps and restored into new arrays: the next %d steps differ (state outside the declared slots?)",
                  a->p->ops.optim->n_slots, HALF, HALF);
}

static void hidden_state(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 10 };
    double lr = a->hp[0].r;
    opt_run s0, s1, i0, i1;
    nn_real x0[N], y0[N];
    quad_start(x0, N, 0);
    quad_start(y0, N, 1);
    opt_init(&s0, a->p, a->hp, N);
    opt_init(&s1, a->p, a->hp, N);
    opt_init(&i0, a->p, a->hp, N);
    opt_init(&i1, a->p, a->hp, N);
    opt_reset(&s0, x0);
    descend(&s0, quadratic, 0, 20, lr);
    opt_reset(&s1, y0);
    descend(&s1, quadratic, 1, 20, lr);
    opt_reset(&i0, x0);
    opt_reset(&i1, y0);
    for (int k = 0; k < 20; k++) {
        descend(&i0, quadratic, 0, 1, lr);
        descend(&i1, quadratic, 1, 1, lr);
    }
    int ok = nn_chk_same_finite(s0.x, i0.x, N) && nn_chk_same_finite(s1.x, i1.x, N);
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "two runs interleaved step by step, each with its own slots, equal the same runs alone (20 steps)"
                     : "two runs interleaved step by step, each with its own slots, differ from the same runs alone: the plugin keeps state outside its declared slots (static variables?)");
}

static void split(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 17, STEPS = 5 };
    static const size_t chunk[3] = {5, 7, 5};
    opt_run w, s;
    opt_init(&w, a->p, a->hp, N);
    opt_init(&s, a->p, a->hp, N);
    nn_rng r;
    nn_rng_seed(&r, 61);
    nn_real x0[N];
    nn_chk_randn(&r, x0, N, 1);
    opt_reset(&w, x0);
    opt_reset(&s, x0);
    int ns = a->p->ops.optim->n_slots;
    for (long t = 1; t <= STEPS; t++) {
        nn_chk_randn(&r, w.g, N, 1);
        memcpy(s.g, w.g, sizeof(nn_real) * N);
        opt_step(&w, a->hp[0].r, 0);
        size_t off = 0;
        for (int k = 0; k < 3; k++) {
            nn_real *sp[NN_CHK_MAX_SLOTS] = {0};
            for (int j = 0; j < ns; j++)
                sp[j] = s.sp[j] + off;
            nn_optim_step st = flat_step(s.x + off, s.g + off, sp, chunk[k], t, a->hp[0].r, 0);
            a->p->ops.optim->step(a->hp, &st);
            off += chunk[k];
        }
    }
    int ok = nn_chk_same_finite(w.x, s.x, N) && nn_chk_same(w.slots, s.slots, opt_state(&w));
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                  ok ? "%d steps on one array of %d equal the same steps on chunks of 5, 7 and 5, bit for bit"
                     : "%d steps on one array of %d differ from the same steps on chunks of 5, 7 and 5 (the update must be elementwise)",
                  STEPS, N);
}

static void extremes(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 8 };
    opt_run r;
    nn_real x0[N];
    nn_rng rng;
    opt_random_start(&r, a->p, a->hp, N, x0, &rng, 71);
    char bad[160] = "";
    double biggest = 0;
    for (int mode = 0; mode < 2 && !bad[0]; mode++) {
        opt_reset(&r, x0);
        for (int k = 0; k < 5; k++) {
            for (int i = 0; i < N; i++)
                r.g[i] = mode == 0 ? 0 : ((i % 2) ? -1e300 : 1e300);
            opt_step(&r, a->hp[0].r, 0);
        }
        for (size_t i = 0; i < N && !bad[0]; i++) {
            if (!isfinite(r.x[i]))
                snprintf(bad, sizeof bad, "parameter %zu is %g after 5 steps with %s gradients", i, r.x[i],
                         mode ? "1e300" : "zero");
            biggest = fmax(biggest, fabs(r.x[i]));
        }
        for (size_t i = 0; i < opt_state(&r) && !bad[0]; i++)
            if (isnan(r.slots[i]))
                snprintf(bad, sizeof bad, "slot value %zu is NaN after 5 steps with %s gradients", i,
                         mode ? "1e300" : "zero");
    }
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s (default hyperparameters)", bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "5 steps with zero and with +-1e300 gradients at the defaults: parameters finite (largest |x| %.3g), no NaN in the slots",
                      biggest);
}

/* ---- the table ----------------------------------------------------------------------------- */

typedef struct optim_check {
    const char *what;
    unsigned families; /* the rules it applies to */
    nn_chk_fn fn;
} optim_check;

static const optim_check checks[] = {
    {"zero gradient changes nothing", FAM_ANY, zero_gradient},
    {"uses the scheduled learning rate", FAM_ANY, scheduled_lr},
    {"step writes only declared state", FAM_ANY, declared_state},
    {"biases and every layer move under a nonzero gradient", FAM_ANY, every_tensor_moves},
    {"state saved and restored continues bit-identically", FAM_ANY, save_restore},
    {"no hidden state", FAM_ANY, hidden_state},
    {"same update whatever the split", FAM_ELEMENTWISE, split},
    {"no NaN on zero or huge gradients", FAM_ANY, extremes},
    {"converges on a convex quadratic", FAM_ANY, quadratic_converges},
    {"makes progress on Rosenbrock", FAM_ANY, rosenbrock_progress},
};

void nn_chk_suite_optim(nn_checker *c, const nn_plugin *p, const nn_chk_block *b)
{
    optim_arg a = {p, b->s->values};
    unsigned fam = families_of(p);
    nn_chk_independent(c, p, optim_sig);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (checks[i].families & fam)
            nn_chk_run(c, checks[i].what, 1, checks[i].fn, &a);
        else
            nn_chk_report(c, NN_CHK_SKIP, checks[i].what, "does not apply to a %s rule", family_names(fam));
    }
}
