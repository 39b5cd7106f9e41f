/* adamrule.c: the Adam update of the adamrule library (see adamrule.h). */
#include "adamrule.h"

#include <math.h>

void adamrule_update(const nn_value *hp, const nn_optim_step *s, nn_real l2)
{
    const nn_real b1 = hp[ADAMRULE_BETA1].r, b2 = hp[ADAMRULE_BETA2].r;
    const nn_real eps = hp[ADAMRULE_EPS].r;
    const int amsgrad = hp[ADAMRULE_AMSGRAD].i != 0;
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
