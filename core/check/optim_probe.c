/* optim_probe.c: the optimizer suite's check problems (optim_probe.h). */
#include "optim_probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decls.h"
#include "family.h"

optim_arg optim_arg_of(const nn_plugin *p, const nn_value *hp)
{
    optim_arg a = {p, {0}, hp, 0, 0};
    nn_optim_resolve(p, &a.o);
    a.fam = nn_optim_families(&a.o);
    a.lr = nn_decls_find(p->params, p->n_params, "lr", NN_T_REAL);
    if (a.lr < 0)
        a.lr = 0; /* the registry refuses an optimizer without one */
    return a;
}

/* ---- check problems: tensors, their optimizer state, an objective ------------------------ */

/* n elements with GUARD elements of guard bytes either side (and inside). */
nn_real *probe_guarded(size_t n)
{
    nn_real *a = nn_chk_alloc(n + 2 * GUARD, sizeof(nn_real));
    memset(a, GUARD_BYTE, (n + 2 * GUARD) * sizeof(nn_real));
    return a + GUARD;
}

static nn_real *guarded_zero(size_t n)
{
    nn_real *a = probe_guarded(n);
    memset(a, 0, n * sizeof *a);
    return a;
}

/* First element in [from, to) of a whose bytes are not all guard bytes; to when none. */
long probe_touched(const nn_real *a, long from, long to)
{
    for (long i = from; i < to; i++) {
        const unsigned char *b = (const unsigned char *)(a + i);
        for (size_t k = 0; k < sizeof(nn_real); k++)
            if (b[k] != GUARD_BYTE)
                return i;
    }
    return to;
}

/* A normal number fixed by (seed, t, e): splitmix64 and Box-Muller. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double hash_normal(uint64_t seed, long t, size_t e)
{
    uint64_t h = mix(mix(seed * 0x100000001b3ull + (uint64_t)t) ^ (uint64_t)e * 0x9e3779b97f4a7c15ull);
    double u1 = ((double)(h >> 11) + 0.5) * 0x1p-53, u2 = ((double)(mix(h) >> 11) + 0.5) * 0x1p-53;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Loss and gradient of the problem's objective at its parameters. */
static double objective(prob *P)
{
    double f = 0;
    if (P->obj == OBJ_ROSEN) {
        nn_real *x = P->theta + P->ts[0].off, *g = P->grad + P->ts[0].off;
        double a = x[0], b = x[1];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
    }
    size_t N = P->n_elems;
    for (int i = 0; i < P->nt; i++) {
        const nn_tensor *t = &P->ts[i];
        const nn_real *x = P->theta + t->off;
        nn_real *g = P->grad + t->off;
        for (size_t j = 0; j < t->n; j++) {
            size_t e = P->spec[i].e0 + j;
            if (P->spec[i].flags & T_ZERO_G) {
                g[j] = 0;
                continue;
            }
            switch (P->obj) {
            case OBJ_ZERO: g[j] = 0; break;
            case OBJ_QUAD: {
                size_t k = P->variant ? N - 1 - e : e;
                double h = N > 1 ? 1 + 9.0 * (double)k / (double)(N - 1) : 1;
                g[j] = h * x[j];
                f += 0.5 * h * x[j] * x[j];
                break;
            }
            case OBJ_NOISY: {
                double c = hash_normal(P->seed, P->t, e), d = x[j] - c;
                g[j] = d;
                f += 0.5 * d * d;
                break;
            }
            case OBJ_CONST: g[j] = (e % 2 ? -1 : 1) * P->gscale; break;
            case OBJ_ROSEN: break;
            }
        }
    }
    return f;
}

/* The pipeline's evaluate(): the same objective at the current parameters. */
static int prob_loss(void *ud, double *loss)
{
    prob *P = ud;
    *loss = objective(P);
    P->evals++;
    return NN_OK;
}

