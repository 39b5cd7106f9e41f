/* muon: Muon as torch.optim.Muon for weight matrices, torch.optim.AdamW for
 * biases. torch.optim.Muon takes 2-D parameters only and its documentation
 * says to train the rest with AdamW; this plugin does both in one step:
 *
 * weight W (rows = fan_out, cols = fan_in), momentum buffer B (slot 0):
 *   B = B + (1 - momentum) (g - B)                      (torch's lerp form)
 *   M = g + momentum (B - g) with nesterov, else B
 *   O = NS_k(M): X = M / max(||M||_F, eps), transposed to rows <= cols, then
 *       k = ns_steps times  A = X X^T,  X = ns_a X + (ns_b A + ns_c A A) X
 *   W *= 1 - lr weight_decay
 *   W -= lr' O,  lr' = lr sqrt(max(1, rows / cols))    adjust_lr_fn "original"
 *                lr' = 0.2 sqrt(max(rows, cols)) lr    "match_rms_adamw"
 * The EMA buffer is torch's implementation; its documentation writes
 * B = momentum B + g, which is (1 - momentum)^-1 times this one and gives the
 * same O (NS divides by the norm) except where that norm is below eps.
 * Newton-Schulz runs in double precision (torch: bfloat16) in the step's
 * scratch, with the core's nn_gemm.
 *
 * bias b (and any tensor whose shape the caller did not give): torch.optim.
 * AdamW 1.13 with its own hyperparameters adam_*, slot 0 = m, slot 1 = v:
 *   b *= 1 - a adam_weight_decay;  m, v as Adam;  b -= a/(1 - beta1^t) m /
 *   (sqrt(v) / sqrt(1 - beta2^t) + adam_eps),   a = adam_lr * s->lr / lr,
 * so that the schedule scales both rates alike. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

#define BELOW_ONE 0x1.fffffffffffffp-1

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-3, NULL, DBL_MIN, 10, NULL,
     "learning rate of the weight matrices (> 0: the schedule's factor s->lr / lr also scales adam_lr)"},
    {"weight_decay", NN_T_REAL, 0.1, NULL, 0, 1e3, NULL,
     "decoupled decay of weight matrices: W *= 1 - lr * weight_decay"},
    {"momentum", NN_T_REAL, 0.95, NULL, 0, 1, NULL, "momentum of the buffer B = lerp(B, g, 1 - momentum)"},
    {"nesterov", NN_T_BOOL, 1, NULL, 0, 1, NULL, "orthogonalise lerp(g, B, momentum) instead of B"},
    {"ns_a", NN_T_REAL, 3.4445, NULL, -1e3, 1e3, NULL, "Newton-Schulz coefficient a (torch's ns_coefficients[0])"},
    {"ns_b", NN_T_REAL, -4.7750, NULL, -1e3, 1e3, NULL, "Newton-Schulz coefficient b (ns_coefficients[1])"},
    {"ns_c", NN_T_REAL, 2.0315, NULL, -1e3, 1e3, NULL, "Newton-Schulz coefficient c (ns_coefficients[2])"},
    {"eps", NN_T_REAL, 1e-7, NULL, DBL_MIN, 1, NULL, "floor of ||M||_F before Newton-Schulz"},
    {"ns_steps", NN_T_INT, 5, NULL, 0, 99, NULL, "Newton-Schulz iterations"},
    {"adjust_lr_fn", NN_T_ENUM, 0, "original", 0, 1, "original|match_rms_adamw",
     "lr of a rows x cols matrix: lr sqrt(max(1, rows/cols)) or 0.2 sqrt(max(rows, cols)) lr"},
    {"adam_lr", NN_T_REAL, 1e-3, NULL, 0, 10, NULL, "AdamW learning rate of the biases"},
    {"adam_beta1", NN_T_REAL, 0.9, NULL, 0, BELOW_ONE, NULL, "AdamW beta1 of the biases"},
    {"adam_beta2", NN_T_REAL, 0.999, NULL, 0, BELOW_ONE, NULL, "AdamW beta2 of the biases"},
    {"adam_eps", NN_T_REAL, 1e-8, NULL, DBL_MIN, 1, NULL, "AdamW eps of the biases"},
    {"adam_weight_decay", NN_T_REAL, 1e-2, NULL, 0, 1, NULL,
     "AdamW decoupled decay of the biases: b *= 1 - adam rate * adam_weight_decay"},
};

enum {
    P_LR, P_WD, P_MOMENTUM, P_NESTEROV, P_NS_A, P_NS_B, P_NS_C, P_EPS, P_NS_STEPS, P_ADJUST,
    P_ADAM_LR, P_ADAM_BETA1, P_ADAM_BETA2, P_ADAM_EPS, P_ADAM_WD
};
enum { ADJUST_ORIGINAL, ADJUST_MATCH_RMS_ADAMW }; /* the order of adjust_lr_fn's choices */

