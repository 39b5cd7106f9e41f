/* optim.c: the suite of an optimizer. Each check is a row of one table with
 * the families of rules it applies to (nn_optim_families: elementwise,
 * per-tensor, matrix, global, eval-point, re-evaluating, from the flags and
 * ops the descriptor declares); a check that does not apply is listed as
 * skipped with the reason.
 *
 * Every check drives the plugin through the engine's pipeline (pipeline.h),
 * the code the trainer trains with: the optimizer's state is planned and
 * viewed as in training (shapes, slot lengths, scratch, scalars, reduced
 * sums), a step runs the reduce pass, scalars_update and step per tensor or
 * model_step with evaluate() on a check problem, and results are read at
 * the evaluation point. Matrix-shaped rules get matrices where other rules
 * get a flat vector. Each check runs in its own child process, so a plugin
 * with hidden state cannot carry it from one check into the next. The check
 * problems the checks run on are optim_probe.c's (optim_probe.h). */
#include "optim_probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decls.h"
#include "family.h"
#include "pipeline.h"
#include "util.h"

/* ---- parameter blocks independent --------------------------------------------------------- */

static size_t optim_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    optim_arg a = optim_arg_of(p, hp);
    tspec s = probe_vector_of(&a, 6, 0);
    nn_err e;
    prob *P = prob_new(&a, &s, 1, 3, 0, &e);
    if (!P)
        return 0;
    if (prob_steps(P, 3, hp_lr(&a)) != NN_OK)
        return 0; /* the checks that step report why */
    flat f = prob_flat_all(P);
    size_t n = f.n < NN_CHK_SIG_CAP ? f.n : NN_CHK_SIG_CAP;
    memcpy(out, f.v, n * sizeof(nn_real));
    return n;
}

/* ---- the state a step writes -------------------------------------------------------------- */

/* "param of b1 written at element 32 (it has elements 0..31)" */
static int out_of_bounds(const nn_real *arr, size_t n, const char *what, const char *name, char *bad, size_t bn)
{
    long lo = probe_touched(arr, -GUARD, 0), hi = probe_touched(arr, (long)n, (long)n + GUARD), at;
    if (lo < 0)
        at = lo;
    else if (hi < (long)n + GUARD)
        at = hi;
    else
        return 0;
    if (n)
        snprintf(bad, bn, "%s of %s written at element %ld (it has elements 0..%zu)", what, name, at, n - 1);
    else
        snprintf(bad, bn, "%s of %s written at element %ld (it has none)", what, name, at);
    return 1;
}

static void declared_state(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    const nn_optim_ops *o = &a->o;
    int ns = o->n_slots;
    tspec s[4];
    BIG_MODEL(s);
    prob *P = prob_or_report(c, a, s, 4, 81, 1);
    if (!P)
        return;
    P->gsnap = probe_guarded(P->span); /* reduce() and step() must leave the gradient alone */
    int rc = prob_steps(P, MODEL_STEPS, default_lr(a));
    char bad[400] = "";
    if (rc)
        snprintf(bad, sizeof bad, "%s", P->err.msg);
    for (int i = 0; i < P->nt && !bad[0]; i++) {
        const nn_tensor *t = &P->ts[i];
        const char *name = t->name;
        for (int k = ns; k < NN_MAX_SLOTS && !bad[0]; k++)
            if (probe_touched(P->slot_ptrs[i * NN_MAX_SLOTS + k], -GUARD, (long)t->n + GUARD) < (long)t->n + GUARD)
                snprintf(bad, sizeof bad,
                         "slot[%d] of %s written, but the plugin declares %d slot%s (the core does not own, zero, save or restore state there)",
                         k, name, ns, ns == 1 ? "" : "s");
        for (int k = 0; k < ns && !bad[0]; k++) {
            char what[32];
            snprintf(what, sizeof what, "slot[%d]", k);
            out_of_bounds(P->slot_ptrs[i * NN_MAX_SLOTS + k], P->plan.slot_len[i][k], what, name, bad, sizeof bad);
        }
        if (!bad[0] && P->scratch_ptrs[i])
            out_of_bounds(P->scratch_ptrs[i], P->plan.scratch_len[i], "the scratch", name, bad, sizeof bad);
    }
    /* parameters and gradients: one array each, guard gaps between the
     * tensors of a per-tensor rule (a model_step rule's are contiguous) */
    for (int pass = 0; pass < (o->model_step ? 1 : 2) && !bad[0]; pass++) {
        const nn_real *arr = pass ? P->grad : P->theta;
        const char *what = pass ? "the gradient" : "the parameters";
        if (probe_touched(arr, -GUARD, 0) < 0)
            snprintf(bad, sizeof bad, "%s of %s written at element %ld (it has elements 0..%zu)", what, P->ts[0].name,
                     probe_touched(arr, -GUARD, 0), P->ts[0].n - 1);
        for (int i = 0; i < P->nt && !bad[0]; i++) {
            const nn_tensor *t = &P->ts[i];
            long from = (long)(t->off + t->n), to = i + 1 < P->nt ? (long)P->ts[i + 1].off : (long)P->span + GUARD;
            long at = probe_touched(arr, from, to);
            if (at < to)
                snprintf(bad, sizeof bad, "%s of %s written at element %ld (it has elements 0..%zu)", what, t->name,
                         at - (long)t->off, t->n - 1);
        }
    }
    if (!bad[0] && P->bad[0])
        snprintf(bad, sizeof bad, "%s", P->bad);
    if (!bad[0] && probe_touched(P->scalars, -GUARD, 0) < 0)
        snprintf(bad, sizeof bad, "a scalar before scalars[0] written");
    if (!bad[0] && probe_touched(P->scalars, o->n_scalars, o->n_scalars + GUARD) < o->n_scalars + GUARD)
        snprintf(bad, sizeof bad, "scalars[%ld] written, but the plugin declares n_scalars = %d",
                 probe_touched(P->scalars, o->n_scalars, o->n_scalars + GUARD), o->n_scalars);
    for (int k = o->n_reduce; k < NN_MAX_REDUCE && !bad[0]; k++)
        if (P->reduced[k] != 0)
            snprintf(bad, sizeof bad, "reduce() added to sum %d, but the plugin declares n_reduce = %d", k, o->n_reduce);
    if (!bad[0] && (probe_touched(P->reduced, -GUARD, 0) < 0 || probe_touched(P->reduced, NN_MAX_REDUCE, NN_MAX_REDUCE + GUARD) < NN_MAX_REDUCE + GUARD))
        snprintf(bad, sizeof bad, "reduce() wrote outside the sums");
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps on W1 32x100, b1 32, W2 10x32, b2 10: parameters, %d slot array%s per tensor%s%s written only inside their bounds (%d guard elements either side intact), no slot beyond the %d declared%s",
                      MODEL_STEPS, ns, ns == 1 ? "" : "s", P->plan.scratch_total ? ", scratch" : "",
                      o->n_scalars ? ", scalars" : "", GUARD, ns, o->model_step ? "" : ", gradients unchanged");
}

