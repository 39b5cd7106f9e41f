/* benchmark.c: `nnlab benchmark OPTIM... [--suite small|full] [--baselines
 * sgd,momentum,adam] [--seeds N] [--budget K] [-j N] [-o DIR] [--no-check]
 * ...`: the command over the benchmark layer (core/benchmark/benchmark.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchmark.h"
#include "cmd.h"
#include "sweep.h"
#include "util.h"

#define MAX_ITEMS 64

static const char usage_text[] =
    "usage: nnlab benchmark OPTIM... [--suite small|full] [--baselines sgd,momentum,adam] [--seeds N]\n"
    "                       [--budget K] [--lr LO:HI] [-j N] [-o DIR] [--no-check] [--problem FILE]...\n"
    "                       [--problems DIR] [--cache DIR] [-s key=value]... [--no-figures] [--shard I/N]\n"
    "                       [--plugin-path DIR]\n"
    "  OPTIM          an optimizer plugin (name or .so path); each is checked with nnlab check first\n"
    "                 and refused when a check fails (--no-check: benchmark it anyway, said in the report)\n"
    "  --suite S      small (default, about 10 minutes on 2 cores) or full: the problems of\n"
    "                 experiments/benchmark/ (--problems DIR) marked so; --problem FILE: just these\n"
    "  --baselines L  optimizers benchmarked beside them, cached (default sgd,momentum,adam; none)\n"
    "  --budget K     learning rates tried per optimizer and problem, log-spaced over --lr (default 11\n"
    "                 over 1e-4:10, two per decade)\n"
    "  --seeds N      reruns of the best learning rate with fresh seeds (default 5)\n"
    "  -j N           trials at a time (default: one per CPU)\n"
    "  -o DIR         report.md, results.csv, figures/, check/, runs/ (default runs/benchmark)\n"
    "  --cache DIR    the baselines' folder (default $XDG_CACHE_HOME/nnlab/benchmark or ~/.cache/...)\n"
    "  -s key=value   a setting for every trial of every problem (part of the cache key)\n"
    "  --shard I/N    this process's share of every sweep's trials; N processes on one -o DIR and\n"
    "                 --cache (a shared filesystem: several machines) run each trial once; also from\n"
    "                 SLURM_ARRAY_TASK_ID/COUNT (a job array) or mpirun's OMPI_COMM_WORLD_RANK/SIZE\n"
    "  stopped at any point, the same command goes on where it was (finished trials are not rerun)\n";

static int bad(const char *fmt, const char *a)
{
    fprintf(stderr, "nnlab benchmark: ");
    fprintf(stderr, fmt, a);
    fprintf(stderr, " (nnlab benchmark --help)\n");
    return -1;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *e;
    long v = strtol(s, &e, 10);
    if (e == s || *e || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_range(const char *s, double *lo, double *hi)
{
    char *e;
    *lo = strtod(s, &e);
    if (e == s || *e != ':')
        return -1;
    const char *t = e + 1;
    *hi = strtod(t, &e);
    return e == t || *e || !(*lo > 0) || !(*hi >= *lo) || *hi > 1e6 ? -1 : 0;
}

/* "a,b,c" into items (pointers into buf); "none" is the empty list. */
static int split_list(const char *s, char *buf, size_t n, const char **items, int *count)
{
    *count = 0;
    if (strcmp(s, "none") == 0 || !s[0])
        return 0;
    snprintf(buf, n, "%s", s);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        if (*count == MAX_ITEMS || !p[0])
            return -1;
        items[(*count)++] = p;
    }
    return 0;
}

typedef struct args {
    nn_bm_opts o;
    const char *optims[MAX_ITEMS], *baselines[MAX_ITEMS], *problems[MAX_ITEMS], *fixed[NN_BM_MAX_FIXED];
    char base_buf[4096];
} args;

