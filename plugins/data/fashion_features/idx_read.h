/* idx_read.h: reader of IDX files (MNIST, Fashion-MNIST), gzip-compressed or
 * not, that trusts nothing in the header (see idx_read.c). */
#ifndef IDX_READ_H
#define IDX_READ_H

#include <stdint.h>
#include <zlib.h>

#include "nnlab/plugin.h"

#define IDX_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
#define IDX_MAX_SIDE 1024

typedef struct idx_file {
    gzFile gz;
    const char *path;
    int labels;                 /* a label file (else images) */
    uint32_t count, rows, cols; /* rows = cols = 1 for labels */
    uint64_t left;              /* data bytes the header promises that are unread */
} idx_file;

/* Opens path and checks its header (magic = IDX_IMAGES or IDX_LABELS,
 * non-zero sizes, sides up to IDX_MAX_SIDE, data that can fit the file).
 * On failure x is closed and err names the file. */
int idx_open(idx_file *x, const char *path, uint32_t magic, nn_err *err);
/* Reads exactly n data bytes (n <= x->left). */
int idx_read(idx_file *x, void *buf, uint64_t n, nn_err *err);
/* Reads and drops exactly n data bytes (n <= x->left). */
int idx_skip(idx_file *x, uint64_t n, nn_err *err);
/* Reads the rest, checks that the data end exactly where the header says,
 * and closes. */
int idx_finish(idx_file *x, nn_err *err);
/* Closes without checks (after an error). */
void idx_close(idx_file *x);

#endif
