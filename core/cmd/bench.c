/* bench.c: `nnlab bench`: this machine's GEMM rate and the training speed of
 * a model on synthetic data (or of an experiment file), as a table or one
 * JSON line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmd.h"

#define BENCH_USAGE                                                                                  \
    "usage: nnlab bench [--layers 154,512,512,10] [--batch 500] [--optim adam] [--activation relu]\n" \
    "                   [--examples 49000] [--epochs 1] [--threads 1] [--precision f64|f32]\n"       \
    "                   [--experiment FILE [-s key=value]...] [--peak-size 2048] [--repeats 3]\n"   \
    "                   [--wall] [--json] [--plugin-path DIR]\n"

static const char *build_precision(void) { return sizeof(nn_real) == sizeof(float) ? "f32" : "f64"; }

/* "154,512,512,10" into sizes; returns the count or -1. */
static int parse_layers(const char *s, int *sizes)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1000000 || n > NN_MAX_LAYERS || (*end && *end != ','))
            return -1;
        sizes[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return n >= 2 ? n : -1;
}

/* A whole number in [lo, hi] or -1 (and a message). */
static long parse_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "nnlab bench: %s: '%s' is not a whole number in [%ld, %ld]\n", opt, s, lo, hi);
        return -1;
    }
    return v;
}

/* ", \"key\": value" with %.6g, or null for a value not measured */
static void jnum(const char *key, double v)
{
    if (isfinite(v))
        printf(", \"%s\": %.6g", key, v);
    else
        printf(", \"%s\": null", key);
}

static void print_json(const nn_bench_result *r)
{
    printf("{\"precision\": \"%s\", \"threads\": %d, \"clock\": \"%s\", \"layers\": [", r->precision,
           r->threads, r->clock);
    for (int i = 0; i < r->n_sizes; i++)
        printf("%s%d", i ? ", " : "", r->sizes[i]);
    printf("], \"batch\": %ld, \"examples\": %ld, \"epochs\": %ld, \"iterations\": %ld", r->batch,
           r->examples, r->epochs, r->iterations);
    jnum("seconds", r->seconds);
    jnum("seconds_per_epoch", r->seconds_per_epoch);
    jnum("us_per_iteration", r->us_per_iteration);
    jnum("examples_per_second", r->examples_per_second);
    jnum("flop_per_example", r->flop_per_example);
    jnum("gflops", r->gflops);
    jnum("gemm_peak_gflops", r->gemm_peak_gflops > 0 ? r->gemm_peak_gflops : NAN);
    jnum("dgemm_peak_gflops", r->dgemm_peak_gflops > 0 ? r->dgemm_peak_gflops : NAN);
    jnum("sgemm_peak_gflops", r->sgemm_peak_gflops > 0 ? r->sgemm_peak_gflops : NAN);
    jnum("model_gemm_gflops", r->model_gemm_gflops);
    jnum("fraction_of_peak", r->fraction_of_peak);
    jnum("fraction_of_model_gemm", r->fraction_of_model_gemm);
    jnum("final_loss", r->final_loss);
    printf(", \"products\": [");
    for (int i = 0; i < r->n_products; i++) {
        printf("%s{\"product\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d", i ? ", " : "",
               r->products[i].name, r->products[i].m, r->products[i].n, r->products[i].k);
        jnum("gflops", r->products[i].gflops);
        printf("}");
    }
    printf("], \"peak_rss_kib\": %ld}\n", r->peak_rss_kib);
}

static void print_table(const nn_bench_result *r)
{
    printf("model ");
    for (int i = 0; i < r->n_sizes; i++)
        printf("%s%d", i ? "-" : "", r->sizes[i]);
    printf(", batch %ld, %ld examples, %ld epochs (%ld steps), %s, %d BLAS thread%s, %s time\n", r->batch,
           r->examples, r->epochs, r->iterations, r->precision, r->threads, r->threads == 1 ? "" : "s",
           r->clock);
    printf("  training        %.4g s/epoch, %.4g us/step, %.0f examples/s\n", r->seconds_per_epoch,
           r->us_per_iteration, r->examples_per_second);
    printf("  effective       %.2f GFLOP/s (%.3g MFLOP per example)\n", r->gflops, r->flop_per_example / 1e6);
    if (r->gemm_peak_gflops > 0)
        printf("  GEMM peak       %.2f GFLOP/s (dgemm %.2f, sgemm %.2f): training at %.0f%% of it\n",
               r->gemm_peak_gflops, r->dgemm_peak_gflops, r->sgemm_peak_gflops, 100 * r->fraction_of_peak);
    printf("  model's GEMMs   %.2f GFLOP/s at this batch: training at %.0f%% of it\n", r->model_gemm_gflops,
           100 * r->fraction_of_model_gemm);
    for (int i = 0; i < r->n_products; i++)
        printf("    %-20s %5d x %5d x %5d  %7.2f GFLOP/s\n", r->products[i].name, r->products[i].m,
               r->products[i].n, r->products[i].k, r->products[i].gflops);
    printf("  final loss %.4g, peak memory %.1f MiB\n", r->final_loss, (double)r->peak_rss_kib / 1024);
}

