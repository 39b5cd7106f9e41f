/* test_alloc.c: training allocates nothing inside a step. The test program
 * replaces malloc, calloc, realloc and free (the core and the plugins it
 * loads call these), counts the calls made while counting is on, and runs
 * training steps of networks with dropout, L2, clipping and every optimizer
 * plugin of the build; after the first step (which may set things up lazily
 * only in the optimizer's own slots, all core-allocated) no step may call the
 * allocator. A self-test checks that the counting sees a malloc. */
#include "testutil.h"

#include <dirent.h>

#include "data.h"
#include "experiment.h"
#include "model.h"
#include "run.h"
#include "train.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__)
#define TA_SANITIZED 1
#elif __has_feature(address_sanitizer)
#define TA_SANITIZED 1
#endif
#endif

#ifdef TA_SANITIZED
int main(void)
{
    printf("SKIPPED: the sanitizer owns malloc in this build\n");
    return 77;
}
#else

/* glibc's allocator under its own names */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static volatile int counting;
static volatile long n_calls;
/* Allocator calls of the data plugin's load and of nn_trainer_init (both
 * allocate: the counting must see calls from a plugin and from the core). */
static long load_calls, init_calls;

void *malloc(size_t n)
{
    if (counting)
        n_calls++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (counting)
        n_calls++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (counting)
        n_calls++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (counting && p)
        n_calls++;
    __libc_free(p);
}

static void test_counting_sees_malloc(void **state)
{
    counting = 1;
    n_calls = 0;
    void *volatile p = malloc(16);
    free(p);
    counting = 0;
    assert_int_equal(n_calls, 2);
}

static const char *exp_text;

/* calls made by a plugin (the data loader) and by the core (trainer set-up)
 * are seen too */
static long calls_in_steps(const char *text, const char *optim);
static void test_counting_sees_plugins_and_core(void **state)
{
    calls_in_steps(exp_text, "adam");
    printf("allocator calls: data plugin load %ld, nn_trainer_init %ld\n", load_calls, init_calls);
    assert_true(load_calls > 0);
    assert_true(init_calls > 0);
}

/* Steps 2..6 of an experiment on synthetic data: allocator calls. */
static long calls_in_steps(const char *text, const char *optim)
{
    char path[128], ov[96];
    tu_temp_file(path, ".cfg", text);
    snprintf(ov, sizeof ov, "optim.plugin=\"%s\"", optim);
    const char *ovs[] = {ov};
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_trainer t;
    nn_err err;
    if (nn_experiment_load(&x, path, ovs, 1, &reg, &err))
        fail_msg("%s: %s", optim, err.msg);
    counting = 1;
    n_calls = 0;
    int rc = nn_load_data(&x, &d, 1, &err);
    load_calls = n_calls;
    counting = 0;
    if (rc || nn_build_model(&x, &d, 64, &m, &err) || nn_attach_hooks(&x, &m, &err))
        fail_msg("%s: %s", optim, err.msg);
    counting = 1;
    n_calls = 0;
    rc = nn_trainer_init(&t, &x, &d, &m, &err);
    init_calls = n_calls;
    counting = 0;
    if (rc)
        fail_msg("%s: %s", optim, err.msg);
    unlink(path);
    int64_t idx[64];
    for (int i = 0; i < 64; i++)
        idx[i] = (int64_t)(i * 7 % 200);
    nn_step_result r;
    long calls = 0;
    for (int step = 0; step < 6; step++) {
        counting = step > 0;
        n_calls = 0;
        rc = nn_trainer_train_step(&t, idx + (step % 2) * 8, 56, (nn_real)1e-3, &r, &err);
        counting = 0;
        if (rc != NN_OK)
            fail_msg("%s: step %d: %s", optim, step, err.msg);
        calls += n_calls;
    }
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_data_free(&d);
    nn_experiment_free(&x);
    nn_registry_free(&reg);
    return calls;
}

static const char *exp_text =
    "name = \"alloc\"; seed = 3;\n"
    "data = { plugin = \"synthetic\"; features = 7; classes = 4; n_train = 200; n_val = 0; };\n"
    "model = { hidden = [9, 6]; activation = \"tanh\"; output = \"softmax\"; };\n"
    "init = { plugin = \"he\"; };\n"
    "optim = { plugin = \"sgd\"; };\n"
    "reg = ( { plugin = \"dropout\"; keep_prob = 0.8; }, { plugin = \"l2\"; lambda = 0.01; } );\n"
    "train = { epochs = 1; batch_size = 64; clip_norm = 5.0; };\n";

static const char *exp_sigmoid =
    "name = \"alloc2\"; seed = 4;\n"
    "data = { plugin = \"synthetic\"; features = 3; classes = 2; n_train = 200; n_val = 0; };\n"
    "model = { hidden = [5]; activation = \"relu\"; output = \"sigmoid\"; };\n"
    "init = { plugin = \"he\"; };\n"
    "optim = { plugin = \"sgd\"; };\n"
    "train = { epochs = 1; batch_size = 64; clip_value = 1.0; };\n";

/* Every optimizer plugin built into NN_BUILD_DIR/plugins/optim. */
static void test_steps_allocate_nothing(void **state)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plugins/optim", NN_BUILD_DIR);
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int n = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 3), e->d_name);
        long a = calls_in_steps(exp_text, name), b = calls_in_steps(exp_sigmoid, name);
        if (a || b) {
            printf("FAIL %s: %ld and %ld allocator calls in steps 2 to 6\n", name, a, b);
            bad++;
        }
        n++;
    }
    closedir(dp);
    printf("%d optimizers, 5 steps each on two networks: %d with allocations inside a step\n", n, bad);
    assert_true(n >= 3);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counting_sees_malloc),
        cmocka_unit_test(test_counting_sees_plugins_and_core),
        cmocka_unit_test(test_steps_allocate_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
