/* cifar_read.c: the CIFAR-10 binary version: data_batch_1.bin .. data_batch_5.bin
 * and test_batch.bin hold records of one label byte and 3072 pixel bytes (the
 * R, G and B planes of a 32x32 image, row-major); batches.meta.txt names the
 * classes, one per line. Every file is checked before any is read, and every
 * problem is reported with the file's path. */
#include "cifar_read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "imfeat/imfeat.h" /* imfeat_path_join */

/* ---- files ---------------------------------------------------------------------- */

/* Number of records in a batch file, or an error naming it. */
static int batch_records(const char *path, size_t *records, nn_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return nn_err_set(err, NN_EIO, "%s: %s (expected the CIFAR-10 binary version)", path,
                          strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nn_err_set(err, NN_EINPUT, "%s: not a regular file", path);
    if (st.st_size == 0 || st.st_size % CIFAR_RECORD != 0)
        return nn_err_set(err, NN_EINPUT,
                          "%s: %lld bytes is not a whole number of %d-byte records "
                          "(truncated, or not the CIFAR-10 binary version)",
                          path, (long long)st.st_size, CIFAR_RECORD);
    *records = (size_t)st.st_size / CIFAR_RECORD;
    return NN_OK;
}

int cifar_locate(cifar_files *f, const char *dir, nn_err *err)
{
    memset(f, 0, sizeof *f);
    for (int b = 0; b <= CIFAR_BATCHES; b++) {
        char name[32];
        if (b < CIFAR_BATCHES)
            snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
        else
            snprintf(name, sizeof name, "test_batch.bin");
        if (imfeat_path_join(f->batch[b], sizeof f->batch[b], dir, name) != 0)
            return nn_err_set(err, NN_EINPUT, "%s: path too long", dir);
        int rc = batch_records(f->batch[b], &f->records[b], err);
        if (rc != NN_OK)
            return rc;
    }
    if (imfeat_path_join(f->meta, sizeof f->meta, dir, "batches.meta.txt") != 0)
        return nn_err_set(err, NN_EINPUT, "%s: path too long", dir);
    return NN_OK;
}

size_t cifar_train_records(const cifar_files *f)
{
    size_t n = 0;
    for (int b = 0; b < CIFAR_BATCHES; b++)
        n += f->records[b];
    return n;
}

/* ---- class names -------------------------------------------------------------------- */

/* line without surrounding white space (in place). */
static char *trim(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && strchr(" \t\r\n", line[n - 1]))
        line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

int cifar_read_meta(const char *path, nn_data *data, nn_err *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return nn_err_set(err, NN_EIO, "%s: %s", path, strerror(errno));
    char buf[512];
    int n = 0, rc = NN_OK;
    while (rc == NN_OK && fgets(buf, sizeof buf, fp)) {
        if (!strchr(buf, '\n') && !feof(fp))
            rc = nn_err_set(err, NN_EINPUT, "%s: line %d is too long", path, n + 1);
        char *name = trim(buf);
        if (rc != NN_OK || !name[0])
            continue;
        if (n >= CIFAR_MAX_CLASSES)
            rc = nn_err_set(err, NN_EINPUT, "%s: more than %d class names", path,
                            CIFAR_MAX_CLASSES);
        else if (nn_data_set_class_name(data, n++, name) != NN_OK)
            rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory", path);
    }
    if (rc == NN_OK && ferror(fp))
        rc = nn_err_set(err, NN_EIO, "%s: read error", path);
    fclose(fp);
    if (rc == NN_OK && n < 2)
        rc = nn_err_set(err, NN_EINPUT, "%s: needs at least 2 class names, one per line", path);
    if (rc == NN_OK)
        data->n_classes = n;
    return rc;
}

/* ---- records ------------------------------------------------------------------------ */

/* Label and HWC pixels of one record into row `at` of s. */
static int store_record(const unsigned char *rec, nn_split *s, size_t at, int n_classes)
{
    if (rec[0] >= n_classes)
        return -1;
    s->y[at] = rec[0];
    if (!s->images) /* labels only (a split whose features are read in windows) */
        return 0;
    uint8_t *img = s->images + at * CIFAR_PIXELS;
    for (int i = 0; i < CIFAR_SIDE * CIFAR_SIDE; i++)
        for (int c = 0; c < 3; c++)
            img[3 * i + c] = rec[1 + c * CIFAR_SIDE * CIFAR_SIDE + i];
    return 0;
}

/* Records [first, first + count) of one file into rows [at, at + count) of s. */
static int read_records(const char *path, size_t first, size_t count, nn_split *s, size_t at,
                        int n_classes, nn_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return nn_err_set(err, NN_EIO, "%s: %s", path, strerror(errno));
    unsigned char rec[CIFAR_RECORD];
    int rc = NN_OK;
    if (fseeko(fp, (off_t)(first * CIFAR_RECORD), SEEK_SET) != 0)
        rc = nn_err_set(err, NN_EIO, "%s: cannot seek to record %zu", path, first);
    for (size_t k = 0; rc == NN_OK && k < count; k++) {
        if (fread(rec, CIFAR_RECORD, 1, fp) != 1)
            rc = nn_err_set(err, NN_EIO, "%s: cannot read record %zu (file changed?)", path,
                            first + k);
        else if (store_record(rec, s, at + k, n_classes) != 0)
            rc = nn_err_set(err, NN_EINPUT, "%s: record %zu has label %d; there are %d classes",
                            path, first + k, rec[0], n_classes);
    }
    fclose(fp);
    return rc;
}

/* count records from position `from` of the data batches taken in order. */
static int read_span(const cifar_files *f, size_t from, size_t count, nn_split *s,
                     int n_classes, nn_err *err)
{
    size_t start = 0, at = 0;
    for (int b = 0; b < CIFAR_BATCHES && count > 0; b++) {
        size_t n = f->records[b];
        if (from < start + n) {
            size_t lo = from - start, take = n - lo < count ? n - lo : count;
            int rc = read_records(f->batch[b], lo, take, s, at, n_classes, err);
            if (rc != NN_OK)
                return rc;
            at += take;
            from += take;
            count -= take;
        }
        start += n;
    }
    return NN_OK;
}

int cifar_read(const cifar_files *f, nn_data *data, nn_err *err)
{
    int rc = read_span(f, 0, data->train.m, &data->train, data->n_classes, err);
    if (rc == NN_OK)
        rc = read_span(f, data->train.m, data->val.m, &data->val, data->n_classes, err);
    if (rc == NN_OK)
        rc = read_records(f->batch[CIFAR_BATCHES], 0, data->test.m, &data->test, 0,
                          data->n_classes, err);
    return rc;
}

int cifar_read_train_window(const cifar_files *f, const nn_data *data, size_t first,
                            size_t count, uint8_t *images, nn_err *err)
{
    nn_split w = {.m = count, .y = data->train.y + first, .images = images};
    return read_span(f, first, count, &w, data->n_classes, err);
}
