/* lion: Lion (Chen et al. 2023, "Symbolic Discovery of Optimization
 * Algorithms"), as lion-pytorch: W *= 1 - lr * weight_decay;
 * W -= lr * sign(beta1 m + (1 - beta1) g); m = beta2 m + (1 - beta2) g. */
#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-4, NULL, 0, 10, NULL,
     "learning rate (typically 3-10x below AdamW's)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, 1, NULL,
     "interpolation of m and g for the sign of the update"},
    {"beta2", NN_T_REAL, 0.99, NULL, 0, 1, NULL, "decay of the momentum m"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "decoupled decay: W *= 1 - lr * weight_decay before each step"},
};

enum { P_LR, P_BETA1, P_BETA2, P_WD };

static nn_real sign(nn_real x)
{
    return x > 0 ? 1 : x < 0 ? -1 : x; /* 0 stays 0, NaN stays NaN */
}

static void lion_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r;
    const nn_real keep = 1 - s->lr * hp[P_WD].r;
    nn_real *m = s->slot[0];
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = s->grad[i];
        const nn_real c = m[i] * b1 + (1 - b1) * g;
        s->param[i] = s->param[i] * keep;
        s->param[i] = s->param[i] + (-s->lr) * sign(c);
        m[i] = m[i] * b2 + (1 - b2) * g;
    }
}

static const nn_optim_ops ops = {1, NN_OPTIM_DECOUPLED_DECAY, lion_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "lion",
    "Lion, sign of an interpolated momentum with decoupled weight decay",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