static void every_tensor_moves(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s[4];
    BIG_MODEL(s);
    prob *P = prob_or_report(c, a, s, 4, 82, 0);
    if (!P)
        return;
    if (prob_steps(P, MODEL_STEPS, default_lr(a)) != NN_OK) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", P->err.msg);
        return;
    }
    char counts[256] = "", still[128] = "";
    int n_still = 0, biases_still = 0;
    for (int i = 0; i < P->nt; i++) {
        const nn_tensor *t = &P->ts[i];
        size_t moved = 0;
        for (size_t k = 0; k < t->n; k++)
            moved += memcmp(&P->theta[t->off + k], &P->x0[t->off + k], sizeof(nn_real)) != 0;
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), "%s%s %zu/%zu", i ? ", " : "", t->name,
                 moved, t->n);
        if (moved == 0) {
            snprintf(still + strlen(still), sizeof still - strlen(still), "%s%s", n_still ? ", " : "", t->name);
            n_still++;
            biases_still += t->is_bias;
        }
    }
    if (n_still)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s did not move in %d steps with a nonzero gradient at lr %g (elements moved: %s)%s",
                      still, MODEL_STEPS, default_lr(a), counts,
                      biases_still == n_still ? "; biases must be updated too (is_bias only tells them apart)" : "");
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "%d steps with a nonzero gradient at lr %g move every tensor (elements moved: %s)",
                      MODEL_STEPS, default_lr(a), counts);
}

/* ---- one vector or matrix ---------------------------------------------------------------------- */

static void zero_gradient(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    if (a->o.flags & NN_OPTIM_DECOUPLED_DECAY) {
        nn_chk_report(c, NN_CHK_SKIP, NULL,
                      "declares decoupled weight decay (NN_OPTIM_DECOUPLED_DECAY): a zero gradient may move parameters");
        return;
    }
    char what[64] = "";
    for (int bias = 0; bias < 2; bias++) {
        tspec s = probe_vector_of(a, 9, bias);
        prob *P = prob_or_report(c, a, &s, 1, 51, 0);
        if (!P)
            return;
        P->obj = OBJ_ZERO;
        int rc = prob_steps(P, 5, hp_lr(a));
        if (rc || !nn_chk_same(P->theta, P->x0, P->span)) {
            nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", rc ? P->err.msg
                          : "5 steps with a zero gradient moved the parameters (declare NN_OPTIM_DECOUPLED_DECAY if intended)");
            return;
        }
        if (!bias)
            probe_shape_text(&s, what, sizeof what);
    }
    nn_chk_report(c, NN_CHK_PASS, NULL,
                  "5 steps with a zero gradient (%s and a bias, default lr) leave the parameters bit-identical", what);
}

static void scheduled_lr(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s = probe_vector_of(a, 9, 0);
    prob *P = prob_or_report(c, a, &s, 1, 51, 0);
    if (!P)
        return;
    int rc = prob_steps(P, 3, 0);
    int ok = rc == NN_OK && nn_chk_same(P->theta, P->x0, P->span);
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", P->err.msg);
    else
        nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      ok ? "3 steps with lr 0 (the step's lr, which the schedule sets) leave the parameters bit-identical"
                         : "3 steps with lr 0 moved the parameters: use s->lr, the scheduled rate, not the lr hyperparameter");
}

/* ---- convergence, measured at the evaluation point ----------------------------------------- */