/* X (p x q = n), Y (p x q), A (p x p), B (p x p) with p = min(rows, cols). */
static size_t scratch_len(const nn_value *hp, int rows, int cols)
{
    size_t p = (size_t)(rows < cols ? rows : cols);
    return 2 * (size_t)rows * (size_t)cols + 2 * p * p;
}

static int is_matrix(const nn_value *hp, const nn_optim_step *s)
{
    return !s->is_bias && s->rows > 0 && s->cols > 0 && s->scratch &&
           (size_t)s->rows * (size_t)s->cols == s->n &&
           s->scratch_len >= scratch_len(hp, s->rows, s->cols);
}

/* ---- AdamW for biases ---------------------------------------------------- */

static void adamw_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real b1 = hp[P_ADAM_BETA1].r, b2 = hp[P_ADAM_BETA2].r, t = (nn_real)s->t;
    const nn_real a = hp[P_ADAM_LR].r * (s->lr / hp[P_LR].r);
    const nn_real keep = 1 - a * hp[P_ADAM_WD].r;
    const nn_real step_size = a / (1 - pow(b1, t)), bc2_sqrt = sqrt(1 - pow(b2, t));
    nn_real *m = s->slot[0], *v = s->slot[1];
    if (s->slot_len && (s->slot_len[0] < s->n || s->slot_len[1] < s->n))
        return; /* slots shorter than the tensor: the caller's shape was wrong */
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = s->grad[i];
        s->param[i] = s->param[i] * keep;
        m[i] = m[i] * b1 + (1 - b1) * g;
        v[i] = v[i] * b2 + (1 - b2) * g * g;
        nn_real denom = sqrt(v[i]) / bc2_sqrt + hp[P_ADAM_EPS].r;
        s->param[i] = s->param[i] + (-step_size * m[i]) / denom;
    }
}

/* ---- Newton-Schulz ------------------------------------------------------- */

/* ||x||_F without overflow or underflow in the sum of squares. */
static nn_real norm2(const nn_real *x, size_t n)
{
    nn_real scale = 0, ssq = 0;
    for (size_t i = 0; i < n; i++) {
        nn_real ax = fabs(x[i]);
        if (ax == 0)
            continue;
        if (!(ax <= scale)) {
            nn_real r = scale / ax;
            ssq = 1 + ssq * r * r;
            scale = ax;
        } else {
            nn_real r = ax / scale;
            ssq += r * r;
        }
    }
    return scale == 0 ? 0 : scale * sqrt(ssq);
}

/* Momentum update; writes M into X (p x q), transposed when rows > cols. */
static void momentum_into(const nn_value *hp, const nn_optim_step *s, nn_real *X)
{
    const nn_real mu = hp[P_MOMENTUM].r;
    const int nesterov = hp[P_NESTEROV].i != 0, tr = s->rows > s->cols;
    const size_t rows = (size_t)s->rows, cols = (size_t)s->cols;
    nn_real *B = s->slot[0];
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            const size_t k = i * cols + j;
            const nn_real g = s->grad[k];
            B[k] = B[k] + (1 - mu) * (g - B[k]);
            X[tr ? j * rows + i : k] = nesterov ? g + mu * (B[k] - g) : B[k];
        }
}

