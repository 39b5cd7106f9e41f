/* sweep.c: `nnlab sweep FILE -g key=v1,v2,... [-g ...] [-s key=value]...
 * [-j JOBS] [-o DIR]`: runs every combination of the grid values as separate
 * processes across the cores, then ranks them (by best validation accuracy
 * when the data have a validation split, else by training accuracy) in
 * DIR/sweep.md and overlays the best runs in DIR/compare.png. Every
 * combination is checked before anything runs; a bad value is exit 2. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "experiment.h"
#include "nnlab/io.h"
#include "report.h"
#include "run.h"
#include "util.h"

#define MAX_AXES 8
#define MAX_VALUES 32
#define MAX_COMBOS 1000

typedef struct axis {
    char key[256];
    char *values[MAX_VALUES]; /* owned */
    int n;
} axis;

typedef struct sweep {
    const char *file, *out, *plugin_path;
    const char *fixed[64];
    int n_fixed, jobs;
    axis ax[MAX_AXES];
    int n_axes;
    long n_combos;
    char name[128];
} sweep;

/* Splits "v1,v2,..." at commas outside brackets, parentheses and quotes. */
static int split_values(const char *list, axis *a)
{
    int depth = 0, quoted = 0;
    const char *start = list;
    for (const char *p = list;; p++) {
        if (*p == '"' && (p == list || p[-1] != '\\'))
            quoted = !quoted;
        else if (!quoted && (*p == '[' || *p == '(' || *p == '{'))
            depth++;
        else if (!quoted && (*p == ']' || *p == ')' || *p == '}'))
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0 && !quoted)) {
            if (a->n >= MAX_VALUES || p == start)
                return -1;
            a->values[a->n] = strndup(start, (size_t)(p - start));
            if (!a->values[a->n++])
                return -1;
            start = p + 1;
        }
        if (*p == '\0')
            return 0;
    }
}

static int parse_axis(sweep *s, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || s->n_axes >= MAX_AXES || (size_t)(eq - arg) >= sizeof s->ax[0].key)
        return -1;
    axis *a = &s->ax[s->n_axes++];
    snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - arg), arg);
    return split_values(eq + 1, a);
}

/* Overrides of combination c: the fixed ones, one per axis, the run name,
 * one BLAS thread per process when several run at once. */
static int combo_overrides(const sweep *s, long c, char bufs[][512], const char **ov)
{
    int n = 0;
    for (int i = 0; i < s->n_fixed; i++)
        ov[n++] = s->fixed[i];
    long k = c;
    for (int i = s->n_axes - 1; i >= 0; i--) {
        const axis *a = &s->ax[i];
        snprintf(bufs[i], 512, "%s=%s", a->key, a->values[k % a->n]);
        k /= a->n;
    }
    for (int i = 0; i < s->n_axes; i++)
        ov[n++] = bufs[i];
    snprintf(bufs[MAX_AXES], 512, "name=\"%s_%03ld\"", s->name, c);
    ov[n++] = bufs[MAX_AXES];
    if (s->jobs > 1)
        ov[n++] = "train.threads=1";
    return n;
}

/* Loads every combination once: all errors before any run starts. */
static int validate(sweep *s, nn_err *err)
{
    nn_registry reg;
    nn_registry_init(&reg, s->plugin_path);
    nn_experiment x;
    int rc = nn_experiment_load(&x, s->file, s->fixed, s->n_fixed, &reg, err);
    if (rc == NN_OK)
        snprintf(s->name, sizeof s->name, "%s", x.name);
    nn_experiment_free(&x);
    for (long c = 0; rc == NN_OK && c < s->n_combos; c++) {
        char bufs[MAX_AXES + 1][512];
        const char *ov[64 + MAX_AXES + 2];
        int n = combo_overrides(s, c, bufs, ov);
        rc = nn_experiment_load(&x, s->file, ov, n, &reg, err);
        nn_experiment_free(&x);
    }
    nn_registry_free(&reg);
    return rc;
}

static const char *run_dir(const sweep *s, long c)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s_%03ld", s->out, s->name, c);
    return buf;
}

