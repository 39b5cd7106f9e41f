/* idx_read.c: IDX files through zlib (gzread also reads uncompressed files).
 * A header is big-endian: magic (0x0803 images, 0x0801 labels), then the
 * count and, for images, rows and columns. Hostile headers (wrong magic,
 * zero or huge sizes, more data promised than the file can hold, data that
 * end early or run on) are errors naming the file, never a crash or a huge
 * allocation: nothing is allocated from header values here. */
#include "idx_read.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

/* deflate cannot compress better than about 1032:1. */
#define DEFLATE_MAX_RATIO 1032u

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Up to n bytes; returns the count read, or -1 (err set) on a zlib error. */
static long long read_some(idx_file *x, void *buf, uint64_t n, nn_err *err)
{
    uint64_t got = 0;
    while (got < n) {
        unsigned ask = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(x->gz, (char *)buf + got, ask);
        if (r < 0) {
            int code;
            const char *msg = gzerror(x->gz, &code); /* "<path>: <what>" */
            if (code == Z_ERRNO)
                nn_err_set(err, NN_EIO, "%s: %s", x->path, strerror(errno));
            else
                nn_err_set(err, NN_EINPUT, "%s (corrupt gzip data)", msg);
            return -1;
        }
        if (r == 0)
            break;
        got += (unsigned)r;
    }
    return (long long)got;
}

static const char *what(const idx_file *x)
{
    return x->labels ? "labels" : "images";
}

static int check_header(idx_file *x, const unsigned char *h, uint32_t magic, off_t file_size,
                        nn_err *err)
{
    uint32_t got = be32(h);
    if (got != magic)
        return nn_err_set(err, NN_EINPUT, "%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)",
                          x->path, magic == IDX_IMAGES ? "image" : "label", got, magic);
    x->labels = magic == IDX_LABELS;
    x->count = be32(h + 4);
    x->rows = magic == IDX_IMAGES ? be32(h + 8) : 1;
    x->cols = magic == IDX_IMAGES ? be32(h + 12) : 1;
    if (x->count == 0)
        return nn_err_set(err, NN_EINPUT, "%s: the header says the file holds no %s", x->path,
                          what(x));
    if (x->rows == 0 || x->cols == 0 || x->rows > IDX_MAX_SIDE || x->cols > IDX_MAX_SIDE)
        return nn_err_set(err, NN_EINPUT, "%s: implausible image size %ux%u in the header",
                          x->path, x->rows, x->cols);
    x->left = (uint64_t)x->count * x->rows * x->cols;
    if (x->left / DEFLATE_MAX_RATIO > (uint64_t)file_size)
        return nn_err_set(err, NN_EINPUT,
                          "%s: the header promises %u %s (%llu bytes), more than the "
                          "%lld-byte file can hold",
                          x->path, x->count, what(x), (unsigned long long)x->left,
                          (long long)file_size);
    return NN_OK;
}

int idx_open(idx_file *x, const char *path, uint32_t magic, nn_err *err)
{
    struct stat st;
    memset(x, 0, sizeof *x);
    x->path = path;
    if (stat(path, &st) != 0)
        return nn_err_set(err, NN_EIO, "%s: %s", path, strerror(errno));
    x->gz = gzopen(path, "rb");
    if (!x->gz)
        return nn_err_set(err, NN_EIO, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    gzbuffer(x->gz, 1u << 17);
    unsigned char h[16];
    size_t head = magic == IDX_IMAGES ? 16 : 8;
    long long got = read_some(x, h, head, err);
    int rc = got < 0 ? NN_EINPUT : NN_OK;
    if (rc == NN_OK && (size_t)got < head)
        rc = nn_err_set(err, NN_EINPUT, "%s: truncated IDX header (%lld of %zu bytes)", path,
                        got, head);
    if (rc == NN_OK)
        rc = check_header(x, h, magic, st.st_size, err);
    if (rc != NN_OK)
        idx_close(x);
    return rc;
}

int idx_read(idx_file *x, void *buf, uint64_t n, nn_err *err)
{
    if (n > x->left)
        return nn_err_set(err, NN_EINTERNAL, "%s: read past the promised data", x->path);
    long long got = read_some(x, buf, n, err);
    if (got < 0)
        return NN_EINPUT;
    x->left -= (uint64_t)got;
    if ((uint64_t)got < n)
        return nn_err_set(err, NN_EINPUT,
                          "%s: truncated: the data end %llu bytes before the %u %s the "
                          "header promises",
                          x->path, (unsigned long long)x->left,
                          x->count, what(x));
    return NN_OK;
}

int idx_skip(idx_file *x, uint64_t n, nn_err *err)
{
    unsigned char buf[1 << 16];
    int rc = NN_OK;
    while (rc == NN_OK && n > 0) {
        uint64_t k = n < sizeof buf ? n : sizeof buf;
        rc = idx_read(x, buf, k, err);
        n -= k;
    }
    return rc;
}

int idx_finish(idx_file *x, nn_err *err)
{
    unsigned char buf[1];
    int rc = idx_skip(x, x->left, err);
    if (rc == NN_OK) {
        long long extra = read_some(x, buf, 1, err);
        if (extra < 0)
            rc = NN_EINPUT;
        else if (extra > 0)
            rc = nn_err_set(err, NN_EINPUT, "%s: more data than the %u %s the header promises",
                            x->path, x->count, what(x));
    }
    idx_close(x);
    return rc;
}

void idx_close(idx_file *x)
{
    if (x->gz)
        gzclose(x->gz);
    x->gz = NULL;
}
