/* data.c: the suite of a data loader: it loads with its defaults, shapes
 * and labels are consistent, every declared class occurs, no NaN or Inf,
 * the splits are disjoint, and the same seed gives the same data. The data
 * set is loaded once for all of them, in one child process with a longer
 * time limit (NN_CHECK_DATA_TIMEOUT_SCALE); each check still names itself
 * if the child dies during it. */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

static uint64_t fnv(const void *v, size_t n, uint64_t h)
{
    const unsigned char *p = v;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t data_digest(const nn_data *d)
{
    uint64_t h = 1469598103934665603ull;
    int head[5] = {d->d, d->n_classes, d->height, d->width, d->channels};
    h = fnv(head, sizeof head, h);
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    for (int k = 0; k < 3; k++) {
        h = fnv(&s[k]->m, sizeof s[k]->m, h);
        if (!s[k]->m)
            continue;
        h = fnv(s[k]->X, s[k]->m * (size_t)d->d * sizeof(nn_real), h);
        h = fnv(s[k]->y, s[k]->m * sizeof(int32_t), h);
    }
    return h;
}

typedef struct rowkey {
    uint64_t h;
    int split;
    size_t row;
} rowkey;

static int rowkey_cmp(const void *a, const void *b)
{
    const rowkey *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h ? 1 : x->split - y->split;
}

static const char *const split_names[3] = {"train", "validation", "test"};

/* 0 when the shapes are usable by the other checks. */
static int shapes(nn_checker *c, const nn_data *d)
{
    nn_chk_doing(c, "shapes");
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    char bad[256] = "";
    if (d->d <= 0 || d->n_classes < 2 || d->n_classes > NN_MAX_CLASSES || d->train.m == 0)
        snprintf(bad, sizeof bad, "d=%d, %d classes, %zu training rows", d->d, d->n_classes, d->train.m);
    for (int k = 0; k < 3 && !bad[0]; k++)
        if (s[k]->m && (!s[k]->X || !s[k]->y))
            snprintf(bad, sizeof bad, "%s split of %zu rows without X or y", split_names[k], s[k]->m);
    int img = d->height || d->width || d->channels;
    for (int k = 0; k < 3 && !bad[0]; k++)
        if (s[k]->images && !(d->height > 0 && d->width > 0 && d->channels > 0))
            snprintf(bad, sizeof bad, "%s split has images but height/width/channels are %d/%d/%d",
                     split_names[k], d->height, d->width, d->channels);
    if (bad[0]) {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", bad);
        return -1;
    }
    nn_chk_report(c, NN_CHK_PASS, NULL, "%d features, %d classes; %zu train, %zu validation, %zu test rows%s", d->d,
                  d->n_classes, d->train.m, d->val.m, d->test.m, img ? " (with image geometry)" : "");
    return 0;
}

static void labels(nn_checker *c, const nn_data *d)
{
    nn_chk_doing(c, "labels in range");
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    char bad[256] = "";
    long *count = nn_chk_alloc((size_t)d->n_classes, sizeof(long));
    for (int k = 0; k < 3 && !bad[0]; k++)
        for (size_t i = 0; i < s[k]->m && !bad[0]; i++) {
            int32_t y = s[k]->y[i];
            if (y < 0 || y >= d->n_classes)
                snprintf(bad, sizeof bad, "%s label %d at row %zu outside [0, %d)", split_names[k], y, i,
                         d->n_classes);
            else
                count[y]++;
        }
    int missing = -1;
    for (int k = 0; k < d->n_classes && !bad[0] && missing < 0; k++)
        if (count[k] == 0)
            missing = k;
    if (bad[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", bad);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "every label in [0, %d)", d->n_classes);
    if (bad[0])
        return;
    nn_chk_doing(c, "class count matches the labels");
    if (missing < 0)
        nn_chk_report(c, NN_CHK_PASS, NULL, "all %d declared classes occur in the data", d->n_classes);
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL, "class %d of the %d declared never occurs in any split", missing,
                      d->n_classes);
}

static void all_finite(nn_checker *c, const nn_data *d)
{
    nn_chk_doing(c, "no NaN or Inf");
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    size_t nonfinite = 0;
    char first[160] = "";
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m * (size_t)d->d; i++)
            if (!isfinite(s[k]->X[i]) && nonfinite++ == 0)
                snprintf(first, sizeof first, "%s X[%zu,%zu] = %g", split_names[k], i / (size_t)d->d,
                         i % (size_t)d->d, s[k]->X[i]);
    if (nonfinite)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s (%zu non-finite values)", first, nonfinite);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "all %zu values finite", (d->train.m + d->val.m + d->test.m) * (size_t)d->d);
}

static void disjoint(nn_checker *c, const nn_data *d)
{
    nn_chk_doing(c, "splits disjoint");
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    size_t total = d->train.m + d->val.m + d->test.m, n = 0, shared[3] = {0, 0, 0};
    rowkey *keys = nn_chk_alloc(total, sizeof(rowkey));
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m; i++)
            keys[n++] = (rowkey){fnv(s[k]->X + i * (size_t)d->d, (size_t)d->d * sizeof(nn_real),
                                     1469598103934665603ull), k, i};
    qsort(keys, n, sizeof *keys, rowkey_cmp);
    char example[200] = "";
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n && keys[j].h == keys[i].h; j++) {
            if (keys[j].split == keys[i].split)
                continue;
            const nn_real *a = s[keys[i].split]->X + keys[i].row * (size_t)d->d;
            const nn_real *b = s[keys[j].split]->X + keys[j].row * (size_t)d->d;
            if (memcmp(a, b, (size_t)d->d * sizeof(nn_real)) != 0)
                continue;
            int pair = keys[i].split + keys[j].split - 1; /* 0 train-val, 1 train-test, 2 val-test */
            if (shared[0] + shared[1] + shared[2] == 0)
                snprintf(example, sizeof example, "%s row %zu = %s row %zu", split_names[keys[i].split],
                         keys[i].row, split_names[keys[j].split], keys[j].row);
            shared[pair]++;
        }
    free(keys);
    size_t dup = shared[0] + shared[1] + shared[2];
    if (dup)
        nn_chk_report(c, NN_CHK_FAIL, NULL,
                      "%zu identical rows across splits (train/validation %zu, train/test %zu, validation/test %zu), e.g. %s",
                      dup, shared[0], shared[1], shared[2], example);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL, "no row of one split occurs in another (%zu rows compared)", total);
}

