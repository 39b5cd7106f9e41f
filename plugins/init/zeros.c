/* zeros: every weight and bias 0 (fails to break symmetry; the report's first
 * initialization experiment). */
#include "nnlab/plugin.h"

#include <string.h>

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    memset(W, 0, (size_t)fan_in * (size_t)fan_out * sizeof(nn_real));
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

static double variance(const nn_value *hp, int fan_in, int fan_out) { return 0.0; }

static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT, "zeros",
    "all weights and biases zero", 0, NULL, {.init = &ops}};

NN_PLUGIN(desc)
