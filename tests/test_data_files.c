/* test_data_files.c: the npy and csv data plugins load exactly the values
 * written (paths relative to the experiment file), agree with each other,
 * read class names from CSV labels, and refuse bad files with NN_EINPUT or
 * NN_EIO and a message naming the file. */
#include "testutil.h"

#include <libgen.h>

#include "experiment.h"
#include "data.h"
#include "nnlab/io.h"
#include "run.h"

enum { M = 7, D = 3 };
static double X[M][D];
static int Y[M];
static char dir[128], rel[128]; /* temp folder, and its name relative to /tmp */

static void path_of(char *out, const char *name) { snprintf(out, 300, "%s/%s", dir, name); }

static void write_text(const char *name, const char *text)
{
    char p[300];
    path_of(p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_npy(const char *name, const double *v, int ndim, size_t r, size_t c)
{
    char p[300];
    nn_err err;
    path_of(p, name);
    size_t shape[2] = {r, c};
    if (nn_npy_write_f64(p, v, ndim, shape, &err))
        fail_msg("%s", err.msg);
}

/* Loads a data section whose "@" stand for the temp folder's relative name.
 * Returns the plugin's code; err holds the message. */
static int load(const char *section, nn_data *d, nn_err *err)
{
    char text[2048], sec[1536], cfg[128];
    size_t o = 0;
    for (const char *p = section; *p && o + 64 < sizeof sec; p++)
        o += *p == '@' ? (size_t)snprintf(sec + o, sizeof sec - o, "%s", rel) : (sec[o] = *p, 1);
    sec[o] = '\0';
    snprintf(text, sizeof text, "name = \"t\";\ndata = { %s };\n", sec);
    tu_temp_file(cfg, ".cfg", text); /* in /tmp, next to the folder */
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    int rc = nn_experiment_load(&x, cfg, NULL, 0, &reg, err);
    nn_registry_free(&reg);
    unlink(cfg);
    if (rc)
        fail_msg("%s", err->msg);
    rc = nn_load_data(&x, d, 1, err);
    nn_experiment_free(&x);
    return rc;
}

static int setup(void **s)
{
    tu_temp_dir(dir);
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", dir);
    snprintf(rel, sizeof rel, "%s", basename(tmp));
    nn_rng r;
    nn_rng_seed(&r, 12);
    double yv[M];
    for (int i = 0; i < M; i++) {
        for (int f = 0; f < D; f++)
            X[i][f] = nn_rng_randn(&r) * pow(10, (double)(i - 3));
        Y[i] = i % 3;
        yv[i] = Y[i];
    }
    write_npy("x.npy", &X[0][0], 2, M, D);
    write_npy("y.npy", yv, 2, M, 1); /* (m, 1) floats */
    write_npy("y1.npy", yv, 1, M, 0); /* (m,) */
    char csv[4096];
    size_t o = (size_t)snprintf(csv, sizeof csv, "# written by test_data_files\r\nlabel, a, \"b\", c\r\n\r\n");
    for (int i = 0; i < M; i++)
        o += (size_t)snprintf(csv + o, sizeof csv - o, "%d, %.17g,\"%.17g\" ,%.17g\r\n", Y[i], X[i][0], X[i][1], X[i][2]);
    write_text("data.csv", csv);
    o = 0;
    for (int i = 0; i < M; i++)
        o += (size_t)snprintf(csv + o, sizeof csv - o, "%.17g\t%.17g  %.17g\n", X[i][0], X[i][1], X[i][2]);
    write_text("x.txt", csv);
    return 0;
}

static int teardown(void **s)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void check(const nn_split *sp, size_t m)
{
    assert_int_equal(sp->m, m);
    assert_memory_equal(sp->X, &X[0][0], m * D * sizeof(double));
    for (size_t i = 0; i < m; i++)
        assert_int_equal(sp->y[i], Y[i]);
}

static void test_npy_values(void **s)
{
    nn_data d;
    nn_err err;
    int rc = load("plugin = \"npy\"; x_train = \"@/x.npy\"; y_train = \"@/y.npy\"; x_val = \"@/x.npy\";"
                  " y_val = \"@/y1.npy\"; x_test = \"@/x.npy\"; y_test = \"@/y.npy\";", &d, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(d.d, D);
    assert_int_equal(d.n_classes, 3);
    check(&d.train, M);
    check(&d.val, M);
    check(&d.test, M);
    nn_data_free(&d);
    rc = load("plugin = \"npy\"; x_train = \"@/x.npy\"; y_train = \"@/y.npy\"; classes = 5;", &d, &err);
    assert_int_equal(rc, NN_OK);
    assert_int_equal(d.n_classes, 5);
    assert_int_equal(d.test.m, 0);
    nn_data_free(&d);
}

static void test_csv_values(void **s)
{
    nn_data d;
    nn_err err;
    /* label in column 0 with a header; a tab/space separated file without
     * labels plus a label-only file for the test split */
    char y[256] = "";
    for (int i = 0; i < M; i++)
        snprintf(y + strlen(y), sizeof y - strlen(y), "%d\n", Y[i]);
    write_text("y.txt", y);
    int rc = load("plugin = \"csv\"; x_train = \"@/data.csv\"; label_column = 0; header = true;"
                  " x_test = \"@/x.txt\"; y_test = \"@/y.txt\";", &d, &err);
    if (rc == NN_OK || !strstr(err.msg, "x.txt:1: header = true"))
        fail_msg("header applies to every file: %s", err.msg);
    printf("  %s\n", err.msg);
    write_text("xh.txt", "a b c\n");
    char p[300], q[300], cmd[700];
    path_of(p, "x.txt");
    path_of(q, "xh.txt");
    snprintf(cmd, sizeof cmd, "cat '%s' >> '%s'; printf 'y\\n%s' > '%s/yh.txt'", p, q, y, dir);
    assert_int_equal(system(cmd), 0);
    rc = load("plugin = \"csv\"; x_train = \"@/data.csv\"; label_column = 0; header = true;"
              " x_test = \"@/xh.txt\"; y_test = \"@/yh.txt\";", &d, &err);
    if (rc)
        fail_msg("%s", err.msg);
    check(&d.train, M);
    check(&d.test, M);
    assert_int_equal(d.n_classes, 3);
    nn_data_free(&d);
}

static void test_csv_names(void **s)
{
    write_text("iris.csv", "5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n");
    write_text("iris_test.csv", "5.0,3.6,setosa\n6.4,3.2,virginica\n");
    write_text("iris_bad.csv", "5.0,3.6,setosa\n6.4,3.2,virginca\n");
    nn_data d;
    nn_err err;
    int rc = load("plugin = \"csv\"; x_train = \"@/iris.csv\"; x_test = \"@/iris_test.csv\";", &d, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(d.n_classes, 3);
    assert_string_equal(d.class_names[0], "setosa");
    assert_string_equal(d.class_names[2], "virginica");
    int32_t want[] = {0, 1, 2, 0}, want_t[] = {0, 2};
    assert_memory_equal(d.train.y, want, sizeof want);
    assert_memory_equal(d.test.y, want_t, sizeof want_t);
    assert_true(d.train.X[2] == 7.0 && d.test.X[3] == 3.2);
    nn_data_free(&d);
    rc = load("plugin = \"csv\"; x_train = \"@/iris.csv\"; x_test = \"@/iris_bad.csv\";", &d, &err);
    printf("  %s\n", err.msg);
    assert_int_equal(rc, NN_EINPUT);
    assert_non_null(strstr(err.msg, "iris_bad.csv:2: label 'virginca' does not occur in the training labels"));
}

static void test_bad_files(void **s)
{
    double half[M] = {0, 1, 0.5, 1, 0, 1, 0}, nanx[M * D];
    memcpy(nanx, X, sizeof nanx);
    nanx[5] = NAN;
    write_npy("half.npy", half, 1, M, 0);
    write_npy("nan.npy", nanx, 2, M, D);
    write_npy("xt.npy", &X[0][0], 2, D, M); /* transposed */
    static const struct {
        const char *section;
        int rc;
        const char *msg;
    } t[] = {
        {"plugin = \"npy\"; x_train = \"@/x.npy\"; y_train = \"@/half.npy\";", NN_EINPUT,
         "half.npy: label 0.5 at row 2 is not a class number"},
        {"plugin = \"npy\"; x_train = \"@/nan.npy\"; y_train = \"@/y.npy\";", NN_EINPUT,
         "nan.npy: non-finite value nan at row 1, column 2"},
        {"plugin = \"npy\"; x_train = \"@/xt.npy\"; y_train = \"@/y1.npy\";", NN_EINPUT,
         "X looks transposed"},
        {"plugin = \"npy\"; x_train = \"@/x.npy\"; y_train = \"@/nothere.npy\";", NN_EIO,
         "nothere.npy: cannot open"},
        {"plugin = \"npy\"; y_train = \"@/y.npy\";", NN_EINPUT, "x_train: no file given"},
        {"plugin = \"npy\"; x_train = \"@/x.npy\"; y_train = \"@/y.npy\"; x_test = \"@/x.npy\"; y_test = \"@/x.npy\";",
         NN_EINPUT, "x.npy: y must have shape (m,) or (m, 1), got (7, 3)"},
        {"plugin = \"csv\"; x_train = \"@/data.csv\";", NN_EINPUT, "data.csv:2: column 0: 'label' is not a number"},
        {"plugin = \"csv\"; x_train = \"@/data.csv\"; header = true;", NN_EINPUT, "data.csv:4: label '"},
        {"plugin = \"csv\"; x_train = \"@/x.txt\"; delimiter = \"comma\";", NN_EINPUT,
         "x.txt: one column only, no features besides the label"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        nn_data d;
        nn_err err = {{0}};
        int rc = load(t[i].section, &d, &err);
        printf("  %s\n", err.msg);
        assert_int_equal(rc, t[i].rc);
        if (!strstr(err.msg, t[i].msg))
            fail_msg("expected '%s' in '%s'", t[i].msg, err.msg);
    }
}

/* A header that claims far more data than the file holds is a truncated file
 * (NN_EINPUT), not an allocation of what the header claims (NN_ENOMEM). */
static void test_npy_huge_shape(void **s)
{
    static const char *const shapes[] = {"(1099511627776, 1)", "(100000000, 100)", "(7, 3)"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char hdr[128], p[300];
        int len = snprintf(hdr, sizeof hdr, "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }",
                           shapes[i]);
        while ((10 + len + 1) % 64)
            hdr[len++] = ' ';
        hdr[len++] = '\n';
        unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)len, 0};
        path_of(p, "huge.npy");
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        fwrite(head, 1, 10, f);
        fwrite(hdr, 1, (size_t)len, f);
        fwrite(X, 1, 16, f); /* two of the values */
        fclose(f);
        nn_npy a;
        nn_err err = {{0}};
        assert_int_equal(nn_npy_read(p, &a, &err), NN_EINPUT);
        if (!strstr(err.msg, "huge.npy: truncated"))
            fail_msg("expected 'truncated' in '%s'", err.msg);
        assert_null(a.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_values),
        cmocka_unit_test(test_csv_values),
        cmocka_unit_test(test_csv_names),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_npy_huge_shape),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
