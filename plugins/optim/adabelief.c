/* adabelief: AdaBelief (Zhuang et al., NeurIPS 2020) as the authors'
 * adabelief-pytorch 0.2, with its defaults (eps 1e-16, decoupled weight
 * decay, rectification on). Adam whose second moment is the "belief"
 *     s = beta2 * s + (1 - beta2) * (g - m)^2 + eps
 * (eps added to the state every step, so it sits inside the root, as the
 * paper's algorithm and the authors' code have it), then
 *     W -= lr / (1 - beta1^t) * m / (sqrt(s / (1 - beta2^t)) + eps).
 * rectify: RAdam's rule with the authors' threshold rho_t >= 5: the step is
 * lr * r_t * m / (sqrt(s) + eps) with r_t including sqrt(1 - beta2^t) and
 * 1 / (1 - beta1^t); before that, momentum SGD lr * m / (1 - beta1^t)
 * (degenerated_to_sgd) or no move. weight_decouple: W *= 1 - lr * wd
 * (fixed_decay: 1 - wd) before the step; otherwise wd * W is added to the
 * gradient. amsgrad divides by the running maximum of s (the rectified
 * step keeps s, as the authors' code does). */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1: 1 - beta^t must stay > 0. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-3, NULL, 0, 10, NULL, "learning rate (step size)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "decay of the first-moment average"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the belief (g - m)^2 average"},
    {"eps", NN_T_REAL, 1e-16, NULL, DBL_MIN, 1, NULL,
     "added to the belief every step and to its root; > 0 so a zero gradient is safe"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "weight decay: decoupled (W *= 1 - lr * wd) or L2 added to the gradient, see weight_decouple"},
    {"amsgrad", NN_T_BOOL, 0, NULL, 0, 1, NULL, "divide by the running maximum of the belief"},
    {"weight_decouple", NN_T_BOOL, 1, NULL, 0, 1, NULL,
     "decoupled weight decay as AdamW (false: L2 penalty added to the gradient)"},
    {"fixed_decay", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "with weight_decouple: W *= 1 - wd, not scaled by lr"},
    {"rectify", NN_T_BOOL, 1, NULL, 0, 1, NULL, "RAdam's variance rectification"},
    {"degenerated_to_sgd", NN_T_BOOL, 1, NULL, 0, 1, NULL,
     "with rectify: momentum SGD steps while rho_t < 5 (false: no move)"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD, P_AMSGRAD, P_DECOUPLE, P_FIXED, P_RECTIFY, P_SGD };

/* What step t does besides the moments. */
typedef struct belief_plan {
    int adaptive;          /* divide by the root of the belief */
    nn_real scale;         /* multiplies m (adaptive: m / denom) */
    nn_real bc2_sqrt;      /* sqrt(1 - beta2^t) inside denom, or 1 when rectified */
} belief_plan;

static belief_plan belief_plan_of(const nn_value *hp, long step, nn_real lr)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, t = (nn_real)step;
    const nn_real bc1 = 1 - pow(b1, t);
    if (!hp[P_RECTIFY].i)
        return (belief_plan){1, -(lr / bc1), sqrt(1 - pow(b2, t))};
    const nn_real b2t = pow(b2, t);
    const nn_real rho_max = 2 / (1 - b2) - 1;
    const nn_real rho = rho_max - 2 * t * b2t / (1 - b2t);
    if (rho >= 5) {
        const nn_real r = sqrt((1 - b2t) * (rho - 4) / (rho_max - 4) * (rho - 2) / rho * rho_max /
                               (rho_max - 2)) / bc1;
        return (belief_plan){1, -r * lr, 1};
    }
    return (belief_plan){0, hp[P_SGD].i ? -(1.0 / bc1) * lr : 0, 1};
}

/* slot[0] = m, slot[1] = s (belief), slot[2] = max s (amsgrad) */
static void adabelief_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const int decouple = hp[P_DECOUPLE].i != 0, amsgrad = hp[P_AMSGRAD].i != 0;
    const int rectified = hp[P_RECTIFY].i != 0;
    const nn_real shrink = 1.0 - (hp[P_FIXED].i ? wd : s->lr * wd);
    const belief_plan plan = belief_plan_of(hp, s->t, s->lr);
    nn_real *m = s->slot[0], *v = s->slot[1], *vmax = s->slot[2];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (decouple)
            s->param[i] = s->param[i] * shrink;
        else if (wd != 0)
            g = g + wd * s->param[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        const nn_real r = g - m[i];
        v[i] = v[i] * b2 + (1 - b2) * r * r;
        v[i] = v[i] + eps;
        if (amsgrad && v[i] > vmax[i])
            vmax[i] = v[i];
        const nn_real vv = amsgrad && !rectified ? vmax[i] : v[i];
        if (plan.adaptive)
            s->param[i] = s->param[i] + plan.scale * (m[i] / (sqrt(vv) / plan.bc2_sqrt + eps));
        else if (plan.scale != 0)
            s->param[i] = s->param[i] + plan.scale * m[i];
    }
}

static const nn_optim_ops ops = {3, NN_OPTIM_DECOUPLED_DECAY, adabelief_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adabelief",
    "AdaBelief: Adam whose step adapts to the belief (g - m)^2 (authors' adabelief-pytorch 0.2 defaults)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
