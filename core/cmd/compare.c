/* compare.c: `nnlab compare RUN_DIR... [-o DIR] [--log]`: the loss and
 * accuracy curves of several run folders overlaid in DIR/compare.png, and a
 * table of their summaries on the terminal and in DIR/compare.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "nnlab/io.h"
#include "plot.h"
#include "report.h"
#include "util.h"

#define MAX_RUNS NN_COMPARE_MAX

typedef nn_run_info run_info;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* Top-level value of "key" in summary.json (written one key a line, indented
 * by two spaces); NULL when absent. */
static const char *json_at(const char *js, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\n  \"%s\": ", key);
    const char *p = strstr(js, pat);
    return p ? p + strlen(pat) : NULL;
}

static double json_num(const char *js, const char *key)
{
    const char *p = json_at(js, key);
    return p && strncmp(p, "null", 4) != 0 ? strtod(p, NULL) : NAN;
}

static void json_strval(const char *js, const char *key, char *out, size_t n)
{
    const char *p = json_at(js, key);
    size_t k = 0;
    if (p && *p == '"')
        for (p++; *p && *p != '"' && k + 1 < n; p++)
            out[k++] = *p == '\\' && p[1] ? *++p : *p;
    out[k] = '\0';
}

/* Index of each wanted column in the header line, -1 when absent. */
static void csv_columns(const char *header, const char *const *want, int n, int *col)
{
    for (int i = 0; i < n; i++) {
        col[i] = -1;
        int c = 0;
        for (const char *p = header; *p && *p != '\n'; c++) {
            size_t len = strcspn(p, ",\n");
            if (len == strlen(want[i]) && strncmp(p, want[i], len) == 0)
                col[i] = c;
            p += len + (p[len] == ',');
        }
    }
}

#define N_COLS 8

