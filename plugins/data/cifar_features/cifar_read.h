/* cifar_read.h: reader of the CIFAR-10 binary version (see cifar_read.c). */
#ifndef CIFAR_READ_H
#define CIFAR_READ_H

#include <stddef.h>
#include <stdint.h>

#include "nnlab/plugin.h"

#define CIFAR_BATCHES 5 /* data_batch_1.bin .. data_batch_5.bin */
#define CIFAR_SIDE 32
#define CIFAR_PIXELS (CIFAR_SIDE * CIFAR_SIDE * 3)
#define CIFAR_RECORD (1 + CIFAR_PIXELS)
#define CIFAR_MAX_CLASSES 256 /* labels are one byte */

typedef struct cifar_files {
    char batch[CIFAR_BATCHES + 1][4096]; /* the data batches, then test_batch.bin */
    size_t records[CIFAR_BATCHES + 1];
    char meta[4096];                     /* batches.meta.txt */
} cifar_files;

/* Paths and record counts of the batches in dir; fails naming the first file
 * that is missing or not a whole number of records. */
int cifar_locate(cifar_files *f, const char *dir, nn_err *err);
/* Records in the five data batches together. */
size_t cifar_train_records(const cifar_files *f);
/* Class names (non-empty lines) into data->class_names and data->n_classes. */
int cifar_read_meta(const char *path, nn_data *data, nn_err *err);
/* Labels and HWC images of train (first records of the data batches), val
 * (the next ones) and test (first of test_batch.bin), allocated with the
 * sizes wanted; labels must be below data->n_classes. */
int cifar_read(const cifar_files *f, nn_data *data, nn_err *err);
/* Training images [first, first + count) (HWC) into images, for a training
 * split allocated without images (cifar_read then reads only its labels). */
int cifar_read_train_window(const cifar_files *f, const nn_data *data, size_t first,
                            size_t count, uint8_t *images, nn_err *err);

#endif
