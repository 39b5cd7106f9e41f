/* quadratic: an ill-conditioned problem with a fixed Hessian spectrum for
 * benchmarking optimizers (the role of DeepOBS's quadratic_deep, as near as
 * a classifier gets). Inputs are x = z diag(sqrt(lambda)) Q^T with a random
 * rotation Q and a fixed spectrum lambda: features - n_large eigenvalues
 * evenly spaced over [small_lo, small_hi] and n_large over [large_lo,
 * large_hi] (DeepOBS: 90 in [0, 1] and 10 in [30, 60]). On the training split
 * z is whitened exactly (its columns centred and made orthonormal, times
 * sqrt(n_train)), so (1/m) X^T X = Q diag(lambda) Q^T to rounding and the
 * columns have mean 0: with a sigmoid output and zero initial weights the
 * Hessian of the mean loss at the start is that matrix / 4 (and 1/4 for the
 * bias), the same for every seed of the optimizer. Minibatches make the
 * gradients noisy. Labels: 1 when x . w + noise * N(0, 1) > 0 for a teacher w
 * scaled to w^T Sigma w = 1. The loss is the logistic loss, not a quadratic:
 * the curvature falls as the predictions grow confident.
 *
 * Draws from the section's stream, in order: Q (a features x features
 * Gaussian matrix row by row, orthonormalised column by column: the Q of its
 * QR factorisation with a positive diagonal of R), the teacher, then per
 * split (train, validation, test) z row by row and the label noise.
 * tests/gen_quadratic_reference.py computes the same with NumPy. */
#include "nnlab/plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { P_FEATURES, P_N_TRAIN, P_N_VAL, P_N_TEST, P_N_LARGE, P_SMALL_LO, P_SMALL_HI, P_LARGE_LO, P_LARGE_HI, P_NOISE };

static const nn_param_decl params[] = {
    {"features", NN_T_INT, 100, NULL, 2, 2000, NULL, "input dimension (the Hessian is features x features)"},
    {"n_train", NN_T_INT, 1000, NULL, 2, 1e7, NULL, "training examples (at least features: the split is whitened)"},
    {"n_val", NN_T_INT, 500, NULL, 0, 1e7, NULL, "validation examples"},
    {"n_test", NN_T_INT, 1000, NULL, 0, 1e7, NULL, "test examples"},
    {"n_large", NN_T_INT, 10, NULL, 0, 2000, NULL, "eigenvalues in the large band (the rest in the small one)"},
    {"small_lo", NN_T_REAL, 0.01, NULL, 0, 1e6, NULL, "smallest eigenvalue"},
    {"small_hi", NN_T_REAL, 1, NULL, 0, 1e6, NULL, "top of the small band"},
    {"large_lo", NN_T_REAL, 30, NULL, 0, 1e6, NULL, "bottom of the large band"},
    {"large_hi", NN_T_REAL, 60, NULL, 0, 1e6, NULL, "largest eigenvalue"},
    {"noise", NN_T_REAL, 0.5, NULL, 0, 1e3, NULL, "std of the label noise added to the teacher's score"},
};

/* k-th of n points evenly spaced over [lo, hi] (both ends; lo when n == 1). */
static double spaced(double lo, double hi, long k, long n)
{
    return n > 1 ? lo + (hi - lo) * (double)k / (double)(n - 1) : lo;
}

static void spectrum(const nn_value *hp, int d, double *lam)
{
    long nl = hp[P_N_LARGE].i, ns = d - nl;
    for (long k = 0; k < ns; k++)
        lam[k] = spaced(hp[P_SMALL_LO].r, hp[P_SMALL_HI].r, k, ns);
    for (long k = 0; k < nl; k++)
        lam[ns + k] = spaced(hp[P_LARGE_LO].r, hp[P_LARGE_HI].r, k, nl);
}

/* The columns of the row-major (m, n) matrix A made orthonormal in place
 * (modified Gram-Schmidt, twice: the Q of A = QR with R's diagonal > 0). */
static int orthonormalise(double *A, long m, int n)
{
    for (int j = 0; j < n; j++)
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (long i = 0; i < m; i++)
                    dot += A[i * n + k] * A[i * n + j];
                for (long i = 0; i < m; i++)
                    A[i * n + j] -= dot * A[i * n + k];
            }
            double nrm = 0;
            for (long i = 0; i < m; i++)
                nrm += A[i * n + j] * A[i * n + j];
            nrm = sqrt(nrm);
            if (!(nrm > 0))
                return -1;
            for (long i = 0; i < m; i++)
                A[i * n + j] /= nrm;
        }
    return 0;
}

typedef struct gen {
    int d;
    double *Q, *lam, *w, noise;  /* rotation (d, d), spectrum, teacher */
} gen;

