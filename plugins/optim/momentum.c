/* momentum: gradient descent with momentum in two forms.
 *   form = "pytorch": torch.optim.SGD 1.13 with momentum: v = g on the first
 *     step, then v = momentum * v + (1 - dampening) * g; the step uses v, or
 *     g + momentum * v with nesterov; W -= lr * step.
 *   form = "course": the deeplearning.ai course's
 *     update_parameters_with_momentum: v starts at 0,
 *     v = beta * v + (1 - beta) * g with beta = momentum; W -= lr * v.
 *     dampening and nesterov do not apply.
 * weight_decay (L2, added to the gradient) applies to both forms. */
#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 0.01, NULL, 0, 10, NULL, "learning rate"},
    {"momentum", NN_T_REAL, 0.9, NULL, 0, 1, NULL,
     "momentum factor; the course's beta in form = \"course\""},
    {"dampening", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "pytorch form: the gradient enters v scaled by 1 - dampening"},
    {"nesterov", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "pytorch form: Nesterov momentum (PyTorch wants dampening = 0)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
    {"form", NN_T_ENUM, 1, "pytorch", 0, 1, "course|pytorch",
     "update rule: torch.optim.SGD's or the course's exponential average"},
};

enum { P_LR, P_MOMENTUM, P_DAMPENING, P_NESTEROV, P_WD, P_FORM };
enum { FORM_COURSE, FORM_PYTORCH }; /* the order of form's choices */

/* v = beta * v + (1 - beta) * g from v = 0; W -= lr * v. */
static void course_step(nn_real beta, nn_real wd, const nn_optim_step *s)
{
    nn_real *v = s->slot[0];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        v[i] = beta * v[i] + (1 - beta) * g;
        s->param[i] = s->param[i] - s->lr * v[i];
    }
}

static void pytorch_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real mu = hp[P_MOMENTUM].r, damp = hp[P_DAMPENING].r;
    const nn_real wd = hp[P_WD].r;
    const int nesterov = hp[P_NESTEROV].i != 0;
    nn_real *v = s->slot[0];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        if (s->t <= 1 || mu == 0)
            v[i] = g;
        else
            v[i] = v[i] * mu + (1 - damp) * g;
        nn_real d = nesterov ? g + mu * v[i] : v[i];
        s->param[i] = s->param[i] + (-s->lr) * d;
    }
}

static void momentum_step(const nn_value *hp, const nn_optim_step *s)
{
    if (hp[P_FORM].i == FORM_COURSE)
        course_step(hp[P_MOMENTUM].r, hp[P_WD].r, s);
    else
        pytorch_step(hp, s);
}

static const nn_optim_ops ops = {1, 0, momentum_step};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "momentum",
    "gradient descent with momentum (torch.optim.SGD form or the course's form)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