static void fill_scratch(prob *P, int i, double v)
{
    for (int k = i < 0 ? 0 : i; k < (i < 0 ? P->nt : i + 1); k++)
        for (size_t j = 0; j < P->plan.scratch_len[k]; j++)
            P->scratch_ptrs[k][j] = v;
}

static int watched(nn_optim_call c)
{
    return c != NN_OPTIM_CALL_SCALARS_UPDATE && c != NN_OPTIM_CALL_MODEL_STEP;
}

static void probe_before(void *ud, nn_optim_call c, int i)
{
    prob *P = ud;
    P->calls[c]++;
    if (P->scratch_nan)
        fill_scratch(P, i, NAN);
    if (P->watch && watched(c))
        memcpy(P->snap, P->scalars, (size_t)P->a->o.n_scalars * sizeof(nn_real));
    if (P->gsnap && i >= 0 && (c == NN_OPTIM_CALL_REDUCE || c == NN_OPTIM_CALL_STEP))
        memcpy(P->gsnap + P->ts[i].off, P->grad + P->ts[i].off, P->ts[i].n * sizeof(nn_real));
}

static void probe_after(void *ud, nn_optim_call c, int i)
{
    prob *P = ud;
    if (P->gsnap && !P->bad[0] && i >= 0 && (c == NN_OPTIM_CALL_REDUCE || c == NN_OPTIM_CALL_STEP) &&
        memcmp(P->gsnap + P->ts[i].off, P->grad + P->ts[i].off, P->ts[i].n * sizeof(nn_real)) != 0)
        snprintf(P->bad, sizeof P->bad, "the gradient of %s changed in %s() (it is read-only)", P->spec[i].name,
                 nn_optim_call_name(c));
    if (!P->watch || !watched(c) || P->bad[0])
        return;
    for (int k = 0; k < P->a->o.n_scalars; k++)
        if (memcmp(&P->snap[k], &P->scalars[k], sizeof(nn_real)) != 0) {
            snprintf(P->bad, sizeof P->bad, "scalars[%d] changed inside %s() of %s at step %ld (%.17g -> %.17g)",
                     k, nn_optim_call_name(c), P->spec[i].name, P->t, P->snap[k], P->scalars[k]);
            return;
        }
}

/* Tensors spec[0..nt) laid out as the trainer does (contiguous for a
 * model_step rule, whose view is flat; with guard gaps between tensors
 * otherwise), parameters from N(0, 0.01) keyed by element (zero for
 * T_ZERO_W), the optimizer's state planned, zeroed and viewed by the
 * engine, scalars_init run. guards: slots beyond the declared ones are guard
 * bytes (else NULL, as in training). NULL with the message in err when the
 * optimizer's sizes are unusable. */
