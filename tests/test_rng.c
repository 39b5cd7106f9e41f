/* test_rng.c: the RNG streams equal NumPy's legacy np.random for seeds 1, 2,
 * 3 and 42 (randn, rand, permutation, and all three after one seed). */
#include "testutil.h"

#include "nnlab/rng.h"

static const unsigned seeds[] = {1, 2, 3, 42};

static void check_stream(nn_rng *r, const char *prefix, int fresh, unsigned seed)
{
    char name[128];
    double *want, got[20];
    int64_t perm[20];
    if (fresh)
        nn_rng_seed(r, seed);
    snprintf(name, sizeof name, "%s_randn_12", prefix);
    size_t n = tu_record(TU_REF, name, &want);
    nn_rng_fill_randn(r, got, n);
    tu_compare(name, got, want, n, 0, 1e-300);
    free(want);
    if (fresh)
        nn_rng_seed(r, seed);
    snprintf(name, sizeof name, "%s_rand_12", prefix);
    n = tu_record(TU_REF, name, &want);
    nn_rng_fill_rand(r, got, n);
    tu_compare(name, got, want, n, 0, 1e-300);
    free(want);
    if (fresh)
        nn_rng_seed(r, seed);
    snprintf(name, sizeof name, "%s_permutation_20", prefix);
    n = tu_record(TU_REF, name, &want);
    nn_rng_permutation(r, perm, n);
    for (size_t i = 0; i < n; i++)
        got[i] = (double)perm[i];
    tu_compare(name, got, want, n, 0, 1);
    free(want);
}

static void test_fresh_seeds(void **state)
{
    nn_rng r;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "rng_seed%u", seeds[i]);
        check_stream(&r, prefix, 1, seeds[i]);
    }
}

static void test_sequential(void **state)
{
    nn_rng r;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "rng_seed%u_sequential_after_one_seed", seeds[i]);
        nn_rng_seed(&r, seeds[i]);
        check_stream(&r, prefix, 0, seeds[i]);
    }
}

/* The report's random initialization: seed(3); randn(2, 3) * 10. */
static void test_random_init_example(void **state)
{
    nn_rng r;
    double *want, got[6];
    nn_rng_seed(&r, 3);
    size_t n = tu_record(TU_REF, "rng_seed3_randn_2x3_times10", &want);
    for (size_t i = 0; i < n; i++)
        got[i] = nn_rng_randn(&r) * 10;
    tu_compare("seed(3); randn(2,3)*10", got, want, n, 0, 1e-300);
    free(want);
}

/* Reseeding discards a cached Gaussian, as np.random.seed does. */
static void test_seed_resets_gauss(void **state)
{
    nn_rng a, b;
    nn_rng_seed(&a, 7);
    (void)nn_rng_randn(&a); /* leaves one cached value */
    nn_rng_seed(&a, 7);
    nn_rng_seed(&b, 7);
    assert_true(nn_rng_randn(&a) == nn_rng_randn(&b));
    assert_true(nn_rng_derive(1, "data") != nn_rng_derive(1, "init"));
    assert_true(nn_rng_derive(1, "data") == nn_rng_derive(1, "data"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_seeds),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_random_init_example),
        cmocka_unit_test(test_seed_resets_gauss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
