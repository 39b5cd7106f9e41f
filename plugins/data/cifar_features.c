/* cifar_features: CIFAR-10 (binary version) as CS231n's feature vectors.
 *
 * Train = the first num_training records of data_batch_1..5.bin in order,
 * val = the next num_validation, test = the first num_test of test_batch.bin;
 * class names from batches.meta.txt. X holds the features listed in
 * `features` (HOG, hue histogram, pixels; definitions in
 * the imfeat library's imfeat.h, identical to CS231n's features.py), normalised with
 * the training mean and std as the assignment does, optionally with a column
 * of ones. The raw images of val and test stay in split.images (m, 32, 32, 3)
 * for plots; the training split holds none (they would be most of the run's
 * memory): its features are extracted from windows of images read again. 
 * Features are cached on disk, keyed by the files' sizes and times and every
 * option. */
#include "nnlab/plugin.h"

#include <stdio.h>
#include <string.h>

#include "cifar_features/cifar_read.h"
#include "imfeat/imfeat.h"

enum { P_PATH, P_NTRAIN, P_NVAL, P_NTEST, P_FEATURES, P_HUE_BINS, P_GREY, P_NORMALIZE,
       P_BIAS, P_CACHE, P_HOG_CELL };

static const nn_param_decl params[] = {
    [P_PATH] = {"path", NN_T_STRING, 0, "cifar-10-batches-bin", 0, 0, NULL,
                "folder of the CIFAR-10 binary version (relative to the experiment file)"},
    [P_NTRAIN] = {"num_training", NN_T_INT, 49000, NULL, 1, 1e8, NULL,
                  "training images: the first ones of the data batches"},
    [P_NVAL] = {"num_validation", NN_T_INT, 1000, NULL, 0, 1e8, NULL,
                "validation images: the ones after the training images"},
    [P_NTEST] = {"num_test", NN_T_INT, 1000, NULL, 0, 1e8, NULL,
                 "test images: the first ones of test_batch.bin"},
    [P_FEATURES] = {"features", NN_T_STRLIST, 0, "[\"hog\", \"hue_hist\"]", 0, 0,
                    "hog|hue_hist|pixels", "features in output order"},
    [P_HUE_BINS] = {"hue_bins", NN_T_INT, 10, NULL, 1, IMFEAT_HUE_MAX_BINS, NULL,
                    "bins of the hue histogram"},
    [P_GREY] = {"grey", NN_T_STRING, 0, "cs231n", 0, 0, "cs231n|bt601",
                "grey weights for HOG: cs231n = 0.299, 0.587, 0.144 (as shipped); "
                "bt601 = 0.299, 0.587, 0.114"},
    [P_NORMALIZE] = {"normalize", NN_T_BOOL, 1, NULL, 0, 1, NULL,
                     "subtract the training mean and divide by the training std"},
    [P_BIAS] = {"bias", NN_T_BOOL, 0, NULL, 0, 1, NULL, "append a column of ones"},
    [P_CACHE] = {"cache", NN_T_BOOL, 1, NULL, 0, 1, NULL,
                 "keep extracted features on disk (ctx cache folder or <path>/.nnlab_cache)"},
    [P_HOG_CELL] = {"hog_cell", NN_T_INT, 8, NULL, 2, CIFAR_SIDE, NULL,
                    "HOG cell side in pixels"},
};

/* Feature options for 32x32 RGB images. */
static int feature_opts(const nn_value *hp, imfeat_opts *o, nn_err *err)
{
    static const double cs231n[3] = {0.299, 0.587, 0.144}, bt601[3] = {0.299, 0.587, 0.114};
    int bt = strcmp(hp[P_GREY].s, "bt601") == 0;
    *o = (imfeat_opts){.hog_cell = (int)hp[P_HOG_CELL].i, .hue_bins = (int)hp[P_HUE_BINS].i,
                       .height = CIFAR_SIDE, .width = CIFAR_SIDE, .channels = 3};
    for (int c = 0; c < 3; c++)
        o->grey[c] = bt ? bt601[c] : cs231n[c];
    return imfeat_parse_kinds(o, &hp[P_FEATURES], params[P_FEATURES].choices, err);
}

