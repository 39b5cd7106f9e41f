/* dropout: inverted dropout on hidden activations (Srivastava et al. 2014,
 * the course's forward_propagation_with_dropout). In training each hidden
 * unit is kept with probability p: D = (rand(units, m) < p), A = A * D / p,
 * and backward applies dA = dA * D / p with the same mask. Evaluation never
 * runs it (the core calls hooks only in training), so the expected
 * activation is the same at test time with no rescaling.
 *
 * Masks come from this regularizer's own seeded stream, drawn in row-major
 * order over (units, m), layer after layer. With notebook = true the stream
 * is reseeded with 1 at the start of every forward pass, as the notebook's
 * np.random.seed(1) does, so the masks repeat every iteration. */
#include "nnlab/plugin.h"

enum { P_KEEP_PROB, P_KEEP_PROBS, P_NOTEBOOK };

static const nn_param_decl params[] = {
    {"keep_prob", NN_T_REAL, 0.8, NULL, 1e-6, 1, NULL, "probability of keeping a hidden unit; 1 = off"},
    {"keep_probs", NN_T_REALLIST, 0, NULL, 1e-6, 1, NULL,
     "per hidden layer keep probabilities, first hidden layer first; layers beyond the list use keep_prob"},
    {"notebook", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "reseed the stream with 1 at every forward pass (the course notebook: the same masks every iteration)"},
};

static nn_real keep(const nn_value *hp, int layer)
{
    return layer < hp[P_KEEP_PROBS].n ? hp[P_KEEP_PROBS].reals[layer] : hp[P_KEEP_PROB].r;
}

static void begin_pass(const nn_value *hp, nn_rng *rng)
{
    if (hp[P_NOTEBOOK].i)
        nn_rng_seed(rng, 1);
}

static void forward(const nn_value *hp, const nn_reg_act *a)
{
    nn_real p = keep(hp, a->layer);
    size_t n = (size_t)a->units * (size_t)a->m;
    for (size_t i = 0; i < n; i++) {
        a->mask[i] = nn_rng_rand(a->rng) < p;
        a->a[i] = a->a[i] * a->mask[i] / p; /* (A * D) / keep_prob, as the notebook */
    }
}

static void backward(const nn_value *hp, const nn_reg_act *a)
{
    nn_real p = keep(hp, a->layer);
    size_t n = (size_t)a->units * (size_t)a->m;
    for (size_t i = 0; i < n; i++)
        a->a[i] = a->a[i] * a->mask[i] / p;
}

/* keep_probs must not name more layers than there are, and a model without
 * hidden layers has nothing to drop. */
static int validate(const nn_value *hp, const nn_reg_model *m, int *param, nn_err *err)
{
    int hidden = m->n_layers - 1;
    if (hidden == 0) {
        *param = -1;
        return nn_err_set(err, NN_EINPUT, "dropout acts on hidden layers and the model has none "
                                          "(model.hidden is empty)");
    }
    if (hp[P_KEEP_PROBS].n > hidden) {
        *param = P_KEEP_PROBS;
        return nn_err_set(err, NN_EINPUT, "%d values for the %d hidden layer%s of the model",
                          hp[P_KEEP_PROBS].n, hidden, hidden == 1 ? "" : "s");
    }
    return NN_OK;
}

static const nn_reg_ops ops = {NULL, begin_pass, forward, backward, NULL, validate};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "dropout",
    "inverted dropout on hidden activations (training only), masks from the seeded stream",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
