/* nn_table.h: the part of the npy and csv data plugins that does not depend
 * on the file format (header-only, included by each plugin).
 *
 * Both plugins declare x_train, y_train, x_val, y_val, x_test, y_test and
 * classes as their first seven parameters, in that order. A reader turns one
 * split's files into an nn_table (X (m, d) and raw label values); this file
 * resolves paths against the experiment's folder, checks shapes, finiteness
 * and labels with one message naming the file, and fills nn_data. */
#ifndef NN_TABLE_H
#define NN_TABLE_H

#include "nnlab/plugin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_X_TRAIN, T_Y_TRAIN, T_X_VAL, T_Y_VAL, T_X_TEST, T_Y_TEST, T_CLASSES };

#define NN_TABLE_FILE_PARAMS(what)                                                                 \
    {"x_train", NN_T_STRING, 0, "", 0, 0, NULL, "training features: " what},                    \
    {"y_train", NN_T_STRING, 0, "", 0, 0, NULL, "training labels (m) or (m, 1): " what},        \
    {"x_val", NN_T_STRING, 0, "", 0, 0, NULL, "validation features (empty = no validation split)"}, \
    {"y_val", NN_T_STRING, 0, "", 0, 0, NULL, "validation labels"},                              \
    {"x_test", NN_T_STRING, 0, "", 0, 0, NULL, "test features (empty = no test split)"},        \
    {"y_test", NN_T_STRING, 0, "", 0, 0, NULL, "test labels"},                                   \
    {"classes", NN_T_INT, 0, NULL, 0, NN_MAX_CLASSES, NULL,                                      \
     "number of classes; 0 = largest label + 1 (at least 2)"}

typedef struct nn_table {
    double *X;        /* (m, d), malloc'ed */
    double *y;        /* (m) label values, malloc'ed */
    size_t m;
    int d;
    char xfile[4200]; /* resolved paths, for messages */
    char yfile[4200]; /* empty when the labels came from xfile */
} nn_table;

/* Reads one split; yfile is "" when the format allows labels inside xfile.
 * ud is the plugin's own per-load state. */
typedef int (*nn_table_reader)(const nn_value *hp, void *ud, nn_table *t, nn_err *err);

static void nn_table_free(nn_table *t)
{
    free(t->X);
    free(t->y);
    t->X = t->y = NULL;
}

static void nn_table_path(const nn_data_ctx *ctx, const char *rel, char *out, size_t n)
{
    if (rel[0] == '/' || !ctx->base_dir || !ctx->base_dir[0])
        snprintf(out, n, "%s", rel);
    else
        snprintf(out, n, "%s/%s", ctx->base_dir, rel);
}

static const char *nn_table_yname(const nn_table *t) { return t->yfile[0] ? t->yfile : t->xfile; }

/* Labels must be integers in [0, NN_MAX_CLASSES); 0/1 floats are fine. */
static int nn_table_check(const nn_table *t, int *max_label, nn_err *err)
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
                              nn_table_yname(t), v, i, NN_MAX_CLASSES - 1);
        if ((int)v > *max_label)
            *max_label = (int)v;
    }
    return NN_OK;
}

static int nn_table_store(nn_data *out, nn_split *s, const nn_table *t)
{
    int rc = nn_split_alloc(out, s, t->m, 0);
    if (rc)
        return rc;
    memcpy(s->X, t->X, t->m * (size_t)t->d * sizeof(nn_real));
    for (size_t i = 0; i < t->m; i++)
        s->y[i] = (int32_t)t->y[i];
    return NN_OK;
}

/* Reads every split given in hp with rd, checks them and fills out. */
static int nn_table_load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err,
                         nn_table_reader rd, void *ud, int y_optional)
{
    static const char *const names[3] = {"train", "val", "test"};
    nn_split *splits[3] = {&out->train, &out->val, &out->test};
    nn_table t[3];
    memset(t, 0, sizeof t);
    int rc = NN_OK, max_label = 0, d = 0;
    for (int k = 0; k < 3 && rc == NN_OK; k++) {
        const char *x = hp[T_X_TRAIN + 2 * k].s, *y = hp[T_Y_TRAIN + 2 * k].s;
        if (!x[0] && (k == 0 || y[0])) {
            rc = nn_err_set(err, NN_EINPUT, "x_%s: no file given (y_%s is %s)", names[k], names[k],
                            y[0] ? y : "empty too");
            break;
        }
        if (!x[0])
            continue;
        if (!y[0] && !y_optional) {
            rc = nn_err_set(err, NN_EINPUT, "y_%s: no label file given for x_%s = \"%s\"", names[k],
                            names[k], x);
            break;
        }
        nn_table_path(ctx, x, t[k].xfile, sizeof t[k].xfile);
        if (y[0])
            nn_table_path(ctx, y, t[k].yfile, sizeof t[k].yfile);
        rc = rd(hp, ud, &t[k], err);
        if (rc == NN_OK && t[k].m == 0)
            rc = nn_err_set(err, NN_EINPUT, "%s: no examples", t[k].xfile);
        if (rc == NN_OK && k > 0 && t[k].d != d)
            rc = nn_err_set(err, NN_EINPUT, "%s: %d features per example, the training file %s has %d",
                            t[k].xfile, t[k].d, t[0].xfile, d);
        if (rc == NN_OK)
            rc = nn_table_check(&t[k], &max_label, err);
        if (k == 0)
            d = t[0].d;
    }
    long classes = hp[T_CLASSES].i;
    if (rc == NN_OK && classes == 1)
        rc = nn_err_set(err, NN_EINPUT, "classes = 1: give 0 (the labels decide) or at least 2");
    if (rc == NN_OK && classes > 0 && max_label >= classes)
        rc = nn_err_set(err, NN_EINPUT, "classes = %ld but the labels go up to %d", classes, max_label);
    if (rc == NN_OK) {
        out->d = d;
        out->n_classes = classes > 0 ? (int)classes : (max_label + 1 < 2 ? 2 : max_label + 1);
        for (int k = 0; k < 3 && rc == NN_OK; k++)
            if (t[k].m)
                rc = nn_table_store(out, splits[k], &t[k]);
        if (rc)
            nn_err_set(err, rc, "out of memory storing the data");
    }
    for (int k = 0; k < 3; k++)
        nn_table_free(&t[k]);
    return rc;
}

#endif
