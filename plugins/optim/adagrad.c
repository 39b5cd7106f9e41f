/* adagrad: Adagrad as torch.optim.Adagrad 1.13: the sum of squared gradients
 * starts at initial_accumulator_value; W -= clr * g / (sqrt(sum) + eps) with
 * clr = lr / (1 + (t - 1) * lr_decay). */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 10, NULL, "learning rate"},
    {"lr_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "step t uses lr / (1 + (t - 1) * lr_decay)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
    {"initial_accumulator_value", NN_T_REAL, 0, NULL, 0, 1e6, NULL,
     "starting value of the sum of squared gradients"},
    {"eps", NN_T_REAL, 1e-10, NULL, DBL_MIN, 1, NULL,
     "added to the root, outside it; > 0 so a zero gradient is safe"},
};

enum { P_LR, P_LR_DECAY, P_WD, P_INIT_ACC, P_EPS };

static void adagrad_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real clr = s->lr / (1 + (nn_real)(s->t - 1) * hp[P_LR_DECAY].r);
    const nn_real wd = hp[P_WD].r, eps = hp[P_EPS].r;
    nn_real *sum = s->slot[0];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        if (s->t <= 1)
            sum[i] = hp[P_INIT_ACC].r;
        sum[i] = sum[i] + g * g;
        s->param[i] = s->param[i] + (-clr * g) / (sqrt(sum[i]) + eps);
    }
}

static const nn_optim_ops ops = {1, 0, adagrad_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adagrad",
    "Adagrad with learning-rate decay (torch.optim.Adagrad)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
