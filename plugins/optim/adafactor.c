/* adafactor: Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning
 * Rates with Sublinear Memory Cost") with the names, defaults and algorithm
 * of torch.optim.Adafactor (torch 2.5+; eps = (eps1, eps2)). At step t:
 *   beta2_t = 1 - t^beta2_decay,  rho = min(lr, 1 / sqrt(t)),
 *   alpha = max(eps2, RMS(W)) rho            (RMS of W before the decay)
 *   W *= 1 - lr weight_decay
 *   weight (rows x cols), factored second moment:
 *     R_i = beta2_t R_i + (1 - beta2_t) mean_j g_ij^2        (slot 0, rows)
 *     C_j = beta2_t C_j + (1 - beta2_t) mean_i g_ij^2        (slot 1, cols)
 *     V_ij = R_i C_j / max(mean_i R_i, eps1)
 *   bias (and a tensor whose shape the caller did not give): unfactored
 *     V_i = beta2_t V_i + (1 - beta2_t) g_i^2                (slot 0)
 *   U = g / sqrt(max(V, eps1^2)),  W -= alpha / max(1, RMS(U) / d) U
 * torch's eps1 = None means the machine epsilon of the parameters' type:
 * here DBL_EPSILON, the default. Where a statistic overflowed (V is NaN from
 * inf / inf) the element's update is 0, not NaN. RMS(W) and RMS(U) are taken
 * over the whole tensor, so the rule is per-tensor as well as matrix-shaped. */
#include <float.h>
#include <math.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 10, NULL,
     "cap of the relative step rho = min(lr, 1/sqrt(t)) and the rate of weight decay"},
    {"beta2_decay", NN_T_REAL, -0.8, NULL, -1e3, 0, NULL,
     "tau: the second-moment average uses beta2_t = 1 - t^tau"},
    {"eps1", NN_T_REAL, DBL_EPSILON, NULL, DBL_MIN, 1, NULL,
     "floor of mean(R) and of sqrt(V) (torch's eps[0]; None there = machine epsilon, the default)"},
    {"eps2", NN_T_REAL, 1e-3, NULL, 0, 1, NULL,
     "floor of RMS(W) in the step size (torch's eps[1])"},
    {"d", NN_T_REAL, 1.0, NULL, 1, 1e300, NULL,
     "clipping threshold: the update is scaled down to RMS(U) <= d"},
    {"weight_decay", NN_T_REAL, 0.0, NULL, 0, 1e3, NULL,
     "decoupled decay: W *= 1 - lr * weight_decay before each step"},
    {"maximize", NN_T_BOOL, 0, NULL, 0, 1, NULL, "ascend the loss instead of descending it"},
};

enum { P_LR, P_BETA2_DECAY, P_EPS1, P_EPS2, P_D, P_WD, P_MAXIMIZE };

/* A sum of squares carried as scale^2 * ssq, so that it never overflows. */
typedef struct sumsq {
    nn_real scale, ssq;
} sumsq;

static void sumsq_add(sumsq *a, nn_real x)
{
    nn_real ax = fabs(x);
    if (ax == 0)
        return;
    if (!(ax <= a->scale)) { /* NaN and inf end up in scale */
        nn_real r = a->scale / ax;
        a->ssq = 1 + a->ssq * r * r;
        a->scale = ax;
    } else {
        nn_real r = ax / a->scale;
        a->ssq += r * r;
    }
}

/* sqrt(sum / n): the root mean square. */
static nn_real sumsq_rms(const sumsq *a, size_t n)
{
    return a->scale == 0 ? 0 : a->scale * sqrt(a->ssq / (nn_real)n);
}

/* Slot k holds at least len elements (a v1 caller's slots hold n). */
static int fits(const nn_optim_step *s, int k, size_t len)
{
    return !s->slot_len || s->slot_len[k] >= len;
}

static int factored(const nn_optim_step *s)
{
    return !s->is_bias && s->rows > 0 && s->cols > 0 &&
           (size_t)s->rows * (size_t)s->cols == s->n && fits(s, 0, (size_t)s->rows) &&
           fits(s, 1, (size_t)s->cols);
}

static size_t slot_len(const nn_value *hp, int slot, int rows, int cols)
{
    return slot == 0 ? (size_t)rows : (size_t)cols;
}

/* 1 / sqrt(max(v, eps1^2)), 0 for a NaN v (overflowed statistics). */
static nn_real inv_root(nn_real v, nn_real eps1)
{
    if (isnan(v))
        return 0;
    return 1 / sqrt(fmax(v, eps1 * eps1));
}

