/* report.c: DIR/report.md (per problem a table of every optimizer, the
 * overall ranking, the runs each number came from, the protocol),
 * DIR/results.csv (the same numbers, one row per problem and optimizer) and
 * the figures (DIR/figures/PROBLEM_curves.png: training loss and validation
 * metric per epoch, mean +- one std over the seeds; PROBLEM_lr.png: the
 * final validation metric against the learning rate). Written atomically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "benchmark.h"
#include "nnlab/io.h"
#include "plot.h"
#include "util.h"

static const nn_bm_entry *entry_at(const nn_bm_run *r, int p, int k)
{
    return &r->entries[p * r->n_optims + k];
}

/* "0.8920 ± 0.0040" (digits after the point), "-" when nothing was measured. */
static const char *pm(const nn_bm_stat *s, int digits, char *buf, size_t n)
{
    if (s->n == 0 || !isfinite(s->mean))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f ± %.*f", digits, s->mean, digits, s->std);
    return buf;
}

/* A path as the report shows it: relative to DIR when inside it. */
static const char *shown(const nn_bm_run *r, const char *path)
{
    size_t n = strlen(r->dir);
    if (strncmp(path, r->dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* ---- figures ------------------------------------------------------------------------------ */

/* Mean and std over the seeds of one logged column per row index. */
typedef struct curve {
    double *x, *loss, *loss_sd, *val, *val_sd;
    int n;
} curve;

static void curve_of(const nn_bm_problem *p, const nn_bm_entry *e, curve *c)
{
    memset(c, 0, sizeof *c);
    long rows = 0;
    for (int i = 0; i < e->n_seeds; i++)
        if (strcmp(e->seed_status[i], "ok") == 0 && e->runs[i].n_rows > rows)
            rows = e->runs[i].n_rows;
    double *buf = calloc((size_t)rows * 5 + 1, sizeof *buf), *v = malloc(((size_t)e->n_seeds + 1) * sizeof *v);
    double *w = malloc(((size_t)e->n_seeds + 1) * sizeof *w);
    if (!buf || !v || !w || rows == 0) {
        free(buf), free(v), free(w);
        return;
    }
    c->x = buf, c->loss = buf + rows, c->loss_sd = buf + 2 * rows, c->val = buf + 3 * rows, c->val_sd = buf + 4 * rows;
    c->n = (int)rows;
    for (long j = 0; j < rows; j++) {
        int k = 0;
        c->x[j] = NAN;
        for (int i = 0; i < e->n_seeds; i++) {
            const nn_run_info *ri = &e->runs[i];
            if (strcmp(e->seed_status[i], "ok") != 0 || j >= ri->n_rows)
                continue;
            if (!isfinite(c->x[j]))
                c->x[j] = (double)ri->rows[j].epoch + 1;
            v[k] = ri->rows[j].loss;
            w[k++] = p->higher ? ri->rows[j].val_acc : ri->rows[j].val_loss;
        }
        nn_bm_stat a, b;
        nn_bm_stat_of(v, k, &a);
        nn_bm_stat_of(w, k, &b);
        c->loss[j] = a.mean, c->loss_sd[j] = a.std, c->val[j] = b.mean, c->val_sd[j] = b.std;
    }
    free(v);
    free(w);
}

static int figures(const nn_bm_run *r, int pi, nn_err *err)
{
    const nn_bm_problem *p = &r->problems[pi];
    int n = r->n_optims;
    curve c[NN_BM_MAX_OPTIMS];
    nn_band left[NN_BM_MAX_OPTIMS], right[NN_BM_MAX_OPTIMS];
    nn_points pts[NN_BM_MAX_OPTIMS];
    for (int k = 0; k < n; k++) {
        const nn_bm_entry *e = entry_at(r, pi, k);
        curve_of(p, e, &c[k]);
        left[k] = (nn_band){e->optim, c[k].x, c[k].loss, c[k].loss_sd, c[k].n};
        right[k] = (nn_band){e->optim, c[k].x, c[k].val, c[k].val_sd, c[k].n};
        pts[k] = (nn_points){e->optim, e->lr, e->lr_metric, e->n_lr};
    }
    char path[4300], title[512], yl[64];
    snprintf(yl, sizeof yl, "validation %s", p->higher ? "accuracy" : "loss");
    snprintf(path, sizeof path, "%s/figures/%s_curves.png", r->dir, p->name);
    snprintf(title, sizeof title, "%s: best learning rate of each optimizer, mean +- 1 std over %d seeds",
             p->name, r->o->seeds);
    int rc = nn_plot_bands(path, left, right, n, "epoch", "training loss", 0, yl, p->higher, title, err);
    snprintf(path, sizeof path, "%s/figures/%s_lr.png", r->dir, p->name);
    snprintf(title, sizeof title, "%s: final %s against the learning rate (tuning runs, one seed each)", p->name, yl);
    if (rc == NN_OK)
        rc = nn_plot_points(path, pts, n, NULL, 0, 1, "learning rate", yl, title, err);
    for (int k = 0; k < n; k++)
        free(c[k].x);
    return rc;
}

/* ---- report.md ---------------------------------------------------------------------------- */

static void header(FILE *f, const nn_bm_run *r)
{
    const nn_bm_opts *o = r->o;
    fprintf(f, "# nnlab benchmark\n\nOptimizers:");
    for (int k = 0; k < r->n_optims; k++) {
        const nn_bm_entry *e = entry_at(r, 0, k);
        fprintf(f, "%s %s%s%s", k ? "," : "", e->candidate ? "**" : "", e->optim, e->candidate ? "**" : "");
        if (e->candidate && r->checks[k][0])
            fprintf(f, " (nnlab check: %s)", r->checks[k]);
        else if (e->candidate)
            fprintf(f, " (nnlab check not run: --no-check)");
    }
    fprintf(f, ". In **bold** the ones benchmarked, the others are baselines.\n\n");
    if (o->n_problem_files)
        fprintf(f, "Problems: %d named with --problem", r->n_problems);
    else
        fprintf(f, "Suite: %s, %d problems from `%s`", o->suite, r->n_problems, o->problems_dir);
    fprintf(f, "; %d learning rates, the best rerun with %d seeds; %.0f s in all.\n\n", r->o->budget, o->seeds, r->seconds);
    for (int i = 0; i < r->n_skipped; i++)
        fprintf(f, "Skipped: %s (%s).\n\n", r->skipped[i].name, r->skipped[i].skip);
}

static void ranking(FILE *f, const nn_bm_run *r)
{
    fprintf(f, "## Overall ranking\n\nEach optimizer's rank on each problem by mean test accuracy over the seeds (1 = "
            "best, ties share their mean rank; an optimizer with no finished setting ranks last), and the mean over "
            "the problems; seeds that reached each problem's target.\n\n| optimizer | mean rank |");
    for (int i = 0; i < r->n_problems; i++)
        fprintf(f, " %s |", r->problems[i].name);
    fprintf(f, " seeds at target |\n|---|---|");
    for (int i = 0; i < r->n_problems; i++)
        fputs("---|", f);
    fputs("---|\n", f);
    int order[NN_BM_MAX_OPTIMS];
    double mean[NN_BM_MAX_OPTIMS];
    for (int k = 0; k < r->n_optims; k++) {
        order[k] = k;
        mean[k] = 0;
        for (int i = 0; i < r->n_problems; i++)
            mean[k] += entry_at(r, i, k)->rank / r->n_problems;
    }
    for (int a = 1; a < r->n_optims; a++) /* insertion sort by mean rank, stable */
        for (int b = a; b > 0 && mean[order[b]] < mean[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    for (int j = 0; j < r->n_optims; j++) {
        int k = order[j], reached = 0, seeds = 0;
        const nn_bm_entry *e0 = entry_at(r, 0, k);
        fprintf(f, "| %s%s%s | %.2f |", e0->candidate ? "**" : "", e0->optim, e0->candidate ? "**" : "", mean[k]);
        for (int i = 0; i < r->n_problems; i++) {
            const nn_bm_entry *e = entry_at(r, i, k);
            fprintf(f, " %g |", e->rank);
            reached += e->reached;
            seeds += r->o->seeds;
        }
        fprintf(f, " %d/%d |\n", reached, seeds);
    }
    fputc('\n', f);
}

static void problem_head(FILE *f, const nn_bm_run *r, const nn_bm_problem *p)
{
    fprintf(f, "## %s: %s\n\n`%s`: %s data, %s; ", p->name, p->title, p->file, p->data, p->model);
    if (p->batch > 0)
        fprintf(f, "batches of %ld, ", p->batch);
    else
        fputs("full batch, ", f);
    fprintf(f, "%ld epochs. Tuned on the final %s; target: %s %s %g.\n\n", p->epochs, p->metric, p->metric,
            p->higher ? ">=" : "<=", p->target);
}

static void problem_table(FILE *f, const nn_bm_run *r, int pi)
{
    const nn_bm_problem *p = &r->problems[pi];
    fputs("| optimizer | rank | best lr | good lrs | test accuracy | test loss | validation accuracy | train accuracy "
          "| train loss | validation loss | at target | epochs to target | steps to target "
          "| gradient evaluations to target | seconds to target | seconds |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", f);
    for (int k = 0; k < r->n_optims; k++) {
        const nn_bm_entry *e = entry_at(r, pi, k);
        char b[11][64];
        fprintf(f, "| %s%s%s | %g |", e->candidate ? "**" : "", e->optim, e->candidate ? "**" : "", e->rank);
        if (e->best < 0) {
            fprintf(f, " - | 0/%d | no learning rate finished ok | | | | | | | | | | | |\n", e->n_lr);
            continue;
        }
        fprintf(f, " %s | %d/%d (%g .. %g) | %s | %s | %s | %s | %s | %s | %d/%d | %s | %s | %s | %s | %s |\n",
                e->lr_text[e->best], e->n_good, e->n_lr, e->good_lo, e->good_hi, pm(&e->test_acc, 4, b[0], 64),
                pm(&e->test_loss, 4, b[1], 64), pm(&e->val_acc, 4, b[2], 64), pm(&e->train_acc, 4, b[3], 64),
                pm(&e->train_loss, 4, b[4], 64), pm(&e->val_loss, 4, b[5], 64), e->reached, e->n_seeds,
                pm(&e->t_epochs, 1, b[6], 64), pm(&e->t_steps, 0, b[7], 64), pm(&e->t_evals, 0, b[8], 64),
                pm(&e->t_seconds, 3, b[9], 64), pm(&e->seconds, 3, b[10], 64));
    }
    (void)p;
    fputc('\n', f);
}

static void problem_runs(FILE *f, const nn_bm_run *r, int pi)
{
    fputs("Runs (sweep folders; each trial a run folder with its summary.json and metrics.csv):\n\n", f);
    for (int k = 0; k < r->n_optims; k++) {
        const nn_bm_entry *e = entry_at(r, pi, k);
        fprintf(f, "- %s: `%s`%s", e->optim, shown(r, e->dir), e->cached ? " (found finished: not run again)" : "");
        if (e->best >= 0) {
            fprintf(f, "; lr %s, seeds:", e->lr_text[e->best]);
            for (int i = 0; i < e->n_seeds; i++)
                fprintf(f, " %s%s%s", e->seed_trial[i][0] ? e->seed_trial[i] : "(missing)",
                        strcmp(e->seed_status[i], "ok") ? " " : "", strcmp(e->seed_status[i], "ok") ? e->seed_status[i] : "");
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void machine(FILE *f)
{
    struct utsname u;
    char model[256] = "";
    FILE *c = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (c && fgets(line, sizeof line, c))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (c)
        fclose(c);
    if (uname(&u) == 0)
        fprintf(f, "- Machine: %s %s %s, %ld CPUs%s%s.\n", u.sysname, u.release, u.machine,
                sysconf(_SC_NPROCESSORS_ONLN), model[0] ? ", " : "", model);
}

static void protocol(FILE *f, const nn_bm_run *r)
{
    const nn_bm_opts *o = r->o;
    time_t t = time(NULL);
    char date[64], jobs[64];
    if (o->jobs > 0)
        snprintf(jobs, sizeof jobs, "%d at a time", o->jobs);
    else
        snprintf(jobs, sizeof jobs, "one per CPU at a time");
    if (o->n_shards > 1)
        snprintf(jobs + strlen(jobs), sizeof jobs - strlen(jobs), ", in %d shards", o->n_shards);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %z", localtime(&t));
    fprintf(f, "## Protocol\n\n"
            "- Command: `%s`, %s; nnlab %s.\n"
            "- Learning rates: %d, log-spaced from %g to %g: %s. An optimizer is tuned over the ones inside its "
            "declared lr range; every other hyperparameter stays at the problem file's value or the plugin's default.\n",
            o->command_line ? o->command_line : "nnlab benchmark", date, NN_VERSION, o->budget, o->lr_min, o->lr_max,
            r->grid_text);
    fprintf(f, "- Tuning: one run per learning rate (the problem's seeds as written); the best is the one with the "
            "best final validation metric of the problem (ties: the smaller learning rate); a run that diverged or "
            "failed is never the best. \"good lrs\": those within 0.01 of the best validation accuracy (within 5%% "
            "of the best validation loss), and their range.\n"
            "- Seeds: the best setting rerun with %d fresh seeds (repeats 1..%d of the sweep engine: the init, "
            "optim, train and reg sections reseeded, the data fixed; the tuning run is not among them). Each "
            "number is the mean ± the sample standard deviation over the seeds that finished.\n", o->seeds, o->seeds);
    fprintf(f, "- Final metrics from each run's summary.json (test accuracy and test loss, the mean data loss "
            "on the test split: the model nnlab reports, the best-validation model's when the run keeps one) and the last logged row of its metrics.csv (train loss: "
            "the mean over the last epoch's batches; validation loss). Evaluation, the best model and the saved weights use the "
            "optimizer's evaluation point where it declares one.\n"
            "- Target: the first logged epoch at which the validation metric reaches the problem's target; "
            "epochs, steps, gradient evaluations (steps times the run's gradient evaluations per step) and "
            "seconds of training at that point, over the seeds that reached it.\n"
            "- Ranking: by mean test accuracy on each problem, averaged over the problems.\n"
            "- Each trial is an isolated `nnlab run` of the sweep engine (%s); a benchmark stopped "
            "at any point resumes where it was. Baselines are cached in `%s`, keyed by the problem file's "
            "contents, the optimizer and its plugin file, the grid, the seeds, the -s settings and the nnlab "
            "version.\n", jobs, r->cache);
    for (int i = 0; i < o->n_fixed; i++)
        fprintf(f, "- Every trial with `-s %s`.\n", o->fixed[i]);
    machine(f);
}

static int write_report(const nn_bm_run *r, nn_err *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/report.md", r->dir);
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    FILE *f = a.f;
    header(f, r);
    ranking(f, r);
    for (int i = 0; i < r->n_problems; i++) {
        problem_head(f, r, &r->problems[i]);
        problem_table(f, r, i);
        if (!r->o->no_figures)
            fprintf(f, "![learning curves](figures/%s_curves.png)\n![learning rate](figures/%s_lr.png)\n\n",
                    r->problems[i].name, r->problems[i].name);
        problem_runs(f, r, i);
    }
    protocol(f, r);
    return nn_atomic_commit(&a, err);
}

static void csv_stat(FILE *f, const nn_bm_stat *s)
{
    fprintf(f, ",%.17g,%.17g", s->mean, s->std);
}

static int write_csv(const nn_bm_run *r, nn_err *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/results.csv", r->dir);
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    fputs("problem,optimizer,candidate,cached,rank,best_lr,good_lrs,lrs,seeds_ok,test_accuracy,test_accuracy_std,"
          "val_accuracy,val_accuracy_std,train_accuracy,train_accuracy_std,train_loss,train_loss_std,val_loss,"
          "val_loss_std,seconds,seconds_std,gradient_evaluations,gradient_evaluations_std,reached,epochs_to_target,"
          "epochs_to_target_std,steps_to_target,steps_to_target_std,evals_to_target,evals_to_target_std,"
          "seconds_to_target,seconds_to_target_std,test_loss,test_loss_std,dir\n", a.f);
    for (int i = 0; i < r->n_problems; i++)
        for (int k = 0; k < r->n_optims; k++) {
            const nn_bm_entry *e = entry_at(r, i, k);
            fprintf(a.f, "%s,%s,%d,%d,%g,%s,%d,%d,%d", r->problems[i].name, e->optim, e->candidate, e->cached, e->rank,
                    e->best >= 0 ? e->lr_text[e->best] : "", e->n_good, e->n_lr, e->n_runs_ok);
            const nn_bm_stat *s[7] = {&e->test_acc, &e->val_acc, &e->train_acc, &e->train_loss, &e->val_loss,
                                      &e->seconds, &e->grad_evals};
            for (int c = 0; c < 7; c++)
                csv_stat(a.f, s[c]);
            fprintf(a.f, ",%d", e->reached);
            const nn_bm_stat *t[4] = {&e->t_epochs, &e->t_steps, &e->t_evals, &e->t_seconds};
            for (int c = 0; c < 4; c++)
                csv_stat(a.f, t[c]);
            csv_stat(a.f, &e->test_loss); /* appended after the columns of earlier versions */
            fprintf(a.f, ",%s\n", e->dir);
        }
    return nn_atomic_commit(&a, err);
}

int nn_bm_report_write(const nn_bm_run *r, nn_err *err)
{
    int rc = NN_OK;
    if (!r->o->no_figures) {
        char fig[4300];
        snprintf(fig, sizeof fig, "%s/figures", r->dir);
        rc = nn_mkdirs(fig, err);
        for (int i = 0; rc == NN_OK && i < r->n_problems; i++)
            rc = figures(r, i, err);
    }
    if (rc == NN_OK)
        rc = write_csv(r, err);
    if (rc == NN_OK)
        rc = write_report(r, err);
    return rc;
}
