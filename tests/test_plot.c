/* test_plot.c: core/plot*.c: every figure is a valid PNG of the expected size
 * (IHDR), nothing temporary is left behind, a bad folder is an error, and a
 * decision boundary of a known model (x = 0) is drawn where it should be:
 * the PNG is decoded (zlib inflate, PNG row filters) and pixels on each
 * side of the boundary are checked for the class colours. */
#include <dirent.h>
#include <math.h>
#include <zlib.h>

#include "testutil.h"

#include "data.h"
#include "plot.h"

/* ---- a small PNG reader (8-bit RGB or RGBA, no interlace) ------------------- */

typedef struct png_img {
    int w, h, bpp;
    unsigned char *px; /* (h, w, bpp) */
} png_img;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* Width and height from the IHDR chunk; fails unless the file is a PNG. */
static void png_size(const char *path, int *w, int *h)
{
    size_t n;
    unsigned char *b = slurp(path, &n);
    assert_true(n > 33);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    *w = (int)be32(b + 16);
    *h = (int)be32(b + 20);
    free(b);
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static void unfilter(png_img *im, const unsigned char *raw)
{
    size_t stride = (size_t)im->w * (size_t)im->bpp;
    for (int y = 0; y < im->h; y++) {
        const unsigned char *src = raw + (size_t)y * (stride + 1);
        unsigned char *row = im->px + (size_t)y * stride, *up = y ? row - stride : NULL;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)im->bpp ? row[i - (size_t)im->bpp] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)im->bpp ? up[i - (size_t)im->bpp] : 0, v = src[1 + i];
            int pred[5] = {0, a, b, (a + b) / 2, paeth(a, b, c)};
            assert_true(src[0] <= 4);
            row[i] = (unsigned char)(v + pred[src[0]]);
        }
    }
}

static png_img png_decode(const char *path)
{
    size_t n, zn = 0;
    unsigned char *b = slurp(path, &n), *z = malloc(n);
    png_img im = {(int)be32(b + 16), (int)be32(b + 20), 0, NULL};
    assert_int_equal(b[24], 8);
    assert_true(b[25] == 2 || b[25] == 6);
    assert_int_equal(b[28], 0);
    im.bpp = b[25] == 2 ? 3 : 4;
    for (size_t p = 8; p + 12 <= n;) {
        uint32_t len = be32(b + p);
        if (memcmp(b + p + 4, "IDAT", 4) == 0) {
            memcpy(z + zn, b + p + 8, len);
            zn += len;
        }
        p += 12 + len;
    }
    uLongf rn = (uLongf)im.h * ((uLongf)im.w * (uLongf)im.bpp + 1);
    unsigned char *raw = malloc(rn);
    assert_int_equal(uncompress(raw, &rn, z, zn), Z_OK);
    im.px = malloc((size_t)im.w * (size_t)im.h * (size_t)im.bpp);
    unfilter(&im, raw);
    free(raw);
    free(z);
    free(b);
    return im;
}

static const unsigned char *pixel(const png_img *im, int x, int y)
{
    return im->px + ((size_t)y * (size_t)im->w + (size_t)x) * (size_t)im->bpp;
}

/* ---- fixtures -------------------------------------------------------------- */

static char dir[128];

