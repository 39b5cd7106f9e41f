/* prodigy: Prodigy (Mishchenko & Defazio 2023), Adam with a learned step
 * size d, as the authors' prodigyopt 1.1 Prodigy (one parameter group,
 * slice_p = 1). Every step, over all tensors:
 *   dlr = d * lr * bc                  bc = sqrt(1 - b2^(k+1)) / (1 - b1^(k+1))
 *                                      with use_bias_correction, else 1
 *   num += (d / d0) * dlr * <g, p0 - p>           (p0: the starting point)
 *   m = b1 m + d (1 - b1) g,  v = b2 v + d^2 (1 - b2) g^2
 *   s = b3 s + (d / d0) * dlr * g      ((d / d0) * d with safeguard_warmup)
 *   den += sum |s|
 * then once: num_total = b3 * num_prev + num; d_hat = d_coef * num_total / den;
 * d grows to max(d_max, d_hat), at most by growth_rate per step; and each
 * tensor moves p -= dlr * m / (sqrt(v) + d * eps), dlr from before the
 * update of d (decoupled decay p -= weight_decay * dlr * p first). A step
 * whose den is 0 (all gradients zero so far, or lr 0) changes nothing but
 * the moments, as in prodigyopt.
 *
 * The sums are this plugin's reduce pass; d, d_max, the numerator and the
 * step count k are global scalars changed only by scalars_update. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

/* Largest double below 1. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1.0, NULL, 0, 1000, NULL,
     "multiplier of the learned step size d (leave at 1 unless unstable)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "decay of the gradient average m (0: none)"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the squared-gradient average v"},
    {"beta3", NN_T_REAL, -1, NULL, -1, BELOW_ONE, NULL,
     "decay of the d estimate's sums; negative (default): sqrt(beta2)"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL, "d * eps is added to sqrt(v)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL, "weight decay (decoupled or L2, see decouple)"},
    {"decouple", NN_T_BOOL, 1, NULL, 0, 1, NULL,
     "AdamW-style decay p -= weight_decay * dlr * p; false: L2 added to the gradient"},
    {"use_bias_correction", NN_T_BOOL, 0, NULL, 0, 1, NULL, "Adam's bias correction in dlr"},
    {"safeguard_warmup", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "leave lr out of the denominator sum s (for warm-up schedules)"},
    {"d0", NN_T_REAL, 1e-6, NULL, DBL_MIN, 1e6, NULL, "initial d estimate"},
    {"d_coef", NN_T_REAL, 1.0, NULL, 0, 1e6, NULL, "d_hat = d_coef * numerator / denominator"},
    {"growth_rate", NN_T_REAL, DBL_MAX, NULL, 0, DBL_MAX, NULL,
     "largest factor d may grow by per step; the default (DBL_MAX) means no limit"},
};

enum { P_LR, P_BETA1, P_BETA2, P_BETA3, P_EPS, P_WD, P_DECOUPLE, P_BIAS_CORR, P_SAFEGUARD, P_D0,
       P_D_COEF, P_GROWTH };

/* Slots: the two moments, the denominator sum s and the starting point p0. */
enum { S_M, S_V, S_S, S_P0, N_SLOTS };

/* Global scalars. DLR is the step's dlr, kept for the per-tensor steps after
 * d has been updated; SKIP is 1 when the step's denominator was 0. */
enum { C_D, C_D_MAX, C_NUM, C_DEN, C_D_HAT, C_DLR, C_K, C_SKIP, C_STARTED, N_SCALARS };

/* Sums of the reduce pass. */
enum { R_NUM, R_DEN, N_REDUCE };

static nn_real beta3_of(const nn_value *hp)
{
    return hp[P_BETA3].r < 0 ? sqrt(hp[P_BETA2].r) : hp[P_BETA3].r;
}

/* d * lr * bias correction for the step after k completed ones. */
static nn_real dlr_of(const nn_value *hp, nn_real d, nn_real lr, nn_real k)
{
    nn_real bc = 1;
    if (hp[P_BIAS_CORR].i)
        bc = pow(1 - pow(hp[P_BETA2].r, k + 1), 0.5) / (1 - pow(hp[P_BETA1].r, k + 1));
    return d * lr * bc;
}

/* The gradient prodigy uses: L2 decay added when it is not decoupled. */
static nn_real grad_at(const nn_value *hp, const nn_optim_step *s, size_t i)
{
    const nn_real wd = hp[P_WD].r;
    if (wd != 0 && !hp[P_DECOUPLE].i)
        return s->grad[i] + wd * s->param[i];
    return s->grad[i];
}

