/* extra.c: the table of further sub-commands (each in its own file). */
#include <stddef.h>

#include "cmd.h"

const nn_command nn_extra_commands[] = {
    {"export", "write the data plugin's arrays as .npy: nnlab export FILE -o DIR", nn_cmd_export},
    {"eval", "evaluate a run's saved weights: nnlab eval RUN_DIR [--data FILE] [--predictions DIR]", nn_cmd_eval},
    {"compare", "overlay runs' curves, table of summaries: nnlab compare RUN_DIR... [-o DIR] [--log]", nn_cmd_compare},
    {"check", "plugin conformance and gradient checks: nnlab check [NAME | KIND/NAME | PATH.so]... [--experiment FILE]", nn_cmd_check},
    {"new", "start a plugin from a commented template: nnlab new KIND NAME [-o FILE]", nn_cmd_new},
    {"sweep", "run a grid of settings across the cores, ranked: nnlab sweep FILE -g key=v1,v2... [-j N] [-o DIR]", nn_cmd_sweep},
    {NULL, NULL, NULL},
};
