/* spec.h: a search as the experiment file's `sweep` section and the command
 * line's -g axes describe it, read and checked before any trial starts. */
#ifndef NN_SW_SPEC_H
#define NN_SW_SPEC_H

#include <stdint.h>

#include "experiment.h"

#define NN_SW_MAX_PARAMS 16
#define NN_SW_MAX_VALUES 256
#define NN_SW_MAX_CONFIGS 10000
#define NN_SW_MAX_TRIALS 100000
#define NN_SW_MAX_SEEDED (NN_MAX_REG + 3)

/* How one key varies: a list of values (grid axis; drawn from uniformly by
 * random search), or a distribution for random search. */
typedef enum nn_sw_kind {
    NN_SW_VALUES,                /* values = [...] or -g key=v1,v2 */
    NN_SW_CHOICE,                /* choice = (...): in a grid, an axis like values */
    NN_SW_UNIFORM,               /* uniform = [lo, hi] */
    NN_SW_LOG_UNIFORM,           /* log_uniform = [lo, hi], lo > 0 */
    NN_SW_INT,                   /* int = [lo, hi], integers, both ends included */
    NN_SW_LOG_INT                /* log_int = [lo, hi], 1 <= lo: integers, log-uniform */
} nn_sw_kind;

typedef struct nn_sw_param {
    char key[256];               /* key path as -s takes it: "optim.lr", "reg[0].lambda" */
    nn_sw_kind kind;
    char **values;               /* VALUES, CHOICE: libconfig texts, owned */
    int *value_lines;            /* their source lines (0 for -g) */
    int n_values;
    double lo, hi;               /* the ranges */
    int line;                    /* source line of the entry; 0 for -g */
    char where[64];              /* "sweep.params[2]" or "-g optim.lr" */
} nn_sw_param;

typedef enum nn_sw_method { NN_SW_GRID, NN_SW_RANDOM, NN_SW_HALVING } nn_sw_method;

typedef struct nn_sweep_spec {
    char file[4096];             /* the experiment file */
    char name[128];              /* the experiment's name */
    int has_section;             /* the file has a sweep section */
    nn_sw_method method;
    long trials;                 /* configurations drawn at random (0: the grid) */
    int trials_line;             /* its source line (0: none or -s) */
    uint32_t seed;               /* the random search's own stream */
    char metric[32];             /* a trials.csv column, or "auto" */
    int repeats;                 /* seeds per configuration */
    long eta, min_epochs, max_epochs; /* halving */
    int continue_rungs;          /* halving: a promoted trial goes on from its previous rung's end state */
    long base_epochs, base_threads;   /* train.epochs, train.threads of the experiment */
    int plots;                   /* output.plots of the experiment */
    char seeded[NN_SW_MAX_SEEDED][16]; /* sections a repeat reseeds: init, optim, train, reg[i] */
    int n_seeded;
    nn_sw_param params[NN_SW_MAX_PARAMS];
    int n_params;
    const char *const *fixed;    /* -s overrides, borrowed */
    int n_fixed;
    const char *plugin_path;     /* borrowed */
    nn_registry reg;
} nn_sweep_spec;

/* Reads file's sweep section (if any), merges the -g axes ("key=v1,v2,...";
 * an axis replaces the section's entry for the same key), and checks every
 * key, range and value by loading the experiment with it. Messages name
 * file:line: sweep.KEY (or -g KEY); NN_EINPUT. */
int nn_sw_spec_read(nn_sweep_spec *s, const char *file, const char *const *fixed, int n_fixed,
                    const char *const *grid, int n_grid, const char *plugin_path, nn_err *err);
void nn_sw_spec_free(nn_sweep_spec *s);

/* The sweep section of a loaded experiment, if it has one, read and checked
 * as nn_sw_spec_read reads it (keys, types, method, ranges, entries), except
 * that its values are not tried against the experiment: nnlab run refuses a
 * malformed section (file:line: sweep.KEY; NN_EINPUT) and ignores a good
 * one, and a sweep's trial is a run with one combination of its values. */
int nn_sw_section_check(const nn_experiment *x, nn_err *err);

/* The experiment with the fixed overrides plus ov[0..n): loads it to check
 * it; fills seeds[spec->n_seeded] with the resolved seeds of the sections a
 * repeat reseeds (when seeds is not NULL). */
int nn_sw_spec_try(const nn_sweep_spec *s, const char *const *ov, int n, uint32_t *seeds,
                   nn_err *err);

/* The resolved base experiment (every default, the -s overrides) written to
 * path: a sweep folder records what it is a search of. */
int nn_sw_spec_write_base(const nn_sweep_spec *s, const char *path, nn_err *err);

const char *nn_sw_kind_name(nn_sw_kind k);
const char *nn_sw_method_name(nn_sw_method m);
/* 1 when a higher value of the metric is better, 0 when lower, -1 unknown. */
int nn_sw_metric_higher(const char *metric);

#endif
