/* cmd.h: sub-commands of the nnlab command and their shared helpers. */
#ifndef NN_CMD_H
#define NN_CMD_H

#include "nnlab/plugin.h"

typedef struct nn_command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv);
} nn_command;

int nn_cmd_run(int argc, char **argv);
int nn_cmd_list(int argc, char **argv);
int nn_cmd_export(int argc, char **argv);
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

#endif
