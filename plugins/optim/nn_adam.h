/* nn_adam.h: the Adam update shared by plugins/optim/adam.c and adamw.c,
 * in torch.optim.Adam 1.13's order of operations (single-tensor path).
 * Included by those two and nadam.c (parameter rows only); everything here is static. */
#ifndef NN_OPTIM_ADAM_H
#define NN_OPTIM_ADAM_H

#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1: betas must stay < 1 (bias correction divides by
 * 1 - beta^t). */
#define NN_BELOW_ONE 0x1.fffffffffffffp-1

/* Parameter rows common to adam, adamw and nadam; adam and adamw add
 * weight_decay and amsgrad after them so that both share the indices below. */
#define NN_ADAM_PARAMS(lr_default)                                            \
    {"lr", NN_T_REAL, lr_default, NULL, 0, 10, NULL, "learning rate (step size)"},   \
    {"beta1", NN_T_REAL, 0.9, NULL, 0, NN_BELOW_ONE, NULL,                      \
     "decay of the first-moment average (the course's beta1)"},                \
    {"beta2", NN_T_REAL, 0.999, NULL, 0, NN_BELOW_ONE, NULL,                    \
     "decay of the second-moment average (the course's beta2)"},               \
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL,                            \
     "added to sqrt(s_hat), outside the root; > 0 so a zero gradient is safe"}

enum { NN_ADAM_BETA1 = 1, NN_ADAM_BETA2, NN_ADAM_EPS, NN_ADAM_WD, NN_ADAM_AMSGRAD };

/* One Adam step; l2 is the coupled weight decay added to the gradient.
 * slot[0] = m, slot[1] = s, slot[2] = max s (AMSGrad). */
static inline void nn_adam_update(const nn_value *hp, const nn_optim_step *s, nn_real l2)
{
    const nn_real b1 = hp[NN_ADAM_BETA1].r, b2 = hp[NN_ADAM_BETA2].r;
    const nn_real eps = hp[NN_ADAM_EPS].r;
    const int amsgrad = hp[NN_ADAM_AMSGRAD].i != 0;
    const nn_real t = (nn_real)s->t;
    const nn_real step_size = s->lr / (1 - pow(b1, t));
    const nn_real bc2_sqrt = sqrt(1 - pow(b2, t));
    nn_real *m = s->slot[0], *v = s->slot[1], *vmax = s->slot[2];

    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (l2 != 0)
            g = g + l2 * s->param[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real vv = v[i];
        if (amsgrad) {
            if (vv > vmax[i])
                vmax[i] = vv;
            vv = vmax[i];
        }
        nn_real denom = sqrt(vv) / bc2_sqrt + eps;
        s->param[i] = s->param[i] + (-step_size * m[i]) / denom;
    }
}

#endif
