/* test_image_features: the HOG and hue-histogram code of the image data plugins
 * against CS231n's features.py. tests/data/image_features_ref.txt holds the
 * course's own numbers for 8 images and NumPy re-computations for more
 * (tests/gen_feature_reference.py); every value must match to 1e-12. Also
 * checks that the fast bin decisions (no atan2, no division in the hue) equal
 * the exact ones over large sets of inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../plugins/lib/imfeat/imfeat.c"

#define TOL 1e-12
#define REF_FILE NN_TEST_DATA "/image_features_ref.txt"

/* ---- reference file ---------------------------------------------------------------- */

typedef struct worst {
    double diff;
    char where[160];
    int vectors, values;
} worst;

typedef struct ref_case {
    char name[64];
    int h, w, c;
    uint8_t img[64 * 64 * 3];
} ref_case;

static void skip_comment(FILE *f)
{
    int ch;
    while ((ch = fgetc(f)) != '\n' && ch != EOF)
        ;
}

static int read_case(FILE *f, ref_case *rc)
{
    if (fscanf(f, "%63s %d %d %d", rc->name, &rc->h, &rc->w, &rc->c) != 4)
        return -1;
    assert_true(rc->h * rc->w * rc->c <= (int)sizeof rc->img);
    for (int i = 0; i < rc->h * rc->w * rc->c; i++) {
        int v;
        if (fscanf(f, "%d", &v) != 1)
            return -1;
        rc->img[i] = (uint8_t)v;
    }
    return 0;
}

/* Compares n reference values from f with got; records the worst. */
static void compare(FILE *f, const double *got, int n, worst *w, const char *what)
{
    for (int i = 0; i < n; i++) {
        double ref;
        assert_int_equal(fscanf(f, "%lf", &ref), 1);
        double d = fabs(ref - got[i]);
        if (d > w->diff) {
            w->diff = d;
            snprintf(w->where, sizeof w->where, "%s, index %d (ref %.17g, got %.17g)", what, i,
                     ref, got[i]);
        }
    }
    w->vectors++;
    w->values += n;
}

static void check_hog(FILE *f, const ref_case *rc, worst *w)
{
    char grey[16], source[16], what[128];
    int cell, n;
    assert_int_equal(fscanf(f, "%15s %d %15s %d", grey, &cell, source, &n), 4);
    assert_int_equal(n, imfeat_hog_dim(rc->h, rc->w, cell));
    double wt[3] = {0.299, 0.587, strcmp(grey, "bt601") == 0 ? 0.114 : 0.144};
    double g[64 * 64], out[64 * 64 * 9];
    void *work = malloc(imfeat_hog_work_size(rc->h, rc->w, cell));
    imfeat_grey(g, rc->img, (size_t)rc->h * rc->w, rc->c, wt);
    imfeat_hog(out, g, rc->h, rc->w, cell, work);
    free(work);
    snprintf(what, sizeof what, "%s hog %s cell %d (%s)", rc->name, grey, cell, source);
    compare(f, out, n, w, what);
}

static void check_hue(FILE *f, const ref_case *rc, worst *w)
{
    char source[16], what[128];
    int nbin, n;
    assert_int_equal(fscanf(f, "%d %15s %d", &nbin, source, &n), 3);
    assert_int_equal(n, nbin);
    double out[IMFEAT_HUE_MAX_BINS], exact[IMFEAT_HUE_MAX_BINS];
    uint8_t *table = malloc(IMFEAT_HUE_TABLE_BYTES);
    imfeat_hue_table(table, nbin);
    imfeat_hue_hist(out, rc->img, (size_t)rc->h * rc->w, nbin, table);
    imfeat_hue_hist(exact, rc->img, (size_t)rc->h * rc->w, nbin, NULL);
    free(table);
    assert_memory_equal(out, exact, sizeof(double) * nbin);
    snprintf(what, sizeof what, "%s hue nbin %d (%s)", rc->name, nbin, source);
    compare(f, out, n, w, what);
}

