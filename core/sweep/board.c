/* board.c: ranking, sweep.md, --status, DIR/best and the figures (board.h). */
#include "board.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "plot.h"
#include "run_info.h"
#include "util.h"

#define BEST_CURVES 6

/* One configuration at the most epochs it reached. */
typedef struct entry {
    const nn_sw_row *first;      /* its values */
    const nn_sw_row **rows;      /* its trials at those epochs (latest row per id) */
    int n, order;
    long epochs;
    nn_sw_score sc;
    const nn_sw_row *best;       /* its best ok trial, or NULL */
    double train, test, loss, seconds, grads; /* means over ok trials */
} entry;

typedef struct board {
    const nn_sw_meta *m;
    const char *metric;
    int higher;
    entry *e;
    int n;
    const nn_sw_row **latest;    /* the latest row of every trial */
    int n_latest;
    const nn_sw_row **store;     /* storage of the entries' rows */
} board;

const char *nn_sw_resolve_metric(const char *metric, const nn_sw_table *t)
{
    if (strcmp(metric, "auto") != 0)
        return metric;
    for (int i = 0; i < t->n_rows; i++)
        if (isfinite(t->rows[i].r.best_val))
            return "best_val_accuracy";
    return "train_accuracy";
}

static int row_ok(const nn_sw_row *r, const char *metric)
{
    return strcmp(r->r.status, "ok") == 0 && isfinite(nn_sw_metric_value(&r->r, metric));
}

static double mean_of(const entry *e, const char *metric, int which)
{
    double s = 0;
    int k = 0;
    for (int i = 0; i < e->n; i++) {
        const nn_sw_result *r = &e->rows[i]->r;
        double v = which == 0   ? r->train
                   : which == 1 ? r->test
                   : which == 2 ? r->loss
                   : which == 3 ? r->seconds
                   : r->grad_evals >= 0 ? (double)r->grad_evals : NAN;
        if (row_ok(e->rows[i], metric) && isfinite(v))
            s += v, k++;
    }
    return k ? s / k : NAN;
}

static int higher_flag;

static int by_rank(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    if (a->epochs != b->epochs)
        return a->epochs > b->epochs ? -1 : 1;
    int c = nn_sw_score_cmp(&a->sc, &b->sc, higher_flag);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static void fill_entry(entry *e, const char *metric, int higher)
{
    double v[1024];
    int ok[1024], n = e->n < 1024 ? e->n : 1024;
    e->best = NULL;
    for (int i = 0; i < n; i++) {
        v[i] = nn_sw_metric_value(&e->rows[i]->r, metric);
        ok[i] = row_ok(e->rows[i], metric);
        if (ok[i] && (!e->best || (higher ? v[i] > nn_sw_metric_value(&e->best->r, metric)
                                          : v[i] < nn_sw_metric_value(&e->best->r, metric))))
            e->best = e->rows[i];
    }
    nn_sw_score_of(v, ok, n, &e->sc);
    e->train = mean_of(e, metric, 0);
    e->test = mean_of(e, metric, 1);
    e->loss = mean_of(e, metric, 2);
    e->seconds = mean_of(e, metric, 3);
    e->grads = mean_of(e, metric, 4);
}

/* Groups the latest row of each trial by configuration, keeping each
 * configuration's rows at its most epochs, and ranks them. */
static int board_build(board *b, const nn_sw_meta *m, const nn_sw_table *t)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    b->metric = nn_sw_resolve_metric(m->metric, t);
    b->higher = nn_sw_metric_higher(b->metric) != 0;
    b->latest = calloc((size_t)t->n_rows + 1, sizeof *b->latest);
    b->e = calloc((size_t)t->n_rows + 1, sizeof *b->e);
    if (!b->latest || !b->e)
        return NN_ENOMEM;
    for (int i = 0; i < t->n_rows; i++)
        if (nn_sw_table_find(t, t->rows[i].trial) == &t->rows[i])
            b->latest[b->n_latest++] = &t->rows[i];
    /* entries: one per configuration, at its most epochs */
    for (int i = 0; i < b->n_latest; i++) {
        const nn_sw_row *r = b->latest[i];
        int k = 0;
        while (k < b->n && strcmp(b->e[k].first->config, r->config) != 0)
            k++;
        if (k == b->n)
            b->e[b->n++] = (entry){.first = r, .order = k, .epochs = r->epochs};
        if (r->epochs > b->e[k].epochs)
            b->e[k].epochs = r->epochs;
    }
    const nn_sw_row **store = b->store = calloc((size_t)b->n_latest + 1, sizeof *store);
    if (!store)
        return NN_ENOMEM;
    int used = 0;
    for (int k = 0; k < b->n; k++) {
        b->e[k].rows = store + used;
        for (int i = 0; i < b->n_latest; i++)
            if (strcmp(b->latest[i]->config, b->e[k].first->config) == 0 && b->latest[i]->epochs == b->e[k].epochs)
                store[used + b->e[k].n++] = b->latest[i];
        used += b->e[k].n;
        fill_entry(&b->e[k], b->metric, b->higher);
    }
    higher_flag = b->higher;
    qsort(b->e, (size_t)b->n, sizeof *b->e, by_rank);
    return NN_OK;
}

