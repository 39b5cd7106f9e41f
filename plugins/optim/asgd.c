/* asgd: averaged stochastic gradient descent (Polyak & Juditsky 1992; the
 * step-size schedule of Bottou 2012) as torch.optim.ASGD 1.13. Step t uses
 *     eta_t = lr / (1 + lambd * lr * (t - 1))^alpha,
 *     mu_t  = 1 / max(1, t - 1 - t0),
 *     W = W * (1 - lambd * eta_t) - eta_t * g        (g with L2 weight decay),
 *     ax = W  while mu_t == 1, else ax += mu_t * (W - ax),
 * so the average starts after t0 steps. The lambd term shrinks W even where
 * the gradient is 0 (NN_OPTIM_DECOUPLED_DECAY). ax lives in a slot; eval_point()
 * (ABI 2) hands it to the core as the point where the model is evaluated
 * (torch's averaged parameters), the training iterate W staying in param.
 *
 * torch keeps eta and mu as state computed with the previous step's lr; here
 * they follow from t and the step's own lr. Equal for a constant lr; under a
 * schedule step t's eta uses step t's lr where torch uses step t-1's. */
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 10, NULL, "learning rate (eta at the first step)"},
    {"lambd", NN_T_REAL, 1e-4, NULL, 0, 1e3, NULL,
     "decay term: eta_t = lr / (1 + lambd * lr * (t - 1))^alpha; W shrinks by lambd * eta_t"},
    {"alpha", NN_T_REAL, 0.75, NULL, 0, 10, NULL, "power of the eta decay"},
    {"t0", NN_T_REAL, 1e6, NULL, 0, 1e18, NULL, "steps before the averaging starts"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
};

enum { P_LR, P_LAMBD, P_ALPHA, P_T0, P_WD };

/* slot[0] = ax, the averaged parameters */
static void asgd_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real lambd = hp[P_LAMBD].r, wd = hp[P_WD].r, lr = s->lr;
    const nn_real past = (nn_real)(s->t - 1);
    const nn_real eta = lr / pow(1 + lambd * lr * past, hp[P_ALPHA].r);
    const nn_real since = past - hp[P_T0].r;
    const nn_real mu = since > 1 ? 1 / since : 1;
    const nn_real shrink = 1 - lambd * eta;
    nn_real *ax = s->slot[0];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        nn_real w = s->param[i] * shrink;
        w = w + (-eta) * g;
        s->param[i] = w;
        ax[i] = mu != 1 ? ax[i] + (w - ax[i]) * mu : w;
    }
}

/* The averaged parameters; before the first step (t = 0) the parameters. */
static void asgd_eval_point(const nn_value *hp, const nn_optim_step *s, nn_real *out)
{
    (void)hp;
    memcpy(out, s->t < 1 ? s->param : s->slot[0], s->n * sizeof(nn_real));
}

static const nn_optim_ops ops = {.n_slots = 1,
                                 .flags = NN_OPTIM_DECOUPLED_DECAY,
                                 .step = asgd_step,
                                 .eval_point = asgd_eval_point};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "asgd",
    "ASGD: SGD with decaying steps, evaluated at the Polyak average (torch.optim.ASGD)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