/* The child: one run, its output in <run>/run.log. */
static void child(const sweep *s, long c)
{
    char bufs[MAX_AXES + 1][512], log[4300];
    const char *ov[64 + MAX_AXES + 2];
    int n = combo_overrides(s, c, bufs, ov);
    const char *dir = run_dir(s, c);
    nn_err err = {{0}};
    if (nn_mkdirs(dir, &err) != NN_OK)
        _exit(2);
    snprintf(log, sizeof log, "%s/run.log", dir);
    if (!freopen(log, "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0)
        _exit(2);
    nn_run_opts o = {s->file, dir, ov, n, s->plugin_path, 1};
    int rc = nn_run(&o, &err);
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    fflush(NULL);
    _exit(nn_exit_status(rc));
}

/* Runs all combinations, at most s->jobs at a time; status per combination. */
static void run_all(const sweep *s, int *status)
{
    long next = 0, running = 0, done = 0;
    pid_t pids[MAX_COMBOS];
    while (done < s->n_combos) {
        while (running < s->jobs && next < s->n_combos) {
            fflush(NULL);
            pid_t p = fork();
            if (p == 0)
                child(s, next);
            pids[next] = p;
            status[next++] = p < 0 ? 1 : -1;
            running += p > 0;
        }
        int ws;
        pid_t p = wait(&ws);
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            break;
        for (long c = 0; c < next; c++)
            if (pids[c] == p) {
                status[c] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
                fprintf(stderr, "sweep: %ld of %ld done (%s: %s)\n", ++done, s->n_combos,
                        run_dir(s, c), status[c] == 0 ? "ok" : status[c] == 1 ? "diverged or failed" : "error");
            }
        running--;
    }
}

typedef struct ranked {
    long c;
    double score;
    nn_run_info info;
    int ok;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    double sx = isnan(x->score) ? -1 : x->score, sy = isnan(y->score) ? -1 : y->score;
    return sx < sy ? 1 : sx > sy ? -1 : (x->c > y->c) - (x->c < y->c);
}

static void write_row(FILE *f, const sweep *s, const ranked *r)
{
    char bufs[MAX_AXES + 1][512];
    const char *ov[64 + MAX_AXES + 2];
    combo_overrides(s, r->c, bufs, ov);
    fprintf(f, "| %s_%03ld |", s->name, r->c);
    for (int i = 0; i < s->n_axes; i++)
        fprintf(f, " %s |", strchr(bufs[i], '=') + 1);
    if (!r->ok) {
        fputs(" failed | | | | |\n", f);
        return;
    }
    fprintf(f, " %s | %.4f |", r->info.status, r->info.train);
    fprintf(f, isnan(r->info.best_val) ? " - |" : " %.4f |", r->info.best_val);
    fprintf(f, isnan(r->info.test) ? " - |" : " %.4f |", r->info.test);
    fprintf(f, " %.6g |\n", r->info.loss);
}

static void write_table(FILE *f, const sweep *s, const ranked *r, int by_val)
{
    fprintf(f, "ranked by %s\n\n| run |", by_val ? "best validation accuracy" : "training accuracy (no validation split)");
    for (int i = 0; i < s->n_axes; i++)
        fprintf(f, " %s |", s->ax[i].key);
    fputs(" status | train acc | best val acc | test acc | final loss |\n|---|", f);
    for (int i = 0; i < s->n_axes; i++)
        fputs("---|", f);
    fputs("---|---|---|---|---|\n", f);
    for (long i = 0; i < s->n_combos; i++)
        write_row(f, s, &r[i]);
}

static int report(const sweep *s, nn_err *err)
{
    ranked *r = calloc((size_t)s->n_combos, sizeof *r);
    if (!r)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int by_val = 0;
    for (long c = 0; c < s->n_combos; c++) {
        nn_err e;
        r[c].c = c;
        r[c].ok = nn_run_info_read(run_dir(s, c), &r[c].info, &e) == NN_OK;
        by_val |= r[c].ok && !isnan(r[c].info.best_val);
    }
    for (long c = 0; c < s->n_combos; c++)
        r[c].score = !r[c].ok || strcmp(r[c].info.status, "ok") != 0 ? NAN
                     : by_val ? r[c].info.best_val : r[c].info.train;
    qsort(r, (size_t)s->n_combos, sizeof *r, by_score);
    write_table(stdout, s, r, by_val);
    nn_atomic a;
    int rc = nn_atomic_open(&a, nn_path_join(s->out, "sweep.md"), err);
    if (rc == NN_OK) {
        fprintf(a.f, "# Sweep of %s\n\n", s->file);
        write_table(a.f, s, r, by_val);
        fputs("\n![the best runs](compare.png)\n", a.f);
        rc = nn_atomic_commit(&a, err);
    }
    char *best[NN_COMPARE_MAX], paths[NN_COMPARE_MAX][4200];
    int nb = 0;
    for (long i = 0; i < s->n_combos && nb < NN_COMPARE_MAX; i++)
        if (r[i].ok) {
            snprintf(paths[nb], sizeof paths[nb], "%s", run_dir(s, r[i].c));
            best[nb] = paths[nb];
            nb++;
        }
    for (long c = 0; c < s->n_combos; c++)
        free(r[c].info.rows);
    free(r);
    if (rc == NN_OK && nb > 0)
        rc = nn_compare(best, nb, s->out, 0, NULL, err);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: nnlab sweep FILE -g key=v1,v2,... [-g ...] [-s key=value]... [-j JOBS] [-o DIR]\n"
                    "  values in libconfig syntax, e.g. -g optim.lr=0.1,0.01 -g 'model.hidden=[10],[20, 10]'\n");
    return 2;
}

static int parse_args(sweep *s, int argc, char **argv)
{
    s->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-g") == 0 && i + 1 < argc) {
            if (parse_axis(s, argv[++i]) != 0) {
                fprintf(stderr, "nnlab sweep: -g %s: expected key=v1,v2,... (at most %d keys of %d values)\n",
                        argv[i], MAX_AXES, MAX_VALUES);
                return -1;
            }
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc && s->n_fixed < 64) {
            s->fixed[s->n_fixed++] = argv[++i];
        } else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
            s->jobs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            s->out = argv[++i];
        } else if (nn_opt_plugin_path(argc, argv, &i, &s->plugin_path)) {
            continue;
        } else if (argv[i][0] != '-' && !s->file) {
            s->file = argv[i];
        } else {
            return -1;
        }
    }
    s->n_combos = 1;
    for (int i = 0; i < s->n_axes; i++)
        s->n_combos *= s->ax[i].n;
    return s->file && s->n_axes > 0 && s->jobs >= 1 && s->n_combos <= MAX_COMBOS ? 0 : -1;
}

