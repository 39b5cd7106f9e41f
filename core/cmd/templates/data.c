/* @NAME@: an nnlab data plugin, started with `nnlab new data @NAME@`.
 *
 * As generated: Gaussian blobs, one per class, centres on a circle of
 * radius `spread` in the first two of `features` dimensions. Replace load()
 * with your reader: allocate each split with nn_split_alloc (the core owns
 * the memory), fill X (m x d, row-major) and y (labels 0 .. n_classes-1).
 * Read files relative to ctx->base_dir (the experiment file's folder) and
 * report a missing file with NN_EIO and a message naming it.
 * What nnlab check verifies: shapes and labels consistent, every declared
 * class present, no NaN or Inf, the same seed gives identical data (draw
 * only from ctx->rng), and no row occurs in two splits.
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags --libs nnlab) @NAME@.c -o @NAME@.so
 * Check:  nnlab check ./@NAME@.so
 * Use:    data = { plugin = "@NAME@"; n_train = 500; };  (NNLAB_PLUGIN_PATH or --plugin-path)
 */
#include <nnlab/plugin.h>

#include <math.h>
#include <stdio.h>

enum { P_N_TRAIN, P_N_TEST, P_CLASSES, P_FEATURES, P_SPREAD };

static const nn_param_decl params[] = {
    /* name, type, default, default string, min, max, choices, one-line doc */
    {"n_train", NN_T_INT, 300, NULL, 2, 1e7, NULL, "training examples"},
    {"n_test", NN_T_INT, 100, NULL, 0, 1e7, NULL, "test examples"},
    {"classes", NN_T_INT, 3, NULL, 2, 100, NULL, "number of classes (blobs)"},
    {"features", NN_T_INT, 2, NULL, 2, 10000, NULL, "dimensions; the blobs differ in the first two"},
    {"spread", NN_T_REAL, 3.0, NULL, 0, 1e6, NULL, "distance of the blob centres from the origin"},
};

static void blobs(const nn_value *hp, nn_rng *rng, int d, nn_split *s)
{
    int K = (int)hp[P_CLASSES].i;
    for (size_t i = 0; i < s->m; i++) {
        int k = (int)(i % (size_t)K);
        double angle = 2 * 3.14159265358979323846 * k / K;
        nn_real *x = s->X + i * (size_t)d;
        for (int f = 0; f < d; f++)
            x[f] = nn_rng_randn(rng);
        x[0] += hp[P_SPREAD].r * cos(angle);
        x[1] += hp[P_SPREAD].r * sin(angle);
        s->y[i] = k;
    }
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    out->d = (int)hp[P_FEATURES].i;
    out->n_classes = (int)hp[P_CLASSES].i;
    int rc = nn_split_alloc(out, &out->train, (size_t)hp[P_N_TRAIN].i, 0);
    if (rc == NN_OK && hp[P_N_TEST].i > 0)
        rc = nn_split_alloc(out, &out->test, (size_t)hp[P_N_TEST].i, 0);
    if (rc)
        return nn_err_set(err, rc, "out of memory for %ld examples", hp[P_N_TRAIN].i + hp[P_N_TEST].i);
    blobs(hp, ctx->rng, out->d, &out->train);
    blobs(hp, ctx->rng, out->d, &out->test);
    for (int k = 0; k < out->n_classes; k++) {
        char name[32];
        snprintf(name, sizeof name, "blob %d", k);
        nn_data_set_class_name(out, k, name);
    }
    return NN_OK;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA,
    "@NAME@",                                     /* must equal the file name, @NAME@.so */
    "Gaussian blobs, one per class (edit this description)",
    NN_ARRAY_LEN(params), params, {.data = &ops}};

NN_PLUGIN(desc)
