/* npy: the user's own arrays from NumPy .npy files (np.save). X has shape
 * (examples, features); y holds class numbers 0..K-1 as integers or as
 * integral floats (0./1.), shape (examples,) or (examples, 1). Paths are
 * relative to the experiment file's folder. Any dtype nn_npy_read accepts
 * (float64/32, signed and unsigned integers, bool), C order. */
#include "nnlab/plugin.h"

#include <stdio.h>

#include "nnlab/io.h"
#include "table/table.h"

static const nn_param_decl params[] = {
    TABLE_FILE_PARAMS(".npy file, relative to the experiment file"),
};

static const char *shape_str(const nn_npy *a, char *buf, size_t n)
{
    if (a->ndim == 0)
        snprintf(buf, n, "()");
    else if (a->ndim == 1)
        snprintf(buf, n, "(%zu,)", a->shape[0]);
    else
        snprintf(buf, n, "(%zu, %zu)", a->shape[0], a->shape[1]);
    return buf;
}

static int read_split(const nn_value *hp, void *ud, table_split *t, nn_err *err)
{
    nn_npy x, y;
    int rc = nn_npy_read(t->xfile, &x, err);
    if (rc)
        return rc;
    if ((rc = nn_npy_read(t->yfile, &y, err)) != NN_OK) {
        nn_npy_free(&x);
        return rc;
    }
    size_t m = x.shape[0];
    char xs[64], ys[64];
    shape_str(&x, xs, sizeof xs);
    shape_str(&y, ys, sizeof ys);
    int y_ok = (y.ndim == 1 || (y.ndim == 2 && y.shape[1] == 1));
    if (x.ndim != 2) {
        rc = nn_err_set(err, NN_EINPUT, "%s: X must be 2-D (examples, features), got shape %s%s",
                        t->xfile, xs, x.ndim == 1 ? " (save a single feature as shape (m, 1))" : "");
    } else if (!y_ok) {
        rc = nn_err_set(err, NN_EINPUT, "%s: y must have shape (m,) or (m, 1), got %s%s", t->yfile,
                        ys, y.ndim == 2 && y.shape[0] == 1 ? " (save y.ravel())" : "");
    } else if (y.shape[0] != m) {
        int transposed = x.shape[1] == y.shape[0];
        rc = nn_err_set(err, NN_EINPUT, "%s: %zu labels but %s has %zu rows (shape %s)%s",
                        t->yfile, y.shape[0], t->xfile, m, xs,
                        transposed ? "; X looks transposed: save X.T, one example per row" : "");
    } else if (x.shape[1] == 0 || x.shape[1] > 1000000000) {
        rc = nn_err_set(err, NN_EINPUT, "%s: %zu features per example", t->xfile, x.shape[1]);
    }
    if (rc == NN_OK) {
        t->X = x.data;
        t->y = y.data;
        t->m = m;
        t->d = (int)x.shape[1];
        return NN_OK;
    }
    nn_npy_free(&x);
    nn_npy_free(&y);
    return rc;
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    const table_reader reader = {.read = read_split, .y_optional = 0};
    return table_load(hp, ctx, &reader, out, err);
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "npy",
    "the user's arrays from .npy files: X (m, features), y (m) class numbers",
    NN_ARRAY_LEN(params), params, {.data = &ops}};

NN_PLUGIN(desc)
