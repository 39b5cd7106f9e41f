/* fashion_features: Fashion-MNIST (IDX files, gzip-compressed or not) as
 * CS231n-style feature vectors: HOG of the grey 28x28 image with a
 * configurable cell, and/or the pixels scaled to [0, 1].
 *
 * Train = the first num_training images of train-images-idx3-ubyte(.gz),
 * val = the next num_validation, test = the first num_test of t10k. The
 * features, normalisation, bias column and cache are cifar_features' (the
 * imfeat library, plugins/lib/imfeat). The raw images of val and test stay in
 * split.images (m, 28, 28, 1) for plots; the training split holds none (they
 * would be most of the run's memory): its features are extracted from
 * windows of images read again from the train file. */
#include "nnlab/plugin.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fashion_features/idx_read.h"
#include "imfeat/imfeat.h"

enum { P_PATH, P_NTRAIN, P_NVAL, P_NTEST, P_FEATURES, P_NORMALIZE, P_BIAS, P_CACHE,
       P_HOG_CELL };

static const nn_param_decl params[] = {
    [P_PATH] = {"path", NN_T_STRING, 0, "/usr/share/datasets/fashion-mnist", 0, 0, NULL,
                "folder of the IDX files (Debian: dataset-fashion-mnist)"},
    [P_NTRAIN] = {"num_training", NN_T_INT, 55000, NULL, 1, 1e8, NULL,
                  "training images: the first ones of the train file"},
    [P_NVAL] = {"num_validation", NN_T_INT, 5000, NULL, 0, 1e8, NULL,
                "validation images: the ones after the training images"},
    [P_NTEST] = {"num_test", NN_T_INT, 10000, NULL, 0, 1e8, NULL,
                 "test images: the first ones of the t10k file"},
    [P_FEATURES] = {"features", NN_T_STRLIST, 0, "[\"hog\"]", 0, 0, "hog|pixels",
                    "features in output order (pixels are scaled to [0, 1])"},
    [P_NORMALIZE] = {"normalize", NN_T_BOOL, 1, NULL, 0, 1, NULL,
                     "subtract the training mean and divide by the training std"},
    [P_BIAS] = {"bias", NN_T_BOOL, 0, NULL, 0, 1, NULL, "append a column of ones"},
    [P_CACHE] = {"cache", NN_T_BOOL, 1, NULL, 0, 1, NULL,
                 "keep extracted features on disk (ctx cache folder, <path>/.nnlab_cache "
                 "or ~/.cache/nnlab)"},
    [P_HOG_CELL] = {"hog_cell", NN_T_INT, 7, NULL, 2, IDX_MAX_SIDE, NULL,
                    "HOG cell side in pixels (7: 4x4 cells, 4: 7x7 cells)"},
};

static const char *const class_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                            "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                            "Bag",         "Ankle boot"};

enum { F_TRAIN_X, F_TRAIN_Y, F_TEST_X, F_TEST_Y, F_COUNT };

typedef struct fashion_files {
    char path[F_COUNT][4096];
    idx_file idx[F_COUNT];
} fashion_files;

/* <dir>/<name>.gz, or <dir>/<name> when only the uncompressed file exists. */
static int pick_file(char *out, size_t n, const char *dir, const char *name, nn_err *err)
{
    char gz[4200];
    snprintf(gz, sizeof gz, "%s.gz", name);
    if (imfeat_path_join(out, n, dir, gz) != 0)
        return nn_err_set(err, NN_EINPUT, "%s: path too long", dir);
    if (access(out, F_OK) == 0)
        return NN_OK;
    char plain[4096];
    if (imfeat_path_join(plain, sizeof plain, dir, name) != 0)
        return nn_err_set(err, NN_EINPUT, "%s: path too long", dir);
    if (access(plain, F_OK) != 0)
        return nn_err_set(err, NN_EIO, "%s: No such file or directory (nor %s: the Fashion-MNIST IDX files)",
                          out, name);
    snprintf(out, n, "%s", plain);
    return NN_OK;
}

