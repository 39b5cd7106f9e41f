/* test_exact_ints.c: every integer of an experiment file or a -s override
 * is the number written, or refused naming it as written. libconfig 1.5
 * reads a literal without L as 32 bits and wraps it (seed = 99999999999 ran
 * with 1215752191, 4294967296 with 0, train.epochs = 4294967297 with 1,
 * hidden = [4294967306, 5] as [10, 5], -s train.epochs=4294967298 as 2, and
 * the valid seed 3000000000 was refused as -1294967296): each case here,
 * plus literals beside comments, strings, floats and names holding digits,
 * hexadecimal, negative, 64-bit overflow, arrays, and config.cfg written
 * with L and read back to the same values. A float literal beyond a double
 * (1e400, which libconfig reads as inf, 1e-400 as 0) is refused naming it,
 * and an out-of-range integer is named as written (0x1FFFFFFFF in
 * hexadecimal, 123456789012345678 with every digit). */
#include "testutil.h"

#include "experiment.h"

static const char *head = "name = \"t\";\n"
                          "data  = { plugin = \"planar\"; n_train = 20; n_test = 10; };\n";

typedef struct loaded {
    char path[128];
    nn_registry reg;
    nn_experiment x;
    nn_err err;
    int rc;
} loaded;

static void load(loaded *l, const char *body, const char *ov)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", head, body);
    tu_temp_file(l->path, ".cfg", text);
    nn_registry_init(&l->reg, NULL);
    const char *ovs[1] = {ov};
    memset(&l->err, 0, sizeof l->err);
    l->rc = nn_experiment_load(&l->x, l->path, ovs, ov ? 1 : 0, &l->reg, &l->err);
    printf("  %s%s%s -> %s\n", body, ov ? " -s " : "", ov ? ov : "", l->rc ? l->err.msg : "accepted");
}

static void unload(loaded *l)
{
    nn_experiment_free(&l->x);
    nn_registry_free(&l->reg);
    unlink(l->path);
}

/* body (line 3 of the file) or the override is refused with every fragment;
 * "@FILE" stands for the file's path. */
static void refused(const char *body, const char *ov, const char *const *frags)
{
    loaded l;
    load(&l, body, ov);
    assert_int_equal(l.rc, NN_EINPUT);
    for (; *frags; frags++) {
        char buf[256];
        const char *f = *frags;
        if (strncmp(f, "@FILE", 5) == 0) {
            snprintf(buf, sizeof buf, "%s%s", l.path, f + 5);
            f = buf;
        }
        if (!strstr(l.err.msg, f))
            fail_msg("message '%s' lacks '%s'", l.err.msg, f);
    }
    unload(&l);
}

#define REFUSED(body, ov, ...)                                                 \
    do {                                                                       \
        const char *fr[] = {__VA_ARGS__, NULL};                                \
        refused(body, ov, fr);                                                 \
    } while (0)

static void test_issue_cases(void **s)
{
    REFUSED("seed = 99999999999;\n", NULL, "@FILE:3: seed: 99999999999 is outside the allowed range");
    REFUSED("seed = 4294967296;\n", NULL, "@FILE:3: seed: 4294967296 is outside the allowed range");
    REFUSED("train = { epochs = 4294967297; };\n", NULL,
            "@FILE:3: train.epochs: 4294967297 is outside the allowed range");
    REFUSED("model = { hidden = [4294967306, 5]; };\n", NULL,
            "@FILE:3: model.hidden[0]: 4294967306 is outside the allowed range");
    REFUSED("", "train.epochs=4294967298", "train.epochs: 4294967298 is outside the allowed range",
            "command line");
    /* the valid seed 3000000000 is used exactly */
    loaded l;
    load(&l, "seed = 3000000000;\n", NULL);
    assert_int_equal(l.rc, NN_OK);
    assert_true(l.x.seed == 3000000000u);
    unload(&l);
}

