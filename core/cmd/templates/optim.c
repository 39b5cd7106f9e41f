/* @NAME@: an nnlab optimizer plugin, started with `nnlab new optim @NAME@`.
 *
 * As generated it is heavy-ball momentum:
 *     v = momentum * v + grad
 *     param -= lr * v
 * Replace step() (and the hyperparameters) with your rule. What nnlab check
 * verifies, and why:
 *  - no state of its own: anything that must survive between steps lives in
 *    the n_slots arrays the core allocates, zeroes, saves and restores
 *    (s->slot[0] .. s->slot[n_slots - 1], each as long as param); never in
 *    static variables, or two runs (or two tensors) would share it;
 *  - elementwise: step() gets flat arrays (one call per tensor), and the
 *    update must not depend on how the parameters are split;
 *  - use s->lr, the learning rate after the schedule, not hp[P_LR];
 *  - a zero gradient leaves the parameters unchanged, unless the rule
 *    shrinks them anyway (AdamW-style decay): then set
 *    NN_OPTIM_DECOUPLED_DECAY in ops.flags;
 *  - no NaN on zero or huge (1e300) gradients at the defaults;
 *  - it converges on a convex quadratic and makes progress on Rosenbrock.
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so
 * Check:  nnlab check ./@NAME@.so
 * Use:    put @NAME@.so in a folder on NNLAB_PLUGIN_PATH (or pass
 *         --plugin-path DIR), then in an experiment:
 *             optim = { plugin = "@NAME@"; lr = 0.05; momentum = 0.9; };
 */
#include <nnlab/plugin.h>

/* Hyperparameters, in declaration order: hp[P_LR], hp[P_MOMENTUM]. */
enum { P_LR, P_MOMENTUM };

static const nn_param_decl params[] = {
    /* name, type, default, default string, min, max, choices, one-line doc.
     * An optimizer declares a real "lr" (anywhere in the table; the
     * schedule starts from it). The core refuses values outside [min, max]. */
    {"lr", NN_T_REAL, 0.01, NULL, 0, 10, NULL, "learning rate"},
    {"momentum", NN_T_REAL, 0.9, NULL, 0, 0.999, NULL, "velocity decay; 0 = plain gradient descent"},
};

/* One step on one tensor: param, grad and every slot have s->n elements;
 * s->t counts steps from 1; s->is_bias is 1 for a bias vector. */
static void step(const nn_value *hp, const nn_optim_step *s)
{
    nn_real mu = hp[P_MOMENTUM].r;
    nn_real *v = s->slot[0]; /* slot 0: the velocity */
    for (size_t i = 0; i < s->n; i++) {
        v[i] = mu * v[i] + s->grad[i];
        s->param[i] -= s->lr * v[i];
    }
}

/* n_slots (per-parameter state arrays), flags, step */
static const nn_optim_ops ops = {.n_slots = 1, .flags = 0, .step = step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM,
    "@NAME@",                                     /* must equal the file name, @NAME@.so */
    "heavy-ball momentum (edit this one-line description)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

/* The one exported symbol: returns the static, read-only descriptor. */
NN_PLUGIN(desc)