/* Opens the four files and checks them against each other and the options. */
static int open_files(fashion_files *f, const nn_value *hp, const char *dir, nn_err *err)
{
    static const char *const names[F_COUNT] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    static const uint32_t magic[F_COUNT] = {IDX_IMAGES, IDX_LABELS, IDX_IMAGES, IDX_LABELS};
    for (int i = 0; i < F_COUNT; i++) {
        int rc = pick_file(f->path[i], sizeof f->path[i], dir, names[i], err);
        if (rc == NN_OK)
            rc = idx_open(&f->idx[i], f->path[i], magic[i], err);
        if (rc != NN_OK)
            return rc;
    }
    const idx_file *tx = &f->idx[F_TRAIN_X], *sx = &f->idx[F_TEST_X];
    for (int i = F_TRAIN_Y; i < F_COUNT; i += 2)
        if (f->idx[i].count != f->idx[i - 1].count)
            return nn_err_set(err, NN_EINPUT, "%s: %u labels for the %u images of %s",
                              f->path[i], f->idx[i].count, f->idx[i - 1].count, f->path[i - 1]);
    if (sx->rows != tx->rows || sx->cols != tx->cols)
        return nn_err_set(err, NN_EINPUT, "%s: %ux%u images, but %s has %ux%u", f->path[F_TEST_X],
                          sx->rows, sx->cols, f->path[F_TRAIN_X], tx->rows, tx->cols);
    if ((uint64_t)hp[P_NTRAIN].i + (uint64_t)hp[P_NVAL].i > tx->count)
        return nn_err_set(err, NN_EINPUT,
                          "%s: holds %u images, fewer than num_training + num_validation = %ld",
                          f->path[F_TRAIN_X], tx->count, hp[P_NTRAIN].i + hp[P_NVAL].i);
    if ((uint64_t)hp[P_NTEST].i > sx->count)
        return nn_err_set(err, NN_EINPUT, "%s: holds %u images, fewer than num_test = %ld",
                          f->path[F_TEST_X], sx->count, hp[P_NTEST].i);
    return NN_OK;
}

static void close_files(fashion_files *f)
{
    for (int i = 0; i < F_COUNT; i++)
        idx_close(&f->idx[i]);
}

/* ---- reading ---------------------------------------------------------------------- */

/* s->m labels from x into s->y; each must name one of the 10 classes. */
static int read_labels(idx_file *x, nn_split *s, size_t first, nn_err *err)
{
    unsigned char buf[4096];
    for (size_t done = 0; done < s->m;) {
        size_t n = s->m - done < sizeof buf ? s->m - done : sizeof buf;
        int rc = idx_read(x, buf, n, err);
        if (rc != NN_OK)
            return rc;
        for (size_t k = 0; k < n; k++) {
            if (buf[k] >= 10)
                return nn_err_set(err, NN_EINPUT, "%s: label %zu is %d; Fashion-MNIST has 10",
                                  x->path, first + done + k, buf[k]);
            s->y[done + k] = buf[k];
        }
        done += n;
    }
    return NN_OK;
}

/* The images of split s (skipped when it holds none: the training split)
 * and its labels. */
static int read_split(fashion_files *f, int images, nn_split *s, size_t first, nn_err *err)
{
    idx_file *x = &f->idx[images];
    uint64_t n = (uint64_t)s->m * x->rows * x->cols;
    int rc = s->images ? idx_read(x, s->images, n, err) : idx_skip(x, n, err);
    return rc == NN_OK ? read_labels(&f->idx[images + 1], s, first, err) : rc;
}

/* imfeat_run.train_images: the training images, window after window in
 * order, from the train file opened again (its header checked again and
 * against the first reading: the file may have changed in between). */
typedef struct train_src {
    const char *path;
    uint32_t rows, cols;
    idx_file x;
    int open;
    size_t next; /* the first image of the next window */
} train_src;

static int train_window(void *ud, size_t first, size_t count, uint8_t *images, nn_err *err)
{
    train_src *t = ud;
    if (!t->open) {
        if (first != 0)
            return nn_err_set(err, NN_EINTERNAL, "%s: windows out of order", t->path);
        int rc = idx_open(&t->x, t->path, IDX_IMAGES, err);
        if (rc != NN_OK)
            return rc;
        t->open = 1;
        t->next = 0;
        if (t->x.rows != t->rows || t->x.cols != t->cols)
            return nn_err_set(err, NN_EINPUT, "%s: changed while being read (%ux%u images, were %ux%u)",
                              t->path, t->x.rows, t->x.cols, t->rows, t->cols);
    }
    if (first != t->next)
        return nn_err_set(err, NN_EINTERNAL, "%s: windows out of order", t->path);
    t->next = first + count;
    return idx_read(&t->x, images, (uint64_t)count * t->rows * t->cols, err);
}

