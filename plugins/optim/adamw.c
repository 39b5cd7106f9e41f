/* adamw: AdamW as torch.optim.AdamW 1.13: W *= 1 - lr * weight_decay, then
 * the Adam step on the raw gradient (decoupled weight decay). */
#include "adamrule/adamrule.h"

static const nn_param_decl params[] = {
    ADAMRULE_PARAMS(1e-3),
    {"weight_decay", NN_T_REAL, 1e-2, NULL, 0, 1, NULL,
     "decoupled decay: W *= 1 - lr * weight_decay before each step"},
    {"amsgrad", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "AMSGrad: divide by the running maximum of s (Reddi et al.)"},
};

static void adamw_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real keep = 1 - s->lr * hp[ADAMRULE_WD].r;
    for (size_t i = 0; i < s->n; i++)
        s->param[i] = s->param[i] * keep;
    adamrule_update(hp, s, 0);
}

static const nn_optim_ops ops = {3, NN_OPTIM_DECOUPLED_DECAY, adamw_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "adamw",
    "AdamW, Adam with decoupled weight decay (torch.optim.AdamW)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
