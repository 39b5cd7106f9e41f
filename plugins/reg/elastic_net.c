/* elastic_net: L1 and L2 together, parametrised as scikit-learn's ElasticNet:
 *   P = s * (l1_ratio * sum |W| + (1 - l1_ratio) / 2 * sum W^2)
 *   dP/dW = s * (l1_ratio * sign(W) + (1 - l1_ratio) * W)
 * with s = lambda / m (course, m = batch size) or s = lambda (unscaled).
 * l1_ratio 1 is the l1 plugin, l1_ratio 0 the l2 plugin (same convention). */
#include "nnlab/plugin.h"

#include <math.h>
#include <string.h>

enum { P_LAMBDA, P_L1_RATIO, P_CONVENTION, P_INCLUDE_BIAS };

static const nn_param_decl params[] = {
    {"lambda", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "overall strength (scikit-learn's alpha); 0 = off"},
    {"l1_ratio", NN_T_REAL, 0.5, NULL, 0, 1, NULL, "share of the L1 term: 1 = pure L1, 0 = pure L2"},
    {"convention", NN_T_STRING, 0, "course", 0, 0, "course|unscaled",
     "course: strength lambda/m (m = batch size); unscaled: lambda"},
    {"include_bias", NN_T_BOOL, 0, NULL, 0, 1, NULL, "penalize the biases too"},
};

static nn_real penalty(const nn_value *hp, const nn_reg_tensor *t)
{
    nn_real s = hp[P_LAMBDA].r, r = hp[P_L1_RATIO].r;
    if (s == 0 || (t->is_bias && !hp[P_INCLUDE_BIAS].i))
        return 0;
    if (strcmp(hp[P_CONVENTION].s, "course") == 0)
        s /= (nn_real)t->m;
    size_t n = (size_t)t->rows * (size_t)t->cols;
    nn_real a = 0, q = 0;
    for (size_t i = 0; i < n; i++) {
        nn_real w = t->w[i];
        a += fabs(w);
        q += w * w;
        t->grad[i] += s * (r * (w > 0 ? 1 : w < 0 ? -1 : 0) + (1 - r) * w);
    }
    return s * (r * a + (1 - r) / 2 * q);
}

static const nn_reg_ops ops = {penalty, NULL, NULL, NULL, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "elastic_net",
    "L1 + L2 weight penalty, scikit-learn's ElasticNet form (lambda, l1_ratio)",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
