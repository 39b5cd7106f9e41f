/* shampoo: Shampoo (Gupta, Koren, Singer 2018, "Shampoo: Preconditioned
 * Stochastic Tensor Optimization", Algorithm 1) for weight matrices, a
 * diagonal AdaGrad-style rule for biases. With G = g + weight_decay W:
 *
 * weight W (rows x cols):
 *   L += G G^T (slot 0, rows x rows),  R += G^T G (slot 1, cols x cols)
 *   W -= lr (L + eps I)^(-1/4) G (R + eps I)^(-1/4)
 * The statistics start at 0 and eps I is added when the roots are taken,
 * which equals the paper's L_0 = R_0 = eps I. The roots come from
 * eigen-decompositions L + eps I = Q diag(lambda) Q^T (Q in slots 2 and 3,
 * lambda in slots 4 and 5), recomputed every update_freq steps (steps 1,
 * 1 + update_freq, ...; every step by default) and applied as
 * Q diag(lambda^(-1/4)) Q^T. Eigenvalues below eps, which only rounding can
 * produce, are raised to eps. Each decomposition is a cyclic Jacobi
 * iteration in the step's scratch, started from the previous Q (L changes
 * little between recomputations, so Q^T (L + eps I) Q is nearly diagonal and
 * a few sweeps suffice); products go through the core's nn_gemm. A
 * recomputation costs O(m^3) for an m x m statistic: for wide layers raise
 * update_freq.
 *
 * bias b (and any tensor whose shape the caller did not give), slot 6:
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
/* slots: statistics, their eigenvectors (columns) and eigenvalues, biases' H */
enum { S_L, S_R, S_QL, S_QR, S_EL, S_ER, S_H, N_SLOTS };

/* Jacobi stops after this many sweeps (from a warm start it needs 1 to 3). */
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
    case S_QL:
        return r * r;
    case S_R:
    case S_QR:
        return c * c;
    case S_EL:
        return r;
    case S_ER:
        return c;
    default:
        return r * c;
    }
}

/* Three arrays of n = rows * cols, then three m x m, m = max(rows, cols). */
static size_t scratch_len(const nn_value *hp, int rows, int cols)
{
    const size_t m = (size_t)(rows > cols ? rows : cols), n = (size_t)rows * (size_t)cols;
    return 3 * n + 3 * m * m;
}

