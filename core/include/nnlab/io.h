/* nnlab/io.h: file helpers shared by the core and plugins: atomic writes and
 * the NumPy .npy format (float64 and int arrays, C order). */
#ifndef NNLAB_IO_H
#define NNLAB_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nnlab/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Atomic file writing: nn_atomic_open gives a FILE on "<path>.tmp.<pid>";
 * nn_atomic_commit flushes, fsyncs, closes and renames it over path;
 * nn_atomic_abort closes and removes the temporary. */
typedef struct nn_atomic {
    FILE *f;
    char path[4096];
    char tmp[4200];
} nn_atomic;
NN_API int nn_atomic_open(nn_atomic *a, const char *path, nn_err *err);
NN_API int nn_atomic_commit(nn_atomic *a, nn_err *err);
NN_API void nn_atomic_abort(nn_atomic *a);
/* Write a whole buffer atomically. */
NN_API int nn_write_file_atomic(const char *path, const void *buf, size_t n, nn_err *err);

/* mkdir -p */
NN_API int nn_mkdirs(const char *path, nn_err *err);

/* .npy of little-endian C-order data with the given dtype descr (e.g. "<f8",
 * "<i4"); ndim 1 or 2. Written atomically. */
NN_API int nn_npy_write(const char *path, const char *descr, const void *data, size_t elem_size,
                 int ndim, const size_t *shape, nn_err *err);
/* .npy: dtype '<f8' from doubles; ndim 1 or 2. */
NN_API int nn_npy_write_f64(const char *path, const double *data, int ndim,
                     const size_t *shape, nn_err *err);

/* .npy of nn_real values: '<f8' in the double build, '<f4' in the float
 * build (NN_REAL_IS_FLOAT). */
NN_API int nn_npy_write_real(const char *path, const nn_real *data, int ndim,
                             const size_t *shape, nn_err *err);

/* A loaded .npy array, converted to double. Owned by the caller; release
 * with nn_npy_free. Accepts dtypes f8, f4, i1, i2, i4, i8, u1, u2, u4, u8,
 * b1 in little-endian C order, ndim 0..2. */
typedef struct nn_npy {
    double *data;
    int ndim;
    size_t shape[2];
    size_t count;
} nn_npy;
NN_API int nn_npy_read(const char *path, nn_npy *out, nn_err *err);
NN_API void nn_npy_free(nn_npy *a);

#ifdef __cplusplus
}
#endif
#endif
