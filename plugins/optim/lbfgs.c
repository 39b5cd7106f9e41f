/* lbfgs: L-BFGS as torch.optim.LBFGS 1.13. One nnlab step is one
 * optimizer.step(closure) of torch: up to max_iter iterations on the step's
 * batch, the core's evaluate() being the closure. Each iteration:
 *   direction d = -H g by the two-loop recursion over the last history_size
 *     pairs (s = t d, y = g - g_prev) whose y.s > 1e-10, H0 = y.s / y.y of
 *     the newest (d = -g on the very first iteration of the run);
 *   step length t = lr (the very first iteration: min(1, 1 / |g|_1) * lr);
 *     stop when g.d > -tolerance_change;
 *   line_search_fn = "none": w += t d, then the loss and gradient there
 *     (not after the last iteration); "strong_wolfe": torch's strong-Wolfe
 *     search (c1 1e-4, c2 0.9, at most 25 more evaluations, cubic
 *     interpolation, bracket tolerance 1e-9) from t, then w += t d;
 *   stop after max_iter iterations, max_eval evaluations (the first, the
 *     core's, included), when max |g| <= tolerance_grad, when
 *     max |t d| <= tolerance_change or when the loss changed by less than
 *     tolerance_change.
 * A step whose first gradient has max |g| <= tolerance_grad does nothing.
 * Like torch, the history, d, t, H0 and the previous gradient carry over
 * from one step to the next (on mini-batches y mixes two batches).
 *
 * State, all core-owned: per tensor the direction d, the previous gradient
 * and the history of y and s as rings of history_size + 1 entries (one
 * spare, so a candidate pair is written before it is accepted); global
 * scalars for the iteration and evaluation counts, t, H0, the previous loss
 * and the ring's start and length. The line search keeps the starting point
 * and two bracket gradients in scratch. 1 / (y.s) is recomputed from the
 * stored pair (the same sum, so the same value) rather than stored. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1, NULL, 0, 1e6, NULL, "step length t tried first (the very first: min(1, 1/|g|_1) * lr)"},
    {"max_iter", NN_T_INT, 20, NULL, 1, 500, NULL, "iterations per step"},
    {"max_eval", NN_T_INT, 0, NULL, 0, 975, NULL,
     "loss and gradient evaluations per step, the first included; 0: max_iter * 5 / 4 (torch's None)"},
    {"tolerance_grad", NN_T_REAL, 1e-7, NULL, 0, 1e6, NULL, "stop when max |gradient| <= this"},
    {"tolerance_change", NN_T_REAL, 1e-9, NULL, 0, 1e6, NULL,
     "stop when the loss or max |t d| changes by less (and when g.d > -this)"},
    {"history_size", NN_T_INT, 100, NULL, 1, 1000, NULL, "(s, y) pairs kept"},
    {"line_search_fn", NN_T_ENUM, 0, "none", 0, 1, "none|strong_wolfe",
     "fixed step t, or torch's strong-Wolfe line search"},
};

enum { P_LR, P_MAX_ITER, P_MAX_EVAL, P_TOL_GRAD, P_TOL_CHANGE, P_HISTORY, P_LINE_SEARCH };
enum { LS_NONE, LS_STRONG_WOLFE }; /* the order of line_search_fn's choices */

/* Slots: direction, previous gradient, rings of y and s ((history + 1) * n). */
enum { S_D, S_PREV, S_Y, S_S, N_SLOTS };

/* Global scalars. */
enum { C_N_ITER, C_FUNC_EVALS, C_T, C_H_DIAG, C_PREV_LOSS, C_H_START, C_H_COUNT, N_SCALARS };

#define MAX_HISTORY 1000
#define LS_C1 1e-4
#define LS_C2 0.9
#define LS_TOL 1e-9
#define LS_MAX 25

/* The flat vectors of the algorithm; tensor k holds its piece of each. */
typedef enum { V_PARAM, V_GRAD, V_D, V_PREV, V_X, V_A, V_B, V_Y, V_S } vec_id;

typedef struct lbfgs {
    const nn_value *hp;
    const nn_optim_model *m;
    nn_real *sc;
    long cap;       /* ring capacity: history_size + 1 */
    int line_search;
} lbfgs;

