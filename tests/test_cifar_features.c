/* test_cifar_features: the cifar_features data plugin on a CIFAR-10-format
 * folder written here (300 training records over five batches, 50 test
 * records): labels, HWC pixels, split boundaries across batches, features
 * equal to the per-image code, normalisation and bias, thread counts, the
 * cache (hit, invalidation, atomic writes, a corrupt file rebuilt with a
 * warning) and rejection of broken folders
 * with a message naming the file. */
#include <math.h>
#include <stdint.h>

#include "image_plugin.h"

#include "../plugins/lib/imfeat/imfeat.c"
#include "../plugins/lib/imfeat/imcache.c"
#include "../plugins/lib/imfeat/imextract.c"
#include "../plugins/lib/imfeat/imutil.c"

#define REC 3073
#define PER_BATCH 60
#define N_TEST_REC 50
#define TEST_BASE 100000 /* record ids of test_batch.bin */

static const char *const names[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                      "dog",      "frog",       "horse", "ship", "truck"};

/* ---- the folder -------------------------------------------------------------------- */

static int label_of(int id)
{
    return (id * 7 + 3) % 10;
}

/* Plane byte c (0 R, 1 G, 2 B) at position i of record id. */
static uint8_t plane_byte(int id, int c, int i)
{
    uint32_t h = (uint32_t)id * 2654435761u ^ (uint32_t)(c * 1024 + i) * 2246822519u;
    h ^= h >> 15;
    h *= 3266489917u;
    h ^= h >> 13;
    return (i / 32 + id) % 5 == 0 ? (uint8_t)(40 * c) : (uint8_t)h; /* some flat rows */
}

static void write_batch(const char *dir, const char *name, int first, int count)
{
    char path[4200];
    unsigned char *buf = malloc((size_t)count * REC);
    for (int k = 0; k < count; k++) {
        unsigned char *r = buf + (size_t)k * REC;
        r[0] = (unsigned char)label_of(first + k);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 1024; i++)
                r[1 + c * 1024 + i] = plane_byte(first + k, c, i);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ip_write_file(path, buf, (size_t)count * REC);
    free(buf);
}

static void make_folder(const char *dir)
{
    char name[64], path[4200], meta[256] = "";
    for (int b = 0; b < 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
        write_batch(dir, name, b * PER_BATCH, PER_BATCH);
    }
    write_batch(dir, "test_batch.bin", TEST_BASE, N_TEST_REC);
    for (int k = 0; k < 10; k++)
        snprintf(meta + strlen(meta), sizeof meta - strlen(meta), "%s\n", names[k]);
    strcat(meta, "\n");
    snprintf(path, sizeof path, "%s/batches.meta.txt", dir);
    ip_write_file(path, meta, strlen(meta));
}

typedef ip_fixture fixture;

