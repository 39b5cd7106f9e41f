/* benchmark.c: the benchmark driver: the optimizers opened and checked,
 * the grid, and for each problem and optimizer two sweeps in one sweep
 * folder (the grid of learning rates with one seed, then the best one with
 * seeds 1..N; seed 0 is the tuning run, left out of the statistics), found
 * finished (a cached baseline) or resumed; then the report. See
 * benchmark.h. */
#include "benchmark.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "nnlab/io.h"
#include "sweep.h"
#include "tree.h"
#include "util.h"

/* What a finished sweep folder holds, part of the cache key: 2 since the
 * trials' summary.json has test_loss (a folder of before would report none). */
#define NN_BM_RESULTS 2

/* The optimizers of the benchmark: the ones asked for, then the baselines
 * not among them. */
typedef struct optim {
    char arg[4096], name[128], plugin[4096];
    int candidate;
    double lr_lo, lr_hi;
    uint64_t so_hash;
} optim;

typedef struct bm {
    const nn_bm_opts *o;
    FILE *log;
    nn_registry reg;
    optim opt[NN_BM_MAX_OPTIMS];
    int n_opt;
    double grid[NN_BM_MAX_LRS];
    char grid_txt[NN_BM_MAX_LRS][32];
    int n_grid;
    char cache[4096];
    int signal;                  /* a sweep was stopped by this signal */
    nn_bm_run run;
} bm;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- optimizers ------------------------------------------------------------------------ */

static int find_opt(const bm *b, const char *name)
{
    for (int i = 0; i < b->n_opt; i++)
        if (strcmp(b->opt[i].name, name) == 0)
            return i;
    return -1;
}

static int open_optim(bm *b, const char *arg, int candidate, nn_err *err)
{
    nn_handle h;
    int rc = nn_plugin_open(&b->reg, arg, NN_KIND_OPTIM, &h, err);
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return nn_err_set(err, NN_EINPUT, "benchmark: optimizer '%s': %s", arg, why);
    }
    int have = find_opt(b, h.desc->name);
    if (have >= 0) {
        b->opt[have].candidate |= candidate;
        nn_plugin_close(&h);
        return NN_OK;
    }
    if (b->n_opt == NN_BM_MAX_OPTIMS) {
        nn_plugin_close(&h);
        return nn_err_set(err, NN_EINPUT, "benchmark: at most %d optimizers (with the baselines)", NN_BM_MAX_OPTIMS);
    }
    optim *p = &b->opt[b->n_opt];
    memset(p, 0, sizeof *p);
    snprintf(p->arg, sizeof p->arg, "%s", arg);
    snprintf(p->name, sizeof p->name, "%s", h.desc->name);
    int is_path = strchr(arg, '/') || (strlen(arg) > 3 && strcmp(arg + strlen(arg) - 3, ".so") == 0);
    snprintf(p->plugin, sizeof p->plugin, "%s", is_path ? h.path : h.desc->name);
    p->candidate = candidate;
    p->lr_lo = p->lr_hi = NAN;
    for (int i = 0; i < h.desc->n_params; i++)
        if (strcmp(h.desc->params[i].name, "lr") == 0 && h.desc->params[i].type == NN_T_REAL)
            p->lr_lo = h.desc->params[i].min, p->lr_hi = h.desc->params[i].max;
    rc = nn_bm_hash_file(h.path, &p->so_hash, err);
    nn_plugin_close(&h);
    if (rc == NN_OK && !isfinite(p->lr_lo))
        rc = nn_err_set(err, NN_EINPUT, "benchmark: optimizer '%s' declares no real hyperparameter lr, so "
                        "there is no learning rate to tune", p->name);
    if (rc == NN_OK)
        b->n_opt++;
    return rc;
}