typedef struct data_arg {
    const nn_plugin *p;
    const nn_chk_block *b;
} data_arg;

static void data_suite(nn_checker *c, const void *arg)
{
    const nn_plugin *p = ((const data_arg *)arg)->p;
    const nn_section *s = ((const data_arg *)arg)->b->s;
    nn_data d;
    nn_rng rng = s->rng;
    nn_data_ctx ctx = {".", "nnlab check", &rng, s->seed, 0, 1, NULL};
    nn_err e = {{0}};
    memset(&d, 0, sizeof d);
    int rc = p->ops.data->load(s->values, &ctx, &d, &e);
    if (rc) {
        if (rc == NN_EIO || rc == NN_EINPUT)
            nn_chk_report(c, NN_CHK_SKIP, NULL, "%s (check its data with: nnlab check --experiment FILE)",
                          e.msg[0] ? e.msg : "load failed");
        else
            nn_chk_report(c, NN_CHK_FAIL, NULL, "returned %d: %s", rc, e.msg[0] ? e.msg : "load failed");
        return;
    }
    nn_chk_report(c, NN_CHK_PASS, NULL, "seed %u", (unsigned)s->seed);
    if (shapes(c, &d) == 0) {
        labels(c, &d);
        all_finite(c, &d);
        disjoint(c, &d);
    }
    uint64_t h1 = data_digest(&d);
    nn_data_free(&d);
    nn_chk_doing(c, "same seed, same data");
    memset(&d, 0, sizeof d);
    rng = s->rng;
    rc = p->ops.data->load(s->values, &ctx, &d, &e);
    uint64_t h2 = rc ? 0 : data_digest(&d);
    nn_data_free(&d);
    if (rc)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "the second load failed: %s", e.msg);
    else
        nn_chk_report(c, h1 == h2 ? NN_CHK_PASS : NN_CHK_FAIL, NULL, "two loads from seed %u %s", (unsigned)s->seed,
                      h1 == h2 ? "are identical" : "differ (randomness outside the given stream?)");
}

void nn_chk_suite_data(nn_checker *c, const nn_plugin *p, const nn_chk_block *b)
{
    data_arg a = {p, b};
    nn_chk_run(c, "loads with its defaults", NN_CHECK_DATA_TIMEOUT_SCALE, data_suite, &a);
}
