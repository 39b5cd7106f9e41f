/* run_info.c: summary.json (one key a line, as report.c writes it) and
 * metrics.csv of a run folder, read back. */
#include "run_info.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

static int read_metrics(const char *path, nn_run_info *r, nn_err *err)
{
    static const char *const want[N_COLS] = {"epoch", "iteration", "loss", "train_accuracy",
                                             "val_accuracy", "lr", "seconds", "val_loss"};
    char *s = nn_read_text(path);
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

int nn_run_summary_read(const char *dir, nn_run_info *r, nn_err *err)
{
    memset(r, 0, sizeof *r);
    char *js = nn_read_text(nn_path_join(dir, "summary.json"));
    if (!js)
        return nn_err_set(err, NN_EIO, "%s/summary.json: cannot read (not a run folder?)", dir);
    json_strval(js, "name", r->name, sizeof r->name);
    json_strval(js, "status", r->status, sizeof r->status);
    if (js[0] != '{' || !r->status[0]) { /* every summary.json nnlab writes has a status */
        free(js);
        return nn_err_set(err, NN_EINPUT, "%s/summary.json: not an nnlab summary (no \"status\" key)", dir);
    }
    r->train = json_num(js, "train_accuracy");
    r->val = json_num(js, "val_accuracy");
    r->test = json_num(js, "test_accuracy");
    r->test_loss = json_num(js, "test_loss");
    r->loss = json_num(js, "final_loss");
    r->seconds = json_num(js, "seconds");
    r->best_val = json_num(js, "best_val_accuracy");
    r->gradient_evaluations = json_num(js, "gradient_evaluations");
    r->iterations = (long)json_num(js, "iterations");
    r->epochs = (long)json_num(js, "epochs");
    free(js);
    if (!r->name[0])
        snprintf(r->name, sizeof r->name, "%s", dir);
    return NN_OK;
}

int nn_run_info_read(const char *dir, nn_run_info *r, nn_err *err)
{
    int rc = nn_run_summary_read(dir, r, err);
    return rc ? rc : read_metrics(nn_path_join(dir, "metrics.csv"), r, err);
}
