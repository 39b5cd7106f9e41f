/* schedule_free_adamw: Schedule-Free AdamW (Defazio et al. 2024, "The Road
 * Less Scheduled") as the authors' schedulefree 1.4 AdamWScheduleFree. z
 * takes Adam-normalised steps (no first moment: the averaging replaces it),
 * x is a weighted average of the z's and the gradient is taken at
 * y = (1 - beta1) z + beta1 x. Step k + 1:
 *   lr_k = lr * min(1, (k + 1) / warmup_steps)        (lr: the scheduled rate)
 *   lr_max = max(lr_max, lr_k),  w = (k + 1)^r * lr_max^weight_lr_power
 *   c = w / (sum of the w's so far)                    (0 while that sum is 0)
 *   v = beta2 v + (1 - beta2) g^2
 *   u = g / (sqrt(v / (1 - beta2^(k+1))) + eps) + weight_decay * y
 *   y = lerp(y, z, c) + lr_k (beta1 (1 - c) - 1) u,  z = z - lr_k u
 * which updates y without storing x (schedulefree's form). The parameters
 * hold y; z and v are slots; k, the weight sum, lr_max, c, lr_k and the bias
 * correction are global scalars set once per step. The model is evaluated
 * at x = lerp(y, z, 1 - 1 / beta1), schedulefree's eval(). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

/* Largest double below 1. */
#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 0.0025, NULL, 0, 10, NULL, "learning rate of the z sequence"},
    {"beta1", NN_T_REAL, 0.9, NULL, 1e-6, BELOW_ONE, NULL,
     "interpolation y = (1 - beta1) z + beta1 x, in (0, 1)"},
    {"beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "decay of the squared-gradient average v"},
    {"eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL, "added to the root of the corrected v"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "decay weight_decay * y added to the normalised step (at y)"},
    {"warmup_steps", NN_T_INT, 0, NULL, 0, 1e9, NULL,
     "linear warm-up of lr over this many steps (0: none)"},
    {"r", NN_T_REAL, 0, NULL, 0, 100, NULL, "polynomial weighting (k + 1)^r of the average"},
    {"weight_lr_power", NN_T_REAL, 2, NULL, 0, 100, NULL,
     "the average's weights grow as lr_max^weight_lr_power (0: equal weights)"},
};

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WD, P_WARMUP, P_R, P_POWER };

enum { S_Z, S_V, N_SLOTS };

/* Global scalars: K steps taken (this step included once updated), the sum
 * of the averaging weights, the largest lr so far, this step's averaging
 * weight c, warmed-up lr and 1 - beta2^K. */
enum { C_K, C_WEIGHT_SUM, C_LR_MAX, C_CKP1, C_LR, C_BC2, N_SCALARS };

/* torch.lerp: start + w (end - start), or end - (end - start) (1 - w) for
 * |w| >= 0.5, each with one rounding (fused multiply-add) as torch does. */
static nn_real lerp(nn_real start, nn_real end, nn_real w)
{
    return fabs(w) < 0.5 ? fma(w, end - start, start) : fma(start - end, 1 - w, end);
}

static void adamw_init(const nn_value *hp, nn_real *sc)
{
    (void)hp;
    sc[C_LR_MAX] = -1;
}

static void adamw_update(const nn_value *hp, nn_real *sc, const nn_real *acc, long t, nn_real lr)
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
    sc[C_BC2] = 1 - pow(hp[P_BETA2].r, k + 1);
    sc[C_LR_MAX] = lr_max;
    sc[C_WEIGHT_SUM] = weight_sum;
    sc[C_CKP1] = weight_sum != 0 ? weight / weight_sum : 0;
    sc[C_LR] = lr_k;
    sc[C_K] = k + 1;
}

static void adamw_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real *sc = s->scalars;
    const nn_real ckp1 = sc[C_CKP1], lr = sc[C_LR], bc2 = sc[C_BC2];
    const nn_real b2 = hp[P_BETA2].r, eps = hp[P_EPS].r, wd = hp[P_WD].r;
    const nn_real alpha = lr * (hp[P_BETA1].r * (1 - ckp1) - 1);
    nn_real *y = s->param, *z = s->slot[S_Z], *v = s->slot[S_V];
    if (sc[C_K] == 1)
        memcpy(z, y, s->n * sizeof *z);
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = s->grad[i];
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real u = g / (sqrt(v[i] / bc2) + eps);
        if (wd != 0)
            u = u + wd * y[i];
        y[i] = lerp(y[i], z[i], ckp1);
        y[i] = y[i] + alpha * u;
        z[i] = z[i] - lr * u;
    }
}

/* x from y and z; before the first step (no z yet) the parameters themselves. */
static void adamw_eval_point(const nn_value *hp, const nn_optim_step *s, nn_real *out)
{
    if (s->scalars[C_K] == 0) {
        memcpy(out, s->param, s->n * sizeof *out);
        return;
    }
    const nn_real w = 1 - 1 / hp[P_BETA1].r;
    for (size_t i = 0; i < s->n; i++)
        out[i] = lerp(s->param[i], s->slot[S_Z][i], w);
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS,
    .step = adamw_step,
    .n_scalars = N_SCALARS,
    .scalars_init = adamw_init,
    .scalars_update = adamw_update,
    .eval_point = adamw_eval_point,
};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_OPTIM, "schedule_free_adamw",
    "Schedule-Free AdamW: gradient at an interpolation, evaluated at the average x (schedulefree 1.4)",
    NN_ARRAY_LEN(params), params, {.optim = &ops}};

NN_PLUGIN(desc)
