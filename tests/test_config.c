/* test_config.c: every bad experiment file gives one message naming the
 * file, line and key, and an input error code; -s overrides get the same
 * checks; defaults are filled in and the resolved file reruns identically;
 * hidden = [] is the same model as no hidden key (no hidden layer). */
#include "testutil.h"

#include "experiment.h"

static const char *base =
    "name = \"t\"; seed = 1;\n"                                   /* 1 */
    "data  = { plugin = \"planar\"; n_train = 20; n_test = 10; };\n" /* 2 */
    "model = { hidden = [4]; };\n"                                 /* 3 */
    "init  = { plugin = \"he\"; };\n"                              /* 4 */
    "optim = { plugin = \"sgd\"; lr = 0.1; };\n"                   /* 5 */
    "train = { epochs = 5; };\n";                                  /* 6 */

/* Loads text (+ overrides); expects failure with every fragment in the message. */
static void expect_error(const char *text, const char *ov, const char *const *frags)
{
    char path[128];
    tu_temp_file(path, ".cfg", text);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    nn_err err = {{0}};
    const char *ovs[1] = {ov};
    int rc = nn_experiment_load(&x, path, ovs, ov ? 1 : 0, &reg, &err);
    printf("  -> %s\n", err.msg);
    assert_true(rc == NN_EINPUT || rc == NN_EIO);
    for (; *frags; frags++) {
        const char *f = *frags;
        char buf[256];
        if (strncmp(f, "@FILE", 5) == 0) {
            snprintf(buf, sizeof buf, "%s%s", path, f + 5);
            f = buf;
        }
        if (!strstr(err.msg, f))
            fail_msg("message '%s' lacks '%s'", err.msg, f);
    }
    nn_experiment_free(&x);
    nn_registry_free(&reg);
    unlink(path);
}

static void replace_line(char *out, size_t n, int line, const char *with)
{
    const char *p = base;
    size_t o = 0;
    for (int l = 1; *p; l++) {
        const char *e = strchr(p, '\n');
        size_t len = (size_t)(e - p) + 1;
        const char *src = l == line ? with : p;
        size_t sl = l == line ? strlen(with) : len;
        memcpy(out + o, src, sl);
        o += sl;
        p += len;
    }
    out[o] = '\0';
    assert_true(o < n);
}

#define ERR(line, text, ...)                                                   \
    do {                                                                       \
        char buf[2048];                                                        \
        replace_line(buf, sizeof buf, line, text);                             \
        const char *fr[] = {__VA_ARGS__, NULL};                                \
        expect_error(buf, NULL, fr);                                           \
    } while (0)

static void test_unknown_keys(void **s)
{
    ERR(5, "optim = { plugin = \"sgd\"; lr = 0.1; lrr = 2.0; };\n", "@FILE:5: optim.lrr: unknown key",
        "did you mean 'lr'");
    ERR(6, "train = { epochs = 5; batchsize = 3; };\n", "@FILE:6: train.batchsize: unknown key",
        "batch_size");
    ERR(6, "trian = { epochs = 5; };\n", "@FILE:6: trian: unknown key", "did you mean 'train'");
}

static void test_types_and_ranges(void **s)
{
    ERR(5, "optim = { plugin = \"sgd\"; lr = \"fast\"; };\n", "@FILE:5: optim.lr: expected a number");
    ERR(5, "optim = { plugin = \"sgd\"; lr = -1.0; };\n", "@FILE:5: optim.lr:", "outside the allowed range");
    ERR(6, "train = { epochs = 2.5; };\n", "@FILE:6: train.epochs: expected an integer");
    ERR(3, "model = { hidden = [4, 0]; };\n", "@FILE:3: model.hidden[1]", "outside the allowed range");
    ERR(3, "model = { hidden = [4]; activation = \"relu6\"; };\n", "@FILE:3: model.activation:",
        "'relu6' is not one of", "did you mean 'relu'");
    ERR(2, "data = { plugin = \"planar\"; shape = \"moon\"; };\n", "@FILE:2: data.shape:", "did you mean 'moons'");
    ERR(1, "name = \"t\"; seed = -4;\n", "@FILE:1: seed:");
    ERR(6, "train = { epochs = 5; seed = 5000000000L; };\n", "@FILE:6: train.seed:", "outside");
    ERR(1, "name = \"t\"; seed = 1; base_dir = \"/nonexistent_dir\";\n",
        "@FILE:1: base_dir: folder '/nonexistent_dir' does not exist");
}

static void test_plugins(void **s)
{
    ERR(5, "optim = { plugin = \"sdg\"; };\n", "@FILE:5: optim.plugin: unknown optim plugin 'sdg'",
        "did you mean 'sgd'", "available:");
    ERR(5, "optim = { plugin = \"../evil\"; };\n", "@FILE:5: optim.plugin: invalid plugin name");
    ERR(5, "optim = { plugin = \"Adam\"; };\n", "@FILE:5: optim.plugin: invalid plugin name 'Adam'");
    ERR(4, "init = { plugin = \"sgd\"; };\n", "@FILE:4: init.plugin: unknown init plugin 'sgd'");
    ERR(2, "data = { n_train = 20; };\n", "@FILE:2: data: missing key 'plugin'");
}