enum { DESCENT_EVALS = 5000 }; /* gradient evaluations of a descent, re-evaluations included */

/* A descent of the one-tensor problem from x0 at lr: steps until
 * DESCENT_EVALS gradient evaluations are used; the objective at the
 * evaluation point (NaN when the pipeline fails). */
static double descend(prob *P, const nn_real *x0, nn_real lr, long *steps)
{
    prob_put(P, x0);
    while (P->evals < DESCENT_EVALS)
        if (prob_step(P, lr) != NN_OK)
            return NAN;
    *steps = P->t;
    return prob_value_at_eval(P);
}

/* Best final value over lr = default * 10^k, k = -4..3 (within the range);
 * each lr on a fresh problem. */
static double lr_search(const optim_arg *a, obj_kind obj, const tspec *s, const nn_real *x0, double *best_lr,
                        long *steps, nn_err *err)
{
    double lr0 = default_lr(a), best = INFINITY;
    *best_lr = lr0;
    *steps = 0;
    for (int k = -4; k <= 3; k++) {
        double lr = lr0 * pow(10, k);
        if (lr > a->p->params[a->lr].max)
            continue;
        prob *P = prob_new(a, s, 1, 7, 0, err);
        if (!P)
            return NAN;
        P->obj = obj;
        long n = 0;
        double v = descend(P, x0, lr, &n);
        if (isnan(v) && P->err.msg[0] && !err->msg[0])
            nn_err_set(err, NN_EINTERNAL, "at lr %g: %s", lr, P->err.msg); /* kept unless an lr works */
        if (isfinite(v) && v < best) {
            best = v;
            *best_lr = lr;
            *steps = n;
        }
    }
    if (isfinite(best))
        err->msg[0] = '\0';
    return best;
}

static void quad_start(nn_real *x0, size_t n, int variant)
{
    for (size_t i = 0; i < n; i++)
        x0[i] = (variant ? -2.0 : 1.0) * ((i % 2) ? -1.0 : 1.0) * (1 + 0.1 * (double)i);
}

static double quad_value(const nn_real *x, size_t n)
{
    double f = 0;
    for (size_t i = 0; i < n; i++)
        f += 0.5 * (1 + 9.0 * (double)i / (double)(n - 1)) * x[i] * x[i];
    return f;
}

static void quadratic_converges(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 10 };
    nn_real x0[N];
    quad_start(x0, N, 0);
    tspec s = probe_vector_of(a, N, 0);
    double f0 = quad_value(x0, N), lr;
    long steps;
    nn_err e = {{0}};
    double f = lr_search(a, OBJ_QUAD, &s, x0, &lr, &steps, &e);
    char shape[64];
    probe_shape_text(&s, shape, sizeof shape);
    if (e.msg[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
    else if (!isfinite(f))
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "not finite after %d gradient evaluations at every lr tried (default %g x 10^-4..10^3)",
                      DESCENT_EVALS, hp_lr(a));
    else
        nn_chk_report(c, f <= 1e-6 * f0 ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      "f=%.3e at the evaluation point after %ld steps (%d gradient evaluations) from f=%.4g (condition number 10, %s; best lr %g of default %g x 10^-4..10^3)%s",
                      f, steps, DESCENT_EVALS, f0, shape, lr, hp_lr(a), f <= 1e-6 * f0 ? "" : "; needs f <= 1e-6 f0");
}

