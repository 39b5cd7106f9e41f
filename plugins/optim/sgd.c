/* sgd: plain (stochastic, mini-batch or full-batch) gradient descent,
 * param -= lr * (grad + weight_decay * param), as torch.optim.SGD without
 * momentum. */
#include "nnlab/plugin.h"

enum { P_LR, P_WD };

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "learning rate"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1e6, NULL, "L2 penalty added to the gradient (coupled)"},
};

static void step(const nn_value *hp, const nn_optim_step *s)
{
    nn_real wd = hp[P_WD].r;
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g += wd * s->param[i];
        s->param[i] -= s->lr * g;
    }
}

static const nn_optim_ops ops = {0, 0, step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "sgd",
    "plain gradient descent: param -= lr * grad", NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