static const char *in_dir(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static int leftovers(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void expect_png(const char *name, int w, int h)
{
    int gw, gh;
    png_size(in_dir(name), &gw, &gh);
    assert_int_equal(gw, w);
    assert_int_equal(gh, h);
}

/* Logistic regression on 2 features with W = (w0, 0), b = 0: the boundary is x = 0. */
static void line_model(nn_model *m, double w0)
{
    nn_model_spec s = {.n_layers = 1, .sizes = {2, 1}, .out = NN_OUT_SIGMOID, .batch_cap = 256};
    nn_err err;
    assert_int_equal(nn_model_create(m, &s, &err), NN_OK);
    nn_model_W(m, 0)[0] = w0;
}

/* Four corner points: left ones class 0, right ones class 1. */
static void corner_data(nn_data *d)
{
    memset(d, 0, sizeof *d);
    d->d = 2;
    d->n_classes = 2;
    assert_int_equal(nn_split_alloc(d, &d->train, 4, 0), NN_OK);
    static const double xy[8] = {-1, -1, -1, 1, 1, -1, 1, 1};
    for (int i = 0; i < 4; i++) {
        d->train.X[2 * i] = xy[2 * i];
        d->train.X[2 * i + 1] = xy[2 * i + 1];
        d->train.y[i] = i >= 2;
    }
}

/* ---- tests ----------------------------------------------------------------- */

static int setup(void **state)
{
    tu_temp_dir(dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];
    if (getenv("NN_KEEP_PLOTS")) { /* to look at the figures */
        printf("figures kept in %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_curves(void **state)
{
    nn_metric_row rows[20];
    for (int i = 0; i < 20; i++)
        rows[i] = (nn_metric_row){i * 10, i * 10, 1.0 / (i + 1), 0.5 + 0.02 * i,
                                  i % 2 ? NAN : 0.45 + 0.02 * i, 0.01, i, i % 2 ? NAN : 1.2 / (i + 1)};
    rows[7].loss = NAN;
    nn_series s[2] = {{"a", rows, 20}, {"b", rows + 5, 15}};
    nn_err err;
    assert_int_equal(nn_plot_loss(in_dir("loss.png"), s, 1, "loss", 0, &err), NN_OK);
    assert_int_equal(nn_plot_loss(in_dir("loss_log.png"), s, 2, "loss", 1, &err), NN_OK);
    assert_int_equal(nn_plot_accuracy(in_dir("accuracy.png"), s, 2, "accuracy", &err), NN_OK);
    assert_int_equal(nn_plot_compare(in_dir("compare.png"), s, 2, "a vs b", 0, &err), NN_OK);
    expect_png("loss.png", NN_PLOT_CURVE_W, NN_PLOT_CURVE_H);
    expect_png("loss_log.png", NN_PLOT_CURVE_W, NN_PLOT_CURVE_H);
    expect_png("accuracy.png", NN_PLOT_CURVE_W, NN_PLOT_CURVE_H);
    expect_png("compare.png", NN_PLOT_COMPARE_W, NN_PLOT_COMPARE_H);
    assert_int_equal(leftovers(), 0);
}

/* A flat loss (zero initialisation) whose values differ in the last bit:
 * PLplot used to loop on the tiny axis span. */
static void test_flat_curve(void **state)
{
    nn_metric_row rows[3] = {{0, 0, 0.69314718055994684, 0.5, NAN, 0.01, 0, NAN},
                             {1, 1, 0.69314718055994673, 0.5, NAN, 0.01, 1, NAN},
                             {2, 2, 0.69314718055994684, 0.5, NAN, 0.01, 2, NAN}};
    nn_series s = {"flat", rows, 3};
    nn_err err;
    assert_int_equal(nn_plot_loss(in_dir("flat.png"), &s, 1, "flat", 0, &err), NN_OK);
    assert_int_equal(nn_plot_loss(in_dir("flat_log.png"), &s, 1, "flat", 1, &err), NN_OK);
    assert_int_equal(nn_plot_accuracy(in_dir("flat_acc.png"), &s, 1, "flat", &err), NN_OK);
    expect_png("flat.png", NN_PLOT_CURVE_W, NN_PLOT_CURVE_H);
}

static void test_bad_folder(void **state)
{
    nn_metric_row r = {0, 0, 1, NAN, NAN, 0.1, 0, NAN};
    nn_series s = {"a", &r, 1};
    nn_err err = {{0}};
    assert_int_equal(nn_plot_loss("/nonexistent/dir/loss.png", &s, 1, "t", 0, &err), NN_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/loss.png"));
}

/* Column of the middle row where the class-0 region colour last appears and
 * the class-1 colour first appears; also the extent of the plot area. */
static void scan_row(const png_img *im, const int c0[3], const int c1[3], int *l, int *r, int *last0,
                     int *first1)
{
    *l = *r = *last0 = *first1 = -1;
    int y = im->h / 2;
    for (int x = 0; x < im->w; x++) {
        const unsigned char *p = pixel(im, x, y);
        int is0 = p[0] == c0[0] && p[1] == c0[1] && p[2] == c0[2];
        int is1 = p[0] == c1[0] && p[1] == c1[1] && p[2] == c1[2];
        if (is0 || is1) {
            *l = *l < 0 ? x : *l;
            *r = x;
        }
        if (is0)
            *last0 = x;
        if (is1 && *first1 < 0)
            *first1 = x;
    }
}

static void region_rgb(int k, int out[3])
{
    int c[3];
    nn_plot_color_rgb(NN_PLOT_COLOR + k, c);
    for (int i = 0; i < 3; i++)
        out[i] = (int)(0.4 * c[i] + 153);
}

static void check_boundary(double w0, const char *name)
{
    nn_model m;
    nn_data d;
    nn_err err;
    line_model(&m, w0);
    corner_data(&d);
    assert_int_equal(nn_plot_decision_boundary(in_dir(name), &m, &d, "line", &err), NN_OK);
    expect_png(name, NN_PLOT_BOUNDARY_W, NN_PLOT_BOUNDARY_H);
    png_img im = png_decode(in_dir(name));
    int c0[3], c1[3], l, r, last0, first1;
    region_rgb(w0 > 0 ? 0 : 1, c0); /* left of x = 0 */
    region_rgb(w0 > 0 ? 1 : 0, c1);
    scan_row(&im, c0, c1, &l, &r, &last0, &first1);
    print_message("plot area %d..%d, left colour up to %d, right colour from %d\n", l, r, last0, first1);
    assert_true(l >= 0 && r - l > im.w / 2);
    int mid = (l + r) / 2;
    assert_true(abs(last0 - mid) <= 3 && abs(first1 - mid) <= 3);
    for (int x = l; x < mid - 3; x++) {
        const unsigned char *p = pixel(&im, x, im.h / 2);
        assert_true(p[0] == c0[0] && p[1] == c0[1] && p[2] == c0[2]);
    }
    for (int x = mid + 4; x <= r; x++) {
        const unsigned char *p = pixel(&im, x, im.h / 2);
        assert_true(p[0] == c1[0] && p[1] == c1[1] && p[2] == c1[2]);
    }
    free(im.px);
    nn_model_free(&m);
    nn_data_free(&d);
}

static void test_boundary_pixels(void **state)
{
    check_boundary(5.0, "boundary.png");
    check_boundary(-5.0, "boundary_flipped.png");
    nn_model m;
    nn_data d;
    nn_err err;
    line_model(&m, 1.0);
    corner_data(&d);
    d.d = 3;
    assert_int_equal(nn_plot_decision_boundary(in_dir("x.png"), &m, &d, "x", &err), NN_EINPUT);
    d.d = 2;
    nn_model_free(&m);
    nn_data_free(&d);
    assert_int_equal(leftovers(), 0);
}

/* 3 classes of 6x6 images; a softmax model that predicts class 0 for all. */
static void image_case(int channels, const char *name)
{
    nn_data d = {0};
    d.height = d.width = 6;
    d.channels = channels;
    d.d = 36 * channels;
    d.n_classes = 3;
    assert_int_equal(nn_split_alloc(&d, &d.train, 3, 1), NN_OK);
    assert_int_equal(nn_split_alloc(&d, &d.test, 12, 1), NN_OK);
    for (size_t i = 0; i < 12; i++) {
        d.test.y[i] = (int32_t)(i % 3);
        for (int p = 0; p < d.d; p++)
            d.test.images[i * (size_t)d.d + (size_t)p] = (uint8_t)(i * 20 + (size_t)p);
    }
    nn_data_set_class_name(&d, 1, "cat");
    nn_model m;
    nn_model_spec s = {.n_layers = 1, .sizes = {d.d, 3}, .out = NN_OUT_SOFTMAX, .batch_cap = 256};
    nn_err err;
    assert_int_equal(nn_model_create(&m, &s, &err), NN_OK);
    nn_model_b(&m, 0)[0] = 1.0;
    assert_int_equal(nn_plot_misclassified(in_dir(name), &m, &d, "images", &err), NN_OK);
    int w, h;
    nn_plot_misclassified_size(&d, &w, &h);
    expect_png(name, w, h);
    png_img im = png_decode(in_dir(name));
    free(im.px);
    nn_model_free(&m);
    nn_data_free(&d);
}

static void test_misclassified(void **state)
{
    image_case(3, "misclassified_rgb.png");
    image_case(1, "misclassified_grey.png");
    nn_data d = {0};
    nn_model m = {0};
    nn_err err;
    assert_int_equal(nn_plot_misclassified(in_dir("none.png"), &m, &d, "none", &err), NN_EINPUT);
    assert_int_equal(leftovers(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_flat_curve),
        cmocka_unit_test(test_bad_folder),
        cmocka_unit_test(test_boundary_pixels),
        cmocka_unit_test(test_misclassified),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