/* X = Z diag(sqrt(lam)) Q^T row by row into the split, labels from the teacher. */
static void fill(const gen *g, nn_split *s, const double *Z, nn_rng *rng)
{
    int d = g->d;
    for (size_t i = 0; i < s->m; i++) {
        double score = 0;
        for (int a = 0; a < d; a++) {
            double v = 0;
            for (int k = 0; k < d; k++)
                v += Z[i * (size_t)d + (size_t)k] * sqrt(g->lam[k]) * g->Q[a * d + k];
            s->X[i * (size_t)d + (size_t)a] = (nn_real)v;
            score += v * g->w[a];
        }
        s->y[i] = score + g->noise * nn_rng_randn(rng) > 0;
    }
}

static int split(nn_data *out, const gen *g, nn_split *s, long m, int whiten, nn_rng *rng)
{
    if (m == 0)
        return NN_OK;
    int d = g->d;
    double *Z = malloc((size_t)m * (size_t)d * sizeof *Z);
    if (!Z)
        return NN_ENOMEM;
    nn_rng_fill_randn(rng, Z, (size_t)m * (size_t)d);
    int rc = NN_OK;
    if (whiten) {
        for (int k = 0; k < d; k++) {
            double mean = 0;
            for (long i = 0; i < m; i++)
                mean += Z[i * d + k];
            mean /= (double)m;
            for (long i = 0; i < m; i++)
                Z[i * d + k] -= mean;
        }
        rc = orthonormalise(Z, m, d) ? NN_EINPUT : NN_OK;
        for (long i = 0; rc == NN_OK && i < m * d; i++)
            Z[i] *= sqrt((double)m);
    }
    if (rc == NN_OK)
        rc = nn_split_alloc(out, s, (size_t)m, 0);
    if (rc == NN_OK)
        fill(g, s, Z, rng);
    free(Z);
    return rc;
}

/* The teacher: N(0, I) scaled to w^T Q diag(lam) Q^T w = 1. */
static void teacher(gen *g, nn_rng *rng)
{
    int d = g->d;
    nn_rng_fill_randn(rng, g->w, (size_t)d);
    double q = 0;
    for (int k = 0; k < d; k++) {
        double c = 0;
        for (int a = 0; a < d; a++)
            c += g->Q[a * d + k] * g->w[a];
        q += g->lam[k] * c * c;
    }
    for (int a = 0; a < d; a++)
        g->w[a] /= sqrt(q);
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    int d = (int)hp[P_FEATURES].i;
    if (hp[P_N_LARGE].i > d)
        return nn_err_set(err, NN_EINPUT, "n_large = %ld is more than features = %d", hp[P_N_LARGE].i, d);
    if (hp[P_N_TRAIN].i <= d)
        return nn_err_set(err, NN_EINPUT, "n_train = %ld must be more than features = %d (the training split is "
                          "whitened: its centred columns made orthonormal)", hp[P_N_TRAIN].i, d);
    if (hp[P_SMALL_LO].r > hp[P_SMALL_HI].r || hp[P_LARGE_LO].r > hp[P_LARGE_HI].r)
        return nn_err_set(err, NN_EINPUT, "a band of the spectrum has its bottom above its top");
    out->d = d;
    out->n_classes = 2;
    gen g = {d, malloc((size_t)d * (size_t)d * sizeof(double)), malloc((size_t)d * sizeof(double)),
             malloc((size_t)d * sizeof(double)), hp[P_NOISE].r};
    int rc = g.Q && g.lam && g.w ? NN_OK : NN_ENOMEM;
    if (rc == NN_OK) {
        spectrum(hp, d, g.lam);
        nn_rng_fill_randn(ctx->rng, g.Q, (size_t)d * (size_t)d);
        rc = orthonormalise(g.Q, d, d) ? NN_EINPUT : NN_OK;
    }
    if (rc == NN_OK)
        teacher(&g, ctx->rng);
    if (rc == NN_OK)
        rc = split(out, &g, &out->train, hp[P_N_TRAIN].i, 1, ctx->rng);
    if (rc == NN_OK)
        rc = split(out, &g, &out->val, hp[P_N_VAL].i, 0, ctx->rng);
    if (rc == NN_OK)
        rc = split(out, &g, &out->test, hp[P_N_TEST].i, 0, ctx->rng);
    free(g.Q);
    free(g.lam);
    free(g.w);
    if (rc == NN_ENOMEM)
        return nn_err_set(err, rc, "out of memory for %ld + %ld + %ld examples of %d features", hp[P_N_TRAIN].i,
                          hp[P_N_VAL].i, hp[P_N_TEST].i, d);
    if (rc)
        return nn_err_set(err, rc, "a random matrix came out singular (draw again with another seed)");
    return NN_OK;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "quadratic",
    "ill-conditioned Gaussian inputs with a fixed Hessian spectrum (whitened training split), labels by a noisy "
    "linear teacher: the benchmark's noisy ill-conditioned problem",
    NN_ARRAY_LEN(params), params, {.data = &ops},
};

NN_PLUGIN(desc)