static void board_free(board *b)
{
    free(b->store);
    free(b->latest);
    free(b->e);
}

/* ---- text ----------------------------------------------------------------------- */

static void cell(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs(" - |", f);
}

/* A swept value as shown: a real to 4 significant digits (trials.csv has
 * it exactly), anything else as written. */
static const char *shown(const char *v, char *buf, size_t n)
{
    char *e;
    double d = strtod(v, &e);
    if (!v[0] || *e || !strpbrk(v, ".eE") || !isfinite(d))
        return v;
    snprintf(buf, n, "%.4g", d);
    return buf;
}

/* A value in a table cell ('|' escaped). */
static void value_cell(FILE *f, const char *v)
{
    char buf[32];
    v = shown(v, buf, sizeof buf);
    fputc(' ', f);
    for (; *v; v++) {
        if (*v == '|')
            fputc('\\', f);
        fputc(*v, f);
    }
    fputs(" |", f);
}

static void status_cell(FILE *f, const entry *e)
{
    int n_ok = 0;
    const nn_sw_row *bad = NULL;
    for (int i = 0; i < e->n; i++) {
        if (strcmp(e->rows[i]->r.status, "ok") == 0)
            n_ok++;
        else if (!bad)
            bad = e->rows[i];
    }
    if (!bad) {
        fputs(" ok |\n", f);
        return;
    }
    char why[200];
    snprintf(why, sizeof why, "%s", bad->r.reason);
    for (char *p = why; *p; p++)
        if (*p == '|')
            *p = '/';
    if (n_ok)
        fprintf(f, " %d ok, %s: %s |\n", n_ok, bad->r.status, why);
    else
        fprintf(f, " %s: %s |\n", bad->r.status, why);
}

static void table(FILE *f, const board *b)
{
    const nn_sw_meta *m = b->m;
    fputs("| rank | config |", f);
    for (int k = 0; k < m->n_keys; k++)
        fprintf(f, " %s |", m->keys[k]);
    fprintf(f, " epochs | %s (mean ± std) | seeds ok | train acc | test acc | final loss | grad evals | seconds | status |\n"
               "|---:|---|", b->metric);
    for (int k = 0; k < m->n_keys; k++)
        fputs("---|", f);
    fputs("---:|---|---:|---:|---:|---:|---:|---:|---|\n", f);
    int loss = !b->higher;
    for (int i = 0; i < b->n; i++) {
        const entry *e = &b->e[i];
        fprintf(f, "| %d | %s |", i + 1, e->first->config);
        for (int k = 0; k < m->n_keys; k++)
            value_cell(f, e->first->values[k]);
        fprintf(f, " %ld |", e->epochs);
        if (e->sc.n_ok > 1)
            fprintf(f, loss ? " %.4g ± %.2g |" : " %.4f ± %.4f |", e->sc.mean, e->sc.std);
        else if (e->sc.n_ok)
            fprintf(f, loss ? " %.4g |" : " %.4f |", e->sc.mean);
        else
            fputs(" - |", f);
        fprintf(f, " %d/%d |", e->sc.n_ok, e->n);
        cell(f, e->train, " %.4f |");
        cell(f, e->test, " %.4f |");
        cell(f, e->loss, " %.4g |");
        cell(f, e->grads, " %.0f |");
        cell(f, e->seconds, " %.1f |");
        status_cell(f, e);
    }
}