static void rosenbrock_progress(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    nn_real x0[2] = {-1.2, 1};
    tspec s = probe_vector_of(a, 2, 0);
    double f0 = 24.2, lr;
    long steps;
    nn_err e = {{0}};
    double f = lr_search(a, OBJ_ROSEN, &s, x0, &lr, &steps, &e);
    if (e.msg[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
    else if (!isfinite(f))
        nn_chk_report(c, NN_CHK_FAIL, NULL, "not finite after %d gradient evaluations from (-1.2, 1) at every lr tried",
                      DESCENT_EVALS);
    else
        nn_chk_report(c, f <= 0.1 * f0 ? NN_CHK_PASS : NN_CHK_FAIL, NULL,
                      "f=%.3e at the evaluation point after %ld steps (%d gradient evaluations) from (-1.2, 1), f=%.4g (best lr %g)%s",
                      f, steps, DESCENT_EVALS, f0, lr, f <= 0.1 * f0 ? "" : "; needs f <= 0.1 f0");
}

/* ---- state: saved and restored, hidden ----------------------------------------------------- */

static void save_restore(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { HALF = RUN_STEPS + 2 };
    double lr = default_lr(a);
    tspec s[4];
    SMALL_MODEL(s);
    prob *A = prob_or_report(c, a, s, 4, 91, 0), *B = prob_or_report(c, a, s, 4, 91, 0);
    if (!A || !B)
        return;
    int rc = prob_steps(A, HALF, lr);
    /* copy out every kind of state the core owns (not scratch): parameters,
     * slots of their declared lengths, global scalars, the step count */
    nn_real *theta = nn_chk_alloc(A->span, sizeof(nn_real));
    memcpy(theta, A->theta, A->span * sizeof(nn_real));
    nn_real *slots[MAX_T * NN_MAX_SLOTS] = {0};
    size_t total = 0;
    for (int i = 0; i < A->nt; i++)
        for (int k = 0; k < a->o.n_slots; k++) {
            size_t len = A->plan.slot_len[i][k];
            slots[i * NN_MAX_SLOTS + k] = nn_chk_alloc(len, sizeof(nn_real));
            memcpy(slots[i * NN_MAX_SLOTS + k], A->slot_ptrs[i * NN_MAX_SLOTS + k], len * sizeof(nn_real));
            total += len;
        }
    nn_real scalars[NN_MAX_SCALARS];
    memcpy(scalars, A->scalars, (size_t)a->o.n_scalars * sizeof(nn_real));
    long t = A->t;
    if (rc == NN_OK)
        rc = prob_steps(A, HALF, lr);
    /* into another problem: other arrays, other addresses, its own scratch */
    memcpy(B->theta, theta, A->span * sizeof(nn_real));
    for (int i = 0; i < A->nt; i++)
        for (int k = 0; k < a->o.n_slots; k++)
            memcpy(B->slot_ptrs[i * NN_MAX_SLOTS + k], slots[i * NN_MAX_SLOTS + k], A->plan.slot_len[i][k] * sizeof(nn_real));
    memcpy(B->scalars, scalars, (size_t)a->o.n_scalars * sizeof(nn_real));
    B->t = t;
    for (int i = 0; i < B->nt; i++)
        B->steps[i].t = t;
    if (rc == NN_OK)
        rc = prob_steps(B, HALF, lr);
    char why[512] = "";
    int ok = rc == NN_OK && flat_same(A, 0, (size_t)-1, prob_flat_all(B), prob_flat_all(A), 0, why, sizeof why);
    if (rc) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", A->err.msg[0] ? A->err.msg : B->err.msg);
        return;
    }
    char kinds[128];
    snprintf(kinds, sizeof kinds, "parameters, %d slot array%s per tensor (%zu values)%s", a->o.n_slots,
             a->o.n_slots == 1 ? "" : "s", total, a->o.n_scalars ? ", global scalars" : "");
    if (ok)
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%s and the step count copied out after %d steps on W1 8x12, b1 8, W2 3x8, b2 3, restored into new arrays (new scratch): the next %d steps are bit-identical%s",
                      kinds, HALF, HALF, a->o.eval_point ? ", evaluation point included" : "");
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "%s copied out after %d steps and restored into new arrays: the next %d steps differ (state outside the declared slots and scalars?): %s",
                      kinds, HALF, HALF, why);
}

static void hidden_state(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 10, STEPS = 20 };
    double lr = default_lr(a);
    nn_real x0[N], y0[N];
    quad_start(x0, N, 0);
    quad_start(y0, N, 1);
    tspec s = probe_vector_of(a, N, 0);
    prob *P[4];
    for (int k = 0; k < 4; k++) {
        if (!(P[k] = prob_or_report(c, a, &s, 1, 5, 0)))
            return;
        P[k]->obj = OBJ_QUAD;
        P[k]->variant = k % 2;
        prob_put(P[k], k % 2 ? y0 : x0);
    }
    int rc = prob_steps(P[0], STEPS, lr);
    if (rc == NN_OK)
        rc = prob_steps(P[1], STEPS, lr);
    for (int k = 0; k < STEPS && rc == NN_OK; k++) {
        rc = prob_step(P[2], lr);
        if (rc == NN_OK)
            rc = prob_step(P[3], lr);
    }
    char why[512] = "";
    int ok = rc == NN_OK && flat_same(P[2], 0, (size_t)-1, prob_flat_all(P[2]), prob_flat_all(P[0]), 0, why, sizeof why) &&
             flat_same(P[3], 0, (size_t)-1, prob_flat_all(P[3]), prob_flat_all(P[1]), 0, why, sizeof why);
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", P[0]->err.msg[0] ? P[0]->err.msg : P[1]->err.msg[0] ? P[1]->err.msg : P[2]->err.msg[0] ? P[2]->err.msg : P[3]->err.msg);
    else if (ok)
        nn_chk_report(c, NN_CHK_PASS, NULL, "two runs interleaved step by step, each with its own state, equal the same runs alone (%d steps)", STEPS);
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "two runs interleaved step by step, each with its own state, differ from the same runs alone: the plugin keeps state outside its declared slots and scalars (static variables?): %s",
                      why);
}

/* ---- the update does not depend on how tensors are cut or visited ---------------------------- */

/* Tolerance of comparisons between runs whose reduce pass adds the same
 * terms in another order (0: bit for bit), relative. In double the sums
 * differ in their last bits and the runs by far less than 1e-10. In float a
 * last-bit difference of a sum can round a parameter to the neighbouring
 * float (6e-8 relative), and the next steps carry it on (prodigy: 2.7e-7
 * after 5 steps): 1e-5, about 170 float ulps. */
#if defined(NN_REAL_IS_FLOAT)
#define REDUCE_ORDER_TOL 1e-5
#else
#define REDUCE_ORDER_TOL 1e-10
#endif
static double sum_tolerance(const optim_arg *a) { return a->o.n_reduce > 0 ? REDUCE_ORDER_TOL : 0; }