/* Tensor k's piece of vector v (entry j of a ring). */
static nn_real *piece(const lbfgs *L, int k, vec_id v, long j)
{
    const nn_optim_step *s = &L->m->tensors[k];
    switch (v) {
    case V_PARAM: return s->param;
    case V_GRAD: return L->m->grad + (s->param - L->m->param);
    case V_D: return s->slot[S_D];
    case V_PREV: return s->slot[S_PREV];
    case V_X: return s->scratch;
    case V_A: return s->scratch + s->n;
    case V_B: return s->scratch + 2 * s->n;
    case V_Y: return s->slot[S_Y] + (size_t)j * s->n;
    case V_S: return s->slot[S_S] + (size_t)j * s->n;
    }
    return NULL;
}

static nn_real dot(const lbfgs *L, vec_id a, long ja, vec_id b, long jb)
{
    nn_real sum = 0;
    for (int k = 0; k < L->m->n_tensors; k++) {
        const nn_real *x = piece(L, k, a, ja), *y = piece(L, k, b, jb);
        for (size_t i = 0; i < L->m->tensors[k].n; i++)
            sum += x[i] * y[i];
    }
    return sum;
}

/* a += alpha * b */
static void axpy(const lbfgs *L, vec_id a, long ja, nn_real alpha, vec_id b, long jb)
{
    for (int k = 0; k < L->m->n_tensors; k++) {
        nn_real *x = piece(L, k, a, ja);
        const nn_real *y = piece(L, k, b, jb);
        for (size_t i = 0; i < L->m->tensors[k].n; i++)
            x[i] = x[i] + alpha * y[i];
    }
}

static void copy(const lbfgs *L, vec_id to, vec_id from)
{
    if (to == from)
        return;
    for (int k = 0; k < L->m->n_tensors; k++)
        memcpy(piece(L, k, to, 0), piece(L, k, from, 0), L->m->tensors[k].n * sizeof(nn_real));
}

/* to = -from */
static void negate(const lbfgs *L, vec_id to, vec_id from)
{
    for (int k = 0; k < L->m->n_tensors; k++) {
        nn_real *x = piece(L, k, to, 0);
        const nn_real *y = piece(L, k, from, 0);
        for (size_t i = 0; i < L->m->tensors[k].n; i++)
            x[i] = -y[i];
    }
}

/* max |v| (of |v t| when scaled); NaN when an element is NaN. */
static nn_real abs_max(const lbfgs *L, vec_id v, nn_real t, int scaled)
{
    nn_real mx = 0;
    for (int k = 0; k < L->m->n_tensors; k++) {
        const nn_real *x = piece(L, k, v, 0);
        for (size_t i = 0; i < L->m->tensors[k].n; i++) {
            const nn_real a = fabs(scaled ? x[i] * t : x[i]);
            if (a > mx || isnan(a)) /* a NaN stays, as in torch's max */
                mx = a;
        }
    }
    return mx;
}

static nn_real abs_sum(const lbfgs *L, vec_id v)
{
    nn_real sum = 0;
    for (int k = 0; k < L->m->n_tensors; k++) {
        const nn_real *x = piece(L, k, v, 0);
        for (size_t i = 0; i < L->m->tensors[k].n; i++)
            sum += fabs(x[i]);
    }
    return sum;
}

/* ---- the two-loop recursion ------------------------------------------------ */

/* Physical ring entry of the i-th oldest pair. */
static long ring(const lbfgs *L, long i) { return ((long)L->sc[C_H_START] + i) % L->cap; }

/* Writes the candidate pair y = g - g_prev, s = t d in the spare entry and
 * keeps it when y.s > 1e-10 (dropping the oldest when full). */
static void remember(const lbfgs *L)
{
    const long count = (long)L->sc[C_H_COUNT], j = ring(L, count);
    const nn_real t = L->sc[C_T];
    for (int k = 0; k < L->m->n_tensors; k++) {
        const nn_real *g = piece(L, k, V_GRAD, 0), *gp = piece(L, k, V_PREV, 0);
        const nn_real *d = piece(L, k, V_D, 0);
        nn_real *y = piece(L, k, V_Y, j), *s = piece(L, k, V_S, j);
        for (size_t i = 0; i < L->m->tensors[k].n; i++) {
            y[i] = g[i] - gp[i];
            s[i] = d[i] * t;
        }
    }
    const nn_real ys = dot(L, V_Y, j, V_S, j);
    if (!(ys > 1e-10))
        return;
    if (count == L->hp[P_HISTORY].i)
        L->sc[C_H_START] = (nn_real)((ring(L, 1)));
    else
        L->sc[C_H_COUNT] = (nn_real)(count + 1);
    L->sc[C_H_DIAG] = ys / dot(L, V_Y, j, V_Y, j);
}