static void eta_text(double s, char *out, size_t n)
{
    if (!isfinite(s) || s < 0)
        snprintf(out, n, "-");
    else if (s < 100)
        snprintf(out, n, "%.0f s", s);
    else if (s < 6000)
        snprintf(out, n, "%.0f min", s / 60);
    else
        snprintf(out, n, "%.1f h", s / 3600);
}

static void summary(FILE *f, const board *b, const nn_sw_progress *pr, int md)
{
    const nn_sw_meta *m = b->m;
    fprintf(f, "%s%s%s: %s search, %ld configurations x %d seed%s", md ? "`" : "", m->file, md ? "`" : "",
            m->method, m->configs, m->repeats, m->repeats == 1 ? "" : "s");
    if (strcmp(m->method, "halving") == 0)
        fprintf(f, ", rungs (configurations x epochs) %s", m->rungs);
    fprintf(f, "; ranked by %s (%s is better)%s\n\n", b->metric, b->higher ? "higher" : "lower",
            strcmp(m->metric, "auto") == 0 ? ", the default" : "");
    char eta[32];
    eta_text(pr->eta, eta, sizeof eta);
    fprintf(f, "%s%ld of %ld trials done, %d running, %ld failed%s%s%s\n\n", md ? "**" : "", pr->done,
            pr->total, pr->running, pr->failed, pr->done < pr->total ? ", ETA " : "",
            pr->done < pr->total ? eta : "", md ? "**" : "");
    if (b->n == 0 || !b->e[0].best)
        return;
    const entry *e = &b->e[0];
    fprintf(f, "Best: configuration %s%s%s (", md ? "`" : "", e->first->config, md ? "`" : "");
    char buf[32];
    for (int k = 0; k < m->n_keys; k++)
        fprintf(f, "%s%s = %s", k ? ", " : "", m->keys[k], shown(e->first->values[k], buf, sizeof buf));
    fprintf(f, ") with %s %.4g", b->metric, e->sc.mean);
    if (e->sc.n_ok > 1)
        fprintf(f, " ± %.2g over %d seeds", e->sc.std, e->sc.n_ok);
    if (md)
        fprintf(f, "; best trial [`%s`](trials/%s/), linked as `best/`.\n\n", e->best->trial, e->best->trial);
    else
        fprintf(f, "; best trial %s (trials/%s, linked as best).\n\n", e->best->trial, e->best->trial);
}

void nn_sw_board_print(FILE *f, const nn_sw_meta *m, const nn_sw_table *t, const nn_sw_progress *pr)
{
    board b;
    if (board_build(&b, m, t) != NN_OK) {
        board_free(&b);
        fputs("nnlab sweep: out of memory\n", f);
        return;
    }
    fprintf(f, "sweep of %s\n", m->name);
    summary(f, &b, pr, 0);
    table(f, &b);
    board_free(&b);
}

/* ---- figures ----------------------------------------------------------------------- */

static void file_key(const char *key, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = key; *p && k + 1 < n; p++)
        out[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   *p == '.' || *p == '_' ? *p : '_';
    out[k] = '\0';
}

static int numeric(const char *v, double *out)
{
    char *e;
    *out = strtod(v, &e);
    return v[0] && !*e && isfinite(*out);
}

/* The ok trials' points for key k: x (a number, or a category index into
 * labels), y the metric, and each trial's epochs. */
