/* fuzz_csv.c: libFuzzer harness of the csv data plugin (plugins/data/csv.c,
 * compiled in with the table library), through its load operation.
 *
 * Parts (fuzz.h): 0 the body of the data section (label_column, header,
 * delimiter, classes; the file keys are set here), 1 x_train, 2 y_train
 * (labels in their own file when present), 3 x_val, 4 y_val. An accepted
 * data set must have consistent shapes and labels. */
#include "../../plugins/data/csv.c"

#include "data.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_split(const nn_data *d, const nn_split *s)
{
    for (size_t i = 0; i < s->m; i++)
        if (s->y[i] < 0 || s->y[i] >= d->n_classes)
            abort();
    volatile double sum = 0;
    for (size_t i = 0; i < s->m * (size_t)d->d; i++)
        sum += s->X[i]; /* reads every value (memory errors show) */
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part part[5];
    int n = fuzz_split(data, size, part, 5);
    static const char *const names[5] = {"", "x_train.csv", "y_train.csv", "x_val.csv", "y_val.csv"};
    static fuzz_params b;
    nn_err err = {{0}};
    if (fuzz_params_read(&b, nnlab_plugin(), part[0].p, part[0].n, &err) != 0
        && fuzz_params_read(&b, nnlab_plugin(), "", 0, &err) != 0)
        abort();
    nn_value *hp = b.s->values;
    hp[TABLE_X_TEST].s = hp[TABLE_Y_TEST].s = "";
    for (int k = 1; k < 5; k++) {
        hp[TABLE_X_TRAIN + k - 1].s = "";
        if (k < n && !fuzz_write(k, names[k], part[k].p, part[k].n))
            abort();
        if (k < n && (k % 2 == 1 || part[k].n > 0))
            hp[TABLE_X_TRAIN + k - 1].s = names[k];
    }
    nn_data d;
    memset(&d, 0, sizeof d);
    nn_data_ctx ctx = {.base_dir = fuzz_dir(), .config_file = "fuzz", .threads = 1, .quiet = 1};
    int rc = load(hp, &ctx, &d, &err);
    if (rc == NN_OK) {
        if (d.d <= 0 || d.n_classes < 2 || d.n_classes > NN_MAX_CLASSES || d.train.m == 0)
            abort();
        check_split(&d, &d.train);
        check_split(&d, &d.val);
    } else if (!err.msg[0]) {
        abort();
    }
    nn_data_free(&d);
    fuzz_params_free(&b);
    return 0;
}
