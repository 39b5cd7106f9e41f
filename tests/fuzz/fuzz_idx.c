/* fuzz_idx.c: libFuzzer harness of the fashion_features data plugin
 * (plugins/data/fashion_features.c with its IDX reader, compiled in with
 * the imfeat library and zlib), through its load operation: the four IDX
 * headers against each other, gzip or plain data, labels, then feature
 * extraction on the images read.
 *
 * Parts (fuzz.h): 0 the body of the data section (split sizes, features,
 * hog_cell, ...; path and cache are set here, the cache off), 1 the train
 * images, 2 the train labels, 3 the t10k images, 4 the t10k labels (each
 * gzip-compressed or not). Inputs asking for more than 64 images are
 * skipped. */
#include "../../plugins/data/fashion_features.c"

#include <math.h>
#include <stdlib.h>

#include "data.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FALLBACK "num_training = 2; num_validation = 1; num_test = 1; hog_cell = 2;"

static void check_split(const nn_data *d, const nn_split *s)
{
    for (size_t i = 0; i < s->m; i++)
        if (s->y[i] < 0 || s->y[i] >= d->n_classes)
            abort();
    for (size_t i = 0; i < s->m * (size_t)d->d; i++)
        if (!isfinite(s->X[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[F_COUNT] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    fuzz_part part[F_COUNT + 1];
    int n = fuzz_split(data, size, part, F_COUNT + 1);
    static fuzz_params b;
    nn_err err = {{0}};
    if (fuzz_params_read(&b, nnlab_plugin(), part[0].p, part[0].n, &err) != 0
        && fuzz_params_read(&b, nnlab_plugin(), FALLBACK, strlen(FALLBACK), &err) != 0)
        abort();
    nn_value *hp = b.s->values;
    if (hp[P_NTRAIN].i + hp[P_NVAL].i + hp[P_NTEST].i > 64) {
        fuzz_params_free(&b);
        return 0;
    }
    hp[P_PATH].s = ".";
    hp[P_CACHE].i = 0;
    for (int i = 0; i < F_COUNT; i++)
        if (!fuzz_write(i, names[i], i + 1 < n ? part[i + 1].p : (const uint8_t *)"",
                        i + 1 < n ? part[i + 1].n : 0))
            abort();
    nn_data d;
    memset(&d, 0, sizeof d);
    nn_data_ctx ctx = {.base_dir = fuzz_dir(), .config_file = "fuzz", .threads = 1, .quiet = 1};
    int rc = load(hp, &ctx, &d, &err);
    if (rc == NN_OK) {
        if (d.d <= 0 || d.n_classes != 10 || d.train.m != (size_t)hp[P_NTRAIN].i)
            abort();
        check_split(&d, &d.train);
        check_split(&d, &d.val);
        check_split(&d, &d.test);
    } else if (!err.msg[0]) {
        abort();
    }
    nn_data_free(&d);
    fuzz_params_free(&b);
    return 0;
}