static void test_values_used_exactly(void **s)
{
    loaded l;
    const char *body = "seed = 0xFFFFFFFF; /* 3000000000 */ train = { epochs = 2L; seed = 4000000000; };\n"
                       "# 4294967296 in a comment, \"99999999999\" too\n"
                       "optim = { plugin = \"sgd\"; lr = 300000; schedule = { step_size = 25; }; };\n"
                       "init = { plugin = \"he\"; seed = 2147483648; };\n";
    load(&l, body, "data.val_seed=3000000000");
    if (l.rc)
        fail_msg("%s", l.err.msg);
    assert_true(l.x.seed == 4294967295u);
    assert_true(l.x.train.seed == 4000000000u);
    assert_true(l.x.init.seed == 2147483648u);
    assert_int_equal(l.x.opts.train.epochs, 2);
    assert_true(nn_section_get(&l.x.data, "val_seed")->i == 3000000000L);
    assert_true(nn_section_get(&l.x.optim, "lr")->r == 300000.0);
    /* config.cfg: 64-bit values with L, read back to the same numbers */
    char out[160];
    snprintf(out, sizeof out, "%s.resolved.cfg", l.path);
    nn_err err;
    assert_int_equal(nn_experiment_write(&l.x, out, &err), NN_OK);
    FILE *f = fopen(out, "r");
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "seed = 4294967295L;"));
    assert_non_null(strstr(text, "val_seed = 3000000000L;"));
    nn_experiment y;
    assert_int_equal(nn_experiment_load(&y, out, NULL, 0, &l.reg, &err), NN_OK);
    assert_true(y.seed == 4294967295u && y.train.seed == 4000000000u && y.init.seed == 2147483648u);
    assert_true(nn_section_get(&y.data, "val_seed")->i == 3000000000L);
    nn_experiment_free(&y);
    unlink(out);
    unload(&l);
}

static void test_beyond_64_bits(void **s)
{
    REFUSED("seed = 99999999999999999999;\n", NULL,
            "@FILE:3: seed: 99999999999999999999 does not fit in a 64-bit integer");
    REFUSED("seed = 99999999999999999999L;\n", NULL,
            "@FILE:3: seed: 99999999999999999999L does not fit in a 64-bit integer");
    REFUSED("train = { epochs = 0xFFFFFFFFFFFFFFFFFL; };\n", NULL,
            "@FILE:3: train.epochs: 0xFFFFFFFFFFFFFFFFFL does not fit in a 64-bit integer");
    REFUSED("", "seed=123456789012345678901234", "-s seed",
            "123456789012345678901234 does not fit in a 64-bit integer");
    REFUSED("train = { epochs = -9223372036854775809L; };\n", NULL, "does not fit in a 64-bit integer");
}

static void test_negative_and_lists(void **s)
{
    REFUSED("train = { epochs = -3000000000; };\n", NULL,
            "@FILE:3: train.epochs: -3000000000 is outside the allowed range");
    REFUSED("model = { hidden = [5, 3, 8589934597]; };\n", NULL,
            "model.hidden[2]: 8589934597 is outside the allowed range");
    REFUSED("", "model.hidden=[4, 4294967300]", "4294967300 is outside the allowed range");
    REFUSED("optim = { plugin = \"sgd\"; lr = 3000000000; };\n", NULL,
            "@FILE:3: optim.lr: 3000000000 is outside the allowed range");
    /* two literals on one line, the wrapped one second */
    REFUSED("train = { log_every = 1; epochs = 4294967297; };\n", NULL,
            "train.epochs: 4294967297 is outside");
    /* a literal on the line after its name */
    REFUSED("train = { epochs =\n  4294967297; };\n", NULL, "train.epochs: 4294967297 is outside");
}

static void test_floats_and_hex(void **s)
{
    REFUSED("optim = { plugin = \"sgd\"; lr = 1e400; };\n", NULL,
            "@FILE:3: optim.lr: 1e400 does not fit in a double");
    REFUSED("train = { epochs = 3; clip_norm = 1e-400; };\n", NULL,
            "@FILE:3: train.clip_norm: 1e-400 does not fit in a double: it would be read as 0");
    REFUSED("model = { hidden = [4]; }; reg = ( { plugin = \"dropout\"; keep_probs = [.5e-400]; } );\n",
            NULL, "@FILE:3: reg[0].keep_probs[0]: .5e-400 does not fit in a double");
    REFUSED("", "optim.lr=-1e-400", "-s optim.lr: -1e-400 does not fit in a double");
    REFUSED("seed = 0x1FFFFFFFF;\n", NULL, "@FILE:3: seed: 0x1FFFFFFFF is outside the allowed range");
    REFUSED("", "train.epochs=0x7FFFFFFFFFFFFFFF", "train.epochs: 0x7FFFFFFFFFFFFFFF is outside the allowed range");
    REFUSED("train = { epochs = 123456789012345678L; };\n", NULL,
            "@FILE:3: train.epochs: 123456789012345678 is outside the allowed range");
    /* zero written as zero, and a subnormal, are values a double holds */
    loaded l;
    load(&l, "optim = { plugin = \"sgd\"; lr = 0.0e-400; }; train = { clip_norm = 1e-310; };\n", NULL);
    if (l.rc)
        fail_msg("%s", l.err.msg);
    assert_true(nn_section_get(&l.x.optim, "lr")->r == 0.0);
    assert_true(l.x.opts.train.clip_norm == 1e-310);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_cases),
        cmocka_unit_test(test_values_used_exactly),
        cmocka_unit_test(test_beyond_64_bits),
        cmocka_unit_test(test_negative_and_lists),
        cmocka_unit_test(test_floats_and_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
