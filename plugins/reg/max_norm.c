/* max_norm: a constraint, not a penalty (Srivastava et al. 2014, Keras'
 * MaxNorm on each unit's incoming weights). After every optimizer step each
 * row of W (the weights into one output unit) whose L2 norm exceeds
 * max_value is scaled down to norm max_value; other rows are left exactly as
 * they are. Biases are not constrained. Adds nothing to the loss. */
#include "nnlab/plugin.h"

#include <math.h>

enum { P_MAX_VALUE };

static const nn_param_decl params[] = {
    {"max_value", NN_T_REAL, 3.0, NULL, 1e-12, 1e300, NULL,
     "largest L2 norm of a unit's incoming weight vector (a row of W)"},
};

static void constrain(const nn_value *hp, nn_real *W, int fan_out, int fan_in)
{
    nn_real c = hp[P_MAX_VALUE].r;
    for (int o = 0; o < fan_out; o++) {
        nn_real *row = W + (size_t)o * (size_t)fan_in, ss = 0;
        for (int i = 0; i < fan_in; i++)
            ss += row[i] * row[i];
        nn_real norm = sqrt(ss);
        if (norm <= c)
            continue;
        nn_real k = c / norm;
        for (int i = 0; i < fan_in; i++)
            row[i] *= k;
    }
}

static const nn_reg_ops ops = {NULL, NULL, NULL, NULL, constrain};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_REG, "max_norm",
    "max-norm constraint: after each step, rows of W are rescaled to L2 norm <= max_value",
    NN_ARRAY_LEN(params), params, {.reg = &ops}};

NN_PLUGIN(desc)