static void csv_row(const char *line, const int *col, nn_metric_row *r)
{
    double v[N_COLS];
    for (int i = 0; i < N_COLS; i++)
        v[i] = NAN;
    int c = 0;
    for (const char *p = line; *p && *p != '\n'; c++) {
        size_t len = strcspn(p, ",\n");
        for (int i = 0; i < N_COLS; i++)
            if (col[i] == c && len > 0)
                v[i] = strtod(p, NULL);
        p += len + (p[len] == ',');
    }
    *r = (nn_metric_row){(long)v[0], (long)v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

static int read_metrics(const char *path, run_info *r, nn_err *err)
{
    static const char *const want[N_COLS] = {"epoch", "iteration", "loss", "train_accuracy",
                                             "val_accuracy", "lr", "seconds", "val_loss"};
    char *s = slurp(path);
    if (!s)
        return nn_err_set(err, NN_EIO, "%s: cannot read", path);
    int col[N_COLS];
    csv_columns(s, want, N_COLS, col);
    long lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    r->rows = calloc((size_t)lines + 1, sizeof(nn_metric_row));
    const char *p = strchr(s, '\n');
    for (; r->rows && p && p[1]; p = strchr(p + 1, '\n'))
        csv_row(p + 1, col, &r->rows[r->n_rows++]);
    free(s);
    if (!r->rows || col[0] < 0 || col[2] < 0)
        return nn_err_set(err, NN_EINPUT, "%s: not a metrics.csv (no epoch and loss columns)", path);
    return NN_OK;
}

int nn_run_info_read(const char *dir, run_info *r, nn_err *err)
{
    memset(r, 0, sizeof *r);
    char *js = slurp(nn_path_join(dir, "summary.json"));
    if (!js)
        return nn_err_set(err, NN_EIO, "%s/summary.json: cannot read (not a run folder?)", dir);
    json_strval(js, "name", r->name, sizeof r->name);
    json_strval(js, "status", r->status, sizeof r->status);
    r->train = json_num(js, "train_accuracy");
    r->val = json_num(js, "val_accuracy");
    r->test = json_num(js, "test_accuracy");
    r->loss = json_num(js, "final_loss");
    r->seconds = json_num(js, "seconds");
    r->best_val = json_num(js, "best_val_accuracy");
    r->iterations = (long)json_num(js, "iterations");
    free(js);
    if (!r->name[0])
        snprintf(r->name, sizeof r->name, "%s", dir);
    return read_metrics(nn_path_join(dir, "metrics.csv"), r, err);
}

static const char *cell(double v, const char *fmt, char *buf, size_t n)
{
    if (isnan(v))
        return "-";
    snprintf(buf, n, fmt, v);
    return buf;
}

static void print_table(FILE *f, const run_info *r, int n)
{
    fprintf(f, "| %-20s | %-8s | %-9s | %-9s | %-9s | %-10s | %-10s | %-8s |\n", "run", "status",
            "train acc", "val acc", "test acc", "final loss", "iterations", "seconds");
    fprintf(f, "|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------", "----------", "-----------",
            "-----------", "-----------", "------------", "-----------:", "---------:");
    for (int i = 0; i < n; i++) {
        char a[32], b[32], c[32], d[32], e[32];
        fprintf(f, "| %-20s | %-8s | %-9s | %-9s | %-9s | %-10s | %10ld | %8s |\n", r[i].name,
                r[i].status, cell(r[i].train, "%.4f", a, 32), cell(r[i].val, "%.4f", b, 32),
                cell(r[i].test, "%.4f", c, 32), cell(r[i].loss, "%.6f", d, 32), r[i].iterations,
                cell(r[i].seconds, "%.2f", e, 32));
    }
}

static int write_md(const char *out, const run_info *r, int n, char *const *dirs, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, nn_path_join(out, "compare.md"), err);
    if (rc)
        return rc;
    fputs("# Comparison of runs\n\n", a.f);
    for (int i = 0; i < n; i++)
        fprintf(a.f, "- `%s`: %s\n", dirs[i], r[i].name);
    fputs("\n", a.f);
    print_table(a.f, r, n);
    fputs("\n![loss and accuracy of the runs](compare.png)\n", a.f);
    return nn_atomic_commit(&a, err);
}

static int plot_runs(const char *out, const run_info *r, int n, int log_y, nn_err *err)
{
    nn_series s[MAX_RUNS];
    char title[256] = "";
    for (int i = 0; i < n; i++) {
        s[i] = (nn_series){r[i].name, r[i].rows, r[i].n_rows};
        size_t len = strlen(title);
        snprintf(title + len, sizeof title - len, "%s%s", i ? " vs " : "", r[i].name);
    }
    if (strlen(title) > 70)
        snprintf(title, sizeof title, "%d runs", n);
    return nn_plot_compare(nn_path_join(out, "compare.png"), s, n, title, log_y, err);
}

int nn_compare(char *const *dirs, int n, const char *out, int log_y, FILE *table, nn_err *err)
{
    run_info r[MAX_RUNS];
    int rc = n >= 1 && n <= MAX_RUNS ? NN_OK : nn_err_set(err, NN_EINPUT, "compare: 1 to %d runs", MAX_RUNS);
    int done = 0;
    for (; rc == NN_OK && done < n; done++)
        rc = nn_run_info_read(dirs[done], &r[done], err);
    if (rc == NN_OK && (rc = nn_mkdirs(out, err)) == NN_OK) {
        if (table)
            print_table(table, r, n);
        rc = write_md(out, r, n, dirs, err);
    }
    if (rc == NN_OK)
        rc = plot_runs(out, r, n, log_y, err);
    if (rc == NN_OK && table)
        fprintf(table, "wrote %s/compare.md and %s/compare.png\n", out, out);
    for (int i = 0; i < done; i++)
        free(r[i].rows);
    return rc;
}

int nn_cmd_compare(int argc, char **argv)
{
    const char *out = "compare";
    char *dirs[MAX_RUNS];
    int n = 0, log_y = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--log") == 0)
            log_y = 1;
        else if (argv[i][0] != '-' && n < MAX_RUNS)
            dirs[n++] = argv[i];
        else
            n = -1, i = argc;
    }
    if (n < 1) {
        fprintf(stderr, "usage: nnlab compare RUN_DIR... [-o DIR] [--log]  (1 to %d runs; DIR defaults to ./compare)\n",
                MAX_RUNS);
        return 2;
    }
    nn_err err = {{0}};
    int rc = nn_compare(dirs, n, out, log_y, stdout, &err);
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    return nn_exit_status(rc);
}
