/* cmd.h: sub-commands of the nnlab command (one function each, listed in the
 * table in main.c) and their shared helpers. */
#ifndef NN_CMD_H
#define NN_CMD_H

#include <stdio.h>

#include "nnlab/plugin.h"

/* The sub-commands: argv[0] is the command's name; each returns the exit
 * status (nn_exit_status() of an NN_E* code, nnlab/plugin.h). */
int nn_cmd_run(int argc, char **argv);
int nn_cmd_list(int argc, char **argv);
int nn_cmd_export(int argc, char **argv);
int nn_cmd_sweep(int argc, char **argv);
int nn_cmd_eval(int argc, char **argv);
int nn_cmd_compare(int argc, char **argv);
int nn_cmd_check(int argc, char **argv);
int nn_cmd_new(int argc, char **argv);
int nn_cmd_bench(int argc, char **argv);
int nn_cmd_benchmark(int argc, char **argv);

/* Parses "--plugin-path X" or "--plugin-path=X" at argv[*i]; returns 1 if consumed. */
int nn_opt_plugin_path(int argc, char **argv, int *i, const char **out);
/* 0 when every folder of path (DIR[:DIR...], NULL for none) exists and is a
 * folder; else 2, with "nnlab CMD: --plugin-path: 'DIR': why" on stderr. */
int nn_check_plugin_path(const char *cmd, const char *path);

/* Parses "I/N" (1 <= I <= N <= 100000) of --shard; -1 when malformed. */
int nn_opt_shard(const char *v, int *shard, int *n_shards);

/* A run folder's summary.json and metrics.csv (compare, sweep). */
#include "run_info.h"

/* The compare command's work: compare.md and compare.png in out, and the
 * table on `table` unless NULL. */
#define NN_COMPARE_MAX 12
int nn_compare(char *const *dirs, int n, const char *out, int log_y, FILE *table, nn_err *err);

#endif
