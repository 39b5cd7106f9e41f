/* stats.c: what a benchmark entry measured, read back from its sweep
 * folder: the tuning trials (the validation metric at each learning rate,
 * the best one, how many were nearly as good), the seeds' run folders
 * (final metrics, the first logged point at the target) and the ranks on a
 * problem. Everything comes from trials.csv and the trials' own
 * summary.json (accuracies, test loss) and metrics.csv, so a report can be
 * checked against them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmark.h"
#include "store.h"

#define GOOD_ACCURACY 0.01       /* a learning rate is "good" within 1 point of the best accuracy */
#define GOOD_LOSS 0.05           /* or within 5% of the best loss */

void nn_bm_stat_of(const double *v, int n, nn_bm_stat *s)
{
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            sum += v[i], k++;
    s->n = k;
    s->mean = k ? sum / k : NAN;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - s->mean) * (v[i] - s->mean);
    s->std = k > 1 ? sqrt(ss / (k - 1)) : k ? 0 : NAN;
}

static int same_lr(const char *text, double lr)
{
    char *end;
    double v = strtod(text, &end);
    return end != text && fabs(v - lr) <= 1e-12 * fabs(lr);
}

/* The last row of the swept value lr at repeat rep, or NULL. */
static const nn_sw_row *row_of(const nn_sw_table *t, double lr, int rep)
{
    const nn_sw_row *found = NULL;
    for (int i = 0; i < t->n_rows; i++)
        if (t->n_keys == 1 && t->rows[i].repeat == rep && same_lr(t->rows[i].values[0], lr))
            found = &t->rows[i];
    return found;
}

/* The training loss of the last logged epoch (its mean over the epoch's
 * batches; summary.json's final_loss is the last batch's). */
static double last_loss(const nn_run_info *r)
{
    return r->n_rows > 0 ? r->rows[r->n_rows - 1].loss : NAN;
}

static double last_val_loss(const nn_run_info *r)
{
    for (long k = r->n_rows - 1; k >= 0; k--)
        if (isfinite(r->rows[k].val_loss))
            return r->rows[k].val_loss;
    return NAN;
}

/* The problem's validation metric at the end of a run. */
static double final_metric(const nn_bm_problem *p, const nn_run_info *r)
{
    return p->higher ? r->val : last_val_loss(r);
}

static int better(const nn_bm_problem *p, double a, double b)
{
    return isfinite(a) && (!isfinite(b) || (p->higher ? a > b : a < b));
}

static void trial_dir(const nn_bm_entry *e, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/trials/%s", e->dir, id);
}

static void sensitivity(const nn_bm_problem *p, nn_bm_entry *e)
{
    e->n_good = 0;
    e->good_lo = e->good_hi = NAN;
    if (e->best < 0)
        return;
    double b = e->lr_metric[e->best];
    for (int k = 0; k < e->n_lr; k++) {
        double v = e->lr_metric[k];
        int good = isfinite(v) && (p->higher ? v >= b - GOOD_ACCURACY : v <= b * (1 + GOOD_LOSS) + 1e-12);
        if (!good)
            continue;
        e->n_good++;
        e->good_lo = isfinite(e->good_lo) ? fmin(e->good_lo, e->lr[k]) : e->lr[k];
        e->good_hi = isfinite(e->good_hi) ? fmax(e->good_hi, e->lr[k]) : e->lr[k];
    }
}

int nn_bm_read_tuning(const nn_bm_problem *p, nn_bm_entry *e, nn_err *err)
{
    nn_sw_table t;
    int rc = nn_sw_table_read(e->dir, &t, err);
    if (rc)
        return rc;
    e->best = -1;
    for (int k = 0; k < e->n_lr && rc == NN_OK; k++) {
        e->lr_metric[k] = NAN;
        const nn_sw_row *r = row_of(&t, e->lr[k], 0);
        snprintf(e->lr_status[k], sizeof e->lr_status[k], "%s", r ? r->r.status : "missing");
        snprintf(e->lr_trial[k], sizeof e->lr_trial[k], "%s", r ? r->trial : "");
        if (!r || strcmp(r->r.status, "ok") != 0)
            continue;
        char dir[4200];
        trial_dir(e, r->trial, dir, sizeof dir);
        nn_run_info info;
        if ((rc = nn_run_info_read(dir, &info, err)) != NN_OK)
            break;
        e->lr_metric[k] = final_metric(p, &info);
        free(info.rows);
        if (better(p, e->lr_metric[k], e->best >= 0 ? e->lr_metric[e->best] : NAN))
            e->best = k;
    }
    nn_sw_table_free(&t);
    sensitivity(p, e);
    return rc;
}

