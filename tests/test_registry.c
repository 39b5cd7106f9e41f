/* test_registry.c: plugin loading failures, each with its one clear message:
 * invalid names (rejected before any file is opened), unknown names with the
 * closest suggestion and the list of what exists, a missing entry symbol,
 * ABI and numeric-type mismatches, the wrong kind, inconsistent defaults,
 * dlopen errors. Uses the fixture plugins built only for tests. */
#include "testutil.h"

#include "registry.h"

#define FX NN_FIXTURE_DIR

static void expect_open_error(const char *what, nn_kind kind, const char *frag)
{
    nn_registry r;
    nn_registry_init(&r, FX);
    nn_handle h;
    nn_err err = {{0}};
    int rc = nn_plugin_open(&r, what, kind, &h, &err);
    printf("  %-40s -> %s\n", what, err.msg);
    assert_int_equal(rc, NN_EPLUGIN);
    assert_null(h.dl);
    if (!strstr(err.msg, frag))
        fail_msg("message '%s' lacks '%s'", err.msg, frag);
    nn_registry_free(&r);
}

static void test_names(void **s)
{
    expect_open_error("Adam", NN_KIND_OPTIM, "invalid plugin name 'Adam': names are [a-z0-9_]+");
    expect_open_error("adam-w", NN_KIND_OPTIM, "invalid plugin name");
    expect_open_error("", NN_KIND_OPTIM, "invalid plugin name");
    expect_open_error("adma", NN_KIND_OPTIM, "unknown optim plugin 'adma'; did you mean 'adam'?");
    expect_open_error("adma", NN_KIND_OPTIM, "available: ");
    expect_open_error("sgd", NN_KIND_INIT, "unknown init plugin 'sgd'");
}

static void test_fixtures(void **s)
{
    expect_open_error(FX "/optim/wrong_abi.so", NN_KIND_OPTIM, "ABI version");
    expect_open_error(FX "/optim/wrong_real_size.so", NN_KIND_OPTIM, "-byte nn_real");
    expect_open_error(FX "/optim/wrong_kind.so", NN_KIND_OPTIM, "is of kind init, expected kind optim");
    expect_open_error(FX "/optim/no_entry.so", NN_KIND_OPTIM, "missing entry symbol 'nnlab_plugin'");
    expect_open_error(FX "/init/bad_default.so", NN_KIND_INIT, "outside");
    expect_open_error("/nonexistent/x.so", 0, "no such plugin file");
}

static void test_dlopen_error(void **s)
{
    char path[128];
    tu_temp_file(path, ".so", "this is not an ELF file\n");
    expect_open_error(path, 0, "cannot load: ");
    unlink(path);
}

static void test_good_and_twice(void **s)
{
    nn_registry r;
    nn_registry_init(&r, NULL);
    nn_handle a, b;
    nn_err err;
    assert_int_equal(nn_plugin_open(&r, "sgd", NN_KIND_OPTIM, &a, &err), NN_OK);
    assert_int_equal(nn_plugin_open(&r, "sgd", 0, &b, &err), NN_OK);
    assert_string_equal(a.desc->name, "sgd");
    assert_int_equal(a.desc->kind, NN_KIND_OPTIM);
    nn_plugin_close(&a);
    assert_string_equal(b.desc->name, "sgd"); /* still valid after closing the other handle */
    nn_plugin_close(&b);
    nn_registry_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_dlopen_error),
        cmocka_unit_test(test_good_and_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
