/* l2: weight decay as a loss term (ridge). Three scalings are in use:
 *   course   (default) cost + lambda / (2m) * sum W^2, gradient + (lambda * W) / m,
 *            m = examples in the batch: deeplearning.ai course 2 week 1
 *            (compute_cost_with_regularization; dW += lambd * W / m).
 *   unscaled cost + lambda / 2 * sum W^2, gradient + lambda * W: CS231n's
 *            lecture notes and assignment-2 fc_net.py ("0.5 * self.reg").
 *   unhalved cost + lambda * sum W^2, gradient + 2 * lambda * W: CS231n
 *            assignment-1 neural_net.py / softmax.py ("reg * np.sum(W * W)").
 * Only the course scaling depends on the batch size; with mini-batches it is
 * a different effective strength per batch size, the others are not. */
#include "nnlab/plugin.h"

#include <string.h>

enum { P_LAMBDA, P_CONVENTION, P_INCLUDE_BIAS };

static const nn_param_decl params[] = {
    {"lambda", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "strength (the course's lambd, CS231n's reg); 0 = off"},
    {"convention", NN_T_STRING, 0, "course", 0, 0, "course|unscaled|unhalved",
     "course: lambda/(2m) sum W^2; unscaled: lambda/2 sum W^2; unhalved: lambda sum W^2"},
    {"include_bias", NN_T_BOOL, 0, NULL, 0, 1, NULL, "penalize the biases too (the course does not)"},
};

static nn_real penalty(const nn_value *hp, const nn_reg_tensor *t)
{
    nn_real lambda = hp[P_LAMBDA].r;
    if (lambda == 0 || (t->is_bias && !hp[P_INCLUDE_BIAS].i))
        return 0;
    size_t n = (size_t)t->rows * (size_t)t->cols;
    const char *c = hp[P_CONVENTION].s;
    nn_real sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += t->w[i] * t->w[i];
    if (strcmp(c, "course") == 0) {
        nn_real m = (nn_real)t->m;
        for (size_t i = 0; i < n; i++)
            t->grad[i] += (lambda * t->w[i]) / m; /* the notebook's (lambd * W) / m */
        return (1.0 / m * lambda / 2) * sum;
    }
    nn_real k = strcmp(c, "unscaled") == 0 ? lambda : 2 * lambda;
    for (size_t i = 0; i < n; i++)
        t->grad[i] += k * t->w[i];
    return k / 2 * sum;
}

static const nn_reg_ops ops = {penalty, NULL, NULL, NULL, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "l2",
    "L2 weight penalty, course scaling lambda/(2m) sum W^2 (or CS231n's unscaled forms)",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
