/* test_decls.c: nn_decls_defaults gives every built plugin exactly the
 * values the experiment reader gives it for an empty block (scalars, strings
 * and every element of list defaults); a list default that does not parse
 * or has elements of the wrong type is refused with the parameter's name;
 * nn_rel_diff on zero, NaN and an ordinary pair. */
#include "testutil.h"

#include "decls.h"
#include "experiment.h"
#include "registry.h"
#include "util.h"

typedef struct walk {
    const nn_registry *reg;
    int plugins, values, list_elems;
} walk;

static void same_values(const nn_param_decl *d, const nn_value *a, const nn_value *b, const char *who, walk *w)
{
    switch (d->type) {
    case NN_T_REAL:
        if (memcmp(&a->r, &b->r, sizeof a->r) != 0)
            fail_msg("%s.%s: default %.17g, reader %.17g", who, d->name, a->r, b->r);
        break;
    case NN_T_INT:
    case NN_T_BOOL:
        if (a->i != b->i)
            fail_msg("%s.%s: default %ld, reader %ld", who, d->name, a->i, b->i);
        break;
    case NN_T_STRING:
        if (strcmp(a->s, b->s) != 0)
            fail_msg("%s.%s: default '%s', reader '%s'", who, d->name, a->s, b->s);
        break;
    default:
        if (a->n != b->n)
            fail_msg("%s.%s: default list of %d, reader %d", who, d->name, a->n, b->n);
        for (int k = 0; k < a->n; k++) {
            int ok = d->type == NN_T_INTLIST    ? a->ints[k] == b->ints[k]
                     : d->type == NN_T_REALLIST ? memcmp(&a->reals[k], &b->reals[k], sizeof(nn_real)) == 0
                                                : strcmp(a->strs[k], b->strs[k]) == 0;
            if (!ok)
                fail_msg("%s.%s: element %d differs from the reader's", who, d->name, k);
            w->list_elems++;
        }
    }
    w->values++;
}

static void one_plugin(void *ud, nn_kind kind, const char *name, const char *path)
{
    walk *w = ud;
    static const char built[] = NN_BUILD_DIR "/plugins/";
    if (strncmp(path, built, sizeof built - 1) != 0)
        return; /* only this build's plugins, not an installed set */
    nn_handle h;
    nn_err e = {{0}};
    if (nn_plugin_open(w->reg, path, kind, &h, &e) != NN_OK)
        fail_msg("%s: %s", path, e.msg);
    const nn_plugin *p = h.desc;
    nn_value v[NN_MAX_PARAMS];
    void *lists[NN_MAX_PARAMS];
    if (nn_decls_defaults(p->params, p->n_params, v, lists, &e) != NN_OK)
        fail_msg("%s: %s", name, e.msg);
    nn_experiment x;
    if (nn_experiment_read_block(&x, p, "test", "", &e) != NN_OK)
        fail_msg("%s: %s", name, e.msg);
    const nn_section *s = nn_experiment_block(&x, p->kind);
    for (int i = 0; i < p->n_params; i++)
        same_values(&p->params[i], &v[i], &s->values[i], name, w);
    for (int i = 0; i < p->n_params; i++)
        free(lists[i]);
    nn_experiment_free(&x);
    nn_plugin_close(&h);
    w->plugins++;
}

static void test_defaults_equal_reader(void **state)
{
    nn_registry r;
    nn_registry_init(&r, NN_BUILD_DIR "/plugins");
    walk w = {&r, 0, 0, 0};
    nn_registry_scan(&r, 0, one_plugin, &w);
    printf("  %d plugins, %d parameters (%d list elements): defaults equal the reader's values\n", w.plugins,
           w.values, w.list_elems);
    assert_true(w.plugins >= 20);
    assert_true(w.list_elems > 0);
    nn_registry_free(&r);
}

static void test_bad_list_defaults(void **state)
{
    static const nn_param_decl bad[][2] = {
        {{"a", NN_T_REAL, 1, NULL, 0, 2, NULL, "ok"}, {"keep", NN_T_REALLIST, 0, "[0.5, ", 0, 1, NULL, "bad"}},
        {{"a", NN_T_REAL, 1, NULL, 0, 2, NULL, "ok"}, {"keep", NN_T_INTLIST, 0, "[1.5]", 0, 9, NULL, "bad"}},
        {{"a", NN_T_REAL, 1, NULL, 0, 2, NULL, "ok"}, {"keep", NN_T_STRLIST, 0, "3", 0, 0, NULL, "bad"}},
    };
    for (int k = 0; k < 3; k++) {
        nn_value v[2];
        void *lists[2];
        nn_err e = {{0}};
        int rc = nn_decls_defaults(bad[k], 2, v, lists, &e);
        printf("  %-8s -> %s\n", bad[k][1].def_str, e.msg);
        assert_int_equal(rc, NN_EPLUGIN);
        assert_non_null(strstr(e.msg, "parameter 'keep'"));
    }
    static const nn_param_decl good[] = {
        {"sizes", NN_T_INTLIST, 0, "[3, 4]", 0, 9, NULL, "ok"},
        {"probs", NN_T_REALLIST, 0, "[1.0, 0.25]", 0, 1, NULL, "ok"},
        {"names", NN_T_STRLIST, 0, "[\"hog\", \"hue_hist\"]", 0, 0, NULL, "ok"},
        {"flag", NN_T_BOOL, 1, NULL, 0, 1, NULL, "ok"},
    };
    nn_value v[4];
    void *lists[4];
    nn_err e;
    assert_int_equal(nn_decls_defaults(good, 4, v, lists, &e), NN_OK);
    assert_int_equal(v[0].n, 2);
    assert_int_equal(v[0].ints[1], 4);
    assert_true(v[1].reals[0] == 1.0 && v[1].reals[1] == 0.25);
    assert_string_equal(v[2].strs[1], "hue_hist");
    assert_int_equal(v[3].i, 1);
    assert_null(lists[3]);
    for (int i = 0; i < 4; i++)
        free(lists[i]);
}

static void test_rel_diff(void **state)
{
    assert_true(nn_rel_diff(0, 0, 0) == 0);
    assert_true(isnan(nn_rel_diff(NAN, 1, 1)));
    assert_true(isnan(nn_rel_diff(1, NAN, 1)));
    /* a = (3, 0), b = (0, 4): ||a - b|| = 5, ||a|| + ||b|| = 7 */
    assert_true(fabs(nn_rel_diff(25, 9, 16) - 5.0 / 7.0) < 1e-15);
    assert_true(nn_rel_diff(1, 0, 0) == INFINITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_equal_reader),
        cmocka_unit_test(test_bad_list_defaults),
        cmocka_unit_test(test_rel_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