/* d = -H g. */
static void direction(const lbfgs *L)
{
    nn_real al[MAX_HISTORY], ro[MAX_HISTORY];
    const long n_old = (long)L->sc[C_H_COUNT];
    negate(L, V_D, V_GRAD);
    for (long i = n_old - 1; i >= 0; i--) {
        const long j = ring(L, i);
        ro[i] = 1. / dot(L, V_Y, j, V_S, j);
        al[i] = dot(L, V_S, j, V_D, 0) * ro[i];
        axpy(L, V_D, 0, -al[i], V_Y, j);
    }
    const nn_real h = L->sc[C_H_DIAG];
    for (int k = 0; k < L->m->n_tensors; k++) {
        nn_real *d = piece(L, k, V_D, 0);
        for (size_t i = 0; i < L->m->tensors[k].n; i++)
            d[i] = d[i] * h;
    }
    for (long i = 0; i < n_old; i++) {
        const long j = ring(L, i);
        const nn_real be = dot(L, V_Y, j, V_D, 0) * ro[i];
        axpy(L, V_D, 0, al[i] - be, V_S, j);
    }
}

/* ---- evaluations ---------------------------------------------------------- */

/* Loss and gradient (into V_GRAD) at x + t d; the parameters return to x. */
static int eval_at(const lbfgs *L, nn_real t, double *f)
{
    axpy(L, V_PARAM, 0, t, V_D, 0);
    int rc = L->m->evaluate(L->m->core, f);
    copy(L, V_PARAM, V_X);
    return rc;
}

/* torch's _cubic_interpolate: the minimiser of the cubic through two points
 * with their derivatives, clamped to [lo, hi]; the midpoint when it has none. */
static nn_real cubic(nn_real x1, nn_real f1, nn_real g1, nn_real x2, nn_real f2, nn_real g2,
                     nn_real lo, nn_real hi)
{
    const nn_real d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    const nn_real d2_square = d1 * d1 - g1 * g2;
    if (!(d2_square >= 0))
        return (lo + hi) / 2.;
    const nn_real d2 = sqrt(d2_square);
    nn_real min_pos;
    if (x1 <= x2)
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    else
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    const nn_real lower = lo > min_pos ? lo : min_pos; /* Python's max, then min */
    return hi < lower ? hi : lower;
}

static nn_real fmin2(nn_real a, nn_real b) { return b < a ? b : a; }
static nn_real fmax2(nn_real a, nn_real b) { return b > a ? b : a; }

/* A point of the search: step, loss, where its gradient is, g.d. */
typedef struct ls_point {
    nn_real t, f, gtd;
    vec_id g;
} ls_point;

/* The scratch gradient buffer not used by other (never V_PREV, which holds
 * the gradient at the start and must survive the search). */
static vec_id spare(vec_id other) { return other == V_A ? V_B : V_A; }

/* Copies the gradient just evaluated into a buffer other than avoid's. */
static vec_id keep_grad(const lbfgs *L, vec_id avoid)
{
    const vec_id to = spare(avoid);
    copy(L, to, V_GRAD);
    return to;
}

typedef struct ls_state {
    ls_point br[2];  /* the bracket (br[0] only when done after bracketing) */
    int done, iters, evals;
} ls_state;

/* Bracketing phase: from t, until an interval with a Wolfe point, or one. */
static int ls_bracket(const lbfgs *L, ls_state *S, nn_real t, nn_real f, nn_real gtd)
{
    double f_new;
    int rc = eval_at(L, t, &f_new);
    if (rc)
        return rc;
    S->evals = 1;
    nn_real gtd_new = dot(L, V_GRAD, 0, V_D, 0);
    ls_point prev = {0, f, gtd, V_PREV};
    for (S->iters = 0; S->iters < LS_MAX; S->iters++) {
        const int bracketed = f_new > f + LS_C1 * t * gtd || (S->iters > 1 && f_new >= prev.f);
        if (!bracketed && fabs(gtd_new) <= -LS_C2 * gtd) {
            S->br[0] = S->br[1] = (ls_point){t, f_new, gtd_new, V_GRAD};
            S->done = 1;
            return NN_OK;
        }
        if (bracketed || gtd_new >= 0) {
            S->br[0] = prev;
            S->br[1] = (ls_point){t, f_new, gtd_new, keep_grad(L, prev.g)};
            return NN_OK;
        }
        const nn_real min_step = t + 0.01 * (t - prev.t), max_step = t * 10, tmp = t;
        t = cubic(prev.t, prev.f, prev.gtd, t, f_new, gtd_new, min_step, max_step);
        prev = (ls_point){tmp, f_new, gtd_new, keep_grad(L, V_B)};
        if ((rc = eval_at(L, t, &f_new)))
            return rc;
        S->evals++;
        gtd_new = dot(L, V_GRAD, 0, V_D, 0);
    }
    /* no bracket within LS_MAX more evaluations */
    S->br[0] = (ls_point){0, f, gtd, V_PREV};
    S->br[1] = (ls_point){t, f_new, gtd_new, V_GRAD};
    return NN_OK;
}

