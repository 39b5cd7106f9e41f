/* @NAME@: an nnlab regularizer plugin, started with `nnlab new reg @NAME@`.
 *
 * As generated: an L2 weight penalty, lambda / (2m) * sum W^2 added to the
 * loss, lambda W / m added to the gradient (biases not penalized). A
 * regularizer may also (or instead) define
 *  - act_forward / act_backward: a training-time hook on hidden activations
 *    (dropout, noise), with a mask array the core keeps between the two and
 *    a random stream the core owns;
 *  - begin_pass: called at the start of every training forward pass;
 *  - constrain: applied to each W after every optimizer step (max-norm);
 *  - validate: checks the settings against the model's layer sizes before
 *    training (a per-layer list longer than the layers), naming the
 *    parameter at fault so that the error reads file:line: reg[i].KEY.
 * What nnlab check verifies:
 *  - the penalty gradient and the activation backward agree with central
 *    differences (relative difference < 1e-7), also in a small network;
 *  - the neutral setting changes nothing. nnlab check finds it by a rule:
 *    every real hyperparameter whose range contains 0 is set to 0, any
 *    other to the top of its range. So declare "strength" parameters with
 *    min 0 (lambda = 0 turns this one off) and keep-probabilities with max 1;
 *  - evaluation never runs the hooks; a training pass is reproducible from
 *    the same stream state (draw only from a->rng).
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so
 * Check:  nnlab check ./@NAME@.so
 * Use:    reg = ( { plugin = "@NAME@"; lambda = 0.1; } );  (NNLAB_PLUGIN_PATH or --plugin-path)
 */
#include <nnlab/plugin.h>

enum { P_LAMBDA };

static const nn_param_decl params[] = {
    /* name, type, default, default string, min, max, choices, one-line doc */
    {"lambda", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "strength; 0 = off"},
};

/* One tensor: w (rows x cols, a bias has cols 1), add d(penalty)/dw into
 * t->grad and return the penalty; t->m examples in the batch. */
static nn_real penalty(const nn_value *hp, const nn_reg_tensor *t)
{
    nn_real lambda = hp[P_LAMBDA].r;
    if (lambda == 0 || t->is_bias)
        return 0;
    size_t n = (size_t)t->rows * (size_t)t->cols;
    nn_real m = (nn_real)t->m, sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += t->w[i] * t->w[i];
        t->grad[i] += lambda * t->w[i] / m;
    }
    return lambda / (2 * m) * sum;
}

/* penalty, begin_pass, act_forward, act_backward, constrain, validate */
static const nn_reg_ops ops = {penalty, NULL, NULL, NULL, NULL, NULL};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG,
    "@NAME@",                                     /* must equal the file name, @NAME@.so */
    "L2 weight penalty lambda / (2m) sum W^2 (edit this description)",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
