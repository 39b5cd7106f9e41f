/* adam: Adam as torch.optim.Adam 1.13 (bias-corrected, eps outside the root,
 * L2 weight decay added to the gradient, optional AMSGrad). With
 * weight_decay = 0 it is the deeplearning.ai course's
 * update_parameters_with_adam (same algebra; agrees to rounding). */
#include "adamrule/adamrule.h"

static const nn_param_decl params[] = {
    ADAMRULE_PARAMS(1e-3),
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
    {"amsgrad", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "AMSGrad: divide by the running maximum of s (Reddi et al.)"},
};

static void adam_step(const nn_value *hp, const nn_optim_step *s)
{
    adamrule_update(hp, s, hp[ADAMRULE_WD].r);
}

static const nn_optim_ops ops = {3, 0, adam_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adam",
    "Adam, bias-corrected (torch.optim.Adam; the course's Adam when weight_decay = 0)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
