/* bench.c: GEMM rates and training speed for `nnlab bench` (see bench.h).
 * With one thread the times are the process's CPU time, so that other
 * programs sharing the cores do not count; with more, wall time. */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "data.h"
#include "gemm.h"
#include "run.h"
#include "train.h"

static double now(int cpu)
{
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

long nn_peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* GFLOP/s of an n x n x n product in double (f32 0) or float (f32 1):
 * one call untimed, then the median of `repeats` timed calls. */
static double square_gflops(int n, int f32, int repeats, int cpu)
{
    size_t nn = (size_t)n * (size_t)n, es = f32 ? sizeof(float) : sizeof(double);
    void *a = malloc(nn * es), *b = malloc(nn * es), *c = malloc(nn * es);
    double rates[64], flop = 2.0 * n * (double)n * n;
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (size_t i = 0; i < nn; i++) {
        double v = (double)(i % 17) / 17.0 - 0.5;
        if (f32)
            ((float *)a)[i] = (float)v, ((float *)b)[i] = (float)-v;
        else
            ((double *)a)[i] = v, ((double *)b)[i] = -v;
    }
    for (int r = 0; r <= repeats; r++) {
        double t = now(cpu);
        if (f32)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        if (r)
            rates[r - 1] = flop / (now(cpu) - t) / 1e9;
    }
    free(a), free(b), free(c);
    return median(rates, repeats);
}

/* Flops of one example through one training step: forward and weight
 * gradients of every layer, input gradients of every layer but the first. */
static double step_flop(const int *sizes, int n_sizes)
{
    double f = 0;
    for (int l = 0; l + 1 < n_sizes; l++)
        f += (l ? 6.0 : 4.0) * sizes[l] * (double)sizes[l + 1];
    return f;
}

/* GFLOP/s of product i of m (i < 0: all of a step's) repeated for at least
 * `least` seconds, the median of repeats. */
static double product_gflops(nn_model *m, long mb, int i, double flop, double least, int repeats, int cpu)
{
    double rates[64];
    for (int r = 0; r <= repeats; r++) {
        /* in groups that double, the clock read once per group: a tiny
         * product takes less than reading the process CPU clock (a system
         * call) */
        long steps = 0, group = 1;
        double t0 = now(cpu), t;
        do {
            for (long g = 0; g < group; g++) {
                if (i < 0)
                    nn_model_products(m, mb);
                else
                    nn_model_product(m, mb, i);
            }
            steps += group;
            group *= 2;
            t = now(cpu);
        } while (t - t0 < least || steps < 3);
        if (r)
            rates[r - 1] = flop * (double)steps / (t - t0) / 1e9;
    }
    return median(rates, repeats);
}

/* The GEMMs of training steps of this model on batch mb as the model
 * computes them (nn_model_products: BLAS, or the small-layer kernels),
 * repeated for at least 0.2 s; GFLOP/s (median of repeats). Also
 * each product alone (at least 0.02 s a repeat) into r->products. */
static double model_gemm_gflops(const int *sizes, int n_sizes, long mb, int repeats, int cpu,
                                nn_bench_result *r)
{
    if (n_sizes < 2 || n_sizes > NN_MAX_LAYERS + 1 || mb < 1)
        return 0;
    nn_model_spec spec = {.n_layers = n_sizes - 1, .act = NN_ACT_RELU, .batch_cap = mb,
                          .out = sizes[n_sizes - 1] == 1 ? NN_OUT_SIGMOID : NN_OUT_SOFTMAX};
    memcpy(spec.sizes, sizes, (size_t)n_sizes * sizeof(int));
    nn_model m;
    nn_err err;
    if (nn_model_create(&m, &spec, &err) != NN_OK)
        return 0;
    for (size_t i = 0; i < m.n_params; i++)
        m.theta[i] = (nn_real)((double)(i % 13) / 130.0 - 0.05);
    for (size_t i = 0; i < (size_t)sizes[0] * (size_t)mb; i++)
        m.Xb[i] = (nn_real)((double)(i % 7) / 7.0);
    double rate = product_gflops(&m, mb, -1, step_flop(sizes, n_sizes) * (double)mb, 0.2, repeats, cpu);
    r->n_products = nn_model_n_products(&m);
    for (int i = 0; i < r->n_products; i++) {
        int M, N, K;
        nn_model_product_shape(&m, mb, i, &M, &N, &K, r->products[i].name, sizeof r->products[i].name);
        r->products[i].m = M, r->products[i].n = N, r->products[i].k = K;
        r->products[i].gflops = product_gflops(&m, mb, i, 2.0 * M * (double)N * K, 0.02, repeats, cpu);
    }
    nn_model_free(&m);
    return rate;
}

/* ---- training --------------------------------------------------------------- */

/* The time of the steps alone: the gap between an epoch's last step and its
 * log callback (training accuracy, validation) is taken out. Only the first
 * and the last epoch log, so the clock is read at the end of those two
 * epochs' last steps and in the callbacks (reading the process CPU clock is
 * a system call: once per step it would weigh on a small network). */
typedef struct bench_timer {
    int cpu;
    long steps_per_epoch, last_iteration;
    double t0, t_last, gaps, pending;
} bench_timer;

static void on_step(void *ud, long epoch, long it, double loss)
{
    bench_timer *b = ud;
    if (b->pending > 0) {
        b->gaps += b->pending;
        b->pending = 0;
    }
    if (it == b->steps_per_epoch || it == b->last_iteration)
        b->t_last = now(b->cpu);
}

static void on_log(void *ud, const nn_metric_row *row, long epochs, int full)
{
    bench_timer *b = ud;
    b->pending = now(b->cpu) - b->t_last;
}

/* The experiment file of the synthetic workload, in a new temporary file. */
static int write_synthetic(const nn_bench_opts *o, char *path, size_t n, nn_err *err)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/nnlab-bench-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd), unlink(path);
        return nn_err_set(err, NN_EIO, "%s: cannot create the benchmark's experiment file", path);
    }
    int K = o->sizes[o->n_sizes - 1];
    fprintf(f, "name = \"bench\"; seed = 1;\n");
    fprintf(f, "data = { plugin = \"synthetic\"; features = %d; classes = %d; n_train = %ld; n_val = 0; };\n",
            o->sizes[0], K < 2 ? 2 : K, o->examples);
    fprintf(f, "model = { hidden = [");
    for (int l = 1; l + 1 < o->n_sizes; l++)
        fprintf(f, "%s%d", l > 1 ? ", " : "", o->sizes[l]);
    fprintf(f, "]; activation = \"%s\"; output = \"%s\"; };\n", o->activation ? o->activation : "relu",
            K == 1 ? "sigmoid" : "softmax");
    fprintf(f, "init = { plugin = \"he\"; seed = 1; };\noptim = { plugin = \"%s\"; };\n", o->optim);
    fprintf(f, "train = { epochs = %ld; batch_size = %ld; };\n", o->epochs, o->batch);
    fprintf(f, "output = { plots = false; weights = false; };\n");
    if (fclose(f) != 0) {
        unlink(path);
        return nn_err_set(err, NN_EIO, "%s: cannot write the benchmark's experiment file", path);
    }
    return NN_OK;
}

