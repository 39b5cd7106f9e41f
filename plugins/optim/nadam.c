/* nadam: NAdam (Dozat 2016) as torch.optim.NAdam with momentum_decay.
 * Follows the corrected PyTorch formula (pytorch PR #92699, torch >= 2.0):
 * mu_product_next = mu_product * mu_next. torch 1.13 multiplied by mu once
 * more there; see tests/gen_optim_reference.py. */
#include "nnlab/plugin.h"

#include <math.h>

#include "adamrule/adamrule.h" /* the parameter rows shared with adam */

static const nn_param_decl params[] = {
    ADAMRULE_PARAMS(2e-3),
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
    {"momentum_decay", NN_T_REAL, 4e-3, NULL, 0, 1, NULL,
     "psi: mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi))"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD, P_MOMENTUM_DECAY };

/* mu_t of the momentum schedule. */
static nn_real nadam_mu(const nn_value *hp, long t)
{
    return hp[P_BETA1].r * (1. - 0.5 * pow(0.96, (nn_real)t * hp[P_MOMENTUM_DECAY].r));
}

/* slot[0] = m, slot[1] = s, slot[2] = product of mu_1..mu_t (per element). */
static void nadam_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, eps = hp[P_EPS].r;
    const nn_real wd = hp[P_WD].r;
    const nn_real bc2 = 1 - pow(b2, (nn_real)s->t);
    const nn_real mu = nadam_mu(hp, s->t), mu_next = nadam_mu(hp, s->t + 1);
    nn_real *m = s->slot[0], *v = s->slot[1], *prod = s->slot[2];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        prod[i] = (s->t <= 1 ? 1 : prod[i]) * mu;
        const nn_real c_grad = -s->lr * (1. - mu) / (1. - prod[i]);
        const nn_real c_avg = -s->lr * mu_next / (1. - prod[i] * mu_next);
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        const nn_real denom = sqrt(v[i] / bc2) + eps;
        s->param[i] = s->param[i] + (c_grad * g) / denom;
        s->param[i] = s->param[i] + (c_avg * m[i]) / denom;
    }
}

static const nn_optim_ops ops = {3, 0, nadam_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "nadam",
    "NAdam, Adam with Nesterov momentum (torch.optim.NAdam, corrected formula)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