typedef struct key_points {
    double *x, *y;
    long *ep;
    const char **labels;
    int n, n_labels, numeric, log_x;
} key_points;

static void key_points_free(key_points *kp)
{
    free(kp->x), free(kp->y), free(kp->ep), free(kp->labels);
}

static int key_points_of(const board *b, int k, key_points *kp)
{
    int n = b->n_latest;
    *kp = (key_points){calloc((size_t)n + 1, sizeof(double)), calloc((size_t)n + 1, sizeof(double)),
                       calloc((size_t)n + 1, sizeof(long)), calloc((size_t)n + 1, sizeof(char *)), 0, 0, 1, 0};
    if (!kp->x || !kp->y || !kp->ep || !kp->labels)
        return NN_ENOMEM;
    double lo = INFINITY, hi = -INFINITY, v;
    int pos = 1;
    for (int i = 0; i < n; i++) {
        kp->numeric &= numeric(b->latest[i]->values[k], &v);
        if (kp->numeric)
            lo = fmin(lo, v), hi = fmax(hi, v), pos &= v > 0;
    }
    kp->log_x = kp->numeric && pos && (strncmp(b->m->kinds[k], "log_", 4) == 0 || hi / lo >= 100);
    for (int i = 0; i < n; i++) {
        const nn_sw_row *r = b->latest[i];
        if (!row_ok(r, b->metric))
            continue;
        v = 0;
        if (kp->numeric) {
            numeric(r->values[k], &v);
        } else {
            int j = 0;
            while (j < kp->n_labels && strcmp(kp->labels[j], r->values[k]) != 0)
                j++;
            if (j == kp->n_labels)
                kp->labels[kp->n_labels++] = r->values[k];
            v = j;
        }
        kp->x[kp->n] = v;
        kp->y[kp->n] = nn_sw_metric_value(&r->r, b->metric);
        kp->ep[kp->n++] = r->epochs;
    }
    return NN_OK;
}

#define MAX_GROUPS 10

/* The points in groups of equal epochs (the rungs), fewest epochs first;
 * gx, gy hold them (kp->n each). Returns the number of groups. */
static int by_epochs(const key_points *kp, nn_points *g, char (*names)[48], double *gx, double *gy)
{
    int ng = 0, used = 0;
    long last = -1;
    while (ng < MAX_GROUPS) {
        long next = -1;
        for (int i = 0; i < kp->n; i++)
            if (kp->ep[i] > last && (next < 0 || kp->ep[i] < next))
                next = kp->ep[i];
        if (next < 0)
            break;
        g[ng] = (nn_points){names[ng], gx + used, gy + used, 0};
        snprintf(names[ng], sizeof names[ng], "%ld epochs", next);
        for (int i = 0; i < kp->n; i++)
            if (kp->ep[i] == next) {
                gx[used] = kp->x[i];
                gy[used++] = kp->y[i];
                g[ng].n++;
            }
        ng++;
        last = next;
    }
    return ng;
}

/* DIR/metric_KEY.png: the metric against key k, one colour per rung. */
static int figure_key(const char *dir, const board *b, int k, nn_err *err)
{
    const nn_sw_meta *m = b->m;
    key_points kp;
    int rc = key_points_of(b, k, &kp) == NN_OK ? NN_OK : nn_err_set(err, NN_ENOMEM, "out of memory");
    double *gx = calloc((size_t)kp.n + 1, sizeof *gx), *gy = calloc((size_t)kp.n + 1, sizeof *gy);
    if (rc == NN_OK && (!gx || !gy))
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    if (rc == NN_OK && kp.n > 0) {
        nn_points g[MAX_GROUPS];
        char names[MAX_GROUPS][48], fk[256], path[4400], title[400];
        int ng = by_epochs(&kp, g, names, gx, gy);
        file_key(m->keys[k], fk, sizeof fk);
        snprintf(path, sizeof path, "%s/metric_%s.png", dir, fk);
        snprintf(title, sizeof title, "%s: %s against %s", m->name, b->metric, m->keys[k]);
        rc = nn_plot_points(path, g, ng, kp.numeric ? NULL : kp.labels, kp.n_labels, kp.log_x,
                            m->keys[k], b->metric, title, err);
    }
    free(gx), free(gy);
    key_points_free(&kp);
    return rc;
}

