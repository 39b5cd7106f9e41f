/* schedule_free_sgd: Schedule-Free SGD (Defazio et al. 2024, "The Road Less
 * Scheduled") as the authors' schedulefree 1.4 SGDScheduleFree. Three
 * sequences: z takes plain SGD steps, x is a weighted average of the z's and
 * the gradient is taken at y = (1 - momentum) z + momentum x. Step k + 1:
 *   lr_k = lr * min(1, (k + 1) / warmup_steps)        (lr: the scheduled rate)
 *   lr_max = max(lr_max, lr_k),  w = (k + 1)^r * lr_max^weight_lr_power
 *   c = w / (sum of the w's so far)                    (0 while that sum is 0)
 *   g = grad + weight_decay * y
 *   y = lerp(y, z, c) + lr_k (momentum (1 - c) - 1) g,  z = z - lr_k g
 * which updates y without storing x (schedulefree's form). The parameters
 * hold y; z is the one slot; k, the weight sum, lr_max, c and lr_k are
 * global scalars set once per step. The model is evaluated at
 * x = lerp(y, z, 1 - 1 / momentum), schedulefree's eval(). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

/* Largest double below 1. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1.0, NULL, 0, 1e6, NULL, "learning rate of the z sequence"},
    {"momentum", NN_T_REAL, 0.9, NULL, 1e-6, BELOW_ONE, NULL,
     "interpolation y = (1 - momentum) z + momentum x, in (0, 1)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * y is added to the gradient"},
    {"warmup_steps", NN_T_INT, 0, NULL, 0, 1e9, NULL,
     "linear warm-up of lr over this many steps (0: none)"},
    {"r", NN_T_REAL, 0, NULL, 0, 100, NULL, "polynomial weighting (k + 1)^r of the average"},
    {"weight_lr_power", NN_T_REAL, 2, NULL, 0, 100, NULL,
     "the average's weights grow as lr_max^weight_lr_power (0: equal weights)"},
};

enum { P_LR, P_MOMENTUM, P_WD, P_WARMUP, P_R, P_POWER };

enum { S_Z, N_SLOTS };

/* Global scalars: K steps taken (this step included once updated), the sum
 * of the averaging weights, the largest lr so far, this step's averaging
 * weight c and warmed-up lr. */
enum { C_K, C_WEIGHT_SUM, C_LR_MAX, C_CKP1, C_LR, N_SCALARS };

/* torch.lerp: start + w (end - start), or end - (end - start) (1 - w) for
 * |w| >= 0.5, each with one rounding (fused multiply-add) as torch does. */
static nn_real lerp(nn_real start, nn_real end, nn_real w)
{
    return fabs(w) < 0.5 ? fma(w, end - start, start) : fma(start - end, 1 - w, end);
}

static void sgd_init(const nn_value *hp, nn_real *sc)
{
    (void)hp;
    sc[C_LR_MAX] = -1;
}

static void sgd_update(const nn_value *hp, nn_real *sc, const nn_real *acc, long t, nn_real lr)
{
    (void)acc;
    (void)t;
    const nn_real k = sc[C_K];
    const long warmup = hp[P_WARMUP].i;
    const nn_real sched = k < (nn_real)warmup ? (k + 1) / (nn_real)warmup : 1.0;
    const nn_real lr_k = lr * sched;
    const nn_real lr_max = lr_k > sc[C_LR_MAX] ? lr_k : sc[C_LR_MAX];
    const nn_real weight = pow(k + 1, hp[P_R].r) * pow(lr_max, hp[P_POWER].r);
    const nn_real weight_sum = sc[C_WEIGHT_SUM] + weight;
    sc[C_LR_MAX] = lr_max;
    sc[C_WEIGHT_SUM] = weight_sum;
    sc[C_CKP1] = weight_sum != 0 ? weight / weight_sum : 0;
    sc[C_LR] = lr_k;
    sc[C_K] = k + 1;
}

static void sgd_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real *sc = s->scalars;
    const nn_real ckp1 = sc[C_CKP1], lr = sc[C_LR], wd = hp[P_WD].r;
    const nn_real alpha = lr * (hp[P_MOMENTUM].r * (1 - ckp1) - 1);
    nn_real *y = s->param, *z = s->slot[S_Z];
    if (sc[C_K] == 1)
        memcpy(z, y, s->n * sizeof *z);
    for (size_t i = 0; i < s->n; i++) {
        nn_real g = s->grad[i];
        if (wd != 0)
            g = g + wd * y[i];
        y[i] = lerp(y[i], z[i], ckp1);
        y[i] = y[i] + alpha * g;
        z[i] = z[i] - lr * g;
    }
}

/* x from y and z; before the first step (no z yet) the parameters themselves. */
static void sgd_eval_point(const nn_value *hp, const nn_optim_step *s, nn_real *out)
{
    if (s->scalars[C_K] == 0) {
        memcpy(out, s->param, s->n * sizeof *out);
        return;
    }
    const nn_real w = 1 - 1 / hp[P_MOMENTUM].r;
    for (size_t i = 0; i < s->n; i++)
        out[i] = lerp(s->param[i], s->slot[S_Z][i], w);
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS,
    .step = sgd_step,
    .n_scalars = N_SCALARS,
    .scalars_init = sgd_init,
    .scalars_update = sgd_update,
    .eval_point = sgd_eval_point,
};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "schedule_free_sgd",
    "Schedule-Free SGD: gradient at an interpolation, evaluated at the average x (schedulefree 1.4)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