/* nnlab check of one optimizer into DIR/check/NAME.txt; *failed when a check failed. */
static int check_optim(bm *b, int i, int *failed, nn_err *err)
{
    optim *p = &b->opt[i];
    char path[4300], spec[4200];
    snprintf(path, sizeof path, "%s/check/%s.txt", b->run.dir, p->name);
    snprintf(spec, sizeof spec, "%s%s", strcmp(p->plugin, p->name) == 0 ? "optim/" : "", p->plugin);
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    nn_checker c;
    if ((rc = nn_checker_init(&c, &b->reg, a.f, 0, err)) != NN_OK) {
        nn_atomic_abort(&a);
        return rc;
    }
    fflush(a.f);
    rc = nn_check_plugin(&c, spec, err);
    fprintf(a.f, "nnlab check: %d passed, %d failed, %d skipped\n", c.pass, c.fail, c.skip);
    snprintf(b->run.checks[i], sizeof b->run.checks[i], "%d passed, %d failed, %d skipped%s", c.pass, c.fail,
             c.skip, c.fail && b->o->no_check ? " (benchmarked anyway: --no-check)" : "");
    *failed = c.fail > 0;
    nn_checker_free(&c);
    if (rc == NN_OK)
        rc = nn_atomic_commit(&a, err);
    else
        nn_atomic_abort(&a);
    if (rc == NN_OK && *failed)
        fprintf(b->log, "benchmark: %s fails nnlab check: %s (%s)\n", p->name, b->run.checks[i], path);
    return rc;
}

/* ---- the grid ------------------------------------------------------------------------------ */

static void real_text(double v, char *out, size_t n)
{
    snprintf(out, n, "%.3g", v);
    if (!strpbrk(out, ".e"))
        snprintf(out + strlen(out), n - strlen(out), ".0");
}

static void make_grid(bm *b)
{
    const nn_bm_opts *o = b->o;
    b->n_grid = o->budget;
    size_t len = 0;
    for (int k = 0; k < o->budget; k++) {
        double t = o->budget > 1 ? (double)k / (o->budget - 1) : 0;
        double v = o->lr_min * pow(o->lr_max / o->lr_min, t);
        real_text(v, b->grid_txt[k], sizeof b->grid_txt[k]);
        b->grid[k] = strtod(b->grid_txt[k], NULL);
        len += (size_t)snprintf(b->run.grid_text + len, len < sizeof b->run.grid_text ? sizeof b->run.grid_text - len : 0,
                                "%s%s", k ? ", " : "", b->grid_txt[k]);
    }
}

/* ---- one optimizer on one problem ----------------------------------------------------------- */

static void entry_key(const bm *b, const nn_bm_problem *p, const optim *q, nn_bm_entry *e, char *text, size_t n)
{
    size_t o = (size_t)snprintf(text, n, "nnlab %s\nresults %d\nproblem %s %016llx\noptimizer %s %016llx\ngrid %s\nseeds %d\n",
                                NN_VERSION, NN_BM_RESULTS, p->name, (unsigned long long)p->hash, q->plugin,
                                (unsigned long long)q->so_hash, b->run.grid_text, b->o->seeds);
    for (int i = 0; i < b->o->n_fixed && o < n; i++)
        o += (size_t)snprintf(text + o, n - o, "-s %s\n", b->o->fixed[i]);
    uint64_t h = nn_bm_hash(NN_BM_HASH0, text, strlen(text));
    snprintf(e->key, sizeof e->key, "%016llx", (unsigned long long)h);
}