prob *prob_new(const optim_arg *a, const tspec *spec, int nt, uint64_t seed, int guards, nn_err *err)
{
    prob *P = nn_chk_alloc(1, sizeof *P);
    P->a = a;
    P->nt = nt;
    P->seed = seed;
    P->obj = OBJ_NOISY;
    int gaps = !a->o.model_step;
    size_t off = 0;
    for (int i = 0; i < nt; i++) {
        P->spec[i] = spec[i];
        nn_tensor *t = &P->ts[i];
        t->off = off;
        t->n = (size_t)spec[i].rows * (size_t)spec[i].cols;
        t->rows = spec[i].rows;
        t->cols = spec[i].cols;
        t->layer = spec[i].layer;
        t->is_bias = spec[i].is_bias;
        snprintf(t->name, sizeof t->name, "%s", spec[i].name);
        off += t->n + (gaps && i + 1 < nt ? GUARD : 0);
        P->n_elems += t->n;
        P->n_layers = spec[i].layer + 1 > P->n_layers ? spec[i].layer + 1 : P->n_layers;
        P->order[i] = i;
    }
    for (int i = 1; i < nt; i++) /* insertion sort by e0 */
        for (int k = i; k > 0 && spec[P->order[k]].e0 < spec[P->order[k - 1]].e0; k--) {
            int s = P->order[k];
            P->order[k] = P->order[k - 1];
            P->order[k - 1] = s;
        }
    P->span = off;
    if (nn_optim_plan_state(&a->o, a->hp, a->p->name, P->ts, nt, &P->plan, err) != NN_OK)
        return NULL;
    P->theta = probe_guarded(off);
    P->grad = probe_guarded(off);
    P->eval = probe_guarded(off);
    P->x0 = probe_guarded(off);
    for (int i = 0; i < nt; i++) {
        const nn_tensor *t = &P->ts[i];
        for (size_t j = 0; j < t->n; j++)
            P->theta[t->off + j] = (spec[i].flags & T_ZERO_W) ? 0 : 0.1 * hash_normal(seed, -1, spec[i].e0 + j);
        memset(P->grad + t->off, 0, t->n * sizeof(nn_real));
        for (int k = 0; k < NN_MAX_SLOTS; k++)
            P->slot_ptrs[i * NN_MAX_SLOTS + k] = k < a->o.n_slots ? guarded_zero(P->plan.slot_len[i][k])
                                                 : guards            ? probe_guarded(t->n)
                                                                     : NULL;
        P->scratch_ptrs[i] = P->plan.scratch_len[i] ? guarded_zero(P->plan.scratch_len[i]) : NULL;
    }
    memcpy(P->x0, P->theta, off * sizeof(nn_real));
    P->scalars = guarded_zero((size_t)a->o.n_scalars);
    P->reduced = guarded_zero(NN_MAX_REDUCE);
    nn_optim_pipe_init(&P->pipe, &a->o, a->hp, a->p->name, P->ts, nt, P->n_layers, P->theta, P->grad,
                       off, P->slot_ptrs, P->scratch_ptrs, &P->plan, P->scalars, P->reduced, P->steps);
    P->pipe.loss_fn = prob_loss;
    P->pipe.loss_ud = P;
    P->probe = (nn_optim_probe){.ud = P, .before = probe_before, .after = probe_after};
    P->pipe.probe = &P->probe;
    if (a->o.scalars_init)
        a->o.scalars_init(a->hp, P->scalars);
    return P;
}

/* A problem the check cannot do without: on failure the check reports it. */
prob *prob_or_report(nn_checker *c, const optim_arg *a, const tspec *spec, int nt, uint64_t seed, int guards)
{
    nn_err e = {{0}};
    prob *P = prob_new(a, spec, nt, seed, guards, &e);
    if (!P)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
    return P;
}

/* Writes x (canonical order, n_elems) into the parameters. */
void prob_put(prob *P, const nn_real *x)
{
    for (int r = 0; r < P->nt; r++) {
        const nn_tensor *t = &P->ts[P->order[r]];
        memcpy(P->theta + t->off, x, t->n * sizeof(nn_real));
        x += t->n;
    }
    memcpy(P->x0, P->theta, P->span * sizeof(nn_real));
}

/* One training step as the trainer runs it: the loss and gradient at the
 * parameters (one evaluation), then the optimizer's pipeline. */
int prob_step(prob *P, nn_real lr)
{
    P->t++;
    double loss = objective(P);
    P->evals++;
    if (!isfinite(loss))
        return nn_err_set(&P->err, NN_EDIVERGED, "the loss is %g at step %ld", loss, P->t);
    int rc = nn_optim_pipeline(&P->pipe, P->t, lr, loss, &P->err);
    if (P->pipe.evals_used > P->most_evals)
        P->most_evals = P->pipe.evals_used;
    return rc;
}

