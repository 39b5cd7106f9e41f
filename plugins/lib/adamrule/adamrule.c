/* adamrule.c: the Adam update of the adamrule library (see adamrule.h). */
#include "adamrule.h"

#include <math.h>

/* The root in the build's type: sqrt of a float is sqrtf (a double sqrt and
 * the conversions around it cost twice the float one, 8 lanes instead of 16,
 * and this loop is a fifth of a float32 step at batch 64). */
#if defined(NN_REAL_IS_FLOAT)
#define ROOT sqrtf
#else
#define ROOT sqrt
#endif

/* The update without AMSGrad, l2 a loop constant: restrict pointers and no
 * branch per element, so GCC turns it into vector code (same operations in
 * the same order per element as the general loop below). */
static inline __attribute__((always_inline)) void
update_plain(nn_real *restrict p, const nn_real *restrict gr, nn_real *restrict m, nn_real *restrict v,
             size_t n, nn_real b1, nn_real b2, nn_real eps, nn_real step_size, nn_real bc2_sqrt,
             nn_real l2, int with_l2)
{
    for (size_t i = 0; i < n; i++) {
        nn_real g = gr[i];
        if (with_l2)
            g = g + l2 * p[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real denom = ROOT(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] + (-step_size * m[i]) / denom;
    }
}

void adamrule_update(const nn_value *hp, const nn_optim_step *s, nn_real l2)
{
    const nn_real b1 = hp[ADAMRULE_BETA1].r, b2 = hp[ADAMRULE_BETA2].r;
    const nn_real eps = hp[ADAMRULE_EPS].r;
    const int amsgrad = hp[ADAMRULE_AMSGRAD].i != 0;
    const nn_real t = (nn_real)s->t;
    const nn_real step_size = s->lr / (1 - pow(b1, t));
    const nn_real bc2_sqrt = sqrt(1 - pow(b2, t));
    nn_real *m = s->slot[0], *v = s->slot[1], *vmax = s->slot[2];

    if (!amsgrad) {
        if (l2 != 0)
            update_plain(s->param, s->grad, m, v, s->n, b1, b2, eps, step_size, bc2_sqrt, l2, 1);
        else
            update_plain(s->param, s->grad, m, v, s->n, b1, b2, eps, step_size, bc2_sqrt, l2, 0);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (l2 != 0)
            g = g + l2 * s->param[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real vv = v[i];
        if (vv > vmax[i])
            vmax[i] = vv;
        vv = vmax[i];
        nn_real denom = ROOT(vv) / bc2_sqrt + eps;
        s->param[i] = s->param[i] + (-step_size * m[i]) / denom;
    }
}