/* One sweep in e->dir: the grid `values` of optim.lr, `repeats` seeds. */
static int sweep(bm *b, const nn_bm_problem *p, nn_bm_entry *e, const char *values, int repeats, nn_err *err)
{
    const nn_bm_opts *o = b->o;
    const char *fixed[NN_BM_MAX_FIXED + 8];
    char plugin[4200], reps[64], grid[4096], logp[4200];
    int n = 0;
    for (int i = 0; i < o->n_fixed; i++)
        fixed[n++] = o->fixed[i];
    snprintf(plugin, sizeof plugin, "optim.plugin=\"%s\"", e->plugin);
    snprintf(reps, sizeof reps, "sweep.repeats=%d", repeats);
    fixed[n++] = plugin;
    fixed[n++] = "output.plots=false";
    fixed[n++] = "output.weights=false";
    fixed[n++] = reps;
    fixed[n++] = "sweep.metric=\"val_accuracy\"";
    snprintf(grid, sizeof grid, "optim.lr=%s", values);
    const char *grids[1] = {grid};
    if (o->n_shards > 1) /* one log per shard: its lines name the trials it ran */
        snprintf(logp, sizeof logp, "%s/benchmark-shard%d.log", e->dir, o->shard);
    else
        snprintf(logp, sizeof logp, "%s/benchmark.log", e->dir);
    FILE *lf = fopen(logp, "a");
    if (!lf)
        return nn_err_set(err, NN_EIO, "%s: cannot write", logp);
    nn_sweep_opts so = {.file = p->file, .out = e->dir, .fixed = fixed, .n_fixed = n, .grid = grids, .n_grid = 1,
                        .plugin_path = o->plugin_path, .exe = o->exe, .jobs = o->jobs,
                        .shard = o->shard, .n_shards = o->n_shards, .log = lf};
    nn_sweep_result res;
    int rc = nn_sweep_run(&so, &res, err);
    fclose(lf);
    if (rc == NN_OK && res.signal)
        b->signal = res.signal;
    return rc;
}

static int stopped(const bm *b)
{
    return b->signal != 0;
}

static int done_marker(const nn_bm_entry *e, const char *key_text, int write, nn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/benchmark.done", e->dir);
    if (!write)
        return nn_file_exists(path);
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    fprintf(a.f, "%s", key_text);
    return nn_atomic_commit(&a, err);
}

/* The entry's grid: the benchmark's learning rates inside the optimizer's range. */
static void entry_grid(const bm *b, const optim *q, nn_bm_entry *e, char *values, size_t n)
{
    e->n_lr = 0;
    size_t len = 0;
    values[0] = '\0';
    for (int k = 0; k < b->n_grid; k++) {
        if (b->grid[k] < q->lr_lo || b->grid[k] > q->lr_hi)
            continue;
        int i = e->n_lr++;
        e->lr[i] = b->grid[k];
        snprintf(e->lr_text[i], sizeof e->lr_text[i], "%s", b->grid_txt[k]);
        len += (size_t)snprintf(values + len, len < n ? n - len : 0, "%s%s", i ? "," : "", b->grid_txt[k]);
    }
}

static void say_result(const bm *b, const nn_bm_problem *p, const nn_bm_entry *e, double t0)
{
    if (e->best < 0) {
        fprintf(b->log, "benchmark: %s / %s: no learning rate finished ok (see %s/trials.csv)\n", p->name, e->optim,
                e->dir);
        return;
    }
    fprintf(b->log, "benchmark: %s / %s: best lr %s (%s %.4g), %d of %d learning rates within reach of it; "
            "%d seeds: test accuracy %.4f +- %.4f, test loss %.4f +- %.4f, %d at the target%s (%.1f s)\n", p->name,
            e->optim, e->lr_text[e->best], p->metric, e->lr_metric[e->best], e->n_good, e->n_lr, e->n_runs_ok,
            e->test_acc.mean, e->test_acc.std, e->test_loss.mean, e->test_loss.std, e->reached,
            e->cached ? "; cached" : "", now() - t0);
}