/* beta2_t a + (1 - beta2_t) b, w = 1 - beta2_t (the documented form: an
 * overflowed statistic stays inf rather than becoming inf - inf = NaN). */
static nn_real average(nn_real a, nn_real b, nn_real w) { return (1 - w) * a + w * b; }

/* R and C from g (rows x cols), with weight w of the new means. */
static void update_factors(const nn_optim_step *s, nn_real w)
{
    const size_t rows = (size_t)s->rows, cols = (size_t)s->cols;
    nn_real *R = s->slot[0], *C = s->slot[1];
    for (size_t i = 0; i < rows; i++) {
        nn_real sum = 0;
        for (size_t j = 0; j < cols; j++) {
            nn_real g = s->grad[i * cols + j];
            sum += g * g;
        }
        R[i] = average(R[i], sum / (nn_real)cols, w);
    }
    for (size_t j = 0; j < cols; j++) {
        nn_real sum = 0;
        for (size_t i = 0; i < rows; i++) {
            nn_real g = s->grad[i * cols + j];
            sum += g * g;
        }
        C[j] = average(C[j], sum / (nn_real)rows, w);
    }
}

/* 1 / sqrt(V) of element k: factored or not. */
static nn_real precond(const nn_optim_step *s, size_t k, nn_real row_norm, nn_real eps1)
{
    if (!factored(s))
        return inv_root(s->slot[0][k], eps1);
    const size_t cols = (size_t)s->cols;
    nn_real v = s->slot[0][k / cols] * s->slot[1][k % cols] / row_norm;
    return inv_root(v, eps1);
}

/* Updates the second-moment statistics with weight w of the new values;
 * returns the divisor max(mean(R), eps1) of a factored V (1 otherwise). */
static nn_real second_moment(const nn_optim_step *s, nn_real w, nn_real eps1)
{
    if (!factored(s)) {
        for (size_t i = 0; i < s->n; i++)
            s->slot[0][i] = average(s->slot[0][i], s->grad[i] * s->grad[i], w);
        return 1;
    }
    update_factors(s, w);
    nn_real sum = 0;
    for (int i = 0; i < s->rows; i++)
        sum += s->slot[0][i];
    return fmax(sum / (nn_real)s->rows, eps1);
}

static nn_real rms(const nn_real *x, size_t n)
{
    sumsq a = {0, 0};
    for (size_t i = 0; i < n; i++)
        sumsq_add(&a, x[i]);
    return sumsq_rms(&a, n);
}

static void adafactor_step(const nn_value *hp, const nn_optim_step *s)
{
    if (!factored(s) && !fits(s, 0, s->n))
        return; /* slots not as slot_len() declared them: nothing safe to do */
    const nn_real t = (nn_real)s->t, eps1 = hp[P_EPS1].r;
    const nn_real rho = fmin(s->lr, 1 / sqrt(t));
    const nn_real alpha = fmax(hp[P_EPS2].r, rms(s->param, s->n)) * rho;
    if (hp[P_WD].r != 0) {
        const nn_real keep = 1 - s->lr * hp[P_WD].r;
        for (size_t i = 0; i < s->n; i++)
            s->param[i] = s->param[i] * keep;
    }
    /* 1 - beta2_t = t^beta2_decay */
    const nn_real row_norm = second_moment(s, pow(t, hp[P_BETA2_DECAY].r), eps1);
    /* RMS(U) first (a pass that writes nothing), then the step */
    sumsq un = {0, 0};
    for (size_t i = 0; i < s->n; i++)
        sumsq_add(&un, s->grad[i] * precond(s, i, row_norm, eps1));
    const nn_real step = alpha / fmax(1, sumsq_rms(&un, s->n) / hp[P_D].r);
    if (!(step > 0) || !isfinite(step))
        return;
    const nn_real sign = hp[P_MAXIMIZE].i ? -1 : 1;
    for (size_t i = 0; i < s->n; i++) {
        nn_real u = sign * s->grad[i] * precond(s, i, row_norm, eps1);
        s->param[i] = s->param[i] - step * u;
    }
}

static const nn_optim_ops ops = {
    .n_slots = 2, /* R (rows) and C (cols) of a weight; V (n) of a bias in slot 0 */
    .flags = NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_PER_TENSOR | NN_OPTIM_MATRIX,
    .step = adafactor_step,
    .slot_len = slot_len,
};

static const nn_plugin desc = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_OPTIM,
    .name = "adafactor",
    .doc = "Adafactor as torch.optim.Adafactor: factored row/column second moments for weights, "
           "unfactored for biases, relative step min(lr, 1/sqrt(t)) (Shazeer & Stern 2018)",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops = {.optim = &ops},
};

NN_PLUGIN(desc)
