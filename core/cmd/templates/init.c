/* @NAME@: an nnlab initializer plugin, started with `nnlab new init @NAME@`.
 *
 * As generated: W ~ N(0, gain / fan_in), b = 0 (gain 2 is He's, 1 LeCun's).
 * Replace fill() with your scheme and keep variance() (and mean(), if not 0)
 * in step with it. What nnlab check verifies:
 *  - fill() sets every element of W (fan_out x fan_in, row-major) and of b
 *    (fan_out), drawing only from the given rng: the same seed gives the
 *    same weights, another seed other ones;
 *  - the mean and variance measured over a large matrix match mean() and
 *    variance() within 5 standard errors;
 *  - a small network initialised with it passes the gradient check.
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so
 * Check:  nnlab check ./@NAME@.so
 * Use:    init = { plugin = "@NAME@"; gain = 2.0; };  (NNLAB_PLUGIN_PATH or --plugin-path)
 */
#include <nnlab/plugin.h>

#include <math.h>
#include <string.h>

enum { P_GAIN };

static const nn_param_decl params[] = {
    /* name, type, default, default string, min, max, choices, one-line doc */
    {"gain", NN_T_REAL, 2.0, NULL, 1e-12, 1e6, NULL, "variance numerator: W ~ N(0, gain / fan_in)"},
};

static int fill(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b, int fan_in, int fan_out)
{
    size_t n = (size_t)fan_in * (size_t)fan_out;
    nn_real scale = sqrt(hp[P_GAIN].r / fan_in);
    for (size_t i = 0; i < n; i++)
        W[i] = scale * nn_rng_randn(rng); /* row-major, like NumPy's randn(fan_out, fan_in) */
    memset(b, 0, (size_t)fan_out * sizeof(nn_real));
    return NN_OK;
}

/* The variance of W's elements this scheme promises. */
static double variance(const nn_value *hp, int fan_in, int fan_out) { return hp[P_GAIN].r / fan_in; }

/* fill, variance, mean (NULL: 0) */
static const nn_init_ops ops = {fill, variance, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_INIT,
    "@NAME@",                                     /* must equal the file name, @NAME@.so */
    "scaled normal weights N(0, gain / fan_in), zero biases (edit this description)",
    NN_ARRAY_LEN(params), params, {.init = &ops}};

NN_PLUGIN(desc)
