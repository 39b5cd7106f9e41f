/* planar: generated 2-D two-class data sets. circles and moons are generated
 * exactly as scikit-learn 1.2's make_circles / make_moons with NumPy's legacy
 * stream, so the same seeds give the course notebooks' points. */
#include "nnlab/plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { P_SHAPE, P_N_TRAIN, P_N_VAL, P_N_TEST, P_NOISE, P_FACTOR, P_VAL_SEED, P_TEST_SEED };

static const nn_param_decl params[] = {
    {"shape", NN_T_STRING, 0, "circles", 0, 0, "circles|moons", "which generator"},
    {"n_train", NN_T_INT, 300, NULL, 2, 1e7, NULL, "training points"},
    {"n_val", NN_T_INT, 0, NULL, 0, 1e7, NULL, "validation points (0 = no validation split)"},
    {"n_test", NN_T_INT, 100, NULL, 0, 1e7, NULL, "test points"},
    {"noise", NN_T_REAL, 0.05, NULL, 0, 100, NULL, "standard deviation of Gaussian noise added to the points"},
    {"factor", NN_T_REAL, 0.8, NULL, 0, 0.999999, NULL, "circles: inner radius / outer radius"},
    {"val_seed", NN_T_INT, -1, NULL, -1, 4294967295.0, NULL,
     "reseed before the validation split (-1: continue the data stream)"},
    {"test_seed", NN_T_INT, -1, NULL, -1, 4294967295.0, NULL,
     "reseed before the test split (-1: continue the data stream)"},
};

/* np.linspace(0, stop, num, endpoint) */
static double linspace(double stop, long num, int endpoint, long i)
{
    long div = endpoint ? num - 1 : num;
    if (div <= 0)
        return 0.0;
    if (endpoint && i == num - 1)
        return stop;
    return (double)i * (stop / (double)div);
}

/* Unshuffled points: first n_out of class 0 then n_in of class 1. */
static void base_points(const char *shape, double factor, long n, double *X, int32_t *y)
{
    long n_out = n / 2, n_in = n - n_out;
    int moons = strcmp(shape, "moons") == 0;
    for (long i = 0; i < n_out; i++) {
        double t = moons ? linspace(M_PI, n_out, 1, i) : linspace(2 * M_PI, n_out, 0, i);
        X[2 * i] = cos(t);
        X[2 * i + 1] = sin(t);
        y[i] = 0;
    }
    for (long i = 0; i < n_in; i++) {
        double *p = X + 2 * (n_out + i);
        if (moons) {
            double t = linspace(M_PI, n_in, 1, i);
            p[0] = 1 - cos(t);
            p[1] = 1 - sin(t) - 0.5;
        } else {
            double t = linspace(2 * M_PI, n_in, 0, i);
            p[0] = cos(t) * factor;
            p[1] = sin(t) * factor;
        }
        y[n_out + i] = 1;
    }
}

/* sklearn: X, y = shuffle(X, y, random_state=gen); X += gen.normal(scale=noise, size=X.shape) */
static int generate(const nn_value *hp, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    double *bx = malloc((size_t)n * 2 * sizeof(double));
    int32_t *by = malloc((size_t)n * sizeof(int32_t));
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    if (!bx || !by || !idx) {
        free(bx);
        free(by);
        free(idx);
        return NN_ENOMEM;
    }
    base_points(hp[P_SHAPE].s, hp[P_FACTOR].r, n, bx, by);
    nn_rng_permutation(rng, idx, (size_t)n);
    for (long i = 0; i < n; i++) {
        X[2 * i] = bx[2 * idx[i]];
        X[2 * i + 1] = bx[2 * idx[i] + 1];
        y[i] = by[idx[i]];
    }
    for (long i = 0; i < 2 * n; i++)
        X[i] += hp[P_NOISE].r * nn_rng_randn(rng);
    free(bx);
    free(by);
    free(idx);
    return NN_OK;
}

static int make_split(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_split *s,
                      long n, long seed)
{
    if (n == 0)
        return NN_OK;
    if (seed >= 0)
        nn_rng_seed(ctx->rng, (uint32_t)seed);
    int rc = nn_split_alloc(out, s, (size_t)n, 0);
    return rc ? rc : generate(hp, ctx->rng, n, s->X, s->y);
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    out->d = 2;
    out->n_classes = 2;
    int rc = make_split(hp, ctx, out, &out->train, hp[P_N_TRAIN].i, -1);
    if (!rc)
        rc = make_split(hp, ctx, out, &out->val, hp[P_N_VAL].i, hp[P_VAL_SEED].i);
    if (!rc)
        rc = make_split(hp, ctx, out, &out->test, hp[P_N_TEST].i, hp[P_TEST_SEED].i);
    if (rc)
        return nn_err_set(err, rc, "out of memory generating %s data", hp[P_SHAPE].s);
    nn_data_set_class_name(out, 0, "red");
    nn_data_set_class_name(out, 1, "blue");
    return NN_OK;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "planar",
    "generated 2-D two-class sets (scikit-learn's circles and moons, same seeds, same points)",
    NN_ARRAY_LEN(params), params, {.data = &ops}};

NN_PLUGIN(desc)
