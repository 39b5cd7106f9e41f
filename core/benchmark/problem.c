/* problem.c: reading the benchmark problems (experiment files with a
 * benchmark section) and hashing what identifies a result; see problem.h. */
#include "problem.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "options.h"
#include "tree.h"
#include "util.h"

uint64_t nn_bm_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int nn_bm_hash_file(const char *path, uint64_t *out, nn_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot read", path);
    uint64_t h = NN_BM_HASH0;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = nn_bm_hash(h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return nn_err_set(err, NN_EIO, "%s: read error", path);
    *out = h;
    return NN_OK;
}

/* ---- the benchmark section ---------------------------------------------------------- */

static const char *const section_keys[] = {"suite", "title", "metric", "target", "requires", "hint", NULL};

static int bad(const nn_bm_problem *p, const nn_tree *t, const char *key, nn_err *err, const char *what)
{
    return nn_err_set(err, NN_EINPUT, "%s:%d: benchmark%s%s: %s", p->file, t ? t->line : 0, key ? "." : "",
                      key ? key : "", what);
}

static int check_keys(const nn_bm_problem *p, const nn_tree *sec, nn_err *err)
{
    for (int i = 0; i < sec->n_kids; i++) {
        int known = 0;
        for (int k = 0; section_keys[k]; k++)
            known |= strcmp(sec->kids[i].name, section_keys[k]) == 0;
        if (!known) {
            char what[300];
            snprintf(what, sizeof what, "unknown key (known: suite, title, metric, target, requires, hint)");
            return bad(p, &sec->kids[i], sec->kids[i].name, err, what);
        }
    }
    return NN_OK;
}

static int get_string(const nn_bm_problem *p, const nn_tree *sec, const char *key, char *out, size_t n,
                      const char *def, nn_err *err)
{
    const nn_tree *t = nn_tree_member(sec, key);
    if (!t) {
        if (!def)
            return bad(p, sec, key, err, "missing (required)");
        snprintf(out, n, "%s", def);
        return NN_OK;
    }
    if (t->type != NN_TREE_STRING)
        return bad(p, t, key, err, "expected a string");
    snprintf(out, n, "%s", t->s);
    return NN_OK;
}

/* The files benchmark.requires names (relative to the problem's folder):
 * the first one absent is the reason to skip the problem. */
static int check_requires(nn_bm_problem *p, const nn_tree *sec, const char *base_dir, nn_err *err)
{
    const nn_tree *t = nn_tree_member(sec, "requires");
    if (!t)
        return NN_OK;
    if (t->type != NN_TREE_ARRAY && t->type != NN_TREE_LIST)
        return bad(p, t, "requires", err, "expected a list of file names [\"...\", ...]");
    char hint[300] = "";
    int rc = get_string(p, sec, "hint", hint, sizeof hint, "", err);
    for (int i = 0; rc == NN_OK && i < t->n_kids && !p->skip[0]; i++) {
        const nn_tree *k = &t->kids[i];
        if (k->type != NN_TREE_STRING)
            return bad(p, k, "requires", err, "expected a list of file names [\"...\", ...]");
        char path[4200];
        snprintf(path, sizeof path, "%s", k->s[0] == '/' ? k->s : nn_path_join(base_dir, k->s));
        if (!nn_file_exists(path))
            snprintf(p->skip, sizeof p->skip, "%s is absent%s%s", path, hint[0] ? "; " : "", hint);
    }
    return rc;
}

static int read_section(nn_bm_problem *p, const nn_tree *sec, const char *base_dir, nn_err *err)
{
    if (sec->type != NN_TREE_GROUP)
        return bad(p, sec, NULL, err, "expected a group { suite = \"small\"; target = 0.9; }");
    int rc = check_keys(p, sec, err);
    if (rc == NN_OK)
        rc = get_string(p, sec, "suite", p->suite, sizeof p->suite, NULL, err);
    if (rc == NN_OK && strcmp(p->suite, "small") != 0 && strcmp(p->suite, "full") != 0)
        return bad(p, nn_tree_member(sec, "suite"), "suite", err, "expected \"small\" or \"full\"");
    if (rc == NN_OK)
        rc = get_string(p, sec, "title", p->title, sizeof p->title, p->name, err);
    if (rc == NN_OK)
        rc = get_string(p, sec, "metric", p->metric, sizeof p->metric, "val_accuracy", err);
    if (rc)
        return rc;
    if (strcmp(p->metric, "val_accuracy") != 0 && strcmp(p->metric, "val_loss") != 0)
        return bad(p, nn_tree_member(sec, "metric"), "metric", err, "expected \"val_accuracy\" or \"val_loss\"");
    p->higher = strcmp(p->metric, "val_accuracy") == 0;
    const nn_tree *t = nn_tree_member(sec, "target");
    if (!t)
        return bad(p, sec, "target", err, "missing (required): the validation metric's target");
    if ((t->type != NN_TREE_REAL && t->type != NN_TREE_INT) || !isfinite(t->r) || t->r < 0 ||
        (p->higher && t->r > 1))
        return bad(p, t, "target", err, p->higher ? "expected a number in [0, 1] (validation accuracy)"
                                                  : "expected a number >= 0 (validation loss)");
    p->target = t->r;
    return check_requires(p, sec, base_dir, err);
}

static void describe(nn_bm_problem *p, const nn_experiment *x)
{
    const nn_model_opts *m = &x->opts.model;
    size_t o = (size_t)snprintf(p->model, sizeof p->model, "hidden [");
    for (int i = 0; i < m->hidden.n && o < sizeof p->model; i++)
        o += (size_t)snprintf(p->model + o, sizeof p->model - o, "%s%ld", i ? ", " : "", m->hidden.v[i]);
    if (o < sizeof p->model)
        snprintf(p->model + o, sizeof p->model - o, "] %s, %s output", nn_act_names[m->activation],
                 nn_output_names[m->output]);
    snprintf(p->data, sizeof p->data, "%s", x->data.plugin.desc ? x->data.plugin.desc->name : "?");
    p->epochs = x->opts.train.epochs;
    p->batch = x->opts.train.batch_size;
}

int nn_bm_problem_read(nn_bm_problem *p, const char *file, const char *const *fixed, int n_fixed,
                       const nn_registry *reg, nn_err *err)
{
    memset(p, 0, sizeof *p);
    char *abs = realpath(file, NULL);
    snprintf(p->file, sizeof p->file, "%s", abs ? abs : file);
    free(abs);
    const char *base = strrchr(p->file, '/');
    snprintf(p->name, sizeof p->name, "%s", base ? base + 1 : p->file);
    char *dot = strrchr(p->name, '.');
    if (dot && strcmp(dot, ".cfg") == 0)
        *dot = '\0';
    int rc = nn_bm_hash_file(p->file, &p->hash, err);
    if (rc)
        return rc;
    nn_experiment x;
    if ((rc = nn_experiment_load(&x, p->file, fixed, n_fixed, reg, err)) != NN_OK) {
        nn_experiment_free(&x); /* a failed load leaves what it read */
        return rc;
    }
    nn_tree *sec = NULL;
    rc = nn_tree_of(&x, "benchmark", &sec, err);
    if (rc == NN_OK && !sec)
        rc = nn_err_set(err, NN_EINPUT, "%s: no benchmark section: a problem needs benchmark = { suite = "
                        "\"small\"; target = 0.9; } (docs/benchmark.md)", p->file);
    if (rc == NN_OK)
        rc = read_section(p, sec, x.base_dir, err);
    if (rc == NN_OK)
        describe(p, &x);
    nn_tree_free(sec);
    nn_experiment_free(&x);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int nn_bm_problems_of_suite(const char *dir, const char *suite, const char *const *fixed, int n_fixed,
                            const nn_registry *reg, nn_bm_problem *out, int max, int *n, nn_err *err)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return nn_err_set(err, NN_EINPUT, "%s: no such folder of benchmark problems (--problems DIR)", dir);
    char *names[NN_BM_MAX_PROBLEMS];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && k < NN_BM_MAX_PROBLEMS) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".cfg") == 0 && e->d_name[0] != '.')
            names[k++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)k, sizeof names[0], by_name);
    int rc = NN_OK;
    for (int i = 0; i < k; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s", nn_path_join(dir, names[i]));
        if (rc == NN_OK && *n < max && names[i]) {
            rc = nn_bm_problem_read(&out[*n], path, fixed, n_fixed, reg, err);
            if (rc == NN_OK && (strcmp(suite, "full") == 0 || strcmp(out[*n].suite, "small") == 0))
                (*n)++;
        }
        free(names[i]);
    }
    if (rc == NN_OK && *n == 0)
        rc = nn_err_set(err, NN_EINPUT, "%s: no problem of the %s suite there", dir, suite);
    return rc;
}
