/* table.c: the table plugin library: reading every split through the
 * plugin's reader, resolving paths, checking values and labels, and storing
 * the splits into nn_data (see table.h). */
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void split_free(table_split *t)
{
    free(t->X);
    free(t->y);
    t->X = t->y = NULL;
}

static void resolve_path(const nn_data_ctx *ctx, const char *rel, char *out, size_t n)
{
    if (rel[0] == '/' || !ctx->base_dir || !ctx->base_dir[0])
        snprintf(out, n, "%s", rel);
    else
        snprintf(out, n, "%s/%s", ctx->base_dir, rel);
}

static const char *label_file(const table_split *t) { return t->yfile[0] ? t->yfile : t->xfile; }

/* Labels must be integers in [0, NN_MAX_CLASSES); 0/1 floats are fine. */
static int check_split(const table_split *t, int *max_label, nn_err *err)
{
    for (size_t i = 0; i < t->m * (size_t)t->d; i++)
        if (!isfinite(t->X[i]))
            return nn_err_set(err, NN_EINPUT, "%s: non-finite value %g at row %zu, column %zu",
                              t->xfile, t->X[i], i / (size_t)t->d, i % (size_t)t->d);
    for (size_t i = 0; i < t->m; i++) {
        double v = t->y[i];
        if (!(v >= 0 && v < NN_MAX_CLASSES && v == floor(v)))
            return nn_err_set(err, NN_EINPUT,
                              "%s: label %.17g at row %zu is not a class number (integers 0..%d)",
                              label_file(t), v, i, NN_MAX_CLASSES - 1);
        if ((int)v > *max_label)
            *max_label = (int)v;
    }
    return NN_OK;
}

static int store_split(nn_data *out, nn_split *s, const table_split *t)
{
    int rc = nn_split_alloc(out, s, t->m, 0);
    if (rc)
        return rc;
    for (size_t i = 0; i < t->m * (size_t)t->d; i++) /* double to nn_real */
        s->X[i] = (nn_real)t->X[i];
    for (size_t i = 0; i < t->m; i++)
        s->y[i] = (int32_t)t->y[i];
    return NN_OK;
}

/* Reads split k (0 train, 1 val, 2 test) into t when hp names its file;
 * t->xfile stays empty when the split is not asked for. */
static int read_split(const nn_value *hp, const nn_data_ctx *ctx, const table_reader *rd, int k,
                      table_split *t, nn_err *err)
{
    static const char *const names[3] = {"train", "val", "test"};
    const char *x = hp[TABLE_X_TRAIN + 2 * k].s, *y = hp[TABLE_Y_TRAIN + 2 * k].s;
    if (!x[0] && (k == 0 || y[0]))
        return nn_err_set(err, NN_EINPUT, "x_%s: no file given (y_%s is %s)", names[k], names[k],
                          y[0] ? y : "empty too");
    if (!x[0])
        return NN_OK;
    if (!y[0] && !rd->y_optional)
        return nn_err_set(err, NN_EINPUT, "y_%s: no label file given for x_%s = \"%s\"", names[k],
                          names[k], x);
    resolve_path(ctx, x, t->xfile, sizeof t->xfile);
    if (y[0])
        resolve_path(ctx, y, t->yfile, sizeof t->yfile);
    int rc = rd->read(hp, rd->ud, t, err);
    if (rc == NN_OK && t->m == 0)
        rc = nn_err_set(err, NN_EINPUT, "%s: no examples", t->xfile);
    return rc;
}

/* The class count (hp's classes, else from the labels) and the splits into out. */
static int fill_data(const nn_value *hp, const table_split t[3], int max_label, int d,
                     nn_data *out, nn_err *err)
{
    nn_split *splits[3] = {&out->train, &out->val, &out->test};
    long classes = hp[TABLE_CLASSES].i;
    if (classes == 1)
        return nn_err_set(err, NN_EINPUT, "classes = 1: give 0 (the labels decide) or at least 2");
    if (classes > 0 && max_label >= classes)
        return nn_err_set(err, NN_EINPUT, "classes = %ld but the labels go up to %d", classes,
                          max_label);
    out->d = d;
    out->n_classes = classes > 0 ? (int)classes : (max_label + 1 < 2 ? 2 : max_label + 1);
    int rc = NN_OK;
    for (int k = 0; k < 3 && rc == NN_OK; k++)
        if (t[k].m)
            rc = store_split(out, splits[k], &t[k]);
    if (rc)
        nn_err_set(err, rc, "out of memory storing the data");
    return rc;
}

int table_load(const nn_value *hp, const nn_data_ctx *ctx, const table_reader *rd, nn_data *out,
               nn_err *err)
{
    table_split t[3];
    memset(t, 0, sizeof t);
    int rc = NN_OK, max_label = 0, d = 0;
    for (int k = 0; k < 3 && rc == NN_OK; k++) {
        rc = read_split(hp, ctx, rd, k, &t[k], err);
        if (rc != NN_OK || !t[k].xfile[0])
            continue;
        if (k > 0 && t[k].d != d)
            rc = nn_err_set(err, NN_EINPUT,
                            "%s: %d features per example, the training file %s has %d",
                            t[k].xfile, t[k].d, t[0].xfile, d);
        if (rc == NN_OK)
            rc = check_split(&t[k], &max_label, err);
        if (k == 0)
            d = t[0].d;
    }
    if (rc == NN_OK)
        rc = fill_data(hp, t, max_label, d, out, err);
    for (int k = 0; k < 3; k++)
        split_free(&t[k]);
    return rc;
}
