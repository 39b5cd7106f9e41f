/* idx_read.h: reader of IDX files (MNIST, Fashion-MNIST), gzip-compressed or
 * not, that trusts nothing in the header (see idx_read.c). */
#ifndef NN_IDX_READ_H
#define NN_IDX_READ_H

#include <stdint.h>
#include <zlib.h>

#include "nnlab/plugin.h"

#define NN_IDX_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define NN_IDX_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
#define NN_IDX_MAX_SIDE 1024

typedef struct nn_idx {
    gzFile gz;
    const char *path;
    int labels;                 /* a label file (else images) */
    uint32_t count, rows, cols; /* rows = cols = 1 for labels */
    uint64_t left;              /* data bytes the header promises that are unread */
} nn_idx;

/* Opens path and checks its header (magic = NN_IDX_IMAGES or NN_IDX_LABELS,
 * non-zero sizes, sides up to NN_IDX_MAX_SIDE, data that can fit the file).
 * On failure x is closed and err names the file. */
int nn_idx_open(nn_idx *x, const char *path, uint32_t magic, nn_err *err);
/* Reads exactly n data bytes (n <= x->left). */
int nn_idx_read(nn_idx *x, void *buf, uint64_t n, nn_err *err);
/* Reads the rest, checks that the data end exactly where the header says,
 * and closes. */
int nn_idx_finish(nn_idx *x, nn_err *err);
/* Closes without checks (after an error). */
void nn_idx_close(nn_idx *x);

#endif
