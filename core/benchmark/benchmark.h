/* benchmark.h: nnlab benchmark: is a new optimizer any good? A fixed
 * protocol over a suite of test problems (problem.h): every optimizer, the
 * new ones and the baselines alike, is first checked (nnlab check), then
 * tuned with the same log-spaced learning-rate grid on the problem's
 * validation metric, and its best setting rerun with N fresh seeds; the
 * results (final metrics, steps, gradient evaluations and seconds to the
 * target, learning-rate sensitivity) go into DIR/report.md with figures.
 * Every trial is a trial of the sweep engine (core/sweep), so the benchmark
 * runs in parallel, resumes after a kill without rerunning what finished,
 * and baselines are kept in a cache keyed by everything they depend on. */
#ifndef NN_BM_BENCHMARK_H
#define NN_BM_BENCHMARK_H

#include <stdio.h>

#include "problem.h"
#include "run_info.h"

#define NN_BM_MAX_OPTIMS 10      /* optimizers of one benchmark (the figures' colours) */
#define NN_BM_MAX_LRS 64
#define NN_BM_MAX_SEEDS 100
#define NN_BM_MAX_FIXED 64

typedef struct nn_bm_opts {
    const char *const *optims;   /* the optimizers benchmarked: names or .so paths */
    int n_optims;
    const char *const *baselines; /* default: sgd, momentum, adam */
    int n_baselines;
    const char *suite;           /* "small" (default) or "full" */
    const char *problems_dir;    /* the suite's folder (default: experiments/benchmark) */
    const char *const *problem_files; /* --problem FILE: these instead of a suite */
    int n_problem_files;
    int seeds;                   /* reruns of the best setting (default 5) */
    int budget;                  /* learning rates in the grid (default 11) */
    double lr_min, lr_max;       /* the grid's ends (default 1e-4, 10) */
    int jobs;                    /* trials at a time (0: one per CPU) */
    int shard, n_shards;         /* this process's share (1-based) of every sweep's trials; 0: all.
                                    Shards on one -o DIR (and --cache) run each trial once, and each
                                    waits for the others' trials before it reads a sweep's results */
    const char *out;             /* DIR (default runs/benchmark) */
    const char *cache;           /* folder of cached baselines */
    int no_check;                /* benchmark an optimizer that fails nnlab check anyway */
    int no_figures;
    const char *const *fixed;    /* -s key=value for every trial */
    int n_fixed;
    const char *plugin_path;
    const char *exe;             /* the nnlab command that runs each trial */
    const char *command_line;    /* for the report's protocol */
    FILE *log;                   /* progress lines (NULL: stderr) */
} nn_bm_opts;

typedef struct nn_bm_result {
    char dir[4096];
    int refused;                 /* an optimizer failed nnlab check: nothing ran */
    int signal;                  /* stopped by this signal (run again to go on) */
    int incomplete;              /* some (problem, optimizer) has no finished setting */
    int problems, skipped;
} nn_bm_result;

int nn_benchmark_run(const nn_bm_opts *o, nn_bm_result *res, nn_err *err);

/* ---- inside the layer ------------------------------------------------------------ */

typedef struct nn_bm_stat {
    double mean, std;            /* sample std (n - 1); 0 for one value; NAN for none */
    int n;
} nn_bm_stat;

/* One optimizer on one problem. */
typedef struct nn_bm_entry {
    char optim[128];             /* its name */
    char plugin[4096];           /* the value of optim.plugin (a name or an absolute path) */
    int candidate, cached;       /* benchmarked (not only a baseline); found finished */
    char dir[4096];              /* its sweep folder */
    char key[24];                /* 16 hex digits of what it depends on */
    double lr_lo, lr_hi;         /* the optimizer's declared lr range */
    int n_lr;
    double lr[NN_BM_MAX_LRS];
    char lr_text[NN_BM_MAX_LRS][32];
    double lr_metric[NN_BM_MAX_LRS]; /* final validation metric (NAN: not ok) */
    char lr_status[NN_BM_MAX_LRS][16];
    char lr_trial[NN_BM_MAX_LRS][16];
    int best;                    /* index of the best lr; -1 when none finished ok */
    int n_good;                  /* learning rates within the tolerance of the best */
    double good_lo, good_hi;
    int n_seeds;
    char seed_trial[NN_BM_MAX_SEEDS][16];
    char seed_status[NN_BM_MAX_SEEDS][16];
    nn_run_info *runs;           /* n_seeds, owned (rows owned) */
    int n_runs_ok;
    nn_bm_stat test_acc, test_loss, val_acc, train_acc, train_loss, val_loss, seconds, grad_evals;
    int reached;                 /* seeds that reached the target */
    nn_bm_stat t_epochs, t_steps, t_evals, t_seconds; /* over those */
    double rank;                 /* on this problem (1 best; ties share the mean rank) */
} nn_bm_entry;

/* Reads the tuning trials of e (e->lr_*), picks the best and the sensitivity. */
int nn_bm_read_tuning(const nn_bm_problem *p, nn_bm_entry *e, nn_err *err);
/* Reads the seeds' run folders and fills the statistics. */
int nn_bm_read_seeds(const nn_bm_problem *p, nn_bm_entry *e, int seeds, nn_err *err);
void nn_bm_entry_free(nn_bm_entry *e);
void nn_bm_stat_of(const double *v, int n, nn_bm_stat *s);
/* The ranks of entries e[0..n) on their problem (by mean test accuracy, then
 * the validation metric). */
void nn_bm_rank(const nn_bm_problem *p, nn_bm_entry *e, int n);

/* What report.md needs besides the entries. */
typedef struct nn_bm_run {
    const nn_bm_opts *o;
    char dir[4096];
    nn_bm_problem *problems;     /* the ones run */
    int n_problems;
    nn_bm_problem *skipped;
    int n_skipped;
    nn_bm_entry *entries;        /* [problem * n_optims + optim] */
    int n_optims;
    char checks[NN_BM_MAX_OPTIMS][200]; /* each optimizer's nnlab check line ("" for a baseline) */
    char grid_text[2048];
    char cache[4096];            /* the baselines' folder */
    double seconds;
} nn_bm_run;

/* DIR/report.md, DIR/results.csv and the figures (DIR/figures/). */
int nn_bm_report_write(const nn_bm_run *r, nn_err *err);

#endif