static void test_syntax_and_files(void **s)
{
    ERR(3, "model = { hidden = [4 };\n", "@FILE:3: syntax error");
    const char *fr[] = {"/nonexistent/x.cfg: cannot open", NULL};
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    nn_err err;
    assert_int_equal(nn_experiment_load(&x, "/nonexistent/x.cfg", NULL, 0, &reg, &err), NN_EIO);
    assert_non_null(strstr(err.msg, fr[0]));
    nn_experiment_free(&x);
    nn_registry_free(&reg);
}

static void test_overrides(void **s)
{
    const char *f1[] = {"optim.lr: expected a number", "given on the command line", NULL};
    expect_error(base, "optim.lr=\"x\"", f1);
    const char *f2[] = {"-s model.hidden", "cannot parse value", NULL};
    expect_error(base, "model.hidden=[7,", f2);
    const char *f3[] = {"-s nosuch.deep.key: no such group", NULL};
    expect_error(base, "nosuch.deep.key=1", f3);
}

static void test_defaults_and_resolved(void **s)
{
    char path[128], out[160];
    tu_temp_file(path, ".cfg", base);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x, y;
    nn_err err;
    const char *ov[] = {"model.hidden=[7, 4]", "optim.lr=0.25"};
    if (nn_experiment_load(&x, path, ov, 2, &reg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(nn_section_get(&x.model, "hidden")->n, 2);
    assert_int_equal(nn_section_get(&x.model, "hidden")->ints[0], 7);
    assert_true(nn_section_get(&x.optim, "lr")->r == 0.25);
    assert_int_equal(nn_section_get(&x.train, "batch_size")->i, 0); /* default */
    assert_string_equal(nn_section_get(&x.data, "shape")->s, "circles");
    snprintf(out, sizeof out, "%s.resolved", path);
    assert_int_equal(nn_experiment_write(&x, out, &err), NN_OK);
    if (nn_experiment_load(&y, out, NULL, 0, &reg, &err))
        fail_msg("resolved file does not load: %s", err.msg);
    assert_true(nn_section_get(&y.optim, "lr")->r == 0.25);
    assert_int_equal(y.init.seed, x.init.seed);
    assert_int_equal(y.train.seed, x.train.seed);
    assert_true(nn_section_get(&y.data, "noise")->r == nn_section_get(&x.data, "noise")->r);
    nn_experiment_free(&x);
    nn_experiment_free(&y);
    nn_registry_free(&reg);
    unlink(path);
    unlink(out);
}

/* The resolved text of base with line 3 (the model) replaced by model. */
static char *resolved_with_model(const char *model, int *n_hidden)
{
    char text[1024], path[128], out[160];
    replace_line(text, sizeof text, 3, model);
    tu_temp_file(path, ".cfg", text);
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    nn_err err;
    if (nn_experiment_load(&x, path, NULL, 0, &reg, &err))
        fail_msg("%s", err.msg);
    *n_hidden = nn_section_get(&x.model, "hidden")->n;
    snprintf(out, sizeof out, "%s.resolved", path);
    assert_int_equal(nn_experiment_write(&x, out, &err), NN_OK);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char *body = calloc(1, 65536);
    assert_non_null(body);
    size_t n = fread(body, 1, 65535, f);
    fclose(f);
    body[n] = '\0';
    /* the first line names the source file, which differs */
    memmove(body, strchr(body, '\n') + 1, strlen(strchr(body, '\n') + 1) + 1);
    nn_experiment_free(&x);
    nn_registry_free(&reg);
    unlink(path);
    unlink(out);
    return body;
}

/* hidden = [] and no hidden key: one model, without a hidden layer, and one
 * resolved config (logistic regression: experiments/benchmark/quadratic.cfg). */
static void test_no_hidden_layer(void **s)
{
    int n_empty = -1, n_absent = -1, n_one = -1;
    char *empty = resolved_with_model("model = { output = \"sigmoid\"; hidden = []; };\n", &n_empty);
    char *absent = resolved_with_model("model = { output = \"sigmoid\"; };\n", &n_absent);
    char *one = resolved_with_model("model = { hidden = [4]; output = \"sigmoid\"; };\n", &n_one);
    assert_int_equal(n_empty, 0);
    assert_int_equal(n_absent, 0);
    assert_int_equal(n_one, 1);
    assert_string_equal(empty, absent);
    assert_true(strcmp(empty, one) != 0);
    free(empty);
    free(absent);
    free(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_keys),    cmocka_unit_test(test_types_and_ranges),
        cmocka_unit_test(test_plugins),         cmocka_unit_test(test_syntax_and_files),
        cmocka_unit_test(test_overrides),       cmocka_unit_test(test_defaults_and_resolved),
        cmocka_unit_test(test_no_hidden_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