/* The first logged row at the target: epochs, steps, gradient evaluations, seconds. */
static int at_target(const nn_bm_problem *p, const nn_run_info *r, double *out)
{
    for (long k = 0; k < r->n_rows; k++) {
        const nn_metric_row *m = &r->rows[k];
        double v = p->higher ? m->val_acc : m->val_loss;
        if (!isfinite(v) || (p->higher ? v < p->target : v > p->target))
            continue;
        double steps = (double)m->iteration + 1;
        double per = r->iterations > 0 && isfinite(r->gradient_evaluations)
                         ? r->gradient_evaluations / (double)r->iterations : 1.0;
        out[0] = (double)m->epoch + 1;
        out[1] = steps;
        out[2] = steps * per;
        out[3] = m->seconds;
        return 1;
    }
    return 0;
}

static void seed_stats(const nn_bm_problem *p, nn_bm_entry *e)
{
    enum { N_FINAL = 8, N_STATS = N_FINAL + 4 }; /* final metrics, then the four at the target */
    int n = e->n_seeds;
    double *v = calloc((size_t)(N_STATS * n + 1), sizeof *v);
    if (!v)
        return;
    double *cols[N_STATS];
    for (int c = 0; c < N_STATS; c++)
        cols[c] = v + (size_t)c * (size_t)n;
    for (int i = 0; i < N_STATS * n; i++)
        v[i] = NAN;
    e->reached = 0;
    for (int i = 0; i < n; i++) {
        const nn_run_info *r = &e->runs[i];
        if (strcmp(e->seed_status[i], "ok") != 0)
            continue;
        cols[0][i] = r->test, cols[1][i] = r->test_loss, cols[2][i] = r->val, cols[3][i] = r->train;
        cols[4][i] = last_loss(r), cols[5][i] = last_val_loss(r), cols[6][i] = r->seconds;
        cols[7][i] = r->gradient_evaluations;
        double t[4];
        if (at_target(p, r, t)) {
            e->reached++;
            for (int c = 0; c < 4; c++)
                cols[N_FINAL + c][i] = t[c];
        }
    }
    nn_bm_stat *s[N_STATS] = {&e->test_acc, &e->test_loss, &e->val_acc, &e->train_acc, &e->train_loss,
                              &e->val_loss, &e->seconds, &e->grad_evals, &e->t_epochs, &e->t_steps,
                              &e->t_evals, &e->t_seconds};
    for (int c = 0; c < N_STATS; c++)
        nn_bm_stat_of(cols[c], n, s[c]);
    free(v);
}

int nn_bm_read_seeds(const nn_bm_problem *p, nn_bm_entry *e, int seeds, nn_err *err)
{
    e->n_seeds = 0;
    e->n_runs_ok = 0;
    if (e->best < 0)
        return NN_OK;
    nn_sw_table t;
    int rc = nn_sw_table_read(e->dir, &t, err);
    if (rc)
        return rc;
    e->runs = calloc((size_t)seeds + 1, sizeof *e->runs);
    if (!e->runs)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int k = 0; rc == NN_OK && k < seeds; k++) {
        const nn_sw_row *r = row_of(&t, e->lr[e->best], k + 1);
        int i = e->n_seeds++;
        snprintf(e->seed_status[i], sizeof e->seed_status[i], "%s", r ? r->r.status : "missing");
        snprintf(e->seed_trial[i], sizeof e->seed_trial[i], "%s", r ? r->trial : "");
        if (!r || strcmp(r->r.status, "ok") != 0)
            continue;
        char dir[4200];
        trial_dir(e, r->trial, dir, sizeof dir);
        rc = nn_run_info_read(dir, &e->runs[i], err);
        e->n_runs_ok += rc == NN_OK;
    }
    nn_sw_table_free(&t);
    if (rc == NN_OK)
        seed_stats(p, e);
    return rc;
}

void nn_bm_entry_free(nn_bm_entry *e)
{
    for (int i = 0; e->runs && i < e->n_seeds; i++)
        free(e->runs[i].rows);
    free(e->runs);
    e->runs = NULL;
}

/* The score an entry is ranked by: mean test accuracy, else the mean
 * validation metric (its sign made "higher is better"). */
static double score(const nn_bm_problem *p, const nn_bm_entry *e)
{
    if (e->n_runs_ok == 0)
        return NAN;
    if (isfinite(e->test_acc.mean))
        return e->test_acc.mean;
    double v = p->higher ? e->val_acc.mean : e->val_loss.mean;
    return p->higher ? v : -v;
}

void nn_bm_rank(const nn_bm_problem *p, nn_bm_entry *e, int n)
{
    for (int i = 0; i < n; i++) {
        double si = score(p, &e[i]);
        if (!isfinite(si)) {
            e[i].rank = n;
            continue;
        }
        int above = 0, tied = 0;
        for (int j = 0; j < n; j++) {
            double sj = score(p, &e[j]);
            above += isfinite(sj) && sj > si;
            tied += j != i && isfinite(sj) && sj == si;
        }
        e[i].rank = above + 1 + 0.5 * tied;
    }
}