static void split(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { N = 17, STEPS = 5 };
    static const int chunk[3] = {5, 7, 5};
    tspec whole = {"W1", N, 1, 0, 0, 0, 0}, parts[3];
    size_t e = 0;
    for (int k = 0; k < 3; k++) {
        parts[k] = (tspec){k == 0 ? "W1a" : k == 1 ? "W1b" : "W1c", chunk[k], 1, 0, 0, 0, e};
        e += (size_t)chunk[k];
    }
    prob *W = prob_or_report(c, a, &whole, 1, 61, 0), *S = prob_or_report(c, a, parts, 3, 61, 0);
    if (!W || !S)
        return;
    int rc = prob_steps(W, STEPS, hp_lr(a));
    if (rc == NN_OK)
        rc = prob_steps(S, STEPS, hp_lr(a));
    double tol = sum_tolerance(a);
    char why[512] = "";
    flat fw = prob_flat_all(W), fs = prob_flat_all(S);
    int comparable = fw.n == fs.n;
    if (!comparable) { /* slots of other lengths than the tensor: parameters only */
        fw.n = fs.n = N;
    }
    int ok = rc == NN_OK && flat_same(S, 0, (size_t)-1, fs, fw, tol, why, sizeof why);
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", W->err.msg[0] ? W->err.msg : S->err.msg);
    else if (ok)
        nn_chk_report(c, NN_CHK_PASS, NULL, "%d steps on one array of %d equal the same steps on chunks of 5, 7 and 5, %s (%s)",
                      STEPS, N, tol ? "within " NN_STR(REDUCE_ORDER_TOL) " (the reduce pass adds its terms in another order)" : "bit for bit",
                      comparable ? "parameters, slots, scalars" : "parameters");
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "%d steps on one array of %d differ from the same steps on chunks of 5, 7 and 5 (the update must be elementwise; a rule that uses whole tensors declares NN_OPTIM_PER_TENSOR): %s",
                      STEPS, N, why);
}

/* Order and interleaving: the model's tensors visited in reverse (index and
 * order of the calls reversed), and two models' tensors visited alternately
 * in one pipeline (without a reduce pass, whose sums would mix them). */
static void tensor_order(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    double lr = default_lr(a), tol = sum_tolerance(a);
    tspec s[4], rev[4], both[8], second[4];
    int nt = SMALL_MODEL(s);
    for (int i = 0; i < nt; i++) {
        rev[i] = s[nt - 1 - i];
        second[i] = s[i];
        second[i].e0 += 1000; /* other elements: other values and gradients */
    }
    for (int i = 0; i < nt; i++) {
        both[2 * i] = s[i];
        both[2 * i + 1] = second[i];
    }
    prob *F = prob_or_report(c, a, s, nt, 41, 0), *R = prob_or_report(c, a, rev, nt, 41, 0);
    prob *F2 = prob_or_report(c, a, second, nt, 41, 0), *I = prob_or_report(c, a, both, 2 * nt, 41, 0);
    if (!F || !R || !F2 || !I)
        return;
    int rc = prob_steps(F, RUN_STEPS, lr);
    if (rc == NN_OK)
        rc = prob_steps(R, RUN_STEPS, lr);
    int interleave = a->o.n_reduce == 0;
    if (rc == NN_OK && interleave)
        rc = prob_steps(F2, RUN_STEPS, lr);
    if (rc == NN_OK && interleave)
        rc = prob_steps(I, RUN_STEPS, lr);
    char why[512] = "";
    int ok = rc == NN_OK;
    const char *which = "";
    if (ok && !(ok = flat_same(R, 0, (size_t)-1, prob_flat_all(R), prob_flat_all(F), tol, why, sizeof why)))
        which = "in reverse order (b2, W2, b1, W1)";
    if (ok && interleave && !(ok = flat_same(I, 0, 1000, prob_flat(I, 0, 1000), prob_flat_all(F), 0, why, sizeof why)))
        which = "interleaved with another model's tensors in one step (first model)";
    if (ok && interleave &&
        !(ok = flat_same(I, 1000, (size_t)-1, prob_flat(I, 1000, (size_t)-1), prob_flat_all(F2), 0, why, sizeof why)))
        which = "interleaved with another model's tensors in one step (second model)";
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", F->err.msg[0] ? F->err.msg : R->err.msg[0] ? R->err.msg : F2->err.msg[0] ? F2->err.msg : I->err.msg);
    else if (ok)
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps on W1 8x12, b1 8, W2 3x8, b2 3 equal the same steps with the tensors in reverse order%s, %s",
                      RUN_STEPS, interleave ? " and interleaved with another model's tensors in one step" : "",
                      tol ? "within " NN_STR(REDUCE_ORDER_TOL) " (the reduce pass adds its terms in another order)" : "bit for bit");
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "%d steps with the tensors %s differ from the same steps in the core's order: a tensor's update may depend on that tensor only (and on the reduce pass): %s",
                      RUN_STEPS, which, why);
}

/* ---- ABI 2 state: scalars, scratch, evaluation point, re-evaluation ------------------------ */

