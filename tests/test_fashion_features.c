/* test_fashion_features: the fashion_features data plugin on IDX files written
 * here (gzip-compressed and plain): labels, pixels, splits, HOG with other
 * cell sizes, and hostile headers (wrong magic, zero or huge sizes, counts the
 * data do not hold, trailing data, corrupt gzip, labels out of range) rejected
 * with a message naming the file. Also reads the installed Fashion-MNIST
 * (Debian dataset-fashion-mnist) when it is there. */
#include <math.h>
#include <stdint.h>

#include "image_plugin.h"

#include "../plugins/lib/imfeat/imfeat.c"

#define SIDE 28
#define N_TRAIN 120
#define N_TEST 40
#define REAL_DIR "/usr/share/datasets/fashion-mnist"

static uint8_t pixel_of(int id, int i)
{
    uint32_t h = (uint32_t)id * 2654435761u ^ (uint32_t)i * 2246822519u;
    h ^= h >> 15;
    h *= 3266489917u;
    h ^= h >> 13;
    return (i / SIDE) % 4 == 0 || (i % SIDE) < 3 ? 0 : (uint8_t)h; /* black background */
}

static int label_of(int id)
{
    return (id * 3 + 1) % 10;
}

/* ---- gzip without zlib: stored deflate blocks ----------------------------------------- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

static void put_le32(FILE *f, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        fputc((int)(v >> (8 * k)) & 0xff, f);
}

/* A valid gzip file holding data in uncompressed ("stored") blocks. */
static void write_gzip(const char *path, const unsigned char *data, size_t n)
{
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(head, 1, sizeof head, f);
    size_t at = 0;
    do {
        size_t len = n - at > 65535 ? 65535 : n - at;
        fputc(at + len == n ? 1 : 0, f);
        fputc((int)(len & 0xff), f), fputc((int)(len >> 8), f);
        fputc((int)(~len & 0xff), f), fputc((int)((~len >> 8) & 0xff), f);
        fwrite(data + at, 1, len, f);
        at += len;
    } while (at < n);
    put_le32(f, crc32_of(data, n));
    put_le32(f, (uint32_t)n);
    fclose(f);
}

/* ---- IDX files ---------------------------------------------------------------------- */

typedef struct idx_spec {
    uint32_t magic, count, rows, cols; /* header as written */
    int records;                       /* records actually written */
    int first;                         /* id of the first record */
    int extra;                         /* bytes of junk appended */
    int gz;                            /* gzip-compressed */
} idx_spec;

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void write_idx(const char *path, const idx_spec *s)
{
    int labels = s->magic == 0x801;
    size_t head = labels ? 8 : 16, rec = labels ? 1 : (size_t)SIDE * SIDE;
    size_t n = head + (size_t)s->records * rec + (size_t)s->extra;
    unsigned char *buf = calloc(n, 1);
    put_be32(buf, s->magic);
    put_be32(buf + 4, s->count);
    if (!labels) {
        put_be32(buf + 8, s->rows);
        put_be32(buf + 12, s->cols);
    }
    for (int k = 0; k < s->records; k++)
        for (size_t i = 0; i < rec; i++)
            buf[head + k * rec + i] = labels ? (unsigned char)label_of(s->first + k)
                                             : pixel_of(s->first + k, (int)i);
    if (s->gz)
        write_gzip(path, buf, n);
    else
        ip_write_file(path, buf, n);
    free(buf);
}

static const char *const file_names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* The four files; override[i], when not NULL, replaces file i's spec. */
static void make_folder(const char *dir, int gz, const idx_spec *const *override)
{
    idx_spec spec[4] = {
        {0x803, N_TRAIN, SIDE, SIDE, N_TRAIN, 0, 0, gz},
        {0x801, N_TRAIN, 1, 1, N_TRAIN, 0, 0, gz},
        {0x803, N_TEST, SIDE, SIDE, N_TEST, 1000, 0, gz},
        {0x801, N_TEST, 1, 1, N_TEST, 1000, 0, gz},
    };
    for (int i = 0; i < 4; i++) {
        if (override && override[i])
            spec[i] = *override[i];
        char path[4200];
        snprintf(path, sizeof path, "%s/%s%s", dir, file_names[i], spec[i].gz ? ".gz" : "");
        write_idx(path, &spec[i]);
    }
}

