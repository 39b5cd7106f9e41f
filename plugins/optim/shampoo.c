/* shampoo: Shampoo (Gupta, Koren, Singer 2018, "Shampoo: Preconditioned
 * Stochastic Tensor Optimization", Algorithm 1) for weight matrices, a
 * diagonal AdaGrad-style rule for biases. With G = g + weight_decay W:
 *
 * weight W (rows x cols):
 *   L += G G^T (slot 0, rows x rows),  R += G^T G (slot 1, cols x cols)
 *   W -= lr (L + eps I)^(-1/4) G (R + eps I)^(-1/4)
 * The statistics start at 0 and eps I is added when the roots are taken,
 * which equals the paper's L_0 = R_0 = eps I. The roots come from
 * eigen-decompositions L + eps I = V^T diag(lambda) V (eigenvectors in the
 * rows of V: slots 2 and 3; lambda: slots 4 and 5), recomputed every
 * update_freq steps (steps 1, 1 + update_freq, ...; every step by default)
 * and applied as V^T diag(lambda^(-1/4)) V. Eigenvalues below eps, which
 * only rounding can produce, are raised to eps. A decomposition is a
 * Householder reduction to tridiagonal form and the implicit QL iteration,
 * in the step's scratch, written here (no LAPACK); products go through the
 * core's nn_gemm. A recomputation costs about 9 m^3 flops for an m x m
 * statistic: for wide layers raise update_freq.
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
/* slots: statistics, their eigenvectors (rows) and eigenvalues, biases' H */
enum { S_L, S_R, S_VL, S_VR, S_EL, S_ER, S_H, N_SLOTS };

/* QL gives up on an eigenvalue after this many iterations (it needs 1 to 3). */
#define MAX_QL_ITER 60


static size_t slot_len(const nn_value *hp, int slot, int rows, int cols)
{
    const size_t r = (size_t)rows, c = (size_t)cols;
    switch (slot) {
    case S_L:
    case S_VL:
        return r * r;
    case S_R:
    case S_VR:
        return c * c;
    case S_EL:
        return r;
    case S_ER:
        return c;
    default:
        return r * c;
    }
}

/* Three arrays of n = rows * cols, then m^2 + 3 m, m = max(rows, cols). */
static size_t scratch_len(const nn_value *hp, int rows, int cols)
{
    const size_t m = (size_t)(rows > cols ? rows : cols), n = (size_t)rows * (size_t)cols;
    return 3 * n + m * m + 3 * m;
}

