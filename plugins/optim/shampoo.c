/* shampoo: Shampoo (Gupta, Koren, Singer 2018, "Shampoo: Preconditioned
 * Stochastic Tensor Optimization", Algorithm 1) for weight matrices, a
 * diagonal AdaGrad-style rule for biases. With G = g + weight_decay W:
 *
 * weight W (rows x cols):
 *   L += G G^T (slot 0, rows x rows),  R += G^T G (slot 1, cols x cols)
 *   every update_freq steps (steps 1, 1 + update_freq, ...; every step by
 *   default): P_L = (L + eps I)^(-1/4) (slot 2), P_R = (R + eps I)^(-1/4)
 *   (slot 3), by a cyclic Jacobi eigen-decomposition in the step's scratch
 *   (eigenvalues below eps, from rounding only, are raised to eps)
 *   W -= lr P_L G P_R
 * The statistics start at 0 and eps I is added when the roots are taken,
 * which equals the paper's L_0 = R_0 = eps I.
 *
 * bias b (and any tensor whose shape the caller did not give), slot 4:
 *   H += G^2,  b -= lr G / sqrt(H + eps)       (the diagonal of the order-1
 *   Shampoo preconditioner (eps I + sum g g^T)^(-1/2)), every step.
 *
 * Statistics that overflowed (not finite) give a zero step. There is no
 * torch.optim version; names follow torch's Adagrad. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nnlab/plugin.h"

static const nn_param_decl params[] = {
    {"lr", NN_T_REAL, 1e-2, NULL, 0, 10, NULL, "learning rate"},
    {"eps", NN_T_REAL, 1e-4, NULL, DBL_MIN, 1e3, NULL,
     "eps I added to L and R (and eps to H) before the inverse roots: the paper's L_0 = R_0 = eps I"},
    {"update_freq", NN_T_INT, 1, NULL, 1, 1000000, NULL,
     "steps between recomputations of the inverse roots (statistics are summed every step)"},
    {"weight_decay", NN_T_REAL, 0, NULL, 0, 1, NULL,
     "L2 penalty: weight_decay * W is added to the gradient"},
};

enum { P_LR, P_EPS, P_FREQ, P_WD };
enum { S_L, S_R, S_PL, S_PR, S_H, N_SLOTS };

/* Jacobi stops after this many sweeps (it converges quadratically in ~10). */
#define MAX_SWEEPS 100

static int is_matrix(const nn_optim_step *s)
{
    return !s->is_bias && s->rows > 0 && s->cols > 0 && s->scratch &&
           (size_t)s->rows * (size_t)s->cols == s->n;
}

static size_t slot_len(const nn_value *hp, int slot, int rows, int cols)
{
    const size_t r = (size_t)rows, c = (size_t)cols;
    switch (slot) {
    case S_L:
    case S_PL:
        return r * r;
    case S_R:
    case S_PR:
        return c * c;
    default:
        return r * c;
    }
}

/* G (n), then two m x m matrices for Jacobi, m = max(rows, cols), then P_L G (n). */
static size_t scratch_len(const nn_value *hp, int rows, int cols)
{
    const size_t m = (size_t)(rows > cols ? rows : cols), n = (size_t)rows * (size_t)cols;
    return 2 * n + 2 * m * m;
}

