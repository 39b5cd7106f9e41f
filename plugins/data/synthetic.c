/* synthetic: random classification data of any size, for benchmarks and
 * smoke tests. A teacher matrix T (features, classes) with N(0, 1 / features)
 * entries is drawn first; then every example is x ~ N(0, I) and its label the
 * argmax over classes of x T + noise * N(0, 1), so a network can learn it
 * (noise 0: a linear rule a softmax model fits exactly). Splits are drawn in
 * the order train, validation, test from the section's stream. */
#include "nnlab/plugin.h"

#include <math.h>
#include <stdlib.h>

enum { P_FEATURES, P_CLASSES, P_N_TRAIN, P_N_VAL, P_N_TEST, P_NOISE };

static const nn_param_decl params[] = {
    {"features", NN_T_INT, 154, NULL, 1, 1e6, NULL, "input dimension"},
    {"classes", NN_T_INT, 10, NULL, 2, NN_MAX_CLASSES, NULL, "number of classes"},
    {"n_train", NN_T_INT, 49000, NULL, 1, 1e8, NULL, "training examples"},
    {"n_val", NN_T_INT, 1000, NULL, 0, 1e8, NULL, "validation examples"},
    {"n_test", NN_T_INT, 0, NULL, 0, 1e8, NULL, "test examples"},
    {"noise", NN_T_REAL, 0.5, NULL, 0, 1e3, NULL, "std of the label noise added to the teacher's scores"},
};

static int draw_split(nn_data *d, nn_split *s, long m, const double *T, double noise, nn_rng *rng)
{
    if (m == 0)
        return NN_OK;
    int rc = nn_split_alloc(d, s, (size_t)m, 0);
    if (rc)
        return rc;
    int D = d->d, K = d->n_classes;
    double *score = malloc((size_t)K * sizeof(double));
    if (!score)
        return NN_ENOMEM;
    for (long i = 0; i < m; i++) {
        nn_real *x = s->X + (size_t)i * (size_t)D;
        for (int f = 0; f < D; f++)
            x[f] = (nn_real)nn_rng_randn(rng);
        int best = 0;
        for (int k = 0; k < K; k++) {
            double v = noise * nn_rng_randn(rng);
            for (int f = 0; f < D; f++)
                v += (double)x[f] * T[(size_t)f * (size_t)K + (size_t)k];
            score[k] = v;
            if (v > score[best])
                best = k;
        }
        s->y[i] = best;
    }
    free(score);
    return NN_OK;
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    out->d = (int)hp[P_FEATURES].i;
    out->n_classes = (int)hp[P_CLASSES].i;
    size_t nt = (size_t)out->d * (size_t)out->n_classes;
    double *T = malloc(nt * sizeof(double));
    if (!T)
        return nn_err_set(err, NN_ENOMEM, "out of memory for the teacher (%zu values)", nt);
    double scale = 1.0 / sqrt((double)out->d);
    for (size_t i = 0; i < nt; i++)
        T[i] = scale * nn_rng_randn(ctx->rng);
    double noise = hp[P_NOISE].r;
    int rc = draw_split(out, &out->train, hp[P_N_TRAIN].i, T, noise, ctx->rng);
    if (rc == NN_OK)
        rc = draw_split(out, &out->val, hp[P_N_VAL].i, T, noise, ctx->rng);
    if (rc == NN_OK)
        rc = draw_split(out, &out->test, hp[P_N_TEST].i, T, noise, ctx->rng);
    free(T);
    if (rc)
        return nn_err_set(err, rc, "out of memory for %ld + %ld + %ld examples of %d features",
                          hp[P_N_TRAIN].i, hp[P_N_VAL].i, hp[P_N_TEST].i, out->d);
    return NN_OK;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "synthetic",
    "random Gaussian examples labelled by a random linear teacher plus noise (benchmarks, smoke tests)",
    NN_ARRAY_LEN(params), params, {.data = &ops},
};

NN_PLUGIN(desc)
