/* gaussian_noise: additive noise on hidden activations in training,
 * A = A + N(0, std^2) drawn from this regularizer's seeded stream (Keras'
 * GaussianNoise layer after each hidden activation). The noise does not
 * depend on A, so backward passes dA through unchanged; the mask keeps the
 * noise that was added. Evaluation never adds noise. */
#include "nnlab/plugin.h"

enum { P_STD };

static const nn_param_decl params[] = {
    {"std", NN_T_REAL, 0.1, NULL, 0, 1e6, NULL, "standard deviation of the added noise; 0 = off"},
};

static void forward(const nn_value *hp, const nn_reg_act *a)
{
    nn_real s = hp[P_STD].r;
    size_t n = (size_t)a->units * (size_t)a->m;
    if (s == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        a->mask[i] = s * nn_rng_randn(a->rng);
        a->a[i] += a->mask[i];
    }
}

static void backward(const nn_value *hp, const nn_reg_act *a) {}

/* A model without hidden layers has no activations to add noise to. */
static int validate(const nn_value *hp, const nn_reg_model *m, int *param, nn_err *err)
{
    *param = -1;
    if (m->n_layers < 2)
        return nn_err_set(err, NN_EINPUT, "gaussian_noise acts on hidden layers and the model has "
                                          "none (model.hidden is empty)");
    return NN_OK;
}

static const nn_reg_ops ops = {NULL, NULL, forward, backward, NULL, validate};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "gaussian_noise",
    "additive Gaussian noise N(0, std^2) on hidden activations (training only)",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
