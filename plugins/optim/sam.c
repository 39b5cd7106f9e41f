/* sam: Sharpness-Aware Minimization (Foret et al. 2021) as the davda54/sam
 * reference SAM optimizer, with the adaptive variant ASAM (Kwon et al.
 * 2021). One step, a whole-model step with one re-evaluation:
 *   g = gradient at w (the core's)
 *   e = rho * g / (||g|| + 1e-12)                 ASAM: rho * w^2 g / (||w g|| + 1e-12)
 *   g' = gradient at w + e on the same batch (same dropout masks)
 *   w = base step from w with g'
 * The norm is over all tensors at once. The base step is torch.optim.SGD
 * 1.13 (momentum buffer started at the first gradient, dampening, Nesterov)
 * or torch.optim.Adam 1.13 (bias-corrected, eps outside the root, AMSGrad),
 * both with L2 weight_decay added to g', with their hyperparameter names.
 * State: the base optimizer's buffers in slots; w is kept in scratch while
 * the model is at w + e. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

/* Largest double below 1. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "learning rate of the base step"},
    {"rho", NN_T_REAL, 0.05, NULL, 0, 1e6, NULL, "radius of the neighbourhood (length of e)"},
    {"adaptive", NN_T_BOOL, 0, NULL, 0, 1, NULL, "ASAM: e scaled elementwise by w^2"},
    {"base", NN_T_ENUM, 0, "sgd", 0, 1, "sgd|adam",
     "base step with the second gradient: torch.optim.SGD or torch.optim.Adam"},
    {"momentum", NN_T_REAL, 0, NULL, 0, 1, NULL, "sgd: momentum factor"},
    {"dampening", NN_T_REAL, 0, NULL, 0, 1, NULL, "sgd: the gradient enters the buffer scaled by 1 - dampening"},
    {"nesterov", NN_T_BOOL, 0, NULL, 0, 1, NULL, "sgd: Nesterov momentum (torch wants dampening = 0)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * w is added to the second gradient"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "adam: decay of the first-moment average"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "adam: decay of the second-moment average"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL, "adam: added to the root, outside it"},
    {"amsgrad", NN_T_BOOL, 0, NULL, 0, 1, NULL, "adam: divide by the running maximum of v"},
};

enum { P_LR, P_RHO, P_ADAPTIVE, P_BASE, P_MOMENTUM, P_DAMPENING, P_NESTEROV, P_WD, P_BETA1,
       P_BETA2, P_EPS, P_AMSGRAD };

enum { BASE_SGD, BASE_ADAM }; /* the order of base's choices */

/* Slots: sgd's momentum buffer or adam's m; adam's v and its running maximum. */
enum { S_BUF, S_V, S_VMAX, N_SLOTS };

/* ||g|| (ASAM: || |w| g ||) over all tensors, as the norm of the tensors' norms. */
static nn_real ascent_norm(const nn_optim_model *m, int adaptive)
{
    nn_real total = 0;
    for (int k = 0; k < m->n_tensors; k++) {
        const nn_optim_step *s = &m->tensors[k];
        nn_real ss = 0;
        for (size_t i = 0; i < s->n; i++) {
            const nn_real a = adaptive ? fabs(s->param[i]) * s->grad[i] : s->grad[i];
            ss += a * a;
        }
        const nn_real nk = sqrt(ss);
        total += nk * nk;
    }
    return sqrt(total);
}

/* Keeps w in scratch and moves to w + e. */
static void ascend(const nn_value *hp, const nn_optim_model *m)
{
    const int adaptive = hp[P_ADAPTIVE].i != 0;
    const nn_real scale = hp[P_RHO].r / (ascent_norm(m, adaptive) + 1e-12);
    for (int k = 0; k < m->n_tensors; k++) {
        const nn_optim_step *s = &m->tensors[k];
        memcpy(s->scratch, s->param, s->n * sizeof *s->scratch);
        for (size_t i = 0; i < s->n; i++) {
            const nn_real w = s->param[i];
            const nn_real e = adaptive ? w * w * s->grad[i] * scale : s->grad[i] * scale;
            s->param[i] = w + e;
        }
    }
}

static void restore(const nn_optim_model *m)
{
    for (int k = 0; k < m->n_tensors; k++)
        memcpy(m->tensors[k].param, m->tensors[k].scratch, m->tensors[k].n * sizeof(nn_real));
}

/* torch.optim.SGD 1.13 on one tensor. */
static void sgd_step(const nn_value *hp, const nn_optim_step *s, long t, nn_real lr)
{
    const nn_real mu = hp[P_MOMENTUM].r, damp = hp[P_DAMPENING].r, wd = hp[P_WD].r;
    const int nesterov = hp[P_NESTEROV].i != 0;
    nn_real *buf = s->slot[S_BUF];
    for (size_t i = 0; i < s->n; i++) {
        nn_real d = s->grad[i];
        if (wd != 0)
            d = d + wd * s->param[i];
        if (mu != 0) {
            buf[i] = t <= 1 ? d : buf[i] * mu + (1 - damp) * d;
            d = nesterov ? d + mu * buf[i] : buf[i];
        }
        s->param[i] = s->param[i] + (-lr) * d;
    }
}

/* torch.optim.Adam 1.13 on one tensor (single-tensor path). */
static void adam_step(const nn_value *hp, const nn_optim_step *s, long t, nn_real lr)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const int amsgrad = hp[P_AMSGRAD].i != 0;
    const nn_real step_size = lr / (1 - pow(b1, (nn_real)t));
    const nn_real bc2_sqrt = sqrt(1 - pow(b2, (nn_real)t));
    nn_real *m1 = s->slot[S_BUF], *v = s->slot[S_V], *vmax = s->slot[S_VMAX];
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * s->param[i];
        m1[i] = m1[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real vv = v[i];
        if (amsgrad) {
            vmax[i] = vv > vmax[i] ? vv : vmax[i];
            vv = vmax[i];
        }
        s->param[i] = s->param[i] + (-step_size * m1[i]) / (sqrt(vv) / bc2_sqrt + eps);
    }
}

static int sam_model_step(const nn_value *hp, const nn_optim_model *m)
{
    double loss;
    ascend(hp, m);
    int rc = m->evaluate(m->core, &loss);
    restore(m);
    if (rc != NN_OK)
        return rc;
    const int adam = hp[P_BASE].i == BASE_ADAM;
    for (int k = 0; k < m->n_tensors; k++) {
        if (adam)
            adam_step(hp, &m->tensors[k], m->t, m->lr);
        else
            sgd_step(hp, &m->tensors[k], m->t, m->lr);
    }
    return NN_OK;
}

static size_t sam_scratch_len(const nn_value *hp, int rows, int cols)
{
    (void)hp;
    return (size_t)rows * (size_t)cols;
}

static int sam_max_evals(const nn_value *hp)
{
    (void)hp;
    return 1;
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS,
    .scratch_len = sam_scratch_len,
    .model_step = sam_model_step,
    .max_evals = sam_max_evals,
};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "sam",
    "SAM / ASAM: base SGD or Adam step with the gradient at the worst nearby point (davda54/sam)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
