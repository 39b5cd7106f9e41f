/* rmsprop: RMSprop as torch.optim.RMSprop 1.13: s = alpha s + (1 - alpha) g^2,
 * optionally centered (subtract the squared running mean of g), optional
 * momentum buffer; W -= lr * g / (sqrt(s) + eps). With the defaults it is
 * CS231n's rmsprop (decay_rate = alpha). */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 10, NULL, "learning rate"},
    {"alpha", NN_T_REAL, 0.99, NULL, 0, 1, NULL,
     "decay of the squared-gradient average (CS231n's decay_rate)"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL,
     "added to the root, outside it; > 0 so a zero gradient is safe"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
    {"momentum", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "momentum of the normalized step (0 = none)"},
    {"centered", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "divide by the estimated variance of g instead of its second moment"},
};

enum { P_LR, P_ALPHA, P_EPS, P_WD, P_MOMENTUM, P_CENTERED };

/* sqrt of the (centered) second moment plus eps for element i. */
static nn_real rms_denom(const nn_value *hp, const nn_optim_step *s, size_t i, nn_real g)
{
    const nn_real a = hp[P_ALPHA].r;
    nn_real *sq = s->slot[0], *gavg = s->slot[1];
    sq[i] = sq[i] * a + (1 - a) * g * g;
    nn_real var = sq[i];
    if (hp[P_CENTERED].i) {
        gavg[i] = gavg[i] * a + (1 - a) * g;
        var = sq[i] - gavg[i] * gavg[i];
        if (var < 0) /* rounding only: the centered moment is >= 0 */
            var = 0;
    }
    return sqrt(var) + hp[P_EPS].r;
}

static void rmsprop_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real mu = hp[P_MOMENTUM].r, wd = hp[P_WD].r;
    nn_real *buf = s->slot[2];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        nn_real avg = rms_denom(hp, s, i, g);
        if (mu > 0) {
            buf[i] = buf[i] * mu + g / avg;
            s->param[i] = s->param[i] + (-s->lr) * buf[i];
        } else {
            s->param[i] = s->param[i] + (-s->lr * g) / avg;
        }
    }
}

static const nn_optim_ops ops = {3, 0, rmsprop_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "rmsprop",
    "RMSprop, optionally centered and with momentum (torch.optim.RMSprop)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