static int all_finite(const nn_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* C (m x n) = op(A) op(B) with op(A) (m x k), op(B) (k x n), all row-major. */
static void matmul(int ta, int tb, int m, int n, int k, const nn_real *A, const nn_real *B, nn_real *C)
{
    memset(C, 0, (size_t)m * (size_t)n * sizeof(nn_real));
    nn_gemm(ta, tb, m, n, k, 1, A, ta ? m : k, B, tb ? k : n, 0, C, n);
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

/* The rotation in the (p, q) plane that zeroes the symmetric A's a_pq:
 * A = J^T A J with rows and columns p, q changed; the rows p, q of VT (the
 * rotations' product, transposed) follow. */
static void rotate(nn_real *A, nn_real *VT, int m, int p, int q)
{
    nn_real *Ap = A + (size_t)p * (size_t)m, *Aq = A + (size_t)q * (size_t)m;
    const nn_real apq = Ap[q];
    const nn_real theta = (Aq[q] - Ap[p]) / (2 * apq);
    const nn_real t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
    const nn_real c = 1 / sqrt(t * t + 1), s = t * c;
    const nn_real app = Ap[p] - t * apq, aqq = Aq[q] + t * apq;
    for (int k = 0; k < m; k++) {
        const nn_real akp = Ap[k], akq = Aq[k];
        Ap[k] = c * akp - s * akq;
        Aq[k] = s * akp + c * akq;
        A[(size_t)k * (size_t)m + p] = Ap[k];
        A[(size_t)k * (size_t)m + q] = Aq[k];
    }
    Ap[p] = app;
    Aq[q] = aqq;
    Ap[q] = Aq[p] = 0;
    nn_real *Vp = VT + (size_t)p * (size_t)m, *Vq = VT + (size_t)q * (size_t)m;
    for (int k = 0; k < m; k++) {
        const nn_real vp = Vp[k], vq = Vq[k];
        Vp[k] = c * vp - s * vq;
        Vq[k] = s * vp + c * vq;
    }
}

/* Diagonalises the symmetric A (m x m) in place: afterwards A's diagonal
 * holds the eigenvalues and the rows of VT the eigenvectors. */
static void jacobi(nn_real *A, nn_real *VT, int m)
{
    nn_real total = 0;
    for (int i = 0; i < m * m; i++)
        total += A[i] * A[i];
    memset(VT, 0, (size_t)m * (size_t)m * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        VT[i * m + i] = 1;
    const nn_real tol = DBL_EPSILON * DBL_EPSILON * total;
    for (int sweep = 0; sweep < MAX_SWEEPS && off_diagonal(A, m) > tol; sweep++)
        for (int p = 0; p < m - 1; p++)
            for (int q = p + 1; q < m; q++) {
                const nn_real apq = A[p * m + q];
                if (apq * apq <= DBL_EPSILON * DBL_EPSILON * fabs(A[p * m + p] * A[q * m + q]))
                    A[p * m + q] = A[q * m + p] = 0; /* below rounding of the diagonal */
                else
                    rotate(A, VT, m, p, q);
            }
}

/* Q (m x m, eigenvectors in columns) and E (m) of S + eps I, starting from
 * the Q in place (the identity when Q is still all zero); work holds 3 m^2.
 * A non-finite S gives E = inf (a zero step). */
static void decompose(const nn_real *S, int m, nn_real eps, nn_real *Q, nn_real *E, nn_real *work)
{
    const size_t mm = (size_t)m * (size_t)m;
    nn_real *A = work, *T = work + mm, *Qn = work + 2 * mm;
    if (!all_finite(S, mm)) {
        for (int i = 0; i < m; i++)
            E[i] = INFINITY;
        return;
    }
    int fresh = 1;
    for (size_t i = 0; i < mm && fresh; i++)
        fresh = Q[i] == 0;
    for (int i = 0; fresh && i < m; i++)
        Q[i * m + i] = 1;
    memcpy(A, S, mm * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        A[i * m + i] = A[i * m + i] + eps;
    matmul(0, 0, m, m, m, A, Q, T); /* T = (S + eps I) Q */
    matmul(1, 0, m, m, m, Q, T, A); /* A = Q^T T, nearly diagonal */
    jacobi(A, T, m);                /* A = VT A VT^T diagonal */
    matmul(0, 1, m, m, m, Q, T, Qn);
    memcpy(Q, Qn, mm * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        E[i] = fmax(A[i * m + i], eps);
}

/* ---- the steps ------------------------------------------------------------- */

/* out = (L + eps I)^(-1/4) G (R + eps I)^(-1/4) for G (r x c); tmp holds n. */
static void precondition(const nn_optim_step *s, const nn_real *G, nn_real *tmp, nn_real *out)
{
    const int r = s->rows, c = s->cols;
    const nn_real *QL = s->slot[S_QL], *QR = s->slot[S_QR], *EL = s->slot[S_EL], *ER = s->slot[S_ER];
    matmul(1, 0, r, c, r, QL, G, tmp); /* QL^T G */
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            tmp[i * c + j] *= pow(EL[i], -0.25);
    matmul(0, 0, r, c, r, QL, tmp, out); /* P_L G */
    matmul(0, 0, r, c, c, out, QR, tmp); /* P_L G QR */
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            tmp[i * c + j] *= pow(ER[j], -0.25);
    matmul(0, 1, r, c, c, tmp, QR, out); /* P_L G P_R */
}

static void matrix_step(const nn_value *hp, const nn_optim_step *s)
{
    const int r = s->rows, c = s->cols;
    const nn_real wd = hp[P_WD].r;
    nn_real *G = s->scratch, *tmp = G + s->n, *U = tmp + s->n, *work = U + s->n;
    for (size_t i = 0; i < s->n; i++)
        G[i] = wd != 0 ? s->grad[i] + wd * s->param[i] : s->grad[i];
    nn_gemm(0, 1, r, r, c, 1, G, c, G, c, 1, s->slot[S_L], r); /* L += G G^T */
    nn_gemm(1, 0, c, c, r, 1, G, c, G, c, 1, s->slot[S_R], c); /* R += G^T G */
    if ((s->t - 1) % hp[P_FREQ].i == 0) {
        decompose(s->slot[S_L], r, hp[P_EPS].r, s->slot[S_QL], s->slot[S_EL], work);
        decompose(s->slot[S_R], c, hp[P_EPS].r, s->slot[S_QR], s->slot[S_ER], work);
    }
    precondition(s, G, tmp, U);
    if (!all_finite(U, s->n))
        return;
    for (size_t i = 0; i < s->n; i++)
        s->param[i] = s->param[i] - s->lr * U[i];
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
    .n_slots = N_SLOTS, /* L, R, Q_L, Q_R, lambda_L, lambda_R (weights); H (biases) */
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