/* Runs every vector of the reference file; hog and hue tallied apart. */
static void run_reference(worst *hog, worst *hue)
{
    FILE *f = fopen(REF_FILE, "r");
    if (!f)
        fail_msg("cannot open %s", REF_FILE);
    ref_case rc;
    char tok[64];
    while (fscanf(f, "%63s", tok) == 1) {
        if (tok[0] == '#')
            skip_comment(f);
        else if (strcmp(tok, "case") == 0)
            assert_int_equal(read_case(f, &rc), 0);
        else if (strcmp(tok, "hog") == 0)
            check_hog(f, &rc, hog);
        else if (strcmp(tok, "hue") == 0)
            check_hue(f, &rc, hue);
        else if (strcmp(tok, "end") != 0)
            fail_msg("unexpected token '%s' in %s", tok, REF_FILE);
    }
    fclose(f);
}

static void report(const char *what, const worst *w)
{
    if (w->diff == 0.0)
        printf("%s: %d vectors, %d values, max |diff| = 0 (bit-identical)\n", what, w->vectors,
               w->values);
    else
        printf("%s: %d vectors, %d values, max |diff| = %.3g at %s\n", what, w->vectors,
               w->values, w->diff, w->where);
    assert_true(w->vectors > 0);
    if (w->diff > TOL)
        fail_msg("%s differs from features.py by %.3g at %s", what, w->diff, w->where);
}

static void test_reference_vectors(void **state)
{
    (void)state;
    worst hog = {0}, hue = {0};
    run_reference(&hog, &hue);
    report("HOG", &hog);
    report("hue histogram", &hue);
}

/* ---- fast decisions = exact decisions ------------------------------------------------- */

typedef struct grads {
    double *gx, *gy;
    size_t n, cap;
} grads;

static void add_grad(grads *g, double gx, double gy)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1 << 16;
        g->gx = realloc(g->gx, g->cap * sizeof(double));
        g->gy = realloc(g->gy, g->cap * sizeof(double));
        assert_true(g->gx && g->gy);
    }
    g->gx[g->n] = gx;
    g->gy[g->n++] = gy;
}

/* Gradients of real grey values: differences of 0.299 r + 0.587 g + 0.144 b. */
static void grads_of_grey_differences(grads *g)
{
    const double w[3] = {0.299, 0.587, 0.144};
    uint64_t s = 88172645463325252ull;
    for (int k = 0; k < 400000; k++) {
        uint8_t p[4][3];
        for (int i = 0; i < 12; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            p[i / 3][i % 3] = (uint8_t)(k % 3 == 0 ? s % 4 + 100 : s); /* small gradients too */
        }
        double v[4];
        for (int i = 0; i < 4; i++)
            imfeat_grey(&v[i], p[i], 1, 3, w);
        add_grad(g, v[1] - v[0], v[2] - v[0]);
        add_grad(g, 0.0, v[3] - v[0]); /* last column: gx = 0 */
        add_grad(g, v[1] - v[0], 0.0); /* last row: gy = 0 */
    }
}

/* Integer gradients (grey images), and gradients on and next to every edge. */
static void grads_of_edges(grads *g)
{
    for (int gx = -255; gx <= 255; gx += 1)
        for (int gy = -255; gy <= 255; gy += 3)
            add_grad(g, gx, gy);
    for (int e = -85; e <= 85; e += 1) {
        double t = tan(e * M_PI / 180.0);
        for (double x = 1e-3; x < 300; x *= 1.7)
            for (int u = -3; u <= 3; u++)
                add_grad(g, x, nextafter(x * t, u < 0 ? -INFINITY : INFINITY) + u * 1e-14 * x);
    }
    for (double y = 1e-6; y < 1e4; y *= 1.01) { /* gx = 0: orientation next to 0 / 180 */
        add_grad(g, 0.0, y);
        add_grad(g, 0.0, -y);
    }
}

/* Bins as imfeat_hog finds them (row_bins: two lanes at a time plus a scalar
 * tail, then the unsure ones recomputed) and as imfeat_hog_bin does, against the
 * orientation formula. */