static int run_entry(bm *b, const nn_bm_problem *p, const optim *q, const char *root, nn_bm_entry *e, nn_err *err)
{
    double t0 = now();
    memset(e, 0, sizeof *e);
    snprintf(e->optim, sizeof e->optim, "%s", q->name);
    snprintf(e->plugin, sizeof e->plugin, "%s", q->plugin);
    e->candidate = q->candidate;
    e->lr_lo = q->lr_lo, e->lr_hi = q->lr_hi;
    e->best = -1;
    char key_text[8192], values[4096];
    entry_key(b, p, q, e, key_text, sizeof key_text);
    snprintf(e->dir, sizeof e->dir, "%s/%s/%s-%s", root, p->name, q->name, e->key);
    entry_grid(b, q, e, values, sizeof values);
    if (e->n_lr == 0) {
        fprintf(b->log, "benchmark: %s / %s: no learning rate of the grid is inside its range [%g, %g]\n", p->name,
                q->name, q->lr_lo, q->lr_hi);
        return NN_OK;
    }
    int rc = nn_mkdirs(e->dir, err);
    if (rc)
        return rc;
    e->cached = done_marker(e, NULL, 0, err);
    if (!e->cached) {
        fprintf(b->log, "benchmark: %s / %s: tuning %d learning rates (%s .. %s) into %s\n", p->name, q->name, e->n_lr,
                e->lr_text[0], e->lr_text[e->n_lr - 1], e->dir);
        fflush(b->log);
        rc = sweep(b, p, e, values, 1, err);
    }
    if (rc == NN_OK && !stopped(b))
        rc = nn_bm_read_tuning(p, e, err);
    if (rc == NN_OK && !stopped(b) && !e->cached && e->best >= 0)
        rc = sweep(b, p, e, e->lr_text[e->best], b->o->seeds + 1, err);
    if (rc == NN_OK && !stopped(b))
        rc = nn_bm_read_seeds(p, e, b->o->seeds, err);
    if (rc == NN_OK && !stopped(b) && !e->cached)
        rc = done_marker(e, key_text, 1, err);
    if (rc == NN_OK && !stopped(b))
        say_result(b, p, e, t0);
    return rc;
}

/* ---- the whole benchmark --------------------------------------------------------------------- */

