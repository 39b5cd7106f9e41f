/* lars: LARS (You, Gitman, Ginsburg 2017, "Large Batch Training of
 * Convolutional Networks", Algorithm 1), momentum SGD with a layer-wise
 * learning rate. For every weight matrix W with gradient g:
 *   local = trust_coefficient ||W|| / (||g|| + weight_decay ||W|| + eps)
 *           (local = 1 when ||W|| or ||g|| is 0, as LARC and optax do)
 *   v = momentum v + lr local (g + weight_decay W)
 *   W -= v
 * lr (the schedule's rate) sits inside the momentum, as in the paper.
 * Biases are excluded from the adaptation and from weight decay, as usual
 * (the paper's batch-norm and bias parameters): v = momentum v + lr g,
 * b -= v. No torch.optim version exists; names follow torch's SGD. */
#include <math.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1.0, NULL, 0, 1e3, NULL,
     "global learning rate (LARS rates are large: the trust coefficient scales them down)"},
    {"momentum", NN_T_REAL, 0.9, NULL, 0, 1, NULL, "momentum of v (0 = none)"},
    {"weight_decay", NN_T_REAL, 5e-4, NULL, 0, 1, NULL,
     "L2 decay of weights, added to the gradient and to the local rate's denominator; not biases"},
    {"trust_coefficient", NN_T_REAL, 1e-3, NULL, 0, 1e3, NULL,
     "eta: how far one step may move a layer relative to ||W||"},
    {"eps", NN_T_REAL, 1e-9, NULL, 0, 1, NULL, "added to the local rate's denominator"},
};

enum { P_LR, P_MOMENTUM, P_WD, P_TRUST, P_EPS };

/* ||x|| without overflow or underflow in the sum of squares. */
static nn_real norm2(const nn_real *x, size_t n)
{
    nn_real scale = 0, ssq = 0;
    for (size_t i = 0; i < n; i++) {
        nn_real ax = fabs(x[i]);
        if (ax == 0)
            continue;
        if (!(ax <= scale)) {
            nn_real r = scale / ax;
            ssq = 1 + ssq * r * r;
            scale = ax;
        } else {
            nn_real r = ax / scale;
            ssq += r * r;
        }
    }
    return scale == 0 ? 0 : scale * sqrt(ssq);
}

static nn_real local_rate(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real wn = norm2(s->param, s->n), gn = norm2(s->grad, s->n);
    if (!(wn > 0) || !(gn > 0))
        return 1;
    nn_real local = hp[P_TRUST].r * wn / (gn + hp[P_WD].r * wn + hp[P_EPS].r);
    return isfinite(local) ? local : 0; /* inf / inf: an overflowed norm takes no step */
}

static void lars_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real mu = hp[P_MOMENTUM].r;
    nn_real *v = s->slot[0];
    if (s->is_bias) {
        for (size_t i = 0; i < s->n; i++) {
            v[i] = mu * v[i] + s->lr * s->grad[i];
            s->param[i] = s->param[i] - v[i];
        }
        return;
    }
    const nn_real wd = hp[P_WD].r, rate = s->lr * local_rate(hp, s);
    for (size_t i = 0; i < s->n; i++) {
        nn_real d = s->grad[i] + wd * s->param[i];
        v[i] = mu * v[i] + rate * d;
        s->param[i] = s->param[i] - v[i];
    }
}

static const nn_optim_ops ops = {
    .n_slots = 1, /* v */
    .flags = NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_PER_TENSOR,
    .step = lars_step,
};

static const nn_plugin desc = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_OPTIM,
    .name = "lars",
    .doc = "LARS: momentum SGD with a per-layer rate trust_coefficient ||W|| / (||g|| + "
           "weight_decay ||W|| + eps); biases plain momentum, undecayed (You et al. 2017)",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops = {.optim = &ops},
};

NN_PLUGIN(desc)
