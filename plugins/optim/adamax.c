/* adamax: Adamax (Kingma & Ba 2015, section 7.1) as torch.optim.Adamax 1.13:
 * the second moment becomes an exponentially weighted infinity norm
 * u = max(beta2 * u, |g| + eps), and W -= lr / (1 - beta1^t) * m / u; L2
 * weight decay is added to the gradient. */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1: 1 - beta1^t must stay > 0. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 2e-3, NULL, 0, 10, NULL, "learning rate (step size)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "decay of the first-moment average"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the infinity norm"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL,
     "added to |g| inside the maximum; > 0 so the norm is never 0"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD };

/* slot[0] = m, slot[1] = u (infinity norm) */
static void adamax_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const nn_real clr = s->lr / (1 - pow(b1, (nn_real)s->t));
    nn_real *m = s->slot[0], *u = s->slot[1];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        m[i] = m[i] * b1 + (1 - b1) * g;
        const nn_real decayed = u[i] * b2, fresh = fabs(g) + eps;
        u[i] = decayed > fresh ? decayed : fresh;
        s->param[i] = s->param[i] + (-clr) * (m[i] / u[i]);
    }
}

static const nn_optim_ops ops = {2, 0, adamax_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adamax",
    "Adamax: Adam with an infinity-norm second moment (torch.optim.Adamax)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