/* Loads the experiment (the synthetic one or the user's) with the overrides
 * that keep evaluation out of the epochs: logs and validation only at the
 * first and last epoch. */
static int load_experiment(const nn_bench_opts *o, const char *file, const nn_registry *reg,
                           nn_experiment *x, nn_err *err)
{
    int n = o->n_overrides;
    const char **ov = calloc((size_t)n + 6, sizeof(char *));
    char buf[5][64];
    if (!ov)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int i = 0; i < o->n_overrides; i++)
        ov[i] = o->overrides[i];
    if (o->experiment && o->epochs > 0) {
        snprintf(buf[0], sizeof buf[0], "train.epochs=%ld", o->epochs);
        ov[n++] = buf[0];
    }
    if (o->experiment && o->batch >= 0) {
        snprintf(buf[1], sizeof buf[1], "train.batch_size=%ld", o->batch);
        ov[n++] = buf[1];
    }
    int rc = nn_experiment_load(x, file, ov, n, reg, err);
    if (rc == NN_OK) {
        long epochs = nn_section_get(&x->train, "epochs")->i;
        snprintf(buf[2], sizeof buf[2], "train.log_every=%ld", epochs);
        snprintf(buf[3], sizeof buf[3], "train.val_every=%ld", epochs);
        ov[n++] = buf[2];
        ov[n++] = buf[3];
        nn_experiment_free(x);
        rc = nn_experiment_load(x, file, ov, n, reg, err);
    }
    free(ov);
    return rc;
}

