/* lamb: LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning:
 * Training BERT in 76 minutes", Algorithm 2), a per-tensor rule. For every
 * tensor (each weight matrix and each bias vector on its own):
 *   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g^2
 *   u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay W
 *   r = ||W|| / ||u||  (r = 1 when either norm is 0)
 *   W -= lr r u
 * Variant: bias correction on; the trust ratio is used as is (phi the
 * identity, no clamp); weight decay is decoupled (added to the Adam
 * direction, inside the trust ratio) and applies to biases too, as in the
 * paper's algorithm. No torch.optim version exists; names follow torch's
 * Adam (betas spelled beta1, beta2). */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

/* Largest double below 1: bias correction divides by 1 - beta^t. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-3, NULL, 0, 10, NULL, "learning rate (step = lr * trust ratio * u)"},
    {"beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "decay of the first-moment average"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the second-moment average"},
    {"eps", NN_T_REAL, 1e-6, NULL, DBL_MIN, 1, NULL,
     "added to sqrt(v_hat), outside the root"},
    {"weight_decay", NN_T_REAL, 0.01, NULL, 0, 1, NULL,
     "decoupled decay: weight_decay * W is added to the Adam direction before the trust ratio"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD };

/* sum of x^2 + acc, carried as scale^2 * ssq so that it never overflows. */
typedef struct sumsq {
    nn_real scale, ssq;
} sumsq;

static void sumsq_add(sumsq *a, nn_real x)
{
    nn_real ax = fabs(x);
    if (ax == 0)
        return;
    if (!(ax <= a->scale)) { /* also NaN and inf: they end up in scale */
        nn_real r = a->scale / ax;
        a->ssq = 1 + a->ssq * r * r;
        a->scale = ax;
    } else {
        nn_real r = ax / a->scale;
        a->ssq += r * r;
    }
}

static nn_real sumsq_norm(const sumsq *a) { return a->scale == 0 ? 0 : a->scale * sqrt(a->ssq); }

/* The Adam direction plus decay for element i (moments already updated). */
static nn_real direction(const nn_value *hp, const nn_optim_step *s, size_t i, nn_real bc1,
                         nn_real bc2)
{
    const nn_real *m = s->slot[0], *v = s->slot[1];
    nn_real u = (m[i] / bc1) / (sqrt(v[i] / bc2) + hp[P_EPS].r);
    return u + hp[P_WD].r * s->param[i];
}

static void lamb_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_BETA1].r, b2 = hp[P_BETA2].r, t = (nn_real)s->t;
    const nn_real bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
    nn_real *m = s->slot[0], *v = s->slot[1];
    sumsq wn = {0, 0}, un = {0, 0};
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = s->grad[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        sumsq_add(&wn, s->param[i]);
        sumsq_add(&un, direction(hp, s, i, bc1, bc2));
    }
    const nn_real w_norm = sumsq_norm(&wn), u_norm = sumsq_norm(&un);
    const nn_real ratio = w_norm > 0 && u_norm > 0 ? w_norm / u_norm : 1;
    const nn_real step = s->lr * ratio;
    if (!(step > 0) || !isfinite(step))
        return; /* lr 0, or an overflowed norm: W stays as it is */
    /* the second pass recomputes u from the same moments and W, bit for bit */
    for (size_t i = 0; i < s->n; i++)
        s->param[i] = s->param[i] - step * direction(hp, s, i, bc1, bc2);
}

static const nn_optim_ops ops = {
    .n_slots = 2, /* m, v */
    .flags = NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_PER_TENSOR,
    .step = lamb_step,
};

static const nn_plugin desc = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_OPTIM,
    .name = "lamb",
    .doc = "LAMB: Adam direction (bias-corrected) plus decoupled decay, scaled per tensor by the "
           "trust ratio ||W|| / ||u|| (You et al. 2019)",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops = {.optim = &ops},
};

NN_PLUGIN(desc)