/* A weight with its shape, slots as slot_len() declared them and scratch. */
static int is_matrix(const nn_value *hp, const nn_optim_step *s)
{
    if (s->is_bias || s->rows <= 0 || s->cols <= 0 || !s->scratch || !s->slot_len ||
        (size_t)s->rows * (size_t)s->cols != s->n ||
        s->scratch_len < scratch_len(hp, s->rows, s->cols))
        return 0;
    for (int k = 0; k < N_SLOTS; k++)
        if (s->slot_len[k] < slot_len(hp, k, s->rows, s->cols))
            return 0;
    return 1;
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

/* ---- symmetric eigen-decomposition ------------------------------------------
 * Householder reduction to tridiagonal form, then the implicit QL iteration
 * with Wilkinson-type shifts. Eigenvectors are kept as the rows of V so that
 * every update runs along contiguous memory. */

/* Rows k+1.. of V (m x m) := H V with H = I - beta v v^T acting there. */
static void reflect_rows(nn_real *V, int m, int k, const nn_real *v, nn_real beta, nn_real *u)
{
    memset(u, 0, (size_t)m * sizeof(nn_real));
    for (int i = k + 1; i < m; i++)
        for (int j = 0; j < m; j++)
            u[j] += v[i - k - 1] * V[i * m + j];
    for (int i = k + 1; i < m; i++)
        for (int j = 0; j < m; j++)
            V[i * m + j] -= beta * v[i - k - 1] * u[j];
}

/* One Householder step: zeroes row and column k of the symmetric A beyond
 * the subdiagonal, A22 = H A22 H; returns the new subdiagonal element.
 * v and p hold m each. */
static nn_real householder(nn_real *A, nn_real *V, int m, int k, nn_real *v, nn_real *p)
{
    const int len = m - k - 1;
    nn_real *x = A + (size_t)k * (size_t)m + k + 1, sigma2 = 0;
    for (int i = 0; i < len; i++)
        sigma2 += x[i] * x[i];
    if (sigma2 == 0)
        return 0;
    const nn_real alpha = x[0] > 0 ? -sqrt(sigma2) : sqrt(sigma2);
    nn_real vv = 0, K = 0;
    for (int i = 0; i < len; i++) {
        v[i] = i == 0 ? x[0] - alpha : x[i];
        vv += v[i] * v[i];
    }
    const nn_real beta = 2 / vv;
    for (int i = 0; i < len; i++) { /* p = beta A22 v */
        const nn_real *row = A + (size_t)(k + 1 + i) * (size_t)m + k + 1;
        nn_real sum = 0;
        for (int j = 0; j < len; j++)
            sum += row[j] * v[j];
        p[i] = beta * sum;
        K += v[i] * p[i];
    }
    K = K * beta / 2;
    for (int i = 0; i < len; i++) /* p := w = p - K v */
        p[i] -= K * v[i];
    for (int i = 0; i < len; i++) { /* A22 -= v w^T + w v^T */
        nn_real *row = A + (size_t)(k + 1 + i) * (size_t)m + k + 1;
        for (int j = 0; j < len; j++)
            row[j] -= v[i] * p[j] + p[i] * v[j];
    }
    reflect_rows(V, m, k, v, beta, p);
    return alpha;
}

/* A (m x m, destroyed) = V^T T V with T tridiagonal: d (m) its diagonal,
 * e (m) its subdiagonal (e[i] couples i and i + 1, e[m-1] = 0). */
static void tridiagonalize(nn_real *A, int m, nn_real *d, nn_real *e, nn_real *V, nn_real *v,
                           nn_real *p)
{
    memset(V, 0, (size_t)m * (size_t)m * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        V[i * m + i] = 1;
    for (int k = 0; k < m; k++) {
        e[k] = k + 1 < m ? A[k * m + k + 1] : 0;
        if (k + 2 < m)
            e[k] = householder(A, V, m, k, v, p);
        d[k] = A[k * m + k];
    }
}

/* Rows i and i + 1 of V rotated by (c, s). */
static void rotate_rows(nn_real *V, int m, int i, nn_real c, nn_real s)
{
    nn_real *a = V + (size_t)i * (size_t)m, *b = a + m;
    for (int k = 0; k < m; k++) {
        const nn_real f = b[k];
        b[k] = s * a[k] + c * f;
        a[k] = c * a[k] - s * f;
    }
}

/* Smallest k >= l whose subdiagonal e[k] is negligible (m - 1 at most). */
static int split_point(const nn_real *d, const nn_real *e, int m, int l)
{
    int k = l;
    while (k < m - 1 && fabs(e[k]) > DBL_EPSILON * (fabs(d[k]) + fabs(d[k + 1])))
        k++;
    return k;
}

/* One implicit QL sweep over rows l..k of the tridiagonal (d, e); returns 0
 * when it stopped early on an underflow (and should be repeated). */
static int ql_sweep(nn_real *d, nn_real *e, nn_real *V, int m, int l, int k)
{
    nn_real g = (d[l + 1] - d[l]) / (2 * e[l]), r = hypot(g, 1);
    g = d[k] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
    nn_real s = 1, c = 1, p = 0;
    for (int i = k - 1; i >= l; i--) {
        const nn_real f = s * e[i], b = c * e[i];
        r = hypot(f, g);
        e[i + 1] = r;
        if (r == 0) {
            d[i + 1] -= p;
            e[k] = 0;
            return 0;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        rotate_rows(V, m, i, c, s);
    }
    d[l] -= p;
    e[l] = g;
    e[k] = 0;
    return 1;
}

/* Eigenvalues d of the tridiagonal (d, e); V's rows turn into the eigenvectors. */
static void tridiagonal_ql(nn_real *d, nn_real *e, nn_real *V, int m)
{
    for (int l = 0; l < m; l++)
        for (int iter = 0; iter < MAX_QL_ITER; iter++) {
            int k = split_point(d, e, m, l);
            if (k == l)
                break;
            ql_sweep(d, e, V, m, l, k);
        }
}

/* V (m x m, eigenvectors in rows) and E (m) of S + eps I; work holds
 * m^2 + 3 m. A non-finite S gives E = inf (a zero step). */
static void decompose(const nn_real *S, int m, nn_real eps, nn_real *V, nn_real *E, nn_real *work)
{
    const size_t mm = (size_t)m * (size_t)m;
    nn_real *A = work, *e = A + mm, *v = e + m, *p = v + m;
    if (!all_finite(S, mm)) {
        for (int i = 0; i < m; i++)
            E[i] = INFINITY;
        return;
    }
    memcpy(A, S, mm * sizeof(nn_real));
    for (int i = 0; i < m; i++)
        A[i * m + i] = A[i * m + i] + eps;
    tridiagonalize(A, m, E, e, V, v, p);
    tridiagonal_ql(E, e, V, m);
    for (int i = 0; i < m; i++)
        E[i] = fmax(E[i], eps);
}

/* ---- the steps ------------------------------------------------------------- */

/* out = (L + eps I)^(-1/4) G (R + eps I)^(-1/4) for G (r x c), with
 * (S + eps I)^(-1/4) = V^T diag(E^(-1/4)) V; tmp holds n. */
static void precondition(const nn_optim_step *s, const nn_real *G, nn_real *tmp, nn_real *out)
{
    const int r = s->rows, c = s->cols;
    const nn_real *VL = s->slot[S_VL], *VR = s->slot[S_VR], *EL = s->slot[S_EL], *ER = s->slot[S_ER];
    matmul(0, 0, r, c, r, VL, G, tmp); /* VL G */
    for (int i = 0; i < r; i++) {
        const nn_real w = pow(EL[i], -0.25);
        for (int j = 0; j < c; j++)
            tmp[i * c + j] *= w;
    }
    matmul(1, 0, r, c, r, VL, tmp, out); /* P_L G */
    matmul(0, 1, r, c, c, out, VR, tmp); /* P_L G VR^T */
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            tmp[i * c + j] *= pow(ER[j], -0.25);
    matmul(0, 0, r, c, c, tmp, VR, out); /* P_L G P_R */
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
        decompose(s->slot[S_L], r, hp[P_EPS].r, s->slot[S_VL], s->slot[S_EL], work);
        decompose(s->slot[S_R], c, hp[P_EPS].r, s->slot[S_VR], s->slot[S_ER], work);
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
    if (s->slot_len && s->slot_len[S_H] < s->n)
        return; /* slots not as slot_len() declared them */
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
    if (is_matrix(hp, s))
        matrix_step(hp, s);
    else
        diagonal_step(hp, s);
}

static const nn_optim_ops ops = {
    .n_slots = N_SLOTS, /* L, R, V_L, V_R, lambda_L, lambda_R (weights); H (biases) */
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
