/* cmd.h: sub-commands of the nnlab command and their shared helpers. */
#ifndef NN_CMD_H
#define NN_CMD_H

#include <stdio.h>

#include "nnlab/plugin.h"

typedef struct nn_command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv);
} nn_command;

int nn_cmd_run(int argc, char **argv);
int nn_cmd_list(int argc, char **argv);
int nn_cmd_export(int argc, char **argv);
int nn_cmd_sweep(int argc, char **argv);
int nn_cmd_eval(int argc, char **argv);
int nn_cmd_compare(int argc, char **argv);
int nn_cmd_check(int argc, char **argv);
int nn_cmd_new(int argc, char **argv);

/* Commands added by other files (check, eval, export, compare, new);
 * a NULL-terminated table defined in extra.c. */
extern const nn_command nn_extra_commands[];

/* Exit status for an error code: 2 for bad input, 1 otherwise. */
int nn_exit_status(int rc);

/* Parses "--plugin-path X" or "--plugin-path=X" at argv[*i]; returns 1 if consumed. */
int nn_opt_plugin_path(int argc, char **argv, int *i, const char **out);

/* A run folder's summary.json and metrics.csv (compare, sweep). */
#include "train.h"
typedef struct nn_run_info {
    char name[128], status[32];
    double train, val, test, best_val, loss, seconds;
    long iterations;
    nn_metric_row *rows; /* owned: free() */
    long n_rows;
} nn_run_info;
int nn_run_info_read(const char *dir, nn_run_info *r, nn_err *err);

/* The compare command's work: compare.md and compare.png in out, and the
 * table on `table` unless NULL. */
#define NN_COMPARE_MAX 12
int nn_compare(char *const *dirs, int n, const char *out, int log_y, FILE *table, nn_err *err);

#endif