static void scalars_only_in_update(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s[4];
    SMALL_MODEL(s);
    prob *P = prob_or_report(c, a, s, 4, 31, 0);
    if (!P)
        return;
    P->watch = 1;
    int rc = NN_OK;
    for (long k = 0; k < RUN_STEPS && rc == NN_OK && !P->bad[0]; k++) {
        rc = prob_step(P, default_lr(a));
        prob_eval(P);
    }
    char why[256] = "";
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", P->err.msg);
    else if (P->bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s: global scalars change only in scalars_update (%s)", P->bad,
                      a->o.model_step ? "and model_step" : "once per step, after the reduce pass");
    else if (!prob_state_sane(P, why, sizeof why))
        nn_chk_report(c, NN_CHK_FAIL, NULL, "after %d steps %s", RUN_STEPS, why);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps: the %d scalars stay bit-identical across %ld reduce, %ld step and %ld eval_point calls; %ld scalars_update%s calls change them",
                      RUN_STEPS, a->o.n_scalars, P->calls[NN_OPTIM_CALL_REDUCE], P->calls[NN_OPTIM_CALL_STEP],
                      P->calls[NN_OPTIM_CALL_EVAL_POINT],
                      P->calls[NN_OPTIM_CALL_SCALARS_UPDATE] + P->calls[NN_OPTIM_CALL_MODEL_STEP],
                      a->o.model_step ? " and model_step" : "");
}

static void scratch_no_state(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s[4];
    SMALL_MODEL(s);
    prob *Z = prob_or_report(c, a, s, 4, 21, 0), *N = prob_or_report(c, a, s, 4, 21, 0);
    if (!Z || !N)
        return;
    if (Z->plan.scratch_total == 0) {
        nn_chk_report(c, NN_CHK_SKIP, NULL, "declares no scratch (scratch_len)");
        return;
    }
    N->scratch_nan = 1;
    int rc = NN_OK;
    for (long k = 0; k < RUN_STEPS && rc == NN_OK; k++) {
        rc = prob_step(Z, default_lr(a));
        if (rc == NN_OK)
            rc = prob_step(N, default_lr(a));
        prob_eval(Z);
        prob_eval(N);
    }
    long calls = 0;
    for (int k = 0; k <= NN_OPTIM_CALL_EVAL_POINT; k++)
        calls += k == NN_OPTIM_CALL_SCALARS_UPDATE ? 0 : N->calls[k];
    char why[512] = "";
    int ok = rc == NN_OK && flat_same(N, 0, (size_t)-1, prob_flat_all(N), prob_flat_all(Z), 0, why, sizeof why);
    if (rc && Z->err.msg[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", Z->err.msg);
    else if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "with the scratch filled with NaN before each call, %s (a zeroed scratch trains): scratch holds nothing between calls and is written before it is read",
                      N->err.msg);
    else if (ok)
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps with the scratch (%zu values) filled with NaN before each of %ld calls equal those with a scratch zeroed once, bit for bit and finite",
                      RUN_STEPS, Z->plan.scratch_total, calls);
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "%d steps with the scratch filled with NaN before each call differ from those with a scratch zeroed once (scratch holds nothing between calls and is written before it is read): %s",
                      RUN_STEPS, why);
}