static int parse_opt(args *a, int argc, char **argv, int *i)
{
    nn_bm_opts *o = &a->o;
    const char *s = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int takes = strcmp(s, "--suite") == 0 || strcmp(s, "--baselines") == 0 || strcmp(s, "--seeds") == 0 ||
                strcmp(s, "--budget") == 0 || strcmp(s, "--lr") == 0 || strcmp(s, "-j") == 0 ||
                strcmp(s, "-o") == 0 || strcmp(s, "--problem") == 0 || strcmp(s, "--problems") == 0 ||
                strcmp(s, "--cache") == 0 || strcmp(s, "-s") == 0 || strcmp(s, "--shard") == 0;
    if (takes && !v)
        return bad("%s needs a value", s);
    if (takes)
        (*i)++;
    if (strcmp(s, "--suite") == 0) {
        if (strcmp(v, "small") != 0 && strcmp(v, "full") != 0)
            return bad("--suite: '%s' is not small or full", v);
        o->suite = v;
    } else if (strcmp(s, "--baselines") == 0) {
        if (split_list(v, a->base_buf, sizeof a->base_buf, a->baselines, &o->n_baselines) != 0)
            return bad("--baselines: '%s' is not a comma-separated list of optimizers (or none)", v);
    } else if (strcmp(s, "--seeds") == 0) {
        if (parse_int(v, 1, NN_BM_MAX_SEEDS, &o->seeds) != 0)
            return bad("--seeds: '%s' is not a whole number from 1 to 100", v);
    } else if (strcmp(s, "--budget") == 0) {
        if (parse_int(v, 1, NN_BM_MAX_LRS, &o->budget) != 0)
            return bad("--budget: '%s' is not a whole number of learning rates from 1 to 64", v);
    } else if (strcmp(s, "--lr") == 0) {
        if (parse_range(v, &o->lr_min, &o->lr_max) != 0)
            return bad("--lr: '%s' is not LO:HI with 0 < LO <= HI <= 1e6", v);
    } else if (strcmp(s, "-j") == 0) {
        if (parse_int(v, 1, 1024, &o->jobs) != 0)
            return bad("-j: '%s' is not a whole number from 1 to 1024", v);
    } else if (strcmp(s, "--shard") == 0) {
        if (nn_opt_shard(v, &o->shard, &o->n_shards) != 0)
            return bad("--shard: '%s' is not I/N with 1 <= I <= N", v);
    } else if (strcmp(s, "-o") == 0) {
        o->out = v;
    } else if (strcmp(s, "--problem") == 0) {
        if (o->n_problem_files == MAX_ITEMS)
            return bad("%s: too many problems", s);
        if (!nn_file_exists(v))
            return bad("--problem: %s: no such file", v);
        a->problems[o->n_problem_files++] = v;
    } else if (strcmp(s, "--problems") == 0) {
        o->problems_dir = v;
    } else if (strcmp(s, "--cache") == 0) {
        o->cache = v;
    } else if (strcmp(s, "-s") == 0) {
        if (o->n_fixed == NN_BM_MAX_FIXED || !strchr(v, '='))
            return bad("-s: '%s' is not key=value", v);
        a->fixed[o->n_fixed++] = v;
    } else if (strcmp(s, "--no-check") == 0) {
        o->no_check = 1;
    } else if (strcmp(s, "--no-figures") == 0) {
        o->no_figures = 1;
    } else {
        return bad("unknown option '%s'", s);
    }
    return 0;
}

static int parse_args(args *a, int argc, char **argv)
{
    nn_bm_opts *o = &a->o;
    for (int i = 1; i < argc; i++) {
        if (nn_opt_plugin_path(argc, argv, &i, &o->plugin_path))
            continue;
        if (argv[i][0] == '-') {
            if (parse_opt(a, argc, argv, &i) != 0)
                return -1;
        } else if (o->n_optims == MAX_ITEMS) {
            return bad("too many optimizers ('%s')", argv[i]);
        } else {
            a->optims[o->n_optims++] = argv[i];
        }
    }
    if (o->n_optims == 0)
        return bad("%s", "no optimizer to benchmark: nnlab benchmark OPTIM... (e.g. nnlab benchmark adam)");
    return nn_check_plugin_path("benchmark", o->plugin_path) ? -1 : 0;
}