/* Enough records for the splits asked for? */
static int check_counts(const nn_value *hp, const cifar_files *f, const char *dir,
                        nn_err *err)
{
    size_t have = cifar_train_records(f), want = (size_t)(hp[P_NTRAIN].i + hp[P_NVAL].i);
    if (want > have)
        return nn_err_set(err, NN_EINPUT,
                          "%s: the data batches hold %zu images, fewer than num_training + "
                          "num_validation = %zu",
                          dir, have, want);
    if ((size_t)hp[P_NTEST].i > f->records[CIFAR_BATCHES])
        return nn_err_set(err, NN_EINPUT, "%s: holds %zu images, fewer than num_test = %ld",
                          f->batch[CIFAR_BATCHES], f->records[CIFAR_BATCHES],
                          hp[P_NTEST].i);
    return NN_OK;
}

static int alloc_splits(const nn_value *hp, nn_data *out, nn_err *err)
{
    out->height = out->width = CIFAR_SIDE;
    out->channels = 3;
    if (nn_split_alloc(out, &out->train, (size_t)hp[P_NTRAIN].i, 0) != NN_OK
        || nn_split_alloc(out, &out->val, (size_t)hp[P_NVAL].i, 1) != NN_OK
        || nn_split_alloc(out, &out->test, (size_t)hp[P_NTEST].i, 1) != NN_OK)
        return nn_err_set(err, NN_ENOMEM, "cifar_features: out of memory for %ld images",
                          hp[P_NTRAIN].i + hp[P_NVAL].i + hp[P_NTEST].i);
    return NN_OK;
}

/* Everything up to the features: files, classes, splits, images. */
static int load_images(const nn_value *hp, const char *dir, cifar_files *f, nn_data *out,
                       nn_err *err)
{
    int rc = cifar_locate(f, dir, err);
    if (rc == NN_OK)
        rc = check_counts(hp, f, dir, err);
    if (rc == NN_OK)
        rc = cifar_read_meta(f->meta, out, err);
    if (rc == NN_OK)
        rc = alloc_splits(hp, out, err);
    if (rc == NN_OK)
        rc = cifar_read(f, out, err);
    return rc;
}

/* imfeat_run.train_images: a window of training images from the files. */
typedef struct window_src {
    const cifar_files *files;
    const nn_data *data;
} window_src;

static int train_window(void *ud, size_t first, size_t count, uint8_t *images, nn_err *err)
{
    const window_src *w = ud;
    return cifar_read_train_window(w->files, w->data, first, count, images, err);
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    cifar_files files;
    imfeat_opts opts;
    char dir[4096];
    int rc = feature_opts(hp, &opts, err);
    if (rc != NN_OK)
        return rc;
    if (imfeat_path_join(dir, sizeof dir, ctx->base_dir, hp[P_PATH].s) != 0)
        return nn_err_set(err, NN_EINPUT, "path: '%s' is too long", hp[P_PATH].s);
    out->d = imfeat_dim(&opts) + (int)hp[P_BIAS].i;
    rc = load_images(hp, dir, &files, out, err);
    if (rc != NN_OK)
        return rc;
    const char *paths[CIFAR_BATCHES + 2];
    for (int b = 0; b <= CIFAR_BATCHES; b++)
        paths[b] = files.batch[b];
    paths[CIFAR_BATCHES + 1] = files.meta;
    window_src src = {&files, out};
    imfeat_run run = {.tag = "cifar_features", .opts = &opts,
                      .normalize = (int)hp[P_NORMALIZE].i, .bias = (int)hp[P_BIAS].i,
                      .use_cache = (int)hp[P_CACHE].i, .data_dir = dir, .files = paths,
                      .n_files = NN_ARRAY_LEN(paths), .decls = params, .hp = hp,
                      .n_decls = NN_ARRAY_LEN(params), .train_images = train_window,
                      .train_ud = &src};
    return imfeat_fill(&run, ctx, out, err);
}

static const nn_data_ops ops = {.load = load};

static const nn_plugin plugin = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_DATA,
    .name = "cifar_features",
    .doc = "CIFAR-10 binary version as CS231n features (HOG, hue histogram, pixels)",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops.data = &ops,
};

NN_PLUGIN(plugin)
