/* he: W = randn(fan_out, fan_in) * sqrt(2 / fan_in), b = 0 (He et al. 2015,
 * the course's initialize_parameters_he). */
#include "nnlab/plugin.h"

#include <math.h>
#include <string.h>

enum { P_GAIN };

static const nn_param_decl params[] = {
    {"gain", NN_T_REAL, 2.0, NULL, 1e-12, 1e6, NULL, "variance numerator: W ~ N(0, gain / fan_in)"},
};

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    size_t n = (size_t)fan_in * (size_t)fan_out;
    nn_real s = sqrt(hp[P_GAIN].r / fan_in);
    for (size_t i = 0; i < n; i++)
        W[i] = nn_rng_randn(rng) * s;
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

static double variance(const nn_value *hp, int fan_in, int fan_out) { return hp[P_GAIN].r / fan_in; }

static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT, "he",
    "He normal: weights ~ N(0, 2 / fan_in), zero biases", NN_ARRAY_LEN(params), params,
    {.init = &ops}};

NN_PLUGIN(desc)