static void defaults(args *a, char *cmdline, size_t n, int argc, char **argv)
{
    nn_bm_opts *o = &a->o;
    static const char *const std_baselines[] = {"sgd", "momentum", "adam"};
    o->optims = a->optims;
    o->baselines = a->baselines;
    o->problem_files = a->problems;
    o->fixed = a->fixed;
    o->suite = "small";
    o->seeds = 5;
    o->budget = 11;
    o->lr_min = 1e-4;
    o->lr_max = 10;
    o->n_baselines = -1;
    o->out = "runs/benchmark";
    (void)std_baselines;
    size_t len = (size_t)snprintf(cmdline, n, "nnlab");
    for (int i = 0; i < argc && len < n; i++)
        len += (size_t)snprintf(cmdline + len, n - len, " %s", argv[i]);
    o->command_line = cmdline;
}

/* The shard of a job array task, else of an mpirun rank (every rank runs the
 * whole benchmark on the shared folder: no messages between them). */
static int shard_from_env(nn_bm_opts *o)
{
    int r = nn_sweep_shard_from_env(&o->shard, &o->n_shards);
    if (r < 0) {
        fprintf(stderr, "nnlab benchmark: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT are inconsistent\n");
        return -1;
    }
    const char *rank = getenv("OMPI_COMM_WORLD_RANK"), *size = getenv("OMPI_COMM_WORLD_SIZE");
    if (r == 0 && rank && size) {
        char *e1, *e2;
        long i = strtol(rank, &e1, 10), n = strtol(size, &e2, 10);
        if (*e1 || *e2 || n < 1 || i < 0 || i >= n || n > 100000) {
            fprintf(stderr, "nnlab benchmark: OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE are inconsistent\n");
            return -1;
        }
        o->shard = n > 1 ? (int)i + 1 : 0;
        o->n_shards = n > 1 ? (int)n : 0;
    }
    return 0;
}

int nn_cmd_benchmark(int argc, char **argv)
{
    static args a;
    static char cmdline[8192], exe[4096];
    memset(&a, 0, sizeof a);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    defaults(&a, cmdline, sizeof cmdline, argc, argv);
    if (parse_args(&a, argc, argv) != 0)
        return 2;
    if (a.o.n_baselines < 0) {
        a.baselines[0] = "sgd", a.baselines[1] = "momentum", a.baselines[2] = "adam";
        a.o.n_baselines = 3;
    }
    if (!a.o.problems_dir)
        a.o.problems_dir = nn_file_exists("experiments/benchmark/moons.cfg") ? "experiments/benchmark"
                                                                               : NN_BENCHMARK_DIR;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "nnlab benchmark: cannot find the nnlab command (/proc/self/exe)\n");
        return 1;
    }
    exe[n] = '\0';
    a.o.exe = exe;
    if (!a.o.n_shards && shard_from_env(&a.o) != 0)
        return 2;
    nn_err err = {{0}};
    nn_bm_result res;
    int rc = nn_benchmark_run(&a.o, &res, &err);
    if (rc) {
        fprintf(stderr, "nnlab: %s\n", err.msg);
        return nn_exit_status(rc);
    }
    if (res.refused)
        return 1;
    if (res.signal) {
        fprintf(stderr, "nnlab benchmark: stopped by signal %d; run the same command again to go on\n", res.signal);
        return 128 + res.signal;
    }
    if (res.incomplete)
        fprintf(stderr, "nnlab benchmark: some optimizer has fewer finished seeds than asked on some problem "
                "(see the report)\n");
    printf("wrote %s/report.md (%d problem%s, %d skipped), results.csv and figures/\n", res.dir, res.problems,
           res.problems == 1 ? "" : "s", res.skipped);
    return 0;
}
