/* imcache.c: on-disk cache of extracted features. A cache file is named by a
 * hash of its key (the input files' names, sizes and modification times and
 * every option) and holds the key itself, so a hash collision is a miss, never
 * wrong data. Files are written to a temporary name and renamed into place, so
 * a reader sees either no file or a whole one.
 *
 * Layout: "NNLABFC2", u32 0x01020304 (byte order), u32 sizeof(nn_real),
 * u64 key length, key, u64 m_train, m_val, m_test, d, then X of train, val
 * and test as nn_real, then a u64 checksum (FNV-1a over every byte before
 * it): a file whose bytes changed after it was written is corrupt, and its
 * features are extracted again. */
#include "imfeat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "NNLABFC2" /* NNLABFC1: the same without the checksum */
#define CACHE_ORDER 0x01020304u

/* ---- key ----------------------------------------------------------------------- */

void imfeat_keybuf_printf(imfeat_keybuf *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k->failed || n < 0) {
        k->failed = 1;
        return;
    }
    if (k->len + (size_t)n + 1 > k->cap) {
        size_t cap = (k->len + (size_t)n + 1) * 2;
        char *s = realloc(k->s, cap);
        if (!s) {
            k->failed = 1;
            return;
        }
        k->s = s;
        k->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(k->s + k->len, k->cap - k->len, fmt, ap);
    va_end(ap);
    k->len += (size_t)n;
}

