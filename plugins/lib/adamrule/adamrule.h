/* adamrule.h: the adamrule plugin library (plugins/lib/README.md): the Adam
 * update shared by the adam and adamw optimizers, in torch.optim.Adam 1.13's
 * order of operations (single-tensor path), and the parameter rows that adam,
 * adamw and nadam have in common. */
#ifndef ADAMRULE_H
#define ADAMRULE_H

#include <float.h>

#include "nnlab/plugin.h"

/* Largest double below 1: betas must stay < 1 (bias correction divides by
 * 1 - beta^t). */
#define ADAMRULE_BELOW_ONE 0x1.fffffffffffffp-1

/* Parameter rows common to adam, adamw and nadam; adam and adamw add
 * weight_decay and amsgrad after them so that both share the indices below. */
#define ADAMRULE_PARAMS(lr_default)                                                  \
    {"lr", NN_T_REAL, lr_default, NULL, 0, 10, NULL, "learning rate (step size)"},   \
    {"beta1", NN_T_REAL, 0.9, NULL, 0, ADAMRULE_BELOW_ONE, NULL,                      \
     "decay of the first-moment average (the course's beta1)"},                      \
    {"beta2", NN_T_REAL, 0.999, NULL, 0, ADAMRULE_BELOW_ONE, NULL,                    \
     "decay of the second-moment average (the course's beta2)"},                     \
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL,                                  \
     "added to sqrt(s_hat), outside the root; > 0 so a zero gradient is safe"}

enum { ADAMRULE_BETA1 = 1, ADAMRULE_BETA2, ADAMRULE_EPS, ADAMRULE_WD, ADAMRULE_AMSGRAD };

/* One Adam step over s with hp laid out as above; l2 is the coupled weight
 * decay added to the gradient. slot[0] = m, slot[1] = s, slot[2] = max s
 * (AMSGrad). */
void adamrule_update(const nn_value *hp, const nn_optim_step *s, nn_real l2);

#endif
