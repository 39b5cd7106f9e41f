/* fuzz_cifar.c: libFuzzer harness of the cifar_features data plugin
 * (plugins/data/cifar_features.c with its CIFAR-10 reader, compiled in with
 * the imfeat library), through its load operation: file checks, class
 * names, records, labels, then feature extraction on the images read.
 *
 * Parts (fuzz.h): 0 the body of the data section (split sizes, features,
 * hog_cell, hue_bins, ...; path and cache are set here, the cache off),
 * 1 batches.meta.txt, 2 the records of each of data_batch_1..5.bin, 3
 * test_batch.bin. Inputs asking for more than 64 images are skipped. */
#include "../../plugins/data/cifar_features.c"

#include <math.h>
#include <stdlib.h>

#include "data.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FALLBACK "num_training = 2; num_validation = 1; num_test = 1;"

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
    fuzz_part part[4];
    int n = fuzz_split(data, size, part, 4);
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
    static const fuzz_part empty = {(const uint8_t *)"", 0};
    const fuzz_part *meta = n > 1 ? &part[1] : &empty, *batch = n > 2 ? &part[2] : &empty,
                    *test = n > 3 ? &part[3] : &empty;
    if (!fuzz_write(0, "batches.meta.txt", meta->p, meta->n)
        || !fuzz_write(1, "test_batch.bin", test->p, test->n))
        abort();
    for (int i = 1; i <= CIFAR_BATCHES; i++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        if (!fuzz_write(2, name, batch->p, batch->n))
            abort();
    }
    nn_data d;
    memset(&d, 0, sizeof d);
    nn_data_ctx ctx = {.base_dir = fuzz_dir(), .config_file = "fuzz", .threads = 1, .quiet = 1};
    int rc = load(hp, &ctx, &d, &err);
    if (rc == NN_OK) {
        if (d.d <= 0 || d.n_classes < 2 || d.train.m != (size_t)hp[P_NTRAIN].i)
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
