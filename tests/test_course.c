/* test_course.c: the seed report's experiments reproduce the course numbers:
 * the notebooks' datasets point for point, the initialization table
 * (zeros / random / He) and He cost curve, and the optimization table
 * (gd / momentum / Adam) with its per-epoch cost curves, to 1e-9 relative. */
#include "testutil.h"

#include "experiment.h"
#include "data.h"
#include "run.h"

#define EXP NN_SOURCE_DIR "/experiments/"

/* metrics.csv rows whose epoch is a multiple of every: the loss column. */
static size_t read_losses(const char *dir, long every, double *out, size_t cap)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "epoch,iteration,loss,train_accuracy,val_accuracy,lr,seconds,val_loss\n");
    while (fgets(line, sizeof line, f) && n < cap) {
        long epoch, it;
        double loss;
        if (sscanf(line, "%ld,%ld,%lf", &epoch, &it, &loss) == 3 && epoch % every == 0)
            out[n++] = loss;
    }
    fclose(f);
    return n;
}

static double summary_value(const char *dir, const char *key)
{
    char path[512], buf[8192], pat[128];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    char *p = strstr(buf, pat);
    assert_non_null(p);
    return strtod(p + strlen(pat), NULL);
}

static void run_exp(const char *file, char *dir)
{
    tu_temp_dir(dir);
    nn_run_opts o = {.file = file, .out_dir = dir, .quiet = 1};
    nn_err err = {{0}};
    int rc = nn_run(&o, &err);
    if (rc)
        fail_msg("%s: %s", file, err.msg);
}

static void check_run(const char *cfg, const char *ref, long every, int with_curve)
{
    char dir[128], name[128];
    double *want, got[64];
    run_exp(cfg, dir);
    snprintf(name, sizeof name, "%s_acc", ref);
    size_t n = tu_record(TU_REF, name, &want);
    double acc[2] = {summary_value(dir, "train_accuracy"), n > 1 ? summary_value(dir, "test_accuracy") : 0};
    printf("  %s: train %.4f test %.4f\n", cfg, acc[0], acc[1]);
    tu_compare(name, acc, want, n, 1e-12, 1e-12);
    free(want);
    if (with_curve) {
        snprintf(name, sizeof name, "%s_costs", ref);
        n = tu_record(TU_REF, name, &want);
        assert_int_equal(read_losses(dir, every, got, 64), n);
        tu_compare(name, got, want, n, 1e-9, 1e-300);
        free(want);
    }
}

static void test_init_zeros(void **s) { check_run(EXP "init_zeros.cfg", "init_zeros", 1000, 1); }
static void test_init_he(void **s) { check_run(EXP "init_he.cfg", "init_he", 1000, 1); }

/* The saturated run: accuracies within 0.02 (its costs depend on rounding). */
static void test_init_random(void **s)
{
    char dir[128];
    run_exp(EXP "init_random.cfg", dir);
    double tr = summary_value(dir, "train_accuracy"), te = summary_value(dir, "test_accuracy");
    printf("  init_random: train %.4f (0.83) test %.4f (0.86)\n", tr, te);
    assert_true(fabs(tr - 0.83) <= 0.02 && fabs(te - 0.86) <= 0.02);
    assert_true(isfinite(summary_value(dir, "final_loss")));
}

static void test_optim_gd(void **s) { check_run(EXP "optim_gd.cfg", "opt_gd", 1000, 1); }
static void test_optim_momentum(void **s) { check_run(EXP "optim_momentum.cfg", "opt_momentum", 1000, 1); }
static void test_optim_adam(void **s) { check_run(EXP "optim_adam.cfg", "opt_adam", 1000, 1); }

/* The notebooks' datasets, point for point. */
static void check_data(const char *cfg, const char *prefix, int with_test)
{
    nn_registry reg;
    nn_registry_init(&reg, NULL);
    nn_experiment x;
    nn_data d;
    nn_err err;
    if (nn_experiment_load(&x, cfg, NULL, 0, &reg, &err) || nn_load_data(&x, &d, 1, &err))
        fail_msg("%s", err.msg);
    const nn_split *sp[2] = {&d.train, &d.test};
    for (int k = 0; k < 1 + with_test; k++) {
        char name[128];
        double *want, *gy;
        snprintf(name, sizeof name, "%s_%s_X", prefix, k ? "test" : "train");
        size_t n = tu_record(TU_REF, name, &want);
        assert_int_equal(n, sp[k]->m * 2);
        tu_compare(name, sp[k]->X, want, n, 1e-15, 1.0); /* absolute below 1: libm ulps */
        free(want);
        snprintf(name, sizeof name, "%s_%s_Y", prefix, k ? "test" : "train");
        n = tu_record(TU_REF, name, &want);
        gy = malloc(n * sizeof(double));
        for (size_t i = 0; i < n; i++)
            gy[i] = sp[k]->y[i];
        tu_compare(name, gy, want, n, 0, 1);
        free(gy);
        free(want);
    }
    nn_data_free(&d);
    nn_experiment_free(&x);
    nn_registry_free(&reg);
}

static void test_circles_data(void **s) { check_data(EXP "init_he.cfg", "circles", 1); }
static void test_moons_data(void **s) { check_data(EXP "optim_gd.cfg", "moons", 0); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_circles_data), cmocka_unit_test(test_moons_data),
        cmocka_unit_test(test_init_zeros),   cmocka_unit_test(test_init_random),
        cmocka_unit_test(test_init_he),      cmocka_unit_test(test_optim_gd),
        cmocka_unit_test(test_optim_momentum), cmocka_unit_test(test_optim_adam),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
