/* xavier: Glorot and Bengio (2010), zero biases.
 *   normal:  W = randn(fan_out, fan_in) * gain * sqrt(2 / (fan_in + fan_out))
 *   uniform: W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), drawn as
 *            NumPy's uniform(-a, a) = -a + 2a * rand()
 * Both have Var(W) = gain^2 * 2 / (fan_in + fan_out), as
 * torch.nn.init.xavier_normal_ / xavier_uniform_ (tanh gain is 5/3). */
#include "nnlab/plugin.h"

#include <math.h>
#include <string.h>

enum { P_DIST, P_GAIN };

static const nn_param_decl params[] = {
    {"distribution", NN_T_STRING, 0, "normal", 0, 0, "normal|uniform", "draw from a normal or a uniform distribution"},
    {"gain", NN_T_REAL, 1.0, NULL, 1e-12, 1e6, NULL, "scale factor: Var(W) = gain^2 * 2 / (fan_in + fan_out)"},
};

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    size_t n = (size_t)fan_in * (size_t)fan_out;
    nn_real g = hp[P_GAIN].r, fans = (nn_real)fan_in + (nn_real)fan_out;
    if (strcmp(hp[P_DIST].s, "uniform") == 0) {
        nn_real a = g * sqrt(6.0 / fans);
        for (size_t i = 0; i < n; i++)
            W[i] = -a + (a - -a) * nn_rng_rand(rng);
    } else {
        nn_real s = g * sqrt(2.0 / fans);
        for (size_t i = 0; i < n; i++)
            W[i] = nn_rng_randn(rng) * s;
    }
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

static double variance(const nn_value *hp, int fan_in, int fan_out)
{
    double g = hp[P_GAIN].r;
    return g * g * 2.0 / ((double)fan_in + (double)fan_out);
}

static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT, "xavier",
    "Glorot/Xavier normal or uniform: Var(W) = gain^2 * 2 / (fan_in + fan_out), zero biases",
    NN_ARRAY_LEN(params), params, {.init = &ops}};

NN_PLUGIN(desc)