static int load_problems(bm *b, nn_err *err)
{
    const nn_bm_opts *o = b->o;
    nn_bm_problem *all = calloc(NN_BM_MAX_PROBLEMS, sizeof *all);
    b->run.problems = calloc(NN_BM_MAX_PROBLEMS, sizeof *all);
    b->run.skipped = calloc(NN_BM_MAX_PROBLEMS, sizeof *all);
    if (!all || !b->run.problems || !b->run.skipped) {
        free(all);
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    int n = 0, rc = NN_OK;
    if (o->n_problem_files > 0) {
        for (int i = 0; rc == NN_OK && i < o->n_problem_files && i < NN_BM_MAX_PROBLEMS; i++, n++)
            rc = nn_bm_problem_read(&all[i], o->problem_files[i], o->fixed, o->n_fixed, &b->reg, err);
    } else {
        rc = nn_bm_problems_of_suite(o->problems_dir, o->suite, o->fixed, o->n_fixed, &b->reg, all,
                                     NN_BM_MAX_PROBLEMS, &n, err);
    }
    for (int i = 0; rc == NN_OK && i < n; i++) {
        if (all[i].skip[0]) {
            b->run.skipped[b->run.n_skipped++] = all[i];
            fprintf(b->log, "benchmark: skipping %s: %s\n", all[i].name, all[i].skip);
        } else {
            b->run.problems[b->run.n_problems++] = all[i];
        }
    }
    free(all);
    if (rc == NN_OK && b->run.n_problems == 0)
        rc = nn_err_set(err, NN_EINPUT, "benchmark: every problem is skipped (their data are absent)");
    return rc;
}

static void cache_root(const nn_bm_opts *o, char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (o->cache)
        snprintf(out, n, "%s", o->cache);
    else if (xdg && xdg[0])
        snprintf(out, n, "%s/nnlab/benchmark", xdg);
    else if (home && home[0])
        snprintf(out, n, "%s/.cache/nnlab/benchmark", home);
    else
        snprintf(out, n, "%s/cache", o->out);
}

static int open_optims(bm *b, nn_err *err)
{
    int rc = NN_OK;
    for (int i = 0; rc == NN_OK && i < b->o->n_optims; i++)
        rc = open_optim(b, b->o->optims[i], 1, err);
    for (int i = 0; rc == NN_OK && i < b->o->n_baselines; i++)
        rc = open_optim(b, b->o->baselines[i], 0, err);
    return rc;
}

static int check_all(bm *b, nn_bm_result *res, nn_err *err)
{
    int rc = nn_mkdirs(nn_path_join(b->run.dir, "check"), err);
    for (int i = 0; rc == NN_OK && i < b->n_opt; i++) {
        if (!b->opt[i].candidate)
            continue;
        int failed = 0;
        rc = check_optim(b, i, &failed, err);
        if (rc == NN_OK && failed && !b->o->no_check)
            res->refused = 1;
    }
    if (rc == NN_OK && res->refused)
        fprintf(b->log, "benchmark: refused: an optimizer that fails nnlab check is not benchmarked (its "
                "results would mean nothing); fix it, or pass --no-check to benchmark it anyway\n");
    return rc;
}

static int run_entries(bm *b, nn_err *err)
{
    int n_p = b->run.n_problems;
    b->run.n_optims = b->n_opt;
    b->run.entries = calloc((size_t)(n_p * b->n_opt) + 1, sizeof *b->run.entries);
    if (!b->run.entries)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    char runs[4200];
    snprintf(runs, sizeof runs, "%s/runs", b->run.dir);
    int rc = NN_OK;
    for (int i = 0; rc == NN_OK && i < n_p; i++) {
        for (int k = 0; rc == NN_OK && k < b->n_opt && !stopped(b); k++)
            rc = run_entry(b, &b->run.problems[i], &b->opt[k], b->opt[k].candidate ? runs : b->cache,
                           &b->run.entries[i * b->n_opt + k], err);
        if (stopped(b))
            break;
        nn_bm_rank(&b->run.problems[i], &b->run.entries[i * b->n_opt], b->n_opt);
    }
    return rc;
}

static void free_run(bm *b, int n_p)
{
    for (int i = 0; b->run.entries && i < n_p * b->n_opt; i++)
        nn_bm_entry_free(&b->run.entries[i]);
    free(b->run.entries);
    free(b->run.problems);
    free(b->run.skipped);
    nn_registry_free(&b->reg);
}

int nn_benchmark_run(const nn_bm_opts *o, nn_bm_result *res, nn_err *err)
{
    memset(res, 0, sizeof *res);
    bm *b = calloc(1, sizeof *b);
    if (!b)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    double t0 = now();
    b->o = o;
    b->run.o = o;
    b->log = o->log ? o->log : stderr;
    snprintf(b->run.dir, sizeof b->run.dir, "%s", o->out);
    snprintf(res->dir, sizeof res->dir, "%s", o->out);
    cache_root(o, b->cache, sizeof b->cache);
    snprintf(b->run.cache, sizeof b->run.cache, "%s", b->cache);
    nn_registry_init(&b->reg, o->plugin_path);
    make_grid(b);
    int rc = open_optims(b, err);
    if (rc == NN_OK)
        rc = load_problems(b, err);
    int n_p = b->run.n_problems;
    if (rc == NN_OK)
        rc = nn_mkdirs(o->out, err);
    if (rc == NN_OK)
        rc = check_all(b, res, err);
    if (rc == NN_OK && !res->refused) {
        fprintf(b->log, "benchmark: %d problem%s x %d optimizers, %d learning rates each, best rerun with %d seeds; "
                "baselines cached in %s", n_p, n_p == 1 ? "" : "s", b->n_opt, b->n_grid, o->seeds, b->cache);
        if (o->n_shards > 1)
            fprintf(b->log, "; shard %d of %d", o->shard, o->n_shards);
        fputc('\n', b->log);
        rc = run_entries(b, err);
        res->signal = b->signal;
    }
    b->run.seconds = now() - t0;
    if (rc == NN_OK && !res->refused && !res->signal) {
        for (int i = 0; i < n_p * b->n_opt; i++)
            res->incomplete |= b->run.entries[i].n_runs_ok < o->seeds;
        res->problems = n_p;
        res->skipped = b->run.n_skipped;
        rc = nn_bm_report_write(&b->run, err);
    }
    free_run(b, n_p);
    free(b);
    return rc;
}