int nn_cmd_sweep(int argc, char **argv)
{
    static sweep s;
    memset(&s, 0, sizeof s);
    if (parse_args(&s, argc, argv) != 0)
        return usage();
    nn_err err = {{0}};
    char out[4200];
    int rc = validate(&s, &err);
    if (rc == NN_OK && !s.out) {
        snprintf(out, sizeof out, "runs/%s_sweep", s.name);
        s.out = out;
    }
    if (rc == NN_OK)
        rc = nn_mkdirs(s.out, &err);
    int *status = rc == NN_OK ? calloc((size_t)s.n_combos, sizeof(int)) : NULL;
    if (rc == NN_OK && status) {
        fprintf(stderr, "sweep: %ld runs of %s, %d at a time, into %s\n", s.n_combos, s.file, s.jobs, s.out);
        run_all(&s, status);
        rc = report(&s, &err);
    }
    /* the sweep's status: 2 if a run met bad input, else 1 if one diverged or failed */
    int worst = 0;
    for (long c = 0; status && c < s.n_combos; c++)
        worst = status[c] > worst ? status[c] : worst;
    free(status);
    for (int i = 0; i < s.n_axes; i++)
        for (int k = 0; k < s.ax[i].n; k++)
            free(s.ax[i].values[k]);
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    if (rc == NN_OK && worst)
        fprintf(stderr, "nnlab sweep: some runs did not finish ok (see their run.log)\n");
    return rc ? nn_exit_status(rc) : (worst >= 2 ? 2 : worst);
}
