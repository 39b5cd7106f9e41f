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
#include "run_info.h"
#include "util.h"

#define MAX_RUNS NN_COMPARE_MAX

typedef nn_run_info run_info;

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