static int setup(void **state)
{
    fixture *f = ip_fixture_new("cifar_features", 250, 40, 30);
    make_folder(f->dir);
    *state = f;
    return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static const imfeat_opts all_features = {
    {IMFEAT_HOG, IMFEAT_HUE, IMFEAT_PIXELS}, 3, 8, 10, {0.299, 0.587, 0.144}, 32, 32, 3};

/* HWC pixels of record id. */
static void record_image(uint8_t *img, int id)
{
    for (int i = 0; i < 1024; i++)
        for (int c = 0; c < 3; c++)
            img[3 * i + c] = plane_byte(id, c, i);
}

/* Split s holds records first.. in order: labels, HWC pixels (a split with
 * images), raw features. */
static void check_split(const nn_split *s, int first, int d)
{
    double feat[144 + 10 + 3072];
    uint8_t want[3072];
    void *work = malloc(imfeat_work_size(&all_features));
    imfeat_work_init(work, &all_features);
    for (size_t k = 0; k < s->m; k++) {
        int id = first + (int)k;
        record_image(want, id);
        assert_int_equal(s->y[k], label_of(id));
        if (s->images)
            assert_memory_equal(s->images + k * 3072, want, 3072);
        imfeat_image(feat, want, &all_features, work);
        for (int j = 0; j < d; j++)
            if (s->X[k * (size_t)d + j] != feat[j])
                fail_msg("record %d column %d: %.17g, expected %.17g", id, j,
                         s->X[k * (size_t)d + j], feat[j]);
    }
    free(work);
}

static void test_reads_splits(void **state)
{
    fixture *f = *state;
    static const char *const feats[] = {"hog", "hue_hist", "pixels"};
    ip_set_list(&f->t, "features", 3, feats);
    ip_set_int(&f->t, "normalize", 0);
    nn_data d;
    nn_err e;
    assert_int_equal(ip_load(&f->t, "/", NULL, 2, &d, &e), NN_OK);
    assert_int_equal(d.d, 144 + 10 + 3072);
    assert_int_equal(d.n_classes, 10);
    assert_int_equal(d.height * d.width * d.channels, 3072);
    for (int k = 0; k < 10; k++)
        assert_string_equal(d.class_names[k], names[k]);
    assert_int_equal(d.train.m, 250);
    assert_int_equal(d.val.m, 40); /* records 250 .. 289: inside data_batch_5.bin */
    assert_int_equal(d.test.m, 30);
    /* the training images are not kept (features from windows of them) */
    assert_null(d.train.images);
    assert_non_null(d.val.images);
    assert_non_null(d.test.images);
    check_split(&d.train, 0, d.d);
    check_split(&d.val, 250, d.d);
    check_split(&d.test, TEST_BASE, d.d);
    nn_data_free(&d);
}

/* Relative paths start at the experiment's folder. */
static void test_relative_path(void **state)
{
    fixture *f = *state;
    char parent[256];
    snprintf(parent, sizeof parent, "%s", f->dir);
    char *slash = strrchr(parent, '/');
    *slash = '\0';
    ip_set_str(&f->t, "path", slash + 1);
    nn_data d;
    nn_err e;
    int rc = ip_load(&f->t, parent, NULL, 1, &d, &e);
    if (rc != NN_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(d.d, 154);
    nn_data_free(&d);
}

/* ---- normalisation, bias, threads ------------------------------------------------------- */

static void test_normalize_and_bias(void **state)
{
    fixture *f = *state;
    ip_set_int(&f->t, "bias", 1);
    nn_data raw, d;
    nn_err e;
    ip_set_int(&f->t, "normalize", 0);
    assert_int_equal(ip_load(&f->t, "/", NULL, 1, &raw, &e), NN_OK);
    ip_set_int(&f->t, "normalize", 1);
    assert_int_equal(ip_load(&f->t, "/", NULL, 1, &d, &e), NN_OK);
    assert_int_equal(d.d, 155);
    double worst = 0;
    for (int j = 0; j < 154; j++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < raw.train.m; i++)
            mean += raw.train.X[i * 155 + j];
        mean /= raw.train.m;
        for (size_t i = 0; i < raw.train.m; i++)
            var += pow(raw.train.X[i * 155 + j] - mean, 2);
        double sd = sqrt(var / raw.train.m);
        sd = sd > 0 ? sd : 1;
        const nn_split *r[3] = {&raw.train, &raw.val, &raw.test}, *n[3] = {&d.train, &d.val, &d.test};
        for (int s = 0; s < 3; s++)
            for (size_t i = 0; i < r[s]->m; i++) {
                double want = (r[s]->X[i * 155 + j] - mean) / sd;
                worst = fmax(worst, fabs(n[s]->X[i * 155 + j] - want));
                assert_true(n[s]->X[i * 155 + 154] == 1.0 && r[s]->X[i * 155 + 154] == 1.0);
            }
    }
    printf("  normalised features: max |diff| from (x - mean) / std = %.3g\n", worst);
    assert_true(worst < 1e-9);
    nn_data_free(&raw);
    nn_data_free(&d);
}

static void test_threads_agree(void **state)
{
    fixture *f = *state;
    nn_data a, b;
    nn_err e;
    assert_int_equal(ip_load(&f->t, "/", NULL, 1, &a, &e), NN_OK);
    for (int threads = 0; threads <= 3; threads += 3) {
        assert_int_equal(ip_load(&f->t, "/", NULL, threads, &b, &e), NN_OK);
        assert_memory_equal(a.train.X, b.train.X, a.train.m * a.d * sizeof(nn_real));
        assert_memory_equal(a.test.X, b.test.X, a.test.m * a.d * sizeof(nn_real));
        nn_data_free(&b);
    }
    nn_data_free(&a);
}

/* ---- cache ---------------------------------------------------------------------------- */

static void load_cached(fixture *f, const char *cache, nn_data *d)
{
    nn_err e;
    int rc = ip_load(&f->t, "/", cache, 2, d, &e);
    if (rc != NN_OK)
        fail_msg("%s", e.msg);
}

/* The one .cache file in folder cache. */
static void cache_file(const char *cache, char *path, size_t n)
{
    DIR *dir = opendir(cache);
    struct dirent *ent;
    path[0] = '\0';
    while ((ent = readdir(dir)))
        if (strstr(ent->d_name, ".cache"))
            snprintf(path, n, "%s/%s", cache, ent->d_name);
    closedir(dir);
    assert_true(path[0] != '\0');
}

/* Overwrites the last nn_real of the cache file (last test row, last column),
 * and with fix_sum also its checksum (the trailing FNV-1a of every byte
 * before it), as a file written with that value would hold. */
static void tamper_last_value(const char *cache, double v, int fix_sum)
{
    char path[4300];
    cache_file(cache, path, sizeof path);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    unsigned char *buf = malloc((size_t)size);
    rewind(fp);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    nn_real x = (nn_real)v;
    memcpy(buf + size - 8 - (long)sizeof x, &x, sizeof x);
    if (fix_sum) {
        uint64_t h = 1469598103934665603ull;
        for (long i = 0; i < size - 8; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
        memcpy(buf + size - 8, &h, 8);
    }
    rewind(fp);
    assert_int_equal(fwrite(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    free(buf);
}

/* load_cached with stderr captured into msg. */
static void load_cached_stderr(fixture *f, const char *cache, nn_data *d, char *msg, size_t n)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/stderr.txt", f->dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = fopen(path, "w+");
    assert_non_null(cap);
    dup2(fileno(cap), 2);
    load_cached(f, cache, d);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(cap);
    size_t got = fread(msg, 1, n - 1, cap);
    msg[got] = '\0';
    fclose(cap);
    unlink(path);
}

static void test_cache(void **state)
{
    fixture *f = *state;
    char cache[300], msg[1024];
    snprintf(cache, sizeof cache, "%s/cache", f->dir);
    ip_set_int(&f->t, "cache", 1);
    nn_data a, b;
    load_cached(f, cache, &a);
    assert_int_equal(ip_count_files(cache, ".cache"), 1);
    assert_int_equal(ip_count_files(cache, ""), 1); /* no temporary file left */
    load_cached(f, cache, &b);                      /* a hit: identical arrays */
    assert_memory_equal(a.train.X, b.train.X, a.train.m * a.d * sizeof(nn_real));
    assert_memory_equal(a.val.X, b.val.X, a.val.m * a.d * sizeof(nn_real));
    assert_memory_equal(a.test.X, b.test.X, a.test.m * a.d * sizeof(nn_real));
    assert_memory_equal(a.train.y, b.train.y, a.train.m * sizeof(int32_t));
    nn_data_free(&b);
    tamper_last_value(cache, 12345.0, 1); /* a consistent file: the load reads it */
    load_cached(f, cache, &b);
    assert_true(b.test.X[b.test.m * b.d - 1] == 12345.0);
    nn_data_free(&b);
    tamper_last_value(cache, 777.0, 0); /* a changed value: corrupt, rebuilt, warned */
    load_cached_stderr(f, cache, &b, msg, sizeof msg);
    printf("  %s", msg);
    assert_non_null(strstr(msg, "warning"));
    assert_non_null(strstr(msg, "corrupt (checksum mismatch)"));
    assert_non_null(strstr(msg, "extracting the features again"));
    assert_memory_equal(a.test.X, b.test.X, a.test.m * a.d * sizeof(nn_real));
    assert_memory_equal(a.train.X, b.train.X, a.train.m * a.d * sizeof(nn_real));
    nn_data_free(&b);
    load_cached_stderr(f, cache, &b, msg, sizeof msg); /* the rebuilt file is whole again */
    assert_null(strstr(msg, "corrupt"));
    assert_memory_equal(a.test.X, b.test.X, a.test.m * a.d * sizeof(nn_real));
    nn_data_free(&b);
    char path[4300];
    cache_file(cache, path, sizeof path);
    assert_int_equal(truncate(path, 100), 0); /* truncated: corrupt too */
    load_cached_stderr(f, cache, &b, msg, sizeof msg);
    printf("  %s", msg);
    assert_non_null(strstr(msg, "corrupt"));
    assert_memory_equal(a.train.X, b.train.X, a.train.m * a.d * sizeof(nn_real));
    nn_data_free(&b);
    assert_int_equal(ip_count_files(cache, ".cache"), 1);
    ip_set_int(&f->t, "hue_bins", 12); /* another option: a miss, a new file */
    load_cached(f, cache, &b);
    assert_int_equal(ip_count_files(cache, ".cache"), 2);
    nn_data_free(&b);
    ip_set_int(&f->t, "hue_bins", 10);
    write_batch(f->dir, "test_batch.bin", TEST_BASE, N_TEST_REC); /* new mtime: a miss */
    load_cached(f, cache, &b);
    assert_int_equal(ip_count_files(cache, ".cache"), 3);
    assert_memory_equal(a.test.X, b.test.X, a.test.m * a.d * sizeof(nn_real));
    nn_data_free(&b);
    nn_data_free(&a);
}

/* Without ctx->cache_dir the cache goes to <path>/.nnlab_cache. */
static void test_cache_default_folder(void **state)
{
    fixture *f = *state;
    char cache[300];
    snprintf(cache, sizeof cache, "%s/.nnlab_cache", f->dir);
    ip_set_int(&f->t, "cache", 1);
    nn_data a;
    load_cached(f, NULL, &a);
    assert_int_equal(ip_count_files(cache, ".cache"), 1);
    nn_data_free(&a);
}

/* ---- broken folders --------------------------------------------------------------------- */

static void truncate_to(const char *dir, const char *name, off_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(truncate(path, size), 0);
}

static void test_missing_batch(void **state)
{
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/data_batch_3.bin", f->dir);
    unlink(path);
    ip_expect_error(&f->t, "/", NN_EIO, path);
}

static void test_truncated_batch(void **state)
{
    fixture *f = *state;
    truncate_to(f->dir, "test_batch.bin", REC * 10 - 5);
    ip_expect_error(&f->t, "/", NN_EINPUT, "test_batch.bin: 30725 bytes");
}

static void test_missized_batch(void **state)
{
    fixture *f = *state;
    truncate_to(f->dir, "data_batch_2.bin", REC * PER_BATCH + 7);
    ip_expect_error(&f->t, "/", NN_EINPUT, "data_batch_2.bin");
    make_folder(f->dir);
    truncate_to(f->dir, "data_batch_1.bin", 0);
    ip_expect_error(&f->t, "/", NN_EINPUT, "data_batch_1.bin: 0 bytes");
}

static void test_too_few_records(void **state)
{
    fixture *f = *state;
    ip_set_int(&f->t, "num_training", 280);
    ip_expect_error(&f->t, "/", NN_EINPUT, "num_validation = 320");
    ip_set_int(&f->t, "num_training", 250);
    ip_set_int(&f->t, "num_test", 51);
    ip_expect_error(&f->t, "/", NN_EINPUT, "test_batch.bin: holds 50 images");
}

static void test_bad_label(void **state)
{
    fixture *f = *state;
    ip_poke(f->dir, "data_batch_4.bin", REC * 17, "\x0a", 1);
    ip_expect_error(&f->t, "/", NN_EINPUT, "data_batch_4.bin: record 17 has label 10");
}

static void test_bad_meta(void **state)
{
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/batches.meta.txt", f->dir);
    unlink(path);
    ip_expect_error(&f->t, "/", NN_EIO, "batches.meta.txt");
    ip_write_file(path, "cat\n\n", 5);
    ip_expect_error(&f->t, "/", NN_EINPUT, "batches.meta.txt: needs at least 2 class names");
}

static void test_missing_folder(void **state)
{
    fixture *f = *state;
    ip_set_str(&f->t, "path", "/nonexistent/cifar");
    ip_expect_error(&f->t, "/", NN_EIO, "/nonexistent/cifar/data_batch_1.bin");
}

static void test_bad_features(void **state)
{
    fixture *f = *state;
    static const char *const twice[] = {"hog", "hog"};
    ip_set_list(&f->t, "features", 2, twice);
    ip_expect_error(&f->t, "/", NN_EINPUT, "'hog' is listed twice");
    ip_set_list(&f->t, "features", 0, twice);
    ip_expect_error(&f->t, "/", NN_EINPUT, "empty");
}

/* ---- windowed extraction (imfeat_extract with train_images) ------------------------ */

typedef struct window_log {
    int calls, fail_at; /* fail_at: the call that reports an error (0: none) */
    size_t next;        /* the first image the next call must ask for */
} window_log;

static int give_window(void *ud, size_t first, size_t count, uint8_t *out, nn_err *err)
{
    window_log *w = ud;
    assert_int_equal(first, w->next);
    if (++w->calls == w->fail_at)
        return nn_err_set(err, NN_EIO, "window %d unreadable", w->calls);
    for (size_t k = 0; k < count; k++)
        record_image(out + k * 3072, (int)(first + k));
    w->next = first + count;
    return NN_OK;
}

/* data with train (m images, none kept unless keep), val 3 and test 2 images. */
static void window_data(nn_data *d, size_t m, int keep)
{
    memset(d, 0, sizeof *d);
    d->d = imfeat_dim(&all_features);
    d->height = d->width = 32;
    d->channels = 3;
    assert_int_equal(nn_split_alloc(d, &d->train, m, keep), NN_OK);
    assert_int_equal(nn_split_alloc(d, &d->val, 3, 1), NN_OK);
    assert_int_equal(nn_split_alloc(d, &d->test, 2, 1), NN_OK);
    for (size_t k = 0; keep && k < m; k++)
        record_image(d->train.images + k * 3072, (int)k);
    for (int k = 0; k < 3; k++)
        record_image(d->val.images + k * 3072, 1000 + k);
    for (int k = 0; k < 2; k++)
        record_image(d->test.images + k * 3072, 2000 + k);
}

/* Features extracted in windows of 1, 7 and 64 images (the last window
 * partial, and on 1 and 2 threads) are those of the whole split at once;
 * the windows are asked for in order; a failing read is the error. */
static void test_windowed_extraction(void **state)
{
    (void)state;
    enum { M = 150 };
    nn_data whole, win;
    nn_err e;
    imfeat_run run = {.tag = "t", .opts = &all_features};
    window_data(&whole, M, 1);
    assert_int_equal(imfeat_extract(&run, 1, 1, &whole, &e), NN_OK);
    static const size_t sizes[] = {1, 7, 64};
    for (int i = 0; i < 3; i++)
        for (int threads = 1; threads <= 2; threads++) {
            window_log log = {0};
            window_data(&win, M, 0);
            run.train_images = give_window;
            run.train_ud = &log;
            run.window = sizes[i];
            assert_int_equal(imfeat_extract(&run, threads, 1, &win, &e), NN_OK);
            assert_int_equal(log.calls, (int)((M + sizes[i] - 1) / sizes[i]));
            assert_int_equal(log.next, M);
            assert_memory_equal(win.train.X, whole.train.X, M * (size_t)whole.d * sizeof(nn_real));
            assert_memory_equal(win.val.X, whole.val.X, 3 * (size_t)whole.d * sizeof(nn_real));
            assert_memory_equal(win.test.X, whole.test.X, 2 * (size_t)whole.d * sizeof(nn_real));
            nn_data_free(&win);
        }
    window_log log = {.fail_at = 3};
    window_data(&win, M, 0);
    run.train_ud = &log;
    run.window = 7;
    assert_int_equal(imfeat_extract(&run, 2, 1, &win, &e), NN_EIO);
    assert_string_equal(e.msg, "window 3 unreadable");
    nn_data_free(&win);
    /* a split without images and no way to read them is refused */
    window_data(&win, M, 0);
    run.train_images = NULL;
    assert_int_equal(imfeat_extract(&run, 1, 1, &win, &e), NN_EINTERNAL);
    nn_data_free(&win);
    nn_data_free(&whole);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ip_fixture_free)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reads_splits),   T(test_relative_path),   T(test_normalize_and_bias),
        T(test_threads_agree),  T(test_cache),           T(test_cache_default_folder),
        T(test_missing_batch),  T(test_truncated_batch), T(test_missized_batch),
        T(test_too_few_records), T(test_bad_label),      T(test_bad_meta),
        T(test_missing_folder), T(test_bad_features),
        cmocka_unit_test(test_windowed_extraction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
