/* io.c: atomic file writes, mkdir -p, and the .npy reader and writer. */
#include "nnlab/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int nn_atomic_open(nn_atomic *a, const char *path, nn_err *err)
{
    snprintf(a->path, sizeof a->path, "%s", path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f)
        return nn_err_set(err, NN_EIO, "%s: cannot write: %s", a->path, strerror(errno));
    errno = 0; /* a write that fails while the caller fills the file sets it */
    return NN_OK;
}

/* The reason of the first step that fails is the one reported (a later
 * call, fclose of a stream in error, say, leaves errno meaningless). */
int nn_atomic_commit(nn_atomic *a, nn_err *err)
{
    int e = 0;
    if (ferror(a->f))
        e = errno ? errno : EIO;
    else if (fflush(a->f) != 0)
        e = errno ? errno : EIO;
    else if (fsync(fileno(a->f)) != 0 && errno != EINVAL)
        e = errno;
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    a->f = NULL;
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        remove(a->tmp);
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", a->path, strerror(e));
    }
    return NN_OK;
}

void nn_atomic_abort(nn_atomic *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    remove(a->tmp);
}

int nn_write_file_atomic(const char *path, const void *buf, size_t n, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    if (n && fwrite(buf, 1, n, a.f) != n) {
        int e = errno ? errno : EIO;
        nn_atomic_abort(&a);
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return nn_atomic_commit(&a, err);
}

int nn_mkdirs(const char *path, nn_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return nn_err_set(err, NN_EIO, "invalid folder name '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return nn_err_set(err, NN_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return nn_err_set(err, NN_EIO, "%s: not a folder", path);
    return NN_OK;
}

/* ---- .npy ------------------------------------------------------------- */

int nn_npy_write_f64(const char *path, const double *data, int ndim,
                     const size_t *shape, nn_err *err)
{
    return nn_npy_write(path, "<f8", data, sizeof(double), ndim, shape, err);
}

int nn_npy_write_real(const char *path, const nn_real *data, int ndim, const size_t *shape,
                      nn_err *err)
{
#ifdef NN_REAL_IS_FLOAT
    return nn_npy_write(path, "<f4", data, sizeof(float), ndim, shape, err);
#else
    return nn_npy_write(path, "<f8", data, sizeof(double), ndim, shape, err);
#endif
}

int nn_npy_write(const char *path, const char *descr, const void *data, size_t elem_size,
                 int ndim, const size_t *shape, nn_err *err)
{
    char dict[256], shp[96];
    size_t count = 1;
    if (ndim == 1)
        snprintf(shp, sizeof shp, "(%zu,)", shape[0]);
    else
        snprintf(shp, sizeof shp, "(%zu, %zu)", shape[0], shape[1]);
    for (int i = 0; i < ndim; i++)
        count *= shape[i];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shp);
    /* magic(6) + version(2) + len(2) + dict + pad + '\n', total multiple of 64 */
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    unsigned short hlen = (unsigned short)(len + pad + 1);
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    fwrite(head, 1, 10, a.f);
    fwrite(dict, 1, (size_t)len, a.f);
    for (int i = 0; i < pad; i++)
        fputc(' ', a.f);
    fputc('\n', a.f);
    if (count && fwrite(data, elem_size, count, a.f) != count) {
        int e = errno ? errno : EIO;
        nn_atomic_abort(&a);
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return nn_atomic_commit(&a, err);
}

/* The header's shape into out (count included), or a message naming path
 * and the shape as written. */
static int npy_parse_shape(const char *path, const char *h, nn_npy *out, nn_err *err)
{
    const char *key = strstr(h, "'shape'"), *shape = key ? strchr(key, '(') : NULL;
    if (!shape)
        return nn_err_set(err, NN_EINPUT, "%s: no shape in the header", path);
    const char *close = strchr(shape, ')');
    int len = close ? (int)(close - shape + 1) : (int)strlen(shape);
    len = len > 80 ? 80 : len; /* the shape as written, for messages */
    out->ndim = 0;
    const char *p = shape + 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        if (*p < '0' || *p > '9')
            return nn_err_set(err, NN_EINPUT, "%s: cannot parse shape %.*s", path, len, shape);
        if (out->ndim >= 2)
            return nn_err_set(err, NN_EINPUT, "%s: shape %.*s has more than 2 dimensions (at most 2 "
                              "are supported)", path, len, shape);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v > (1ULL << 40))
            return nn_err_set(err, NN_EINPUT, "%s: shape %.*s: the dimension %.*s is too large (at "
                              "most 2^40)", path, len, shape, (int)(end - p), p);
        out->shape[out->ndim++] = (size_t)v;
        p = end;
    }
    if (*p != ')')
        return nn_err_set(err, NN_EINPUT, "%s: cannot parse shape %.*s", path, len, shape);
    out->count = 1;
    for (int i = 0; i < out->ndim; i++) {
        if (out->shape[i] && out->count > ((size_t)1 << 40) / out->shape[i])
            return nn_err_set(err, NN_EINPUT, "%s: shape %.*s is too large: more than 2^40 values",
                              path, len, shape);
        out->count *= out->shape[i];
    }
    return NN_OK;
}