static int bench_train(const nn_bench_opts *o, nn_bench_result *r, nn_err *err)
{
    char tmp[4096] = "";
    const char *file = o->experiment;
    int rc = NN_OK;
    if (!file) {
        if ((rc = write_synthetic(o, tmp, sizeof tmp, err)))
            return rc;
        file = tmp;
    }
    nn_registry reg;
    nn_registry_init(&reg, o->plugin_path);
    nn_experiment x;
    nn_data data;
    nn_model m;
    nn_trainer t;
    memset(&data, 0, sizeof data);
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    rc = load_experiment(o, file, &reg, &x, err);
    if (tmp[0])
        unlink(tmp);
    if (rc) {
        nn_registry_free(&reg);
        return rc;
    }
    rc = nn_load_data(&x, &data, 1, err);
    long bs = rc ? 0 : nn_section_get(&x.train, "batch_size")->i;
    long cap = rc ? 0 : (bs == 0 || (size_t)bs > data.train.m ? (long)data.train.m : bs);
    if (rc == NN_OK)
        rc = nn_build_model(&x, &data, cap < 256 ? 256 : cap, &m, err);
    if (rc == NN_OK)
        rc = nn_attach_hooks(&x, &m, err);
    if (rc == NN_OK)
        rc = nn_trainer_init(&t, &x, &data, &m, err);
    if (rc == NN_OK) {
        long epochs = nn_section_get(&x.train, "epochs")->i;
        long spe = (long)((data.train.m + (size_t)cap - 1) / (size_t)cap);
        bench_timer b = {r->threads == 1 && !o->wall_clock, spe, spe * epochs, 0, 0, 0, 0};
        nn_train_cb cb = {&b, on_log, on_step};
        b.t0 = b.t_last = now(b.cpu);
        rc = nn_train(&t, &cb, err);
        r->seconds = b.t_last - b.t0 - b.gaps;
        r->epochs = t.epochs_done;
        r->iterations = t.iteration;
        r->examples = (long)data.train.m;
        r->final_loss = t.final_loss;
        r->batch = cap;
        r->n_sizes = m.spec.n_layers + 1;
        memcpy(r->sizes, m.spec.sizes, sizeof r->sizes);
    }
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_data_free(&data);
    nn_experiment_free(&x);
    nn_registry_free(&reg);
    return rc;
}

int nn_bench(const nn_bench_opts *o, nn_bench_result *r, nn_err *err)
{
    memset(r, 0, sizeof *r);
    r->precision = sizeof(nn_real) == sizeof(float) ? "f32" : "f64";
    r->threads = o->threads > 0 ? nn_blas_set_threads(o->threads) : openblas_get_num_threads();
    int cpu = r->threads == 1 && !o->wall_clock;
    r->clock = cpu ? "cpu" : "wall";
    int reps = o->repeats < 1 ? 1 : o->repeats > 63 ? 63 : o->repeats;
    int rc = bench_train(o, r, err);
    if (rc)
        return rc;
    r->peak_rss_kib = nn_peak_rss_kib(); /* before the GEMM buffers below */
    if (o->peak_size > 0) {
        r->dgemm_peak_gflops = square_gflops(o->peak_size, 0, reps, cpu);
        r->sgemm_peak_gflops = square_gflops(o->peak_size, 1, reps, cpu);
    }
    r->gemm_peak_gflops = sizeof(nn_real) == sizeof(float) ? r->sgemm_peak_gflops : r->dgemm_peak_gflops;
    r->model_gemm_gflops = model_gemm_gflops(r->sizes, r->n_sizes, r->batch, reps, cpu, r);
    r->flop_per_example = step_flop(r->sizes, r->n_sizes);
    double ex = (double)r->examples * (double)r->epochs;
    if (r->seconds > 0) {
        r->seconds_per_epoch = r->seconds / (double)r->epochs;
        r->us_per_iteration = 1e6 * r->seconds / (double)r->iterations;
        r->examples_per_second = ex / r->seconds;
        r->gflops = r->examples_per_second * r->flop_per_example / 1e9;
    }
    r->fraction_of_peak = r->gemm_peak_gflops > 0 ? r->gflops / r->gemm_peak_gflops : NAN;
    r->fraction_of_model_gemm = r->model_gemm_gflops > 0 ? r->gflops / r->model_gemm_gflops : NAN;
    return NN_OK;
}