int nn_cmd_bench(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return fputs(BENCH_USAGE, stdout) < 0;
    nn_bench_opts o = {0};
    int json = 0;
    long v;
    const char *precision = NULL;
    static const int def_sizes[] = {154, 512, 512, 10};
    o.n_sizes = 4;
    memcpy(o.sizes, def_sizes, sizeof def_sizes);
    o.batch = -1;
    o.optim = "adam";
    o.examples = 49000;
    o.threads = 1;
    o.peak_size = 2048;
    o.repeats = 3;
    const char **ov = calloc((size_t)argc, sizeof(char *));
    if (!ov)
        return 1;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = val != NULL;
        if (strcmp(a, "--json") == 0)
            json = 1, takes = 0;
        else if (strcmp(a, "--wall") == 0)
            o.wall_clock = 1, takes = 0;
        else if (nn_opt_plugin_path(argc, argv, &i, &o.plugin_path))
            takes = 0;
        else if (!takes)
            bad = 1;
        else if (strcmp(a, "--layers") == 0) {
            if ((o.n_sizes = parse_layers(val, o.sizes)) < 0) {
                fprintf(stderr, "nnlab bench: --layers: '%s' is not 2 to %d sizes such as 154,512,512,10\n",
                        val, NN_MAX_LAYERS + 1);
                bad = 2;
            }
        } else if (strcmp(a, "--batch") == 0)
            bad = (o.batch = parse_long(a, val, 0, 1000000000)) < 0 ? 2 : 0;
        else if (strcmp(a, "--examples") == 0)
            bad = (o.examples = parse_long(a, val, 1, 100000000)) < 0 ? 2 : 0;
        else if (strcmp(a, "--epochs") == 0)
            bad = (o.epochs = parse_long(a, val, 1, 1000000000)) < 0 ? 2 : 0;
        else if (strcmp(a, "--threads") == 0)
            bad = (v = parse_long(a, val, 0, 1024)) < 0 ? 2 : (o.threads = (int)v, 0);
        else if (strcmp(a, "--peak-size") == 0)
            bad = (v = parse_long(a, val, 0, 16384)) < 0 ? 2 : (o.peak_size = (int)v, 0);
        else if (strcmp(a, "--repeats") == 0)
            bad = (v = parse_long(a, val, 1, 63)) < 0 ? 2 : (o.repeats = (int)v, 0);
        else if (strcmp(a, "--optim") == 0)
            o.optim = val;
        else if (strcmp(a, "--activation") == 0)
            o.activation = val;
        else if (strcmp(a, "--precision") == 0)
            precision = val;
        else if (strcmp(a, "--experiment") == 0)
            o.experiment = val;
        else if (strcmp(a, "-s") == 0)
            ov[o.n_overrides++] = val;
        else
            bad = 1;
        if (!bad && takes)
            i++;
        if (bad == 1)
            fprintf(stderr, "nnlab bench: unexpected argument '%s'\n", a);
    }
    if (!bad && precision && strcmp(precision, "f32") && strcmp(precision, "f64")) {
        fprintf(stderr, "nnlab bench: --precision: '%s' is not f32 or f64\n", precision);
        bad = 2;
    }
    if (!bad && precision && strcmp(precision, build_precision())) {
        fprintf(stderr, "nnlab bench: --precision %s: this nnlab computes in %s; %s\n", precision,
                build_precision(),
                strcmp(precision, "f32") == 0 ? "the float32 build (cmake -DNN_FLOAT32=ON) computes in f32"
                                              : "the default build computes in f64");
        bad = 2;
    }
    if (!bad && nn_check_plugin_path("bench", o.plugin_path))
        bad = 2;
    if (!bad && o.n_overrides && !o.experiment) {
        fprintf(stderr, "nnlab bench: -s applies to --experiment FILE\n");
        bad = 2;
    }
    if (bad) {
        fputs(BENCH_USAGE, stderr);
        free(ov);
        return 2;
    }
    if (!o.experiment && o.batch < 0)
        o.batch = 500;
    if (!o.experiment && o.epochs == 0)
        o.epochs = 1;
    o.overrides = ov;
    nn_bench_result r;
    nn_err err = {{0}};
    int rc = nn_bench(&o, &r, &err);
    free(ov);
    if (rc) {
        fprintf(stderr, "nnlab bench: %s\n", err.msg);
        return nn_exit_status(rc);
    }
    if (json)
        print_json(&r);
    else
        print_table(&r);
    return 0;
}