static int figure_best(const char *dir, const board *b, nn_err *err)
{
    nn_run_info info[BEST_CURVES];
    nn_series s[BEST_CURVES];
    char names[BEST_CURVES][64];
    int n = 0, rc = NN_OK;
    for (int i = 0; i < b->n && n < BEST_CURVES; i++) {
        if (!b->e[i].best)
            continue;
        char run[4300];
        snprintf(run, sizeof run, "%s/trials/%s", dir, b->e[i].best->trial);
        nn_err e;
        if (nn_run_info_read(run, &info[n], &e) != NN_OK) {
            free(info[n].rows);
            continue;
        }
        size_t len = (size_t)snprintf(names[n], sizeof names[n], "#%d", i + 1);
        for (int k = 0; k < b->m->n_keys && len < sizeof names[n]; k++)
        {
            char buf[32];
            len += (size_t)snprintf(names[n] + len, sizeof names[n] - len, " %s",
                                    shown(b->e[i].first->values[k], buf, sizeof buf));
        }
        s[n] = (nn_series){names[n], info[n].rows, info[n].n_rows};
        n++;
    }
    if (n > 0) {
        char title[300];
        snprintf(title, sizeof title, "%s: the best %d configurations", b->m->name, n);
        rc = nn_plot_compare(nn_path_join(dir, "best_runs.png"), s, n, title, 0, err);
    }
    for (int i = 0; i < n; i++)
        free(info[i].rows);
    return rc;
}

/* ---- sweep.md, best ------------------------------------------------------------------ */

static void link_best(const char *dir, const board *b)
{
    if (b->n == 0 || !b->e[0].best)
        return;
    char target[64], tmp[4300], link[4300];
    snprintf(target, sizeof target, "trials/%s", b->e[0].best->trial);
    snprintf(tmp, sizeof tmp, "%s/.best.%ld", dir, (long)getpid());
    snprintf(link, sizeof link, "%s/best", dir);
    unlink(tmp);
    if (symlink(target, tmp) == 0 && rename(tmp, link) != 0)
        unlink(tmp);
}

int nn_sw_board_write(const char *dir, const nn_sw_meta *m, const nn_sw_table *t,
                      const nn_sw_progress *pr, int figures, nn_err *err)
{
    board b;
    if (board_build(&b, m, t) != NN_OK) {
        board_free(&b);
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    int rc = NN_OK;
    int drawn = figures && m->plots && b.n > 0;
    for (int k = 0; drawn && rc == NN_OK && k < m->n_keys; k++)
        rc = figure_key(dir, &b, k, err);
    if (drawn && rc == NN_OK)
        rc = figure_best(dir, &b, err);
    nn_atomic a;
    int wrc = nn_atomic_open(&a, nn_path_join(dir, "sweep.md"), rc ? NULL : err);
    if (wrc == NN_OK) {
        fprintf(a.f, "# Sweep of %s\n\n", m->name);
        summary(a.f, &b, pr, 1);
        table(a.f, &b);
        if (m->plots && b.n > 0) {
            fputs("\n", a.f);
            for (int k = 0; k < m->n_keys; k++) {
                char fk[256];
                file_key(m->keys[k], fk, sizeof fk);
                fprintf(a.f, "![%s against %s](metric_%s.png)\n", b.metric, m->keys[k], fk);
            }
            fputs("![the best configurations' loss and accuracy](best_runs.png)\n", a.f);
        }
        wrc = nn_atomic_commit(&a, rc ? NULL : err);
    }
    link_best(dir, &b);
    board_free(&b);
    return rc ? rc : wrc;
}
