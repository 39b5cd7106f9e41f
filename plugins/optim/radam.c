/* radam: Rectified Adam (Liu et al. 2020) as torch.optim.RAdam 1.13: Adam's
 * moments with L2 weight decay added to the gradient; while the length of
 * the approximated simple moving average rho_t is at most 5 the step is
 * lr * m_hat (no adaptive denominator), afterwards
 * lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(s) + eps) with the variance
 * rectification r_t. */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1: 1 - beta^t must stay > 0. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-3, NULL, 0, 10, NULL, "learning rate (step size)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "decay of the first-moment average"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the second-moment average"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL,
     "added to sqrt(s), outside the root; > 0 so a zero gradient is safe"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD };

/* The rectification factor of step t, or 0 while rho_t <= 5 (no adaptive step). */
static nn_real radam_rect(nn_real b2, nn_real t)
{
    const nn_real bc2 = 1 - pow(b2, t);
    const nn_real rho_inf = 2 / (1 - b2) - 1;
    const nn_real rho_t = rho_inf - 2 * t * pow(b2, t) / bc2;
    if (!(rho_t > 5.))
        return 0;
    return sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
}

/* slot[0] = m, slot[1] = s */
static void radam_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const nn_real t = (nn_real)s->t, lr = s->lr;
    const nn_real bc1 = 1 - pow(b1, t), sqrt_bc2 = sqrt(1 - pow(b2, t));
    const nn_real rect = radam_rect(b2, t);
    nn_real *m = s->slot[0], *v = s->slot[1];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        const nn_real m_hat = m[i] / bc1;
        if (rect > 0) {
            const nn_real adaptive = sqrt_bc2 / (sqrt(v[i]) + eps);
            s->param[i] = s->param[i] - m_hat * lr * adaptive * rect;
        } else {
            s->param[i] = s->param[i] - m_hat * lr;
        }
    }
}

static const nn_optim_ops ops = {2, 0, radam_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "radam",
    "Rectified Adam: momentum SGD while the variance estimate is unreliable (torch.optim.RAdam)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