static int read_all(fashion_files *f, nn_data *out, nn_err *err)
{
    int rc = read_split(f, F_TRAIN_X, &out->train, 0, err);
    if (rc == NN_OK)
        rc = read_split(f, F_TRAIN_X, &out->val, out->train.m, err);
    if (rc == NN_OK)
        rc = read_split(f, F_TEST_X, &out->test, 0, err);
    for (int i = 0; rc == NN_OK && i < F_COUNT; i++)
        rc = idx_finish(&f->idx[i], err);
    return rc;
}

/* ---- load --------------------------------------------------------------------------- */

static int setup(const nn_value *hp, const fashion_files *f, imfeat_opts *o, nn_data *out,
                 nn_err *err)
{
    const idx_file *x = &f->idx[F_TRAIN_X];
    *o = (imfeat_opts){.hog_cell = (int)hp[P_HOG_CELL].i, .hue_bins = 1,
                       .height = (int)x->rows, .width = (int)x->cols, .channels = 1};
    int rc = imfeat_parse_kinds(o, &hp[P_FEATURES], params[P_FEATURES].choices, err);
    if (rc != NN_OK)
        return rc;
    int hog = o->kinds[0] == IMFEAT_HOG || (o->n_kinds > 1 && o->kinds[1] == IMFEAT_HOG);
    if (hog && (o->hog_cell > o->height || o->hog_cell > o->width))
        return nn_err_set(err, NN_EINPUT, "hog_cell: %d is larger than the %dx%d images of %s",
                          o->hog_cell, o->height, o->width, f->path[F_TRAIN_X]);
    out->height = o->height;
    out->width = o->width;
    out->channels = 1;
    out->n_classes = 10;
    out->d = imfeat_dim(o) + (int)hp[P_BIAS].i;
    for (int k = 0; k < 10; k++)
        if (nn_data_set_class_name(out, k, class_names[k]) != NN_OK)
            return nn_err_set(err, NN_ENOMEM, "fashion_features: out of memory");
    if (nn_split_alloc(out, &out->train, (size_t)hp[P_NTRAIN].i, 0) != NN_OK
        || nn_split_alloc(out, &out->val, (size_t)hp[P_NVAL].i, 1) != NN_OK
        || nn_split_alloc(out, &out->test, (size_t)hp[P_NTEST].i, 1) != NN_OK)
        return nn_err_set(err, NN_ENOMEM, "fashion_features: out of memory for the images");
    return NN_OK;
}

static int features(const nn_value *hp, const nn_data_ctx *ctx, const fashion_files *f,
                    const imfeat_opts *o, const char *dir, nn_data *out, nn_err *err)
{
    const char *paths[F_COUNT];
    for (int i = 0; i < F_COUNT; i++)
        paths[i] = f->path[i];
    train_src src = {.path = f->path[F_TRAIN_X], .rows = (uint32_t)o->height, .cols = (uint32_t)o->width};
    imfeat_run run = {.tag = "fashion_features", .opts = o,
                      .normalize = (int)hp[P_NORMALIZE].i, .bias = (int)hp[P_BIAS].i,
                      .use_cache = (int)hp[P_CACHE].i, .data_dir = dir, .files = paths,
                      .n_files = F_COUNT, .decls = params, .hp = hp,
                      .n_decls = NN_ARRAY_LEN(params), .train_images = train_window,
                      .train_ud = &src};
    int rc = imfeat_fill(&run, ctx, out, err);
    if (src.open)
        idx_close(&src.x);
    return rc;
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    fashion_files files;
    imfeat_opts opts;
    char dir[4096];
    memset(&files, 0, sizeof files);
    if (imfeat_path_join(dir, sizeof dir, ctx->base_dir, hp[P_PATH].s) != 0)
        return nn_err_set(err, NN_EINPUT, "path: '%s' is too long", hp[P_PATH].s);
    int rc = open_files(&files, hp, dir, err);
    if (rc == NN_OK)
        rc = setup(hp, &files, &opts, out, err);
    if (rc == NN_OK)
        rc = read_all(&files, out, err);
    close_files(&files);
    if (rc == NN_OK)
        rc = features(hp, ctx, &files, &opts, dir, out, err);
    return rc;
}

static const nn_data_ops ops = {.load = load};

static const nn_plugin plugin = {
    .abi_version = NN_ABI_VERSION,
    .real_size = sizeof(nn_real),
    .kind = NN_KIND_DATA,
    .name = "fashion_features",
    .doc = "Fashion-MNIST (IDX, gzip) as HOG and/or pixel features",
    .n_params = NN_ARRAY_LEN(params),
    .params = params,
    .ops.data = &ops,
};

NN_PLUGIN(plugin)