static void prodigy_init(const nn_value *hp, nn_real *sc)
{
    sc[C_D] = hp[P_D0].r;
    sc[C_D_MAX] = hp[P_D0].r;
}

/* Adds this tensor's numerator and denominator terms; updates m, v, s. */
static void prodigy_reduce(const nn_value *hp, const nn_optim_step *s, nn_real *acc)
{
    const nn_real *sc = s->scalars;
    nn_real *m = s->slot[S_M], *v = s->slot[S_V], *ss = s->slot[S_S], *p0 = s->slot[S_P0];
    if (sc[C_STARTED] == 0)
        memcpy(p0, s->param, s->n * sizeof *p0);
    if (!(s->lr > 0))
        return;
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, b3 = beta3_of(hp);
    const nn_real d = sc[C_D], d0 = hp[P_D0].r;
    const nn_real dlr = dlr_of(hp, d, s->lr, sc[C_K]);
    const nn_real cm = d * (1 - b1), cv = d * d * (1 - b2);
    const nn_real cs = hp[P_SAFEGUARD].i ? (d / d0) * d : (d / d0) * dlr;
    nn_real dot = 0, den = 0;
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = grad_at(hp, s, i);
        dot += g * (p0[i] - s->param[i]);
        if (b1 > 0)
            m[i] = m[i] * b1 + cm * g;
        v[i] = v[i] * b2 + cv * g * g;
        ss[i] = ss[i] * b3 + cs * g;
        den += fabs(ss[i]);
    }
    acc[R_NUM] += (d / d0) * dlr * dot;
    acc[R_DEN] += den;
}

/* Once per step: the new d from the sums (nothing when the denominator is 0). */
static void prodigy_update(const nn_value *hp, nn_real *sc, const nn_real *acc, long t, nn_real lr)
{
    (void)t;
    sc[C_STARTED] = 1;
    if (acc[R_DEN] == 0) {
        sc[C_SKIP] = 1;
        return;
    }
    const nn_real growth = hp[P_GROWTH].r >= DBL_MAX ? INFINITY : hp[P_GROWTH].r;
    nn_real d = sc[C_D], d_max = sc[C_D_MAX], d_hat = d;
    const nn_real num = beta3_of(hp) * sc[C_NUM] + acc[R_NUM];
    sc[C_DLR] = dlr_of(hp, d, lr, sc[C_K]);
    if (lr > 0) {
        d_hat = hp[P_D_COEF].r * num / acc[R_DEN];
        if (d == hp[P_D0].r)
            d = d_hat > d ? d_hat : d;
        d_max = d_hat > d_max ? d_hat : d_max;
        d = d * growth < d_max ? d * growth : d_max;
    }
    sc[C_NUM] = num;
    sc[C_DEN] = acc[R_DEN];
    sc[C_D] = d;
    sc[C_D_MAX] = d_max;
    sc[C_D_HAT] = d_hat;
    sc[C_K] += 1;
    sc[C_SKIP] = 0;
}

static void prodigy_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real *sc = s->scalars;
    if (sc[C_SKIP] != 0)
        return;
    const nn_real d = sc[C_D], dlr = sc[C_DLR], eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const int decoupled = wd != 0 && hp[P_DECOUPLE].i, with_m = hp[P_BETA1].r > 0;
    const nn_real *m = s->slot[S_M], *v = s->slot[S_V];
    for (size_t i = 0; i < s->n; i++) {
        const nn_real denom = sqrt(v[i]) + d * eps;
        const nn_real g = grad_at(hp, s, i); /* before p moves: L2 uses the old p */
        if (decoupled)
            s->param[i] = s->param[i] + (-wd * dlr) * s->param[i];
        if (with_m)
            s->param[i] = s->param[i] + (-dlr * m[i]) / denom;
        else
            s->param[i] = s->param[i] + (-dlr * d * g) / denom;
    }
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS,
    .step = prodigy_step,
    .n_scalars = N_SCALARS,
    .scalars_init = prodigy_init,
    .n_reduce = N_REDUCE,
    .reduce = prodigy_reduce,
    .scalars_update = prodigy_update,
};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "prodigy",
    "Prodigy: Adam with a step size d learned from all tensors (prodigyopt 1.1)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
