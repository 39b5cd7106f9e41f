/* table.h: the table plugin library (plugins/lib/README.md): the part of the
 * npy and csv data plugins that does not depend on the file format.
 *
 * Both plugins declare x_train, y_train, x_val, y_val, x_test, y_test and
 * classes as their first seven parameters, in that order (TABLE_FILE_PARAMS).
 * A plugin's reader turns one split's files into a table_split (X (m, d) and
 * raw label values); table_load resolves paths against the experiment's
 * folder, calls the reader for every split given, checks shapes, finiteness
 * and labels with one message naming the file, and fills nn_data. */
#ifndef TABLE_H
#define TABLE_H

#include <stddef.h>

#include "nnlab/plugin.h"

/* Indices of the parameters TABLE_FILE_PARAMS declares; a plugin's own
 * parameters follow from TABLE_CLASSES + 1. */
enum { TABLE_X_TRAIN, TABLE_Y_TRAIN, TABLE_X_VAL, TABLE_Y_VAL, TABLE_X_TEST, TABLE_Y_TEST,
       TABLE_CLASSES };

#define TABLE_FILE_PARAMS(what)                                                                    \
    {"x_train", NN_T_STRING, 0, "", 0, 0, NULL, "training features: " what},                    \
    {"y_train", NN_T_STRING, 0, "", 0, 0, NULL, "training labels (m) or (m, 1): " what},        \
    {"x_val", NN_T_STRING, 0, "", 0, 0, NULL, "validation features (empty = no validation split)"}, \
    {"y_val", NN_T_STRING, 0, "", 0, 0, NULL, "validation labels"},                              \
    {"x_test", NN_T_STRING, 0, "", 0, 0, NULL, "test features (empty = no test split)"},        \
    {"y_test", NN_T_STRING, 0, "", 0, 0, NULL, "test labels"},                                   \
    {"classes", NN_T_INT, 0, NULL, 0, NN_MAX_CLASSES, NULL,                                      \
     "number of classes; 0 = largest label + 1 (at least 2)"}

/* One split as a reader leaves it. */
typedef struct table_split {
    double *X;        /* (m, d), malloc'ed by the reader, freed by table_load */
    double *y;        /* (m) label values, malloc'ed likewise */
    size_t m;
    int d;
    char xfile[4200]; /* resolved paths, for messages */
    char yfile[4200]; /* empty when the labels come from xfile */
} table_split;

/* How a plugin reads its format. */
typedef struct table_reader {
    /* Reads one split into t (xfile and yfile already resolved). */
    int (*read)(const nn_value *hp, void *ud, table_split *t, nn_err *err);
    void *ud;         /* the plugin's own per-load state, passed to read */
    int y_optional;   /* the format may hold the labels inside xfile */
} table_reader;

/* Reads every split given in hp with rd, checks them and fills out. */
int table_load(const nn_value *hp, const nn_data_ctx *ctx, const table_reader *rd, nn_data *out,
               nn_err *err);

#endif
