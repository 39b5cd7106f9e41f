/* adadelta: Adadelta (Zeiler 2012) as torch.optim.Adadelta 1.13: running
 * averages of squared gradients (s) and of squared updates (u);
 * delta = sqrt(u + eps) / sqrt(s + eps) * g, W -= lr * delta. L2 weight
 * decay is added to the gradient. lr = 1 is the paper's rule. */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1.0, NULL, 0, 1e3, NULL, "scale of the update (1 = the paper's Adadelta)"},
    {"rho", NN_T_REAL, 0.9, NULL, 0, 1, NULL,
     "decay of the running averages of squared gradients and squared updates"},
    {"eps", NN_T_REAL, 1e-6, NULL, DBL_MIN, 1, NULL,
     "added inside both roots; > 0 so the first steps and a zero gradient are safe"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
};

enum { P_LR, P_RHO, P_EPS, P_WD };

/* slot[0] = s (squared gradients), slot[1] = u (squared updates) */
static void adadelta_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real rho = hp[P_RHO].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    nn_real *sq = s->slot[0], *acc = s->slot[1];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        sq[i] = sq[i] * rho + (1 - rho) * g * g;
        const nn_real delta = sqrt(acc[i] + eps) / sqrt(sq[i] + eps) * g;
        acc[i] = acc[i] * rho + (1 - rho) * delta * delta;
        s->param[i] = s->param[i] + (-s->lr) * delta;
    }
}

static const nn_optim_ops ops = {2, 0, adadelta_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adadelta",
    "Adadelta: unit-corrected steps from running averages of squared gradients and updates (torch.optim.Adadelta)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
