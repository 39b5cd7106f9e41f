/* lecun: LeCun normal, W = randn(fan_out, fan_in) / sqrt(fan_in / gain),
 * b = 0. With gain 1 this is the regularization notebook's
 * np.random.randn(n, n_prev) / np.sqrt(n_prev), bit for bit (a division, not
 * a multiplication by sqrt(1 / n_prev), which rounds differently).
 * distribution = "uniform": W ~ U(-sqrt(3 gain / fan_in), +sqrt(3 gain / fan_in)),
 * drawn as NumPy's uniform(low, high) = low + (high - low) * rand(). */
#include "nnlab/plugin.h"

#include <math.h>
#include <string.h>

enum { P_GAIN, P_DIST };

static const nn_param_decl params[] = {
    {"gain", NN_T_REAL, 1.0, NULL, 1e-12, 1e6, NULL, "variance numerator: Var(W) = gain / fan_in"},
    {"distribution", NN_T_STRING, 0, "normal", 0, 0, "normal|uniform", "draw from a normal or a uniform distribution"},
};

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    size_t n = (size_t)fan_in * (size_t)fan_out;
    nn_real v = (nn_real)fan_in / hp[P_GAIN].r;
    if (strcmp(hp[P_DIST].s, "uniform") == 0) {
        nn_real lim = sqrt(3.0 / v);
        for (size_t i = 0; i < n; i++)
            W[i] = -lim + (lim - -lim) * nn_rng_rand(rng);
    } else {
        nn_real s = sqrt(v);
        for (size_t i = 0; i < n; i++)
            W[i] = nn_rng_randn(rng) / s;
    }
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

static double variance(const nn_value *hp, int fan_in, int fan_out) { return hp[P_GAIN].r / fan_in; }

static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT, "lecun",
    "LeCun normal: W = randn / sqrt(fan_in) (the regularization notebook), zero biases",
    NN_ARRAY_LEN(params), params, {.init = &ops}};

NN_PLUGIN(desc)