/* The trial step of the zoom phase, kept 10% of the bracket from its ends. */
static nn_real zoom_trial(const ls_state *S, int *insuf_progress)
{
    const ls_point *b = S->br;
    nn_real t = cubic(b[0].t, b[0].f, b[0].gtd, b[1].t, b[1].f, b[1].gtd, fmin2(b[0].t, b[1].t),
                      fmax2(b[0].t, b[1].t));
    const nn_real hi = fmax2(b[0].t, b[1].t), lo = fmin2(b[0].t, b[1].t);
    const nn_real eps = 0.1 * (hi - lo);
    if (fmin2(hi - t, t - lo) < eps) {
        if (*insuf_progress || t >= hi || t <= lo) {
            t = fabs(t - hi) < fabs(t - lo) ? hi - eps : lo + eps;
            *insuf_progress = 0;
        } else {
            *insuf_progress = 1;
        }
    } else {
        *insuf_progress = 0;
    }
    return t;
}

/* Zoom phase: shrinks the bracket until a strong-Wolfe point. */
static int ls_zoom(const lbfgs *L, ls_state *S, nn_real f, nn_real gtd, nn_real d_norm, int *low)
{
    ls_point *b = S->br;
    int insuf = 0;
    *low = b[0].f <= b[1].f ? 0 : 1;
    while (!S->done && S->iters < LS_MAX) {
        if (fabs(b[1].t - b[0].t) * d_norm < LS_TOL)
            break;
        const nn_real t = zoom_trial(S, &insuf);
        double f_new;
        int rc = eval_at(L, t, &f_new);
        if (rc)
            return rc;
        S->evals++;
        const nn_real gtd_new = dot(L, V_GRAD, 0, V_D, 0);
        S->iters++;
        int high = 1 - *low;
        if (f_new > f + LS_C1 * t * gtd || f_new >= b[*low].f) {
            b[high] = (ls_point){t, f_new, gtd_new, keep_grad(L, b[*low].g)};
            *low = b[0].f <= b[1].f ? 0 : 1;
            continue;
        }
        if (fabs(gtd_new) <= -LS_C2 * gtd)
            S->done = 1;
        else if (gtd_new * (b[high].t - b[*low].t) >= 0)
            b[high] = b[*low];
        b[*low] = (ls_point){t, f_new, gtd_new, keep_grad(L, b[high].g)};
    }
    return NN_OK;
}

/* torch's _strong_wolfe from the parameters (copied to V_X): sets *t, *f and
 * V_GRAD to the accepted point's; *evals counts the evaluations. */
static int strong_wolfe(const lbfgs *L, nn_real *t, double *f, nn_real gtd, int *evals)
{
    const nn_real d_norm = abs_max(L, V_D, 0, 0);
    ls_state S = {.done = 0};
    int low = 0;
    copy(L, V_X, V_PARAM);
    int rc = ls_bracket(L, &S, *t, *f, gtd);
    if (!rc)
        rc = ls_zoom(L, &S, *f, gtd, d_norm, &low);
    *evals = S.evals;
    if (rc)
        return rc;
    *t = S.br[low].t;
    *f = S.br[low].f;
    copy(L, V_GRAD, S.br[low].g);
    return NN_OK;
}

/* ---- one step ----------------------------------------------------------------- */

static long max_eval_of(const nn_value *hp)
{
    return hp[P_MAX_EVAL].i > 0 ? hp[P_MAX_EVAL].i : hp[P_MAX_ITER].i * 5 / 4;
}

/* Moves along d by t; returns the evaluations it made. */
static int move(const lbfgs *L, nn_real *t, double *loss, nn_real gtd, int last, int *evals, int *opt)
{
    const nn_real tol_grad = L->hp[P_TOL_GRAD].r;
    *evals = 0;
    if (L->line_search) {
        int rc = strong_wolfe(L, t, loss, gtd, evals);
        if (rc)
            return rc;
        axpy(L, V_PARAM, 0, *t, V_D, 0);
        *opt = abs_max(L, V_GRAD, 0, 0) <= tol_grad;
        return NN_OK;
    }
    axpy(L, V_PARAM, 0, *t, V_D, 0);
    if (last)
        return NN_OK;
    int rc = L->m->evaluate(L->m->core, loss);
    if (rc)
        return rc;
    *evals = 1;
    *opt = abs_max(L, V_GRAD, 0, 0) <= tol_grad;
    return NN_OK;
}

