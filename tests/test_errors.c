/* test_errors.c: the table of error codes (NN_ERRNO_MAP in nnlab/plugin.h):
 * the values plugins were compiled against, every code's name, message and
 * exit status (2 for bad input: NN_EINPUT, NN_EIO, NN_EPLUGIN; 1 for the
 * other failures; 0 for NN_OK), and the answers for a code not in the table. */
#include "testutil.h"

#include "nnlab/plugin.h"

static void test_values(void **s)
{
    /* the v1 ABI: plugins return these numbers */
    assert_int_equal(NN_OK, 0);
    assert_int_equal(NN_EINPUT, -1);
    assert_int_equal(NN_EIO, -2);
    assert_int_equal(NN_ENOMEM, -3);
    assert_int_equal(NN_EPLUGIN, -4);
    assert_int_equal(NN_EDIVERGED, -5);
    assert_int_equal(NN_EINTERNAL, -6);
}

static void expect_code(int code, const char *name, int status, const char *msg)
{
    printf("  %-13s %3d  exit %d  %s\n", nn_err_name(code), code, nn_exit_status(code), nn_strerror(code));
    assert_string_equal(nn_err_name(code), name);
    assert_int_equal(nn_exit_status(code), status);
    assert_string_equal(nn_strerror(code), msg);
}

static void test_table(void **s)
{
    expect_code(NN_OK, "NN_OK", 0, "success");
    expect_code(NN_EINPUT, "NN_EINPUT", 2, "bad input");
    expect_code(NN_EIO, "NN_EIO", 2, "a file could not be read or written");
    expect_code(NN_ENOMEM, "NN_ENOMEM", 1, "out of memory");
    expect_code(NN_EPLUGIN, "NN_EPLUGIN", 2, "a plugin could not be loaded or is inconsistent");
    expect_code(NN_EDIVERGED, "NN_EDIVERGED", 1, "training produced a non-finite value");
    expect_code(NN_EINTERNAL, "NN_EINTERNAL", 1, "internal error");
}

static void test_unknown(void **s)
{
    const int codes[] = {1, -7, -1000, 12345};
    for (int i = 0; i < NN_ARRAY_LEN(codes); i++)
        expect_code(codes[i], "NN_UNKNOWN", 1, "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
