/* cifar_read.h: reader of the CIFAR-10 binary version (see cifar_read.c). */
#ifndef NN_CIFAR_READ_H
#define NN_CIFAR_READ_H

#include "imfeat.h"

#define NN_CIFAR_BATCHES 5 /* data_batch_1.bin .. data_batch_5.bin */
#define NN_CIFAR_SIDE 32
#define NN_CIFAR_PIXELS (NN_CIFAR_SIDE * NN_CIFAR_SIDE * 3)
#define NN_CIFAR_RECORD (1 + NN_CIFAR_PIXELS)
#define NN_CIFAR_MAX_CLASSES 256 /* labels are one byte */

typedef struct nn_cifar_files {
    char batch[NN_CIFAR_BATCHES + 1][4096]; /* the data batches, then test_batch.bin */
    size_t records[NN_CIFAR_BATCHES + 1];
    char meta[4096];                        /* batches.meta.txt */
} nn_cifar_files;

/* Paths and record counts of the batches in dir; fails naming the first file
 * that is missing or not a whole number of records. */
int nn_cifar_locate(nn_cifar_files *f, const char *dir, nn_err *err);
/* Records in the five data batches together. */
size_t nn_cifar_train_records(const nn_cifar_files *f);
/* Class names (non-empty lines) into data->class_names and data->n_classes. */
int nn_cifar_read_meta(const char *path, nn_data *data, nn_err *err);
/* Labels and HWC images of train (first records of the data batches), val
 * (the next ones) and test (first of test_batch.bin), allocated with the
 * sizes wanted; labels must be below data->n_classes. */
int nn_cifar_read(const nn_cifar_files *f, nn_data *data, nn_err *err);

#endif
