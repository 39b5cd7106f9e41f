/* l1: lasso penalty on the weights.
 *   course   (default) cost + lambda / m * sum |W|, gradient + lambda * sign(W) / m
 *   unscaled cost + lambda * sum |W|, gradient + lambda * sign(W)
 * sign(0) = 0 (the subgradient plain gradient descent uses; weights do not
 * settle exactly at 0 without a proximal step). */
#include "nnlab/plugin.h"

#include <math.h>
#include <string.h>

enum { P_LAMBDA, P_CONVENTION, P_INCLUDE_BIAS };

static const nn_param_decl params[] = {
    {"lambda", NN_T_REAL, 0.001, NULL, 0, 1e6, NULL, "strength; 0 = off"},
    {"convention", NN_T_STRING, 0, "course", 0, 0, "course|unscaled",
     "course: lambda/m sum |W| (m = batch size); unscaled: lambda sum |W|"},
    {"include_bias", NN_T_BOOL, 0, NULL, 0, 1, NULL, "penalize the biases too"},
};

static nn_real penalty(const nn_value *hp, const nn_reg_tensor *t)
{
    nn_real lambda = hp[P_LAMBDA].r;
    if (lambda == 0 || (t->is_bias && !hp[P_INCLUDE_BIAS].i))
        return 0;
    if (strcmp(hp[P_CONVENTION].s, "course") == 0)
        lambda /= (nn_real)t->m;
    size_t n = (size_t)t->rows * (size_t)t->cols;
    nn_real sum = 0;
    for (size_t i = 0; i < n; i++) {
        nn_real w = t->w[i];
        sum += fabs(w);
        t->grad[i] += w > 0 ? lambda : w < 0 ? -lambda : 0;
    }
    return lambda * sum;
}

static const nn_reg_ops ops = {penalty, NULL, NULL, NULL, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "l1",
    "L1 weight penalty lambda/m sum |W| (course scaling) or lambda sum |W|",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