static double npy_elem(const unsigned char *p, char kind, int size)
{
    union {
        double d; float f; int8_t i8; int16_t i16; int32_t i32; int64_t i64;
        uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
    } u;
    memcpy(&u, p, (size_t)size);
    if (kind == 'f')
        return size == 8 ? u.d : u.f;
    if (kind == 'i')
        return size == 1 ? u.i8 : size == 2 ? u.i16 : size == 4 ? u.i32 : (double)u.i64;
    return size == 1 ? u.u8 : size == 2 ? u.u16 : size == 4 ? u.u32 : (double)u.u64;
}

static int npy_dtype(const char *h, char *kind, int *size)
{
    const char *p = strstr(h, "'descr'");
    if (!p || !(p = strchr(p + 7, '\'')))
        return -1;
    p++;
    if (p[0] != '<' && p[0] != '|' && p[0] != '=')
        return -1;
    *kind = p[1];
    char *end;
    *size = (int)strtol(p + 2, &end, 10);
    if (end == p + 2 || *end != '\'') /* '<f8', not '<f8x' */
        return -1;
    if (*kind == 'b' && *size == 1)
        *kind = 'u';
    if (*kind == 'f')
        return (*size == 8 || *size == 4) ? 0 : -1;
    if (*kind == 'i' || *kind == 'u')
        return (*size == 1 || *size == 2 || *size == 4 || *size == 8) ? 0 : -1;
    return -1;
}

int nn_npy_read(const char *path, nn_npy *out, nn_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char head[12];
    char h[4097];
    int rc = NN_EINPUT;
    struct stat fst;
    if (fstat(fileno(f), &fst) == 0 && S_ISDIR(fst.st_mode)) {
        nn_err_set(err, rc, "%s: is a folder, not a .npy file", path);
        goto done;
    }
    if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
        nn_err_set(err, rc, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    size_t hlen = head[8] | (size_t)head[9] << 8;
    if (head[6] >= 2) {
        if (fread(head + 10, 1, 2, f) != 2) {
            nn_err_set(err, rc, "%s: truncated header", path);
            goto done;
        }
        hlen |= (size_t)head[10] << 16 | (size_t)head[11] << 24;
    }
    if (hlen == 0 || hlen >= sizeof h || fread(h, 1, hlen, f) != hlen) {
        nn_err_set(err, rc, "%s: truncated or oversized header", path);
        goto done;
    }
    h[hlen] = '\0';
    char kind;
    int size;
    if (npy_dtype(h, &kind, &size) != 0) {
        nn_err_set(err, rc, "%s: unsupported dtype (need little-endian float or int)", path);
        goto done;
    }
    if (strstr(h, "'fortran_order': True")) {
        nn_err_set(err, rc, "%s: Fortran-order arrays are not supported", path);
        goto done;
    }
    if (npy_parse_shape(path, h, out, err) != NN_OK)
        goto done;
    size_t bytes = out->count * (size_t)size;
    /* A shape larger than the file is a truncated file, not a reason to
     * allocate what the header claims. */
    struct stat st;
    long pos = ftell(f);
    if (pos >= 0 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_size < pos || (uint64_t)(st.st_size - pos) < (uint64_t)bytes)) {
        nn_err_set(err, rc, "%s: truncated: expected %zu data bytes", path, bytes);
        goto done;
    }
    unsigned char *raw = malloc(bytes ? bytes : 1);
    out->data = malloc((out->count ? out->count : 1) * sizeof(double));
    if (!raw || !out->data) {
        free(raw);
        nn_err_set(err, rc = NN_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(raw, 1, bytes, f) != bytes) {
        free(raw);
        nn_err_set(err, rc, "%s: truncated: expected %zu data bytes", path, bytes);
        goto done;
    }
    for (size_t i = 0; i < out->count; i++)
        out->data[i] = npy_elem(raw + i * (size_t)size, kind, size);
    free(raw);
    rc = NN_OK;
done:
    fclose(f);
    if (rc)
        nn_npy_free(out);
    return rc;
}

void nn_npy_free(nn_npy *a)
{
    free(a->data);
    a->data = NULL;
    a->count = 0;
}