static long count_disagreements(const grads *g)
{
    long bad = 0;
    for (size_t start = 0; start < g->n; start += 63) {
        int w = g->n - start < 63 ? (int)(g->n - start) : 63, hard[63];
        unsigned char slot[63];
        int n_hard = row_bins(slot, hard, 0, g->gx + start, g->gy + start, w);
        for (int k = 0; k < n_hard; k++) {
            int b = imfeat_hog_bin_exact(g->gx[start + hard[k]], g->gy[start + hard[k]]);
            slot[hard[k]] = (unsigned char)(b < 0 ? IMFEAT_HOG_BINS : b);
        }
        for (int c = 0; c < w; c++) {
            double gx = g->gx[start + c], gy = g->gy[start + c];
            int exact = imfeat_hog_bin_exact(gx, gy), one = imfeat_hog_bin(gx, gy);
            int row = slot[c] == IMFEAT_HOG_BINS ? -1 : slot[c];
            if ((row != exact || one != exact) && bad++ < 5)
                printf("hog bin: gx %.17g gy %.17g row %d single %d exact %d\n", gx, gy, row,
                       one, exact);
        }
    }
    return bad;
}

static void test_hog_bin_fast_equals_exact(void **state)
{
    (void)state;
    grads g = {0};
    grads_of_grey_differences(&g);
    grads_of_edges(&g);
    long bad = count_disagreements(&g);
    printf("hog bins: %zu gradients, %ld fast/exact disagreements\n", g.n, bad);
    free(g.gx);
    free(g.gy);
    assert_int_equal(bad, 0);
}

static void test_hue_bin_fast_equals_exact(void **state)
{
    (void)state;
    static const int nbins[] = {3, 10, 17, 255};
    uint8_t *table = malloc(IMFEAT_HUE_TABLE_BYTES);
    long n = 0, bad = 0, exact_slots = 0;
    for (size_t k = 0; k < sizeof nbins / sizeof nbins[0]; k++) {
        imfeat_hue_table(table, nbins[k]);
        for (size_t i = 0; i < IMFEAT_HUE_TABLE_BYTES; i++)
            exact_slots += table[i] == IMFEAT_HUE_EXACT;
        for (int r = 0; r < 256; r++)
            for (int g = 0; g < 256; g++)
                for (int b = (r + g) % 11; b < 256; b += 11) {
                    uint8_t p[3] = {(uint8_t)r, (uint8_t)g, (uint8_t)b};
                    int fast = imfeat_hue_bin(p, nbins[k], table);
                    int exact = imfeat_hue_bin(p, nbins[k], NULL);
                    n++;
                    if (fast != exact && bad++ < 5)
                        printf("hue bin: rgb %d %d %d nbin %d fast %d exact %d\n", r, g, b,
                               nbins[k], fast, exact);
                }
    }
    free(table);
    printf("hue bins: %ld pixels, %ld fast/exact disagreements (%ld table slots exact)\n", n,
           bad, exact_slots);
    assert_int_equal(bad, 0);
}

/* ---- shapes ---------------------------------------------------------------------------- */

static void test_dimensions(void **state)
{
    (void)state;
    imfeat_opts o = {{IMFEAT_HOG, IMFEAT_HUE, IMFEAT_PIXELS}, 3, 8, 10,
                        {0.299, 0.587, 0.144}, 32, 32, 3};
    assert_int_equal(imfeat_dim(&o), 144 + 10 + 3072);
    o = (imfeat_opts){{IMFEAT_HOG}, 1, 7, 1, {0}, 28, 28, 1};
    assert_int_equal(imfeat_dim(&o), 4 * 4 * 9);
    o.hog_cell = 4;
    assert_int_equal(imfeat_dim(&o), 7 * 7 * 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_vectors),
        cmocka_unit_test(test_hog_bin_fast_equals_exact),
        cmocka_unit_test(test_hue_bin_fast_equals_exact),
        cmocka_unit_test(test_dimensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
