/* random: W = randn(fan_out, fan_in) * scale, b = 0 (the course's "random
 * initialization"; the report uses scale 10). */
#include "nnlab/plugin.h"

#include <string.h>

enum { P_SCALE };

static const nn_param_decl params[] = {
    {"scale", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "standard deviation of the normal draws"},
};

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    size_t n = (size_t)fan_in * (size_t)fan_out;
    for (size_t i = 0; i < n; i++)
        W[i] = nn_rng_randn(rng) * hp[P_SCALE].r;
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

static double variance(const nn_value *hp, int fan_in, int fan_out)
{
    return hp[P_SCALE].r * hp[P_SCALE].r;
}

static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT, "random",
    "normal weights times scale, zero biases", NN_ARRAY_LEN(params), params, {.init = &ops}};

NN_PLUGIN(desc)