static int all_finite(const nn_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ---- symmetric eigen-decomposition (cyclic Jacobi) ------------------------- */

/* Sum of squares of A's (m x m) off-diagonal elements. */
static nn_real off_diagonal(const nn_real *A, int m)
{
    nn_real s = 0;
    for (int p = 0; p < m; p++)
        for (int q = 0; q < m; q++)
            if (p != q)
                s += A[p * m + q] * A[p * m + q];
    return s;
}

/* One rotation in the (p, q) plane zeroing A[p][q]; V collects them. */
static void rotate(nn_real *A, nn_real *V, int m, int p, int q)
{
    const nn_real apq = A[p * m + q];
    const nn_real theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
    const nn_real t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
    const nn_real c = 1 / sqrt(t * t + 1), s = t * c;
    for (int k = 0; k < m; k++) { /* columns p and q of A */
        const nn_real akp = A[k * m + p], akq = A[k * m + q];
        A[k * m + p] = c * akp - s * akq;
        A[k * m + q] = s * akp + c * akq;
    }
    for (int k = 0; k < m; k++) { /* rows p and q */
        const nn_real apk = A[p * m + k], aqk = A[q * m + k];
        A[p * m + k] = c * apk - s * aqk;
        A[q * m + k] = s * apk + c * aqk;
    }
    A[p * m + q] = A[q * m + p] = 0;
    for (int k = 0; k < m; k++) {
        const nn_real vkp = V[k * m + p], vkq = V[k * m + q];
        V[k * m + p] = c * vkp - s * vkq;
        V[k * m + q] = s * vkp + c * vkq;
    }
}

/* Diagonalises the symmetric A (m x m) in place: afterwards A's diagonal holds
 * the eigenvalues and V's columns the eigenvectors. */
static void jacobi(nn_real *A, nn_real *V, int m)
{
    nn_real total = 0;
    for (int i = 0; i < m * m; i++)
        total += A[i] * A[i];
    memset(V, 0, (size_t)m * (size_t)m * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        V[i * m + i] = 1;
    const nn_real tol = DBL_EPSILON * DBL_EPSILON * total;
    for (int sweep = 0; sweep < MAX_SWEEPS && off_diagonal(A, m) > tol; sweep++)
        for (int p = 0; p < m - 1; p++)
            for (int q = p + 1; q < m; q++)
                if (A[p * m + q] != 0)
                    rotate(A, V, m, p, q);
}

/* out (m x m) = (S + eps I)^(-1/4) for the symmetric statistic S;
 * work holds 2 m^2. A non-finite S gives out = 0. */
static void inverse_fourth_root(const nn_real *S, int m, nn_real eps, nn_real *out, nn_real *work)
{
    const size_t mm = (size_t)m * (size_t)m;
    nn_real *A = work, *V = work + mm;
    memset(out, 0, mm * sizeof(nn_real));
    if (!all_finite(S, mm))
        return;
    memcpy(A, S, mm * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        A[i * m + i] = A[i * m + i] + eps;
    jacobi(A, V, m);
    for (int k = 0; k < m; k++) {
        const nn_real w = pow(fmax(A[k * m + k], eps), -0.25);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                out[i * m + j] += V[i * m + k] * w * V[j * m + k];
    }
}

/* ---- the steps ------------------------------------------------------------- */

static void matrix_step(const nn_value *hp, const nn_optim_step *s)
{
    const int r = s->rows, c = s->cols, m = r > c ? r : c;
    const nn_real wd = hp[P_WD].r;
    nn_real *G = s->scratch, *work = G + s->n, *LG = work + 2 * (size_t)m * (size_t)m;
    for (size_t i = 0; i < s->n; i++)
        G[i] = wd != 0 ? s->grad[i] + wd * s->param[i] : s->grad[i];
    nn_gemm(0, 1, r, r, c, 1, G, c, G, c, 1, s->slot[S_L], r); /* L += G G^T */
    nn_gemm(1, 0, c, c, r, 1, G, c, G, c, 1, s->slot[S_R], c); /* R += G^T G */
    if ((s->t - 1) % hp[P_FREQ].i == 0) {
        inverse_fourth_root(s->slot[S_L], r, hp[P_EPS].r, s->slot[S_PL], work);
        inverse_fourth_root(s->slot[S_R], c, hp[P_EPS].r, s->slot[S_PR], work);
    }
    memset(LG, 0, s->n * sizeof(nn_real));
    nn_gemm(0, 0, r, c, r, 1, s->slot[S_PL], r, G, c, 0, LG, c);            /* P_L G */
    memcpy(G, LG, s->n * sizeof(nn_real));
    memset(LG, 0, s->n * sizeof(nn_real));
    nn_gemm(0, 0, r, c, c, 1, G, c, s->slot[S_PR], c, 0, LG, c);            /* (P_L G) P_R */
    if (!all_finite(LG, s->n))
        return;
    for (size_t i = 0; i < s->n; i++)
        s->param[i] = s->param[i] - s->lr * LG[i];
}

static void diagonal_step(const nn_value *hp, const nn_optim_step *s)
{
    const nn_real wd = hp[P_WD].r, eps = hp[P_EPS].r;
    nn_real *H = s->slot[S_H];
    for (size_t i = 0; i < s->n; i++) {
        const nn_real g = wd != 0 ? s->grad[i] + wd * s->param[i] : s->grad[i];
        H[i] = H[i] + g * g;
        const nn_real u = g / sqrt(H[i] + eps);
        if (isfinite(u))
            s->param[i] = s->param[i] - s->lr * u;
    }
}

static void shampoo_step(const nn_value *hp, const nn_optim_step *s)
{
    if (is_matrix(s))
        matrix_step(hp, s);
    else
        diagonal_step(hp, s);
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS, /* L, R, P_L, P_R (weights); H (biases) */
    .flags = NN_OPTIM_MATRIX,
    .step = shampoo_step,
    .slot_len = slot_len,
    .scratch_len = scratch_len,
};

static const nn_plugin desc = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_OPTIM,
    .name = "shampoo",
    .doc = "Shampoo: W -= lr L^(-1/4) G R^(-1/4) with L = sum G G^T, R = sum G^T G (+ eps I) for "
           "weights, diagonal AdaGrad for biases (Gupta, Koren, Singer 2018)",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops = {.optim = &ops},
};

NN_PLUGIN(desc)
