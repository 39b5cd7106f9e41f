/* rprop: resilient backpropagation (Riedmiller & Braun 1993; the Rprop-
 * variant without weight backtracking) as torch.optim.Rprop 1.13. Each
 * element has its own step size, started at the first step's lr: when the
 * gradient keeps its sign the step grows by etaplus, when it flips the step
 * shrinks by etaminus and that element does not move this step (its gradient
 * counts as 0, also for the next comparison); steps stay within
 * [step_size_min, step_size_max]; W -= sign(g) * step. torch's tuples
 * etas = (etaminus, etaplus) and step_sizes = (min, max) are four keys here,
 * named as in torch's functional rprop.
 *
 * The learning rate only starts the step sizes, as in torch: a schedule
 * does not scale later steps. One deviation: a step whose scheduled lr is 0
 * leaves parameters and state untouched (torch would still move by
 * step_size_min), so that lr 0 always means no update. */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1 and smallest above it: 0 < etaminus < 1 < etaplus. */
#define BELOW_ONE 0x1.fffffffffffffp-1
#define ABOVE_ONE 0x1.0000000000001p0

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 1e3, NULL, "starting step size of every element"},
    {"etaminus", NN_T_REAL, 0.5, NULL, DBL_MIN, BELOW_ONE, NULL,
     "step size factor when the gradient changes sign (torch's etas[0])"},
    {"etaplus", NN_T_REAL, 1.2, NULL, ABOVE_ONE, 1e3, NULL,
     "step size factor when the gradient keeps its sign (torch's etas[1])"},
    {"step_size_min", NN_T_REAL, 1e-6, NULL, 0, 1e300, NULL,
     "smallest step size (torch's step_sizes[0])"},
    {"step_size_max", NN_T_REAL, 50, NULL, 0, 1e300, NULL,
     "largest step size (torch's step_sizes[1])"},
};

enum { P_LR, P_ETAMINUS, P_ETAPLUS, P_STEP_MIN, P_STEP_MAX };

/* Step size factor from the signs of this and the previous gradient. */
static nn_real rprop_factor(const nn_value *hp, nn_real g, nn_real prev)
{
    const nn_real prod = g * prev;
    if (prod > 0)
        return hp[P_ETAPLUS].r;
    if (prod < 0)
        return hp[P_ETAMINUS].r;
    return 1;
}

static nn_real sign_of(nn_real v) { return v > 0 ? 1 : v < 0 ? -1 : 0; }

/* slot[0] = previous gradient (0 after a sign change), slot[1] = step size */
static void rprop_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real lo = hp[P_STEP_MIN].r, hi = hp[P_STEP_MAX].r;
    nn_real *prev = s->slot[0], *step = s->slot[1];
    if (s->lr == 0)
        return;
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (s->t <= 1)
            step[i] = s->lr;
        const nn_real f = rprop_factor(hp, g, prev[i]);
        nn_real st = step[i] * f;
        st = st < lo ? lo : st;
        st = st > hi ? hi : st;
        step[i] = st;
        if (f == hp[P_ETAMINUS].r)
            g = 0;
        s->param[i] = s->param[i] - sign_of(g) * st;
        prev[i] = g;
    }
}

static const nn_optim_ops ops = {2, 0, rprop_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "rprop",
    "Rprop: per-element step sizes adapted from gradient signs (torch.optim.Rprop)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