typedef ip_fixture fixture;

static int setup(void **state)
{
    fixture *f = ip_fixture_new("fashion_features", 100, 20, 40);
    make_folder(f->dir, 1, NULL);
    ip_set_int(&f->t, "normalize", 0);
    *state = f;
    return 0;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Split s holds records first..: labels, pixels (kept: val and test; the
 * training split keeps none, its features come from windows of the file),
 * HOG (cell) then pixels / 255. */
static void check_split(const nn_split *s, int first, int d, int cell, int kept)
{
    imfeat_opts o = {{IMFEAT_HOG, IMFEAT_PIXELS}, 2, cell, 1, {0}, SIDE, SIDE, 1};
    double feat[SIDE * SIDE * 10];
    uint8_t img[SIDE * SIDE];
    void *work = malloc(imfeat_work_size(&o));
    imfeat_work_init(work, &o);
    int hog = imfeat_hog_dim(SIDE, SIDE, cell);
    assert_int_equal(d, hog + SIDE * SIDE);
    assert_int_equal(s->images != NULL, kept);
    for (size_t k = 0; k < s->m; k++) {
        int id = first + (int)k;
        assert_int_equal(s->y[k], label_of(id));
        for (int i = 0; i < SIDE * SIDE; i++) {
            img[i] = (uint8_t)pixel_of(id, i);
            if (kept)
                assert_int_equal(s->images[k * SIDE * SIDE + i], img[i]);
        }
        imfeat_image(feat, img, &o, work);
        for (int j = 0; j < d; j++)
            assert_true(s->X[k * (size_t)d + j] == feat[j]);
        assert_true(s->X[k * (size_t)d + hog + 100] == pixel_of(id, 100) / 255.0);
    }
    free(work);
}

static void load_and_check(fixture *f, int cell)
{
    static const char *const feats[] = {"hog", "pixels"};
    ip_set_list(&f->t, "features", 2, feats);
    ip_set_int(&f->t, "hog_cell", cell);
    nn_data d;
    nn_err e;
    int rc = ip_load(&f->t, "/", NULL, 2, &d, &e);
    if (rc != NN_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(d.n_classes, 10);
    assert_string_equal(d.class_names[0], "T-shirt/top");
    assert_string_equal(d.class_names[9], "Ankle boot");
    assert_int_equal(d.height, SIDE);
    assert_int_equal(d.channels, 1);
    check_split(&d.train, 0, d.d, cell, 0);
    check_split(&d.val, 100, d.d, cell, 1);
    check_split(&d.test, 1000, d.d, cell, 1);
    nn_data_free(&d);
}

static void test_reads_gzip(void **state)
{
    load_and_check(*state, 7);
    load_and_check(*state, 4);
}

static void test_reads_plain(void **state)
{
    fixture *f = *state;
    ip_rm_rf(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    make_folder(f->dir, 0, NULL);
    load_and_check(f, 7);
}

/* 2,500 training images: their features come from three windows of the
 * train file (1,024, 1,024 and 452 images, IMFEAT_WINDOW), read again after
 * the first pass skipped them, in order and equal to each image's own. */
static void test_windows(void **state)
{
    fixture *f = *state;
    static const char *const feats[] = {"hog", "pixels"};
    idx_spec x = {0x803, 2600, SIDE, SIDE, 2600, 0, 0, 1}, y = {0x801, 2600, 1, 1, 2600, 0, 0, 1};
    const idx_spec *over[4] = {&x, &y, NULL, NULL};
    ip_rm_rf(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    make_folder(f->dir, 1, over);
    ip_set_list(&f->t, "features", 2, feats);
    ip_set_int(&f->t, "hog_cell", 7);
    ip_set_int(&f->t, "num_training", 2500);
    ip_set_int(&f->t, "num_validation", 100);
    nn_data d;
    nn_err e;
    if (ip_load(&f->t, "/", NULL, 2, &d, &e) != NN_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(d.train.m, 2500);
    check_split(&d.train, 0, d.d, 7, 0);
    check_split(&d.val, 2500, d.d, 7, 1);
    check_split(&d.test, 1000, d.d, 7, 1);
    nn_data_free(&d);
}

static void test_default_features(void **state)
{
    fixture *f = *state;
    ip_set_int(&f->t, "normalize", 1);
    ip_set_int(&f->t, "bias", 1);
    nn_data d;
    nn_err e;
    assert_int_equal(ip_load(&f->t, "/", NULL, 1, &d, &e), NN_OK);
    assert_int_equal(d.d, 4 * 4 * 9 + 1);
    assert_true(d.test.X[d.d - 1] == 1.0);
    nn_data_free(&d);
}

/* ---- hostile files -------------------------------------------------------------------------- */

/* Folder with file `which` (and `also`, when >= 0) written from s. */
static void expect_bad2(fixture *f, int which, int also, idx_spec s, idx_spec s2, int code,
                        const char *needle)
{
    const idx_spec *over[4] = {NULL, NULL, NULL, NULL};
    over[which] = &s;
    if (also >= 0)
        over[also] = &s2;
    ip_rm_rf(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    make_folder(f->dir, 1, over);
    char want[512];
    snprintf(want, sizeof want, "%s.gz: %s", file_names[which], needle);
    ip_expect_error(&f->t, "/", code, want);
}

static void expect_bad(fixture *f, int which, idx_spec s, int code, const char *needle)
{
    expect_bad2(f, which, -1, s, s, code, needle);
}

static void test_hostile_headers(void **state)
{
    fixture *f = *state;
    idx_spec img = {0x803, N_TRAIN, SIDE, SIDE, N_TRAIN, 0, 0, 1};
    idx_spec lab = {0x801, N_TRAIN, 1, 1, N_TRAIN, 0, 0, 1};
    idx_spec s = img;
    s.magic = 0x801;
    expect_bad(f, 0, s, NN_EINPUT, "not an IDX image file (magic 0x00000801");
    s = lab;
    s.magic = 0x08030000;
    expect_bad(f, 1, s, NN_EINPUT, "not an IDX label file");
    s = img;
    s.rows = 0;
    expect_bad(f, 0, s, NN_EINPUT, "implausible image size 0x28");
    s.rows = 100000;
    expect_bad(f, 0, s, NN_EINPUT, "implausible image size");
    s = img;
    s.count = 0;
    expect_bad(f, 0, s, NN_EINPUT, "the header says the file holds no images");
    s.count = 0xffffffffu;
    expect_bad(f, 0, s, NN_EINPUT, "the header promises 4294967295 images");
    s = img;
    s.count = 1000; /* more than the data hold, in both files */
    idx_spec s2 = lab;
    s2.count = 1000;
    expect_bad2(f, 0, 1, s, s2, NN_EINPUT, "truncated: the data end 689920 bytes before");
    idx_spec test_img = {0x803, N_TEST, SIDE, SIDE, N_TEST, 1000, 0, 1};
    s = test_img;
    s.rows = 20; /* test images of another size than the training ones */
    expect_bad(f, 2, s, NN_EINPUT, "20x28 images, but");
    s = img;
    s.rows = 20; /* dimensions that do not match the data */
    s2 = test_img;
    s2.rows = 20;
    expect_bad2(f, 0, 2, s, s2, NN_EINPUT, "more data than the 120 images");
    s = lab;
    s.count = N_TRAIN + 1;
    expect_bad(f, 1, s, NN_EINPUT, "121 labels for the 120 images");
}

static void test_bad_data(void **state)
{
    fixture *f = *state;
    idx_spec img = {0x803, N_TRAIN, SIDE, SIDE, N_TRAIN, 0, 0, 1};
    idx_spec s = img;
    s.extra = 5;
    expect_bad(f, 0, s, NN_EINPUT, "more data than the 120 images");
    s = (idx_spec){0x803, N_TEST, SIDE, SIDE, N_TEST - 1, 1000, 0, 1};
    expect_bad(f, 2, s, NN_EINPUT, "truncated");
    /* A label out of range. */
    ip_rm_rf(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    make_folder(f->dir, 0, NULL);
    ip_poke(f->dir, "t10k-labels-idx1-ubyte", 8 + 7, "\x0c", 1);
    ip_expect_error(&f->t, "/", NN_EINPUT, "t10k-labels-idx1-ubyte: label 7 is 12");
}

static void test_corrupt_gzip(void **state)
{
    fixture *f = *state;
    char path[4200], junk[64];
    for (int i = 0; i < 64; i++)
        junk[i] = (char)(0x5a ^ i);
    ip_poke(f->dir, "train-images-idx3-ubyte.gz", 200, junk, sizeof junk);
    ip_expect_error(&f->t, "/", NN_EINPUT, "train-images-idx3-ubyte.gz: incorrect data check");
    make_folder(f->dir, 1, NULL);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", f->dir);
    assert_int_equal(truncate(path, 30), 0);
    ip_expect_error(&f->t, "/", NN_EINPUT, "t10k-images-idx3-ubyte.gz: truncated");
}

static void test_missing_and_counts(void **state)
{
    fixture *f = *state;
    char path[4200];
    ip_set_int(&f->t, "num_training", 110);
    ip_expect_error(&f->t, "/", NN_EINPUT, "holds 120 images, fewer than num_training + "
                                           "num_validation = 130");
    ip_set_int(&f->t, "num_training", 100);
    ip_set_int(&f->t, "hog_cell", 29);
    ip_expect_error(&f->t, "/", NN_EINPUT, "hog_cell: 29 is larger than the 28x28 images");
    ip_set_int(&f->t, "hog_cell", 7);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", f->dir);
    unlink(path);
    ip_expect_error(&f->t, "/", NN_EIO, path);
}

/* ---- the real data set ------------------------------------------------------------------- */

static void test_installed_dataset(void **state)
{
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", REAL_DIR);
    if (access(path, R_OK) != 0) {
        printf("  %s not installed: skipped\n", REAL_DIR);
        skip();
    }
    ip_set_str(&f->t, "path", REAL_DIR);
    ip_set_int(&f->t, "num_training", 1000);
    ip_set_int(&f->t, "num_validation", 200);
    ip_set_int(&f->t, "num_test", 300);
    nn_data d;
    nn_err e;
    int rc = ip_load(&f->t, "/", NULL, 0, &d, &e);
    if (rc != NN_OK)
        fail_msg("%s", e.msg);
    int count[10] = {0};
    for (size_t i = 0; i < d.train.m; i++)
        count[d.train.y[i]]++;
    printf("  installed Fashion-MNIST: d %d, first labels %d %d %d, class 0 has %d of 1000\n",
           d.d, d.train.y[0], d.train.y[1], d.train.y[2], count[0]);
    assert_int_equal(d.train.y[0], 9); /* the first training image is an ankle boot */
    assert_int_equal(d.test.y[0], 9);
    nn_data_free(&d);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ip_fixture_free)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reads_gzip),      T(test_reads_plain),   T(test_windows),  T(test_default_features),
        T(test_hostile_headers), T(test_bad_data),      T(test_corrupt_gzip),
        T(test_missing_and_counts), T(test_installed_dataset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