/* One iteration; sets *stop when the loop ends. */
static int iterate(const lbfgs *L, long n_iter, long *evals, double *loss, int *stop)
{
    const nn_real tol_change = L->hp[P_TOL_CHANGE].r, lr = L->m->lr;
    nn_real *sc = L->sc;
    sc[C_N_ITER] += 1;
    const int first = sc[C_N_ITER] == 1;
    if (first) {
        negate(L, V_D, V_GRAD);
        sc[C_H_START] = sc[C_H_COUNT] = 0;
        sc[C_H_DIAG] = 1;
    } else {
        remember(L);
        direction(L);
    }
    copy(L, V_PREV, V_GRAD);
    sc[C_PREV_LOSS] = *loss;
    nn_real t = first ? fmin2(1., 1. / abs_sum(L, V_GRAD)) * lr : lr;
    sc[C_T] = t;
    const nn_real gtd = dot(L, V_GRAD, 0, V_D, 0);
    if (gtd > -tol_change) {
        *stop = 1;
        return NN_OK;
    }
    int ls_evals = 0, opt = 0;
    int rc = move(L, &t, loss, gtd, n_iter == L->hp[P_MAX_ITER].i, &ls_evals, &opt);
    sc[C_T] = t;
    *evals += ls_evals;
    sc[C_FUNC_EVALS] += ls_evals;
    if (rc)
        return rc;
    *stop = n_iter == L->hp[P_MAX_ITER].i || *evals >= max_eval_of(L->hp) || opt ||
            abs_max(L, V_D, t, 1) <= tol_change || fabs(*loss - sc[C_PREV_LOSS]) < tol_change;
    return NN_OK;
}

static int lbfgs_model_step(const nn_value *hp, const nn_optim_model *m)
{
    lbfgs L = {hp, m, m->scalars, hp[P_HISTORY].i + 1, hp[P_LINE_SEARCH].i == LS_STRONG_WOLFE};
    double loss = m->loss;
    long evals = 1;
    m->scalars[C_FUNC_EVALS] += 1;
    if (abs_max(&L, V_GRAD, 0, 0) <= hp[P_TOL_GRAD].r)
        return NN_OK;
    int stop = 0;
    for (long n_iter = 1; n_iter <= hp[P_MAX_ITER].i && !stop; n_iter++) {
        int rc = iterate(&L, n_iter, &evals, &loss, &stop);
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* ---- declarations ------------------------------------------------------------- */

static size_t lbfgs_slot_len(const nn_value *hp, int slot, int rows, int cols)
{
    const size_t n = (size_t)rows * (size_t)cols;
    return slot == S_Y || slot == S_S ? n * (size_t)(hp[P_HISTORY].i + 1) : n;
}

static size_t lbfgs_scratch_len(const nn_value *hp, int rows, int cols)
{
    if (hp[P_LINE_SEARCH].i != LS_STRONG_WOLFE)
        return 0;
    return 3 * (size_t)rows * (size_t)cols;
}

/* Evaluations after the core's first: without a line search one per
 * iteration but the last; with one at most 1 + LS_MAX per iteration, and an
 * iteration starts only while fewer than max_eval were made. */
static int lbfgs_max_evals(const nn_value *hp)
{
    const long it = hp[P_MAX_ITER].i, e = max_eval_of(hp), before = e - 1 > 1 ? e - 1 : 1;
    if (hp[P_LINE_SEARCH].i != LS_STRONG_WOLFE)
        return (int)(it - 1 < before ? it - 1 : before);
    const long per_iter = 1 + LS_MAX, bound = before - 1 + per_iter;
    return (int)(it * per_iter < bound ? it * per_iter : bound);
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS,
    .slot_len = lbfgs_slot_len,
    .scratch_len = lbfgs_scratch_len,
    .n_scalars = N_SCALARS,
    .model_step = lbfgs_model_step,
    .max_evals = lbfgs_max_evals,
};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "lbfgs",
    "L-BFGS, several iterations per step with the loss re-evaluated (torch.optim.LBFGS, optional strong Wolfe)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