static void eval_point(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    enum { CALLS = 3 };
    tspec s[4];
    SMALL_MODEL(s);
    prob *A = prob_or_report(c, a, s, 4, 11, 0), *B = prob_or_report(c, a, s, 4, 11, 0);
    if (!A || !B)
        return;
    char why[512] = "";
    /* at step 0 the evaluation point is the parameters */
    prob_eval(B);
    for (int i = 0; i < B->nt && !why[0]; i++) {
        const nn_tensor *t = &B->ts[i];
        for (size_t j = 0; j < t->n && !why[0]; j++)
            if (memcmp(&B->eval[t->off + j], &B->theta[t->off + j], sizeof(nn_real)) != 0)
                snprintf(why, sizeof why, "at step 0 the evaluation point of %s[%zu] is %.17g, the parameter %.17g (it must equal the parameters before the first step)",
                         t->name, j, B->eval[t->off + j], B->theta[t->off + j]);
    }
    /* B calls eval_point CALLS times before and after every step: the same
     * point each time, and nothing of its state changes */
    nn_real *first = nn_chk_alloc(B->span, sizeof(nn_real));
    int rc = NN_OK;
    for (long k = 0; k <= RUN_STEPS && rc == NN_OK && !why[0]; k++) {
        flat before = prob_flat_all(B);
        memcpy(first, B->eval, B->span * sizeof(nn_real));
        for (int r = 1; r < CALLS && !why[0]; r++) {
            prob_eval(B);
            for (int i = 0; i < B->nt && !why[0]; i++) {
                const nn_tensor *t = &B->ts[i];
                for (size_t j = 0; j < t->n && !why[0]; j++)
                    if (memcmp(&B->eval[t->off + j], &first[t->off + j], sizeof(nn_real)) != 0)
                        snprintf(why, sizeof why, "after step %ld call %d of eval_point gives %s[%zu] = %.17g, call 1 gave %.17g",
                                 B->t, r + 1, t->name, j, B->eval[t->off + j], first[t->off + j]);
            }
        }
        flat after = prob_flat_all(B);
        char w2[400];
        if (!why[0] && !flat_same(B, 0, (size_t)-1, after, before, 0, w2, sizeof w2))
            snprintf(why, sizeof why, "after step %ld, %d calls of eval_point changed the state: %s", B->t, CALLS, w2);
        free(before.v);
        free(after.v);
        if (k < RUN_STEPS && !why[0]) {
            rc = prob_step(B, default_lr(a));
            if (rc == NN_OK)
                rc = prob_step(A, default_lr(a));
        }
    }
    if (!rc && !why[0] && !flat_same(B, 0, (size_t)-1, prob_flat_all(B), prob_flat_all(A), 0, why, sizeof why)) {
        char w2[512];
        snprintf(w2, sizeof w2, "%d steps with eval_point called between them differ from the same steps without: %s",
                 RUN_STEPS, why);
        snprintf(why, sizeof why, "%s", w2);
    }
    char fin[256];
    if (!rc && !why[0] && !prob_state_sane(B, fin, sizeof fin))
        snprintf(why, sizeof why, "after %d steps %s", RUN_STEPS, fin);
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", A->err.msg[0] ? A->err.msg : B->err.msg);
    else if (why[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", why);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "equals the parameters at step 0; called %d times before and after each of %d steps it gives the same point and changes nothing (parameters, slots, scalars bit-identical to a run that never calls it)",
                      CALLS, RUN_STEPS);
}

static void reevaluation(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s[4];
    SMALL_MODEL(s);
    prob *A = prob_or_report(c, a, s, 4, 71, 0), *B = prob_or_report(c, a, s, 4, 71, 0);
    if (!A || !B)
        return;
    /* B repeats each of A's steps from a copy of A's state: the same
     * evaluations, the same result, every model_step within max_evals */
    char why[512] = "";
    int rc = NN_OK, most = 0;
    long total = 0;
    for (long k = 0; k < RUN_STEPS && rc == NN_OK && !why[0]; k++) {
        memcpy(B->theta, A->theta, A->span * sizeof(nn_real));
        for (int i = 0; i < A->nt; i++)
            for (int q = 0; q < a->o.n_slots; q++)
                memcpy(B->slot_ptrs[i * NN_MAX_SLOTS + q], A->slot_ptrs[i * NN_MAX_SLOTS + q],
                       A->plan.slot_len[i][q] * sizeof(nn_real));
        memcpy(B->scalars, A->scalars, (size_t)a->o.n_scalars * sizeof(nn_real));
        B->t = A->t;
        rc = prob_step(A, default_lr(a));
        int used = A->pipe.evals_used;
        total += used;
        most = used > most ? used : most;
        if (rc) {
            if (used > A->pipe.max_evals)
                snprintf(why, sizeof why, "model_step called evaluate() %d times at step %ld, but max_evals() declares %d",
                         used, A->t, A->pipe.max_evals);
            break;
        }
        rc = prob_step(B, default_lr(a));
        if (rc == NN_OK && B->pipe.evals_used != used)
            snprintf(why, sizeof why, "step %ld repeated from the same state called evaluate() %d times, the first time %d",
                     A->t, B->pipe.evals_used, used);
        if (rc == NN_OK && !why[0]) {
            char w2[400];
            if (!flat_same(B, 0, (size_t)-1, prob_flat_all(B), prob_flat_all(A), 0, w2, sizeof w2))
                snprintf(why, sizeof why, "step %ld repeated from the same state (the same parameters, batch and evaluations) gives another result: %s",
                         A->t, w2);
        }
    }
    if (why[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", why);
    else if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", A->err.msg[0] ? A->err.msg : B->err.msg);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d model_steps on W1 8x12, b1 8, W2 3x8, b2 3, each repeated from a copy of its state: bit-identical, with the same evaluations (at most %d per step, %ld in all; max_evals() declares %d)",
                      RUN_STEPS, most, total, A->pipe.max_evals);
}

static void degenerate_shapes(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    static const tspec s[] = {
        {"1x7", 1, 7, 0, 0, 0, 0},        {"7x1", 7, 1, 0, 1, 0, 7},
        {"12x3", 12, 3, 0, 2, 0, 14},     {"1x1", 1, 1, 0, 3, 0, 50},
        {"zero4x5", 4, 5, 0, 4, T_ZERO_W, 51}, {"zero3x4", 3, 4, 0, 5, T_ZERO_W | T_ZERO_G, 71},
        {"b", 3, 1, 1, 5, 0, 83},
    };
    enum { NT = sizeof s / sizeof s[0] };
    prob *P = prob_or_report(c, a, s, NT, 17, 0);
    if (!P)
        return;
    char why[256] = "";
    int rc = NN_OK;
    for (long k = 0; k < RUN_STEPS && rc == NN_OK && !why[0]; k++) {
        rc = prob_step(P, default_lr(a));
        if (rc == NN_OK && !prob_state_sane(P, why, sizeof why)) {
            char w2[300];
            snprintf(w2, sizeof w2, "%s after step %ld", why, P->t);
            snprintf(why, sizeof why, "%s", w2);
        }
    }
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", P->err.msg);
    else if (why[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s (tensors 1x7, 7x1, 12x3, 1x1, 4x5 of zeros, 3x4 of zeros with a zero gradient, a bias of 3)", why);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "%d steps on weights 1x7, 7x1, 12x3, 1x1, 4x5 starting at zero, 3x4 at zero with a zero gradient, and a bias of 3: parameters, slots, scalars%s finite",
                      RUN_STEPS, a->o.eval_point ? " and the evaluation point" : "");
}

/* A gradient huge but finite in the build's type whose square is not (the
 * float build's 1e300 would be inf before any step). */
#if defined(NN_REAL_IS_FLOAT)
#define HUGE_GRAD 1e30
#define HUGE_TEXT "+-1e30"
#else
#define HUGE_GRAD 1e300
#define HUGE_TEXT "+-1e300"
#endif

static void extremes(nn_checker *c, const void *arg)
{
    const optim_arg *a = arg;
    tspec s = probe_vector_of(a, 8, 0);
    char bad[300] = "";
    double biggest = 0;
    for (int mode = 0; mode < 2 && !bad[0]; mode++) {
        prob *P = prob_or_report(c, a, &s, 1, 71, 0);
        if (!P)
            return;
        P->obj = mode == 0 ? OBJ_ZERO : OBJ_CONST;
        P->gscale = HUGE_GRAD;
        int rc = prob_steps(P, 5, hp_lr(a));
        prob_eval(P);
        if (rc)
            snprintf(bad, sizeof bad, "%s", P->err.msg);
        for (size_t i = 0; i < P->span && !bad[0]; i++) {
            if (!isfinite(P->theta[i]))
                snprintf(bad, sizeof bad, "parameter %zu is %g after 5 steps with %s gradients", i, P->theta[i],
                         mode ? HUGE_TEXT : "zero");
            else if (!isfinite(P->eval[i]))
                snprintf(bad, sizeof bad, "the evaluation point %zu is %g after 5 steps with %s gradients", i,
                         P->eval[i], mode ? HUGE_TEXT : "zero");
            biggest = fmax(biggest, fabs(P->theta[i]));
        }
        for (int k = 0; k < a->o.n_slots && !bad[0]; k++)
            for (size_t i = 0; i < P->plan.slot_len[0][k] && !bad[0]; i++)
                if (isnan(P->slot_ptrs[k][i]))
                    snprintf(bad, sizeof bad, "slot[%d] element %zu is NaN after 5 steps with %s gradients", k, i,
                             mode ? HUGE_TEXT : "zero");
        for (int k = 0; k < a->o.n_scalars && !bad[0]; k++)
            if (isnan(P->scalars[k]))
                snprintf(bad, sizeof bad, "scalars[%d] is NaN after 5 steps with %s gradients", k, mode ? HUGE_TEXT : "zero");
    }
    char shape[64];
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s (default hyperparameters, %s)", bad, probe_shape_text(&s, shape, sizeof shape));
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "5 steps with zero and with " HUGE_TEXT " gradients at the defaults (%s): parameters finite (largest |x| %.3g), no NaN in the slots%s",
                      probe_shape_text(&s, shape, sizeof shape), biggest, a->o.n_scalars ? " or the scalars" : "");
}

/* ---- the table ----------------------------------------------------------------------------- */

typedef struct optim_check {
    const char *what;
    unsigned families; /* the rules it applies to (NN_FAMILY_*) */
    nn_chk_fn fn;
} optim_check;

static const optim_check checks[] = {
    {"zero gradient changes nothing", FAM_ANY, zero_gradient},
    {"uses the scheduled learning rate", FAM_ANY, scheduled_lr},
    {"step writes only declared state", FAM_ANY, declared_state},
    {"biases and every layer move under a nonzero gradient", FAM_ANY, every_tensor_moves},
    {"state saved and restored continues bit-identically", FAM_ANY, save_restore},
    {"no hidden state", FAM_ANY, hidden_state},
    {"same update whatever the split", NN_FAMILY_ELEMENTWISE, split},
    {"same update whatever the order of tensors", NN_FAMILY_PER_TENSOR | NN_FAMILY_MATRIX, tensor_order},
    {"scalars change only in their once-per-step update", NN_FAMILY_GLOBAL, scalars_only_in_update},
    {"scratch holds no state", FAM_ANY, scratch_no_state},
    {"evaluation point", NN_FAMILY_EVAL_POINT, eval_point},
    {"re-evaluation reproducible and bounded", NN_FAMILY_REEVAL, reevaluation},
    {"degenerate shapes stay finite", FAM_ANY, degenerate_shapes},
    {"no NaN on zero or huge gradients", FAM_ANY, extremes},
    {"converges on a convex quadratic", FAM_ANY, quadratic_converges},
    {"makes progress on Rosenbrock", FAM_ANY, rosenbrock_progress},
};

void nn_chk_suite_optim(nn_checker *c, const nn_plugin *p, const nn_chk_block *b)
{
    optim_arg a = optim_arg_of(p, b->s->values);
    char names[128];
    nn_optim_family_names(a.fam, names, sizeof names);
    nn_chk_independent(c, p, optim_sig);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (checks[i].families & a.fam)
            nn_chk_run(c, checks[i].what, 1, checks[i].fn, &a);
        else
            nn_chk_report(c, NN_CHK_SKIP, checks[i].what, "does not apply to a rule of the families %s", names);
    }
}