/* k Newton-Schulz iterations on X (p x q, p <= q); returns the array that
 * holds the result (X or Y). */
static nn_real *newton_schulz(const nn_value *hp, int p, int q, nn_real *X, nn_real *Y, nn_real *A,
                              nn_real *B)
{
    const nn_real a = hp[P_NS_A].r, b = hp[P_NS_B].r, c = hp[P_NS_C].r;
    const size_t n = (size_t)p * (size_t)q, pp = (size_t)p * (size_t)p;
    const nn_real scale = fmax(norm2(X, n), hp[P_EPS].r);
    for (size_t i = 0; i < n; i++)
        X[i] = X[i] / scale;
    for (long k = 0; k < hp[P_NS_STEPS].i; k++) {
        memset(A, 0, pp * sizeof(nn_real));
        nn_gemm(0, 1, p, p, q, 1, X, q, X, q, 0, A, p);        /* A = X X^T */
        memcpy(B, A, pp * sizeof(nn_real));
        nn_gemm(0, 0, p, p, p, c, A, p, A, p, b, B, p);        /* B = b A + c A A */
        memcpy(Y, X, n * sizeof(nn_real));
        nn_gemm(0, 0, p, q, p, 1, B, p, X, q, a, Y, q);        /* Y = a X + B X */
        nn_real *swap = X;
        X = Y;
        Y = swap;
    }
    return X;
}

static nn_real adjusted_lr(const nn_value *hp, nn_real lr, int rows, int cols)
{
    if (hp[P_ADJUST].i == ADJUST_MATCH_RMS_ADAMW)
        return 0.2 * sqrt((nn_real)(rows > cols ? rows : cols)) * lr;
    return lr * sqrt(fmax(1, (nn_real)rows / (nn_real)cols));
}

static void muon_matrix_step(const nn_value *hp, const nn_optim_step *s)
{
    const int rows = s->rows, cols = s->cols, tr = rows > cols;
    const int p = tr ? cols : rows, q = tr ? rows : cols;
    nn_real *X = s->scratch, *Y = X + s->n, *A = Y + s->n, *B = A + (size_t)p * (size_t)p;
    momentum_into(hp, s, X);
    const nn_real *O = newton_schulz(hp, p, q, X, Y, A, B);
    const nn_real keep = 1 - s->lr * hp[P_WD].r, lr = adjusted_lr(hp, s->lr, rows, cols);
    for (size_t i = 0; i < (size_t)rows; i++)
        for (size_t j = 0; j < (size_t)cols; j++) {
            const size_t k = i * (size_t)cols + j;
            const nn_real o = O[tr ? j * (size_t)rows + i : k];
            s->param[k] = s->param[k] * keep;
            s->param[k] = s->param[k] + (-lr) * o;
        }
}

static void muon_step(const nn_value *hp, const nn_optim_step *s)
{
    if (is_matrix(hp, s))
        muon_matrix_step(hp, s);
    else
        adamw_step(hp, s);
}

static const nn_optim_ops ops = {
    .n_slots = 2, /* weights: slot 0 = B (slot 1 unused); biases: m, v */
    .flags = NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_MATRIX,
    .step = muon_step,
    .scratch_len = scratch_len,
};

static const nn_plugin desc = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_OPTIM,
    .name = "muon",
    .doc = "Muon as torch.optim.Muon for weight matrices (Newton-Schulz orthogonalised Nesterov "
           "momentum), AdamW with its own adam_* hyperparameters for biases",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops = {.optim = &ops},
};

NN_PLUGIN(desc)
