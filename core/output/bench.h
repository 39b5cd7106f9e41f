/* bench.h: the measurements behind `nnlab bench`: this machine's GEMM rate
 * (a large square product and the GEMMs of one training step of a given
 * model), and the training speed of that model on synthetic data or of an
 * experiment file's model on its own data, with the time of the training
 * steps alone (logging, evaluation and loading excluded). */
#ifndef NN_BENCH_H
#define NN_BENCH_H

#include "model.h"

typedef struct nn_bench_opts {
    int n_sizes;                  /* synthetic model: layer sizes, inputs first */
    int sizes[NN_MAX_LAYERS + 1];
    const char *activation;       /* hidden activation, "relu" by default */
    long batch;                   /* 0: full batch */
    const char *optim;            /* optimizer plugin, its default hyperparameters */
    long examples, epochs;
    int threads;                  /* BLAS threads; 0 = the library's default */
    const char *experiment;       /* instead of the synthetic model: this file */
    const char *const *overrides; /* "key=value" for the experiment */
    int n_overrides;
    const char *plugin_path;
    int peak_size;                /* side of the square GEMM, 0 = skip it */
    int repeats;                  /* GEMM timings: median of this many */
    int wall_clock;               /* 1: wall time even with one thread */
} nn_bench_opts;

typedef struct nn_bench_result {
    const char *precision;        /* "f64" or "f32": the build's nn_real */
    const char *clock;            /* "cpu" (process CPU time) or "wall" */
    int threads;
    int sizes[NN_MAX_LAYERS + 1], n_sizes;
    long batch, examples, epochs, iterations;
    double flop_per_example;      /* forward, weight gradients, input gradients */
    double dgemm_peak_gflops, sgemm_peak_gflops; /* square peak_size products */
    double gemm_peak_gflops;      /* the one in the build's precision */
    double model_gemm_gflops;     /* the GEMMs of one step of this model and batch */
    int n_products;               /* and each of them alone (nn_model_product) */
    struct {
        char name[32];
        int m, n, k;
        double gflops;
    } products[3 * NN_MAX_LAYERS];
    double seconds, seconds_per_epoch, us_per_iteration;
    double examples_per_second, gflops;
    double fraction_of_peak, fraction_of_model_gemm;
    double final_loss;
    long peak_rss_kib;
} nn_bench_result;

/* Runs the measurements; returns NN_OK or an NN_E* code with err set. */
int nn_bench(const nn_bench_opts *o, nn_bench_result *r, nn_err *err);

/* Peak resident memory of this process so far, in KiB. */
long nn_peak_rss_kib(void);

#endif