int prob_steps(prob *P, long n, nn_real lr)
{
    for (long k = 0; k < n; k++) {
        int rc = prob_step(P, lr);
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* The evaluation point into P->eval (the parameters without eval_point). */
const nn_real *prob_eval(prob *P)
{
    nn_optim_eval_point(&P->pipe, P->eval);
    return P->eval;
}

/* The objective at the evaluation point. */
double prob_value_at_eval(prob *P)
{
    prob_eval(P);
    nn_real *raw = P->theta;
    P->theta = P->eval;
    double f = objective(P);
    P->theta = raw;
    return f;
}

/* ---- the state of a problem as one flat array ------------------------------------------------ */

/* Tensors whose first element lies in [lo, hi), in canonical order: their
 * parameters, each declared slot (slot 0 of every tensor, then slot 1, ...),
 * their evaluation points (with eval; computed beforehand into P->eval),
 * then the scalars. Writes into out (NULL: only counts); when label is set,
 * describes element at into it. Returns the length. */
enum { R_PARAM, R_SLOT, R_EVAL, R_SCALAR }; /* what an element of the flat state is */

static size_t flat_walk(const prob *P, size_t lo, size_t hi, int with_eval, nn_real *out, size_t at, char *label,
                        size_t ln, int *region)
{
    size_t m = 0;
    int ns = P->a->o.n_slots;
    for (int part = -1; part <= ns; part++) {
        if (part == ns && !with_eval)
            continue;
        for (int r = 0; r < P->nt; r++) {
            int i = P->order[r];
            if (P->spec[i].e0 < lo || P->spec[i].e0 >= hi)
                continue;
            const nn_tensor *t = &P->ts[i];
            const nn_real *src = part < 0 ? P->theta + t->off : part == ns ? P->eval + t->off : P->slot_ptrs[i * NN_MAX_SLOTS + part];
            size_t len = part < 0 || part == ns ? t->n : P->plan.slot_len[i][part];
            if (out)
                memcpy(out + m, src, len * sizeof(nn_real));
            if (region && at >= m && at < m + len)
                *region = part < 0 ? R_PARAM : part == ns ? R_EVAL : R_SLOT;
            if (label && at >= m && at < m + len) {
                if (part < 0)
                    snprintf(label, ln, "parameter %s[%zu]", t->name, at - m);
                else if (part == ns)
                    snprintf(label, ln, "evaluation point %s[%zu]", t->name, at - m);
                else
                    snprintf(label, ln, "slot[%d] of %s element %zu", part, t->name, at - m);
            }
            m += len;
        }
    }
    int nsc = P->a->o.n_scalars;
    if (out)
        memcpy(out + m, P->scalars, (size_t)nsc * sizeof(nn_real));
    if (label && at >= m && at < m + (size_t)nsc)
        snprintf(label, ln, "scalars[%zu]", at - m);
    if (region && at >= m && at < m + (size_t)nsc)
        *region = R_SCALAR;
    return m + (size_t)nsc;
}

flat prob_flat(prob *P, size_t lo, size_t hi)
{
    int with_eval = P->a->o.eval_point != NULL;
    if (with_eval)
        prob_eval(P);
    flat f;
    f.n = flat_walk(P, lo, hi, with_eval, NULL, 0, NULL, 0, NULL);
    f.v = nn_chk_alloc(f.n, sizeof(nn_real));
    flat_walk(P, lo, hi, with_eval, f.v, 0, NULL, 0, NULL);
    return f;
}

flat prob_flat_all(prob *P) { return prob_flat(P, 0, (size_t)-1); }

/* Region of element k of a flat state of P. */
static int region_of(const prob *P, size_t lo, size_t hi, size_t k)
{
    int r = R_SCALAR;
    flat_walk(P, lo, hi, P->a->o.eval_point != NULL, NULL, k, NULL, 0, &r);
    return r;
}

/* Compares a run's state x with a reference y (same layout, P describes
 * it): bit for bit when tol is 0, else within tol relative; parameters and
 * evaluation points must be finite, a non-finite slot or scalar must equal
 * the reference bit for bit. Returns 1 when equal; otherwise describes the
 * worst element in why. */
int flat_same(const prob *P, size_t lo, size_t hi, flat x, flat y, double tol, char *why, size_t wn)
{
    if (x.n != y.n) {
        snprintf(why, wn, "the states have different lengths (%zu and %zu values)", x.n, y.n);
        return 0;
    }
    size_t worst = 0;
    double wd = 0;
    int bad = 0;
    for (size_t k = 0; k < x.n; k++) {
        double a = x.v[k], b = y.v[k], d;
        int bits = memcmp(&x.v[k], &y.v[k], sizeof(nn_real)) == 0;
        if (!isfinite(a) || !isfinite(b)) {
            int r = region_of(P, lo, hi, k);
            d = bits && r != R_PARAM && r != R_EVAL ? 0 : INFINITY;
        } else if (tol == 0) {
            d = bits ? 0 : INFINITY;
        } else {
            d = a == b ? 0 : fabs(a - b) / fmax(fabs(a), fabs(b));
        }
        if (d > tol && (!bad || d > wd)) {
            bad = 1;
            wd = d;
            worst = k;
            if (isinf(d))
                break;
        }
    }
    if (!bad)
        return 1;
    char label[96] = "?";
    flat_walk(P, lo, hi, P->a->o.eval_point != NULL, NULL, worst, label, sizeof label, NULL);
    if (isinf(wd))
        snprintf(why, wn, "%s is %.17g, not %.17g", label, x.v[worst], y.v[worst]);
    else
        snprintf(why, wn, "%s is %.17g, not %.17g (relative difference %.3e > %g)", label, x.v[worst],
                 y.v[worst], wd, tol);
    return 0;
}

/* The first unusable value of a problem's state described in why: a
 * parameter or evaluation point that is not finite, a slot or scalar that is
 * NaN (an infinite one may be a rule's own marker). 1 when there is none. */
int prob_state_sane(prob *P, char *why, size_t wn)
{
    flat f = prob_flat_all(P);
    int ok = 1;
    for (size_t k = 0; k < f.n && ok; k++) {
        if (isfinite(f.v[k]))
            continue;
        int r = region_of(P, 0, (size_t)-1, k);
        if (isnan(f.v[k]) || r == R_PARAM || r == R_EVAL) {
            char label[96] = "?";
            flat_walk(P, 0, (size_t)-1, P->a->o.eval_point != NULL, NULL, k, label, sizeof label, NULL);
            snprintf(why, wn, "%s is %g", label, f.v[k]);
            ok = 0;
        }
    }
    free(f.v);
    return ok;
}

/* ---- shapes ---------------------------------------------------------------------------- */

/* n elements as the one tensor of a problem: a vector (n, 1), or for a
 * matrix-shaped rule a matrix rows x cols with rows >= cols as square as n
 * allows. */
tspec probe_vector_of(const optim_arg *a, int n, int is_bias)
{
    int cols = 1;
    if ((a->fam & NN_FAMILY_MATRIX) && !is_bias)
        for (int c = 1; c * c <= n; c++)
            if (n % c == 0)
                cols = c;
    return (tspec){is_bias ? "b1" : "W1", n / cols, cols, is_bias, 0, 0, 0};
}

const char *probe_shape_text(const tspec *s, char *buf, size_t n)
{
    if (s->cols == 1)
        snprintf(buf, n, "a vector of %d", s->rows);
    else
        snprintf(buf, n, "a %d x %d matrix", s->rows, s->cols);
    return buf;
}

/* A two-layer model (W1, b1, W2, b2) with the elements numbered in order. */
int probe_model_of(tspec *out, int in, int hid, int outs)
{
    const tspec m[4] = {{"W1", hid, in, 0, 0, 0, 0}, {"b1", hid, 1, 1, 0, 0, 0},
                        {"W2", outs, hid, 0, 1, 0, 0}, {"b2", outs, 1, 1, 1, 0, 0}};
    size_t e = 0;
    for (int i = 0; i < 4; i++) {
        out[i] = m[i];
        out[i].e0 = e;
        e += (size_t)m[i].rows * (size_t)m[i].cols;
    }
    return 4;
}