int imfeat_keybuf_add_file(imfeat_keybuf *k, const char *path, nn_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return nn_err_set(err, NN_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nn_err_set(err, NN_EINPUT, "%s: not a regular file", path);
    const char *base = strrchr(path, '/');
    imfeat_keybuf_printf(k, "file %s size %lld mtime %lld.%09ld\n", base ? base + 1 : path,
                         (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                         (long)st.st_mtim.tv_nsec);
    return NN_OK;
}

void imfeat_keybuf_free(imfeat_keybuf *k)
{
    free(k->s);
    memset(k, 0, sizeof *k);
}

#define CACHE_FORMAT 1 /* bump when the features or the layout change */

static void key_value(imfeat_keybuf *k, const nn_param_decl *d, const nn_value *v)
{
    imfeat_keybuf_printf(k, "%s", d->name);
    switch (d->type) {
    case NN_T_REAL:
        imfeat_keybuf_printf(k, " %.17g", (double)v->r);
        break;
    case NN_T_INT:
    case NN_T_BOOL:
        imfeat_keybuf_printf(k, " %ld", v->i);
        break;
    case NN_T_STRING:
    case NN_T_ENUM:
        imfeat_keybuf_printf(k, " %s", v->s);
        break;
    case NN_T_INTLIST:
        for (int i = 0; i < v->n; i++)
            imfeat_keybuf_printf(k, " %ld", v->ints[i]);
        break;
    case NN_T_REALLIST:
        for (int i = 0; i < v->n; i++)
            imfeat_keybuf_printf(k, " %.17g", (double)v->reals[i]);
        break;
    case NN_T_STRLIST:
        for (int i = 0; i < v->n; i++)
            imfeat_keybuf_printf(k, " %s", v->strs[i]);
        break;
    }
    imfeat_keybuf_printf(k, "\n");
}

int imfeat_key(imfeat_keybuf *k, const imfeat_run *run, nn_err *err)
{
    imfeat_keybuf_printf(k, "%s format %d real %zu\n", run->tag, CACHE_FORMAT, sizeof(nn_real));
    for (int i = 0; i < run->n_files; i++) {
        int rc = imfeat_keybuf_add_file(k, run->files[i], err);
        if (rc != NN_OK)
            return rc;
    }
    for (int i = 0; i < run->n_decls; i++)
        key_value(k, &run->decls[i], &run->hp[i]);
    return k->failed ? nn_err_set(err, NN_ENOMEM, "%s: out of memory", run->tag) : NN_OK;
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---- location ------------------------------------------------------------------ */

/* mkdir -p dir; 0 when it exists afterwards and is writable. */
static int ensure_dir(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    return access(tmp, W_OK | X_OK) == 0 ? 0 : -1;
}

static int user_cache_dir(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int len;
    if (xdg && xdg[0] == '/')
        len = snprintf(out, n, "%s/nnlab", xdg);
    else if (home && home[0] == '/')
        len = snprintf(out, n, "%s/.cache/nnlab", home);
    else
        return -1;
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int imfeat_cache_path(char *out, size_t n, const char *cache_dir, const char *data_dir,
                      const char *tag, const char *key)
{
    char dirs[2][4096];
    int n_dirs = 0;
    if (cache_dir && cache_dir[0]) {
        snprintf(dirs[n_dirs++], sizeof dirs[0], "%s", cache_dir);
    } else {
        /* Data under /usr (FHS: read-only, shared) are not written next to. */
        int system_data = strncmp(data_dir, "/usr/", 5) == 0;
        if (!system_data
            && imfeat_path_join(dirs[n_dirs], sizeof dirs[0], data_dir, ".nnlab_cache") == 0)
            n_dirs++;
        if (user_cache_dir(dirs[n_dirs], sizeof dirs[0]) == 0)
            n_dirs++;
    }
    for (int i = 0; i < n_dirs; i++) {
        if (ensure_dir(dirs[i]) != 0)
            continue;
        int len = snprintf(out, n, "%s/%s-%016llx.cache", dirs[i], tag,
                           (unsigned long long)fnv1a64(key));
        if (len > 0 && (size_t)len < n)
            return 0;
    }
    return -1;
}

/* ---- load / store ---------------------------------------------------------------- */

typedef struct cache_head {
    char magic[8];
    uint32_t order, real_size;
    uint64_t key_len;
} cache_head;

static const nn_split *split_at(const nn_data *data, int i)
{
    return i == 0 ? &data->train : (i == 1 ? &data->val : &data->test);
}

static size_t payload_bytes(const nn_data *data)
{
    size_t rows = data->train.m + data->val.m + data->test.m;
    return rows * (size_t)data->d * sizeof(nn_real);
}

/* The running checksum: FNV-1a (64 bits) over every byte before it. */
static uint64_t sum_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#define SUM_START 1469598103934665603ull

/* Reads n bytes into p and adds them to *h; 1 when all were there. */
static int read_summed(FILE *f, void *p, size_t n, uint64_t *h)
{
    if (fread(p, 1, n, f) != n)
        return 0;
    *h = sum_bytes(*h, p, n);
    return 1;
}

/* IMFEAT_CACHE_HIT when f's header, key and shapes are data's, MISS when the
 * file is for another key, format or shape, CORRUPT when the header is
 * unreadable (why says what). */
static int head_matches(FILE *f, const char *key, const nn_data *data, uint64_t *h, char *why,
                        size_t n)
{
    cache_head head;
    uint64_t shape[4];
    size_t key_len = strlen(key);
    if (!read_summed(f, &head, sizeof head, h))
        return snprintf(why, n, "truncated header"), IMFEAT_CACHE_CORRUPT;
    if (memcmp(head.magic, CACHE_MAGIC, 7) != 0)
        return snprintf(why, n, "not a feature cache file"), IMFEAT_CACHE_CORRUPT;
    if (memcmp(head.magic, CACHE_MAGIC, 8) != 0 || head.order != CACHE_ORDER
        || head.real_size != sizeof(nn_real) || head.key_len != key_len)
        return IMFEAT_CACHE_MISS; /* another version, machine or key */
    char *stored = malloc(key_len + 1);
    int got = stored && read_summed(f, stored, key_len, h);
    int same = got && memcmp(stored, key, key_len) == 0;
    free(stored);
    if (!got)
        return snprintf(why, n, "truncated key"), IMFEAT_CACHE_CORRUPT;
    if (!same)
        return IMFEAT_CACHE_MISS; /* a hash collision */
    if (!read_summed(f, shape, sizeof shape, h))
        return snprintf(why, n, "truncated header"), IMFEAT_CACHE_CORRUPT;
    if (shape[0] != data->train.m || shape[1] != data->val.m || shape[2] != data->test.m
        || shape[3] != (uint64_t)data->d)
        return snprintf(why, n, "shapes differ from its key's"), IMFEAT_CACHE_CORRUPT;
    return IMFEAT_CACHE_HIT;
}

int imfeat_cache_load(const char *file, const char *key, nn_data *data, char *why, size_t n)
{
    snprintf(why, n, "unreadable");
    FILE *f = fopen(file, "rb");
    if (!f)
        return IMFEAT_CACHE_MISS;
    struct stat st;
    uint64_t h = SUM_START, stored;
    size_t head = sizeof(cache_head) + strlen(key) + 4 * sizeof(uint64_t);
    int rc = head_matches(f, key, data, &h, why, n);
    if (rc == IMFEAT_CACHE_HIT && (fstat(fileno(f), &st) != 0
        || (size_t)st.st_size != head + payload_bytes(data) + sizeof stored)) {
        snprintf(why, n, "%lld bytes, %zu expected", (long long)st.st_size,
                 head + payload_bytes(data) + sizeof stored);
        rc = IMFEAT_CACHE_CORRUPT;
    }
    for (int i = 0; rc == IMFEAT_CACHE_HIT && i < 3; i++) {
        const nn_split *s = split_at(data, i);
        if (!read_summed(f, s->X, s->m * (size_t)data->d * sizeof(nn_real), &h))
            rc = IMFEAT_CACHE_CORRUPT;
    }
    if (rc == IMFEAT_CACHE_HIT && (fread(&stored, sizeof stored, 1, f) != 1 || stored != h)) {
        snprintf(why, n, "checksum mismatch");
        rc = IMFEAT_CACHE_CORRUPT;
    }
    fclose(f);
    return rc;
}

/* Writes n bytes and adds them to *h; 1 when all were written. */
static int write_summed(FILE *f, const void *p, size_t n, uint64_t *h)
{
    *h = sum_bytes(*h, p, n);
    return fwrite(p, 1, n, f) == n;
}

static int write_all(FILE *f, const char *key, const nn_data *data)
{
    cache_head head;
    memset(&head, 0, sizeof head); /* padding bytes are summed too */
    memcpy(head.magic, CACHE_MAGIC, 8);
    head.order = CACHE_ORDER;
    head.real_size = sizeof(nn_real);
    head.key_len = strlen(key);
    uint64_t shape[4] = {data->train.m, data->val.m, data->test.m, (uint64_t)data->d};
    uint64_t h = SUM_START;
    int ok = write_summed(f, &head, sizeof head, &h) && write_summed(f, key, head.key_len, &h)
             && write_summed(f, shape, sizeof shape, &h);
    for (int i = 0; ok && i < 3; i++) {
        const nn_split *s = split_at(data, i);
        ok = write_summed(f, s->X, s->m * (size_t)data->d * sizeof(nn_real), &h);
    }
    ok = ok && fwrite(&h, sizeof h, 1, f) == 1;
    return ok && fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
}

int imfeat_cache_store(const char *file, const char *key, const nn_data *data)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", file) >= (int)sizeof tmp)
        return -1;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    int rc = fchmod(fd, 0644) == 0 ? write_all(f, key, data) : -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, file) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}
